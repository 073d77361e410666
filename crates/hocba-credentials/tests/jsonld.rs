//! Every kind of credential Hocba issues is JSON-LD that a processor in safe mode accepts: each
//! term defined by a bundled context, each value valid. And what is not, is refused with the
//! reason, in bounded time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocba_credentials::{Bitstring, CredentialError, Registry, jsonld, status};
use serde_json::{Value, json};

#[path = "../benches/support/typical.rs"]
mod typical;

fn canonical(document: &Value) -> Result<String, CredentialError> {
    jsonld::canonical_nquads(document)
}

fn refusal(document: &Value) -> String {
    match canonical(document) {
        Err(CredentialError::NotJsonLd(reason)) => reason,
        other => panic!("expected a JSON-LD refusal, got {other:?}"),
    }
}

#[test]
fn a_certificate_expands_with_every_member_defined() {
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let certificate = Value::Object(typical::typical_certificate(&registry));
    assert_eq!(
        certificate["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    let nquads = canonical(&certificate).expect("a certificate is valid JSON-LD");
    // Every fact lands in Open Badges' or schema.org's vocabulary: none in the VC context's
    // catch-all, none in a vocabulary of Hocba's own.
    assert!(!nquads.contains("issuer-dependent#"), "{nquads}");
    assert!(!nquads.contains("hocba.gov.vn/vocab"), "{nquads}");
    let open_badges = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#";
    for term in ["licenseNumber", "endorsement", "alignment", "otherIdentifier", "resultType"] {
        assert!(nquads.contains(&format!("<{open_badges}{term}>")), "{term} is not in {nquads}");
    }
    assert!(nquads.contains("vocab.html#AchievementSubject>"), "{nquads}");
}

#[test]
fn a_status_list_credential_expands_with_every_member_defined() {
    let list = status::list_credential(
        "https://hocba.gov.vn/status-lists/1",
        "did:web:hocba.gov.vn",
        "2026-11-23T00:00:00Z",
        &Bitstring::new(131_072),
    );
    let nquads = canonical(&Value::Object(list)).expect("a status list is valid JSON-LD");
    assert!(nquads.contains("https://www.w3.org/ns/credentials/status#encodedList"), "{nquads}");
    assert!(!nquads.contains("issuer-dependent#"), "{nquads}");
}

#[test]
fn a_term_no_context_defines_is_refused() {
    let undefined = json!({
        "@context": [{ "@version": 1.1, "name": "https://schema.org/name" }],
        "name": "Trường Chính trị",
        "unheardOf": "x"
    });
    let reason = refusal(&undefined);
    assert!(reason.contains("unheardOf"), "{reason}");
}

#[test]
fn a_context_that_is_not_bundled_is_refused_without_fetching_it() {
    let foreign = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://contexts.example/v1"],
        "type": ["VerifiableCredential"]
    });
    let reason = refusal(&foreign);
    assert!(reason.contains("https://contexts.example/v1"), "{reason}");
}

#[test]
fn invalid_values_and_deep_nesting_are_refused() {
    let bad_id = json!({ "@context": ["https://www.w3.org/ns/credentials/v2"], "id": 12 });
    refusal(&bad_id);
    let mut deep = json!("leaf");
    for _ in 0..40 {
        deep = json!({ "credentialSubject": deep });
    }
    deep["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    assert!(refusal(&deep).contains("nested deeper"));
}

#[test]
fn a_presentation_of_a_secured_certificate_expands() {
    // The certificate's eddsa-jcs-2022 proof repeats the document's @context, so Hocba's
    // context is processed again inside the proof: it must not clash with itself.
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let signer = hocba_credentials::Signer::new(
        hocba_credentials::keys::generate(),
        "did:web:hocba.gov.vn#k1",
    );
    let certificate = typical::typical_certificate(&registry);
    let suites = hocba_credentials::Cryptosuite::ALL;
    let secured = hocba_credentials::certificate::secure(
        certificate,
        &signer,
        suites,
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .expect("signs");
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [secured]
    });
    canonical(&presentation).expect("a presentation of a certificate is valid JSON-LD");
}

/// Every canonical form the shape templates give equals full expansion's, for documents of one
/// shape whose strings vary in every way that matters: text that looks like markup or an IRI,
/// IRIs of every scheme, terms where IRIs go, and contexts that define `did` as a prefix.
#[test]
fn shape_templates_give_exactly_what_full_expansion_gives() {
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let base = Value::Object(typical::typical_certificate(&registry));
    let texts = [
        "Nguyễn Thị \"Thảo\"\n<b>",
        "urn:x-hocba-slot:3",
        "https://example.org/a b",
        "did:example:1",
        "relative/path",
        "assertionMethod",
        "",
        "sec:proof",
    ];
    let pointers = [
        "/name",
        "/id",
        "/issuer/id",
        "/issuer/name",
        "/credentialSubject/achievement/id",
        "/credentialSubject/achievement/humanCode",
        "/credentialSubject/achievement/creator/id",
        "/credentialSubject/activityEndDate",
        "/credentialSubject/licenseNumber",
        "/credentialSubject/result/1/value",
        "/credentialSubject/result/1/resultDescription",
        "/credentialSubject/achievement/alignment/0/targetUrl",
        "/credentialSubject/achievement/creator/otherIdentifier/0/identifier",
        "/credentialSubject/achievement/creator/endorsement/0/validUntil",
        "/credentialSubject/achievement/creator/endorsement/0/credentialSubject/id",
        "/credentialStatus/statusListCredential",
    ];
    let mut compared = 0;
    for pointer in pointers {
        for text in texts {
            let mut document = base.clone();
            *document.pointer_mut(pointer).expect("member exists") = json!(text);
            let templated = jsonld::canonical_nquads(&document);
            let expanded = jsonld::canonical_nquads_fully_expanded(&document);
            match (&templated, &expanded) {
                (Ok(templated), Ok(expanded)) => {
                    assert_eq!(templated, expanded, "{pointer}={text}")
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{pointer}={text}: {templated:?} but {expanded:?}"),
            }
            compared += 1;
        }
    }
    // A context that makes `did:` a prefix: a did in an IRI position is expanded by it.
    let mut prefixed = base.clone();
    prefixed["@context"].as_array_mut().unwrap().push(json!({ "did": "https://prefix.example/" }));
    for did in ["did:web:hocba.gov.vn", "did:key:z6Mk"] {
        prefixed["issuer"]["id"] = json!(did);
        let templated = jsonld::canonical_nquads(&prefixed).ok();
        assert_eq!(templated, jsonld::canonical_nquads_fully_expanded(&prefixed).ok(), "{did}");
    }
    assert_eq!(compared, pointers.len() * texts.len());
}
