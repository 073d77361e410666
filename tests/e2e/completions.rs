//! Institutions post completions: matching the person, accreditation, duration, duplicates,
//! isolation between institutions.

use axum::http::{Method, StatusCode};
use hocba_store::IdentityRefusals;
use serde_json::{Value, json};

use crate::helpers::{TestApp, official_body};

/// A registered official, a school accredited for QLNN-CV with a class, and its token.
pub(crate) struct Setting {
    pub official: Value,
    pub school: Value,
    pub class: Value,
    pub token: String,
}

pub(crate) async fn setting(app: &TestApp) -> Setting {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let program = app.program("QLNN-CV-2024", "QLNN-CV").await;
    let class = app
        .post(
            "/api/v1/classes",
            &json!({ "institution_id": school["id"], "program_id": program["id"], "code": "K1",
                     "starts_on": "2025-03-03", "ends_on": "2025-04-25", "mode": "in_person" }),
        )
        .await
        .body;
    let token = app.institution_token(school["id"].as_str().unwrap()).await;
    Setting { official, school, class, token }
}

/// The official's completion of the class, as the school posts it.
pub(crate) fn completion(class: &Value) -> Value {
    json!({ "national_id": "001085012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1985-03-14",
            "class_id": class["id"], "duration_days": 40, "outcome": "passed" })
}

/// The official's completion of a programme on these dates, without a class.
pub(crate) fn program_completion(code: &str, started_on: &str, ended_on: &str) -> Value {
    let mut posted = completion(&Value::Null);
    let fields = posted.as_object_mut().unwrap();
    fields.remove("class_id");
    fields.insert("program_code".into(), json!(code));
    fields.insert("started_on".into(), json!(started_on));
    fields.insert("ended_on".into(), json!(ended_on));
    posted
}

async fn a_posted_completion_comes_back_with_its_signed_certificate(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    assert_eq!(posted.body["completion"]["started_on"], "2025-03-03");
    let number = posted.body["certificate"]["number"].as_str().unwrap();
    let verified = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(verified.body["verified"], true, "{:#}", verified.body);
    let creator =
        &posted.body["certificate"]["credential"]["credentialSubject"]["achievement"]["creator"];
    assert_eq!(creator["id"].as_str().unwrap().rsplit('/').next(), s.school["id"].as_str());

    // Without a class: a programme and its dates.
    let by_program = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let posted = app.post_as(&s.token, "/api/v1/completions", &by_program).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
}

async fn the_person_must_match_the_registry(app: TestApp) {
    let s = setting(&app).await;
    let mut wrong_name = completion(&s.class);
    wrong_name["full_name"] = json!("Nguyễn Văn Anh");
    let mut wrong_birthday = completion(&s.class);
    wrong_birthday["date_of_birth"] = json!("1985-03-15");
    let mut stranger = completion(&s.class);
    stranger["national_id"] = json!("001085099999");

    // One answer whichever of the three differs, and for a number nobody holds: an institution
    // cannot learn from posting whether a number is registered, nor a birth date by trying days.
    let mut answers = Vec::new();
    for refused in [wrong_name, wrong_birthday, stranger] {
        let answer = app.post_as(&s.token, "/api/v1/completions", &refused).await;
        answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "identity-mismatch");
        assert_eq!(answer.problem_fields(), ["national_id"]);
        assert!(
            !answer.body.to_string().contains("Nguyễn Văn An\""),
            "the registry's name is not echoed"
        );
        answers.push((answer.body["detail"].clone(), answer.body["errors"].clone()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

/// Past its day's refusals an institution has nobody compared, the right person included, so
/// that trying birth dates row after row (even in an all-or-nothing batch, which writes
/// nothing) finds none; another institution is still served.
async fn past_its_day_s_identity_refusals_an_institution_has_nobody_compared(app: TestApp) {
    let app = app
        .restarted_with(|store| store.limiting_identity_refusals(IdentityRefusals::per_day(2)))
        .await;
    let s = setting(&app).await;
    let mut guess = completion(&s.class);
    guess["date_of_birth"] = json!("1985-03-15");
    for _ in 0..2 {
        let answer = app.post_as(&s.token, "/api/v1/completions", &guess).await;
        answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "identity-mismatch");
    }

    let right = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    right.assert_problem(StatusCode::TOO_MANY_REQUESTS, "identity-refusals-spent");
    let retry_after: u64 = right.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after), "until midnight in Vietnam: {retry_after}");
    let rows = json!({ "mode": "all_or_nothing", "rows": [completion(&s.class), guess] });
    let batch = app.post_as(&s.token, "/api/v1/completions/batch", &rows).await;
    for row in batch.body["rows"].as_array().unwrap() {
        assert_eq!(row["problem"]["code"], "identity-refusals-spent", "{:#}", batch.body);
    }
    let recorded = app.request(Method::GET, "/api/v1/completions", Some(&s.token), None).await;
    assert_eq!(recorded.body["items"], json!([]), "{:#}", recorded.body);
    // The operator sees it in the metrics (other tests in this process count too).
    let metrics = crate::operations::scrape(&app).await;
    let series = r#"hocba_completions_identity_refused_total{outcome="not_compared"}"#;
    assert!(crate::operations::sample(&metrics, series).unwrap() >= 3.0, "{metrics}");

    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let academy_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    let by_program = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let served = app.post_as(&academy_token, "/api/v1/completions", &by_program).await;
    assert_eq!(served.status, StatusCode::CREATED, "{:#}", served.body);
}

/// The registry's days are Vietnam's: a class that ended today there is not in the future, at
/// any hour (from 17:00 UTC, the day in Vietnam is already the next one).
async fn a_class_that_ended_today_in_vietnam_is_posted_at_any_hour(app: TestApp) {
    let s = setting(&app).await;
    let today = hocba_domain::vietnam_day(time::OffsetDateTime::now_utc());
    let started = today - time::Duration::days(60);
    let ended_today = program_completion("QLNN-CV-2024", &started.to_string(), &today.to_string());
    let posted = app.post_as(&s.token, "/api/v1/completions", &ended_today).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
}

async fn scope_duration_and_duplicates_are_enforced(app: TestApp) {
    let s = setting(&app).await;
    let mut short = completion(&s.class);
    short["duration_days"] = json!(3);
    let answer = app.post_as(&s.token, "/api/v1/completions", &short).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(answer.problem_fields(), ["duration_days"]);

    app.program("LLCT-CAO-2024", "LLCT-CAO").await;
    let mut out_of_scope = program_completion("LLCT-CAO-2024", "2025-01-06", "2025-12-19");
    out_of_scope["duration_days"] = json!(240);
    let answer = app.post_as(&s.token, "/api/v1/completions", &out_of_scope).await;
    answer.assert_problem(StatusCode::FORBIDDEN, "institution-not-accredited");
    assert!(answer.body["detail"].as_str().unwrap().contains("LLCT-CAO"), "{:#}", answer.body);

    let first = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    again.assert_problem(StatusCode::CONFLICT, "duplicate-completion");
}

async fn an_institution_cannot_post_into_another_institutions_class(app: TestApp) {
    let s = setting(&app).await;
    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let academy_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    let answer = app.post_as(&academy_token, "/api/v1/completions", &completion(&s.class)).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(answer.problem_fields(), ["class_id"]);
    // And the operator's token is not an institution's: it cannot post either.
    let operator = app.post("/api/v1/completions", &completion(&s.class)).await;
    operator.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn a_correction_supersedes_and_links_both_certificates(app: TestApp) {
    let s = setting(&app).await;
    let first = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let old_id = first.body["completion"]["id"].as_str().unwrap();
    let old_number = first.body["certificate"]["number"].as_str().unwrap();
    let mut corrected = completion(&s.class);
    corrected["outcome"] = json!("excellent");
    let uri = format!("/api/v1/completions/{old_id}/correct");
    let answer = app.post_as(&s.token, &uri, &corrected).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    assert_eq!(answer.body["completion"]["supersedes"], old_id);
    let new_number = answer.body["certificate"]["number"].as_str().unwrap();
    assert_ne!(new_number, old_number);

    let old = app.post("/api/v1/verify", &json!({ "number": old_number })).await;
    assert_eq!(old.body["verified"], false);
    let reason = format!("status: revoked: superseded (superseded by {new_number})");
    assert!(old.body.to_string().contains(&reason[8..]), "{:#}", old.body);
    let new = app.post("/api/v1/verify", &json!({ "number": new_number })).await;
    assert_eq!(new.body["verified"], true);
    // Corrected once, a completion cannot be corrected again (correct the new one instead).
    let again = app.post_as(&s.token, &uri, &corrected).await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
}

async fn an_institution_touches_only_its_own_completions(app: TestApp) {
    let s = setting(&app).await;
    let first = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let completion_id = first.body["completion"]["id"].as_str().unwrap();
    let number = first.body["certificate"]["number"].as_str().unwrap();
    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let intruder = app.institution_token(academy["id"].as_str().unwrap()).await;

    let revoke = app
        .post_as(
            &intruder,
            &format!("/api/v1/certificates/{number}/revoke"),
            &json!({ "reason": "fraud" }),
        )
        .await;
    revoke.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let correct = app
        .post_as(
            &intruder,
            &format!("/api/v1/completions/{completion_id}/correct"),
            &completion(&s.class),
        )
        .await;
    correct.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let listing = app
        .request(
            axum::http::Method::GET,
            &format!("/api/v1/officials/{}/certificates", s.official["id"].as_str().unwrap()),
            Some(&intruder),
            None,
        )
        .await;
    listing.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Still valid: the intruder changed nothing.
    let verified = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(verified.body["verified"], true);

    // The school itself may revoke its own.
    let own = app
        .post_as(
            &s.token,
            &format!("/api/v1/certificates/{number}/revoke"),
            &json!({ "reason": "withdrawn" }),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:#}", own.body);
}

/// A completion posted for the wrong person is not corrected into someone else's: the first
/// certificate would name the other person's as its successor, on a page anyone may open.
async fn a_correction_keeps_the_official_it_corrects(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let (id, number) = (&posted.body["completion"]["id"], &posted.body["certificate"]["number"]);
    let other = app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let mut someone_else = completion(&s.class);
    someone_else["national_id"] = json!("001085054321");
    someone_else["full_name"] = json!("Trần Văn Bình");
    let path = format!("/api/v1/completions/{}/correct", id.as_str().unwrap());
    let refused = app.post_as(&s.token, &path, &someone_else).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(refused.problem_fields(), ["national_id"]);

    // Nothing moved: the first certificate stands, the other person holds nothing.
    let verified = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(verified.body["verified"], true, "{:#}", verified.body);
    let other_id = other["id"].as_str().unwrap();
    let record = app.get_as_admin(&format!("/api/v1/officials/{other_id}/record")).await;
    assert_eq!(record.body["categories"], json!([]), "{:#}", record.body);
    // The same person's correction still goes through.
    let mut better = completion(&s.class);
    better["outcome"] = json!("excellent");
    let corrected = app.post_as(&s.token, &path, &better).await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{:#}", corrected.body);
}

on_both_backends!(
    a_correction_keeps_the_official_it_corrects,
    a_correction_supersedes_and_links_both_certificates,
    an_institution_touches_only_its_own_completions,
    a_posted_completion_comes_back_with_its_signed_certificate,
    the_person_must_match_the_registry,
    past_its_day_s_identity_refusals_an_institution_has_nobody_compared,
    a_class_that_ended_today_in_vietnam_is_posted_at_any_hour,
    scope_duration_and_duplicates_are_enforced,
    an_institution_cannot_post_into_another_institutions_class,
);

mod idempotency {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use serde_json::json;

    use super::{completion, setting};
    use crate::helpers::{TestApp, TestResponse};

    async fn post_keyed(
        app: &TestApp,
        token: &str,
        uri: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> TestResponse {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        app.send(request).await
    }

    async fn a_retry_with_the_same_key_replays_the_first_answer(app: TestApp) {
        let s = setting(&app).await;
        let uri = "/api/v1/completions";
        let first = post_keyed(&app, &s.token, uri, "class-K1-row-1", &completion(&s.class)).await;
        assert_eq!(first.status, StatusCode::CREATED, "{:#}", first.body);
        let retry = post_keyed(&app, &s.token, uri, "class-K1-row-1", &completion(&s.class)).await;
        assert_eq!(retry.status, StatusCode::CREATED);
        assert_eq!(retry.body, first.body, "the same answer, not a second certificate");
        let listed = app
            .get_as_admin(&format!(
                "/api/v1/officials/{}/certificates",
                s.official["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(listed.body.as_array().unwrap().len(), 1);

        let mut other = completion(&s.class);
        other["outcome"] = json!("excellent");
        let reused =
            post_keyed(&app, &s.token, "/api/v1/completions", "class-K1-row-1", &other).await;
        reused.assert_problem(StatusCode::CONFLICT, "idempotency-key-reused");
        let bad = post_keyed(&app, &s.token, "/api/v1/completions", &"k".repeat(256), &other).await;
        bad.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    }

    async fn a_batch_retry_with_the_same_key_writes_nothing_new(app: TestApp) {
        let s = setting(&app).await;
        let body = json!({ "rows": [completion(&s.class)] });
        let first = post_keyed(&app, &s.token, "/api/v1/completions/batch", "batch-1", &body).await;
        assert_eq!(first.body["accepted"], 1, "{:#}", first.body);
        let retry = post_keyed(&app, &s.token, "/api/v1/completions/batch", "batch-1", &body).await;
        assert_eq!(retry.status, StatusCode::OK);
        assert_eq!(retry.body, first.body);
        // Without the key, the same row is a duplicate, not a second certificate.
        let unkeyed = app.post_as(&s.token, "/api/v1/completions/batch", &body).await;
        assert_eq!(unkeyed.body["rows"][0]["problem"]["code"], "duplicate-completion");
    }

    /// Ten identical requests with one key, sent at once (a client retrying before its first
    /// answer arrived): one certificate, and every one of them gets its answer.
    async fn concurrent_requests_with_one_key_all_get_the_first_answer(app: TestApp) {
        let s = setting(&app).await;
        for (uri, body) in [
            ("/api/v1/completions", completion(&s.class)),
            ("/api/v1/completions/batch", json!({ "rows": [completion(&s.class)] })),
        ] {
            let key = format!("at-once-{uri}");
            let at_once = (0..10).map(|_| post_keyed(&app, &s.token, uri, &key, &body));
            let answers = futures_util::future::join_all(at_once).await;
            let first = &answers[0];
            assert!(first.status.is_success(), "{uri}: {} {:#}", first.status, first.body);
            for answer in &answers {
                let same = answer.status == first.status && answer.body == first.body;
                assert!(same, "{uri}: {} {}", answer.status, answer.body["code"]);
            }
        }
        let listed = app
            .get_as_admin(&format!(
                "/api/v1/officials/{}/certificates",
                s.official["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(listed.body.as_array().unwrap().len(), 1, "{:#}", listed.body);
    }

    on_both_backends!(
        concurrent_requests_with_one_key_all_get_the_first_answer,
        a_retry_with_the_same_key_replays_the_first_answer,
        a_batch_retry_with_the_same_key_writes_nothing_new,
    );
}
