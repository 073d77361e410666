//! Scale-out: three `hocba serve` processes on one PostgreSQL primary, reading from a streaming
//! replica of it that applies every commit late. Institutions post through all three at once;
//! nothing is lost or duplicated, and each finds its fresh certificates by number at once,
//! through any process, although the replica does not have them yet.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::crash::{ADMIN, Server, call, free_port, start_with};
use crate::pg_cluster::Cluster;

const INSTITUTIONS: usize = 3;
/// Batches each institution posts, each through another process.
const BATCHES: usize = 3;
const PER_BATCH: usize = 8;

fn national_id(institution: usize, batch: usize, row: usize) -> String {
    format!("001085{:06}", 300_000 + (institution * BATCHES + batch) * PER_BATCH + row)
}

/// An institution with a class, and its API token.
pub(crate) struct School {
    pub(crate) class: Value,
    pub(crate) token: String,
}

pub(crate) fn school(base: &str, n: usize, program: &Value) -> School {
    let code = format!("TCT-REPLICA-{n}");
    let (status, school) = call(
        base,
        ADMIN,
        "/api/v1/institutions",
        &json!({ "code": code, "name": "Trường", "kind": "provincial_political_school" }),
        None,
    );
    assert_eq!(status, 201, "{school}");
    let id = school["id"].as_str().unwrap();
    let scope = json!({ "category_code": "QLNN-CV", "valid_from": "2020-01-01" });
    call(base, ADMIN, &format!("/api/v1/institutions/{id}/scopes"), &scope, None);
    let class = json!({ "institution_id": id, "program_id": program["id"], "code": "K1", "starts_on": "2025-03-03", "ends_on": "2025-03-28", "mode": "in_person" });
    let (_, class) = call(base, ADMIN, "/api/v1/classes", &class, None);
    let clients = format!("/api/v1/institutions/{id}/clients");
    let (_, client) = call(base, ADMIN, &clients, &json!({ "label": "replica" }), None);
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    let form = [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)];
    let mut granted = ureq::post(&format!("{base}/oauth/token")).send_form(form).unwrap();
    let token: Value = serde_json::from_str(&granted.body_mut().read_to_string().unwrap()).unwrap();
    School { class, token: token["access_token"].as_str().unwrap().to_owned() }
}

fn batch(class: &Value, institution: usize, index: usize) -> Value {
    let rows: Vec<Value> = (0..PER_BATCH)
        .map(|row| json!({ "national_id": national_id(institution, index, row), "full_name": "Le Van Ha", "date_of_birth": "1985-03-14", "class_id": class["id"], "duration_days": 20, "outcome": "passed" }))
        .collect();
    json!({ "rows": rows })
}

/// Posts the institution's batches, each through another process, and after each asks yet
/// another process to verify every certificate just posted: none may be unknown.
fn post_and_verify(bases: &[String], school: &School, institution: usize) -> Vec<String> {
    let mut numbers = Vec::new();
    for index in 0..BATCHES {
        let through = &bases[(institution + index) % bases.len()];
        let body = batch(&school.class, institution, index);
        let (status, report) =
            call(through, &school.token, "/api/v1/completions/batch", &body, None);
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accepted"], PER_BATCH, "{report}");
        let verifier = &bases[(institution + index + 1) % bases.len()];
        for row in report["rows"].as_array().unwrap() {
            let number = row["certificate_number"].as_str().unwrap().to_owned();
            let (status, verdict) =
                call(verifier, &school.token, "/api/v1/verify", &json!({ "number": number }), None);
            assert_eq!(status, 200, "{number} is unknown just after it was posted: {verdict}");
            assert_eq!(verdict["verified"], true, "{verdict}");
            numbers.push(number);
        }
    }
    numbers
}

#[test]
fn three_servers_reading_a_lagging_replica_lose_nothing_and_know_their_fresh_certificates() {
    let Some(primary) = Cluster::primary() else { return };
    // Every commit reaches the replica's readers half a second late: within the bound the
    // servers accept, so the replica answers reads, and never has a certificate just posted.
    let replica = primary.replica("500ms");
    let dir = tempfile::tempdir().unwrap();
    let replica_url = replica.url();
    // One registry: the three processes publish the same DID and status lists.
    let ports = [free_port(), free_port(), free_port()];
    let metrics = ports.map(|_| format!("127.0.0.1:{}", free_port()));
    let base_url = format!("http://127.0.0.1:{}", ports[0]);
    let read = [
        "--read-database-url",
        replica_url.as_str(),
        "--read-max-lag-ms",
        "10000",
        "--base-url",
        base_url.as_str(),
    ];
    let start = |n: usize| {
        let args = [&read[..], &["--metrics-listen", metrics[n].as_str()]].concat();
        start_with(&primary.url(), dir.path(), ports[n], &args)
    };
    // The first server migrates and makes the first key; the others join it.
    let mut servers: Vec<Server> = vec![start(0)];
    let base = servers[0].base.clone();
    let program = json!({ "code": "QLNN-CV-2024", "title_vi": "QLNN", "category_code": "QLNN-CV", "min_days": 5 });
    let (_, program) = call(&base, ADMIN, "/api/v1/programs", &program, None);
    let schools: Vec<School> = (0..INSTITUTIONS).map(|n| school(&base, n, &program)).collect();
    for institution in 0..INSTITUTIONS {
        for index in 0..BATCHES {
            for row in 0..PER_BATCH {
                let id = national_id(institution, index, row);
                let official = crate::helpers::official_body(&id, "Lê Văn Hà");
                let (status, body) = call(&base, ADMIN, "/api/v1/officials", &official, None);
                assert_eq!(status, 201, "{body}");
            }
        }
    }
    servers.push(start(1));
    servers.push(start(2));
    let bases: Vec<String> = servers.iter().map(|server| server.base.clone()).collect();

    let numbers: Vec<String> = std::thread::scope(|scope| {
        let posters: Vec<_> = schools
            .iter()
            .enumerate()
            .map(|(n, school)| {
                let bases = &bases;
                scope.spawn(move || post_and_verify(bases, school, n))
            })
            .collect();
        posters.into_iter().flat_map(|poster| poster.join().unwrap()).collect()
    });
    assert_eq!(numbers.len(), INSTITUTIONS * BATCHES * PER_BATCH);
    assert_eq!(numbers.iter().collect::<HashSet<_>>().len(), numbers.len(), "a number repeats");
    assert!(read_on(&replica.url()), "the servers never read the replica's certificates");
    // Each fresh certificate was answered by the primary: the replica did not have it yet. Once
    // it has caught up, it answers, and the operator's monitoring sees where reads went and how
    // far behind the replica is.
    let on_replica = r#"hocba_replica_reads_total{on="replica"}"#;
    for ((base, number), address) in bases.iter().zip(&numbers).zip(&metrics) {
        // PostgreSQL may report an idle backend's statistics up to 10 s late.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while sample(&scrape(address), on_replica) == 0.0 {
            assert!(std::time::Instant::now() < deadline, "{base} never read the replica");
            let certificate = ureq::get(&format!("{base}/api/v1/certificates/{number}")).call();
            assert_eq!(certificate.unwrap().status().as_u16(), 200, "{number} through {base}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let scraped = scrape(address);
        assert!(sample(&scraped, r#"hocba_replica_reads_total{on="primary"}"#) > 0.0);
        assert!(sample(&scraped, "hocba_replica_lag_bytes") >= 0.0, "{scraped}");
        assert!(sample(&scraped, "hocba_replica_lag_seconds") >= 0.0, "{scraped}");
    }

    // With the replica down, the primary answers every read (of the certificate itself: a
    // verdict by number may be one the process kept), and the monitoring sees it stale.
    replica.stop();
    let on_primary = r#"hocba_replica_reads_total{on="primary"}"#;
    for ((base, number), address) in bases.iter().zip(&numbers).zip(&metrics) {
        let before = sample(&scrape(address), on_primary);
        let certificate = ureq::get(&format!("{base}/api/v1/certificates/{number}")).call();
        assert_eq!(certificate.unwrap().status().as_u16(), 200, "{number} through {base}");
        assert!(sample(&scrape(address), on_primary) > before, "{base}");
    }
    for address in &metrics {
        // PostgreSQL may report an idle backend's statistics up to 10 s late.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while sample(&scrape(address), "hocba_replica_fresh") != 0.0 {
            assert!(std::time::Instant::now() < deadline, "{address} still counts it fresh");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    drop(servers);

    // On the primary: every official holds exactly one certificate, in a slot of its own.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = hocba_store::Store::connect(&primary.url()).await.unwrap();
        let reader = hocba_store::Actor::System;
        let (mut stored, mut slots) = (HashSet::new(), HashSet::new());
        for institution in 0..INSTITUTIONS {
            for index in 0..BATCHES {
                for row in 0..PER_BATCH {
                    let id = national_id(institution, index, row);
                    let national = hocba_domain::NationalId::parse_format(&id).unwrap();
                    let official = store.lookup_official(&reader, "test", &national).await.unwrap();
                    let held = store.certificates_of(&reader, "test", official.id).await.unwrap();
                    assert_eq!(held.len(), 1, "official {id}");
                    assert!(stored.insert(held[0].number.to_string()));
                    assert!(slots.insert((held[0].status_list, held[0].status_index)));
                }
            }
        }
        assert_eq!(stored, numbers.into_iter().collect());
    });
}

/// The metrics a server serves at `address`.
fn scrape(address: &str) -> String {
    let response = ureq::get(&format!("http://{address}/metrics")).call().unwrap();
    response.into_body().read_to_string().unwrap()
}

/// The value of the series `name` (with its labels, as written) in scraped metrics.
fn sample(metrics: &str, name: &str) -> f64 {
    let line = metrics.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' '));
    line.unwrap_or_else(|| panic!("no {name} in {metrics}")).parse().unwrap()
}

/// Whether the certificates table of the server at `url` has been read (its own statistics;
/// the replica's freshness checks never read it). Statistics reach the view within a second or
/// so of a reading transaction's end: waits up to 20 s for them.
fn read_on(url: &str) -> bool {
    use sea_orm::ConnectionTrait;
    let sql = "SELECT (COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0))::bigint AS scans \
               FROM pg_stat_user_tables WHERE relname = 'certificates'";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = sea_orm::Database::connect(url).await.unwrap();
        // PostgreSQL may report an idle backend's statistics up to 10 s late.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let row =
                db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql));
            let scans: i64 = row.await.unwrap().map_or(0, |row| row.try_get("", "scans").unwrap());
            if scans > 0 {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        false
    })
}
