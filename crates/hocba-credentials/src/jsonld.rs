//! JSON-LD to canonical RDF, for `eddsa-rdfc-2022`: a document is expanded (JSON-LD 1.1) with
//! the contexts bundled in this crate only, turned into RDF quads, and canonicalized with
//! RDFC-1.0. Nothing is ever fetched: a context that is not bundled is an error.
//!
//! Expansion is strict, as a verifier needs it to be: a term no context defines, or a value
//! that is not valid JSON-LD, is an error rather than silently dropped, so that the signature
//! covers every member a reader sees.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use json_ld::expansion::{Action, Policy};
use json_ld::rdf_types::{self, LiteralType, Object as RdfObject};
use json_ld::syntax::TryFromJson;
use json_ld::{Expand, IriBuf, Process, RdfQuads, RemoteDocument};
use serde_json::Value;

use crate::CredentialError;

mod shapes;

/// The contexts Hocba knows, by URL, byte-exact as published (see `contexts/MANIFEST.tsv`).
const BUNDLED: &[(&str, &str)] = &[
    ("https://www.w3.org/ns/credentials/v2", include_str!("../contexts/credentials-v2.jsonld")),
    // VC 1.1, for the VC API only: other implementations and the W3C suites still send it.
    (crate::model::VC_V1_CONTEXT, include_str!("../contexts/credentials-v1.jsonld")),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        include_str!("../contexts/credentials-examples-v2.jsonld"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        include_str!("../contexts/data-integrity-v2.jsonld"),
    ),
    ("https://w3id.org/security/multikey/v1", include_str!("../contexts/multikey-v1.jsonld")),
    ("https://www.w3.org/ns/did/v1", include_str!("../contexts/did-v1.jsonld")),
    (crate::certificate::OB_V3_CONTEXT, include_str!("../contexts/ob-context-3.0.3.json")),
    (crate::certificate::HOCBA_CONTEXT, crate::certificate::HOCBA_CONTEXT_DOCUMENT),
];

/// Deeper JSON than this is refused before any processing: no credential needs it, and
/// expansion recurses on it.
const MAX_DEPTH: usize = 32;

/// Distinct `@context` values whose processed form is kept. Each costs a few hundred
/// kilobytes; callers of the VC API can send their own inline contexts, so the cache is bounded
/// (past it, contexts are processed every time).
const MAX_CACHED_CONTEXTS: usize = 64;

type Context = json_ld::Context<IriBuf, rdf_types::BlankIdBuf>;

/// The bundled contexts as a loader: a `HashMap` loader answers only the URLs it holds. (A
/// test checks that every bundled context is here.)
static LOADER: LazyLock<HashMap<IriBuf, RemoteDocument>> = LazyLock::new(|| {
    BUNDLED
        .iter()
        .filter_map(|(url, text)| {
            let url = IriBuf::new(url.to_string()).ok()?;
            let json = serde_json::from_str(text).ok()?;
            let document = json_syntax::Value::from_serde_json(json);
            Some((url.clone(), RemoteDocument::new(Some(url), None, document)))
        })
        .collect()
});

/// Processed `@context` values, keyed by the whole value (as JSON text).
static PROCESSED: LazyLock<Mutex<HashMap<String, Arc<Context>>>> = LazyLock::new(Mutex::default);

/// Whether `url` is a context this crate bundles.
pub fn is_bundled(url: &str) -> bool {
    BUNDLED.iter().any(|(known, _)| *known == url)
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document.
///
/// Documents of a shape seen before (the same members, types, contexts and numbers; other
/// strings may differ) take their quads from that shape's template instead of expanding again:
/// see [`shapes`].
pub fn canonical_nquads(document: &Value) -> Result<String, CredentialError> {
    if depth(document) > MAX_DEPTH {
        return Err(not_json_ld(format!("it is nested deeper than {MAX_DEPTH} levels")));
    }
    match shapes::quads(document) {
        Some(quads) => rdf_canon::canonicalize_quads(&quads)
            .map_err(|error| not_json_ld(format!("RDFC-1.0 failed: {error}"))),
        None => canonical_nquads_fully_expanded(document),
    }
}

/// The same as [`canonical_nquads`] by full expansion every time, without shape templates:
/// the reference the templates are tested against.
pub fn canonical_nquads_fully_expanded(document: &Value) -> Result<String, CredentialError> {
    if depth(document) > MAX_DEPTH {
        return Err(not_json_ld(format!("it is nested deeper than {MAX_DEPTH} levels")));
    }
    rdf_canon::canonicalize_quads(&quads_of(document)?)
        .map_err(|error| not_json_ld(format!("RDFC-1.0 failed: {error}")))
}

/// The RDF quads of a JSON-LD document, by full expansion, blank nodes not yet canonical.
fn quads_of(document: &Value) -> Result<Vec<oxrdf::Quad>, CredentialError> {
    let Value::Object(members) = document else {
        return Err(not_json_ld("it is not a JSON object"));
    };
    let mut members = members.clone();
    let context = match members.remove("@context") {
        Some(context) => processed(&context)?,
        None => Arc::new(Context::new(None)),
    };
    let vocabulary = rdf_types::vocabulary::no_vocabulary_mut();
    let input = json_syntax::Value::from_serde_json(Value::Object(members));
    let options = json_ld::expansion::Options {
        // Undefined terms and invalid values are errors. Terms a context's `@vocab` maps count
        // as defined, as every other processor reads them.
        policy: Policy { invalid: Action::Reject, vocab: Action::Keep, allow_undefined: false },
        ..Default::default()
    };
    let expansion = input.expand_full(vocabulary, (*context).clone(), None, &*LOADER, options, ());
    let mut expanded = run(expansion)?.map_err(|error| not_json_ld(error.to_string()))?;
    let mut generator = rdf_types::generator::Blank::new();
    // Blank nodes must be labelled before quads are taken, or id-less nodes (a proof
    // configuration) lose their triples.
    expanded.relabel_and_canonicalize_with(vocabulary, &mut generator);
    expanded
        .rdf_quads_full(vocabulary, &mut generator, None, false)
        .cloned()
        .map(to_oxrdf)
        .collect()
}

/// The processed form of a document's `@context`, from the cache when it was seen before.
fn processed(context: &Value) -> Result<Arc<Context>, CredentialError> {
    let key = context.to_string();
    let cache = |cache: &Mutex<HashMap<String, Arc<Context>>>| {
        cache.lock().ok().and_then(|cache| cache.get(&key).cloned())
    };
    if let Some(known) = cache(&PROCESSED) {
        return Ok(known);
    }
    let syntax = json_syntax::Value::from_serde_json(unwrapped(context));
    let local = json_ld::syntax::context::Context::try_from_json(syntax)
        .map_err(|error| not_json_ld(format!("invalid @context: {error}")))?;
    let vocabulary = rdf_types::vocabulary::no_vocabulary_mut();
    let initial = Context::new(None);
    let processing = local.process_full(
        vocabulary,
        &initial,
        &*LOADER,
        None,
        json_ld::context_processing::Options::default(),
        (),
    );
    let processed = run(processing)?.map_err(|error| match error {
        json_ld::context_processing::Error::ContextLoadingFailed(error) => {
            not_json_ld(format!("{} is not a context Hocba bundles", error.target))
        }
        error => not_json_ld(format!("invalid @context: {error}")),
    })?;
    let processed = Arc::new(processed.processed);
    if let Ok(mut cache) = PROCESSED.lock()
        && cache.len() < MAX_CACHED_CONTEXTS
    {
        cache.insert(key, processed.clone());
    }
    Ok(processed)
}

/// The context with each embedded `{"@context": …}` wrapper replaced by what it wraps, as
/// jsonld.js reads it (the W3C proof-chain test vectors are written so); `json-ld` would refuse
/// `@context` as a term.
fn unwrapped(context: &Value) -> Value {
    let unwrap = |entry: &Value| match entry {
        Value::Object(wrapper) if wrapper.len() == 1 && wrapper.contains_key("@context") => {
            wrapper["@context"].clone()
        }
        other => other.clone(),
    };
    match context {
        Value::Array(entries) => Value::Array(entries.iter().map(unwrap).collect()),
        single => unwrap(single),
    }
}

/// One quad as `oxrdf` (the RDF model `rdf-canon` works on).
fn to_oxrdf(
    quad: json_ld::rdf::Quad<IriBuf, rdf_types::BlankIdBuf, rdf_types::Literal>,
) -> Result<oxrdf::Quad, CredentialError> {
    let rdf_types::Quad(subject, predicate, object, graph) = quad;
    let node = |id: json_ld::ValidId<IriBuf, rdf_types::BlankIdBuf>| -> oxrdf::NamedOrBlankNode {
        match id {
            rdf_types::Id::Iri(iri) => oxrdf::NamedNode::new_unchecked(iri.into_string()).into(),
            rdf_types::Id::Blank(blank) => {
                oxrdf::BlankNode::new_unchecked(blank.suffix().to_owned()).into()
            }
        }
    };
    let predicate = match predicate {
        rdf_types::Id::Iri(iri) => oxrdf::NamedNode::new_unchecked(iri.into_string()),
        rdf_types::Id::Blank(_) => return Err(not_json_ld("a property is a blank node")),
    };
    let object: oxrdf::Term = match object {
        RdfObject::Id(id) => match node(id) {
            oxrdf::NamedOrBlankNode::NamedNode(named) => named.into(),
            oxrdf::NamedOrBlankNode::BlankNode(blank) => blank.into(),
        },
        RdfObject::Literal(literal) => match literal.type_ {
            LiteralType::Any(datatype) => oxrdf::Literal::new_typed_literal(
                literal.value,
                oxrdf::NamedNode::new_unchecked(datatype.into_string()),
            ),
            LiteralType::LangString(language) => {
                oxrdf::Literal::new_language_tagged_literal_unchecked(
                    literal.value,
                    language.as_str().to_ascii_lowercase(),
                )
            }
        }
        .into(),
    };
    let graph = match graph {
        None => oxrdf::GraphName::DefaultGraph,
        Some(graph) => match node(graph) {
            oxrdf::NamedOrBlankNode::NamedNode(named) => named.into(),
            oxrdf::NamedOrBlankNode::BlankNode(blank) => blank.into(),
        },
    };
    Ok(oxrdf::Quad::new(node(subject), predicate, object, graph))
}

/// Runs one of `json-ld`'s futures. They are async only because loaders may do I/O; ours reads
/// memory, so every future is ready on its first poll.
fn run<F: Future>(future: F) -> Result<F::Output, CredentialError> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut TaskContext::from_waker(Waker::noop())) {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(not_json_ld("JSON-LD processing would wait for a document")),
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn not_json_ld(reason: impl Into<String>) -> CredentialError {
    CredentialError::NotJsonLd(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_context_loads() {
        assert_eq!(LOADER.len(), BUNDLED.len());
    }
}
