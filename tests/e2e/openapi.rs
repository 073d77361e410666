//! The committed `openapi/openapi.json` is what the code serves.

use axum::http::StatusCode;

use crate::helpers::TestApp;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = hocba_api::openapi().to_pretty_json().expect("serialize");
    assert!(
        generated.trim() == COMMITTED.trim(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

async fn the_spec_and_swagger_ui_are_served(app: TestApp) {
    let spec = app.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body["paths"]["/api/v1/officials/lookup"]["post"].is_object());
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, StatusCode::OK);
}

on_both_backends!(the_spec_and_swagger_ui_are_served);
