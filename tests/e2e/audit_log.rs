//! The audit log anyone can check: checkpoints and proofs served over HTTP hold for an
//! independent implementation (tlog_oracle.py, RFC 9162's algorithms in Python), and a log
//! rewritten behind the registry's back, its guards dropped, fails `hocba audit verify
//! --checkpoint` against a checkpoint kept earlier.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

use crate::helpers::{TestApp, official_body};

/// Registers `count` officials: one audit event each.
async fn write_events(app: &TestApp, first: u32, count: u32) {
    for n in first..first + count {
        app.register_official(&official_body(&format!("001085{n:06}"), "Nguyễn Văn An")).await;
    }
}

async fn checkpoint(app: &TestApp) -> String {
    let response = app.get("/audit/checkpoint").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.content_type, "text/plain; charset=utf-8");
    String::from_utf8(response.raw).unwrap()
}

fn size_of(checkpoint: &str) -> u64 {
    checkpoint.lines().nth(1).unwrap().parse().unwrap()
}

/// Runs the oracle on `given`; whether it found everything to hold, and what it said.
fn oracle(given: &Value) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/tlog_oracle.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(given.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

async fn checkpoints_and_proofs_hold_for_an_independent_verifier(app: TestApp) {
    write_events(&app, 1, 4).await;
    let first = checkpoint(&app).await;
    assert!(first.starts_with("hocba.test/audit\n"), "{first}");
    write_events(&app, 5, 6).await;
    let second = checkpoint(&app).await;
    let (old, new) = (size_of(&first), size_of(&second));
    assert!(new >= old + 6, "{first}{second}");
    let keys = String::from_utf8(app.get("/audit/key").await.raw).unwrap();
    let vkeys: Vec<&str> = keys.lines().collect();
    assert_eq!(vkeys.len(), 1, "{keys}");

    let mut inclusion = Vec::new();
    for (checkpoint, size) in [(0, old), (1, new)] {
        for index in [0, size / 2, size - 1] {
            let proof = app.get(&format!("/audit/proof/inclusion?index={index}&size={size}")).await;
            assert_eq!(proof.status, StatusCode::OK, "{:#}", proof.body);
            inclusion.push(json!({
                "checkpoint": checkpoint,
                "index": index,
                "leaf_hash": proof.body["leaf_hash"],
                "hashes": proof.body["hashes"],
            }));
        }
    }
    let consistency = app.get(&format!("/audit/proof/consistency?old={old}&new={new}")).await;
    assert_eq!(consistency.status, StatusCode::OK, "{:#}", consistency.body);
    let same = app.get(&format!("/audit/proof/consistency?old={new}")).await;
    assert_eq!(same.body["hashes"], json!([]), "{:#}", same.body);
    let entries = app.get_as_admin("/api/v1/audit/log?from=0&limit=200").await;
    assert_eq!(entries.body.as_array().map(Vec::len), Some(new as usize), "{:#}", entries.body);
    // The operator's events carry the leaf the public proofs start from.
    assert_eq!(entries.body[0]["leaf_hash"], inclusion[0]["leaf_hash"]);

    let given = json!({
        "vkeys": vkeys,
        "checkpoints": [first, second],
        "inclusion": inclusion,
        "consistency": [
            { "old": 0, "new": 1, "hashes": consistency.body["hashes"] },
            { "old": 1, "new": 1, "hashes": [] },
        ],
        "entries": entries.body,
    });
    let (holds, said) = oracle(&given);
    assert!(holds, "{said}");

    // The oracle is no rubber stamp: a proof with one hash changed, or a checkpoint whose size
    // was edited, fails it.
    let mut forged = given.clone();
    forged["consistency"][0]["hashes"][0] = forged["inclusion"][0]["leaf_hash"].clone();
    assert!(!oracle(&forged).0);
    let mut forged = given.clone();
    forged["checkpoints"][0] = Value::String(first.replacen(&format!("\n{old}\n"), "\n1\n", 1));
    assert!(!oracle(&forged).0);

    // Bad requests are problems naming the parameter.
    let beyond = app.get(&format!("/audit/proof/inclusion?index={new}&size={new}")).await;
    beyond.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(beyond.problem_fields(), ["index"]);
    let future = app.get(&format!("/audit/proof/consistency?old=1&new={}", new + 100)).await;
    assert_eq!(future.problem_fields(), ["new"]);
    let zero = app.get("/audit/proof/consistency?old=0").await;
    assert_eq!(zero.problem_fields(), ["old"]);
    let words = app.get("/audit/proof/inclusion?index=first").await;
    words.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    // Event bodies are the operator's.
    assert_eq!(app.get("/api/v1/audit/log").await.status, StatusCode::UNAUTHORIZED);
}

fn hocba_verify(app: &TestApp, checkpoint: &std::path::Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["audit", "verify", "--database-url", &app.database_url(), "--checkpoint"])
        .arg(checkpoint)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), said)
}

/// A connection of someone with the database's credentials, the append-only guards dropped.
async fn attacker(app: &TestApp) -> DatabaseConnection {
    let db = Database::connect(app.database_url()).await.unwrap();
    let drop_guards: &[&str] = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => &["DROP TRIGGER audit_events_append_only ON audit_events"],
        _ => &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    };
    for statement in drop_guards {
        db.execute_unprepared(statement).await.unwrap();
    }
    db
}

async fn a_log_rewritten_behind_the_registrys_back_fails_against_an_earlier_checkpoint(
    app: TestApp,
) {
    write_events(&app, 1, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("checkpoint.txt");
    std::fs::write(&kept, checkpoint(&app).await).unwrap();
    write_events(&app, 5, 2).await;

    let (code, said) = hocba_verify(&app, &kept);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("consistent with the checkpoint: yes"), "{said}");

    let db = attacker(&app).await;
    let rewritten = "no longer hash to the checkpoint's root";
    // An event's content edited, then put back as it was.
    db.execute_unprepared("UPDATE audit_events SET subject_id = subject_id || 'x' WHERE seq = 2")
        .await
        .unwrap();
    let (code, said) = hocba_verify(&app, &kept);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(rewritten) && said.contains("seq 2"), "{said}");
    db.execute_unprepared(
        "UPDATE audit_events SET subject_id = substr(subject_id, 1, length(subject_id) - 1) \
         WHERE seq = 2",
    )
    .await
    .unwrap();
    assert_eq!(hocba_verify(&app, &kept).0, Some(0));

    // Two events swap places, then swap back.
    let swap = "UPDATE audit_events SET seq = -1 WHERE seq = 2; \
                UPDATE audit_events SET seq = 2 WHERE seq = 3; \
                UPDATE audit_events SET seq = 3 WHERE seq = -1";
    db.execute_unprepared(swap).await.unwrap();
    let (code, said) = hocba_verify(&app, &kept);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(rewritten), "{said}");
    db.execute_unprepared(swap).await.unwrap();
    assert_eq!(hocba_verify(&app, &kept).0, Some(0));

    // An event deleted.
    db.execute_unprepared("DELETE FROM audit_events WHERE seq = 3").await.unwrap();
    let (code, said) = hocba_verify(&app, &kept);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(rewritten), "{said}");
    // The chain's own check sees it too; the checkpoint is what a rewrite of the whole chain,
    // every hash recomputed, cannot get past.
    assert!(said.contains("intact: no"), "{said}");
    db.execute_unprepared("DELETE FROM audit_events WHERE seq > 1").await.unwrap();
    let (code, said) = hocba_verify(&app, &kept);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("fewer than the"), "{said}");

    // A checkpoint altered, or signed by another key, is refused before anything else.
    let forged = dir.path().join("forged.txt");
    let text = std::fs::read_to_string(&kept).unwrap();
    std::fs::write(&forged, text.replacen("\n", "\n1", 1)).unwrap();
    let (code, said) = hocba_verify(&app, &forged);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("cannot be trusted"), "{said}");
}

on_both_backends!(
    checkpoints_and_proofs_hold_for_an_independent_verifier,
    a_log_rewritten_behind_the_registrys_back_fails_against_an_earlier_checkpoint,
);
