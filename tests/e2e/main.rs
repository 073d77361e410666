//! End-to-end tests: the real application, in process, on a fresh migrated database.
//!
//! Every test body runs twice, on SQLite (a new file in a temp dir) and on PostgreSQL (a new
//! schema in the database named by `HOCBA_TEST_POSTGRES_URL`; skipped when it is unset, unless
//! `HOCBA_REQUIRE_POSTGRES` is set, as it is in CI).

// A failed setup step should stop the test with its message; that is what these are for here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod helpers;
mod agencies;
mod audit_log;
mod batch;
mod browser;
mod catalog;
mod certificates;
mod clients;
mod completions;
mod consents;
mod crash;
mod dashboard;
mod dcc;
mod docs;
mod events;
mod exhaustion;
mod faults;
mod holder;
mod import;
mod input;
mod institutions;
mod interop;
mod machine_clients;
mod migrations;
mod numbers;
mod officials;
mod offline;
mod openapi;
mod operations;
mod pages;
mod pdf;
mod pg_cluster;
mod pg_restart;
mod population;
mod presentations;
mod read_log;
mod record;
mod replica;
mod reports;
mod results;
mod sessions;
mod shares;
mod signin;
mod standards;
mod tokens;
mod transcript;
mod verdicts;
mod web_sign_in;
mod webhooks;
