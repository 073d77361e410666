//! "Is this the person in front of me?": `POST /api/v1/verify` with a `national_id` answers
//! `holder_match` against the credential's salted hash, and never repeats the number.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::TestApp;

const HOLDER: &str = "001085012345";
const SOMEONE_ELSE: &str = "001085054321";

/// `body` with `national_id` beside what it presents.
fn presenting(mut body: Value, national_id: Value) -> Value {
    body["national_id"] = national_id;
    body
}

async fn the_holder_matches_and_anyone_else_does_not(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let certificate = &posted.body["certificate"];
    let forms = [
        json!({ "number": certificate["number"] }),
        json!({ "credential": certificate["credential"] }),
        json!({ "jws": certificate["jws"] }),
    ];
    for presented in forms {
        let answer =
            app.post("/api/v1/verify", &presenting(presented.clone(), json!(HOLDER))).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        assert_eq!(answer.body["verified"], true, "{:#}", answer.body);
        assert_eq!(answer.body["holder_match"], true, "{:#}", answer.body);
        assert!(!String::from_utf8_lossy(&answer.raw).contains(HOLDER));

        let other =
            app.post("/api/v1/verify", &presenting(presented.clone(), json!(SOMEONE_ELSE))).await;
        assert_eq!(other.body["verified"], true, "{:#}", other.body);
        assert_eq!(other.body["holder_match"], false, "{:#}", other.body);
        assert!(!String::from_utf8_lossy(&other.raw).contains(SOMEONE_ELSE));

        let unasked = app.post("/api/v1/verify", &presented).await;
        assert_eq!(unasked.body["verified"], true, "{:#}", unasked.body);
        assert!(unasked.body.get("holder_match").is_none(), "{:#}", unasked.body);
    }
}

async fn a_malformed_national_id_is_refused_without_being_repeated(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = json!({ "number": posted.body["certificate"]["number"] });
    for malformed in ["00108501234X", "0010850123456", "10850 1234"] {
        let answer =
            app.post("/api/v1/verify", &presenting(number.clone(), json!(malformed))).await;
        answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
        assert_eq!(answer.problem_fields(), ["national_id"]);
        assert!(!String::from_utf8_lossy(&answer.raw).contains(malformed), "{:#}", answer.body);
    }
    let as_a_number = app.post("/api/v1/verify", &presenting(number, json!(1_085_012_345))).await;
    assert!(as_a_number.status.is_client_error(), "{:#}", as_a_number.body);
    assert_eq!(as_a_number.problem_fields(), ["national_id"]);
    assert!(!String::from_utf8_lossy(&as_a_number.raw).contains("1085012345"));
}

on_both_backends!(
    the_holder_matches_and_anyone_else_does_not,
    a_malformed_national_id_is_refused_without_being_repeated,
);
