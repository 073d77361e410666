//! Institutions and what they are accredited to certify.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

async fn an_institution_lists_its_scopes(app: TestApp) {
    let school = app
        .accredited_institution(
            "TCT-HANAM",
            "provincial_political_school",
            &["QLNN-CV", "LLCT-TRUNG"],
        )
        .await;
    let id = school["id"].as_str().unwrap();
    let read = app.get(&format!("/api/v1/institutions/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["kind"], "provincial_political_school");
    assert_eq!(read.body["status"], "active");
    let scopes: Vec<_> = read.body["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["category_code"].clone())
        .collect();
    assert_eq!(scopes, [json!("QLNN-CV"), json!("LLCT-TRUNG")]);

    let trail = app.store.audit_trail("institution", id).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(
        actions,
        ["institution.created", "institution.scope_granted", "institution.scope_granted"]
    );
}

async fn institution_codes_are_unique(app: TestApp) {
    app.accredited_institution("HVCTQG", "national_academy", &[]).await;
    let again = app
        .post(
            "/api/v1/institutions",
            &json!({ "code": "HVCTQG", "name": "Khác", "kind": "university" }),
        )
        .await;
    again.assert_problem(StatusCode::CONFLICT, "already-exists");
    assert_eq!(again.problem_fields(), ["code"]);
}

async fn a_scope_the_kind_can_never_deliver_is_refused(app: TestApp) {
    let school = app.accredited_institution("TCT-HANAM", "provincial_political_school", &[]).await;
    let id = school["id"].as_str().unwrap();
    let refused = app
        .post(
            &format!("/api/v1/institutions/{id}/scopes"),
            &json!({ "category_code": "QPAN-3", "valid_from": "2024-01-01" }),
        )
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(refused.problem_fields(), ["category_code"]);
    assert_eq!(refused.body["errors"][0]["code"], "kind-cannot-deliver");
    assert_eq!(app.get(&format!("/api/v1/institutions/{id}")).await.body["scopes"], json!([]));
}

async fn a_scope_for_a_category_not_in_the_catalogue_is_refused(app: TestApp) {
    let school = app.accredited_institution("TRUONG-BTC", "ministry_school", &[]).await;
    let id = school["id"].as_str().unwrap();
    let refused = app
        .post(
            &format!("/api/v1/institutions/{id}/scopes"),
            &json!({ "category_code": "VTVL-KETOAN", "valid_from": "2024-01-01" }),
        )
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(refused.problem_fields(), ["category_code"]);
}

async fn institutions_page_in_registration_order(app: TestApp) {
    for code in ["A1", "A2", "A3"] {
        app.accredited_institution(code, "university", &[]).await;
    }
    let first = app.get("/api/v1/institutions?limit=2").await;
    let codes: Vec<_> =
        first.body["items"].as_array().unwrap().iter().map(|i| i["code"].clone()).collect();
    assert_eq!(codes, [json!("A1"), json!("A2")]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/institutions?limit=2&cursor={cursor}")).await;
    let codes: Vec<_> =
        second.body["items"].as_array().unwrap().iter().map(|i| i["code"].clone()).collect();
    assert_eq!(codes, [json!("A3")]);
    assert!(second.body.get("next_cursor").is_none());

    let unknown_param = app.get("/api/v1/institutions?page=2").await;
    unknown_param.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(unknown_param.problem_fields(), ["page"]);
}

async fn bad_institution_input_names_the_field(app: TestApp) {
    let bad = app
        .post(
            "/api/v1/institutions",
            &json!({ "code": "lower case", "name": " ", "kind": "university" }),
        )
        .await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(bad.problem_fields(), ["code", "name"]);
    let unknown_kind = app
        .post("/api/v1/institutions", &json!({ "code": "X1", "name": "X", "kind": "cafe" }))
        .await;
    unknown_kind.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(unknown_kind.problem_fields(), ["kind"]);
}

on_both_backends!(
    an_institution_lists_its_scopes,
    institution_codes_are_unique,
    a_scope_the_kind_can_never_deliver_is_refused,
    a_scope_for_a_category_not_in_the_catalogue_is_refused,
    institutions_page_in_registration_order,
    bad_institution_input_names_the_field,
);
