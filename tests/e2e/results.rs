//! Institutions' own results and classes: the completions they recorded, with certificate
//! numbers and status; a class's roster as JSON or CSV; classes they open themselves.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::agencies::agency_key;
use crate::completions::{completion, program_completion, setting};
use crate::helpers::{TestApp, TestResponse, official_body};
use crate::signin::id_token;

/// `GET` with `token`.
async fn get_as(app: &TestApp, token: &str, uri: &str) -> TestResponse {
    app.request(Method::GET, uri, Some(token), None).await
}

/// `GET /api/v1/completions?{query}` with `token`.
async fn listed(app: &TestApp, token: &str, query: &str) -> TestResponse {
    get_as(app, token, &format!("/api/v1/completions?{query}")).await
}

/// The `field` of each item of a page, as a JSON array.
fn column(page: &TestResponse, field: &str) -> Value {
    assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
    page.body["items"].as_array().unwrap().iter().map(|item| item[field].clone()).collect()
}

/// Posts `body` with `token` and returns the completion's id and certificate number.
async fn posted(app: &TestApp, token: &str, body: &Value) -> (Value, Value) {
    let answer = app.post_as(token, "/api/v1/completions", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    (answer.body["completion"]["id"].clone(), answer.body["certificate"]["number"].clone())
}

async fn an_institution_lists_its_own_completions_with_filters_and_pages(app: TestApp) {
    let s = setting(&app).await;
    // In the class, ended in April, then revoked.
    let (in_class, in_class_number) = posted(&app, &s.token, &completion(&s.class)).await;
    let revoked = app
        .post_as(
            &s.token,
            &format!("/api/v1/certificates/{}/revoke", in_class_number.as_str().unwrap()),
            &json!({ "reason": "issued_in_error" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    // Without a class, ended in October, then corrected.
    let autumn = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let (replaced, replaced_number) = posted(&app, &s.token, &autumn).await;
    let mut corrected = autumn.clone();
    corrected["outcome"] = json!("excellent");
    let answer = app
        .post_as(
            &s.token,
            &format!("/api/v1/completions/{}/correct", replaced.as_str().unwrap()),
            &corrected,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let (correction, correction_number) =
        (answer.body["completion"]["id"].clone(), answer.body["certificate"]["number"].clone());
    // Another institution's completion of the same official.
    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let academy_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    let (elsewhere, _) = posted(
        &app,
        &academy_token,
        &program_completion("QLNN-CV-2024", "2024-09-02", "2024-10-25"),
    )
    .await;

    let own = get_as(&app, &s.token, "/api/v1/completions").await;
    assert_eq!(column(&own, "completion_id"), json!([in_class, replaced, correction]));
    assert_eq!(
        column(&own, "certificate_number"),
        json!([in_class_number, replaced_number, correction_number])
    );
    assert_eq!(column(&own, "status"), json!(["revoked", "superseded", "live"]));
    assert_eq!(own.body["items"][0]["full_name"], "Nguyễn Văn An");
    assert_eq!(own.body["items"][0]["program_code"], "QLNN-CV-2024");
    assert_eq!(own.body["items"][0]["class_id"], s.class["id"]);
    assert_eq!(own.body["items"][2]["supersedes"], replaced);

    let class_id = s.class["id"].as_str().unwrap();
    assert_eq!(
        column(&listed(&app, &s.token, &format!("class_id={class_id}")).await, "completion_id"),
        json!([in_class])
    );
    assert_eq!(
        column(&listed(&app, &s.token, "status=live").await, "completion_id"),
        json!([correction])
    );
    assert_eq!(
        column(&listed(&app, &s.token, "status=revoked").await, "completion_id"),
        json!([in_class])
    );
    assert_eq!(
        column(&listed(&app, &s.token, "status=superseded").await, "completion_id"),
        json!([replaced])
    );
    let all_three = json!([in_class, replaced, correction]);
    assert_eq!(
        column(&listed(&app, &s.token, "program_code=QLNN-CV-2024").await, "completion_id"),
        all_three
    );
    assert_eq!(
        column(&listed(&app, &s.token, "program_code=PL-2025").await, "completion_id"),
        json!([])
    );
    assert_eq!(
        column(&listed(&app, &s.token, "ended_from=2025-05-01").await, "completion_id"),
        json!([replaced, correction])
    );
    assert_eq!(
        column(
            &listed(&app, &s.token, "ended_from=2025-01-01&ended_to=2025-04-30").await,
            "completion_id"
        ),
        json!([in_class])
    );
    let own_id = s.school["id"].as_str().unwrap();
    let own_only = listed(&app, &s.token, &format!("institution_id={own_id}")).await;
    assert_eq!(column(&own_only, "completion_id"), all_three);

    let first = listed(&app, &s.token, "limit=2").await;
    assert_eq!(column(&first, "completion_id"), json!([in_class, replaced]));
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = listed(&app, &s.token, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(column(&second, "completion_id"), json!([correction]));
    assert!(second.body.get("next_cursor").is_none(), "{:#}", second.body);

    listed(&app, &s.token, "status=lost")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    let backwards = listed(&app, &s.token, "ended_from=2025-05-01&ended_to=2025-04-30").await;
    assert_eq!(backwards.problem_fields(), ["ended_to"]);
    let academy_id = academy["id"].as_str().unwrap();
    listed(&app, &s.token, &format!("institution_id={academy_id}"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // The academy sees its own only; the operator sees every institution's, or one's.
    let theirs = get_as(&app, &academy_token, "/api/v1/completions").await;
    assert_eq!(column(&theirs, "completion_id"), json!([elsewhere]));
    let all = app.get_as_admin("/api/v1/completions").await;
    assert_eq!(column(&all, "completion_id"), json!([in_class, replaced, correction, elsewhere]));
    let one = app.get_as_admin(&format!("/api/v1/completions?institution_id={academy_id}")).await;
    assert_eq!(column(&one, "completion_id"), json!([elsewhere]));
}

async fn hr_keys_officials_and_strangers_list_no_completions(app: TestApp) {
    let s = setting(&app).await;
    posted(&app, &s.token, &completion(&s.class)).await;
    let (_, hr_token) = agency_key(&app, "G01.H29").await;
    let class_results = format!("/api/v1/classes/{}/results", s.class["id"].as_str().unwrap());
    for token in [hr_token, id_token("001085012345")] {
        for uri in ["/api/v1/completions", class_results.as_str()] {
            get_as(&app, &token, uri).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
    }
    for uri in ["/api/v1/completions", class_results.as_str()] {
        app.get(uri).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

/// `GET` a class's results as CSV with `token`.
async fn roster_csv(app: &TestApp, token: &str, class: &Value) -> TestResponse {
    let request = Request::builder()
        .uri(format!("/api/v1/classes/{}/results", class["id"].as_str().unwrap()))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "text/csv")
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

async fn a_class_roster_comes_as_json_or_as_csv_that_excel_reads(app: TestApp) {
    let s = setting(&app).await;
    app.register_official(&official_body("001085054321", "Trần Thị Bích Ngọc")).await;
    let (first, first_number) = posted(&app, &s.token, &completion(&s.class)).await;
    let mut classmate = completion(&s.class);
    classmate["national_id"] = json!("001085054321");
    classmate["full_name"] = json!("Trần Thị Bích Ngọc");
    classmate["score"] = json!(8.25);
    let (_, second_number) = posted(&app, &s.token, &classmate).await;

    let uri = format!("/api/v1/classes/{}/results", s.class["id"].as_str().unwrap());
    let json = get_as(&app, &s.token, &uri).await;
    assert_eq!(json.status, StatusCode::OK, "{:#}", json.body);
    assert_eq!(json.content_type, "application/json");
    assert_eq!(json.body["class"]["code"], "K1");
    let results = json.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        (&results[0]["completion_id"], &results[0]["certificate_number"]),
        (&first, &first_number)
    );
    assert_eq!(results[1]["full_name"], "Trần Thị Bích Ngọc");
    assert_eq!(results[1]["status"], "live");

    let csv = roster_csv(&app, &s.token, &s.class).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert!(csv.raw.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 byte order mark comes first");
    let text = String::from_utf8(csv.raw[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("completion_id,certificate_number,status,"), "{text}");
    assert!(lines[1].contains(&format!(",{},live,", first_number.as_str().unwrap())), "{text}");
    assert!(lines[1].contains(",Nguyễn Văn An,1985-03-14,QLNN-CV-2024,"), "{text}");
    assert!(lines[2].contains(&format!(",{},live,", second_number.as_str().unwrap())), "{text}");
    assert!(lines[2].contains(",Trần Thị Bích Ngọc,1985-03-14,"), "{text}");
    assert!(lines[2].contains(",passed,8.25,"), "{text}");

    // The operator reads any class's roster; another institution reads none of this one.
    let operator = roster_csv(&app, &app.admin_token, &s.class).await;
    assert_eq!(operator.raw, csv.raw);
    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let academy_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    get_as(&app, &academy_token, &uri).await.assert_problem(StatusCode::NOT_FOUND, "not-found");
    roster_csv(&app, &academy_token, &s.class)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

/// A class of `program` for `institution`, starting in March 2025.
fn class_body(institution: &Value, program: &Value, code: &str) -> Value {
    json!({ "institution_id": institution["id"], "program_id": program["id"], "code": code,
            "starts_on": "2025-03-03", "ends_on": "2025-03-28", "mode": "online" })
}

async fn an_institution_opens_classes_in_its_scope_only(app: TestApp) {
    let s = setting(&app).await;
    let program = app.get("/api/v1/programs?category=QLNN-CV").await.body["items"][0].clone();
    let opened =
        app.post_as(&s.token, "/api/v1/classes", &class_body(&s.school, &program, "K2")).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:#}", opened.body);
    assert_eq!(opened.body["institution_id"], s.school["id"]);
    let listed = app
        .get(&format!("/api/v1/classes?institution_id={}", s.school["id"].as_str().unwrap()))
        .await;
    let codes: Vec<_> =
        listed.body["items"].as_array().unwrap().iter().map(|c| c["code"].clone()).collect();
    assert_eq!(codes, ["K1", "K2"]);

    // A programme of a category outside its accreditation: 403 naming the category.
    let cvc = app.program("QLNN-CVC-2024", "QLNN-CVC").await;
    let refused =
        app.post_as(&s.token, "/api/v1/classes", &class_body(&s.school, &cvc, "C1")).await;
    refused.assert_problem(StatusCode::FORBIDDEN, "institution-not-accredited");
    assert!(refused.body["detail"].as_str().unwrap().contains("QLNN-CVC"), "{:#}", refused.body);

    // Another institution's class, even in a category both may teach: forbidden.
    let academy = app.accredited_institution("HVCTQG", "national_academy", &["QLNN-CV"]).await;
    let academy_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    app.post_as(&academy_token, "/api/v1/classes", &class_body(&s.school, &program, "K3"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // HR keys open none; the operator still opens one for any institution.
    let (_, hr_token) = agency_key(&app, "G01.H29").await;
    app.post_as(&hr_token, "/api/v1/classes", &class_body(&s.school, &program, "K3"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let by_operator = app.post("/api/v1/classes", &class_body(&academy, &program, "A1")).await;
    assert_eq!(by_operator.status, StatusCode::CREATED, "{:#}", by_operator.body);
}

on_both_backends!(
    an_institution_lists_its_own_completions_with_filters_and_pages,
    hr_keys_officials_and_strangers_list_no_completions,
    a_class_roster_comes_as_json_or_as_csv_that_excel_reads,
    an_institution_opens_classes_in_its_scope_only,
);
