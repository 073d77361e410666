//! An official's whole record as one signed credential: a CLR 2.0 `ClrCredential` embedding the
//! certificates in force as they were signed, verified whole (its proofs and each certificate's)
//! by the registry's verifier; read by the same people as the record, each read logged.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::completions::{completion, program_completion, setting};
use crate::helpers::{TestApp, official_body};
use crate::record::read_as_the_record_is;
use crate::signin::id_token;

/// The transcript of `official_id`, read as the operator.
pub(crate) async fn transcript(app: &TestApp, official_id: &str) -> Value {
    let uri = format!("/api/v1/officials/{official_id}/record/credential");
    let answer = app.get_as_admin(&uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.body
}

/// Posts a completion and returns its certificate number.
async fn posted(app: &TestApp, token: &str, body: &Value) -> String {
    let answer = app.post_as(token, "/api/v1/completions", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    answer.body["certificate"]["number"].as_str().unwrap().to_owned()
}

/// An official with two certificates in force and one revoked; returns the official's id and
/// the numbers of the two in force, and of the revoked one.
pub(crate) async fn an_official_with_a_record(app: &TestApp) -> (String, [String; 2], String) {
    let s = setting(app).await;
    let in_class = posted(app, &s.token, &completion(&s.class)).await;
    let spring = program_completion("QLNN-CV-2024", "2024-03-04", "2024-04-26");
    let revoked = posted(app, &s.token, &spring).await;
    app.revoke_as(&s.token, &revoked, json!({ "reason": "issued_in_error" })).await;
    let autumn = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let later = posted(app, &s.token, &autumn).await;
    (s.official["id"].as_str().unwrap().to_owned(), [in_class, later], revoked)
}

fn embedded(transcript: &Value) -> &Vec<Value> {
    transcript["credentialSubject"]["verifiableCredential"].as_array().unwrap()
}

async fn verify(app: &TestApp, body: Value) -> Value {
    let answer = app.post("/api/v1/verify", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.body
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    let checks = report["checks"].as_array().unwrap();
    checks.iter().find(|check| check["check"] == name).unwrap_or_else(|| panic!("{report:#}"))
}

async fn a_transcript_embeds_the_certificates_in_force_and_verifies_whole(app: TestApp) {
    let (official_id, numbers, revoked) = an_official_with_a_record(&app).await;
    let transcript = transcript(&app, &official_id).await;

    assert_eq!(
        transcript["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(transcript["type"], json!(["VerifiableCredential", "ClrCredential"]));
    assert_eq!(transcript["issuer"]["id"], "did:web:hocba.test");
    assert!(transcript["validFrom"].is_string());
    let status = &transcript["credentialStatus"];
    assert_eq!(status["type"], "BitstringStatusListEntry", "{status:#}");
    assert_eq!(status["statusPurpose"], "revocation");
    let suites: Vec<&Value> =
        transcript["proof"].as_array().unwrap().iter().map(|p| &p["cryptosuite"]).collect();
    assert_eq!(suites, [&json!("eddsa-rdfc-2022"), &json!("eddsa-jcs-2022")]);

    // The holder: the name, and the national ID only as a salted hash.
    let identifiers = &transcript["credentialSubject"]["identifier"];
    assert_eq!(identifiers[0]["identityHash"], "Nguyễn Văn An");
    assert_eq!(identifiers[1]["identityType"], "nationalIdentityNumber");
    assert_eq!(identifiers[1]["hashed"], true);
    assert!(!transcript.to_string().contains("001085012345"));

    // The certificates in force, each exactly as the registry serves it, with both proofs; the
    // revoked one is not there.
    let inside: Vec<&Value> = embedded(&transcript)
        .iter()
        .map(|credential| &credential["credentialSubject"]["licenseNumber"])
        .collect();
    assert_eq!(inside, [&json!(numbers[0]), &json!(numbers[1])]);
    assert!(!transcript.to_string().contains(&revoked));
    for (credential, number) in embedded(&transcript).iter().zip(&numbers) {
        let served = app.get(&format!("/api/v1/certificates/{number}/credential")).await;
        assert_eq!(credential, &served.body);
    }

    // Verified whole: its proofs, then each certificate's, and the holder's number matches.
    let report =
        verify(&app, json!({ "credential": transcript, "national_id": "001085012345" })).await;
    assert_eq!(report["verified"], true, "{report:#}");
    assert_eq!(report["holder_match"], true);
    for name in [
        "proof eddsa-rdfc-2022",
        "proof eddsa-jcs-2022",
        "status",
        "credentialSubject.verifiableCredential[0] proof eddsa-rdfc-2022",
        "credentialSubject.verifiableCredential[0] proof eddsa-jcs-2022",
        "credentialSubject.verifiableCredential[1] proof eddsa-rdfc-2022",
        "credentialSubject.verifiableCredential[1] accreditation",
        "credentialSubject.verifiableCredential[1] status",
    ] {
        assert_eq!(check(&report, name)["passed"], true, "{name}: {report:#}");
    }
    let report =
        verify(&app, json!({ "credential": transcript, "national_id": "001085054321" })).await;
    assert_eq!(report["holder_match"], false);

    let mut tampered = transcript.clone();
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][1]["value"] =
        json!("400");
    let report = verify(&app, json!({ "credential": tampered })).await;
    assert_eq!(report["verified"], false);
    assert_eq!(check(&report, "proof eddsa-rdfc-2022")["passed"], false, "{report:#}");
    let inner = "credentialSubject.verifiableCredential[0] proof eddsa-jcs-2022";
    assert_eq!(check(&report, inner)["passed"], false, "{report:#}");
}

async fn a_transcript_is_kept_and_a_new_one_is_issued_when_the_record_changes(app: TestApp) {
    let (official_id, numbers, _) = an_official_with_a_record(&app).await;
    let first = transcript(&app, &official_id).await;
    // Nothing changed: the same transcript, to the byte.
    assert_eq!(transcript(&app, &official_id).await, first);

    app.revoke(&numbers[0], json!({ "reason": "fraud", "note": "forged attendance" })).await;
    let second = transcript(&app, &official_id).await;
    assert_ne!(second["id"], first["id"]);
    assert_ne!(second["credentialStatus"], first["credentialStatus"]);
    assert_eq!(embedded(&second).len(), 1);
    assert_eq!(embedded(&second)[0]["credentialSubject"]["licenseNumber"], numbers[1].as_str());

    // The first transcript still verifies as a signed document, but says that a certificate
    // inside it has been revoked since.
    let report = verify(&app, json!({ "credential": first })).await;
    assert_eq!(report["verified"], false);
    assert_eq!(check(&report, "proof eddsa-rdfc-2022")["passed"], true, "{report:#}");
    assert_eq!(check(&report, "status")["passed"], true, "{report:#}");
    let inner = check(&report, "credentialSubject.verifiableCredential[0] status");
    assert_eq!(inner["passed"], false, "{report:#}");
    assert!(inner["reason"].as_str().unwrap().contains("fraud"), "{report:#}");

    // Each issuance is on the audit trail, with the status slot it holds.
    let trail = app.store.audit_trail("official", &official_id).await.unwrap();
    let issued: Vec<&Value> = trail
        .iter()
        .filter(|event| event.action == "transcript.issued")
        .map(|event| &event.details["transcript_id"])
        .collect();
    let ids = [&first["id"], &second["id"]].map(|id| json!(id.as_str().unwrap()[9..]));
    assert_eq!(issued, [&ids[0], &ids[1]]);
    assert_eq!(app.store.verify_audit_chain().await.unwrap().first_broken, None);
}

async fn the_transcript_is_read_as_the_record_is_and_each_read_is_logged(app: TestApp) {
    let s = setting(&app).await;
    posted(&app, &s.token, &completion(&s.class)).await;
    read_as_the_record_is(&app, &s, "/record/credential", |answer| {
        assert_eq!(answer.content_type, "application/json");
        assert_eq!(embedded(&answer.body).len(), 1);
    })
    .await;
    // The official reads their own transcript and nobody else's.
    let other = app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let others = format!("/api/v1/officials/{}/record/credential", other["id"].as_str().unwrap());
    app.request(Method::GET, &others, Some(&id_token("001085012345")), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // Someone with no certificate in force has no transcript to sign.
    app.get_as_admin(&others).await.assert_problem(StatusCode::CONFLICT, "no-certificates");
}

on_both_backends!(
    a_transcript_embeds_the_certificates_in_force_and_verifies_whole,
    a_transcript_is_kept_and_a_new_one_is_issued_when_the_record_changes,
    the_transcript_is_read_as_the_record_is_and_each_read_is_logged,
);
