//! Hocba's certificates checked by independent implementations in `interop/`, which share no
//! code with ours: a small Node.js verifier (JCS from `canonicalize`, Ed25519 from node's
//! crypto, JWS from `jose`), and the Digital Bazaar VC stack that wallets and verifiers use
//! (`@digitalbazaar/vc` with its Data Integrity cryptosuites), both ways.
//!
//! Needs `node` and `npm ci --prefix interop`; skipped without them unless
//! `HOCBA_REQUIRE_INTEROP` is set (as in CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::{BASE_URL, TestApp};
use crate::transcript::{an_official_with_a_record, transcript};

pub(crate) fn interop_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    let ready = dir.join("node_modules").is_dir()
        && Command::new("node").arg("--version").output().is_ok_and(|out| out.status.success());
    if !ready {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_INTEROP").is_none(),
            "HOCBA_REQUIRE_INTEROP is set but node or interop/node_modules is missing"
        );
        eprintln!("skipped: node or interop/node_modules (npm ci --prefix interop) is missing");
        return None;
    }
    Some(dir)
}

/// Runs the Node verifier on `artifact` (`--credential` or `--jws`) with the published keys.
fn node_verifies(
    dir: &Path,
    work: &Path,
    did: &Value,
    jwks: &Value,
    flag: &str,
    artifact: &str,
) -> Value {
    std::fs::write(work.join("did.json"), did.to_string()).unwrap();
    std::fs::write(work.join("jwks.json"), jwks.to_string()).unwrap();
    std::fs::write(work.join("artifact"), artifact).unwrap();
    let output = Command::new("node")
        .arg(dir.join("verify.mjs"))
        .args(["--did", "did.json", "--jwks", "jwks.json", flag, "artifact"])
        .current_dir(work)
        .output()
        .unwrap();
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(answer["verified"] == true, output.status.success(), "{answer}");
    answer
}

async fn an_independent_verifier_accepts_our_proofs_and_refuses_tampering(app: TestApp) {
    let Some(dir) = interop_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let (_, certificate) = certified(&app).await;
    let did = app.get("/.well-known/did.json").await.body;
    let jwks = app.get("/.well-known/jwks.json").await.body;
    let credential = certificate["credential"].clone();
    let jws = certificate["jws"].as_str().unwrap();

    let accepted =
        node_verifies(&dir, work.path(), &did, &jwks, "--credential", &credential.to_string());
    assert_eq!(accepted["verified"], true, "{accepted}");
    let accepted = node_verifies(&dir, work.path(), &did, &jwks, "--jws", jws);
    assert_eq!(accepted["verified"], true, "{accepted}");

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["result"][1]["value"] = json!("400");
    let refused =
        node_verifies(&dir, work.path(), &did, &jwks, "--credential", &tampered.to_string());
    assert_eq!(refused["verified"], false);

    // Once the registry revokes its key, the independent verifier refuses what it signed too.
    let kid = app.store.signing_keys().await.unwrap()[0].kid.clone();
    app.authority.rotate(&app.store, &hocba_store::Actor::System).await.unwrap();
    app.store
        .set_signing_key_status(
            &hocba_store::Actor::System,
            &kid,
            hocba_domain::KeyStatus::Revoked,
            None,
        )
        .await
        .unwrap();
    let did = app.get("/.well-known/did.json").await.body;
    let jwks = app.get("/.well-known/jwks.json").await.body;
    let refused =
        node_verifies(&dir, work.path(), &did, &jwks, "--credential", &credential.to_string());
    assert_eq!(refused["verified"], false, "{refused}");
    let refused = node_verifies(&dir, work.path(), &did, &jwks, "--jws", jws);
    assert_eq!(refused["verified"], false, "{refused}");
}

/// Both cryptosuites, each checked on its own as a single-suite verifier would.
const SUITES: [&str; 2] = ["eddsa-rdfc-2022", "eddsa-jcs-2022"];

/// Runs a Digital Bazaar script of `interop/` in `work`; returns its exit success and stdout.
fn digital_bazaar(dir: &Path, work: &Path, script: &str, args: &[&str]) -> (bool, String) {
    let output =
        Command::new("node").arg(dir.join(script)).args(args).current_dir(work).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (output.status.success(), stdout)
}

async fn the_digital_bazaar_stack_and_hocba_verify_each_others_proofs(app: TestApp) {
    let Some(dir) = interop_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &Value| {
        std::fs::write(work.path().join(name), value.to_string()).unwrap();
    };

    // Ours, verified there (with the registry's DID document, as a did:web verifier would).
    let (_, certificate) = certified(&app).await;
    write("did.json", &app.get("/.well-known/did.json").await.body);
    let credential = certificate["credential"].clone();
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["achievement"]["humanCode"] = json!("QLNN-CVC-2024");
    for suite in SUITES {
        for (document, expected) in [(&credential, true), (&tampered, false)] {
            write("ours.json", document);
            let args = ["--credential", "ours.json", "--did", "did.json", "--suite", suite];
            let (verified, answer) = digital_bazaar(&dir, work.path(), "db-verify.mjs", &args);
            assert_eq!(verified, expected, "{suite}: {answer}");
        }
    }

    // Theirs (a did:key issuer), verified here. The first signing tells the key's DID, which
    // then becomes the issuer: a verifier binds the issuer to the signing key.
    let seed = "9b1d6c0f2e7a4c3d8e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5";
    let mut unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:4a3f6f52-0d3e-4b5e-9a0c-6a7b8c9d0e1f",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:placeholder",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:hr-officer", "name": "Trần Thị Bình" }
    });
    for suite in SUITES {
        let sign = |unsigned: &Value| {
            write("unsigned.json", unsigned);
            let args = ["--seed", seed, "--credential", "unsigned.json", "--suite", suite];
            let (signed, output) = digital_bazaar(&dir, work.path(), "db-issue.mjs", &args);
            assert!(signed, "{output}");
            serde_json::from_str::<Value>(&output).unwrap()
        };
        let method = sign(&unsigned)["proof"]["verificationMethod"].as_str().unwrap().to_owned();
        unsigned["issuer"] = json!(method.split('#').next().unwrap());
        let theirs = sign(&unsigned);
        assert_eq!(theirs["proof"]["cryptosuite"], suite);
        let answer =
            app.post("/credentials/verify", &json!({ "verifiableCredential": theirs })).await;
        assert_eq!(answer.status, axum::http::StatusCode::OK, "{suite}: {:#}", answer.body);
        assert_eq!(answer.body["verified"], true);
        let mut tampered = theirs.clone();
        tampered["credentialSubject"]["name"] = json!("Trần Thị Bính");
        let answer =
            app.post("/credentials/verify", &json!({ "verifiableCredential": tampered })).await;
        let status = answer.status;
        assert_eq!(
            status,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "{suite}: {:#}",
            answer.body
        );
        assert_eq!(answer.body["verified"], false);
    }
}

/// The whole-record transcript (a CLR 2.0 `ClrCredential`), checked there as a single-suite
/// verifier would: both its proofs, and both proofs of each certificate inside it, with the
/// CLR 2.0.1 context served from the bundle.
async fn the_digital_bazaar_stack_verifies_a_transcript_and_every_credential_inside(app: TestApp) {
    let Some(dir) = interop_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &Value| {
        std::fs::write(work.path().join(name), value.to_string()).unwrap();
    };
    write("did.json", &app.get("/.well-known/did.json").await.body);
    let (official_id, _, _) = an_official_with_a_record(&app).await;
    let whole = transcript(&app, &official_id).await;
    let inside = whole["credentialSubject"]["verifiableCredential"].as_array().unwrap().clone();
    assert_eq!(inside.len(), 2);
    let mut tampered = whole.clone();
    tampered["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["licenseNumber"] =
        json!("HB-2026-AAAAA-AAAAA-A");
    let mut documents = vec![(&whole, true), (&tampered, false)];
    documents.extend(inside.iter().map(|credential| (credential, true)));
    for suite in SUITES {
        for (index, (document, expected)) in documents.iter().enumerate() {
            write("document.json", document);
            let args = ["--credential", "document.json", "--did", "did.json", "--suite", suite];
            let (verified, answer) = digital_bazaar(&dir, work.path(), "db-verify.mjs", &args);
            assert_eq!(verified, *expected, "{suite}, document {index}: {answer}");
        }
    }
}

/// The Python that has openbadgeslib with its JSON-LD extra (`HOCBA_OPENBADGESLIB_PYTHON`,
/// else `python3`), or `None` to skip; `HOCBA_REQUIRE_OPENBADGESLIB` (CI) makes it required.
fn openbadgeslib_python() -> Option<String> {
    let python =
        std::env::var("HOCBA_OPENBADGESLIB_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ready = Command::new(&python)
        .args(["-c", "import openbadgeslib.ob3.ldp, pyld"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ready {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_OPENBADGESLIB").is_none(),
            "HOCBA_REQUIRE_OPENBADGESLIB is set but {python} cannot import openbadgeslib[ldp] \
             (pip install -r scripts/openbadgeslib-requirements.txt)"
        );
        eprintln!("skipped: {python} has no openbadgeslib[ldp]");
        return None;
    }
    Some(python)
}

/// Runs scripts/openbadgeslib_verify.py on `credential` (with `flag`: `--check-status`, `--clr`),
/// the registry's DID document and status list served from files; returns whether it verified
/// and its answer.
fn openbadgeslib_verifies(
    python: &str,
    work: &Path,
    credential: &Value,
    served: &[(&str, &Value)],
    flag: Option<&str>,
) -> (bool, Value) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/openbadgeslib_verify.py");
    std::fs::write(work.join("credential.json"), credential.to_string()).unwrap();
    let mut command = Command::new(python);
    command.arg(script).arg("credential.json").current_dir(work);
    for (index, (url, document)) in served.iter().enumerate() {
        let file = format!("served-{index}.json");
        std::fs::write(work.join(&file), document.to_string()).unwrap();
        command.args(["--serve", &format!("{url}={file}")]);
    }
    command.args(flag);
    let output = command.output().unwrap();
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(
        |_| json!({ "stderr": String::from_utf8_lossy(&output.stderr).into_owned() }),
    );
    (output.status.success(), answer)
}

/// openbadgeslib's OB 3.0 verifier, which holds only the standard contexts and never fetches
/// one, reads a registry certificate: it verifies it, refuses it tampered with, and with status
/// checking on reports it revoked once the registry revokes it.
async fn openbadgeslib_verifies_a_certificate_refuses_tampering_and_reports_revocation(
    app: TestApp,
) {
    let Some(python) = openbadgeslib_python() else { return };
    let work = tempfile::tempdir().unwrap();
    let (_, certificate) = certified(&app).await;
    let credential = certificate["credential"].clone();
    let did = app.get("/.well-known/did.json").await.body;
    let did_url = format!("{BASE_URL}/.well-known/did.json");
    let list_url = credential["credentialStatus"]["statusListCredential"].as_str().unwrap();
    let list_path = list_url.strip_prefix(BASE_URL).unwrap();
    let published = app.get(list_path).await.body;
    let served = [(did_url.as_str(), &did), (list_url, &published)];

    for flag in [None, Some("--check-status")] {
        let (verified, answer) =
            openbadgeslib_verifies(&python, work.path(), &credential, &served, flag);
        assert!(verified, "{flag:?}: {answer}");
    }
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["result"][1]["value"] = json!("400");
    let (verified, answer) = openbadgeslib_verifies(&python, work.path(), &tampered, &served, None);
    assert!(!verified, "{answer}");

    let number = certificate["number"].as_str().unwrap();
    let revoked = app
        .post(&format!("/api/v1/certificates/{number}/revoke"), &json!({ "reason": "fraud" }))
        .await;
    assert_eq!(revoked.status, axum::http::StatusCode::OK, "{:#}", revoked.body);
    let republished = app.get(list_path).await.body;
    let served = [(did_url.as_str(), &did), (list_url, &republished)];
    let (verified, answer) =
        openbadgeslib_verifies(&python, work.path(), &credential, &served, Some("--check-status"));
    assert!(!verified, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains("'revocation' is set"), "{answer}");
}

/// openbadgeslib holds the CLR 2.0.1 context too: its Data Integrity verifier checks the
/// transcript's eddsa-rdfc-2022 proof, and its OB 3.0 verifier each certificate inside.
async fn openbadgeslib_verifies_a_transcript_and_the_certificates_inside(app: TestApp) {
    let Some(python) = openbadgeslib_python() else { return };
    let work = tempfile::tempdir().unwrap();
    let (official_id, _, _) = an_official_with_a_record(&app).await;
    let whole = transcript(&app, &official_id).await;
    let did = app.get("/.well-known/did.json").await.body;
    let did_url = format!("{BASE_URL}/.well-known/did.json");
    let served = [(did_url.as_str(), &did)];
    let clr = Some("--clr");
    let (verified, answer) = openbadgeslib_verifies(&python, work.path(), &whole, &served, clr);
    assert!(verified, "{answer}");
    let mut tampered = whole.clone();
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = json!("Nguyễn Văn Ân");
    let (verified, answer) = openbadgeslib_verifies(&python, work.path(), &tampered, &served, clr);
    assert!(!verified, "{answer}");
    for credential in whole["credentialSubject"]["verifiableCredential"].as_array().unwrap() {
        let (verified, answer) =
            openbadgeslib_verifies(&python, work.path(), credential, &served, None);
        assert!(verified, "{answer}");
    }
}

on_both_backends!(
    an_independent_verifier_accepts_our_proofs_and_refuses_tampering,
    the_digital_bazaar_stack_and_hocba_verify_each_others_proofs,
    openbadgeslib_verifies_a_certificate_refuses_tampering_and_reports_revocation,
    the_digital_bazaar_stack_verifies_a_transcript_and_every_credential_inside,
    openbadgeslib_verifies_a_transcript_and_the_certificates_inside,
);
