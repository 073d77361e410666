//! Faults, repeated: the real binary killed with SIGKILL twenty times while several schools post
//! their classes, on SQLite and on PostgreSQL, and a SQLite registry whose file system fills up.
//! After each, the database holds every answered batch exactly once, and nothing else.
//!
//! Nothing here depends on where a kill lands. The delays are drawn so that kills fall while a
//! batch is sent, checked, signed, written or committed, or just after it was answered, but the
//! checks hold for every one of those moments, so a fast or a slow machine passes alike. The
//! draws come from a seeded generator; the seed is printed (shown when a test fails), and
//! `HOCBA_FAULTS_SEED=N` draws the same delays again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use uuid::Uuid;

use crate::crash::{
    Server, free_port, postgres_schema, program, register_officials, rows, school, start_on,
    try_call,
};

const BATCH: &str = "/api/v1/completions/batch";
const KILLS: usize = 20;
/// Schools posting at once, each with a client of its own.
const SCHOOLS: usize = 3;
/// Rows per batch; each school posts one batch per kill, so a class has `KILLS * ROWS`.
const ROWS: usize = 25;
/// The longest a kill waits after a batch was sent: more than a batch of [`ROWS`] takes in a
/// debug build here, three schools at once (50 to 150 ms), so that some kills land after the
/// answer.
const LONGEST_DELAY_MS: u64 = 250;

/// The test's random generator and its seed: `HOCBA_FAULTS_SEED` when set, else the clock's.
pub(crate) fn seeded() -> (StdRng, u64) {
    let seed = std::env::var("HOCBA_FAULTS_SEED").ok().and_then(|seed| seed.parse().ok());
    let seed = seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        now.as_nanos() as u64
    });
    eprintln!("seed {seed} (HOCBA_FAULTS_SEED={seed} draws the same delays again)");
    (StdRng::seed_from_u64(seed), seed)
}

/// How long after a batch was sent the server is killed. A quarter of the kills come within
/// 5 ms, while the request is still being sent or read; the others are spread over about as
/// long as a batch takes, through checking, signing, writing, committing and answering.
fn kill_delay(rng: &mut StdRng) -> Duration {
    let ms = if rng.random_ratio(1, 4) {
        rng.random_range(0..5)
    } else {
        rng.random_range(5..=LONGEST_DELAY_MS)
    };
    Duration::from_millis(ms)
}

/// How many batches each school may have started: one more per kill, so that every kill finds
/// batches still to post, however fast the machine posts them.
#[derive(Default)]
struct Gate {
    allowed: Mutex<usize>,
    opened: Condvar,
}

impl Gate {
    fn open_to(&self, batches: usize) {
        *self.allowed.lock().unwrap() = batches;
        self.opened.notify_all();
    }

    fn wait_for(&self, batch: usize) {
        let allowed = self.allowed.lock().unwrap();
        drop(self.opened.wait_while(allowed, |allowed| *allowed <= batch).unwrap());
    }
}

/// One batch as a school posts it: its Idempotency-Key and body.
#[derive(Clone)]
struct Batch {
    key: String,
    body: Value,
}

/// The `index`th batch of `size` rows of `class`, keyed under `name`.
fn batch_of(name: &str, class: &Value, index: usize, size: usize) -> Batch {
    Batch {
        key: format!("{name}-batch-{index}"),
        body: rows(class, index * size..(index + 1) * size),
    }
}

/// Sends `batch` until the server answers it, with its key each time: a refused or cut
/// connection means the server is down or restarting. Tells `sending` of each attempt. Any
/// answer but 200 fails the test.
fn post_until_answered(base: &str, token: &str, batch: &Batch, sending: &Sender<()>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let _ = sending.send(());
        match try_call(base, token, BATCH, &batch.body, Some(&batch.key)) {
            Ok((200, report)) => return report,
            Ok((status, problem)) => panic!("batch {}: {status} {problem}", batch.key),
            Err(_) => {
                assert!(Instant::now() < deadline, "batch {} never answered", batch.key);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A batch and the answer its school finally got.
struct Answered {
    batch: Batch,
    report: Value,
}

/// Posts `SCHOOLS` classes of `KILLS` batches at once while the server is killed `KILLS` times
/// at random moments and restarted on the same database and keys; returns every batch with its
/// answer, and the server that answered last.
fn post_while_killing(
    database_url: &str,
    dir: &Path,
    schools: &[(Value, String)],
    mut server: Server,
) -> (Vec<Answered>, Server) {
    let (mut rng, seed) = seeded();
    let gate = Arc::new(Gate::default());
    let (sending, sent): (Sender<()>, Receiver<()>) = std::sync::mpsc::channel();
    let clients: Vec<_> = schools
        .iter()
        .enumerate()
        .map(|(number, (class, token))| {
            let (base, class, token) = (server.base.clone(), class.clone(), token.clone());
            let (gate, sending) = (gate.clone(), sending.clone());
            std::thread::spawn(move || {
                (0..KILLS)
                    .map(|index| {
                        gate.wait_for(index);
                        let batch = batch_of(&format!("school-{number}"), &class, index, ROWS);
                        let report = post_until_answered(&base, &token, &batch, &sending);
                        Answered { batch, report }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let port = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let mut delays = Vec::with_capacity(KILLS);
    for kill in 0..KILLS {
        // Attempts sent to the dead server do not count: wait for one this server receives.
        while sent.try_recv().is_ok() {}
        gate.open_to(kill + 1);
        sent.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no batch was sent within a minute (seed {seed})"));
        let delay = kill_delay(&mut rng);
        std::thread::sleep(delay);
        delays.push(delay.as_millis());
        server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        server.child.wait().unwrap();
        server = start_on(database_url, dir, port);
    }
    eprintln!("killed after {delays:?} ms");
    let answered = clients.into_iter().flat_map(|client| client.join().unwrap()).collect();
    (answered, server)
}

/// Every answered batch is stored exactly once, and nothing else: completions, certificates,
/// status slots, audit events, public events and remembered answers.
fn assert_stored_once(database_url: &str, answered: &[Answered]) {
    let mut posted: HashMap<Uuid, String> = HashMap::new();
    for Answered { batch, report } in answered {
        assert_eq!(report["rejected"], 0, "{}: {report}", batch.key);
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), batch.body["rows"].as_array().unwrap().len(), "{}", batch.key);
        for row in rows {
            assert_eq!(row["status"], "accepted", "{}: {row}", batch.key);
            let completion = row["completion_id"].as_str().unwrap().parse().unwrap();
            let number = row["certificate_number"].as_str().unwrap().to_owned();
            assert!(posted.insert(completion, number).is_none(), "one completion, two rows");
        }
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::connect(database_url).await.unwrap();
        let completions =
            column_pairs::<Uuid, Uuid>(&db, "SELECT id, official_id FROM completions");
        let completions = completions.await;
        let stored: HashSet<Uuid> = completions.iter().map(|(id, _)| *id).collect();
        assert_eq!(stored.len(), completions.len());
        assert_eq!(stored, posted.keys().copied().collect(), "completions lost or added");

        // One certificate per completion, the one the answer named, in a slot of its own; every
        // slot a status list handed out is held by a certificate (none taken twice or lost).
        let certificates = db
            .query_all_raw(statement(
                &db,
                "SELECT completion_id, number, status_list, status_index FROM certificates",
            ))
            .await
            .unwrap();
        let mut slots = HashSet::new();
        let mut numbered: HashMap<Uuid, String> = HashMap::new();
        for row in &certificates {
            let completion: Uuid = row.try_get("", "completion_id").unwrap();
            let number: String = row.try_get("", "number").unwrap();
            let slot: (i32, i32) =
                (row.try_get("", "status_list").unwrap(), row.try_get("", "status_index").unwrap());
            assert!(slots.insert(slot), "slot {slot:?} taken twice");
            assert!(numbered.insert(completion, number).is_none(), "two certificates");
        }
        assert_eq!(numbered, posted, "certificates as answered");
        let handed_out: i64 =
            column_pairs::<i32, i32>(&db, "SELECT id, next_position FROM status_lists")
                .await
                .iter()
                .map(|(_, next)| i64::from(*next))
                .sum();
        assert_eq!(handed_out, certificates.len() as i64, "status slots handed out");

        // Each batch is one audit event naming exactly its completions.
        let events = db
            .query_all_raw(statement(
                &db,
                "SELECT details FROM audit_events WHERE action = 'completions.posted'",
            ))
            .await
            .unwrap();
        assert_eq!(events.len(), answered.len(), "one audit event per batch");
        let mut audited = HashSet::new();
        for event in &events {
            let details: String = event.try_get("", "details").unwrap();
            let details: Value = serde_json::from_str(&details).unwrap();
            for completion in details["completions"].as_array().unwrap() {
                let id: Uuid = completion["completion_id"].as_str().unwrap().parse().unwrap();
                assert!(audited.insert(id), "completion {id} audited twice");
            }
        }
        assert_eq!(audited, stored, "audit events lost or added");

        // Each completion's public events, once each.
        for kind in ["completion.recorded", "certificate.issued"] {
            let sql = format!(
                "SELECT completion_id, certificate_number FROM outbox_events \
                 WHERE event_type = '{kind}'"
            );
            let published = column_pairs::<Uuid, String>(&db, &sql).await;
            assert_eq!(published.len(), posted.len(), "{kind} events");
            assert_eq!(published.into_iter().collect::<HashMap<_, _>>(), posted, "{kind}");
        }

        // Each batch's answer is remembered once, as the school got it.
        let remembered: HashMap<String, String> =
            column_pairs::<String, String>(&db, "SELECT key, response FROM idempotency_keys")
                .await
                .into_iter()
                .collect();
        for Answered { batch, report } in answered {
            let stored: Value = serde_json::from_str(&remembered[&batch.key]).unwrap();
            assert_eq!(&stored, report, "{}: the answer remembered", batch.key);
        }
    });
}

fn statement(db: &DatabaseConnection, sql: &str) -> Statement {
    Statement::from_string(db.get_database_backend(), sql.to_owned())
}

/// The rows of a query of two columns.
async fn column_pairs<A, B>(db: &DatabaseConnection, sql: &str) -> Vec<(A, B)>
where
    A: sea_orm::TryGetable,
    B: sea_orm::TryGetable,
{
    db.query_all_raw(statement(db, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
        .collect()
}

/// The registry's signed checkpoint of its audit log, kept in a file.
fn keep_checkpoint(base: &str, file: &Path) {
    let mut response = ureq::get(&format!("{base}/audit/checkpoint")).call().unwrap();
    std::fs::write(file, response.body_mut().read_to_string().unwrap()).unwrap();
}

/// `hocba audit verify` on the database, against a checkpoint kept earlier: the chain is intact
/// and the log holds the checkpoint's tree, grown only by appending.
fn assert_audit_log_holds(database_url: &str, checkpoint: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["audit", "verify", "--database-url", database_url, "--checkpoint"])
        .arg(checkpoint)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("intact: yes"), "{said}");
    assert!(said.contains("consistent with the checkpoint: yes"), "{said}");
}

/// A registry with `SCHOOLS` schools, each with a class and a client, and the officials the
/// classes hold; the first server, started on `database_url`.
fn seeded_registry(
    database_url: &str,
    dir: &Path,
    officials: usize,
) -> (Server, Vec<(Value, String)>) {
    let server = start_on(database_url, dir, free_port());
    let program = program(&server.base);
    let schools =
        (0..SCHOOLS).map(|n| school(&server.base, &format!("TCT-F{n}"), &program)).collect();
    register_officials(&server.base, 0..officials);
    (server, schools)
}

fn twenty_kills_while_schools_post(database_url: &str, dir: &Path) {
    let (server, schools) = seeded_registry(database_url, dir, KILLS * ROWS);
    let before = dir.join("checkpoint-before.txt");
    keep_checkpoint(&server.base, &before);

    let (answered, server) = post_while_killing(database_url, dir, &schools, server);
    drop(server);
    assert_eq!(answered.len(), SCHOOLS * KILLS);
    assert_stored_once(database_url, &answered);
    assert_audit_log_holds(database_url, &before);
}

#[test]
fn sqlite_twenty_kills_while_schools_post_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
    twenty_kills_while_schools_post(&url, dir.path());
}

#[test]
fn postgres_twenty_kills_while_schools_post_lose_and_repeat_nothing() {
    let Some(schema) = postgres_schema("faults") else { return };
    let dir = tempfile::tempdir().unwrap();
    twenty_kills_while_schools_post(&schema.url(), dir.path());
}

/// A tmpfs of a few megabytes: a real file system that fills up. Unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    /// Mounts one of `megabytes` at `path`; `None` when this process may not mount (only root
    /// may, as the tests run in CI).
    fn mount(path: &Path, megabytes: u32) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "hocba-test"])
            .arg(path)
            .status()
            .is_ok_and(|status| status.success());
        mounted.then(|| SmallDisk { path: path.to_owned() })
    }

    /// Fills the space left with a file, which is returned.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::StorageFull => break,
                Err(error) => panic!("filling the disk: {error}"),
            }
        }
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a server that failed the test first may still hold files open on it.
        let _ = Command::new("umount").arg("--lazy").arg(&self.path).status();
    }
}

/// `PRAGMA integrity_check` of a SQLite database finds nothing wrong.
fn assert_sqlite_intact(database_url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::connect(database_url).await.unwrap();
        let found = db.query_all_raw(statement(&db, "PRAGMA integrity_check")).await.unwrap();
        let found: Vec<String> = found.iter().map(|row| row.try_get_by_index(0).unwrap()).collect();
        assert_eq!(found, ["ok"]);
    });
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` on a SQLite database: its log copied into it and the log
/// file emptied. SQLite reuses a log file's space, so until it is emptied, writes into a full
/// disk go on as long as they fit in the space the log already holds.
fn truncate_sqlite_log(database_url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::connect(database_url).await.unwrap();
        let sql = "PRAGMA wal_checkpoint(TRUNCATE)";
        let busy: Vec<(i32, i32)> = column_pairs(&db, sql).await;
        assert_eq!(busy[0].0, 0, "the log was busy");
    });
}

/// Rows per batch in the full-disk test.
const ROWS_ON_DISK: usize = 40;
/// The most batches posted into a full disk before one must be refused (the first is, once
/// SQLite's log is emptied, but the test does not rely on it).
const BATCHES_ON_DISK: usize = 4;

/// A SQLite registry on a file system that fills up: posting is refused with 507
/// `storage-full`, never a 500; the database stays intact with nothing half-written; once space
/// is freed the same server posts again, the refused batch and two more, without a restart, and a
/// new connection finds every batch answered.
///
/// Skipped (with a message) where a tmpfs cannot be mounted, that is when not run as root;
/// CI runs as root.
///
/// It found batches answered 200 after the disk was freed missing from the database: SQLite had
/// rolled a transaction back by itself on `SQLITE_FULL`, and the pooled connection went on inside
/// a transaction that was never committed (see the store's `sqlite_pool`).
#[test]
fn sqlite_a_full_disk_refuses_posting_and_keeps_the_database_intact() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), 64) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let url = format!("sqlite://{}", disk.path.join("hocba.db").display());
    // The batches posted into the disk, and two more once it is freed.
    let officials = ROWS_ON_DISK * (BATCHES_ON_DISK + 2);
    let (server, schools) = seeded_registry(&url, dir.path(), officials);
    let before = dir.path().join("checkpoint-before.txt");
    keep_checkpoint(&server.base, &before);
    let (class, token) = &schools[0];
    let batch_at = |index| batch_of("disk", class, index, ROWS_ON_DISK);
    let post = |batch: &Batch| {
        try_call(&server.base, token, BATCH, &batch.body, Some(&batch.key)).unwrap()
    };

    truncate_sqlite_log(&url);
    let filler = disk.fill();
    let mut answered = Vec::new();
    let mut refused = None;
    for index in 0..BATCHES_ON_DISK {
        let batch = batch_at(index);
        match post(&batch) {
            (200, report) => answered.push(Answered { batch, report }),
            (507, problem) => {
                refused = Some((batch, problem));
                break;
            }
            (status, answer) => panic!("batch {index} into a full disk: {status} {answer}"),
        }
    }
    let (refused, problem) = refused.expect("a full disk refused no batch");
    assert_eq!(problem["type"], "urn:hocba:problem:storage-full", "{problem}");
    assert_eq!(problem["status"], 507, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("nothing was recorded"), "{problem}");
    // Still full. Reads that write nothing are served; a read of an official's record, which
    // must be logged, is refused as a write is, never served unlogged.
    let health = ureq::get(&format!("{}/health", server.base)).call().unwrap();
    assert_eq!(health.status(), 200);
    keep_checkpoint(&server.base, &dir.path().join("checkpoint-full.txt"));
    let (status, problem) = crate::crash::call(
        &server.base,
        crate::crash::ADMIN,
        "/api/v1/officials/lookup",
        &serde_json::json!({ "national_id": crate::crash::national_id(0) }),
        None,
    );
    assert_eq!((status, &problem["code"]), (507, &Value::from("storage-full")), "{problem}");
    // The database holds the batches answered, nothing of the one refused.
    assert_sqlite_intact(&url);
    assert_stored_once(&url, &answered);
    assert_audit_log_holds(&url, &before);

    std::fs::remove_file(filler).unwrap();
    // A lookup that finds no one ends its reading transaction without a commit, as any failed
    // read does. Before the fix, this left the server's one connection inside a transaction
    // never committed, and every batch after it was answered 200 and lost.
    let (status, problem) = crate::crash::call(
        &server.base,
        crate::crash::ADMIN,
        "/api/v1/officials/lookup",
        &serde_json::json!({ "national_id": crate::crash::national_id(officials) }),
        None,
    );
    assert_eq!(status, 404, "{problem}");
    let next = [batch_at(answered.len() + 1), batch_at(answered.len() + 2)];
    for batch in std::iter::once(refused).chain(next) {
        let (status, report) = post(&batch);
        assert_eq!(status, 200, "{}: {report}", batch.key);
        answered.push(Answered { batch, report });
    }
    assert_sqlite_intact(&url);
    assert_stored_once(&url, &answered);
    assert_audit_log_holds(&url, &before);
}
