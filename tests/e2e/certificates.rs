//! Certificates: issued for a completion, published keys, verification online, revocation.

use axum::http::StatusCode;
use hocba_store::Actor;
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{BASE_URL, TestApp};

/// An official who completed a class at an accredited school, and that completion's certificate.
pub(crate) async fn certified(app: &TestApp) -> (Value, Value) {
    let s = setting(app).await;
    let mut posted = completion(&s.class);
    posted["full_name"] = json!("nguyen van an"); // matched without diacritics or case
    posted["outcome"] = json!("good");
    posted["score"] = json!(8.25);
    let posted = app.post_as(&s.token, "/api/v1/completions", &posted).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    (s.official, posted.body["certificate"].clone())
}

async fn verify(app: &TestApp, body: Value) -> Value {
    let answer = app.post("/api/v1/verify", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.body
}

fn failed_checks(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["passed"] == false)
        .map(|check| {
            format!("{}: {}", check["check"].as_str().unwrap(), check["reason"].as_str().unwrap())
        })
        .collect()
}

async fn a_certificate_is_an_open_badge_signed_by_the_registry(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let credential = &certificate["credential"];
    let number = certificate["number"].as_str().unwrap();
    assert!(hocba_domain::CertificateNumber::parse(number).is_ok(), "{number}");
    assert_eq!(credential["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
    assert_eq!(credential["issuer"]["id"], "did:web:hocba.test");
    // Open Badges 3.0 terms alone: no context of Hocba's own (docs/hr-verification.md).
    assert_eq!(
        credential["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["licenseNumber"], number);
    let achievement = &subject["achievement"];
    assert_eq!(achievement["humanCode"], "QLNN-CV-2024");
    assert_eq!(achievement["alignment"][0]["targetCode"], "QLNN-CV");
    let code = &achievement["creator"]["otherIdentifier"][0];
    assert_eq!(
        (&code["identifierType"], &code["identifier"]),
        (&json!("ext:InstitutionCode"), &json!("TCT-HANAM"))
    );
    let days = &subject["result"][1];
    assert_eq!(days["value"], "40");
    assert!(days["resultDescription"].as_str().unwrap().ends_with("#training-days"), "{days}");
    assert_eq!(subject["result"][2]["value"], "8.25");
    assert!(subject["activityEndDate"].as_str().unwrap().ends_with("T23:59:59+07:00"));
    assert_eq!(subject["identifier"][0]["identityHash"], "Nguyễn Văn An");
    // The national ID appears only as a salted hash, which the ID card holder can recompute.
    let hashed = &subject["identifier"][1];
    assert_eq!(hashed["hashed"], true);
    let national_id = hocba_domain::NationalId::parse_format("001085012345").unwrap();
    assert_eq!(
        hashed["identityHash"],
        hocba_domain::identity_hash(&national_id, hashed["salt"].as_str().unwrap())
    );
    assert!(!credential.to_string().contains("001085012345"));
    assert!(!certificate["jws"].as_str().unwrap().contains("001085012345"));
    let status = &credential["credentialStatus"];
    assert_eq!(status["type"], "BitstringStatusListEntry");
    assert!(
        status["statusListCredential"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{BASE_URL}/status-lists/"))
    );

    for body in [
        json!({ "number": number }),
        json!({ "credential": credential }),
        json!({ "jws": certificate["jws"] }),
    ] {
        let report = verify(&app, body).await;
        assert_eq!(report["verified"], true, "{report:#}");
        assert_eq!(report["number"], number);
    }
    let lower = verify(&app, json!({ "number": number.to_lowercase() })).await;
    assert_eq!(lower["verified"], true);
}

async fn the_did_document_and_jwks_publish_the_signing_key(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let did = app.get("/.well-known/did.json").await;
    assert_eq!(did.status, StatusCode::OK);
    assert_eq!(did.content_type, "application/did+json");
    assert_eq!(did.body["id"], "did:web:hocba.test");
    let method = &did.body["verificationMethod"][0];
    assert_eq!(method["type"], "Multikey");
    assert!(method["publicKeyMultibase"].as_str().unwrap().starts_with("z6Mk"));
    let proof_method = &certificate["credential"]["proof"][0]["verificationMethod"];
    assert_eq!(&method["id"], proof_method);
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.body["keys"][0]["kty"], "OKP");
    assert_eq!(jwks.body["keys"][0]["crv"], "Ed25519");
    assert_eq!(&jwks.body["keys"][0]["kid"], proof_method);
}

async fn tampering_with_anything_fails_with_the_reason(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let original = certificate["credential"].clone();
    let both = ["proof eddsa-rdfc-2022", "proof eddsa-jcs-2022"];
    let cases: [(&str, Value, &[&str]); 7] = [
        ("/credentialSubject/identifier/0/identityHash", json!("Nguyễn Văn Ăn"), &both),
        ("/credentialSubject/result/1/value", json!("41"), &both),
        (
            "/proof/1/proofValue",
            json!(
                "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9ALWMmFdFnZ8vSjEQv9DaQH9Ja6GaoFDRN5dsdSsvTdqd"
            ),
            &["proof eddsa-jcs-2022"],
        ),
        ("/proof/0/created", json!("2020-01-01T00:00:00Z"), &["proof eddsa-rdfc-2022"]),
        ("/proof/0/cryptosuite", json!("eddsa-2022"), &["proof eddsa-2022"]),
        ("/proof/0/verificationMethod", json!("did:web:hocba.test#not-a-key"), &["key"]),
        ("/credentialStatus/statusListIndex", json!("0"), &both),
    ];
    for (path, value, checks) in cases {
        let mut tampered = original.clone();
        *tampered.pointer_mut(path).unwrap() = value;
        let report = verify(&app, json!({ "credential": tampered })).await;
        assert_eq!(report["verified"], false, "{path}: {report:#}");
        let failed = failed_checks(&report);
        for check in checks {
            assert!(failed.iter().any(|failure| failure.starts_with(check)), "{path}: {failed:?}");
        }
    }
    // A proof that names a previous proof the credential does not carry is refused.
    let mut chained = original.clone();
    chained["proof"][0]["previousProof"] = json!("urn:uuid:7a1c5e4e-0000-4000-8000-000000000000");
    let failed = failed_checks(&verify(&app, json!({ "credential": chained })).await);
    assert!(failed.iter().any(|f| f.contains("previousProof")), "{failed:?}");
    let jws = certificate["jws"].as_str().unwrap();
    let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
    // Flip one character in the middle of the signature (the last one holds padding bits).
    let flipped = if parts[2].as_bytes()[10] == b'A' { "B" } else { "A" };
    parts[2].replace_range(10..11, flipped);
    let report = verify(&app, json!({ "jws": parts.join(".") })).await;
    assert_eq!(report["verified"], false);
}

async fn a_revoked_certificate_fails_with_its_reason_and_shows_in_the_status_list(app: TestApp) {
    let (official, certificate) = certified(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let unauthenticated = app
        .request(
            axum::http::Method::POST,
            &format!("/api/v1/certificates/{number}/revoke"),
            None,
            Some(axum::body::Body::from(json!({ "reason": "fraud" }).to_string())),
        )
        .await;
    unauthenticated.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let revoked = app
        .post(
            &format!("/api/v1/certificates/{number}/revoke"),
            &json!({ "reason": "issued_in_error", "note": "wrong person" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    let again = app
        .post(&format!("/api/v1/certificates/{number}/revoke"), &json!({ "reason": "fraud" }))
        .await;
    again.assert_problem(StatusCode::CONFLICT, "already-exists");

    let report = verify(&app, json!({ "number": number })).await;
    assert_eq!(report["verified"], false);
    assert_eq!(failed_checks(&report), ["status: revoked: issued_in_error (wrong person)"]);

    // The public list carries the bit, signed, so offline verifiers see it too.
    let entry = &certificate["credential"]["credentialStatus"];
    let list_url = entry["statusListCredential"].as_str().unwrap();
    let list = app.get(list_url.strip_prefix(BASE_URL).unwrap()).await;
    assert_eq!(list.status, StatusCode::OK);
    let list_credential = list.body.as_object().unwrap().clone();
    let bits = hocba_credentials::status::bits_of(&list_credential).unwrap();
    let index: usize = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
    assert_eq!(bits.get(index), Some(true));
    assert_eq!((0..bits.len()).filter(|i| bits.get(*i) == Some(true)).count(), 1);
    let list_report = verify(&app, json!({ "credential": list.body })).await;
    assert_eq!(list_report["verified"], true, "{list_report:#}");

    // Revocation is a new fact: the certificate stays listed, marked revoked.
    let listed = app
        .get_as_admin(&format!(
            "/api/v1/officials/{}/certificates",
            official["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed.body[0]["status"], "revoked");
    assert_eq!(listed.body[0]["revocation"]["reason"], "issued_in_error");
    let reads = app
        .get_as_admin(&format!("/api/v1/officials/{}/reads", official["id"].as_str().unwrap()))
        .await;
    assert!(
        reads.body.to_string().contains("/api/v1/officials/{id}/certificates"),
        "{:#}",
        reads.body
    );
}

async fn one_live_certificate_per_completion_and_unique_status_slots(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let again = app
        .post("/api/v1/certificates", &json!({ "completion_id": certificate["completion_id"] }))
        .await;
    again.assert_problem(StatusCode::CONFLICT, "already-exists");
    let number = certificate["number"].as_str().unwrap();
    app.post(&format!("/api/v1/certificates/{number}/revoke"), &json!({ "reason": "superseded" }))
        .await;
    let reissued = app
        .post("/api/v1/certificates", &json!({ "completion_id": certificate["completion_id"] }))
        .await;
    assert_eq!(reissued.status, StatusCode::CREATED);
    assert_ne!(reissued.body["number"], certificate["number"]);
    let slot = |c: &Value| c["credential"]["credentialStatus"]["id"].clone();
    assert_ne!(slot(&reissued.body), slot(&certificate));
}

async fn a_retired_key_signs_nothing_new_and_a_revoked_key_fails_what_it_signed(app: TestApp) {
    let (_, first) = certified(&app).await;
    let old_kid = app.store.signing_keys().await.unwrap()[0].kid.clone();
    app.authority.rotate(&app.store, &Actor::System).await.unwrap();
    let keys = app.get("/api/v1/keys").await.body;
    assert_eq!(keys[0]["status"], "retired");
    assert_eq!(keys[1]["status"], "active");
    // Signed before the rotation: still verifies.
    let report = verify(&app, json!({ "number": first["number"] })).await;
    assert_eq!(report["verified"], true, "{report:#}");

    app.store
        .set_signing_key_status(
            &Actor::System,
            &old_kid,
            hocba_domain::KeyStatus::Revoked,
            Some("leaked"),
        )
        .await
        .unwrap();
    let report = verify(&app, json!({ "credential": first["credential"] })).await;
    assert_eq!(report["verified"], false);
    assert!(
        failed_checks(&report).iter().any(|f| f.starts_with("key: key") && f.contains("revoked")),
        "{report:#}"
    );
    let did = app.get("/.well-known/did.json").await.body;
    assert!(did["verificationMethod"][0]["revoked"].is_string());
    assert_eq!(did["assertionMethod"].as_array().unwrap().len(), 1);
}

async fn the_vc_api_issues_with_did_key_and_verifies(app: TestApp) {
    let active = app.get("/api/v1/keys/active").await.body;
    let did_key = active["did_key"].as_str().unwrap();
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:0b9f9e4c-1c1a-4c62-9d6f-0c6f8d1c2a11",
        "type": ["VerifiableCredential"],
        "issuer": did_key,
        "credentialSubject": { "id": "did:example:alice", "name": "Alice" }
    });
    let issued =
        app.post("/credentials/issue", &json!({ "credential": credential, "options": {} })).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:#}", issued.body);
    let vc = &issued.body["verifiableCredential"];
    for proof in vc["proof"].as_array().unwrap() {
        let method = proof["verificationMethod"].as_str().unwrap();
        assert!(method.starts_with(&format!("{did_key}#z6Mk")), "{method}");
    }
    // A caller may ask for one suite, as a conformance suite registers one issuer per suite.
    let options = json!({ "cryptosuites": ["eddsa-rdfc-2022"] });
    let request = json!({ "credential": credential, "options": options });
    let rdfc_only = app.post("/credentials/issue", &request).await.body;
    assert_eq!(rdfc_only["verifiableCredential"]["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    let verified = app
        .post(
            "/credentials/verify",
            &json!({ "verifiableCredential": vc, "options": { "checks": ["proof"] } }),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{:#}", verified.body);
    assert_eq!(verified.body["verified"], true);

    let mut tampered = vc.clone();
    tampered["credentialSubject"]["name"] = json!("Mallory");
    let refused =
        app.post("/credentials/verify", &json!({ "verifiableCredential": tampered })).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["verified"], false);

    let mut invalid = credential.clone();
    invalid["@context"] = json!(["https://www.w3.org/ns/credentials/examples/v2"]);
    let rejected = app.post("/credentials/issue", &json!({ "credential": invalid })).await;
    rejected.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "credential-invalid");
    assert_eq!(rejected.problem_fields(), ["@context[0]"]);
    // A VC 1.1 credential, as other implementations still send: the Data Integrity context is
    // added so that the proof's terms are defined, and it verifies.
    let v1 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": did_key,
        "issuanceDate": "2020-03-16T22:37:26.544Z",
        "credentialSubject": { "id": "did:example:alice" }
    });
    let request = json!({ "credential": v1, "options": options });
    let v1 = app.post("/credentials/issue", &request).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{:#}", v1.body);
    let v1 = &v1.body["verifiableCredential"];
    assert_eq!(v1["@context"][1], "https://w3id.org/security/data-integrity/v2");
    let answer = app.post("/credentials/verify", &json!({ "verifiableCredential": v1 })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);

    // A term no context defines cannot be covered by an eddsa-rdfc-2022 proof.
    let mut undefined = credential.clone();
    undefined["@context"] = json!(["https://www.w3.org/ns/credentials/v2", {
        "@protected": true, "alumniOf": "https://schema.org/alumniOf"
    }]);
    undefined["credentialSubject"]["alumniOf"] = json!({ "unheardOf": "x" });
    let refused = app.post("/credentials/issue", &json!({ "credential": undefined })).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "credential-not-json-ld");
    assert!(refused.body["errors"][0]["reason"].as_str().unwrap().contains("unheardOf"));
    let foreign = app
        .post("/credentials/issue", &json!({ "credential": json!({"issuer": "did:example:x"}) }))
        .await;
    assert_eq!(foreign.problem_fields(), ["issuer"]);
    let anonymous = app
        .request(
            axum::http::Method::POST,
            "/credentials/issue",
            None,
            Some(axum::body::Body::from(json!({ "credential": credential }).to_string())),
        )
        .await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn a_certificate_states_the_accreditation_that_covered_the_completion(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let credential = &certificate["credential"];
    let endorsement = &credential["credentialSubject"]["achievement"]["creator"]["endorsement"][0];
    assert_eq!(endorsement["type"], json!(["VerifiableCredential", "EndorsementCredential"]));
    assert_eq!(endorsement["issuer"]["id"], credential["issuer"]["id"]);
    assert_eq!(endorsement["credentialSubject"]["alignment"][0]["targetCode"], "QLNN-CV");
    assert_eq!(endorsement["validFrom"], "2020-01-01T00:00:00+07:00");
    let report = verify(&app, json!({ "credential": credential })).await;
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["check"] == "accreditation")
        .expect("an accreditation check");
    assert_eq!(check["passed"], true, "{report:#}");

    // Signed by the registry itself, yet stating an accreditation that had lapsed on the
    // completion date: the signature holds and the accreditation check fails.
    let mut lapsed = credential.clone();
    let unsigned = lapsed.as_object_mut().unwrap();
    unsigned.remove("proof");
    unsigned["id"] = json!("urn:uuid:7d0e7c3a-5f0e-4a43-9d3a-54f1b2a9c001");
    let creator = &mut unsigned["credentialSubject"]["achievement"]["creator"];
    creator["endorsement"][0]["validUntil"] = json!("2021-12-31T23:59:59+07:00");
    let issued = app.post("/credentials/issue", &json!({ "credential": lapsed })).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:#}", issued.body);
    let report = verify(&app, json!({ "credential": issued.body["verifiableCredential"] })).await;
    let failed = failed_checks(&report);
    assert_eq!(failed.len(), 1, "{report:#}");
    assert!(failed[0].starts_with("accreditation: "), "{failed:?}");
    assert!(failed[0].contains("not accredited for QLNN-CV"), "{failed:?}");
}

async fn concurrent_writers_never_share_a_status_slot(app: TestApp) {
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let store = app.store.clone();
        writers.spawn(async move { store.allocate_status_slot(&Actor::System).await.unwrap() });
    }
    let mut slots = std::collections::HashSet::new();
    while let Some(slot) = writers.join_next().await {
        assert!(slots.insert(slot.unwrap()), "a status slot was handed out twice");
    }
    assert_eq!(slots.len(), 40);
}

/// The official presents the certificate to an employer who asked for proof of it: the
/// presentation is signed by the holder's did:key for the employer's domain and challenge.
fn presentation(certificate: &Value, domain: &str, challenge: &str) -> Value {
    use hocba_credentials::data_integrity::{self, Cryptosuite, ProofOptions, ProofPurpose};
    let key = hocba_credentials::keys::generate();
    let did = hocba_credentials::multikey::did_key(&key.verifying_key());
    let method = hocba_credentials::multikey::did_key_method(&key.verifying_key());
    let holder = hocba_credentials::Signer::new(key, method);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [certificate]
    });
    let mut unsigned = unsigned.as_object().unwrap().clone();
    let options = ProofOptions {
        suite: Cryptosuite::EddsaRdfc2022,
        created: time::OffsetDateTime::now_utc(),
        purpose: ProofPurpose::Authentication,
        domain: Some(domain),
        challenge: Some(challenge),
        id: None,
        previous_proof: None,
    };
    let proof = data_integrity::create_proof(&unsigned, &holder, &options).unwrap();
    unsigned.insert("proof".into(), proof);
    Value::Object(unsigned)
}

async fn a_presentation_verifies_with_its_holder_challenge_and_credentials(app: TestApp) {
    let (_, certificate) = certified(&app).await;
    let credential = &certificate["credential"];
    let verify = |presentation: &Value, challenge: &str| {
        let body = json!({
            "verifiablePresentation": presentation,
            "options": { "domain": "tuyendung.example.vn", "challenge": challenge }
        });
        let app = &app;
        async move { app.post("/presentations/verify", &body).await }
    };
    let presented = presentation(credential, "tuyendung.example.vn", "c-2f9a");
    let answer = verify(&presented, "c-2f9a").await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    let checks: Vec<&str> =
        answer.body["checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for check in ["proof eddsa-rdfc-2022", "holder", "verifiableCredential[0] issuer"] {
        assert!(checks.contains(&check), "{check} missing from {checks:?}");
    }

    // Another challenge (a replay), a changed credential inside, no proof: each refused.
    let replayed = verify(&presented, "c-7b01").await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", replayed.body);
    let mut forged = credential.clone();
    forged["credentialSubject"]["result"][1]["value"] = json!("400");
    let forged = verify(&presentation(&forged, "tuyendung.example.vn", "c-2f9a"), "c-2f9a").await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let failed = forged.body["errors"].as_array().unwrap();
    assert!(
        failed.iter().all(|e| e["check"].as_str().unwrap().starts_with("verifiableCredential[0]"))
    );
    let mut unsigned = presented.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let unsigned = verify(&unsigned, "c-2f9a").await;
    assert_eq!(unsigned.status, StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_backends!(
    a_presentation_verifies_with_its_holder_challenge_and_credentials,
    concurrent_writers_never_share_a_status_slot,
    a_certificate_is_an_open_badge_signed_by_the_registry,
    the_did_document_and_jwks_publish_the_signing_key,
    tampering_with_anything_fails_with_the_reason,
    a_revoked_certificate_fails_with_its_reason_and_shows_in_the_status_list,
    one_live_certificate_per_completion_and_unique_status_slots,
    a_retired_key_signs_nothing_new_and_a_revoked_key_fails_what_it_signed,
    the_vc_api_issues_with_did_key_and_verifies,
    a_certificate_states_the_accreditation_that_covered_the_completion,
);
