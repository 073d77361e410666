//! `hocba verify FILE`: fully offline, from the published DID document and status list.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::{BASE_URL, TestApp};

/// Runs `hocba verify` and returns (success, printed report).
fn hocba_verify(work: &Path, artifact: &str, lists: &[&str]) -> (bool, String) {
    hocba_verify_with(work, artifact, lists, &[])
}

/// Runs `hocba verify` with `extra` arguments and returns (success, printed report).
fn hocba_verify_with(
    work: &Path,
    artifact: &str,
    lists: &[&str],
    extra: &[&str],
) -> (bool, String) {
    std::fs::write(work.join("certificate"), artifact).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hocba"));
    command.current_dir(work).args(["verify", "certificate", "--keys", "did.json"]);
    for list in lists {
        command.args(["--status", list]);
    }
    command.args(extra);
    let output = command.output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), printed)
}

async fn download(app: &TestApp, work: &Path, certificate: &Value) {
    let did = app.get("/.well-known/did.json").await.body;
    std::fs::write(work.join("did.json"), did.to_string()).unwrap();
    let list_url =
        certificate["credential"]["credentialStatus"]["statusListCredential"].as_str().unwrap();
    let list = app.get(list_url.strip_prefix(BASE_URL).unwrap()).await.body;
    std::fs::write(work.join("status.json"), list.to_string()).unwrap();
}

async fn the_offline_verifier_gives_the_same_answer_as_the_api(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let (_, certificate) = certified(&app).await;
    download(&app, work.path(), &certificate).await;
    let credential = certificate["credential"].to_string();
    let jws = certificate["jws"].as_str().unwrap();

    let (ok, printed) = hocba_verify(work.path(), &credential, &["status.json"]);
    assert!(ok, "{printed}");
    assert!(printed.contains("pass  status"), "{printed}");
    let (ok, printed) = hocba_verify(work.path(), jws, &["status.json"]);
    assert!(ok, "{printed}");

    // Without the status list, revocation cannot be ruled out: not verified.
    let (ok, printed) = hocba_verify(work.path(), &credential, &[]);
    assert!(!ok);
    assert!(printed.contains("FAIL  status"), "{printed}");

    // A forged status list (signature broken) is refused outright.
    let mut forged: Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("status.json")).unwrap())
            .unwrap();
    forged["validFrom"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(work.path().join("forged.json"), forged.to_string()).unwrap();
    let (ok, printed) = hocba_verify(work.path(), &credential, &["forged.json"]);
    assert!(!ok);
    assert!(printed.contains("does not verify"), "{printed}");

    // Revoked, then the list downloaded again: offline says so too.
    let number = certificate["number"].as_str().unwrap();
    app.post(&format!("/api/v1/certificates/{number}/revoke"), &json!({ "reason": "fraud" })).await;
    download(&app, work.path(), &certificate).await;
    let (ok, printed) = hocba_verify(work.path(), &credential, &["status.json"]);
    assert!(!ok);
    assert!(printed.contains("FAIL  status                   revoked"), "{printed}");
}

async fn the_offline_verifier_says_whether_the_person_presenting_is_the_holder(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let (_, certificate) = certified(&app).await;
    download(&app, work.path(), &certificate).await;
    let jws = certificate["jws"].as_str().unwrap();
    let holder = |national_id: &str| {
        hocba_verify_with(work.path(), jws, &["status.json"], &["--national-id", national_id])
    };

    let (ok, printed) = holder("001085012345");
    assert!(ok, "{printed}");
    assert!(printed.contains("pass  holder"), "{printed}");
    assert!(!printed.contains("001085012345"), "{printed}");

    let (ok, printed) = holder("001085054321");
    assert!(!ok, "{printed}");
    assert!(printed.contains("FAIL  holder"), "{printed}");
    assert!(printed.contains("not its holder"), "{printed}");
    assert!(!printed.contains("001085054321"), "{printed}");

    let (ok, printed) = holder("00108501234X");
    assert!(!ok, "{printed}");
    assert!(printed.contains("--national-id must be exactly 12 digits"), "{printed}");
    assert!(!printed.contains("00108501234X"), "{printed}");
}

on_both_backends!(
    the_offline_verifier_gives_the_same_answer_as_the_api,
    the_offline_verifier_says_whether_the_person_presenting_is_the_holder,
);

/// `--registry`: the same verification, with keys and status list fetched over HTTP.
#[tokio::test(flavor = "multi_thread")]
async fn the_verifier_fetches_keys_and_status_from_the_registry() {
    let (app, base_url) = TestApp::listening().await;
    let work = tempfile::tempdir().unwrap();
    let (_, certificate) = certified(&app).await;
    std::fs::write(work.path().join("certificate.json"), certificate["credential"].to_string())
        .unwrap();
    let dir = work.path().to_owned();
    let run = move |registry: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_hocba"))
            .current_dir(&dir)
            .args(["verify", "certificate.json", "--registry", registry])
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, printed) = tokio::task::spawn_blocking({
        let (run, base_url) = (run.clone(), base_url.clone());
        move || run(&base_url)
    })
    .await
    .unwrap();
    assert!(ok, "{printed}");
    assert!(printed.contains("pass  status                   not revoked"), "{printed}");

    let number = certificate["number"].as_str().unwrap();
    app.post(&format!("/api/v1/certificates/{number}/revoke"), &json!({ "reason": "withdrawn" }))
        .await;
    let (ok, printed) = tokio::task::spawn_blocking(move || run(&base_url)).await.unwrap();
    assert!(!ok);
    assert!(printed.contains("FAIL  status                   revoked"), "{printed}");
}
