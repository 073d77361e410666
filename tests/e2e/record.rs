//! An official's lifelong record: every completion with its certificates and status, grouped by
//! category, with the training days of live completions per year and per category; read by the
//! official, their HR department and the operator, each read logged.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::agencies::agency_key;
use crate::completions::{Setting, completion, program_completion, setting};
use crate::helpers::{TestApp, TestResponse};
use crate::signin::id_token;

/// Posts `body` with `token` and returns the completion's id and certificate number.
async fn posted(app: &TestApp, token: &str, body: &Value) -> (Value, String) {
    let answer = app.post_as(token, "/api/v1/completions", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let number = answer.body["certificate"]["number"].as_str().unwrap().to_owned();
    (answer.body["completion"]["id"].clone(), number)
}

/// `body` with `days` training days.
fn lasting(mut body: Value, days: u32) -> Value {
    body["duration_days"] = json!(days);
    body
}

async fn the_record_groups_completions_by_category_and_counts_live_days_only(app: TestApp) {
    let s = setting(&app).await;
    let official_id = s.official["id"].as_str().unwrap();
    // QLNN-CV: a class in spring 2025 (live), autumn 2024 (revoked), autumn 2025 (corrected).
    let (in_class, _) = posted(&app, &s.token, &completion(&s.class)).await;
    let autumn_2024 = program_completion("QLNN-CV-2024", "2024-09-02", "2024-10-25");
    let (revoked, revoked_number) = posted(&app, &s.token, &lasting(autumn_2024, 20)).await;
    app.revoke_as(
        &s.token,
        &revoked_number,
        json!({ "reason": "issued_in_error", "note": "wrong class" }),
    )
    .await;
    let autumn_2025 = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let (replaced, replaced_number) =
        posted(&app, &s.token, &lasting(autumn_2025.clone(), 30)).await;
    let answer = app
        .post_as(
            &s.token,
            &format!("/api/v1/completions/{}/correct", replaced.as_str().unwrap()),
            &lasting(autumn_2025, 35),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let correction = answer.body["completion"]["id"].clone();
    let correction_number = answer.body["certificate"]["number"].clone();
    // PL: a legal update at a university in 2024 (live).
    let university = app.accredited_institution("DH-LUAT", "university", &["PL"]).await;
    app.program("PL-2025", "PL").await;
    let university_token = app.institution_token(university["id"].as_str().unwrap()).await;
    let legal = lasting(program_completion("PL-2025", "2024-03-01", "2024-03-05"), 5);
    let (update, _) = posted(&app, &university_token, &legal).await;

    let record = app.get_as_admin(&format!("/api/v1/officials/{official_id}/record")).await;
    assert_eq!(record.status, StatusCode::OK, "{:#}", record.body);
    let body = &record.body;
    assert_eq!(body["official_id"], official_id);
    assert_eq!(body["full_name"], "Nguyễn Văn An");
    let codes: Vec<&Value> =
        body["categories"].as_array().unwrap().iter().map(|c| &c["category_code"]).collect();
    assert_eq!(codes, [&json!("PL"), &json!("QLNN-CV")]);
    let state = &body["categories"][1]["completions"];
    let column = |field: &str| -> Value {
        state.as_array().unwrap().iter().map(|entry| entry[field].clone()).collect()
    };
    assert_eq!(column("completion_id"), json!([revoked, in_class, replaced, correction]));
    assert_eq!(column("status"), json!(["revoked", "live", "superseded", "live"]));
    assert_eq!(column("duration_days"), json!([20, 40, 30, 35]));
    assert_eq!(body["categories"][0]["completions"][0]["completion_id"], update);
    assert_eq!(body["categories"][0]["completions"][0]["program_code"], "PL-2025");

    let revoked_entry = &state[0];
    assert_eq!(revoked_entry["certificates"][0]["number"], revoked_number);
    assert_eq!(revoked_entry["certificates"][0]["status"], "revoked");
    assert_eq!(revoked_entry["certificates"][0]["revocation"]["reason"], "issued_in_error");
    assert_eq!(revoked_entry["certificates"][0]["revocation"]["note"], "wrong class");
    let replaced_entry = &state[2];
    assert_eq!(replaced_entry["superseded_by"], correction);
    assert_eq!(replaced_entry["successor_certificate"], correction_number);
    assert_eq!(replaced_entry["certificates"][0]["number"], replaced_number);
    assert_eq!(replaced_entry["certificates"][0]["revocation"]["reason"], "superseded");
    assert_eq!(state[3]["supersedes"], replaced);
    assert_eq!(state[3]["certificates"][0]["status"], "active");

    // Live completions only: 40 + 35 of QLNN-CV in 2025, 5 of PL in 2024.
    assert_eq!(
        body["training_days"],
        json!({
            "total": 80,
            "by_year": [{ "year": 2024, "days": 5 }, { "year": 2025, "days": 75 }],
            "by_category": [
                { "category_code": "PL", "days": 5 },
                { "category_code": "QLNN-CV", "days": 75 }
            ]
        })
    );
}

/// `path` (below `/api/v1/officials/{id}`: a view of the record of the official of `s`) is
/// answered to the official, their HR department and the operator (each answer is handed to
/// `check`) and refused to another agency's HR, an institution and anyone without a token; each
/// read is logged, in that order.
pub(crate) async fn read_as_the_record_is(
    app: &TestApp,
    s: &Setting,
    path: &str,
    check: impl Fn(&TestResponse),
) {
    let official_id = s.official["id"].as_str().unwrap();
    let uri = format!("/api/v1/officials/{official_id}{path}");
    let (_, own_hr) = agency_key(app, "G01.H29").await;
    let (_, other_hr) = agency_key(app, "G01.H30").await;
    for token in [id_token("001085012345"), own_hr, app.admin_token.clone()] {
        let answer = app.request(Method::GET, &uri, Some(&token), None).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        check(&answer);
    }
    app.request(Method::GET, &uri, Some(&other_hr), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.request(Method::GET, &uri, Some(&s.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get(&uri).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let stranger = format!("/api/v1/officials/{}{path}", "0190a3c4-0000-7000-8000-000000000000");
    app.get_as_admin(&stranger).await.assert_problem(StatusCode::NOT_FOUND, "not-found");

    let purpose = format!("GET /api/v1/officials/{{id}}{path}");
    let reads = app.get_as_admin(&format!("/api/v1/officials/{official_id}/reads")).await;
    let kinds: Vec<&Value> = reads
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|read| read["purpose"] == purpose.as_str())
        .map(|read| &read["reader_kind"])
        .collect();
    assert_eq!(kinds, [&json!("official"), &json!("agency"), &json!("operator")]);
}

async fn the_official_their_hr_and_the_operator_read_the_record_and_each_read_is_logged(
    app: TestApp,
) {
    let s = setting(&app).await;
    posted(&app, &s.token, &completion(&s.class)).await;
    read_as_the_record_is(&app, &s, "/record", |record| {
        assert_eq!(record.body["training_days"]["total"], 40);
    })
    .await;
}

on_both_backends!(
    the_record_groups_completions_by_category_and_counts_live_days_only,
    the_official_their_hr_and_the_operator_read_the_record_and_each_read_is_logged,
);
