//! Institutions' API clients and the OAuth 2.0 client-credentials token endpoint.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::json;

use crate::helpers::TestApp;

async fn school(app: &TestApp) -> String {
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    school["id"].as_str().unwrap().to_owned()
}

async fn a_client_secret_is_shown_once_and_exchanged_for_a_short_lived_token(app: TestApp) {
    let institution = school(&app).await;
    let created = app
        .post(&format!("/api/v1/institutions/{institution}/clients"), &json!({ "label": "LMS" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    let client_id = created.body["client_id"].as_str().unwrap().to_owned();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("hocba_cs_"));

    let listed = app.get_as_admin(&format!("/api/v1/institutions/{institution}/clients")).await;
    assert_eq!(listed.body[0]["client_id"], client_id.as_str());
    assert!(listed.body[0]["last_used_at"].is_null());
    assert!(!listed.body.to_string().contains(&secret), "the secret is never shown again");

    // In the body, as a form…
    let form =
        format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}");
    let token = app.post_form("/oauth/token", &form, None).await;
    assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(token.body["expires_in"], 900);
    let access = token.body["access_token"].as_str().unwrap();
    let me = app.request(Method::GET, "/api/v1/me", Some(access), None).await;
    assert_eq!(me.body["role"], "institution");
    assert_eq!(me.body["institution_id"], institution.as_str());
    assert_eq!(me.body["client_id"], client_id.as_str());
    // … or with HTTP Basic authentication.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
    let token = app
        .post_form("/oauth/token", "grant_type=client_credentials", Some(&format!("Basic {basic}")))
        .await;
    assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);

    let listed = app.get_as_admin(&format!("/api/v1/institutions/{institution}/clients")).await;
    assert!(listed.body[0]["last_used_at"].is_string());
}

/// Creates an API client for `institution`; returns its id and secret.
async fn new_client(app: &TestApp, institution: &str) -> (String, String) {
    let created = app
        .post(&format!("/api/v1/institutions/{institution}/clients"), &json!({ "label": "LMS" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    let field = |name: &str| created.body[name].as_str().unwrap().to_owned();
    (field("client_id"), field("client_secret"))
}

async fn bad_token_requests_say_why_in_oauth_terms(app: TestApp) {
    let institution = school(&app).await;
    let (client_id, _) = new_client(&app, &institution).await;
    let wrong = app
        .post_form(
            "/oauth/token",
            &format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret=hocba_cs_wrong"
            ),
            None,
        )
        .await;
    wrong.assert_problem(StatusCode::UNAUTHORIZED, "invalid-client");
    assert_eq!(wrong.body["error"], "invalid_client");
    let unknown = app
        .post_form(
            "/oauth/token",
            "grant_type=client_credentials&client_id=not-a-uuid&client_secret=x",
            None,
        )
        .await;
    assert_eq!(unknown.body["error"], "invalid_client");
    let grant =
        app.post_form("/oauth/token", "grant_type=password&username=a&password=b", None).await;
    grant.assert_problem(StatusCode::BAD_REQUEST, "invalid-token-request");
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    let missing = app.post_form("/oauth/token", "grant_type=client_credentials", None).await;
    assert_eq!(missing.body["error"], "invalid_request");
}

async fn a_revoked_client_loses_its_tokens_at_once(app: TestApp) {
    let institution = school(&app).await;
    let access = app.institution_token(&institution).await;
    let listed = app.get_as_admin(&format!("/api/v1/institutions/{institution}/clients")).await;
    let client_id = listed.body[0]["client_id"].as_str().unwrap();
    let revoked = app
        .post(&format!("/api/v1/institutions/{institution}/clients/{client_id}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    let me = app.request(Method::GET, "/api/v1/me", Some(&access), None).await;
    me.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Another institution's id in the path finds nothing.
    let other = school_named(&app, "HVCTQG").await;
    let cross = app
        .post(&format!("/api/v1/institutions/{other}/clients/{client_id}/revoke"), &json!({}))
        .await;
    cross.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

async fn school_named(app: &TestApp, code: &str) -> String {
    let created = app
        .post(
            "/api/v1/institutions",
            &json!({ "code": code, "name": "Học viện", "kind": "national_academy" }),
        )
        .await;
    created.body["id"].as_str().unwrap().to_owned()
}

async fn an_institution_token_cannot_do_operator_work(app: TestApp) {
    let institution = school(&app).await;
    let access = app.institution_token(&institution).await;
    for (method, uri) in [
        (Method::GET, "/api/v1/audit/verify"),
        (Method::GET, format!("/api/v1/institutions/{institution}/clients").leak() as &str),
        (Method::POST, "/api/v1/officials/search"),
    ] {
        let body = (method == Method::POST).then(|| axum::body::Body::from("{}"));
        let answer = app.request(method, uri, Some(&access), body).await;
        answer.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
}

async fn an_expired_token_is_refused(app: TestApp) {
    let institution = school(&app).await;
    app.institution_token(&institution).await;
    let client_id = app
        .get_as_admin(&format!("/api/v1/institutions/{institution}/clients"))
        .await
        .body[0]["client_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let minted = hocba_api::auth::mint_token();
    let past = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    app.store.issue_access_token(client_id, &minted.hash, past).await.unwrap();
    let me = app.request(Method::GET, "/api/v1/me", Some(&minted.secret), None).await;
    me.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// One request a second with bursts of two: the burst is answered, and requests in a row are then
/// refused, the third unless a slow machine took a second over the first three (then a later
/// one), so the test does not depend on the machine's speed.
async fn a_credential_beyond_its_rate_gets_429_with_retry_after(app: TestApp) {
    let app = app.with_rate_limit(1);
    let institution = school(&app).await;
    let access = app.institution_token(&institution).await;
    let mut answered = 0;
    let refused = loop {
        let me = app.request(Method::GET, "/api/v1/me", Some(&access), None).await;
        if me.status != StatusCode::OK {
            break me;
        }
        answered += 1;
        assert!(answered < 10, "ten requests in a row answered at one a second");
    };
    assert!(answered >= 2, "the burst of two was refused");
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert_eq!(refused.headers["retry-after"], "1");
    // Operator tokens are not limited.
    assert_eq!(app.get_as_admin("/api/v1/audit/verify").await.status, StatusCode::OK);
}

async fn wrong_secrets_beyond_the_allowance_get_429_with_retry_after(app: TestApp) {
    let institution = school(&app).await;
    let (client_id, secret) = new_client(&app, &institution).await;
    let (client_id, secret) = (client_id.as_str(), secret.as_str());
    let form = |secret: &str| {
        format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}")
    };
    // Successes do not count against the allowance.
    for _ in 0..2 {
        assert_eq!(app.post_form("/oauth/token", &form(secret), None).await.status, StatusCode::OK);
    }
    for _ in 0..hocba_api::CLIENT_FAILURE_BURST {
        let wrong = app.post_form("/oauth/token", &form("hocba_cs_wrong"), None).await;
        wrong.assert_problem(StatusCode::UNAUTHORIZED, "invalid-client");
    }
    let refused = app.post_form("/oauth/token", &form("hocba_cs_wrong"), None).await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let wait: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Made-up client ids count against the source address only, and never get a bucket.
    for n in 0..hocba_api::SOURCE_FAILURE_BURST {
        let unknown = app
            .post_form("/oauth/token", &form(secret).replace(client_id, &format!("{n:032x}")), None)
            .await;
        assert_ne!(unknown.status, StatusCode::OK);
    }
    let from_the_same_address = app.post_form("/oauth/token", &form(secret), None).await;
    from_the_same_address.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
}

on_both_backends!(
    wrong_secrets_beyond_the_allowance_get_429_with_retry_after,
    a_credential_beyond_its_rate_gets_429_with_retry_after,
    a_client_secret_is_shown_once_and_exchanged_for_a_short_lived_token,
    bad_token_requests_say_why_in_oauth_terms,
    a_revoked_client_loses_its_tokens_at_once,
    an_institution_token_cannot_do_operator_work,
    an_expired_token_is_refused,
);
