//! `hocba verify FILE`: fully offline, from the published DID document and status list.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::{BASE_URL, TestApp};

/// Runs `hocba verify` and returns (success, printed report).
fn hocba_verify(work: &Path, artifact: &str, lists: &[&str]) -> (bool, String) {
    std::fs::write(work.join("certificate"), artifact).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hocba"));
    command.current_dir(work).args(["verify", "certificate", "--keys", "did.json"]);
    for list in lists {
        command.args(["--status", list]);
    }
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

on_both_backends!(the_offline_verifier_gives_the_same_answer_as_the_api);

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

/// `hocba import completions`: a CSV file posted as an institution; running it again after a
/// failure records nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_csv_import_reports_each_line_and_can_be_run_again() {
    let (app, base_url) = TestApp::listening().await;
    let s = crate::completions::setting(&app).await;
    app.register_official(&crate::helpers::official_body("001085000777", "Phạm Văn Long")).await;
    let institution = s.school["id"].as_str().unwrap();
    let client = app
        .post(&format!("/api/v1/institutions/{institution}/clients"), &json!({ "label": "import" }))
        .await;
    let class = s.class["id"].as_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("class.csv"),
        format!(
            "national_id,full_name,date_of_birth,class_id,duration_days,outcome,score\n\
             001085012345,Nguyễn Văn An,1985-03-14,{class},40,good,8.5\n\
             001085000777,Pham Van Long,1985-03-14,{class},40,passed,\n\
             001085000777,Phạm Văn Lâm,1985-03-14,{class},40,passed,\n"
        ),
    )
    .unwrap();
    let (dir, id, secret) = (
        work.path().to_owned(),
        client.body["client_id"].as_str().unwrap().to_owned(),
        client.body["client_secret"].as_str().unwrap().to_owned(),
    );
    let import = move || {
        let output = Command::new(env!("CARGO_BIN_EXE_hocba"))
            .current_dir(&dir)
            .args(["import", "completions", "class.csv", "--registry", &base_url])
            .args(["--client-id", &id, "--client-secret", &secret])
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, printed) = tokio::task::spawn_blocking(import.clone()).await.unwrap();
    assert!(!ok, "a rejected line fails the import: {printed}");
    assert!(printed.contains("line 4: identity-mismatch full_name"), "{printed}");
    assert!(printed.contains("2 accepted, 1 rejected, 3 rows"), "{printed}");
    // Run again: the first answer is replayed, nothing is recorded twice.
    let (_, again) = tokio::task::spawn_blocking(import).await.unwrap();
    assert_eq!(again, printed);
    let official = s.official["id"].as_str().unwrap();
    let listed = app.get_as_admin(&format!("/api/v1/officials/{official}/certificates")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}
