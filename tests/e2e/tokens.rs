//! Tokens checked once are kept by each server process, but only while the database says no
//! token has changed: a key revoked, narrowed or deleted is refused at the very next request,
//! whichever process, command or SQL prompt changed it.

use axum::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::agencies::agency_key;
use crate::helpers::{TestApp, TestResponse};

const AGENCY: &str = "G01.H29";

async fn who_am_i(app: &TestApp, token: &str) -> TestResponse {
    app.request(Method::GET, "/api/v1/me", Some(token), None).await
}

/// An HR key, used thrice through `app`: the first use reads the key, the others are kept.
async fn key_used_thrice(app: &TestApp) -> (String, String) {
    let (id, token) = agency_key(app, AGENCY).await;
    let before = app.store.tokens_epoch().await.unwrap();
    for _ in 0..3 {
        let me = who_am_i(app, &token).await;
        assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
    }
    // Recording the key's first use changed no token.
    assert_eq!(app.store.tokens_epoch().await.unwrap(), before);
    (id, token)
}

fn served(app: &TestApp) -> [u64; 2] {
    [app.state.tokens.served.kept(), app.state.tokens.served.fresh()]
}

async fn a_key_revoked_through_another_process_is_refused_at_once(app: TestApp) {
    let other = app.second_process().await;
    let (id, token) = key_used_thrice(&app).await;
    let [kept, fresh] = served(&app);
    assert!(kept >= 2, "the key's later uses were kept: {:?}", served(&app));

    let revoked =
        other.post(&format!("/api/v1/agencies/{AGENCY}/keys/{id}/revoke"), &json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    who_am_i(&app, &token).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(served(&app), [kept, fresh + 1], "read afresh once the tokens changed");
}

/// Someone at a SQL prompt, with the database's credentials.
async fn at_a_sql_prompt(app: &TestApp, statement: &str) {
    let db = Database::connect(app.database_url()).await.unwrap();
    let changed = db.execute_unprepared(statement).await.unwrap();
    assert_eq!(changed.rows_affected(), 1, "{statement}");
}

async fn a_key_changed_at_a_sql_prompt_is_refused_at_once(app: TestApp) {
    let (_, token) = key_used_thrice(&app).await;
    // Moved to another agency: the key no longer reads its old agency's staff.
    let moved =
        format!("UPDATE api_tokens SET agency_code = 'G01.H30' WHERE agency_code = '{AGENCY}'");
    at_a_sql_prompt(&app, &moved).await;
    let me = who_am_i(&app, &token).await;
    assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
    assert_eq!(me.body["agency_code"], "G01.H30", "{:#}", me.body);

    at_a_sql_prompt(&app, "DELETE FROM api_tokens WHERE agency_code = 'G01.H30'").await;
    who_am_i(&app, &token).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

on_both_backends!(
    a_key_revoked_through_another_process_is_refused_at_once,
    a_key_changed_at_a_sql_prompt_is_refused_at_once,
);
