//! Clients out to exhaust the server: a flood of wrong client secrets (each would cost an argon2
//! hash of 19 MiB), and connections that never finish their request.
//!
//! Nothing here times the server: the limits under test are a second or two, and a test only
//! fails when the server has not done its part within a minute. How fast the server answers
//! under a flood is measured by `scripts/bench_token_flood.py`.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::crash::{ADMIN, Server, call, free_port, postgres_schema, start_on};
use crate::helpers::TestApp;

/// What each test gives the server to close a connection it should close; the limits under test
/// are far shorter.
const CLOSED_WITHIN: Duration = Duration::from_secs(60);

/// Limits short enough for a test to see them at work.
const SHORT: hocba_api::ConnectionLimits = hocba_api::ConnectionLimits {
    header_read_timeout: Duration::from_secs(1),
    body_read_timeout: Duration::from_secs(1),
    max_connections: 512,
    shutdown_grace: Duration::from_secs(30),
};

/// Everything the server sends until it closes the connection; fails the test if it has not
/// closed it within [`CLOSED_WITHIN`].
async fn until_closed(connection: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        // A reset also closes the connection.
        while let Ok(read @ 1..) = connection.read(&mut buffer).await {
            answer.extend_from_slice(&buffer[..read]);
        }
    };
    tokio::time::timeout(CLOSED_WITHIN, read)
        .await
        .expect("the server should have closed the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Opens a connection and sends `request` on it.
async fn send(address: SocketAddr, request: &[u8]) -> TcpStream {
    let mut connection = TcpStream::connect(address).await.unwrap();
    connection.write_all(request).await.unwrap();
    connection
}

/// A token request with a form body, on a connection that closes after it.
fn token_request(form: &str) -> Vec<u8> {
    format!(
        "POST /oauth/token HTTP/1.1\r\nHost: hocba.test\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

async fn a_request_whose_headers_never_end_is_cut_off(app: TestApp) {
    let address = app.serve(SHORT).await;
    let mut connection =
        send(address, b"POST /oauth/token HTTP/1.1\r\nHost: hocba.test\r\nContent-Ty").await;
    let answer = until_closed(&mut connection).await;
    assert!(!answer.contains(" 200 "), "{answer}");
    // A kept-alive connection waiting for its next request is cut off the same way.
    let mut connection = send(address, b"GET /health HTTP/1.1\r\nHost: hocba.test\r\n\r\n").await;
    let answer = until_closed(&mut connection).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
}

async fn a_body_shorter_than_its_content_length_gets_408_and_the_connection_closes(app: TestApp) {
    let address = app.serve(SHORT).await;
    let mut request = token_request("grant_type=client_credentials&client_id=x&client_secret=y");
    request.truncate(request.len() - 20);
    let mut connection = send(address, &request).await;
    let answer = until_closed(&mut connection).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"request-timeout\""), "{answer}");
    // The same on an endpoint taking JSON.
    let mut connection = send(
        address,
        b"POST /api/v1/verify HTTP/1.1\r\nHost: hocba.test\r\n\
          Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"number\":",
    )
    .await;
    assert!(until_closed(&mut connection).await.starts_with("HTTP/1.1 408 "));
}

async fn connections_beyond_the_cap_wait_for_one_to_close(app: TestApp) {
    let address = app.serve(hocba_api::ConnectionLimits { max_connections: 1, ..SHORT }).await;
    // The first connection takes the only place and sends nothing.
    let idle = TcpStream::connect(address).await.unwrap();
    let mut second = send(address, b"GET /health HTTP/1.1\r\nHost: hocba.test\r\n\r\n").await;
    let mut status = [0u8; 12];
    tokio::time::timeout(CLOSED_WITHIN, second.read_exact(&mut status)).await.unwrap().unwrap();
    assert_eq!(&status, b"HTTP/1.1 200");
    // The second was served only once the first had been cut off: the first is closed already.
    let mut idle = idle.into_std().unwrap();
    idle.set_nonblocking(true).unwrap();
    let read = idle.read(&mut [0u8; 16]);
    assert!(matches!(read, Ok(0)), "the first connection is still open: {read:?}");
}

on_both_backends!(
    a_request_whose_headers_never_end_is_cut_off,
    a_body_shorter_than_its_content_length_gets_408_and_the_connection_closes,
    connections_beyond_the_cap_wait_for_one_to_close,
);

/// The server's peak resident memory so far, in KiB (`VmHWM`).
fn peak_memory_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 1,000 wrong secrets for one client at once, against the real binary: at most the failures
/// allowed per client are ever checked, the rest are refused 429 (or 503 when the hashing pool's
/// queue is full) with Retry-After, memory stays flat, and an unrelated request is answered.
fn a_flood_of_wrong_secrets_is_refused_without_exhausting_the_server(database_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(database_url, dir.path(), free_port());
    let (_, school) = call(
        &server.base,
        ADMIN,
        "/api/v1/institutions",
        &json!({ "code": "TCT-FLOOD", "name": "Trường", "kind": "provincial_political_school" }),
        None,
    );
    let clients = format!("/api/v1/institutions/{}/clients", school["id"].as_str().unwrap());
    let (_, client) = call(&server.base, ADMIN, &clients, &json!({ "label": "LMS" }), None);
    let client_id = client["client_id"].as_str().unwrap();
    let peak_before = peak_memory_kib(&server);

    let address: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let wrong = token_request(&format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret=hocba_cs_wrong"
    ));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (answers, unrelated) = runtime.block_on(async {
        let flood: Vec<_> = (0..1000)
            .map(|_| {
                let wrong = wrong.clone();
                tokio::spawn(async move { until_closed(&mut send(address, &wrong).await).await })
            })
            .collect();
        let unrelated =
            b"GET /api/v1/institutions HTTP/1.1\r\nHost: hocba.test\r\nConnection: close\r\n\r\n";
        let unrelated = until_closed(&mut send(address, unrelated).await).await;
        let mut answers = Vec::new();
        for answer in flood {
            answers.push(answer.await.unwrap());
        }
        (answers, unrelated)
    });

    // Each argon2 check holds 19 MiB while it runs, and no more of them run at once than the
    // server has cores; 1,000 at once took it past a gigabyte. The bound leaves room for the
    // connections and for the allocator keeping freed memory.
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as u64;
    let growth_mib = peak_memory_kib(&server).saturating_sub(peak_before) / 1024;
    let bound_mib = 64 + 20 * cores.min(u64::from(hocba_api::CLIENT_FAILURE_BURST));
    let mut statuses = HashMap::<&str, usize>::new();
    for answer in &answers {
        *statuses.entry(answer.get(9..12).unwrap_or(answer)).or_default() += 1;
    }
    assert!(growth_mib <= bound_mib, "peak memory grew by {growth_mib} MiB: {statuses:?}");
    assert!(statuses.keys().all(|status| ["401", "429", "503"].contains(status)), "{statuses:?}");
    let checked = statuses.get("401").copied().unwrap_or_default();
    assert!(checked <= hocba_api::CLIENT_FAILURE_BURST as usize, "{statuses:?}");
    assert!(statuses.get("429").is_some_and(|refused| *refused > 0), "{statuses:?}");
    for refused in answers.iter().filter(|answer| !answer.starts_with("HTTP/1.1 401 ")) {
        assert!(refused.to_lowercase().contains("\r\nretry-after: "), "{refused}");
    }
    assert!(unrelated.starts_with("HTTP/1.1 200 "), "{unrelated}");
}

mod flood {
    use super::*;

    #[test]
    fn a_flood_of_wrong_secrets_is_refused_without_exhausting_the_server_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
        a_flood_of_wrong_secrets_is_refused_without_exhausting_the_server(&url);
    }

    #[test]
    fn a_flood_of_wrong_secrets_is_refused_without_exhausting_the_server_postgres() {
        let Some(schema) = postgres_schema("flood") else { return };
        a_flood_of_wrong_secrets_is_refused_without_exhausting_the_server(&schema.url());
    }
}
