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

use crate::{CredentialError, contexts};

mod shapes;

/// The contexts Hocba knows, by URL, byte-exact as published (see `contexts/MANIFEST.tsv`).
const BUNDLED: &[(&str, &str)] = &[
    (contexts::VC_V2, include_str!("../contexts/credentials-v2.jsonld")),
    // VC 1.1, for the VC API only: other implementations and the W3C suites still send it.
    (contexts::VC_V1, include_str!("../contexts/credentials-v1.jsonld")),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        include_str!("../contexts/credentials-examples-v2.jsonld"),
    ),
    (contexts::DATA_INTEGRITY, include_str!("../contexts/data-integrity-v2.jsonld")),
    ("https://w3id.org/security/multikey/v1", include_str!("../contexts/multikey-v1.jsonld")),
    ("https://www.w3.org/ns/did/v1", include_str!("../contexts/did-v1.jsonld")),
    (contexts::OB_V3, include_str!("../contexts/ob-context-3.0.3.json")),
    (contexts::CLR_V2, include_str!("../contexts/clr_context_2.0.1.json")),
    (contexts::HOCBA, contexts::HOCBA_DOCUMENT),
];

/// Deeper JSON than this is refused before any processing: no credential needs it, and
/// expansion recurses on it.
const MAX_DEPTH: usize = 32;

/// How many times RDFC-1.0 may run its Hash N-Degree Quads step on one document. A credential
/// whose blank nodes all differ needs none; a crafted graph of look-alike blank nodes (a
/// "poison graph") would otherwise take exponential time. The recommendation asks
/// implementations to bound this work (RDFC-1.0 §4.8, §6).
const HNDQ_CALL_LIMIT: usize = 1_000;

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
        Some(quads) => canonical_form(&quads),
        None => canonical_nquads_fully_expanded(document),
    }
}

/// The same as [`canonical_nquads`] by full expansion every time, without shape templates:
/// the reference the templates are tested against.
pub fn canonical_nquads_fully_expanded(document: &Value) -> Result<String, CredentialError> {
    if depth(document) > MAX_DEPTH {
        return Err(not_json_ld(format!("it is nested deeper than {MAX_DEPTH} levels")));
    }
    canonical_form(&quads_of(document)?)
}

/// The canonical N-Quads of a dataset: `rdf-canon` issues the canonical blank node labels
/// (RDFC-1.0 §4.4), and each quad is written once in canonical N-Quads form with them, then
/// the lines are sorted in code point order (§4.4.3 step 6).
///
/// `rdf_canon::canonicalize_quads` does the same, but builds a second dataset to relabel and
/// writes every quad twice; that was a quarter of an rdfc proof's time.
fn canonical_form(quads: &[oxrdf::Quad]) -> Result<String, CredentialError> {
    // A dataset is a set: duplicate quads (a value repeated in an array) count once.
    let dataset = oxrdf::Dataset::from_iter(quads);
    let options = rdf_canon::CanonicalizationOptions { hndq_call_limit: Some(HNDQ_CALL_LIMIT) };
    let labels = rdf_canon::issue_with::<sha2_0_10::Sha256>(&dataset, &options)
        .map_err(|error| not_json_ld(format!("RDFC-1.0 failed: {error}")))?;
    let mut lines = dataset
        .iter()
        .map(|quad| canonical_line(quad, &labels))
        .collect::<Result<Vec<String>, _>>()?;
    lines.sort_unstable();
    Ok(lines.concat())
}

/// One quad in canonical N-Quads form (oxrdf writes each term so), its blank nodes relabelled.
fn canonical_line(
    quad: oxrdf::QuadRef<'_>,
    labels: &HashMap<String, String>,
) -> Result<String, CredentialError> {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(160);
    let mut term = |blank: Option<oxrdf::BlankNodeRef<'_>>, term: &dyn std::fmt::Display| {
        match blank {
            Some(blank) => {
                let label = labels
                    .get(blank.as_str())
                    .ok_or_else(|| not_json_ld("RDFC-1.0 left a blank node without a label"))?;
                line.push_str("_:");
                line.push_str(label);
            }
            None => {
                write!(line, "{term}").map_err(|_| not_json_ld("a quad could not be written"))?
            }
        }
        line.push(' ');
        Ok::<(), CredentialError>(())
    };
    let subject = match quad.subject {
        oxrdf::SubjectRef::BlankNode(blank) => Some(blank),
        _ => None,
    };
    term(subject, &quad.subject)?;
    term(None, &quad.predicate)?;
    let object = match quad.object {
        oxrdf::TermRef::BlankNode(blank) => Some(blank),
        _ => None,
    };
    term(object, &quad.object)?;
    match quad.graph_name {
        oxrdf::GraphNameRef::DefaultGraph => {}
        oxrdf::GraphNameRef::BlankNode(blank) => term(Some(blank), &quad.graph_name)?,
        named => term(None, &named)?,
    }
    line.push_str(".\n");
    Ok(line)
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

    static LINK_CONTEXT: LazyLock<Value> = LazyLock::new(
        || serde_json::json!({ "link": { "@id": "https://example.org/link", "@type": "@id" } }),
    );

    /// Blank nodes that all link to each other look alike to RDFC-1.0's first-degree hash, so
    /// telling them apart means trying every order: exponential work for one small document.
    #[test]
    fn a_poison_graph_is_refused_instead_of_canonicalized_for_ever() {
        let nodes = 12;
        let graph: Vec<Value> = (0..nodes)
            .map(|node| {
                let links: Vec<Value> = (0..nodes)
                    .filter(|other| *other != node)
                    .map(|other| Value::String(format!("_:b{other}")))
                    .collect();
                serde_json::json!({ "@id": format!("_:b{node}"), "link": links })
            })
            .collect();
        let document = serde_json::json!({ "@context": LINK_CONTEXT.clone(), "@graph": graph });
        let error = canonical_nquads(&document).expect_err("refused");
        assert!(error.to_string().contains("RDFC-1.0"), "{error}");
    }

    #[test]
    fn look_alike_blank_nodes_within_the_bound_are_canonicalized_as_the_recommendation_says() {
        // Two blank nodes pointing at each other: RDFC-1.0's own example shape (§4.4.4). Either
        // input labelling gives the same output.
        let document = |first: &str, second: &str| {
            serde_json::json!({
                "@context": LINK_CONTEXT.clone(),
                "@graph": [{ "@id": first, "link": second }, { "@id": second, "link": first }],
            })
        };
        let canonical = canonical_nquads(&document("_:x", "_:y")).expect("canonical");
        assert_eq!(canonical, canonical_nquads(&document("_:y", "_:x")).expect("canonical"));
        let link = "<https://example.org/link>";
        assert_eq!(canonical, format!("_:c14n0 {link} _:c14n1 .\n_:c14n1 {link} _:c14n0 .\n"));
    }
}
