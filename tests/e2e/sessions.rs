//! Browser sessions: HR departments and the operator sign in with their key, officials with
//! the identity provider (`web_sign_in.rs`); a page needing a session sends anyone without one
//! to the sign-in page; every form carries the session's CSRF token; revoking the key or
//! signing out ends the session.

use axum::body::Body;
use axum::http::header::HeaderName;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::agencies::agency_key;
use crate::helpers::{TestApp, TestResponse};

/// The session cookie's name: the test registry's base URL is https.
pub(crate) const COOKIE: &str = "__Host-hocba_session";

/// `GET uri` carrying the session `cookie` (`name=value`).
pub(crate) async fn get_with_cookie(app: &TestApp, uri: &str, cookie: &str) -> TestResponse {
    let request =
        Request::builder().uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    app.send(request).await
}

/// `POST`s the form `form` to `uri` carrying `cookie`, if any.
pub(crate) async fn post_form_with_cookie(
    app: &TestApp,
    uri: &str,
    form: &str,
    cookie: Option<&str>,
) -> TestResponse {
    let headers: Vec<_> = cookie.map(|value| (header::COOKIE, value)).into_iter().collect();
    app.post_form_with_headers(uri, form, &headers).await
}

/// Where a 303 sends the browser.
#[track_caller]
pub(crate) fn location(response: &TestResponse) -> &str {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", html(response));
    response.headers[header::LOCATION].to_str().unwrap()
}

pub(crate) fn html(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.raw).into_owned()
}

/// The session cookie a response sets, as `name=value` for the next request.
#[track_caller]
pub(crate) fn session_cookie(response: &TestResponse) -> String {
    let set = response.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// The CSRF token a page's forms carry.
#[track_caller]
pub(crate) fn csrf_of(page: &TestResponse) -> String {
    let html = html(page);
    let start = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[start..start + 64].to_owned()
}

/// Signs in with `key` (an HR key or operator token); returns the session cookie.
pub(crate) async fn sign_in_with_key(app: &TestApp, key: &str) -> String {
    let signed_in = post_form_with_cookie(app, "/sign-in/key", &format!("key={key}"), None).await;
    assert_eq!(location(&signed_in), "/me");
    session_cookie(&signed_in)
}

async fn a_page_needing_a_session_sends_anyone_without_one_to_sign_in(app: TestApp) {
    let me = app.get("/me?tab=downloads").await;
    assert_eq!(location(&me), "/sign-in?next=%2Fme%3Ftab%3Ddownloads");
    assert!(me.headers.get(header::SET_COOKIE).is_none());

    let forged = get_with_cookie(&app, "/me", &format!("{COOKIE}=not-a-session")).await;
    assert_eq!(location(&forged), "/sign-in?next=%2Fme");

    let sign_in = app.get("/sign-in?next=%2Fme%3Ftab%3Ddownloads").await;
    assert_eq!(sign_in.status, StatusCode::OK);
    let page = html(&sign_in);
    assert!(page.contains("Cán bộ, công chức: đăng nhập bằng định danh quốc gia"), "{page}");
    assert!(page.contains("HR departments and the operator: sign in with your key"), "{page}");
    assert!(page.contains(r#"name="next" value="/me?tab=downloads""#), "{page}");

    // Only a page of this site is returned to.
    let foreign = app.get("/sign-in?next=%2F%2Fevil.example%2F").await;
    assert!(html(&foreign).contains(r#"name="next" value="""#));
}

async fn an_hr_key_signs_in_and_its_session_ends_when_the_key_is_revoked(app: TestApp) {
    let (key_id, key) = agency_key(&app, "G01.H29").await;
    let form = format!("key={key}&next=%2Fme%3Fx%3D1");
    let signed_in = post_form_with_cookie(&app, "/sign-in/key", &form, None).await;
    assert_eq!(location(&signed_in), "/me?x=1");
    let set_cookie = signed_in.headers[header::SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(set_cookie.starts_with(&format!("{COOKIE}=")), "{set_cookie}");
    assert!(!set_cookie.contains(&key), "the key itself never goes in the cookie");
    let cookie = session_cookie(&signed_in);

    let me = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    // Named by its agency, with a sign-out button.
    assert!(html(&me).contains("Sở Nội vụ thành phố Hà Nội"), "{}", html(&me));
    assert!(html(&me).contains(r#"action="/sign-out""#));

    let revoked =
        app.post(&format!("/api/v1/agencies/G01.H29/keys/{key_id}/revoke"), &json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    let after = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(location(&after), "/sign-in?next=%2Fme");
    // And the revoked key cannot start a new one.
    let again = post_form_with_cookie(&app, "/sign-in/key", &format!("key={key}"), None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

async fn a_forged_or_missing_csrf_token_is_refused_and_sign_out_ends_the_session(app: TestApp) {
    let cookie = sign_in_with_key(&app, &app.admin_token).await;
    let me = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    let csrf = csrf_of(&me);

    for forged in ["", "csrf=", &format!("csrf={}", "0".repeat(64))] {
        let refused = post_form_with_cookie(&app, "/sign-out", forged, Some(&cookie)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{forged}");
        assert!(html(&refused).contains(r#"data-error="csrf""#));
    }
    // Another session's token is no better.
    let other = sign_in_with_key(&app, &app.admin_token).await;
    let other_csrf = csrf_of(&get_with_cookie(&app, "/me", &other).await);
    assert_ne!(other_csrf, csrf);
    let crossed =
        post_form_with_cookie(&app, "/sign-out", &format!("csrf={other_csrf}"), Some(&cookie))
            .await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
    assert_eq!(get_with_cookie(&app, "/me", &cookie).await.status, StatusCode::OK);

    let signed_out =
        post_form_with_cookie(&app, "/sign-out", &format!("csrf={csrf}"), Some(&cookie)).await;
    assert_eq!(location(&signed_out), "/sign-in");
    let cleared = signed_out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie, kept by whoever copied it, no longer works.
    assert_eq!(location(&get_with_cookie(&app, "/me", &cookie).await), "/sign-in?next=%2Fme");
    // The other session is not affected.
    assert_eq!(get_with_cookie(&app, "/me", &other).await.status, StatusCode::OK);
}

/// An error page names who is signed in, as every other page does: someone refused a form, or
/// following a link to nothing, is still shown signed in, with the sign-out button.
async fn an_error_page_names_who_is_signed_in(app: TestApp) {
    let cookie = sign_in_with_key(&app, &app.admin_token).await;
    let csrf = csrf_of(&get_with_cookie(&app, "/me", &cookie).await);
    let signs_out = format!(r#"name="csrf" value="{csrf}""#);

    let refused = post_form_with_cookie(&app, "/sign-out", "csrf=", Some(&cookie)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(html(&refused).contains(r#"data-error="csrf""#));
    assert!(html(&refused).contains(&signs_out), "{}", html(&refused));
    // A form refused is on no page of the menu; a share link that leads nowhere is a
    // verification that failed.
    assert!(!html(&refused).contains("aria-current"), "{}", html(&refused));

    let nothing = format!("/s/{}", "A".repeat(43));
    let unknown = get_with_cookie(&app, &nothing, &cookie).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(html(&unknown).contains(r#"data-error="unknown-share""#));
    assert!(html(&unknown).contains(&signs_out), "{}", html(&unknown));
    assert_eq!(unknown.headers[header::CACHE_CONTROL], "no-store");
    let verify_current = r#"href="/verify" aria-current="page""#;
    assert!(html(&unknown).contains(verify_current), "{}", html(&unknown));

    // Without a session, the same page offers to sign in instead.
    let anonymous = app.get(&nothing).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert!(!html(&anonymous).contains(r#"action="/sign-out""#), "{}", html(&anonymous));
}

async fn only_an_hr_key_or_operator_token_signs_in_with_a_key(app: TestApp) {
    for wrong in ["", "hocba_not-a-key", "a%20b"] {
        let refused =
            post_form_with_cookie(&app, "/sign-in/key", &format!("key={wrong}"), None).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{wrong}");
        assert!(refused.headers.get(header::SET_COOKIE).is_none());
        assert!(html(&refused).contains(r#"id="form-error""#));
    }
    let institution =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let token = app.institution_token(institution["id"].as_str().unwrap()).await;
    let refused = post_form_with_cookie(&app, "/sign-in/key", &format!("key={token}"), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    // A form posted from another site is refused before the key is looked at.
    let form = format!("key={}", app.admin_token);
    let cross_site = [(HeaderName::from_static("sec-fetch-site"), "cross-site")];
    let cross_site = app.post_form_with_headers("/sign-in/key", &form, &cross_site).await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert!(cross_site.headers.get(header::SET_COOKIE).is_none());

    // A foreign `next` is ignored.
    let form = format!("key={}&next=%2F%2Fevil.example%2F", app.admin_token);
    let signed_in = post_form_with_cookie(&app, "/sign-in/key", &form, None).await;
    assert_eq!(location(&signed_in), "/me");
}

on_both_backends!(
    an_error_page_names_who_is_signed_in,
    a_page_needing_a_session_sends_anyone_without_one_to_sign_in,
    an_hr_key_signs_in_and_its_session_ends_when_the_key_is_revoked,
    a_forged_or_missing_csrf_token_is_refused_and_sign_out_ends_the_session,
    only_an_hr_key_or_operator_token_signs_in_with_a_key,
);
