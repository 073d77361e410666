//! Verification answered again from a kept verdict: HR systems ask about the same certificates
//! over and over, so each server process keeps what it worked out, but only while the database
//! says nothing that verdict depends on has changed. A revocation, a supersession or a key
//! revocation shows on the very next request, whichever server process it was made through.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::TestApp;

/// The checks that failed, with their reasons: a VC API answer lists them as `errors`.
fn failed(report: &Value) -> Vec<String> {
    let checks = report["errors"].as_array().or(report["checks"].as_array()).expect("checks");
    let failed = checks.iter().filter(|check| check["passed"] == false);
    failed.map(|check| format!("{}: {}", check["check"], check["reason"])).collect()
}

async fn by_number(app: &TestApp, number: &str) -> Value {
    let answer = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.body
}

/// `POST /credentials/verify` of `credential`: its status and answer.
async fn vc_api(app: &TestApp, credential: &Value) -> (StatusCode, Value) {
    let answer =
        app.post("/credentials/verify", &json!({ "verifiableCredential": credential })).await;
    (answer.status, answer.body)
}

/// A posted certificate, asked about three times each way (by number, and its credential
/// through the VC API), valid.
struct Asked {
    number: String,
    credential: Value,
    completion_id: String,
    class: Value,
    token: String,
}

async fn verified_thrice(app: &TestApp) -> Asked {
    let s = setting(app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    let credential = posted.body["certificate"]["credential"].clone();
    asked_thrice(app, &number, &credential).await;
    let completion_id = posted.body["completion"]["id"].as_str().unwrap().to_owned();
    Asked { number, credential, completion_id, class: s.class, token: s.token }
}

async fn asked_thrice(app: &TestApp, number: &str, credential: &Value) {
    for _ in 0..3 {
        let report = by_number(app, number).await;
        assert_eq!(report["verified"], true, "{report:#}");
        let (status, answer) = vc_api(app, credential).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
    }
}

async fn a_kept_verdict_turns_revoked_at_the_next_request(app: TestApp) {
    let Asked { number, credential, .. } = verified_thrice(&app).await;
    // The holder's question is answered from the kept verdict too.
    let asked = json!({ "number": number, "national_id": "001085012345" });
    let answer = app.post("/api/v1/verify", &asked).await.body;
    assert_eq!(answer["holder_match"], true, "{answer:#}");
    let asked = json!({ "number": number, "national_id": "001085012346" });
    assert_eq!(app.post("/api/v1/verify", &asked).await.body["holder_match"], false);
    let verdicts = &app.state.verdicts;
    let served = |served: &hocba_api::Served| [served.kept(), served.fresh()];
    assert_eq!(served(&verdicts.served_by_number), [4, 1], "verified once, then kept");
    assert_eq!(served(&verdicts.served_by_bytes), [2, 1]);

    app.revoke(&number, json!({ "reason": "fraud" })).await;
    let report = by_number(&app, &number).await;
    assert_eq!(report["verified"], false);
    assert_eq!(failed(&report), [r#""status": "revoked: fraud""#], "{report:#}");
    let (status, answer) = vc_api(&app, &credential).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
    assert_eq!(failed(&answer), [r#""status": "revoked: fraud""#]);
    assert_eq!(served(&verdicts.served_by_number), [4, 2], "verified again once revoked");
    assert_eq!(served(&verdicts.served_by_bytes), [2, 2]);
}

/// Two `hocba serve` processes on one database: what is superseded or revoked through one is
/// so in the other's answers at once, though the other had the certificate's verdict at hand.
async fn a_revocation_through_another_process_is_seen_at_once(app: TestApp) {
    let other = app.second_process().await;
    let Asked { number, credential, completion_id, class, token } = verified_thrice(&app).await;
    assert_eq!(by_number(&other, &number).await["verified"], true);
    let before = app.store.verification_epoch().await.unwrap();

    // Corrected through the other process: the first certificate is revoked as superseded.
    let mut corrected = completion(&class);
    corrected["outcome"] = json!("excellent");
    let uri = format!("/api/v1/completions/{completion_id}/correct");
    let answer = other.post_as(&token, &uri, &corrected).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    assert_ne!(app.store.verification_epoch().await.unwrap(), before);
    let report = by_number(&app, &number).await;
    assert_eq!(report["verified"], false);
    assert!(failed(&report)[0].contains("revoked: superseded"), "{report:#}");
    assert_eq!(vc_api(&app, &credential).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    // Its successor, kept valid here, then revoked through the other process.
    let successor = answer.body["certificate"]["number"].as_str().unwrap();
    asked_thrice(&app, successor, &answer.body["certificate"]["credential"]).await;
    other.revoke(successor, json!({ "reason": "issued_in_error" })).await;
    let report = by_number(&app, successor).await;
    assert_eq!(failed(&report), [r#""status": "revoked: issued_in_error""#], "{report:#}");
}

/// A key declared compromised in the database (as `hocba keys` does, from another process)
/// fails what it signed at the next request, kept verdicts or not.
async fn a_key_revoked_elsewhere_fails_kept_verdicts_at_once(app: TestApp) {
    let other = app.second_process().await;
    let Asked { number, credential, .. } = verified_thrice(&app).await;
    other.revoke_first_signing_key().await;
    let report = by_number(&app, &number).await;
    assert_eq!(report["verified"], false);
    assert!(failed(&report).iter().any(|f| f.starts_with(r#""key""#)), "{report:#}");
    let (status, answer) = vc_api(&app, &credential).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(failed(&answer).iter().any(|f| f.starts_with(r#""key""#)), "{answer:#}");
}

/// A verdict is kept by the exact bytes asked about: a credential changed anywhere is verified
/// in full, and fails, however often its genuine twin was found valid.
async fn a_tampered_credential_is_never_answered_from_a_kept_verdict(app: TestApp) {
    let Asked { credential, .. } = verified_thrice(&app).await;
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Tiến sĩ");
    for _ in 0..2 {
        let (status, answer) = vc_api(&app, &tampered).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
        assert!(failed(&answer).iter().any(|f| f.starts_with(r#""proof"#)), "{answer:#}");
        let report = app.post("/api/v1/verify", &json!({ "credential": tampered })).await.body;
        assert_eq!(report["verified"], false, "{report:#}");
    }
    // The genuine one, in other bytes (another member order), is still valid.
    let reordered = json!({ "verifiableCredential": credential, "options": {} });
    let answer = app.post("/credentials/verify", &reordered).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
}

on_both_backends!(
    a_kept_verdict_turns_revoked_at_the_next_request,
    a_revocation_through_another_process_is_seen_at_once,
    a_key_revoked_elsewhere_fails_kept_verdicts_at_once,
    a_tampered_credential_is_never_answered_from_a_kept_verdict,
);
