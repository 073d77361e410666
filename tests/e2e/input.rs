//! What the registry refuses in any input, the same way on both databases: control and
//! bidirectional control characters in free text, names mixing scripts, training that cannot
//! have happened; and how it says so without repeating the value it refused.

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

use crate::completions::{Setting, completion, program_completion, setting};
use crate::helpers::{TestApp, TestResponse, official_body};

/// Asserts a 422 `validation-failed` whose only invalid field is `field`, for rule `code`.
#[track_caller]
fn assert_refused(answer: &TestResponse, field: &str, code: &str) {
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(answer.body["errors"][0]["field"], field, "{:#}", answer.body);
    assert_eq!(answer.body["errors"][0]["code"], code, "{:#}", answer.body);
}

/// PostgreSQL cannot store U+0000 (SQLite can): every free-text field refuses it, and other
/// control characters, before either database sees it.
async fn control_characters_in_free_text_are_refused(app: TestApp) {
    let nul = "Trường\u{0}Chính trị";
    let answer = app
        .post(
            "/api/v1/institutions",
            &json!({ "code": "TCT-NUL", "name": nul, "kind": "university" }),
        )
        .await;
    assert_refused(&answer, "name", "control-character");
    let answer = app
        .post(
            "/api/v1/institutions",
            &json!({ "code": "TCT-NUL", "name": "Trường", "parent_authority": "Bộ\u{7}",
                     "kind": "university" }),
        )
        .await;
    assert_refused(&answer, "parent_authority", "control-character");

    let s = setting(&app).await;
    let school = s.school["id"].as_str().unwrap();
    let mut official = official_body("001085099999", "Lê Thị Hoa");
    official["employment"]["agency_name"] = json!(nul);
    let answer = app.post("/api/v1/officials", &official).await;
    assert_refused(&answer, "employment.agency_name", "control-character");
    let mut official = official_body("001085099999", "Lê Thị Hoa");
    official["employment"]["position_title"] = json!("Trưởng\u{0} phòng");
    let answer = app.post("/api/v1/officials", &official).await;
    assert_refused(&answer, "employment.position_title", "control-character");

    let programme = json!({ "code": "QLNN-CV-NUL", "title_vi": nul, "category_code": "QLNN-CV",
                            "min_days": 5 });
    assert_refused(
        &app.post("/api/v1/programs", &programme).await,
        "title_vi",
        "control-character",
    );
    let programme = json!({ "code": "QLNN-CV-NUL", "title_vi": "Bồi dưỡng", "title_en": "\u{0}",
                            "category_code": "QLNN-CV", "min_days": 5 });
    assert_refused(
        &app.post("/api/v1/programs", &programme).await,
        "title_en",
        "control-character",
    );
    let scope = json!({ "category_code": "PL", "valid_from": "2020-01-01", "decision": nul });
    let answer = app.post(&format!("/api/v1/institutions/{school}/scopes"), &scope).await;
    assert_refused(&answer, "decision", "control-character");
    let class = json!({ "institution_id": school, "program_id": s.class["program_id"],
                        "code": "K-NUL", "starts_on": "2025-03-03", "ends_on": "2025-03-28",
                        "place": nul, "mode": "in_person" });
    assert_refused(&app.post("/api/v1/classes", &class).await, "place", "control-character");
    let label = json!({ "label": "LMS\u{0}" });
    let answer = app.post(&format!("/api/v1/institutions/{school}/clients"), &label).await;
    assert_refused(&answer, "label", "control-character");
    let answer = app.post("/api/v1/agencies/G01.H29/keys", &label).await;
    assert_refused(&answer, "label", "control-character");

    // An institution's own token reaches a free-text field too: the note of a revocation.
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let number = posted.body["certificate"]["number"].as_str().unwrap();
    let revoke = format!("/api/v1/certificates/{number}/revoke");
    let answer =
        app.post_as(&s.token, &revoke, &json!({ "reason": "issued_in_error", "note": nul })).await;
    assert_refused(&answer, "note", "control-character");
    // Tab and line breaks are whitespace, collapsed into the one-line note that is stored.
    let note = json!({ "reason": "issued_in_error", "note": "wrong\r\n\tperson" });
    let answer = app.post_as(&s.token, &revoke, &note).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
}

/// A right-to-left override makes a name read otherwise than it is spelt; a Cyrillic "у" in a
/// Vietnamese name makes a different name that looks the same. Neither is registered or signed.
async fn bidi_controls_and_names_mixing_scripts_are_refused(app: TestApp) {
    let spoofed = json!({ "code": "TCT-RLO", "name": "Trường \u{202E}QGHN", "kind": "university" });
    let answer = app.post("/api/v1/institutions", &spoofed).await;
    assert_refused(&answer, "name", "bidi-control");
    let greek =
        json!({ "code": "TCT-GR", "name": "Trường Chính trị Ηà Nam", "kind": "university" });
    assert_refused(&app.post("/api/v1/institutions", &greek).await, "name", "mixed-script");

    let answer =
        app.post("/api/v1/officials", &official_body("001085099999", "Nguуễn Văn An")).await;
    assert_refused(&answer, "full_name", "mixed-script");
    let answer = app
        .post("/api/v1/officials", &official_body("001085099999", "Nguyễn Văn An\u{200F}"))
        .await;
    assert_refused(&answer, "full_name", "bidi-control");

    let s = setting(&app).await;
    let mut row = completion(&s.class);
    row["full_name"] = json!("Nguуễn Văn An");
    let answer = app.post_as(&s.token, "/api/v1/completions", &row).await;
    assert_refused(&answer, "full_name", "mixed-script");
}

/// Opens another class of the setting's programme at its school.
async fn another_class(
    app: &TestApp,
    s: &Setting,
    code: &str,
    starts_on: Date,
    ends_on: Date,
) -> Value {
    let class = json!({ "institution_id": s.school["id"], "program_id": s.class["program_id"],
                        "code": code, "starts_on": starts_on, "ends_on": ends_on,
                        "mode": "in_person" });
    let opened = app.post("/api/v1/classes", &class).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:#}", opened.body);
    opened.body
}

/// The completion of the issue: programme dates from 1925 for an official born in 1985, with
/// 3,650 days; an import's 400 days for a 26-day class; a class that has not ended yet.
async fn training_that_cannot_have_happened_is_not_signed(app: TestApp) {
    let s = setting(&app).await;
    let mut from_1925 = program_completion("QLNN-CV-2024", "1925-01-06", "2025-01-06");
    from_1925["duration_days"] = json!(3650);
    let answer = app.post_as(&s.token, "/api/v1/completions", &from_1925).await;
    assert_refused(&answer, "started_on", "before-minimum-age");

    let short_class =
        another_class(&app, &s, "K26", date!(2025 - 09 - 01), date!(2025 - 09 - 26)).await;
    let mut too_many_days = completion(&short_class);
    too_many_days["duration_days"] = json!(400);
    let answer = app.post_as(&s.token, "/api/v1/completions", &too_many_days).await;
    assert_refused(&answer, "duration_days", "duration-beyond-span");
    assert!(answer.body["errors"][0]["reason"].as_str().unwrap().contains("26 calendar days"));

    let today = OffsetDateTime::now_utc().date();
    let (starts_on, ends_on) = (today - Duration::days(10), today + Duration::days(20));
    let open_class = another_class(&app, &s, "K-OPEN", starts_on, ends_on).await;
    let mut early = completion(&open_class);
    early["duration_days"] = json!(10);
    let answer = app.post_as(&s.token, "/api/v1/completions", &early).await;
    assert_refused(&answer, "class_id", "training-not-ended");

    // A batch reports each such row, and records the rest.
    let rows = json!([too_many_days, completion(&s.class), from_1925, early]);
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.body["accepted"], 1, "{:#}", answer.body);
    let problems: Vec<(&Value, &Value)> = answer.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["status"] == "rejected")
        .map(|row| (&row["problem"]["errors"][0]["field"], &row["problem"]["errors"][0]["code"]))
        .collect();
    assert_eq!(
        problems,
        [
            (&json!("duration_days"), &json!("duration-beyond-span")),
            (&json!("started_on"), &json!("before-minimum-age")),
            (&json!("class_id"), &json!("training-not-ended")),
        ]
    );
}

/// docs/api.md: rejected personal values are never echoed, in bodies of the wrong shape, in
/// batch rows, in path and query parameters.
async fn refused_values_are_not_echoed(app: TestApp) {
    let echoes = |answer: &TestResponse, value: &str| answer.body.to_string().contains(value);

    let mut number = official_body("001085099999", "Lê Thị Hoa");
    number["national_id"] = json!(35065100000_u64);
    let answer = app.post("/api/v1/officials", &number).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(answer.problem_fields(), ["national_id"]);
    assert_eq!(answer.body["errors"][0]["reason"], "expected a string");
    assert!(!echoes(&answer, "35065100000"), "{:#}", answer.body);

    let mut date = official_body("001085099999", "Lê Thị Hoa");
    date["date_of_birth"] = json!(19900314);
    let answer = app.post("/api/v1/officials", &date).await;
    assert_eq!(answer.body["errors"][0]["reason"], "expected a date (YYYY-MM-DD)");
    assert!(!echoes(&answer, "19900314"), "{:#}", answer.body);

    let mut unknown = official_body("001085099999", "Lê Thị Hoa");
    unknown["gender"] = json!("nữ");
    unknown["ho_ten"] = json!("Lê Thị Hoa");
    let answer = app.post("/api/v1/officials", &unknown).await;
    assert!(!echoes(&answer, "nữ") && !echoes(&answer, "Hoa"), "{:#}", answer.body);

    let s = setting(&app).await;
    let mut row = completion(&s.class);
    row["national_id"] = json!(1085012345_u64);
    let answer =
        app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": [row] })).await;
    assert_eq!(answer.body["rows"][0]["problem"]["errors"][0]["field"], "national_id");
    assert!(!echoes(&answer, "1085012345"), "{:#}", answer.body);

    let answer = app.get_as_admin("/api/v1/officials/001085012345").await;
    answer.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(answer.body["errors"][0]["reason"], "is not a valid id");
    assert!(!echoes(&answer, "001085012345"), "{:#}", answer.body);

    let answer = app.get("/api/v1/programs?limit=001085012345x").await;
    answer.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(answer.problem_fields(), ["limit"]);
    assert!(!echoes(&answer, "001085012345"), "{:#}", answer.body);
}

/// `time` reads a signed year (`-9999-01-01`) as a date; PostgreSQL holds no such day and
/// answered 500. Every day a query or a page asks about is one from 1900 on.
async fn a_day_before_1900_is_refused_by_name_not_failed_on(app: TestApp) {
    let s = setting(&app).await;
    let official = s.official["id"].as_str().unwrap();
    let asked = [
        ("/api/v1/agencies?on=-9999-01-01", "on"),
        ("/api/v1/reports/RPT-STD?as_of=-9999-01-01", "as_of"),
        ("/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=1899-12-31", "as_of"),
        (&format!("/api/v1/officials/{official}/compliance?as_of=-9999-01-01"), "as_of"),
    ];
    for (uri, field) in asked {
        let answer = app.get_as_admin(uri).await;
        answer.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
        assert_eq!(answer.problem_fields(), [field], "{uri}: {:#}", answer.body);
    }
    let listed = format!(
        "/api/v1/completions?institution_id={}&ended_from=-9999-01-01",
        s.school["id"].as_str().unwrap()
    );
    let answer = app.get_as_admin(&listed).await;
    answer.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(answer.problem_fields(), ["ended_from"], "{:#}", answer.body);
    let search = json!({ "name": "Nguyễn Văn An", "agency_code": "G01.H29", "on": "-0001-12-31" });
    let answer = app.post("/api/v1/officials/search", &search).await;
    assert!(answer.status.is_client_error(), "{:#}", answer.body);
    assert_eq!(answer.problem_fields(), ["on"], "{:#}", answer.body);
}

/// The same signed year in a body: each draft refuses it as the day it is, before either database
/// sees it, and names that day (not the end it was compared with).
async fn a_first_day_before_1900_in_a_body_is_refused_by_name(app: TestApp) {
    let s = setting(&app).await;
    let school = s.school["id"].as_str().unwrap();
    let signed = "-9999-01-01";
    let agency = json!({ "code": "G01.H29.09", "name": "Phòng Công chức", "parent_code": "G01.H29",
                         "level": "province", "valid_from": signed });
    assert_refused(&app.post("/api/v1/agencies", &agency).await, "valid_from", "date-invalid");
    let scope = json!({ "category_code": "PL", "valid_from": signed, "valid_to": "2030-01-01" });
    let answer = app.post(&format!("/api/v1/institutions/{school}/scopes"), &scope).await;
    assert_refused(&answer, "valid_from", "date-invalid");
    let mut official = official_body("001085099999", "Lê Thị Hoa");
    official["employment"]["valid_from"] = json!(signed);
    let answer = app.post("/api/v1/officials", &official).await;
    assert_refused(&answer, "employment.valid_from", "date-invalid");
    let class = json!({ "institution_id": school, "program_id": s.class["program_id"],
                        "code": "K-OLD", "starts_on": signed, "ends_on": "2025-03-28",
                        "mode": "in_person" });
    assert_refused(&app.post("/api/v1/classes", &class).await, "starts_on", "date-invalid");
    let posted = program_completion("QLNN-CV-2024", signed, "2025-01-06");
    let answer = app.post_as(&s.token, "/api/v1/completions", &posted).await;
    assert_refused(&answer, "started_on", "date-invalid");
    // Nothing of it was written.
    let agencies = app.get("/api/v1/agencies/G01.H29.09").await;
    agencies.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

on_both_backends!(
    a_day_before_1900_is_refused_by_name_not_failed_on,
    a_first_day_before_1900_in_a_body_is_refused_by_name,
    control_characters_in_free_text_are_refused,
    bidi_controls_and_names_mixing_scripts_are_refused,
    training_that_cannot_have_happened_is_not_signed,
    refused_values_are_not_echoed,
);
