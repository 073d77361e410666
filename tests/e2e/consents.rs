//! The official's consent: a machine client (the National Public Service Portal) reads an
//! official's record, signed transcript and certificates only while the official's consent to
//! it is in force (or its agency's HR rule covers them), each read in the official's read log
//! with the client's name and the consent's purpose; a withdrawal counts at once.

use axum::http::{Method, StatusCode};
use hocba_domain::{ConsentDraft, OfficialId, vietnam_day};
use hocba_store::Actor;
use serde_json::{Value, json};
use time::macros::date;
use time::{Duration, OffsetDateTime};

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, TestResponse, official_body};
use crate::pages::{HOLDER, SOMEONE_ELSE};
use crate::sessions::{csrf_of, get_with_cookie, html, location, post_form_with_cookie};
use crate::shares::signed_in_official;
use crate::signin::id_token;

const PURPOSE: &str = "Hồ sơ xin cấp phép hành nghề";

/// A day `days` from today, as Vietnam counts days (and a date field holds it).
pub(crate) fn in_days(days: i64) -> String {
    (vietnam_day(OffsetDateTime::now_utc()) + Duration::days(days)).to_string()
}

fn official(id: &str) -> OfficialId {
    OfficialId::from_uuid(id.parse().unwrap())
}

/// Nguyễn Văn An, holding one certificate; returns his id.
async fn holder_with_a_certificate(app: &TestApp) -> String {
    let s = setting(app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    s.official["id"].as_str().unwrap().to_owned()
}

/// The official holding `token` lets `client_id` read for `purpose` for 30 days.
async fn consent(app: &TestApp, token: &str, client_id: &str, purpose: &str) -> Value {
    let body = json!({ "client_id": client_id, "purpose": purpose, "valid_until": in_days(30) });
    let given = app.post_as(token, "/api/v1/me/consents", &body).await;
    assert_eq!(given.status, StatusCode::CREATED, "{:#}", given.body);
    given.body
}

/// What a machine client reads of the official `official_id`: the record, the signed
/// transcript and the certificates.
async fn reads_of(app: &TestApp, token: &str, official_id: &str) -> [TestResponse; 3] {
    let base = format!("/api/v1/officials/{official_id}");
    let get =
        |path: String| async move { app.request(Method::GET, &path, Some(token), None).await };
    [
        get(format!("{base}/record")).await,
        get(format!("{base}/record/credential")).await,
        get(format!("{base}/certificates")).await,
    ]
}

/// Asserts each answer is the 403 problem `code`.
#[track_caller]
fn all_refused(answers: &[TestResponse], code: &str) {
    for answer in answers {
        answer.assert_problem(StatusCode::FORBIDDEN, code);
    }
}

/// The reads of `official_id`'s record by machine clients, as the official sees them.
async fn client_reads(app: &TestApp, official: &str, official_id: &str) -> Vec<Value> {
    let uri = format!("/api/v1/officials/{official_id}/reads");
    let reads = app.request(Method::GET, &uri, Some(official), None).await;
    assert_eq!(reads.status, StatusCode::OK, "{:#}", reads.body);
    reads
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|read| read["reader_kind"] == "client")
        .cloned()
        .collect()
}

async fn a_client_reads_under_a_consent_until_it_is_withdrawn(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let official = id_token(HOLDER);

    all_refused(&reads_of(&app, &portal.token, &official_id).await, "consent-missing");
    // The official picks the portal by name from the systems that may read records.
    let clients =
        app.request(Method::GET, "/api/v1/me/consents/clients", Some(&official), None).await;
    assert_eq!(clients.status, StatusCode::OK, "{:#}", clients.body);
    let listed = clients
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == portal.client_id.as_str());
    let name = listed.expect("the portal is offered")["name"].as_str().unwrap().to_owned();
    let given = consent(&app, &official, &portal.client_id, PURPOSE).await;
    assert_eq!(
        (given["state"].as_str(), given["client_name"].as_str()),
        (Some("live"), Some(name.as_str()))
    );

    // The portal learns whose records it may read, and for what.
    let given_to = app.request(Method::GET, "/api/v1/consents", Some(&portal.token), None).await;
    assert_eq!(given_to.status, StatusCode::OK, "{:#}", given_to.body);
    assert_eq!(given_to.body[0]["official_id"], official_id.as_str());
    assert_eq!(
        (given_to.body[0]["purpose"].as_str(), given_to.body[0]["state"].as_str()),
        (Some(PURPOSE), Some("live"))
    );
    let by_official = app.request(Method::GET, "/api/v1/consents", Some(&official), None).await;
    by_official.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let [record, transcript, certificates] = reads_of(&app, &portal.token, &official_id).await;
    assert_eq!(record.status, StatusCode::OK, "{:#}", record.body);
    assert_eq!(record.body["full_name"], "Nguyễn Văn An");
    assert_eq!(transcript.status, StatusCode::OK, "{:#}", transcript.body);
    assert!(transcript.body["type"].to_string().contains("ClrCredential"), "{:#}", transcript.body);
    assert_eq!(certificates.status, StatusCode::OK, "{:#}", certificates.body);
    assert_eq!(certificates.body.as_array().unwrap().len(), 1);

    // The official sees each read: the portal by name, and the purpose they consented to.
    let reads = client_reads(&app, &official, &official_id).await;
    let routes: Vec<&str> = reads.iter().map(|read| read["purpose"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        [
            "GET /api/v1/officials/{id}/record",
            "GET /api/v1/officials/{id}/record/credential",
            "GET /api/v1/officials/{id}/certificates"
        ]
    );
    for read in &reads {
        assert_eq!(read["reader_name"], name.as_str(), "{read:#}");
        assert_eq!(read["consent_purpose"], PURPOSE, "{read:#}");
        assert_eq!(read["reader"], format!("machine:{}", portal.client_id));
    }

    // Withdrawn: the very next request is refused, and says why.
    let withdraw = format!("/api/v1/me/consents/{}", given["id"].as_str().unwrap());
    let withdrawn = app.request(Method::DELETE, &withdraw, Some(&official), None).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:#}", withdrawn.body);
    assert_eq!(withdrawn.body["state"], "withdrawn");
    all_refused(&reads_of(&app, &portal.token, &official_id).await, "consent-withdrawn");
    assert_eq!(
        client_reads(&app, &official, &official_id).await.len(),
        3,
        "a refusal reads nothing"
    );
    app.request(Method::DELETE, &withdraw, Some(&official), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "already-exists");
    // Granting and withdrawing are audited, as the official's acts, without the purpose.
    let trail = app.store.audit_trail("consent", given["id"].as_str().unwrap()).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(actions, ["consent.granted", "consent.withdrawn"]);
    assert!(trail.iter().all(|event| event.actor == format!("official:{official_id}")));
    assert!(!trail.iter().any(|event| event.details.to_string().contains(PURPOSE)));
    // A new consent lets the portal read again.
    consent(&app, &official, &portal.client_id, PURPOSE).await;
    assert_eq!(reads_of(&app, &portal.token, &official_id).await[0].status, StatusCode::OK);
}

async fn an_expired_consent_is_refused_as_expired(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let id = official(&official_id);
    // Given in January 2025 for that month: over now, without waiting for it to end.
    let draft = ConsentDraft {
        purpose: PURPOSE.to_owned(),
        valid_from: None,
        valid_until: date!(2025 - 01 - 31),
    };
    let terms = draft.parse(date!(2025 - 01 - 01)).unwrap();
    let actor = Actor::Official { official_id: id };
    let client_id = portal.client_id.parse().unwrap();
    app.store.grant_consent(&actor, id, client_id, &terms).await.unwrap();

    all_refused(&reads_of(&app, &portal.token, &official_id).await, "consent-expired");
    let official = id_token(HOLDER);
    let list = app.request(Method::GET, "/api/v1/me/consents", Some(&official), None).await;
    assert_eq!(list.body[0]["state"], "expired", "{:#}", list.body);
    assert_eq!(list.body[0]["valid_until"], "2025-01-31");
    assert!(client_reads(&app, &official, &official_id).await.is_empty());
}

async fn a_consent_lets_only_its_own_client_read(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let ministry = app.machine_client(&["records:read"], None).await;
    let official = id_token(HOLDER);
    consent(&app, &official, &portal.client_id, PURPOSE).await;

    all_refused(&reads_of(&app, &ministry.token, &official_id).await, "consent-missing");
    assert_eq!(reads_of(&app, &portal.token, &official_id).await[0].status, StatusCode::OK);
}

async fn a_client_without_records_read_reads_nothing_and_gets_no_consent(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let feed = app.machine_client(&["events:read"], None).await;
    let official = id_token(HOLDER);

    for answer in reads_of(&app, &feed.token, &official_id).await {
        answer.assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        assert!(answer.body["detail"].to_string().contains("records:read"), "{:#}", answer.body);
    }
    // Not offered, and refused if named.
    let clients =
        app.request(Method::GET, "/api/v1/me/consents/clients", Some(&official), None).await;
    assert!(!clients.body.to_string().contains(&feed.client_id), "{:#}", clients.body);
    let body =
        json!({ "client_id": feed.client_id, "purpose": PURPOSE, "valid_until": in_days(7) });
    let refused = app.post_as(&official, "/api/v1/me/consents", &body).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(refused.problem_fields(), ["client_id"]);
}

async fn an_official_neither_sees_nor_withdraws_another_s_consents(app: TestApp) {
    app.register_official(&official_body(HOLDER, "Nguyễn Văn An")).await;
    app.register_official(&official_body(SOMEONE_ELSE, "Trần Văn Bình")).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let (own, other) = (id_token(HOLDER), id_token(SOMEONE_ELSE));
    let given = consent(&app, &own, &portal.client_id, PURPOSE).await;
    let withdraw = format!("/api/v1/me/consents/{}", given["id"].as_str().unwrap());

    let theirs = app.request(Method::GET, "/api/v1/me/consents", Some(&other), None).await;
    assert_eq!(theirs.body, json!([]));
    app.request(Method::DELETE, &withdraw, Some(&other), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let mine = app.request(Method::GET, "/api/v1/me/consents", Some(&own), None).await;
    assert_eq!(mine.body[0]["state"], "live", "{:#}", mine.body);
    // Consents are officials' own: the operator has none to give, and a client none to read.
    let body =
        json!({ "client_id": portal.client_id, "purpose": PURPOSE, "valid_until": in_days(7) });
    app.post("/api/v1/me/consents", &body).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let by_client =
        app.request(Method::GET, "/api/v1/me/consents", Some(&portal.token), None).await;
    by_client.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn a_bad_consent_names_each_field_and_why(app: TestApp) {
    app.register_official(&official_body(HOLDER, "Nguyễn Văn An")).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let official = id_token(HOLDER);
    let refused = |body: Value| {
        let (app, official) = (&app, official.clone());
        async move { app.post_as(&official, "/api/v1/me/consents", &body).await }
    };
    let body = json!({
        "client_id": portal.client_id, "purpose": " ",
        "valid_from": in_days(-1), "valid_until": in_days(400),
    });
    let answer = refused(body).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(
        answer.problem_fields(),
        ["purpose", "valid_from", "valid_until"],
        "{:#}",
        answer.body
    );
    assert!(answer.body.to_string().contains("at most 365 days after today"), "{:#}", answer.body);
    let body = json!({
        "client_id": portal.client_id, "purpose": PURPOSE,
        "valid_from": in_days(10), "valid_until": in_days(9),
    });
    assert_eq!(refused(body).await.problem_fields(), ["valid_until"]);
    let answer =
        refused(json!({ "client_id": "portal", "purpose": PURPOSE, "valid_until": in_days(9) }))
            .await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(answer.problem_fields(), ["client_id"]);
}

async fn an_agency_s_client_reads_its_staff_without_consent(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let hanoi = app.machine_client(&["records:read"], Some("G01.H29")).await;
    let elsewhere = app.machine_client(&["records:read"], Some("G09")).await;

    let [record, transcript, certificates] = reads_of(&app, &hanoi.token, &official_id).await;
    for answer in [&record, &transcript, &certificates] {
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    }
    all_refused(&reads_of(&app, &elsewhere.token, &official_id).await, "consent-missing");
    let reads = client_reads(&app, &id_token(HOLDER), &official_id).await;
    assert_eq!(reads.len(), 3);
    assert!(reads.iter().all(|read| read["consent_purpose"].is_null()), "{reads:#?}");
}

async fn an_official_gives_and_withdraws_a_consent_on_their_page(app: TestApp) {
    let official_id = holder_with_a_certificate(&app).await;
    let portal = app.machine_client(&["records:read"], None).await;
    let cookie = signed_in_official(&app, official(&official_id)).await;

    let page = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", html(&page));
    let text = html(&page);
    assert!(text.contains(&format!(r#"<option value="{}""#, portal.client_id)), "{text}");
    assert!(text.contains(r#"id="no-consents""#), "{text}");
    // The form is far down the page: its answer opens at it.
    assert!(text.contains(r#"action="/me/consents#consent-form""#), "{text}");
    assert!(!text.contains("consent-form-error"), "{text}");
    let csrf = csrf_of(&page);
    let post = |uri: String, form: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move { post_form_with_cookie(app, &uri, &form, Some(&cookie)).await }
    };
    let fields = |csrf: &str, purpose: &str, until: &str| {
        format!(
            "csrf={csrf}&client_id={}&purpose={purpose}&valid_from=&valid_until={until}",
            portal.client_id
        )
    };
    // A form from elsewhere, and a consent too long, give nothing.
    let forged = post("/me/consents".to_owned(), fields("forged", "HR", &in_days(30))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let too_long =
        post("/me/consents".to_owned(), fields(&csrf, "Thi+tuy%E1%BB%83n", &in_days(400))).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&too_long));
    let text = html(&too_long);
    assert!(text.contains(r#"id="consent-until-error""#), "{text}");
    let said = "Ngày kết thúc không được quá 365 ngày sau hôm nay.";
    assert!(text.contains(said), "said in Vietnamese too: {text}");
    assert!(text.contains(r#"role="alert" id="consent-form-error""#), "announced: {text}");
    assert!(text.contains(r#"value="Thi tuyển""#), "what was typed stays: {text}");
    assert!(app.store.consents(official(&official_id)).await.unwrap().is_empty());

    let given =
        post("/me/consents".to_owned(), fields(&csrf, "Thi+tuy%E1%BB%83n", &in_days(30))).await;
    assert_eq!(location(&given), "/me#consents", "{}", html(&given));
    assert_eq!(reads_of(&app, &portal.token, &official_id).await[0].status, StatusCode::OK);
    let page = get_with_cookie(&app, "/me", &cookie).await;
    let text = html(&page);
    assert!(text.contains(r#"data-state="live""#) && text.contains("Thi tuyển"), "{text}");
    assert!(text.contains("under your consent, for “Thi tuyển”"), "in the read log: {text}");

    let consents = app.store.consents(official(&official_id)).await.unwrap();
    let withdraw = format!("/me/consents/{}/withdraw", consents[0].id);
    let forged = post(withdraw.clone(), "csrf=forged".to_owned()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(reads_of(&app, &portal.token, &official_id).await[0].status, StatusCode::OK);
    let withdrawn = post(withdraw, format!("csrf={csrf}")).await;
    assert_eq!(location(&withdrawn), "/me#consents");
    all_refused(&reads_of(&app, &portal.token, &official_id).await, "consent-withdrawn");
    let page = get_with_cookie(&app, "/me", &cookie).await;
    assert!(html(&page).contains(r#"data-state="withdrawn""#), "{}", html(&page));
}

on_both_backends!(
    a_client_reads_under_a_consent_until_it_is_withdrawn,
    an_expired_consent_is_refused_as_expired,
    a_consent_lets_only_its_own_client_read,
    a_client_without_records_read_reads_nothing_and_gets_no_consent,
    an_official_neither_sees_nor_withdraws_another_s_consents,
    a_bad_consent_names_each_field_and_why,
    an_agency_s_client_reads_its_staff_without_consent,
    an_official_gives_and_withdraws_a_consent_on_their_page,
);
