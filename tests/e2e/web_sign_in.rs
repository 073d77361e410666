//! Officials sign in to the pages at the identity provider: OpenID Connect's code flow with
//! PKCE, against the development provider `serve --demo` runs, the registry exchanging each code
//! over real HTTP as it would with the national one.

use axum::http::{Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::agencies::agency_key;
use crate::completions::{completion, setting};
use crate::helpers::{TestApp, TestResponse, official_body};
use crate::sessions::{get_with_cookie, html, location, post_form_with_cookie, session_cookie};

const AN: (&str, &str) = ("Nguyễn Văn An", "001085012345");
const BINH: (&str, &str) = ("Trần Văn Bình", "001085054321");
/// Offered by the provider, but no official of the registry.
const STRANGER: (&str, &str) = ("Lê Thị Cúc", "001185099999");

/// Whom the development provider offers: An, Bình, and a stranger to the registry.
const PEOPLE: [(&str, &str); 3] = [AN, BINH, STRANGER];

/// A sign-in, up to the provider's answer: the callback URL (local path) and the cookie binding
/// it to the browser that began it.
struct Answer {
    callback: String,
    browser: String,
}

impl Answer {
    /// The code and state the provider sent back.
    fn code_and_state(&self) -> (String, String) {
        let query = self.callback.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let find = |name: &str| pairs.iter().find(|(key, _)| key == name).unwrap().1.clone();
        (find("code"), find("state"))
    }
}

/// Begins a sign-in at the registry and picks `national_id` at the development provider.
async fn at_provider(app: &TestApp, base: &str, national_id: &str) -> Answer {
    let started = app.get("/sign-in/provider?next=%2Fme").await;
    let authorize = location(&started).to_owned();
    let browser = session_cookie(&started);
    assert!(browser.starts_with("hocba_sign_in="), "{browser}");
    let path = authorize.strip_prefix(base).expect("the provider's authorization endpoint");
    assert!(path.starts_with("/dev-idp/authorize?"), "{path}");
    for expected in ["response_type=code", "scope=openid", "code_challenge_method=S256", "nonce="] {
        assert!(path.contains(expected), "{path}");
    }
    let page = app.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(html(&page).contains("Development only"));
    // The form the page shows carries the request; the person picks whom to sign in as.
    let query = path.split_once('?').unwrap().1;
    let form = format!("{query}&national_id={national_id}");
    let picked = post_form_with_cookie(app, "/dev-idp/authorize", &form, None).await;
    let callback = location(&picked).strip_prefix(base).unwrap().to_owned();
    assert!(callback.starts_with("/sign-in/callback?code="), "{callback}");
    Answer { callback, browser }
}

/// Signs in as `national_id` all the way: returns the session cookie.
pub(crate) async fn sign_in_as(app: &TestApp, base: &str, national_id: &str) -> String {
    let answer = at_provider(app, base, national_id).await;
    let signed_in = get_with_cookie(app, &answer.callback, &answer.browser).await;
    assert_eq!(location(&signed_in), "/me");
    let cookies: Vec<_> = signed_in.headers.get_all(header::SET_COOKIE).iter().collect();
    assert!(cookies.iter().any(|c| c.to_str().unwrap().starts_with("hocba_sign_in=; Max-Age=0")));
    session_cookie(&signed_in)
}

#[track_caller]
fn refused_sign_in(response: &TestResponse, status: StatusCode, failure: &str) {
    assert_eq!(response.status, status, "{}", html(response));
    assert!(html(response).contains(&format!(r#"data-failure="{failure}""#)), "{}", html(response));
    assert!(
        response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|cookie| { !cookie.to_str().unwrap().starts_with("hocba_session=") })
    );
}

async fn an_officials_cookie_reads_nothing_of_another_official(app: TestApp, base: String) {
    let an = app.register_official(&official_body(AN.1, AN.0)).await;
    let binh = app.register_official(&official_body(BINH.1, BINH.0)).await;
    let cookie = sign_in_as(&app, &base, AN.1).await;
    assert!(cookie.starts_with("hocba_session="), "plain HTTP: no __Host- prefix");

    let me = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(html(&me).contains(AN.0));
    assert!(!html(&me).contains(BINH.0));

    // The cookie is no bearer token: the API answers to neither record with it.
    for id in [&an["id"], &binh["id"]] {
        let uri = format!("/api/v1/officials/{}/record", id.as_str().unwrap());
        let api = get_with_cookie(&app, &uri, &cookie).await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    }

    // Bình signs in too: two sessions, each its own person.
    let other = sign_in_as(&app, &base, BINH.1).await;
    assert_ne!(cookie, other);
    let theirs = get_with_cookie(&app, "/me", &other).await;
    assert!(html(&theirs).contains(BINH.0) && !html(&theirs).contains(AN.0));
}

async fn a_callback_is_used_once_and_only_by_the_browser_that_began_it(app: TestApp, base: String) {
    app.register_official(&official_body(AN.1, AN.0)).await;
    let answer = at_provider(&app, &base, AN.1).await;
    let other_browser = at_provider(&app, &base, AN.1).await;

    // Opened in another browser (its own sign-in cookie, or none): refused.
    let elsewhere = get_with_cookie(&app, &answer.callback, &other_browser.browser).await;
    refused_sign_in(&elsewhere, StatusCode::BAD_REQUEST, "mismatch");
    let no_cookie = app.get(&answer.callback).await;
    refused_sign_in(&no_cookie, StatusCode::BAD_REQUEST, "mismatch");
    // A state made up to match a made-up cookie: no sign-in began with it.
    let (code, _) = answer.code_and_state();
    let forged = get_with_cookie(
        &app,
        &format!("/sign-in/callback?code={code}&state=forged"),
        "hocba_sign_in=forged",
    )
    .await;
    refused_sign_in(&forged, StatusCode::BAD_REQUEST, "expired");

    // The right browser signs in, once; the same answer again is refused.
    let signed_in = get_with_cookie(&app, &answer.callback, &answer.browser).await;
    assert_eq!(location(&signed_in), "/me");
    let replayed = get_with_cookie(&app, &answer.callback, &answer.browser).await;
    refused_sign_in(&replayed, StatusCode::BAD_REQUEST, "expired");

    // The provider's refusal is shown as such.
    let cancelled =
        get_with_cookie(&app, "/sign-in/callback?error=access_denied&state=x", &answer.browser)
            .await;
    refused_sign_in(&cancelled, StatusCode::BAD_REQUEST, "cancelled");
}

/// The S256 challenge of `verifier`.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A code from the development provider for `national_id`, asked with the PKCE `verifier`.
async fn code_for(app: &TestApp, base: &str, national_id: &str, verifier: &str) -> String {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", "hocba-demo")
        .append_pair("redirect_uri", &format!("{base}/sign-in/callback"))
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair("code_challenge", &challenge(verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("national_id", national_id)
        .finish();
    let picked = post_form_with_cookie(app, "/dev-idp/authorize", &form, None).await;
    let query = location(&picked).split_once('?').unwrap().1.to_owned();
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "code").unwrap().1.into_owned()
}

/// Exchanges `code` at the provider's token endpoint, over HTTP as the registry does.
fn exchange(base: &str, code: &str, verifier: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &format!("{base}/sign-in/callback")),
        ("client_id", "hocba-demo"),
        ("code_verifier", verifier),
    ];
    let mut response = ureq::post(&format!("{base}/dev-idp/token"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_form(form)
        .unwrap();
    let body = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    (response.status().as_u16(), body)
}

async fn a_code_replayed_or_with_the_wrong_pkce_verifier_is_refused(app: TestApp, base: String) {
    app.register_official(&official_body(AN.1, AN.0)).await;
    let verifier = "v".repeat(43);
    let code = code_for(&app, &base, AN.1, &verifier).await;
    let exchanged = tokio::task::spawn_blocking({
        let (base, code, verifier) = (base.clone(), code.clone(), verifier.clone());
        move || (exchange(&base, &code, &verifier), exchange(&base, &code, &verifier))
    })
    .await
    .unwrap();
    assert_eq!(exchanged.0.0, 200, "{:#}", exchanged.0.1);
    assert!(exchanged.0.1["id_token"].is_string());
    assert_eq!(exchanged.1, (400, serde_json::json!({ "error": "invalid_grant" })), "replayed");

    let code = code_for(&app, &base, AN.1, &verifier).await;
    let wrong = tokio::task::spawn_blocking({
        let (base, verifier) = (base.clone(), verifier.clone());
        move || (exchange(&base, &code, &"w".repeat(43)), exchange(&base, &code, &verifier))
    })
    .await
    .unwrap();
    assert_eq!(wrong.0.0, 400, "wrong verifier");
    assert_eq!(wrong.1.0, 400, "a code is spent by its first presentation");

    // A code someone else exchanged first (with whatever verifier) signs nobody in here.
    let answer = at_provider(&app, &base, AN.1).await;
    let (code, _) = answer.code_and_state();
    let stolen = tokio::task::spawn_blocking({
        let base = base.clone();
        move || exchange(&base, &code, &"x".repeat(43))
    })
    .await
    .unwrap();
    assert_eq!(stolen.0, 400);
    let too_late = get_with_cookie(&app, &answer.callback, &answer.browser).await;
    refused_sign_in(&too_late, StatusCode::UNAUTHORIZED, "refused");
}

async fn an_official_sees_their_record_downloads_it_and_sees_who_read_it(
    app: TestApp,
    base: String,
) {
    let s = setting(&app).await; // An, and a class they finished
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    let an_id = posted.body["completion"]["official_id"].as_str().unwrap().to_owned();
    app.register_official(&official_body(BINH.1, BINH.0)).await;
    // Their agency's HR department reads An's record with its key.
    let (_, key) = agency_key(&app, "G01.H29").await;
    let read = app
        .request(Method::GET, &format!("/api/v1/officials/{an_id}/record"), Some(&key), None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{:#}", read.body);

    let cookie = sign_in_as(&app, &base, AN.1).await;
    let me = get_with_cookie(&app, "/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    let page = html(&me);
    for expected in [
        number.as_str(),
        r#"data-status="live""#,
        "Còn hiệu lực",
        r#"id="days-total">40<"#,
        "/me/record.pdf",
        "/me/record.json",
        &format!("/api/v1/certificates/{number}/credential"),
        &format!("/api/v1/certificates/{number}/jws"),
        &format!("/api/v1/certificates/{number}/pdf"),
        r#"href="/me/shares""#,
        "HR department — Sở Nội vụ thành phố Hà Nội",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }

    let pdf = get_with_cookie(&app, "/me/record.pdf", &cookie).await;
    assert_eq!((pdf.status, pdf.content_type.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.raw.starts_with(b"%PDF"));
    let transcript = get_with_cookie(&app, "/me/record.json", &cookie).await;
    assert_eq!(transcript.status, StatusCode::OK);
    assert!(transcript.body["type"].as_array().unwrap().contains(&json!("ClrCredential")));
    let credential = app.get(&format!("/api/v1/certificates/{number}/credential")).await;
    assert_eq!(credential.status, StatusCode::OK);

    // Bình's session shows Bình's record: nothing of An's.
    let other = sign_in_as(&app, &base, BINH.1).await;
    let theirs = html(&get_with_cookie(&app, "/me", &other).await);
    assert!(!theirs.contains(&number) && !theirs.contains(AN.0), "{theirs}");
    assert!(theirs.contains(r#"id="no-courses""#));
    let their_transcript = get_with_cookie(&app, "/me/record.json", &other).await;
    assert_eq!(their_transcript.status, StatusCode::CONFLICT, "no certificate to embed");
    // An HR session has no record of its own here.
    let hr = crate::sessions::sign_in_with_key(&app, &key).await;
    assert_eq!(get_with_cookie(&app, "/me/record.pdf", &hr).await.status, StatusCode::FORBIDDEN);
    // Signed out, the pages are closed.
    assert_eq!(location(&app.get("/me/record.pdf").await), "/sign-in?next=%2Fme%2Frecord.pdf");
}

async fn someone_the_registry_does_not_know_gets_a_clear_page(app: TestApp, base: String) {
    let answer = at_provider(&app, &base, STRANGER.1).await;
    let refused = get_with_cookie(&app, &answer.callback, &answer.browser).await;
    refused_sign_in(&refused, StatusCode::FORBIDDEN, "not-registered");
    assert!(html(&refused).contains("HR department"));
}

with_dev_idp!(
    an_officials_cookie_reads_nothing_of_another_official,
    an_official_sees_their_record_downloads_it_and_sees_who_read_it,
    a_callback_is_used_once_and_only_by_the_browser_that_began_it,
    a_code_replayed_or_with_the_wrong_pkce_verifier_is_refused,
    someone_the_registry_does_not_know_gets_a_clear_page,
);

/// Without `--demo` there is no development provider, and without a provider's endpoints no
/// sign-in to begin.
#[tokio::test]
async fn the_development_provider_is_absent_without_demo() {
    let app = TestApp::sqlite().await;
    for path in [
        "/dev-idp/.well-known/openid-configuration",
        "/dev-idp/jwks",
        "/dev-idp/authorize?response_type=code",
        "/sign-in/provider",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let token =
        post_form_with_cookie(&app, "/dev-idp/token", "grant_type=authorization_code", None).await;
    assert_eq!(token.status, StatusCode::NOT_FOUND);
    assert!(html(&app.get("/sign-in").await).contains(r#"id="no-provider""#));
}
