//! The read log under concurrent readers: each read's row is committed before it is answered,
//! many reads to one commit.

use axum::http::StatusCode;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{TestApp, official_body};

on_both_backends!(concurrent_readers_each_find_their_read_in_the_log);

/// Readers at once, each of another official: enough to share commits with each other.
const READERS: usize = 24;

async fn concurrent_readers_each_find_their_read_in_the_log(app: TestApp) {
    let mut ids = Vec::new();
    for n in 0..READERS {
        let body = official_body(&format!("001085{n:06}"), "Lê Văn An");
        let official = app.register_official(&body).await;
        ids.push(official["id"].as_str().unwrap().to_owned());
    }

    // Each reader asks for its official's compliance, then at once for the official's read log:
    // the read it was just answered must be there already.
    let readers = ids.iter().map(|id| {
        let app = &app;
        async move {
            let read = app.get_as_admin(&format!("/api/v1/officials/{id}/compliance")).await;
            assert_eq!(read.status, StatusCode::OK, "{:#}", read.body);
            let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await;
            let purposes: Vec<_> =
                reads.body.as_array().unwrap().iter().map(|read| read["purpose"].clone()).collect();
            assert_eq!(purposes, [json!("GET /api/v1/officials/{id}/compliance")], "{id}");
        }
    });
    join_all(readers).await;
}
