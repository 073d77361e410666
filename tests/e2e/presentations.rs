//! An HR system sends `/presentations/verify` the certificates a candidate handed in, as an
//! unsigned presentation (the VC API's `presentation` member): each certificate is verified, and
//! the answer says that nobody's holder proof was checked.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::TestApp;

const NO_HOLDER_PROOF: &str = "no holder proof was checked";

fn unsigned(credentials: &[&Value]) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials
    })
}

fn warned(answer: &Value) -> bool {
    let warnings = answer["warnings"].as_array().unwrap();
    warnings.iter().any(|warning| warning.as_str().unwrap().starts_with(NO_HOLDER_PROOF))
}

async fn an_unsigned_presentation_has_each_credential_verified_and_says_no_holder_proof(
    app: TestApp,
) {
    let (_, certificate) = certified(&app).await;
    let good = certificate["credential"].clone();
    let mut tampered = good.clone();
    tampered["credentialSubject"]["result"][1]["value"] = json!("400");

    let answer =
        app.post("/presentations/verify", &json!({ "presentation": unsigned(&[&good]) })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.body["verified"], true);
    assert!(warned(&answer.body), "{:#}", answer.body);
    let checks: Vec<&str> =
        answer.body["checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for check in ["verifiableCredential[0] proof eddsa-rdfc-2022", "verifiableCredential[0] status"]
    {
        assert!(checks.contains(&check), "{check} missing from {checks:?}");
    }
    assert!(!checks.contains(&"holder"), "{checks:?}");

    // The good one still passes beside a tampered one; the tampered one is what fails.
    let body = json!({ "presentation": unsigned(&[&good, &tampered]) });
    let answer = app.post("/presentations/verify", &body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", answer.body);
    assert_eq!(answer.body["verified"], false);
    assert!(warned(&answer.body), "{:#}", answer.body);
    let failed: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["check"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"verifiableCredential[1] proof eddsa-rdfc-2022"), "{failed:?}");
    assert!(failed.iter().all(|check| check.starts_with("verifiableCredential[1] ")), "{failed:?}");
    let checks = answer.body["checks"].as_array().unwrap();
    assert!(checks.contains(&json!("verifiableCredential[0] proof eddsa-rdfc-2022")));

    // Nothing to verify, or a proof where none belongs: refused, not passed.
    let empty = app.post("/presentations/verify", &json!({ "presentation": unsigned(&[]) })).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", empty.body);
    assert_eq!(empty.body["errors"][0]["check"], "verifiableCredential");
    let mut with_proof = unsigned(&[&good]);
    with_proof["proof"] = good["proof"].clone();
    let answer = app.post("/presentations/verify", &json!({ "presentation": with_proof })).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", answer.body);
    assert_eq!(answer.body["errors"][0]["check"], "proof");
}

async fn a_presentation_request_names_what_is_wrong_with_its_shape(app: TestApp) {
    let presentation = unsigned(&[]);
    for (body, field) in [
        (json!({ "presentation": presentation, "options": { "challenge": "c-1" } }), "options"),
        (
            json!({ "presentation": presentation, "verifiablePresentation": presentation }),
            "verifiablePresentation",
        ),
        (json!({}), "verifiablePresentation"),
        (json!({ "presentations": presentation }), "presentations"),
    ] {
        let answer = app.post("/presentations/verify", &body).await;
        assert!(answer.status.is_client_error(), "{body}: {:#}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.problem_fields(), [field], "{body}: {:#}", answer.body);
    }
    let answer = app.post("/presentations/verify", &json!({ "presentation": "a VP" })).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", answer.body);
    assert_eq!(answer.problem_fields(), ["presentation"]);
}

on_both_backends!(
    an_unsigned_presentation_has_each_credential_verified_and_says_no_holder_proof,
    a_presentation_request_names_what_is_wrong_with_its_shape,
);
