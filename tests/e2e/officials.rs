//! Registering officials, finding them, and keeping their employment history.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, official_body};

async fn registering_an_official_returns_the_normalized_record(app: TestApp) {
    let official =
        app.register_official(&official_body(" 001085012345 ", "  Nguyễn   Văn An ")).await;
    assert_eq!(official["national_id"], "001085012345");
    assert_eq!(official["full_name"], "Nguyễn Văn An");
    assert_eq!(official["employments"][0]["agency_code"], "G01.H29");

    let id = official["id"].as_str().unwrap();
    let read = app.get_as_admin(&format!("/api/v1/officials/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["full_name"], "Nguyễn Văn An");
}

async fn a_duplicate_national_id_is_a_conflict_and_writes_nothing(app: TestApp) {
    app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let before = app.store.verify_audit_chain().await.unwrap().events;

    let duplicate =
        app.post("/api/v1/officials", &official_body("001085012345", "Trần Văn Bình")).await;
    duplicate.assert_problem(StatusCode::CONFLICT, "already-exists");
    assert_eq!(duplicate.problem_fields(), ["national_id"]);

    let found = app.post("/api/v1/officials/search", &json!({ "name": "binh" })).await;
    assert_eq!(found.body["items"], json!([]));
    assert_eq!(app.store.verify_audit_chain().await.unwrap().events, before);
}

async fn every_invalid_field_is_reported_with_its_path(app: TestApp) {
    let mut body = official_body("001185012345", "Nguyễn Văn 3");
    body["employment"]["level"] = json!("district");
    body["employment"]["valid_from"] = json!("2025-07-01");
    body["employment"]["valid_to"] = json!("2025-01-01");
    let response = app.post("/api/v1/officials", &body).await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(
        response.problem_fields(),
        ["full_name", "national_id", "employment.valid_to", "employment.level"]
    );
    let reasons = response.body.to_string();
    assert!(!reasons.contains("001185012345"), "a rejected ID number is never echoed: {reasons}");
}

async fn national_ids_inconsistent_with_the_person_are_rejected(app: TestApp) {
    for (national_id, why) in [
        ("00108501234", "eleven digits"),
        ("003085012345", "no province 003"),
        ("001185012345", "female digit for a man"),
        ("001086012345", "born in 1986, not 1985"),
    ] {
        let response =
            app.post("/api/v1/officials", &official_body(national_id, "Nguyễn Văn An")).await;
        response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
        assert_eq!(response.problem_fields(), ["national_id"], "{why}");
        assert_eq!(response.body["errors"][0]["code"], "national-id-invalid", "{why}");
    }
}

async fn malformed_bodies_name_the_field(app: TestApp) {
    let mut unknown = official_body("001085012345", "Nguyễn Văn An");
    unknown["employment"]["salary"] = json!(10);
    let response = app.post("/api/v1/officials", &unknown).await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(response.problem_fields(), ["employment.salary"]);

    let mut wrong_type = official_body("001085012345", "Nguyễn Văn An");
    wrong_type["date_of_birth"] = json!("14/03/1985");
    let response = app.post("/api/v1/officials", &wrong_type).await;
    assert_eq!(response.problem_fields(), ["date_of_birth"]);

    let mut missing = official_body("001085012345", "Nguyễn Văn An");
    missing["employment"].as_object_mut().unwrap().remove("agency_code");
    let response = app.post("/api/v1/officials", &missing).await;
    assert_eq!(response.problem_fields(), ["employment.agency_code"]);

    let broken = app
        .request(
            Method::POST,
            "/api/v1/officials",
            Some(&app.admin_token),
            Some(Body::from("{\"national_id\": ")),
        )
        .await;
    broken.assert_problem(StatusCode::BAD_REQUEST, "malformed-body");
}

/// docs/api.md: a body with several shape errors reports all of them in one answer, nested ones
/// with their path, and echoes none of the values sent.
async fn every_shape_error_is_reported_at_once(app: TestApp) {
    let mut body = official_body("001085012345", "Nguyễn Văn An");
    body["national_id"] = json!(35065100000_u64);
    body["date_of_birth"] = json!("14/03/1985");
    body["nickname"] = json!("Anh Ba");
    body["employment"]["level"] = json!("huyện");
    body["employment"]["salary"] = json!(10);
    body["employment"].as_object_mut().unwrap().remove("agency_code");
    let answer = app.post("/api/v1/officials", &body).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    let mut fields = answer.problem_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "date_of_birth",
            "employment.agency_code",
            "employment.level",
            "employment.salary",
            "national_id",
            "nickname"
        ],
        "{:#}",
        answer.body
    );
    let text = answer.body.to_string();
    for sent in ["35065100000", "14/03/1985", "Anh Ba", "huyện"] {
        assert!(!text.contains(sent), "{sent} echoed: {text}");
    }
    let reason = |field: &str| {
        let errors = answer.body["errors"].as_array().unwrap();
        errors.iter().find(|e| e["field"] == field).map(|e| e["reason"].clone()).unwrap()
    };
    assert_eq!(reason("national_id"), "expected a string");
    assert_eq!(reason("date_of_birth"), "expected a date (YYYY-MM-DD)");
    assert_eq!(reason("employment.agency_code"), "is required");
    assert_eq!(reason("nickname"), "is not a field of this request");
}

async fn oversized_and_non_json_bodies_are_refused(app: TestApp) {
    let huge = Body::from(format!("{{\"full_name\": \"{}\"}}", "a".repeat(hocba_api::BODY_LIMIT)));
    let response =
        app.request(Method::POST, "/api/v1/officials", Some(&app.admin_token), Some(huge)).await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");

    let plain = app.request_with_content_type("/api/v1/officials", "text/plain", "hello").await;
    plain.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
}

async fn writes_and_personal_reads_need_an_operator_token(app: TestApp) {
    let body = Body::from(official_body("001085012345", "Nguyễn Văn An").to_string());
    let anonymous = app.request(Method::POST, "/api/v1/officials", None, Some(body)).await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    let body = Body::from(official_body("001085012345", "Nguyễn Văn An").to_string());
    let forged = app
        .request(Method::POST, "/api/v1/officials", Some("hocba_not-a-real-token"), Some(body))
        .await;
    forged.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();
    app.get(&format!("/api/v1/officials/{id}"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let lookup = Body::from(json!({ "national_id": "001085012345" }).to_string());
    app.request(Method::POST, "/api/v1/officials/lookup", None, Some(lookup))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn lookup_by_national_id_is_logged_for_the_official(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();

    let found =
        app.post("/api/v1/officials/lookup", &json!({ "national_id": "001085012345" })).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["id"], id);
    app.get_as_admin(&format!("/api/v1/officials/{id}")).await;

    let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await;
    let purposes: Vec<_> =
        reads.body.as_array().unwrap().iter().map(|read| read["purpose"].clone()).collect();
    assert_eq!(
        purposes,
        [json!("POST /api/v1/officials/lookup"), json!("GET /api/v1/officials/{id}")]
    );
    assert!(reads.body[0]["reader"].as_str().unwrap().starts_with("admin:"));

    let unknown =
        app.post("/api/v1/officials/lookup", &json!({ "national_id": "001085099999" })).await;
    unknown.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let malformed = app.post("/api/v1/officials/lookup", &json!({ "national_id": "12-34" })).await;
    assert_eq!(malformed.problem_fields(), ["national_id"]);
}

async fn search_ignores_diacritics_and_filters_by_agency(app: TestApp) {
    let mut woman = official_body("001185012345", "Đặng Thị Ánh Tuyết");
    woman["gender"] = json!("female");
    app.register_official(&woman).await;
    let mut other = official_body("001085000002", "Dang Van Tuyen");
    other["employment"]["agency_code"] = json!("G09");
    app.register_official(&other).await;

    let by_name = app.post("/api/v1/officials/search", &json!({ "name": "DANG thi anh" })).await;
    let names: Vec<_> =
        by_name.body["items"].as_array().unwrap().iter().map(|o| o["full_name"].clone()).collect();
    assert_eq!(names, [json!("Đặng Thị Ánh Tuyết")]);
    assert_eq!(by_name.body["items"][0]["birth_year"], 1985);

    let both = app.post("/api/v1/officials/search", &json!({ "name": "đặng" })).await;
    assert_eq!(both.body["items"].as_array().unwrap().len(), 2);

    let by_agency = app.post("/api/v1/officials/search", &json!({ "agency_code": "G09" })).await;
    let names: Vec<_> = by_agency.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["full_name"].clone())
        .collect();
    assert_eq!(names, [json!("Dang Van Tuyen")]);

    let before_employment = app
        .post("/api/v1/officials/search", &json!({ "agency_code": "G09", "on": "2019-12-31" }))
        .await;
    assert_eq!(before_employment.body["items"], json!([]));

    let wildcard = app.post("/api/v1/officials/search", &json!({ "name": "%" })).await;
    assert_eq!(
        wildcard.body["items"].as_array().unwrap().len(),
        2,
        "an empty fragment matches all, '%' is not special"
    );
}

async fn search_pages_with_an_opaque_cursor(app: TestApp) {
    for n in 0..5 {
        app.register_official(&official_body(&format!("0010850000{n:02}"), "Nguyễn Văn An")).await;
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let mut body = json!({ "name": "nguyen", "limit": 2 });
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        let page = app.post("/api/v1/officials/search", &body).await;
        assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|o| o["id"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5, "no official appears twice");

    let bad = app.post("/api/v1/officials/search", &json!({ "cursor": "not-a-cursor" })).await;
    bad.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(bad.problem_fields(), ["cursor"]);
}

async fn employment_history_is_appended_not_rewritten(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();
    let promoted = app
        .post(
            &format!("/api/v1/officials/{id}/employments"),
            &json!({
                "agency_code": "G01.H29",
                "agency_name": "Sở Nội vụ Hà Nội",
                "level": "province",
                "rank_code": "01.002",
                "position_title": "Trưởng phòng",
                "leadership_level": "division",
                "leadership_group": "N3",
                "valid_from": "2025-09-01"
            }),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::CREATED, "{:#}", promoted.body);
    let periods = promoted.body["employments"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["rank_code"], "01.003");
    assert_eq!(periods[1]["leadership_group"], "N3");

    let trail = app.store.audit_trail("official", id).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(actions, ["official.created", "official.employment_added"]);
}

/// An official registered in 2020: their id and the id of their period.
async fn registered(app: &TestApp) -> (String, String) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap().to_owned();
    (id, official["employments"][0]["id"].as_str().unwrap().to_owned())
}

fn actions(trail: &[hocba_store::AuditEvent]) -> Vec<&str> {
    trail.iter().map(|event| event.action.as_str()).collect()
}

async fn ending_a_period_stores_its_end_and_refuses_impossible_ones(app: TestApp) {
    let (id, period) = registered(&app).await;
    let end = |period: &str, body: serde_json::Value| {
        let uri = format!("/api/v1/officials/{id}/employments/{period}/end");
        let app = &app;
        async move { app.post(&uri, &body).await }
    };
    let before_start = end(&period, json!({ "valid_to": "2019-12-31" })).await;
    before_start.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(before_start.problem_fields(), ["valid_to"]);
    let malformed = end(&period, json!({ "valid_to": "31/12/2023" })).await;
    malformed.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(malformed.problem_fields(), ["valid_to"]);
    let missing = end(&period, json!({})).await;
    assert_eq!(missing.problem_fields(), ["valid_to"]);

    let ended = end(&period, json!({ "valid_to": "2023-12-31" })).await;
    assert_eq!(ended.status, StatusCode::OK, "{:#}", ended.body);
    let current = &ended.body["employments"][0];
    assert_eq!(
        (&current["valid_to"], &current["supersedes"]),
        (&json!("2023-12-31"), &json!(period))
    );
    assert_eq!(current["rank_code"], "01.003", "the rest of the period is kept");
    let old = &ended.body["superseded_employments"][0];
    assert_eq!((&old["valid_to"], &old["superseded_by"]), (&Value::Null, &current["id"]));

    // The period replaced is changed no more; its successor ends no later than it does.
    let again = end(&period, json!({ "valid_to": "2022-12-31" })).await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(again.problem_fields(), ["employment_id"]);
    let successor = current["id"].as_str().unwrap();
    let later = end(successor, json!({ "valid_to": "2023-12-31" })).await;
    later.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(later.problem_fields(), ["valid_to"]);
    let earlier = end(successor, json!({ "valid_to": "2023-06-30" })).await;
    assert_eq!(earlier.status, StatusCode::OK, "a term cut short: {:#}", earlier.body);

    // Unknown periods, and another official's, are not found.
    end("01890a5d-ac96-774b-bcce-b302099a8057", json!({ "valid_to": "2023-12-31" }))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let malformed = end("not-a-uuid", json!({ "valid_to": "2023-12-31" })).await;
    malformed.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(malformed.problem_fields(), ["employment_id"]);
    let other = app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let theirs = other["employments"][0]["id"].as_str().unwrap();
    end(theirs, json!({ "valid_to": "2023-12-31" }))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let trail = app.store.audit_trail("official", &id).await.unwrap();
    assert_eq!(
        actions(&trail),
        ["official.created", "official.employment_ended", "official.employment_ended"]
    );
    assert_eq!(trail[1].details["supersedes"], period);
    assert_eq!(app.store.verify_audit_chain().await.unwrap().first_broken, None);
}

async fn a_correction_supersedes_the_period_and_is_audited(app: TestApp) {
    let (id, period) = registered(&app).await;
    let mut corrected = official_body("001085012345", "Nguyễn Văn An")["employment"].clone();
    corrected["rank_code"] = json!("01.002");
    let uri = format!("/api/v1/officials/{id}/employments/{period}/correct");
    let answer = app.post(&uri, &corrected).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let current = &answer.body["employments"][0];
    assert_eq!((&current["rank_code"], &current["supersedes"]), (&json!("01.002"), &json!(period)));
    assert_eq!(answer.body["employments"].as_array().unwrap().len(), 1);
    assert_eq!(answer.body["superseded_employments"][0]["rank_code"], "01.003");

    // A correction of the correction; the first period can no longer be corrected.
    let second = current["id"].as_str().unwrap();
    corrected["agency_name"] = json!("Sở Nội vụ thành phố Hà Nội");
    let uri = format!("/api/v1/officials/{id}/employments/{second}/correct");
    let answer = app.post(&uri, &corrected).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let replaced = answer.body["superseded_employments"].as_array().unwrap();
    let chain: Vec<_> = replaced.iter().map(|p| (&p["id"], &p["superseded_by"])).collect();
    let third = &answer.body["employments"][0]["id"];
    assert_eq!(chain, [(&json!(period), &json!(second)), (&json!(second), third)]);
    let stale =
        app.post(&format!("/api/v1/officials/{id}/employments/{period}/correct"), &corrected).await;
    stale.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(stale.problem_fields(), ["employment_id"]);

    // A correction is checked as a new period is.
    corrected["valid_to"] = json!("2019-01-01");
    let third = third.as_str().unwrap();
    let invalid =
        app.post(&format!("/api/v1/officials/{id}/employments/{third}/correct"), &corrected).await;
    invalid.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(invalid.problem_fields(), ["valid_to"]);

    let trail = app.store.audit_trail("official", &id).await.unwrap();
    assert_eq!(
        actions(&trail),
        ["official.created", "official.employment_corrected", "official.employment_corrected"]
    );
    assert_eq!(
        (&trail[2].details["supersedes"], &trail[2].details["employment_id"]),
        (&json!(second), &json!(third))
    );
    assert_eq!(app.store.verify_audit_chain().await.unwrap().first_broken, None);
}

async fn a_transfer_starts_after_the_period_left_and_is_checked_whole(app: TestApp) {
    let (id, period) = registered(&app).await;
    let before = app.store.verify_audit_chain().await.unwrap().events;
    let uri = format!("/api/v1/officials/{id}/transfers");
    let mut next = official_body("001085012345", "Nguyễn Văn An")["employment"].clone();
    next["agency_code"] = json!("G01.H30");
    next["valid_from"] = json!("2024-01-01");

    let overlapping =
        json!({ "employment_id": period, "valid_to": "2024-01-01", "employment": next });
    let answer = app.post(&uri, &overlapping).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(answer.problem_fields(), ["employment.valid_from"]);
    let mut early = next.clone();
    early["valid_from"] = json!("2019-06-01");
    let answer = app.post(&uri, &json!({ "employment_id": period, "employment": early })).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(answer.problem_fields(), ["employment.valid_from"]);
    let mut bad = next.clone();
    bad["agency_code"] = json!("not a code");
    let answer = app.post(&uri, &json!({ "employment_id": period, "employment": bad })).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(answer.problem_fields(), ["employment.agency_code"]);
    assert_eq!(app.store.verify_audit_chain().await.unwrap().events, before, "nothing written");

    // With a gap: the old post ends on the day given.
    let with_gap = json!({ "employment_id": period, "valid_to": "2023-10-31", "employment": next });
    let moved = app.post(&uri, &with_gap).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
    let ends: Vec<_> =
        moved.body["employments"].as_array().unwrap().iter().map(|p| &p["valid_to"]).collect();
    assert_eq!(ends, [&json!("2023-10-31"), &Value::Null]);
    let again = app.post(&uri, &with_gap).await;
    assert_eq!(again.problem_fields(), ["employment_id"], "the period left is superseded");
}

async fn only_an_operator_changes_employment_history(app: TestApp) {
    let s = crate::completions::setting(&app).await;
    let (_, hr) = crate::agencies::agency_key(&app, "G01.H29").await;
    let id = s.official["id"].as_str().unwrap();
    let period = s.official["employments"][0]["id"].as_str().unwrap();
    let draft = official_body("001085012345", "Nguyễn Văn An")["employment"].clone();
    let writes = [
        (
            format!("/api/v1/officials/{id}/employments/{period}/end"),
            json!({ "valid_to": "2023-12-31" }),
        ),
        (format!("/api/v1/officials/{id}/employments/{period}/correct"), draft.clone()),
        (
            format!("/api/v1/officials/{id}/transfers"),
            json!({ "employment_id": period, "employment": draft }),
        ),
    ];
    for token in [&s.token, &hr] {
        for (uri, body) in &writes {
            app.post_as(token, uri, body).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
    }
    for (uri, body) in &writes {
        let body = Body::from(body.to_string());
        app.request(Method::POST, uri, None, Some(body))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let read = app.get_as_admin(&format!("/api/v1/officials/{id}")).await;
    assert_eq!(read.body["superseded_employments"], json!([]), "{:#}", read.body);
}

async fn unknown_and_malformed_ids_are_client_errors(app: TestApp) {
    let missing = app.get_as_admin("/api/v1/officials/01890a5d-ac96-774b-bcce-b302099a8057").await;
    missing.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let malformed = app.get_as_admin("/api/v1/officials/not-a-uuid").await;
    malformed.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(malformed.problem_fields(), ["id"]);
}

on_both_backends!(
    registering_an_official_returns_the_normalized_record,
    a_duplicate_national_id_is_a_conflict_and_writes_nothing,
    every_invalid_field_is_reported_with_its_path,
    national_ids_inconsistent_with_the_person_are_rejected,
    malformed_bodies_name_the_field,
    every_shape_error_is_reported_at_once,
    oversized_and_non_json_bodies_are_refused,
    writes_and_personal_reads_need_an_operator_token,
    lookup_by_national_id_is_logged_for_the_official,
    search_ignores_diacritics_and_filters_by_agency,
    search_pages_with_an_opaque_cursor,
    employment_history_is_appended_not_rewritten,
    ending_a_period_stores_its_end_and_refuses_impossible_ones,
    a_correction_supersedes_the_period_and_is_audited,
    a_transfer_starts_after_the_period_left_and_is_checked_whole,
    only_an_operator_changes_employment_history,
    unknown_and_malformed_ids_are_client_errors,
);
