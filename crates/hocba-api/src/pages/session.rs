//! Browser sessions: the cookie, the [`SignedIn`] extractor every signed-in page takes, and the
//! CSRF token of every form such a page posts.
//!
//! The cookie holds 32 random bytes; the store keeps only their SHA-256 (as it does API tokens)
//! and the holder: an official, or the API token (HR key, operator token) typed into the
//! sign-in form, checked again at every request. The cookie is `HttpOnly`, `SameSite=Lax`,
//! `Path=/`, and `Secure` with the `__Host-` prefix when the registry's base URL is https.
//!
//! A form's CSRF token is derived from the session's secret (SHA-256 of a label and the
//! secret), so it needs no storage, changes with every session, and cannot be computed from
//! what the database holds.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_store::{Principal, Role, SESSION_LIFETIME, SessionHolder};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Layout, Nav, PageError, Url};
use crate::auth::{hash_token, sha256_hex};
use crate::{ApiError, AppState};

/// The cookie's name over plain HTTP (development).
const COOKIE: &str = "hocba_session";
/// Its name behind TLS: the `__Host-` prefix makes browsers insist on `Secure`, `Path=/` and no
/// `Domain`, so no sibling host can set or shadow it.
const SECURE_COOKIE: &str = "__Host-hocba_session";
/// The cookie binding a sign-in at the identity provider to the browser that began it, over
/// plain HTTP and behind TLS.
const SIGN_IN_COOKIE: &str = "hocba_sign_in";
const SECURE_SIGN_IN_COOKIE: &str = "__Host-hocba_sign_in";
/// What a form's CSRF token is derived with.
const CSRF_LABEL: &[u8] = b"hocba web form\0";

/// A request from a browser with a live session.
///
/// A request without one is sent (303) to `/sign-in?next=<this page>`, or for a form posted
/// with none, to `/sign-in`.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// Who it is: the same principal the API's bearer tokens give, with the same rights.
    pub principal: Principal,
    /// The token every form this person posts must carry, as a hidden field named `csrf`.
    pub csrf: String,
    /// The name the pages show them by: an official's name, an HR key's agency, an operator
    /// token's label.
    pub name: String,
}

impl SignedIn {
    /// Whether `submitted` is this session's CSRF token; a forged or missing one is refused
    /// with a 403 page.
    pub(crate) fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        // Comparing digests: the time taken tells nothing about the expected token.
        if Sha256::digest(submitted.as_bytes()) == Sha256::digest(self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// The shared layout, naming who is signed in, with `current` as the menu item.
    pub(crate) fn layout(&self, current: Nav) -> Layout {
        Layout { current: Some(current), who: Some(self.who()) }
    }

    /// Who the layout names, with their sign-out form.
    pub(crate) fn who(&self) -> Who {
        Who {
            name: self.name.clone(),
            csrf: self.csrf.clone(),
            official: self.principal.role() == Role::Official,
        }
    }
}

/// Who the layout says is signed in, with what the sign-out button posts.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    /// Their name.
    pub name: String,
    /// The CSRF token of the sign-out form.
    pub csrf: String,
    /// Whether an official (whose record `/me` is) rather than an HR department or operator.
    pub official: bool,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match signed_in(parts, state).await {
            Ok(Some(signed_in)) => Ok(signed_in),
            Ok(None) => Err(to_sign_in(parts)),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// Pages anyone may see take `Option<SignedIn>`, to name who is signed in.
impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Response> {
        signed_in(parts, state).await.map_err(IntoResponse::into_response)
    }
}

async fn signed_in(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, PageError> {
    let Some(signed_in) = session(&parts.headers, state).await? else { return Ok(None) };
    // A session spends the same request budget as the key or sign-in behind it.
    if matches!(signed_in.principal.role(), Role::Agency | Role::Official) {
        state.limiter.check(signed_in.principal.token_id)?;
    }
    Ok(Some(signed_in))
}

/// Who is signed in with the session cookie among `headers`, for a page made without its
/// request (an error page): none when the store cannot say, and no request budget spent.
pub(super) async fn visitor(headers: &HeaderMap, state: &AppState) -> Option<SignedIn> {
    session(headers, state).await.ok().flatten()
}

/// The live session whose cookie is among `headers`, and who holds it.
async fn session(headers: &HeaderMap, state: &AppState) -> Result<Option<SignedIn>, PageError> {
    let Some(secret) = cookie_secret(headers, state) else { return Ok(None) };
    let holder = state.store.web_session(&hash_token(secret)).await.map_err(ApiError::from)?;
    let Some(SessionHolder { principal, name }) = holder else { return Ok(None) };
    Ok(Some(SignedIn { principal, csrf: csrf_token(secret), name }))
}

/// The form token of the session whose secret is `secret`.
fn csrf_token(secret: &str) -> String {
    let mut input = CSRF_LABEL.to_vec();
    input.extend_from_slice(secret.as_bytes());
    sha256_hex(&input)
}

/// 303 to the sign-in page, asking it to come back here (for a page; a form posted without a
/// session cannot be replayed, so it comes back to the sign-in's default page).
fn to_sign_in(parts: &Parts) -> Response {
    let next = (parts.method == Method::GET)
        .then(|| parts.uri.path_and_query().map(|path| path.as_str().to_owned()))
        .flatten()
        .filter(|path| local_path(path).is_some());
    see_other(&Url::SignIn(next).to_string())
}

/// A 303 to `location` (a local path), not cached.
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `path` if it is a path on this site (`/…`), never another site's address (`//host`,
/// `/\host`, `https://…`) nor anything with control characters.
pub(crate) fn local_path(path: &str) -> Option<&str> {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= 2048;
    local.then_some(path)
}

/// Whether the registry is served over TLS (its configured base URL is https).
fn secure(state: &AppState) -> bool {
    state.authority.registry.base_url.starts_with("https://")
}

/// Which cookie: the session's or the sign-in's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cookie {
    Session,
    SignIn,
}

fn cookie_name(state: &AppState, cookie: Cookie) -> &'static str {
    match (cookie, secure(state)) {
        (Cookie::Session, true) => SECURE_COOKIE,
        (Cookie::Session, false) => COOKIE,
        (Cookie::SignIn, true) => SECURE_SIGN_IN_COOKIE,
        (Cookie::SignIn, false) => SIGN_IN_COOKIE,
    }
}

/// The session secret the request's cookie carries.
fn cookie_secret<'a>(headers: &'a HeaderMap, state: &AppState) -> Option<&'a str> {
    cookie_value(headers, cookie_name(state, Cookie::Session))
}

/// The `state` of the sign-in at the identity provider this browser began, if any.
pub(crate) fn sign_in_state<'a>(headers: &'a HeaderMap, state: &AppState) -> Option<&'a str> {
    cookie_value(headers, cookie_name(state, Cookie::SignIn))
}

/// The value of the cookie `name`.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Starts a session for `principal`; returns the `Set-Cookie` header value that hands it to
/// the browser.
pub(crate) async fn start(
    state: &AppState,
    principal: &Principal,
) -> Result<HeaderValue, PageError> {
    let secret = random_secret();
    state.store.start_web_session(principal, &hash_token(&secret)).await.map_err(ApiError::from)?;
    let max_age = SESSION_LIFETIME.whole_seconds();
    cookie_header(state, Cookie::Session, &format!("{secret}; Max-Age={max_age}"))
}

/// 32 random bytes, base64url: a session's secret, a sign-in's state, nonce or PKCE verifier.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Ends the request's session, if any; returns the `Set-Cookie` header value that clears it.
pub(crate) async fn end(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, PageError> {
    if let Some(secret) = cookie_secret(headers, state) {
        state.store.end_web_session(&hash_token(secret)).await.map_err(ApiError::from)?;
    }
    cookie_header(state, Cookie::Session, "; Max-Age=0")
}

/// `Set-Cookie` binding the sign-in with `sign_in_state` to this browser for `max_age`
/// seconds (0 clears it).
pub(crate) fn sign_in_cookie(
    state: &AppState,
    sign_in_state: &str,
    max_age: i64,
) -> Result<HeaderValue, PageError> {
    cookie_header(state, Cookie::SignIn, &format!("{sign_in_state}; Max-Age={max_age}"))
}

/// `Set-Cookie` for `cookie`, with `value_and_age` after the `=`.
fn cookie_header(
    state: &AppState,
    cookie: Cookie,
    value_and_age: &str,
) -> Result<HeaderValue, PageError> {
    let secure = if secure(state) { "; Secure" } else { "" };
    let name = cookie_name(state, cookie);
    let cookie = format!("{name}={value_and_age}; Path=/; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&cookie).map_err(|error| PageError::Api(ApiError::internal(error)))
}

/// Whether a form post came from another site (`Sec-Fetch-Site: cross-site`, as browsers
/// send): refused for the forms that work without a session (signing in), which have no CSRF
/// token to check yet.
pub(crate) fn cross_site(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-site").is_some_and(|value| value.as_bytes() == b"cross-site")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/me"), Some("/me"));
        assert_eq!(local_path("/me?x=1"), Some("/me?x=1"));
        for foreign in
            ["//evil.example/", "/\\evil.example", "https://evil.example/", "me", "", "/a\nb"]
        {
            assert_eq!(local_path(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn each_session_has_its_own_csrf_token() {
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_ne!(csrf_token("a"), hash_token("a"));
        assert_eq!(csrf_token("a").len(), 64);
    }
}
