//! The database itself: migrations run up, down and up again on both backends, and SQLite's
//! write-ahead log reaches the database file while the registry runs, and stays bounded.

use std::time::{Duration, Instant};

use hocba_domain::CertificateNumber;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::{TestApp, official_body};

async fn migrations_revert_and_reapply(app: TestApp) {
    app.store.migrate_down(None).await.expect("down");
    app.store.migrate().await.expect("up again");
    assert!(!app.store.categories().await.unwrap().is_empty());
    assert_eq!(app.store.verify_audit_chain().await.unwrap().events, 0);
}

async fn migrating_twice_changes_nothing(app: TestApp) {
    let before = app.store.categories().await.unwrap();
    app.store.migrate().await.expect("second migrate");
    assert_eq!(app.store.categories().await.unwrap(), before);
}

/// A certificate written before credentials were packed (its JSON text in `credential`) is read
/// as it was, beside packed ones; the database refuses a row with neither form or both; and the
/// packing migration, or any before it, is not reverted once a credential is packed (that would
/// lose it).
async fn credentials_kept_as_text_read_as_before_beside_packed_ones(app: TestApp) {
    const PACKING: &str = "m20261206_000025_pack_credentials";
    let s = crate::completions::setting(&app).await;
    let posted = app
        .post_as(&s.token, "/api/v1/completions", &crate::completions::completion(&s.class))
        .await;
    let number = posted.body["certificate"]["number"].as_str().unwrap().parse().unwrap();
    let packed = app.store.certificate(&number).await.unwrap();

    // Rows as an earlier registry wrote them, beside the packed one, in status slots of their own.
    let db = Database::connect(app.database_url()).await.unwrap();
    let row = |n: u8, text: Option<&str>, bytes: Option<Vec<u8>>| {
        let number = CertificateNumber::new(2025, [n; 7]);
        let values: [SimpleExpr; 11] = [
            uuid::Uuid::now_v7().into(),
            number.as_str().into(),
            packed.completion_id.as_uuid().into(),
            packed.official_id.as_uuid().into(),
            packed.institution_id.as_uuid().into(),
            packed.kid.clone().into(),
            packed.issued_at.into(),
            packed.status_list.into(),
            (packed.status_index as i32 + 100_000 + i32::from(n)).into(),
            text.map(str::to_owned).into(),
            bytes.into(),
        ];
        let insert = Query::insert()
            .into_table(Alias::new("certificates"))
            .columns(
                [
                    "id",
                    "number",
                    "completion_id",
                    "official_id",
                    "institution_id",
                    "kid",
                    "issued_at",
                    "status_list",
                    "status_index",
                    "credential",
                    "packed_credential",
                ]
                .map(Alias::new),
            )
            .values_panic(values)
            .to_owned();
        (number, db.get_database_backend().build(&insert))
    };

    let text = packed.credential.text().unwrap().into_owned();
    let (earlier, as_text) = row(1, Some(&text), None);
    db.execute_raw(as_text).await.unwrap();
    let read = app.store.certificate(&earlier).await.unwrap();
    assert_eq!(read.credential.text().unwrap(), text, "the text is read byte for byte");
    assert_eq!(app.store.certificate(&number).await.unwrap(), packed);

    let (_, neither) = row(2, None, None);
    assert!(db.execute_raw(neither).await.is_err(), "a row without its credential");
    let (_, both) = row(3, Some(&text), Some(b"{}".to_vec()));
    assert!(db.execute_raw(both).await.is_err(), "a row with two credentials");

    for earlier in [PACKING, "m20261130_000006_derive_jws_on_demand"] {
        assert!(app.store.migrate_down_through(earlier).await.is_err(), "{earlier}");
    }
    app.store.migrate().await.expect("up again");
    assert_eq!(app.store.certificate(&number).await.unwrap(), packed);
    let report = app.post("/api/v1/verify", &json!({ "number": number.as_str() })).await.body;
    assert_eq!(report["verified"], true, "{report:#}");
}

/// The migration that gives HR keys their agency is not reverted while a key, even a revoked
/// one, would lose it.
async fn an_agency_key_keeps_its_migration(app: TestApp) {
    const AGENCY_KEYS: &str = "m20261201_000007_add_agency_keys";
    let created = app.post("/api/v1/agencies/G01.H29/keys", &json!({ "label": "HR" })).await.body;
    // A refused step leaves the later migrations reverted: up again before the next request.
    assert!(app.store.migrate_down_through(AGENCY_KEYS).await.is_err());
    app.store.migrate().await.expect("up again");
    let key = created["id"].as_str().unwrap();
    app.post(&format!("/api/v1/agencies/G01.H29/keys/{key}/revoke"), &json!({})).await;
    assert!(app.store.migrate_down_through(AGENCY_KEYS).await.is_err());
    app.store.migrate().await.expect("up again");
    let listed = app.get_as_admin("/api/v1/agencies/G01.H29/keys").await.body;
    assert!(listed[0]["revoked_at"].is_string(), "{listed:#}");
}

/// The migration that lets a period be ended or corrected is not reverted once one was: the
/// period replaced would count again beside its successor.
async fn an_ended_period_keeps_its_migration(app: TestApp) {
    const SUPERSEDES: &str = "m20261202_000008_add_employment_supersedes";
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let (id, period) = (&official["id"], &official["employments"][0]["id"]);
    let uri = format!(
        "/api/v1/officials/{}/employments/{}/end",
        id.as_str().unwrap(),
        period.as_str().unwrap()
    );
    let ended = app.post(&uri, &json!({ "valid_to": "2023-12-31" })).await;
    assert_eq!(ended.status, axum::http::StatusCode::OK, "{:#}", ended.body);
    assert!(app.store.migrate_down_through(SUPERSEDES).await.is_err());
    // The migrations after the refused one were reverted: up again before reading.
    app.store.migrate().await.expect("up again");
    let read = app.get_as_admin(&format!("/api/v1/officials/{}", id.as_str().unwrap())).await;
    assert_eq!(read.body["employments"][0]["valid_to"], "2023-12-31", "{:#}", read.body);
}

/// While the registry runs, what it writes reaches the SQLite database file itself, not only the
/// write-ahead log beside it, which would otherwise grow without end.
#[tokio::test]
async fn sqlite_copies_its_log_into_the_database_file_while_running() {
    let app = TestApp::sqlite().await;
    app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let file = app.sqlite_file().expect("a SQLite registry");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let bytes = std::fs::read(&file).expect("database file");
        if bytes.windows(12).any(|window| window == b"001085012345") {
            break;
        }
        assert!(Instant::now() < deadline, "the official never reached {}", file.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Under writes that never pause, the write-ahead log still starts again from its beginning
/// rather than growing without end (it once reached 22 GB while four clients registered
/// 100,000 officials).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_its_log_bounded_under_writes_that_never_pause() {
    let app = TestApp::sqlite().await;
    let log = app.sqlite_file().expect("a SQLite registry").with_extension("db-wal");
    let log_size = || std::fs::metadata(&log).map_or(0, |metadata| metadata.len());
    let writing = std::sync::atomic::AtomicBool::new(true);
    let registrar = |first: u32| {
        let app = &app;
        async move {
            for n in (first..1200).step_by(4) {
                let id = format!("001085{n:06}");
                app.register_official(&official_body(&id, "Nguyễn Văn An")).await;
            }
        }
    };
    let watcher = async {
        let mut largest = 0;
        while writing.load(std::sync::atomic::Ordering::Relaxed) {
            largest = largest.max(log_size());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        largest
    };
    let registrars = async {
        tokio::join!(registrar(0), registrar(1), registrar(2), registrar(3));
        writing.store(false, std::sync::atomic::Ordering::Relaxed);
    };
    let ((), largest) = tokio::join!(registrars, watcher);
    // 1,200 registrations write about 250 MB of log. Whatever the speed of the copying task, a
    // write that finds the log past 32 MB truncates it first: it stays under 32 MB and a
    // registration.
    assert!(largest < 64 << 20, "the log reached {} MB", largest >> 20);
}

on_both_backends!(
    migrations_revert_and_reapply,
    migrating_twice_changes_nothing,
    credentials_kept_as_text_read_as_before_beside_packed_ones,
    an_agency_key_keeps_its_migration,
    an_ended_period_keeps_its_migration,
);
