//! Sharing with HR: an official makes a link to their whole record or one certificate, for a
//! period they choose; whoever has it sees the verification page without an account, each
//! opening is in the official's read log, and a revoked or expired link is gone.

use axum::http::{Method, StatusCode, header};
use hocba_domain::OfficialId;
use hocba_store::{Actor, Principal};
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{BASE_URL, TestApp, TestResponse, official_body};
use crate::sessions::{COOKIE, csrf_of, get_with_cookie, location, post_form_with_cookie};
use crate::signin::id_token;

/// Makes a share link as the official holding `token`; returns the answer (201 asserted).
async fn share(app: &TestApp, token: &str, body: &Value) -> Value {
    let made = app.post_as(token, "/api/v1/me/shares", body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:#}", made.body);
    made.body
}

/// The path of a share link's URL.
fn path_of(made: &Value) -> String {
    let url = made["url"].as_str().unwrap();
    url.strip_prefix(BASE_URL).unwrap().to_owned()
}

fn html(page: &TestResponse) -> String {
    String::from_utf8(page.raw.clone()).unwrap()
}

async fn opened_without_an_account(app: &TestApp, path: &str) -> TestResponse {
    app.get(path).await
}

async fn a_share_link_opens_the_verification_page_without_an_account(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    let official_id = s.official["id"].as_str().unwrap();
    let token = id_token("001085012345");

    // The whole record, for a week, labelled for the official's own list.
    let record = share(&app, &token, &json!({ "days": 7, "label": "Vụ Tổ chức cán bộ" })).await;
    assert_eq!(record["state"], "active");
    assert_eq!(record["certificate"], Value::Null);
    assert!(!record["url"].as_str().unwrap().contains("001085012345"), "{record:#}");
    let record_path = path_of(&record);
    let page = opened_without_an_account(&app, &record_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", html(&page));
    let text = html(&page);
    assert!(text.contains("Nguyễn Văn An") && text.contains(&number), "{text}");
    assert!(text.contains(r#"data-verdict="valid""#), "{text}");
    // The class ended on 25 April 2025: written as on every other page.
    assert!(text.contains(r#"<time datetime="2025-04-25">25/04/2025</time>"#), "{text}");
    assert!(!text.contains("001085012345"), "no national ID on the page");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    // The signed transcript, through the same link.
    let transcript = opened_without_an_account(&app, &format!("{record_path}/transcript")).await;
    assert_eq!(transcript.status, StatusCode::OK, "{}", html(&transcript));
    assert!(transcript.body["type"].to_string().contains("ClrCredential"), "{:#}", transcript.body);
    assert_eq!(transcript.headers[header::CACHE_CONTROL], "no-store");

    // One certificate, for a day: the page `/v/{number}` shows, with the link's notice.
    let one = share(&app, &token, &json!({ "certificate": number, "days": 1 })).await;
    assert_eq!(one["certificate"], number.as_str());
    let page = opened_without_an_account(&app, &path_of(&one)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", html(&page));
    let text = html(&page);
    assert!(text.contains(r#"data-verdict="valid""#) && text.contains("shared-notice"), "{text}");
    assert!(text.contains(&number), "{text}");
    // A certificate's link offers no transcript.
    let none = opened_without_an_account(&app, &format!("{}/transcript", path_of(&one))).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // Each opening is in the read log, named as the link's.
    let reads = app
        .request(Method::GET, &format!("/api/v1/officials/{official_id}/reads"), Some(&token), None)
        .await;
    let by_link: Vec<&Value> = reads
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|read| read["reader_kind"] == "share_link")
        .collect();
    assert_eq!(by_link.len(), 3, "page, transcript, certificate: {:#}", reads.body);
    assert_eq!(by_link[0]["key_label"], "Vụ Tổ chức cán bộ");
    assert_eq!(by_link[0]["reader"], format!("share:{}", record["id"].as_str().unwrap()));
    assert_eq!(by_link[0]["purpose"], "GET /s/{secret}");
    assert_eq!(by_link[2]["key_label"], Value::Null);

    // The list: both links, newest first, never the secret.
    let list = app.request(Method::GET, "/api/v1/me/shares", Some(&token), None).await;
    assert_eq!(list.status, StatusCode::OK);
    let ids: Vec<&Value> = list.body.as_array().unwrap().iter().map(|link| &link["id"]).collect();
    assert_eq!(ids, [&one["id"], &record["id"]]);
    let secret = record_path.strip_prefix("/s/").unwrap();
    assert!(!list.body.to_string().contains(secret) && list.body[0].get("url").is_none());

    // Revoked: gone at once, and the page says so; the other link still opens.
    let revoke = format!("/api/v1/me/shares/{}", record["id"].as_str().unwrap());
    let revoked = app.request(Method::DELETE, &revoke, Some(&token), None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    assert_eq!(revoked.body["state"], "revoked");
    let page = opened_without_an_account(&app, &record_path).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(html(&page).contains(r#"data-error="share-revoked""#), "{}", html(&page));
    let gone = opened_without_an_account(&app, &format!("{record_path}/transcript")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    app.request(Method::DELETE, &revoke, Some(&token), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "already-exists");
    assert_eq!(opened_without_an_account(&app, &path_of(&one)).await.status, StatusCode::OK);
    // Making and revoking are audited.
    let trail = app.store.audit_trail("share_link", record["id"].as_str().unwrap()).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(actions, ["share_link.created", "share_link.revoked"]);
    assert!(trail.iter().all(|event| event.actor == format!("official:{official_id}")));

    // A link nobody made, and one that is not even a link's shape: not found.
    let unknown = format!("/s/{}", "A".repeat(43));
    let page = opened_without_an_account(&app, &unknown).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(html(&page).contains(r#"data-error="unknown-share""#));
    assert_eq!(opened_without_an_account(&app, "/s/short").await.status, StatusCode::NOT_FOUND);
}

async fn an_expired_share_link_is_gone(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let official_id: OfficialId = serde_json::from_value(official["id"].clone()).unwrap();
    let secret = "b".repeat(43);
    let an_hour_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let actor = Actor::Official { official_id };
    let hash = hocba_api::auth::hash_token(&secret);
    app.store.create_share_link(&actor, official_id, None, None, &hash, an_hour_ago).await.unwrap();

    let page = opened_without_an_account(&app, &format!("/s/{secret}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(html(&page).contains(r#"data-error="share-expired""#), "{}", html(&page));
    let token = id_token("001085012345");
    let list = app.request(Method::GET, "/api/v1/me/shares", Some(&token), None).await;
    assert_eq!(list.body[0]["state"], "expired", "{:#}", list.body);
    let reads = app
        .request(Method::GET, &format!("/api/v1/officials/{official_id}/reads"), Some(&token), None)
        .await;
    assert_eq!(reads.body, json!([]), "a link that did not open read nothing");
}

async fn only_the_official_sees_and_revokes_their_links(app: TestApp) {
    app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let (own, other) = (id_token("001085012345"), id_token("001085054321"));
    let made = share(&app, &own, &json!({ "days": 30 })).await;
    let revoke = format!("/api/v1/me/shares/{}", made["id"].as_str().unwrap());

    let theirs = app.request(Method::GET, "/api/v1/me/shares", Some(&other), None).await;
    assert_eq!(theirs.body, json!([]));
    app.request(Method::DELETE, &revoke, Some(&other), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(opened_without_an_account(&app, &path_of(&made)).await.status, StatusCode::OK);
    // Share links are officials' own: the operator has none, and nobody without a token.
    let admin = app.post("/api/v1/me/shares", &json!({ "days": 1 })).await;
    admin.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let anonymous = app.request(Method::GET, "/api/v1/me/shares", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn a_bad_share_request_names_each_field_and_why(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let token = id_token("001085012345");
    let refused = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { app.post_as(&token, "/api/v1/me/shares", &body).await }
    };
    let answer = refused(json!({ "days": 0 })).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(answer.problem_fields(), ["days"]);
    let answer = refused(json!({ "days": 31, "label": " ", "certificate": "HB-1" })).await;
    assert_eq!(answer.problem_fields(), ["days", "label", "certificate"], "{:#}", answer.body);
    assert!(answer.body.to_string().contains("between 1 and 30"), "{:#}", answer.body);
    let answer = refused(json!({ "days": "a week" })).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
    assert_eq!(answer.problem_fields(), ["days"]);
    // Only one's own certificate.
    let bob = id_token("001085054321");
    let theirs = json!({ "certificate": number, "days": 3 });
    let answer = app.post_as(&bob, "/api/v1/me/shares", &theirs).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(answer.problem_fields(), ["certificate"]);
}

/// A browser session of the official `official_id`, as its cookie: what the identity
/// provider's sign-in ends with.
pub(crate) async fn signed_in_official(app: &TestApp, official_id: OfficialId) -> String {
    let secret = "session-of-the-official-for-the-share-tests";
    let principal = Principal::signed_in(official_id);
    app.store.start_web_session(&principal, &hocba_api::auth::hash_token(secret)).await.unwrap();
    format!("{COOKIE}={secret}")
}

async fn an_official_makes_and_revokes_links_on_their_page(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    let official_id: OfficialId = serde_json::from_value(s.official["id"].clone()).unwrap();
    let cookie = signed_in_official(&app, official_id).await;

    let page = get_with_cookie(&app, "/me/shares", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", html(&page));
    let text = html(&page);
    assert!(text.contains(&format!(r#"<option value="{number}""#)), "{text}");
    assert!(text.contains(r#"href="/me/shares" aria-current="page""#), "in the menu: {text}");
    let csrf = csrf_of(&page);
    let post = |form: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move { post_form_with_cookie(app, "/me/shares", &form, Some(&cookie)).await }
    };
    // A form from elsewhere, and a period too long, make nothing.
    let forged = post("csrf=forged&days=7".to_owned()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let too_long = post(format!("csrf={csrf}&days=40&certificate=&label=")).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&too_long).contains(r#"id="days-error""#), "{}", html(&too_long));
    // Said in Vietnamese as plainly as in English.
    let said =
        r#"Số ngày phải từ 1 đến 30. <span lang="en">The number of days must be between 1 and 30."#;
    assert!(html(&too_long).contains(said), "{}", html(&too_long));
    assert!(html(&too_long).contains(r#"role="alert" id="share-form-error""#), "announced");
    assert!(html(&too_long).contains(r#"value="40""#), "what was typed stays");

    // The link and its QR code, shown once.
    let made = post(format!("csrf={csrf}&days=3&certificate={number}&label=V%E1%BB%A5+TCCB")).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", html(&made));
    let text = html(&made);
    let before = r#"id="new-link" type="text" readonly value=""#;
    let start = text.find(before).unwrap() + before.len();
    let url = &text[start..text[start..].find('"').unwrap() + start];
    assert!(url.starts_with(&format!("{BASE_URL}/s/")), "{url}");
    assert!(text.contains(r#"<div class="qr" id="new-link-qr"><svg "#), "{text}");
    assert!(text.contains(r#"data-state="active""#) && text.contains("Vụ TCCB"), "{text}");
    let path = url.strip_prefix(BASE_URL).unwrap();
    let opened = opened_without_an_account(&app, path).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(html(&opened).contains(&number));

    // Revoked from the page: the link is gone at once.
    let list = app.store.share_links(official_id).await.unwrap();
    let revoke = format!("/me/shares/{}/revoke", list[0].id);
    let forged = post_form_with_cookie(&app, &revoke, "csrf=forged", Some(&cookie)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(opened_without_an_account(&app, path).await.status, StatusCode::OK);
    let revoked =
        post_form_with_cookie(&app, &revoke, &format!("csrf={csrf}"), Some(&cookie)).await;
    assert_eq!(location(&revoked), "/me/shares");
    assert_eq!(opened_without_an_account(&app, path).await.status, StatusCode::GONE);
    let page = get_with_cookie(&app, "/me/shares", &cookie).await;
    assert!(html(&page).contains(r#"data-state="revoked""#), "{}", html(&page));

    // Without a session, the page sends to the sign-in.
    let anonymous = app.get("/me/shares").await;
    assert!(location(&anonymous).starts_with("/sign-in"), "{:?}", anonymous.headers);
}

on_both_backends!(
    an_official_makes_and_revokes_links_on_their_page,
    a_share_link_opens_the_verification_page_without_an_account,
    an_expired_share_link_is_gone,
    only_the_official_sees_and_revokes_their_links,
    a_bad_share_request_names_each_field_and_why,
);
