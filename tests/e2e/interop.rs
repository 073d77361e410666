//! Hocba's certificates checked by an independent implementation: the Node.js verifier in
//! `interop/` (JCS from `canonicalize`, Ed25519 from node's crypto, JWS from `jose`), which
//! shares no code with ours.
//!
//! Needs `node` and `npm ci --prefix interop`; skipped without them unless
//! `HOCBA_REQUIRE_INTEROP` is set (as in CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::TestApp;

fn interop_dir() -> Option<PathBuf> {
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
    tampered["credentialSubject"]["trainingDays"] = json!(400);
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

on_both_backends!(an_independent_verifier_accepts_our_proofs_and_refuses_tampering);
