//! `/sign-in`, `/sign-in/key` and `/sign-out`: how people get a browser session and end it.
//!
//! Officials sign in at the national identity provider (see [`super::provider`]); HR
//! departments and the operator type the API key they already hold. The session refers to the
//! key by its id and never stores it, so revoking the key ends the session too.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use hocba_store::Role;
use serde::Deserialize;

use super::session::{self, SignedIn, local_path, see_other};
use super::{Layout, Nav, PageError, Url, page};
use crate::auth::hash_token;
use crate::{ApiError, AppState};

/// Why a key typed into the sign-in form was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyError {
    /// Nothing was typed.
    Empty,
    /// No live HR key or operator token is this one (an institution's token is not taken).
    NotRecognized,
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    /// The local page to return to (empty: the default).
    next: String,
    error: Option<KeyError>,
    /// Whether officials can sign in here: an identity provider is configured.
    provider: bool,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// Where a sign-in goes once done: the page asked for, if local, else the person's own page.
pub(super) fn landing(next: Option<&str>) -> String {
    next.and_then(local_path).map_or_else(|| Url::Me.to_string(), str::to_owned)
}

/// `GET /sign-in`: the two ways in; someone already signed in goes on to `next`.
pub(super) async fn get_page(
    State(app): State<AppState>,
    signed_in: Option<SignedIn>,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = query.ok().and_then(|Query(query)| query.next);
    if signed_in.is_some() {
        return see_other(&landing(next.as_deref()));
    }
    sign_in_page(&app, StatusCode::OK, next.as_deref(), None)
}

fn sign_in_page(
    app: &AppState,
    status: StatusCode,
    next: Option<&str>,
    error: Option<KeyError>,
) -> Response {
    let template = SignInPage {
        layout: Layout::for_visitor(Nav::SignIn, None),
        next: next.and_then(local_path).unwrap_or_default().to_owned(),
        error,
        provider: app.identity_provider.is_some() && app.web_sign_in.is_some(),
    };
    page(status, template)
}

/// What the key form posts.
#[derive(Debug, Deserialize)]
struct KeyForm {
    #[serde(default)]
    key: String,
    next: Option<String>,
}

/// Parses an `application/x-www-form-urlencoded` body.
pub(super) fn form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|_| PageError::BadForm(StatusCode::BAD_REQUEST))
}

/// `POST /sign-in/key`: an HR department's key or an operator token starts a session that
/// refers to it; anything else shows the form again (401).
pub(super) async fn post_key(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    // Signing someone in to the sender's account from another site is refused.
    if session::cross_site(&headers) {
        return Err(PageError::Csrf);
    }
    let KeyForm { key, next } = form(&body)?;
    let key = key.trim();
    if key.is_empty() {
        return Ok(sign_in_page(
            &app,
            StatusCode::UNAUTHORIZED,
            next.as_deref(),
            Some(KeyError::Empty),
        ));
    }
    let found = app.store.authenticate(&hash_token(key)).await.map_err(ApiError::from)?;
    let principal = found.map(|found| found.principal);
    let Some(principal) = principal.filter(|p| matches!(p.role(), Role::Admin | Role::Agency))
    else {
        let error = Some(KeyError::NotRecognized);
        return Ok(sign_in_page(&app, StatusCode::UNAUTHORIZED, next.as_deref(), error));
    };
    let cookie = session::start(&app, &principal).await?;
    Ok(signed_in_to(&landing(next.as_deref()), cookie))
}

/// 303 to `location`, setting the session cookie `cookie` (or clearing it).
pub(super) fn signed_in_to(location: &str, cookie: header::HeaderValue) -> Response {
    let mut response = see_other(location);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// What the sign-out button posts.
#[derive(Debug, Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: ends the session (the form's CSRF token must be the session's) and goes
/// back to the sign-in page.
pub(super) async fn post_sign_out(
    State(app): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let SignOutForm { csrf } = form(&body)?;
    signed_in.check_csrf(&csrf)?;
    let cleared = session::end(&app, &headers).await?;
    Ok(signed_in_to(&Url::SignIn(None).to_string(), cleared))
}
