//! Reliability: the real binary killed with SIGKILL in the middle of posting, restarted, and
//! every batch retried with its Idempotency-Key: every row is stored exactly once, and every
//! certificate number and status slot is unique.

use std::collections::HashSet;
use std::net::TcpListener;
use std::ops::Range;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::ScratchSchema;

pub(crate) const ADMIN: &str = "hocba_crash-test-operator-token-0123456789abcdef";
const OFFICIALS: usize = 240;
const BATCHES: usize = 4;

/// A `hocba serve` process; killed when dropped, should the test fail first.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, port: u16) -> Server {
    start_on(&format!("sqlite://{}", dir.join("hocba.db").display()), dir, port)
}

pub(crate) fn start_on(database_url: &str, dir: &Path, port: u16) -> Server {
    start_with(database_url, dir, port, &[])
}

/// A `hocba serve` process with `extra` arguments.
pub(crate) fn start_with(database_url: &str, dir: &Path, port: u16, extra: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .args(["--database-url", database_url])
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .env("HOCBA_ADMIN_TOKEN", ADMIN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{base}/health")).call().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base }
}

pub(crate) fn call(
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> (u16, Value) {
    try_call(base, token, path, body, key).unwrap()
}

/// Like [`call`], but a connection refused or cut before the whole answer came (a server killed
/// or restarting) is an `Err`.
pub(crate) fn try_call(
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> Result<(u16, Value), ureq::Error> {
    let mut request = ureq::post(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build();
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let mut response = request.content_type("application/json").send(body.to_string())?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The national ID number of the test's `n`th official.
pub(crate) fn national_id(n: usize) -> String {
    format!("001085{:06}", 200_000 + n)
}

/// A school with a class, OFFICIALS officials, and the school's token.
fn seed(base: &str) -> (Value, String) {
    let program = program(base);
    let school = school(base, "TCT-CRASH", &program);
    register_officials(base, 0..OFFICIALS);
    school
}

/// The programme the schools' classes follow (category QLNN-CV).
pub(crate) fn program(base: &str) -> Value {
    let (status, program) = call(
        base,
        ADMIN,
        "/api/v1/programs",
        &json!({ "code": "QLNN-CV-2024", "title_vi": "QLNN", "category_code": "QLNN-CV", "min_days": 5 }),
        None,
    );
    assert_eq!(status, 201, "{program}");
    program
}

/// A school accredited for the programme's category, with a class `K1` of it, and the token of a
/// machine client of the school's own.
pub(crate) fn school(base: &str, code: &str, program: &Value) -> (Value, String) {
    let (_, school) = call(
        base,
        ADMIN,
        "/api/v1/institutions",
        &json!({ "code": code, "name": "Trường", "kind": "provincial_political_school" }),
        None,
    );
    let id = school["id"].as_str().unwrap();
    call(
        base,
        ADMIN,
        &format!("/api/v1/institutions/{id}/scopes"),
        &json!({ "category_code": "QLNN-CV", "valid_from": "2020-01-01" }),
        None,
    );
    let (_, class) = call(
        base,
        ADMIN,
        "/api/v1/classes",
        &json!({ "institution_id": id, "program_id": program["id"], "code": "K1", "starts_on": "2025-03-03", "ends_on": "2025-03-28", "mode": "in_person" }),
        None,
    );
    let (_, client) = call(
        base,
        ADMIN,
        &format!("/api/v1/institutions/{id}/clients"),
        &json!({ "label": "crash" }),
        None,
    );
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap()
    );
    let mut response = ureq::post(&format!("{base}/oauth/token"))
        .content_type("application/x-www-form-urlencoded")
        .send(form)
        .unwrap();
    let token: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    (class, token["access_token"].as_str().unwrap().to_owned())
}

/// Registers the officials numbered `officials` (see [`national_id`]).
pub(crate) fn register_officials(base: &str, officials: Range<usize>) {
    for n in officials {
        let official = crate::helpers::official_body(&national_id(n), "Lê Văn Hà");
        let (status, body) = call(base, ADMIN, "/api/v1/officials", &official, None);
        assert_eq!(status, 201, "{body}");
    }
}

fn batch(class: &Value, index: usize) -> Value {
    let per_batch = OFFICIALS / BATCHES;
    rows(class, index * per_batch..(index + 1) * per_batch)
}

/// A batch of `class`'s completions by the officials numbered `officials`.
pub(crate) fn rows(class: &Value, officials: Range<usize>) -> Value {
    let rows: Vec<Value> = officials
        .map(|n| json!({ "national_id": national_id(n), "full_name": "Le Van Ha", "date_of_birth": "1985-03-14", "class_id": class["id"], "duration_days": 20, "outcome": "passed" }))
        .collect();
    json!({ "rows": rows })
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every official holds exactly one certificate; numbers and status slots never repeat.
fn assert_once_each(database_url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = hocba_store::Store::connect(database_url).await.unwrap();
        let reader = hocba_store::Actor::System;
        let (mut numbers, mut slots) = (HashSet::new(), HashSet::new());
        for n in 0..OFFICIALS {
            let national = hocba_domain::NationalId::parse_format(&national_id(n)).unwrap();
            let official = store.lookup_official(&reader, "crash test", &national).await.unwrap();
            let certificates =
                store.certificates_of(&reader, "crash test", official.id).await.unwrap();
            assert_eq!(certificates.len(), 1, "official {n}");
            assert!(numbers.insert(certificates[0].number.clone()));
            assert!(slots.insert((certificates[0].status_list, certificates[0].status_index)));
        }
    });
}

#[test]
fn a_killed_server_stores_every_row_exactly_once_after_retries() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let (class, token) = seed(&server.base);

    // Post the batches from another thread and kill the server while they are under way.
    let (sending, sent) = std::sync::mpsc::channel();
    let poster = {
        let (base, class, token) = (server.base.clone(), class.clone(), token.clone());
        std::thread::spawn(move || {
            for index in 0..BATCHES {
                let key = format!("crash-batch-{index}");
                let body = batch(&class, index);
                let _ = sending.send(index);
                let answered = std::panic::catch_unwind(|| {
                    call(&base, &token, "/api/v1/completions/batch", &body, Some(&key))
                });
                if answered.is_err() {
                    return index; // the server died under this batch
                }
            }
            BATCHES
        })
    };
    // Kill as soon as the second batch is on its way (the first one has been answered): it
    // lands while that batch is sent, read or written, whatever the machine's speed, and the
    // poster cannot have posted the last batch.
    while sent.recv().unwrap() < 1 {}
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.child.wait().unwrap();
    let reached = poster.join().unwrap();
    assert!(reached < BATCHES, "the server must die while batches are being posted");

    // Restarted on the same database and keys, every batch is retried with its key.
    let mut server = start(dir.path(), port);
    for index in 0..BATCHES {
        let key = format!("crash-batch-{index}");
        let (status, report) = call(
            &server.base,
            &token,
            "/api/v1/completions/batch",
            &batch(&class, index),
            Some(&key),
        );
        assert_eq!(status, 200, "batch {index}: {report}");
        assert_eq!(
            report["accepted"],
            OFFICIALS / BATCHES,
            "batch {index} (killed at {reached}): {report}"
        );
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    assert_once_each(&format!("sqlite://{}", dir.path().join("hocba.db").display()));
}

/// A new schema of its own in the tests' PostgreSQL database, created, for server processes to
/// be pointed at (its `url`); `None` (skip) when no PostgreSQL is configured.
pub(crate) fn postgres_schema(prefix: &str) -> Option<Arc<ScratchSchema>> {
    let schema = ScratchSchema::new(prefix)?;
    tokio::runtime::Runtime::new().unwrap().block_on(schema.open());
    Some(schema)
}

/// Three server processes on one PostgreSQL database post at the same time: no certificate
/// number or status slot is handed out twice.
#[test]
fn three_servers_on_one_postgres_never_share_a_number_or_a_slot() {
    let Some(schema) = postgres_schema("multi") else { return };
    let database_url = schema.url();
    let dir = tempfile::tempdir().unwrap();
    // The first server migrates and makes the first key; the others join it.
    let mut servers = vec![start_on(&database_url, dir.path(), free_port())];
    let (class, token) = seed(&servers[0].base);
    servers.push(start_on(&database_url, dir.path(), free_port()));
    servers.push(start_on(&database_url, dir.path(), free_port()));

    let posters: Vec<_> = (0..BATCHES)
        .map(|index| {
            let (base, class, token) =
                (servers[index % 3].base.clone(), class.clone(), token.clone());
            std::thread::spawn(move || {
                call(&base, &token, "/api/v1/completions/batch", &batch(&class, index), None)
            })
        })
        .collect();
    for poster in posters {
        let (status, report) = poster.join().unwrap();
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accepted"], OFFICIALS / BATCHES, "{report}");
    }
    for server in &mut servers {
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    assert_once_each(&database_url);
}
