//! The rules of the VC Data Model 2.0 that an issuer must enforce itself: with JCS proofs no
//! JSON-LD processor stands between a caller's JSON and our signature.

use serde_json::{Map, Value};
use time::PrimitiveDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::contexts::{VC_V1, VC_V2};

/// Whether a document is a VC Data Model 1.1 credential (its first context is the 1.1 one).
pub fn is_v1(document: &Map<String, Value>) -> bool {
    let first = match document.get("@context") {
        Some(Value::Array(contexts)) => contexts.first(),
        other => other,
    };
    first.and_then(Value::as_str) == Some(VC_V1)
}

/// A broken data-model rule: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct ModelViolation {
    /// JSON path of the offending member.
    pub path: String,
    /// The rule, in words.
    pub rule: &'static str,
}

fn violation(path: impl Into<String>, rule: &'static str) -> ModelViolation {
    ModelViolation { path: path.into(), rule }
}

/// Checks a credential (with or without proof) against the data model.
pub fn check_credential(credential: &Map<String, Value>) -> Result<(), ModelViolation> {
    if is_v1(credential) {
        return check_v1_credential(credential);
    }
    check_context(credential)?;
    check_types(credential, "VerifiableCredential")?;
    if let Some(id) = credential.get("id") {
        check_url(id, "id")?;
    }
    match credential.get("issuer") {
        Some(issuer @ Value::String(_)) => check_url(issuer, "issuer")?,
        Some(Value::Object(issuer)) => {
            check_url(issuer.get("id").unwrap_or(&Value::Null), "issuer.id")?
        }
        _ => return Err(violation("issuer", "must be a URL or an object with a URL id")),
    }
    let subjects = as_list(credential.get("credentialSubject"));
    let subjects_ok = !subjects.is_empty()
        && subjects.iter().all(|subject| subject.as_object().is_some_and(|s| !s.is_empty()));
    if !subjects_ok {
        return Err(violation("credentialSubject", "must be one or more non-empty objects"));
    }
    for subject in subjects {
        if let Some(id) = subject.get("id") {
            check_url(id, "credentialSubject.id")?;
        }
    }
    check_language_strings(credential, "")?;
    if let Some(Value::Object(issuer)) = credential.get("issuer") {
        check_language_strings(issuer, "issuer.")?;
    }
    for (index, schema) in as_list(credential.get("credentialSchema")).iter().enumerate() {
        check_url(
            schema.get("id").unwrap_or(&Value::Null),
            &format!("credentialSchema[{index}].id"),
        )?;
    }
    check_status_entries(credential)?;
    let valid_from = date_time(credential, "validFrom")?;
    let valid_until = date_time(credential, "validUntil")?;
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && from > until
    {
        return Err(violation("validUntil", "must not be before validFrom"));
    }
    for member in
        ["credentialStatus", "credentialSchema", "refreshService", "termsOfUse", "evidence"]
    {
        for (index, entry) in as_list(credential.get(member)).iter().enumerate() {
            let typed = entry
                .as_object()
                .and_then(|entry| entry.get("type"))
                .is_some_and(|types| as_list(Some(types)).iter().all(is_type_name));
            if !typed {
                return Err(violation(
                    format!("{member}[{index}]"),
                    "must be an object with a type",
                ));
            }
            if let Some(id) = entry.get("id") {
                check_url(id, member)?;
            }
        }
    }
    check_related_resources(credential)
}

/// The VC Data Model 1.1 rules: its required members, with `issuanceDate` instead of
/// `validFrom`.
fn check_v1_credential(credential: &Map<String, Value>) -> Result<(), ModelViolation> {
    check_types(credential, "VerifiableCredential")?;
    match credential.get("issuer") {
        Some(issuer @ Value::String(_)) => check_url(issuer, "issuer")?,
        Some(Value::Object(issuer)) => {
            check_url(issuer.get("id").unwrap_or(&Value::Null), "issuer.id")?
        }
        _ => return Err(violation("issuer", "must be a URL or an object with a URL id")),
    }
    if date_time(credential, "issuanceDate")?.is_none() {
        return Err(violation("issuanceDate", "is required in a VC 1.1 credential"));
    }
    date_time(credential, "expirationDate")?;
    let subjects = as_list(credential.get("credentialSubject"));
    if subjects.is_empty() || !subjects.iter().all(|subject| subject.is_object()) {
        return Err(violation("credentialSubject", "must be one or more objects"));
    }
    Ok(())
}

/// Checks a presentation's own members (its credentials are checked one by one).
pub fn check_presentation(presentation: &Map<String, Value>) -> Result<(), ModelViolation> {
    check_context(presentation)?;
    check_types(presentation, "VerifiablePresentation")?;
    if let Some(id) = presentation.get("id") {
        check_url(id, "id")?;
    }
    if let Some(holder) = presentation.get("holder") {
        let id = holder.as_object().and_then(|holder| holder.get("id")).unwrap_or(holder);
        check_url(id, "holder")?;
    }
    Ok(())
}

/// Terms of the VC 2.0 context, which it protects: no later context may redefine them.
const PROTECTED_TERMS: &[&str] = &[
    "id",
    "type",
    "VerifiableCredential",
    "VerifiablePresentation",
    "EnvelopedVerifiableCredential",
    "credentialSubject",
    "issuer",
    "holder",
    "validFrom",
    "validUntil",
    "credentialStatus",
    "credentialSchema",
    "evidence",
    "termsOfUse",
    "refreshService",
    "relatedResource",
    "proof",
    "name",
    "description",
    "verifiableCredential",
    "digestSRI",
    "digestMultibase",
];

/// Inline contexts may add terms, mapped to URLs, but not redefine protected ones. (A JSON-LD
/// processor would catch both; with JCS proofs there is none, so the issuer must.)
fn check_inline_contexts(contexts: &[Value]) -> Result<(), ModelViolation> {
    let mut protected: Vec<&str> = PROTECTED_TERMS.to_vec();
    for (index, context) in contexts.iter().enumerate().skip(1) {
        let Value::Object(definitions) = context else { continue };
        let path = format!("@context[{index}]");
        for (term, definition) in definitions {
            if term.starts_with('@') {
                continue;
            }
            if protected.contains(&term.as_str()) {
                return Err(violation(path, "redefines a protected term"));
            }
            let iri = match definition {
                Value::Object(expanded) => expanded.get("@id").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            if !(is_url(&iri) || iri.as_str().is_some_and(|i| i.starts_with('@'))) {
                return Err(violation(path, "maps a term to something that is not a URL"));
            }
        }
        if definitions.get("@protected") == Some(&Value::Bool(true)) {
            protected
                .extend(definitions.keys().map(String::as_str).filter(|t| !t.starts_with('@')));
        }
    }
    Ok(())
}

/// `name` and `description`: a string, or language value objects (`@value`, `@language`,
/// `@direction` and nothing else).
fn check_language_strings(object: &Map<String, Value>, prefix: &str) -> Result<(), ModelViolation> {
    for member in ["name", "description"] {
        for value in as_list(object.get(member)) {
            let ok = match value {
                Value::String(_) => true,
                Value::Object(language) => {
                    language.get("@value").is_some_and(Value::is_string)
                        && language
                            .keys()
                            .all(|k| matches!(k.as_str(), "@value" | "@language" | "@direction"))
                }
                _ => false,
            };
            if !ok {
                return Err(violation(
                    format!("{prefix}{member}"),
                    "must be a string or a language value object",
                ));
            }
        }
    }
    Ok(())
}

/// A `BitstringStatusListEntry` wherever it appears must be well formed (Bitstring Status List
/// v1.0 §2.1): an index as a decimal string, a purpose, the list's URL.
fn check_status_entries(credential: &Map<String, Value>) -> Result<(), ModelViolation> {
    for (member, value) in credential {
        for entry in as_list(Some(value)) {
            let Some(entry) = entry.as_object() else { continue };
            if entry.get("type").and_then(Value::as_str) != Some("BitstringStatusListEntry") {
                continue;
            }
            let index_ok = entry
                .get("statusListIndex")
                .and_then(Value::as_str)
                .is_some_and(|index| index.parse::<u64>().is_ok_and(|n| n.to_string() == index));
            let purpose_ok = entry.get("statusPurpose").is_some_and(Value::is_string);
            let list_ok = entry.get("statusListCredential").is_some_and(is_url);
            if !(index_ok && purpose_ok && list_ok) {
                return Err(violation(
                    member.as_str(),
                    "a BitstringStatusListEntry needs statusListIndex (a decimal string), statusPurpose and a statusListCredential URL",
                ));
            }
        }
    }
    Ok(())
}

/// A type is a term or a URL: a string without spaces.
fn is_type_name(value: &Value) -> bool {
    value.as_str().is_some_and(|name| !name.is_empty() && !name.chars().any(char::is_whitespace))
}

fn check_context(document: &Map<String, Value>) -> Result<(), ModelViolation> {
    let Some(Value::Array(contexts)) = document.get("@context") else {
        return Err(violation("@context", "must be an array"));
    };
    if contexts.first().and_then(Value::as_str) != Some(VC_V2) {
        return Err(violation("@context[0]", "must be https://www.w3.org/ns/credentials/v2"));
    }
    for (index, context) in contexts.iter().enumerate() {
        let ok = match context {
            Value::String(_) => is_url(context),
            Value::Object(_) => true,
            _ => false,
        };
        if !ok {
            return Err(violation(format!("@context[{index}]"), "must be a URL or an object"));
        }
    }
    check_inline_contexts(contexts)
}

fn check_types(document: &Map<String, Value>, required: &str) -> Result<(), ModelViolation> {
    let types = as_list(document.get("type"));
    if !types.iter().all(is_type_name) || !types.iter().any(|t| t.as_str() == Some(required)) {
        return Err(violation(
            "type",
            match required {
                "VerifiableCredential" => "must include VerifiableCredential",
                _ => "must include VerifiablePresentation",
            },
        ));
    }
    Ok(())
}

fn check_related_resources(credential: &Map<String, Value>) -> Result<(), ModelViolation> {
    let mut seen = Vec::new();
    for (index, resource) in as_list(credential.get("relatedResource")).iter().enumerate() {
        let path = format!("relatedResource[{index}]");
        let Some(resource) = resource.as_object() else {
            return Err(violation(path, "must be an object"));
        };
        let id = resource.get("id").filter(|id| is_url(id));
        let Some(id) = id else { return Err(violation(path, "must have a URL id")) };
        if seen.contains(&id) {
            return Err(violation(path, "id must be unique"));
        }
        seen.push(id);
        if !resource.contains_key("digestSRI") && !resource.contains_key("digestMultibase") {
            return Err(violation(path, "must have digestSRI or digestMultibase"));
        }
    }
    Ok(())
}

/// A member that may hold one value or a list of them (`type`, `proof`, `credentialSubject`…),
/// as a list.
pub(crate) fn as_list(value: Option<&Value>) -> &[Value] {
    match value {
        None => &[],
        Some(Value::Array(values)) => values,
        Some(value) => std::slice::from_ref(value),
    }
}

/// A URL or URN in the RFC 3986 sense: a scheme, a colon, no spaces.
fn is_url(value: &Value) -> bool {
    let Some(text) = value.as_str() else { return false };
    let Some((scheme, rest)) = text.split_once(':') else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !text.chars().any(char::is_whitespace)
}

fn check_url(value: &Value, path: &str) -> Result<(), ModelViolation> {
    if is_url(value) { Ok(()) } else { Err(violation(path, "must be a URL")) }
}

fn date_time(
    credential: &Map<String, Value>,
    member: &str,
) -> Result<Option<time::OffsetDateTime>, ModelViolation> {
    credential
        .get(member)
        .map(|value| {
            value.as_str().and_then(parse_date_time).ok_or_else(|| {
                violation(member, "must be an XML Schema dateTime (2026-01-31T08:00:00Z)")
            })
        })
        .transpose()
}

/// An XML Schema `dateTimeStamp` or `dateTime` (a missing offset is read as UTC).
pub fn parse_date_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let local = format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, local).ok().map(PrimitiveDateTime::assume_utc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_vc_1_1_credential_needs_its_issuance_date() {
        let mut v1 = json!({
            "@context": [VC_V1],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": { "id": "did:example:subject" }
        });
        let missing = check_credential(v1.as_object().expect("object")).expect_err("no date");
        assert_eq!(missing.path, "issuanceDate");
        v1["issuanceDate"] = json!("2020-03-16T22:37:26.544Z");
        check_credential(v1.as_object().expect("object")).expect("a valid VC 1.1 credential");
    }

    fn minimal() -> Map<String, Value> {
        json!({
            "@context": [VC_V2, "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject"},
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn a_minimal_credential_passes() {
        assert_eq!(check_credential(&minimal()), Ok(()));
    }

    #[test]
    fn each_rule_names_the_member_it_broke() {
        let cases: [(&str, Value, &str); 15] = [
            (
                "@context",
                json!([VC_V2, {"VerifiableCredential": "https://e.example/#x"}]),
                "@context[1]",
            ),
            ("@context", json!([VC_V2, {"Example": "https ://not-a-url"}]), "@context[1]"),
            (
                "credentialSubject",
                json!({"id": ["did:example:1", "did:example:2"]}),
                "credentialSubject.id",
            ),
            ("name", json!({"@value": "x", "url": "did:example:x"}), "name"),
            ("credentialSchema", json!({"type": "JsonSchema"}), "credentialSchema[0].id"),
            (
                "credentialStatus",
                json!({"type": "BitstringStatusListEntry", "statusListIndex": "007", "statusPurpose": "revocation", "statusListCredential": "https://s.example/1"}),
                "credentialStatus",
            ),
            ("@context", json!(["https://www.w3.org/ns/credentials/examples/v2"]), "@context[0]"),
            ("@context", json!([VC_V2, 3]), "@context[1]"),
            ("type", json!(["Degree"]), "type"),
            ("issuer", json!({"name": "no id"}), "issuer.id"),
            ("id", json!("not a url"), "id"),
            ("credentialSubject", json!({}), "credentialSubject"),
            ("validFrom", json!("yesterday"), "validFrom"),
            ("credentialStatus", json!({"id": "urn:x:1"}), "credentialStatus[0]"),
            ("relatedResource", json!([{"id": "https://a.example"}]), "relatedResource[0]"),
        ];
        for (member, value, path) in cases {
            let mut credential = minimal();
            credential.insert(member.into(), value);
            let error = check_credential(&credential).expect_err(member);
            assert_eq!(error.path, path);
        }
    }

    #[test]
    fn a_protected_term_cannot_be_redefined_by_a_later_context() {
        let mut credential = minimal();
        credential.insert(
            "@context".into(),
            json!([VC_V2, {"@protected": true, "Ex": "https://e.example/#a"}, {"Ex": "https://e.example/#b"}]),
        );
        assert_eq!(check_credential(&credential).map_err(|e| e.path), Err("@context[2]".into()));
    }

    #[test]
    fn validity_must_be_in_order() {
        let mut credential = minimal();
        credential.insert("validFrom".into(), json!("2026-01-02T00:00:00Z"));
        credential.insert("validUntil".into(), json!("2026-01-01T00:00:00Z"));
        assert_eq!(check_credential(&credential).map_err(|e| e.path), Err("validUntil".into()));
    }
}
