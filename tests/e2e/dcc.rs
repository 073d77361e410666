//! The Digital Credentials Consortium's verifier (`@digitalcredentials/verifier-core`, what
//! VerifierPlus and the Learner Credential Wallet run) reads a Hocba certificate as deployed:
//! the registry behind a TLS terminator on loopback, its did:web resolved and its status list
//! fetched over https, nothing fetched from beyond this machine.
//!
//! Needs `node`, the `openssl` CLI and `npm ci --prefix interop`; skipped without them unless
//! `HOCBA_REQUIRE_INTEROP` is set (as in CI).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::certificates::certified;
use crate::helpers::TestApp;
use crate::interop::interop_dir;

/// `interop/tls-terminator.mjs` in front of a registry's plain HTTP port; ended when dropped.
struct Terminator {
    child: Child,
    port: u16,
    ca: PathBuf,
}

impl Terminator {
    fn start(dir: &Path, work: &Path, backend: std::net::SocketAddr) -> Terminator {
        let mut child = Command::new("node")
            .arg(dir.join("tls-terminator.mjs"))
            .args(["--backend", &backend.to_string(), "--dir"])
            .arg(work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("tls-terminator.mjs did not start: {line:?}"));
        let port = u16::try_from(started["port"].as_u64().unwrap()).unwrap();
        Terminator { child, port, ca: PathBuf::from(started["ca"].as_str().unwrap()) }
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `interop/dcc-verify.mjs` on `credential`, trusting the terminator's certificate; returns
/// its answer. On a blocking thread: the registry answering it runs on this test's runtime.
async fn dcc_verifies(dir: &Path, work: &Path, ca: &Path, credential: &Value) -> Value {
    std::fs::write(work.join("credential.json"), credential.to_string()).unwrap();
    let mut command = Command::new("node");
    command
        .arg(dir.join("dcc-verify.mjs"))
        .args(["--credential", "credential.json"])
        .current_dir(work)
        .env("NODE_EXTRA_CA_CERTS", ca);
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let answer: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("dcc-verify.mjs: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(answer["verified"] == true, output.status.success(), "{answer}");
    answer
}

/// The verifier's log entry `id` (`valid_signature`, `expiration`, `revocation_status`, …).
fn step<'a>(answer: &'a Value, id: &str) -> &'a Value {
    let log = answer["log"].as_array().unwrap();
    log.iter().find(|entry| entry["id"] == id).unwrap_or_else(|| panic!("no {id}: {answer}"))
}

/// The only fetch the library attempts beyond this machine: the Open Badges 3.0 JSON Schema it
/// guesses for an `OpenBadgeCredential`, reported as extra information, not a check.
const OB_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

async fn the_dcc_verifier_accepts_a_certificate_over_https_and_sees_its_revocation(app: TestApp) {
    let Some(dir) = interop_dir() else { return };
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_INTEROP").is_none(),
            "HOCBA_REQUIRE_INTEROP is set but the openssl CLI is missing"
        );
        eprintln!("skipped: no openssl CLI to make the TLS terminator's certificate");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let terminator = Terminator::start(&dir, work.path(), backend.local_addr().unwrap());
    let base_url = format!("https://localhost:{}", terminator.port);
    let app = app.at_base_url(&base_url);
    app.serve_on(backend, hocba_api::ConnectionLimits::default());

    let (_, certificate) = certified(&app).await;
    let credential = certificate["credential"].clone();
    assert_eq!(credential["issuer"]["id"], format!("did:web:localhost%3A{}", terminator.port));
    let list = credential["credentialStatus"]["statusListCredential"].as_str().unwrap();
    assert!(list.starts_with(&base_url), "{list}");

    let answer = dcc_verifies(&dir, work.path(), &terminator.ca, &credential).await;
    assert_eq!(answer["verified"], true, "{answer}");
    assert_eq!(step(&answer, "valid_signature")["valid"], true);
    assert_eq!(step(&answer, "expiration")["valid"], true);
    assert_eq!(step(&answer, "revocation_status")["valid"], true, "{answer}");
    // No issuer registry is configured (the known ones are on the internet): a warning there.
    assert_eq!(step(&answer, "registered_issuer")["valid"], false);
    let fetched = answer["fetched"].as_array().unwrap();
    for url in [format!("{base_url}/.well-known/did.json"), list.to_owned()] {
        assert!(fetched.contains(&json!(url)), "{url} not fetched: {answer}");
    }
    assert_eq!(answer["refused"], json!([OB_SCHEMA]), "{answer}");

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["result"][1]["value"] = json!("400");
    let answer = dcc_verifies(&dir, work.path(), &terminator.ca, &tampered).await;
    assert_eq!(answer["verified"], false);
    assert_eq!(answer["errors"][0]["name"], "invalid_signature", "{answer}");

    let number = certificate["number"].as_str().unwrap();
    app.revoke(number, json!({ "reason": "fraud" })).await;
    let answer = dcc_verifies(&dir, work.path(), &terminator.ca, &credential).await;
    assert_eq!(answer["verified"], false);
    assert_eq!(step(&answer, "valid_signature")["valid"], true, "{answer}");
    assert_eq!(step(&answer, "revocation_status")["valid"], false, "{answer}");
}

on_both_backends!(the_dcc_verifier_accepts_a_certificate_over_https_and_sees_its_revocation);
