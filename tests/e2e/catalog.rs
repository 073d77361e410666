//! The catalogue: categories, programmes and classes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn class_body(
    institution: &Value,
    program: &Value,
    code: &str,
    starts_on: &str,
    ends_on: &str,
) -> Value {
    json!({
        "institution_id": institution["id"],
        "program_id": program["id"],
        "code": code,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "place": "Phủ Lý",
        "mode": "in_person",
        "seats": 60
    })
}

async fn the_national_taxonomy_is_loaded(app: TestApp) {
    let categories = app.get("/api/v1/categories").await;
    assert_eq!(categories.status, StatusCode::OK);
    let all = categories.body.as_array().unwrap();
    assert_eq!(all.len(), hocba_domain::TAXONOMY.len());
    let district = all.iter().find(|c| c["code"] == "TBN-HUYEN").unwrap();
    assert_eq!(district["valid_to"], "2025-06-30");
    assert_eq!(district["family"], "leadership_position");
}

async fn programmes_are_listed_by_category(app: TestApp) {
    let cv = app.program("QLNN-CV-2024", "QLNN-CV").await;
    app.program("PL-2025", "PL").await;
    assert_eq!(cv["category_family"], "state_management");
    assert_eq!(cv["periods_per_day"], 8);

    let only_cv = app.get("/api/v1/programs?category=QLNN-CV").await;
    let codes: Vec<_> =
        only_cv.body["items"].as_array().unwrap().iter().map(|p| p["code"].clone()).collect();
    assert_eq!(codes, [json!("QLNN-CV-2024")]);

    let id = cv["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/programs/{id}")).await.body["code"], "QLNN-CV-2024");

    let duplicate = app.post("/api/v1/programs", &json!({ "code": "QLNN-CV-2024", "title_vi": "x", "category_code": "QLNN-CV", "min_days": 1 })).await;
    duplicate.assert_problem(StatusCode::CONFLICT, "already-exists");
    let bad_filter = app.get("/api/v1/programs?category=nope").await;
    assert_eq!(bad_filter.problem_fields(), ["category"]);
}

async fn a_programme_needs_a_known_category_and_sane_durations(app: TestApp) {
    let unknown = app.post("/api/v1/programs", &json!({ "code": "VTVL-X-1", "title_vi": "x", "category_code": "VTVL-KETOAN", "min_days": 3 })).await;
    unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(unknown.problem_fields(), ["category_code"]);

    let insane = app.post("/api/v1/programs", &json!({ "code": "P1", "title_vi": "x", "category_code": "PL", "min_days": 5000, "periods_per_day": 0 })).await;
    insane.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(insane.problem_fields(), ["min_days", "periods_per_day"]);
}

async fn an_accredited_institution_opens_a_class(app: TestApp) {
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let program = app.program("QLNN-CV-2024", "QLNN-CV").await;
    let created = app
        .post("/api/v1/classes", &class_body(&school, &program, "K15", "2025-03-03", "2025-03-28"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    assert_eq!(created.body["mode"], "in_person");

    let listed = app
        .get(&format!("/api/v1/classes?institution_id={}", school["id"].as_str().unwrap()))
        .await;
    let codes: Vec<_> =
        listed.body["items"].as_array().unwrap().iter().map(|c| c["code"].clone()).collect();
    assert_eq!(codes, [json!("K15")]);

    let same_code = app
        .post("/api/v1/classes", &class_body(&school, &program, "K15", "2025-04-01", "2025-04-20"))
        .await;
    same_code.assert_problem(StatusCode::CONFLICT, "already-exists");
}

async fn a_class_outside_the_scope_is_forbidden(app: TestApp) {
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let cvc = app.program("QLNN-CVC-2024", "QLNN-CVC").await;
    let refused = app
        .post("/api/v1/classes", &class_body(&school, &cvc, "CVC-1", "2025-03-03", "2025-03-28"))
        .await;
    refused.assert_problem(StatusCode::FORBIDDEN, "institution-not-accredited");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("TCT-HANAM") && detail.contains("QLNN-CVC"), "{detail}");
    assert_eq!(app.get("/api/v1/classes").await.body["items"], json!([]));
}

async fn a_retired_category_opens_no_new_class(app: TestApp) {
    let school = app
        .accredited_institution("TCT-HANAM", "provincial_political_school", &["TBN-HUYEN"])
        .await;
    let district = app.program("TBN-HUYEN-2024", "TBN-HUYEN").await;
    let before_reform = app
        .post("/api/v1/classes", &class_body(&school, &district, "H-1", "2025-06-02", "2025-06-27"))
        .await;
    assert_eq!(before_reform.status, StatusCode::CREATED, "{:#}", before_reform.body);
    let after_reform = app
        .post("/api/v1/classes", &class_body(&school, &district, "H-2", "2025-07-01", "2025-07-20"))
        .await;
    after_reform.assert_problem(StatusCode::FORBIDDEN, "institution-not-accredited");
}

async fn class_input_is_checked_field_by_field(app: TestApp) {
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let program = app.program("QLNN-CV-2024", "QLNN-CV").await;
    let mut backwards = class_body(&school, &program, "K1", "2025-03-28", "2025-03-03");
    backwards["seats"] = json!(0);
    let refused = app.post("/api/v1/classes", &backwards).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(refused.problem_fields(), ["ends_on", "seats"]);

    let mut ghost = class_body(&school, &program, "K1", "2025-03-03", "2025-03-28");
    ghost["program_id"] = json!("01890a5d-ac96-774b-bcce-b302099a8057");
    let refused = app.post("/api/v1/classes", &ghost).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(refused.problem_fields(), ["program_id"]);
}

async fn every_write_extends_an_intact_audit_chain(app: TestApp) {
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let program = app.program("QLNN-CV-2024", "QLNN-CV").await;
    app.post("/api/v1/classes", &class_body(&school, &program, "K1", "2025-03-03", "2025-03-28"))
        .await;
    let chain = app.get_as_admin("/api/v1/audit/verify").await;
    assert_eq!(chain.status, StatusCode::OK);
    // first signing key, admin token, institution, scope, programme, class
    assert_eq!(chain.body["events"], 6);
    assert_eq!(chain.body["intact"], true);
    app.get("/api/v1/audit/verify")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn health_reports_the_database(app: TestApp) {
    let health = app.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["database"], "ok");
    app.get("/api/v1/nothing-here").await.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

on_both_backends!(
    the_national_taxonomy_is_loaded,
    programmes_are_listed_by_category,
    a_programme_needs_a_known_category_and_sane_durations,
    an_accredited_institution_opens_a_class,
    a_class_outside_the_scope_is_forbidden,
    a_retired_category_opens_no_new_class,
    class_input_is_checked_field_by_field,
    every_write_extends_an_intact_audit_chain,
    health_reports_the_database,
);
