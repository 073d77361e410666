//! Running the registry: readiness, metrics, graceful shutdown, JSON logs, backup and restore.
//!
//! Nothing here waits for a time to pass: a request is known to be under way when the server
//! has answered its `Expect: 100-continue`, and a closed listener when a connection is refused.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hocba_credentials::KeyStatus;
use hocba_store::Actor;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::crash::{ADMIN, Server, free_port};
use crate::helpers::{TestApp, official_body};

async fn readiness_checks_the_database_and_the_signing_key(app: TestApp) {
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{:#}", ready.body);
    assert_eq!(ready.body["checks"], serde_json::json!(["database", "signing_key"]));

    // Retired by another process: no key may sign any more.
    let active = app.store.signing_keys().await.unwrap().remove(0);
    app.store
        .set_signing_key_status(&Actor::System, &active.kid, KeyStatus::Retired, None)
        .await
        .unwrap();
    let ready = app.get("/health/ready").await;
    ready.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "not-ready");
    assert_eq!(ready.problem_fields(), ["signing_key"]);
    // Still alive: a load balancer stops sending work, an orchestrator does not restart it.
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
}

pub(crate) async fn scrape(app: &TestApp) -> String {
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    let response = hocba_api::metrics_app(&app.state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The value of the sample `series` (name and labels, as written), if present.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_count_requests_by_route_never_by_their_address(app: TestApp) {
    let official = app.register_official(&official_body("002085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();
    let route = r#"method="GET",route="/api/v1/officials/{id}",status="200""#;
    let before = sample(&scrape(&app).await, &format!("hocba_http_requests_total{{{route}}}"));
    assert_eq!(app.get_as_admin(&format!("/api/v1/officials/{id}")).await.status, StatusCode::OK);
    let (_, certificate) = crate::certificates::certified(&app).await;
    for _ in 0..2 {
        let asked = json!({ "number": certificate["number"] });
        assert_eq!(app.post("/api/v1/verify", &asked).await.status, StatusCode::OK);
    }

    let text = scrape(&app).await;
    // Other tests in this process count too: each figure only grows.
    let after = sample(&text, &format!("hocba_http_requests_total{{{route}}}")).unwrap();
    assert!(after >= before.unwrap_or(0.0) + 1.0, "{text}");
    assert!(!text.contains(id), "an official's id is in the metrics");
    let signed = sample(&text, "hocba_certificate_signing_seconds_count").unwrap();
    assert!(signed >= 1.0, "{text}");
    assert!(sample(&text, "hocba_certificates_signed_total").unwrap() >= 1.0, "{text}");
    let recorded = r#"hocba_completions_posted_total{outcome="recorded"}"#;
    assert!(sample(&text, recorded).unwrap() >= 1.0, "{text}");
    // The second verification was the first one's verdict, kept.
    for from in ["kept", "fresh"] {
        let series =
            format!(r#"hocba_kept_answers_total{{answers="verdict_by_number",from="{from}"}}"#);
        assert!(sample(&text, &series).unwrap() >= 1.0, "{text}");
    }
    assert!(text.contains(r#"hocba_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/api/v1/officials/{id}"}"#)
        || text.contains(r#"hocba_http_request_duration_seconds_bucket{method="GET",route="/api/v1/officials/{id}",le="0.001"}"#), "{text}");
    assert!(sample(&text, "hocba_db_pool_max_connections").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, r#"hocba_db_pool_connections{state="idle"}"#).is_some(), "{text}");
    assert!(text.ends_with("# EOF\n"));

    // Not on the public listener, and not in its description.
    app.get("/metrics").await.assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert!(!hocba_api::openapi().paths.paths.contains_key("/metrics"));
}

/// Headers of a registration whose body is held back until the server asks for it.
fn held_registration(token: &str, body: &str) -> String {
    format!(
        "POST /api/v1/officials HTTP/1.1\r\nHost: hocba.test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
}

/// Sends `head`, and returns once the handler reads the body (the server says `100 Continue`).
async fn under_way(address: SocketAddr, head: &str) -> TcpStream {
    let mut connection = TcpStream::connect(address).await.unwrap();
    connection.write_all(head.as_bytes()).await.unwrap();
    let continued = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut answer = vec![0u8; continued.len()];
    connection.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, continued, "{}", String::from_utf8_lossy(&answer));
    connection
}

/// Returns once connecting to `address` is refused (the server closed its listener).
async fn until_refused(address: SocketAddr) {
    loop {
        match TcpStream::connect(address).await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => return,
            // Caught in the backlog as the listener closed: try again.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(error) => panic!("{error}"),
            // Accepted before the shutdown reached the listener: that one is idle and closed.
            Ok(_) => tokio::task::yield_now().await,
        }
    }
}

async fn a_request_under_way_at_shutdown_is_answered_and_new_connections_are_refused(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = app.serve_until(listener, hocba_api::ConnectionLimits::default(), async {
        let _ = stopped.await;
    });
    let body = official_body("001085012345", "Nguyễn Văn An").to_string();
    let mut connection = under_way(address, &held_registration(&app.admin_token, &body)).await;

    stop.send(()).unwrap();
    until_refused(address).await;
    connection.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201 "), "{answer}");
    server.await.unwrap();
    let lookup = serde_json::json!({ "national_id": "001085012345" });
    let found = app.post("/api/v1/officials/lookup", &lookup).await;
    assert_eq!(found.status, StatusCode::OK, "{:#}", found.body);
}

async fn a_request_still_under_way_after_the_grace_period_is_cut_off(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = hocba_api::ConnectionLimits {
        shutdown_grace: std::time::Duration::ZERO,
        ..hocba_api::ConnectionLimits::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = app.serve_until(listener, limits, async {
        let _ = stopped.await;
    });
    let body = official_body("001085012346", "Nguyễn Văn Bình").to_string();
    let _connection = under_way(address, &held_registration(&app.admin_token, &body)).await;
    stop.send(()).unwrap();
    // The body never comes, yet the server stops.
    server.await.unwrap();
    let lookup = serde_json::json!({ "national_id": "001085012346" });
    app.post("/api/v1/officials/lookup", &lookup)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

fn hocba(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_hocba")).args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}

async fn a_backup_taken_while_posting_restores_with_its_audit_chain_intact(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let Some(_) = app.sqlite_file() else {
        let refused = app.store.backup_into(&backup).await.unwrap_err();
        assert!(refused.to_string().contains("pg_dump"), "{refused}");
        return;
    };
    let registering = async {
        for n in 0..20 {
            let national_id = format!("0010850123{n:02}");
            app.register_official(&official_body(&national_id, "Nguyễn Văn An")).await;
        }
    };
    let (_, backed_up) = tokio::join!(registering, app.store.backup_into(&backup));
    backed_up.unwrap();
    // A second backup into the same file would overwrite the first: refused.
    assert!(app.store.backup_into(&backup).await.is_err());

    let restored = dir.path().join("restored.db");
    let url = format!("sqlite://{}", restored.display());
    let (ok, stdout, stderr) =
        hocba(&["restore", backup.to_str().unwrap(), "--database-url", &url]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("intact: yes"), "{stdout}");
    // Never over an existing database.
    let (ok, _, stderr) = hocba(&["restore", backup.to_str().unwrap(), "--database-url", &url]);
    assert!(!ok && stderr.contains("must not exist"), "{stderr}");

    let (ok, stdout, stderr) = hocba(&["audit", "verify", "--database-url", &url]);
    assert!(ok, "{stdout}{stderr}");
    let events: u64 =
        stdout.lines().find_map(|line| line.strip_prefix("events: ")).unwrap().parse().unwrap();
    let live = app.store.verify_audit_chain().await.unwrap();
    assert!(events >= 1 && events <= live.events, "{stdout}");

    // A mistyped path is not an empty, intact registry.
    let missing = format!("sqlite://{}", dir.path().join("missing.db").display());
    let (ok, _, stderr) = hocba(&["audit", "verify", "--database-url", &missing]);
    assert!(!ok && stderr.contains("no database at"), "{stderr}");

    // The CLI's backup, of the live file, is a registry of its own too.
    let live_url = format!("sqlite://{}", app.sqlite_file().unwrap().display());
    let second = dir.path().join("second.db");
    let (ok, _, stderr) = hocba(&["backup", "--database-url", &live_url, second.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let second_url = format!("sqlite://{}", second.display());
    let (ok, stdout, _) = hocba(&["audit", "verify", "--database-url", &second_url]);
    assert!(ok && stdout.contains(&format!("events: {}\n", live.events)), "{stdout}");
}

on_both_backends!(
    readiness_checks_the_database_and_the_signing_key,
    metrics_count_requests_by_route_never_by_their_address,
    a_request_under_way_at_shutdown_is_answered_and_new_connections_are_refused,
    a_request_still_under_way_after_the_grace_period_is_cut_off,
    a_backup_taken_while_posting_restores_with_its_audit_chain_intact,
);

/// The real binary with `--log-format json`: each request is one JSON line with its matched
/// route, status and latency, and no identifier from its address; `/metrics` answers on its own
/// listener only; SIGTERM stops it cleanly.
#[test]
fn the_binary_logs_requests_as_json_serves_metrics_apart_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log-format", "json"])
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("hocba.db").display()))
        .arg("--keys-dir")
        .arg(dir.path().join("keys"))
        .env("HOCBA_ADMIN_TOKEN", ADMIN)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let started = std::time::Instant::now();
    while ureq::get(&format!("{}/health", server.base)).call().is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let unknown = "0190e7a4-5b1c-7d2e-8f30-4a5b6c7d8e9f";
    let answer = ureq::get(&format!("{}/api/v1/officials/{unknown}", server.base))
        .header("Authorization", &format!("Bearer {ADMIN}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(answer.status(), 404);
    let public = ureq::get(&format!("{}/metrics", server.base))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(public.status(), 404);
    let metrics = ureq::get(&format!("http://127.0.0.1:{metrics_port}/metrics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(metrics.contains(r#"route="/api/v1/officials/{id}",status="404""#), "{metrics}");

    let terminated =
        Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    assert!(server.child.wait().unwrap().success());
    let mut logs = String::new();
    server.child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(!logs.contains(unknown), "{logs}");
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let request = lines
        .iter()
        .find(|line| line["fields"]["status"] == 404)
        .unwrap_or_else(|| panic!("no request line in {logs}"));
    assert_eq!(request["span"]["route"], "/api/v1/officials/{id}", "{request}");
    assert_eq!(request["span"]["method"], "GET", "{request}");
    assert!(request["fields"]["latency_ms"].is_f64(), "{request}");
    assert!(lines.iter().any(|line| line["fields"]["message"] == "shutting down"), "{logs}");
}
