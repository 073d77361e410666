//! Quads by shape: most of the time of JSON-LD processing goes to (type-scoped) contexts, and
//! every certificate has the same members, types and contexts; only its strings differ. So the
//! first document of a shape is expanded with each string replaced by a marker IRI, and the
//! quads that come out are kept as the shape's template. A later document of that shape gets
//! its quads by putting its strings where the markers are, and only RDFC-1.0 runs again.
//!
//! The template is used only where that is exactly what expansion would give:
//! - A marker must come out verbatim, as a whole literal or a whole IRI, else the shape is not
//!   templated (its strings are transformed: a JSON literal, say).
//! - A string that lands where an IRI goes is put there only if expansion would leave it as it
//!   is: `http://…` or `https://…` (never expanded), or `urn:`/`did:` when no context of the
//!   document can define `urn` or `did` as a prefix. Anything else (a term that `@vocab` or a
//!   prefix would expand, a relative reference) takes the full path.
//! - Keywords' values, `type` and every number stay part of the shape.
//!
//! A test compares the two paths on varied certificates and presentations.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value};

/// How many shapes are kept; past it, new shapes are expanded every time.
const MAX_SHAPES: usize = 512;

/// Markers are IRIs, so that they survive both as literals and as node identifiers.
const MARKER: &str = "urn:x-hocba-slot:";

/// Where a document's strings go in its shape's quads.
struct Template {
    quads: Vec<oxrdf::Quad>,
    /// Whether strings may be IRIs starting `urn:` or `did:` (no context of the shape names
    /// either as a term).
    compact_schemes_safe: bool,
}

/// Templates by shape; `None` for a shape that cannot be templated.
static TEMPLATES: LazyLock<Mutex<HashMap<String, Option<Arc<Template>>>>> =
    LazyLock::new(Mutex::default);

/// The document's quads from its shape's template, or `None` when the full path must run.
///
/// A string that lands where an IRI goes but would not be kept as it is (a term such as
/// `assertionMethod` that `@vocab` expands) becomes part of the shape instead, in a second
/// template for documents with that same string.
pub(super) fn quads(document: &Value) -> Option<Vec<oxrdf::Quad>> {
    let mut fixed_strings: Vec<usize> = Vec::new();
    for _attempt in 0..2 {
        let mut shaper = Shaper { fixed: &fixed_strings, seen: 0, strings: Vec::new() };
        let key = shaper.key(document)?;
        let strings = shaper.strings;
        let template = template_for(key, strings.len(), || {
            Shaper { fixed: &fixed_strings, seen: 0, strings: Vec::new() }.shape(document, None)
        })?;
        match template.fill(&strings) {
            Ok(quads) => return Some(quads),
            Err(slots) => {
                // Slot numbers count only the strings that were slotted: map them back.
                let slotted = (0..).filter(|index| !fixed_strings.contains(index));
                let unsafe_strings: Vec<usize> = slotted
                    .take(strings.len())
                    .enumerate()
                    .filter(|(slot, _)| slots.contains(slot))
                    .map(|(_, index)| index)
                    .collect();
                fixed_strings.extend(unsafe_strings);
            }
        }
    }
    None
}

/// The template of the shape written as `key`, with `markers` markers, made from `shape()` on
/// first sight; `None` for a shape that cannot be templated.
fn template_for(
    key: String,
    markers: usize,
    shape: impl FnOnce() -> Value,
) -> Option<Arc<Template>> {
    if let Some(known) = TEMPLATES.lock().ok()?.get(&key).cloned() {
        return known;
    }
    let shape = shape();
    debug_assert_eq!(shape.to_string(), key, "a shape's key is the shape written as JSON");
    let template = template_of(&shape, markers).map(Arc::new);
    if let Ok(mut templates) = TEMPLATES.lock()
        && templates.len() < MAX_SHAPES
    {
        templates.insert(key, template.clone());
    }
    template
}

/// Makes a document's shape: each string that may vary replaced by a numbered marker, except
/// the strings numbered in `fixed` (counting every string that could vary, in document order).
///
/// A shape is looked up by its key, the shape written as JSON, which [`Shaper::key`] writes
/// straight from the document; the shape itself is built only for a shape not seen before.
struct Shaper<'a, 'd> {
    fixed: &'a [usize],
    seen: usize,
    /// The document's strings that the markers stand for, in marker order.
    strings: Vec<&'d str>,
}

impl<'d> Shaper<'_, 'd> {
    /// The number of the marker at `text`'s place in the shape, or `None` when `text` stays.
    fn marker(&mut self, text: &'d str, key: Option<&str>) -> Option<usize> {
        if key.is_none_or(fixed) {
            return None;
        }
        let index = self.seen;
        self.seen += 1;
        if self.fixed.contains(&index) {
            return None;
        }
        self.strings.push(text);
        Some(self.strings.len() - 1)
    }

    fn shape(&mut self, value: &'d Value, key: Option<&str>) -> Value {
        match value {
            Value::String(text) => match self.marker(text, key) {
                Some(marker) => Value::String(format!("{MARKER}{marker}")),
                None => value.clone(),
            },
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.shape(item, key)).collect())
            }
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(name, member)| {
                        let member = match name.as_str() {
                            "@context" => member.clone(),
                            _ => self.shape(member, Some(name)),
                        };
                        (name.clone(), member)
                    })
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }

    /// The shape written as JSON (as `serde_json` writes [`Shaper::shape`]'s value), without
    /// building it.
    fn key(&mut self, document: &'d Value) -> Option<String> {
        let mut key = Vec::with_capacity(4096);
        self.write(document, None, &mut key);
        // Only JSON text and markers were written, so this does not fail.
        String::from_utf8(key).ok()
    }

    fn write(&mut self, value: &'d Value, key: Option<&str>, out: &mut Vec<u8>) {
        match value {
            Value::String(text) => match self.marker(text, key) {
                Some(marker) => {
                    // As `write_json` would write the marker, without making it a string first.
                    use std::io::Write as _;
                    let _ = write!(out, "\"{MARKER}{marker}\"");
                }
                None => write_json(text, out),
            },
            Value::Array(items) => {
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    self.write(item, key, out);
                }
                out.push(b']');
            }
            Value::Object(members) => {
                out.push(b'{');
                for (index, (name, member)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write_json(name, out);
                    out.push(b':');
                    match name.as_str() {
                        "@context" => write_json(member, out),
                        _ => self.write(member, Some(name), out),
                    }
                }
                out.push(b'}');
            }
            other => write_json(other, out),
        }
    }
}

/// Writes one JSON value as `serde_json` writes it.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing strings and `Value`s into memory cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// Members whose strings are part of the shape: keywords and types (they choose terms and
/// contexts).
fn fixed(key: &str) -> bool {
    key.starts_with('@') || key == "type"
}

/// Expands a shape and finds its markers; `None` when one is not verbatim or missing.
fn template_of(shape: &Value, markers: usize) -> Option<Template> {
    let quads = super::quads_of(shape).ok()?;
    let mut seen = vec![false; markers];
    let mut check = |text: &str, whole: bool| -> Option<()> {
        match slot(text) {
            Some(index) if whole && index < markers => {
                seen[index] = true;
                Some(())
            }
            Some(_) => None,
            None if text.contains(MARKER) => None,
            None => Some(()),
        }
    };
    for quad in &quads {
        for term in terms(quad) {
            match term {
                Term::Iri(iri) => check(iri, true)?,
                Term::Literal(value, datatype) => {
                    check(value, true)?;
                    check(datatype, false)?;
                }
                Term::Blank => {}
            }
        }
    }
    if !seen.iter().all(|&seen| seen) {
        return None;
    }
    let text = shape.to_string();
    let compact_schemes_safe = !text.contains("\"urn\"") && !text.contains("\"did\"");
    Some(Template { quads, compact_schemes_safe })
}

impl Template {
    /// The quads with `strings` in place of the markers, or the slots of the strings that
    /// land where an IRI goes but would not stay as they are.
    fn fill(&self, strings: &[&str]) -> Result<Vec<oxrdf::Quad>, Vec<usize>> {
        let unsafe_slots = std::cell::RefCell::new(Vec::new());
        let iri = |text: &str| -> Option<oxrdf::NamedNode> {
            let Some(index) = slot(text) else {
                return Some(oxrdf::NamedNode::new_unchecked(text));
            };
            let value = strings.get(index)?;
            let kept_as_is = value.starts_with("https://")
                || value.starts_with("http://")
                || (self.compact_schemes_safe
                    && (value.starts_with("urn:") || value.starts_with("did:")));
            let node = kept_as_is.then(|| oxrdf::NamedNode::new(*value).ok()).flatten();
            if node.is_none() {
                unsafe_slots.borrow_mut().push(index);
            }
            node
        };
        let subject = |subject: &oxrdf::Subject| -> Option<oxrdf::Subject> {
            match subject {
                oxrdf::Subject::NamedNode(node) => Some(iri(node.as_str())?.into()),
                blank => Some(blank.clone()),
            }
        };
        let object = |object: &oxrdf::Term| -> Option<oxrdf::Term> {
            match object {
                oxrdf::Term::NamedNode(node) => Some(iri(node.as_str())?.into()),
                oxrdf::Term::Literal(literal) => {
                    let value = match slot(literal.value()) {
                        Some(index) => strings.get(index)?,
                        None => literal.value(),
                    };
                    Some(
                        match literal.language() {
                            Some(language) => {
                                oxrdf::Literal::new_language_tagged_literal_unchecked(
                                    value, language,
                                )
                            }
                            None => oxrdf::Literal::new_typed_literal(value, literal.datatype()),
                        }
                        .into(),
                    )
                }
                other => Some(other.clone()),
            }
        };
        let graph = |graph: &oxrdf::GraphName| -> Option<oxrdf::GraphName> {
            match graph {
                oxrdf::GraphName::NamedNode(node) => Some(iri(node.as_str())?.into()),
                other => Some(other.clone()),
            }
        };
        // Every quad is filled, even past a refused string, so that all are reported at once.
        let quads: Vec<Option<oxrdf::Quad>> = self
            .quads
            .iter()
            .map(|quad| {
                let (subject, predicate) = (subject(&quad.subject), iri(quad.predicate.as_str()));
                let (object, graph) = (object(&quad.object), graph(&quad.graph_name));
                Some(oxrdf::Quad::new(subject?, predicate?, object?, graph?))
            })
            .collect();
        quads.into_iter().collect::<Option<Vec<_>>>().ok_or_else(|| unsafe_slots.into_inner())
    }
}

/// The marker number in `text`, when `text` is a whole marker.
fn slot(text: &str) -> Option<usize> {
    text.strip_prefix(MARKER)?.parse().ok()
}

enum Term<'a> {
    Iri(&'a str),
    Literal(&'a str, &'a str),
    Blank,
}

fn terms(quad: &oxrdf::Quad) -> [Term<'_>; 4] {
    let subject = match &quad.subject {
        oxrdf::Subject::NamedNode(named) => Term::Iri(named.as_str()),
        _ => Term::Blank,
    };
    let object = match &quad.object {
        oxrdf::Term::NamedNode(named) => Term::Iri(named.as_str()),
        oxrdf::Term::Literal(literal) => {
            Term::Literal(literal.value(), literal.datatype().as_str())
        }
        _ => Term::Blank,
    };
    let graph = match &quad.graph_name {
        oxrdf::GraphName::NamedNode(named) => Term::Iri(named.as_str()),
        _ => Term::Blank,
    };
    [subject, Term::Iri(quad.predicate.as_str()), object, graph]
}
