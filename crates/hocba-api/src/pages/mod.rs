//! Pages for people: server-rendered HTML that works without JavaScript, loads nothing from
//! elsewhere, and speaks Vietnamese first with English beside it.
//!
//! They are kept out of the OpenAPI description: it describes the API for programs, and every
//! answer a page gives is also in the API (`POST /api/v1/verify`). One layout
//! (`templates/layout.html`, [`Layout`]) serves every page; a new area of pages adds a module
//! here, a [`Nav`] item and its templates.

mod chart;
mod consents;
mod me;
mod problems;
mod provider;
mod qr;
mod reports;
pub(crate) mod session;
mod shared;
mod sharing;
mod sign_in;
mod standing;
mod stated;
mod verify;

use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::error::InternalCause;
use crate::{ApiError, AppState};

/// Where the pages live; templates and handlers name them through this, never as literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Url {
    /// The verification form.
    Verify,
    /// The short link of a certificate, printed as its QR code.
    Certificate(String),
    /// The signed transcript a share link of a whole record offers (its secret inside).
    SharedTranscript(String),
    /// The stylesheet every page uses.
    Stylesheet,
    /// The API's interactive documentation.
    ApiDocs,
    /// The reports' dashboard, with its filters as a query (empty: the defaults).
    Reports(String),
    /// A report as a file (`csv` or `xlsx`), with the dashboard's query.
    ReportDownload(&'static str, String),
    /// The officials not meeting a requirement, with the list's query.
    ReportMissing(String),
    /// The sign-in page, and the local page to return to afterwards.
    SignIn(Option<String>),
    /// Where an official starts signing in at the identity provider, and the page to return to.
    SignInProvider(String),
    /// Where the sign-in form posts an HR department's or operator's key.
    SignInKey,
    /// Where the sign-out button posts.
    SignOut,
    /// The signed-in person's own page: an official's record; an HR department's or
    /// operator's account.
    Me,
    /// The signed-in official's share links.
    MeShares,
    /// Where the signed-in official stands against the training standards.
    MeStandards,
    /// Where a share link's revoke button posts.
    RevokeShare(String),
    /// The consents' section of the signed-in official's page.
    MeConsents,
    /// Where the form giving a consent posts.
    GrantConsent,
    /// Where a consent's withdraw button posts.
    WithdrawConsent(String),
}

impl Url {
    /// The dashboard with its default filters.
    pub fn reports() -> Url {
        Url::Reports(String::new())
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Url::Verify => f.write_str("/verify"),
            Url::Certificate(number) => write!(f, "/v/{number}"),
            Url::SharedTranscript(secret) => write!(f, "/s/{secret}/transcript"),
            Url::Stylesheet => f.write_str("/static/hocba.css"),
            Url::ApiDocs => f.write_str("/docs"),
            Url::Reports(query) if query.is_empty() => f.write_str("/reports"),
            Url::Reports(query) => write!(f, "/reports?{query}"),
            Url::ReportDownload(format, query) => write!(f, "/reports/download.{format}?{query}"),
            Url::ReportMissing(query) => write!(f, "/reports/missing?{query}"),
            Url::SignIn(None) => f.write_str("/sign-in"),
            Url::SignIn(Some(next)) => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                write!(f, "/sign-in?next={next}")
            }
            Url::SignInProvider(next) if next.is_empty() => f.write_str("/sign-in/provider"),
            Url::SignInProvider(next) => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                write!(f, "/sign-in/provider?next={next}")
            }
            Url::SignInKey => f.write_str("/sign-in/key"),
            Url::SignOut => f.write_str("/sign-out"),
            Url::Me => f.write_str("/me"),
            Url::MeShares => f.write_str("/me/shares"),
            Url::MeStandards => f.write_str("/me/standards"),
            Url::RevokeShare(id) => write!(f, "/me/shares/{id}/revoke"),
            Url::MeConsents => f.write_str("/me#consents"),
            Url::GrantConsent => f.write_str("/me/consents"),
            Url::WithdrawConsent(id) => write!(f, "/me/consents/{id}/withdraw"),
        }
    }
}

/// The menu's items: the layout marks the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// Verifying a certificate.
    Verify,
    /// The reports' dashboard.
    Reports,
    /// Signing in.
    SignIn,
    /// The signed-in person's own page.
    Me,
    /// The signed-in official's share links.
    Shares,
    /// Where the signed-in official stands against the training standards.
    Standards,
}

/// What the shared layout needs from every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The menu item of this page, if it is one of them.
    pub current: Option<Nav>,
    /// Who is signed in, if anyone (pages anyone may see take `Option<SignedIn>` to know).
    pub who: Option<session::Who>,
}

impl Layout {
    /// The layout of a page seen by `signed_in` (or by someone not signed in).
    pub fn for_visitor(current: Nav, signed_in: Option<&session::SignedIn>) -> Layout {
        match signed_in {
            Some(signed_in) => signed_in.layout(current),
            None => Layout { current: Some(current), who: None },
        }
    }

    /// Whether `item` is this page's menu item (`aria-current`).
    pub fn is_current(&self, item: Nav) -> bool {
        self.current == Some(item)
    }
}

/// The pages' routes (the router adds them beside the API's).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/hocba.css", get(stylesheet))
        .route("/verify", get(verify::get_form).post(verify::post_form))
        .route("/v/{number}", get(verify::get_link))
        .route("/reports", get(reports::get_dashboard))
        .route("/reports/download.csv", get(reports::get_download::<false>))
        .route("/reports/download.xlsx", get(reports::get_download::<true>))
        .route("/reports/missing", get(reports::get_missing))
        .route("/sign-in", get(sign_in::get_page))
        .route("/sign-in/provider", get(provider::start))
        .route("/sign-in/callback", get(provider::callback))
        .route("/sign-in/key", axum::routing::post(sign_in::post_key))
        .route("/sign-out", axum::routing::post(sign_in::post_sign_out))
        .route("/me", get(me::get_page))
        .route("/me/standards", get(standing::get_page))
        .route("/me/shares", get(sharing::get_page).post(sharing::post_share))
        .route("/me/shares/{id}/revoke", axum::routing::post(sharing::post_revoke))
        .route("/me/consents", axum::routing::post(consents::post_grant))
        .route("/me/consents/{id}/withdraw", axum::routing::post(consents::post_withdraw))
        .route("/s/{secret}", get(shared::get_shared))
        .route("/s/{secret}/transcript", get(shared::get_shared_transcript))
        .route("/me/record.pdf", get(me::get_record_pdf))
        .route("/me/record.json", get(me::get_record_credential))
}

/// A rendered page with `status`, as every page answers: not cached (an answer about a
/// certificate changes when it is revoked, and may say whether an ID number matched), and
/// allowed to load nothing but this registry's stylesheet.
pub(crate) fn page(status: StatusCode, template: impl IntoResponse) -> Response {
    let mut response = (status, template).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(headers);
    response
}

/// No script, frame, plugin or foreign resource: the pages need none, so an injected one
/// cannot run.
fn security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// The stylesheet, compiled into the binary so that a deployment has nothing else to serve.
const STYLESHEET: &str = include_str!("../../static/hocba.css");

/// Its ETag: the stylesheet changes only with the binary.
static STYLESHEET_ETAG: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let hex: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
});

/// `GET /static/hocba.css`: cached for a day, then revalidated by its ETag.
async fn stylesheet(headers: HeaderMap) -> Response {
    let etag = STYLESHEET_ETAG.as_str();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Why a page could not show what was asked: a page of its own with the fitting status, as
/// the API answers with a problem document.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The link's certificate number is malformed (its check character, its shape).
    BadNumber,
    /// No certificate has this number.
    UnknownNumber,
    /// The form did not arrive as a form (a broken or oversized upload).
    BadForm(StatusCode),
    /// A page for the operator and HR departments, asked for by someone else (an official).
    NotForReaders,
    /// A form posted without this session's CSRF token: perhaps by another site.
    Csrf,
    /// No share link has this secret.
    UnknownShare,
    /// The share link's period is over.
    ShareExpired,
    /// The official revoked the share link.
    ShareRevoked,
    /// A sign-in at the identity provider did not succeed.
    SignIn(SignInFailure),
    /// Too many forms from this address: retry after this many seconds.
    RateLimited(u64),
    /// Anything else the API would refuse or fail with.
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        match (error.problem().status, error) {
            (404, _) => PageError::UnknownNumber,
            (_, ApiError::RateLimited { retry_after_seconds }) => {
                PageError::RateLimited(retry_after_seconds)
            }
            (_, error) => PageError::Api(error),
        }
    }
}

/// Why a sign-in at the identity provider did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignInFailure {
    /// The person cancelled at the provider, or it refused them.
    Cancelled,
    /// The answer is not for a sign-in this browser began (another browser's, or forged).
    Mismatch,
    /// The sign-in took too long, or its answer was already used.
    Expired,
    /// The provider refused the code, or its ID token did not hold.
    Refused,
    /// The provider could not be reached.
    Unreachable,
    /// The person signed in is not an official of the registry.
    NotRegistered,
}

impl SignInFailure {
    fn status(self) -> StatusCode {
        match self {
            SignInFailure::Cancelled | SignInFailure::Mismatch | SignInFailure::Expired => {
                StatusCode::BAD_REQUEST
            }
            SignInFailure::Refused => StatusCode::UNAUTHORIZED,
            SignInFailure::Unreachable => StatusCode::BAD_GATEWAY,
            SignInFailure::NotRegistered => StatusCode::FORBIDDEN,
        }
    }
}

/// What the error page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    BadNumber,
    UnknownNumber,
    BadForm,
    TooLarge,
    UnknownShare,
    ShareExpired,
    ShareRevoked,
    RateLimited,
    Failed,
    Refused,
    NotForReaders,
    Csrf,
    SignIn(SignInFailure),
}

impl ErrorKind {
    /// The menu item of the page that refused: verifying a certificate (a share link opens
    /// one), or signing in. A form or a request refused elsewhere marks no item, rather than
    /// telling a screen reader that the person is on a page they are not.
    fn menu_item(self) -> Option<Nav> {
        match self {
            ErrorKind::BadNumber
            | ErrorKind::UnknownNumber
            | ErrorKind::UnknownShare
            | ErrorKind::ShareExpired
            | ErrorKind::ShareRevoked => Some(Nav::Verify),
            ErrorKind::SignIn(_) => Some(Nav::SignIn),
            ErrorKind::BadForm
            | ErrorKind::TooLarge
            | ErrorKind::RateLimited
            | ErrorKind::Failed
            | ErrorKind::Refused
            | ErrorKind::NotForReaders
            | ErrorKind::Csrf => None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    kind: ErrorKind,
    status: u16,
}

/// An error page as made from the error alone, signed out: [`name_who_is_signed_in`] names
/// who is signed in on it.
#[derive(Debug, Clone, Copy)]
struct ErrorPageShown {
    kind: ErrorKind,
    status: StatusCode,
}

impl ErrorPageShown {
    fn page(self, who: Option<session::Who>) -> ErrorPage {
        ErrorPage {
            layout: Layout { current: self.kind.menu_item(), who },
            kind: self.kind,
            status: self.status.as_u16(),
        }
    }
}

/// Names who is signed in on an error page, as every other page does: a [`PageError`] becomes
/// its page without the request, so the page it made says nobody is. Only error pages look
/// the session up again, and they spend no request budget doing so.
pub(crate) async fn name_who_is_signed_in(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut cookies = HeaderMap::new();
    for cookie in request.headers().get_all(header::COOKIE) {
        cookies.append(header::COOKIE, cookie.clone());
    }
    let response = next.run(request).await;
    let Some(shown) = response.extensions().get::<ErrorPageShown>().copied() else {
        return response;
    };
    let Some(signed_in) = session::visitor(&cookies, &state).await else { return response };
    let Ok(html) = shown.page(Some(signed_in.who())).render() else { return response };
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, axum::body::Body::from(html))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            PageError::BadNumber => (StatusCode::BAD_REQUEST, ErrorKind::BadNumber),
            PageError::UnknownNumber => (StatusCode::NOT_FOUND, ErrorKind::UnknownNumber),
            PageError::BadForm(status) if *status == StatusCode::PAYLOAD_TOO_LARGE => {
                (*status, ErrorKind::TooLarge)
            }
            PageError::BadForm(status) => (*status, ErrorKind::BadForm),
            PageError::NotForReaders => (StatusCode::FORBIDDEN, ErrorKind::NotForReaders),
            PageError::Csrf => (StatusCode::FORBIDDEN, ErrorKind::Csrf),
            PageError::UnknownShare => (StatusCode::NOT_FOUND, ErrorKind::UnknownShare),
            PageError::ShareExpired => (StatusCode::GONE, ErrorKind::ShareExpired),
            PageError::ShareRevoked => (StatusCode::GONE, ErrorKind::ShareRevoked),
            PageError::SignIn(failure) => (failure.status(), ErrorKind::SignIn(*failure)),
            PageError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorKind::RateLimited),
            PageError::Api(error) => {
                let status = StatusCode::from_u16(error.problem().status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let kind =
                    if status.is_server_error() { ErrorKind::Failed } else { ErrorKind::Refused };
                (status, kind)
            }
        };
        let shown = ErrorPageShown { kind, status };
        let mut response = page(status, shown.page(None));
        response.extensions_mut().insert(shown);
        // A person's browser shows the page; a script that fetched it can still wait and retry.
        let retry_after = match &self {
            PageError::RateLimited(seconds) => Some(*seconds),
            PageError::Api(error) => error.retry_after(),
            _ => None,
        };
        crate::error::set_retry_after(&mut response, retry_after);
        // Logged once by the request's span, as the API's failures are.
        if let PageError::Api(error) = self
            && status.is_server_error()
        {
            response.extensions_mut().insert(InternalCause(std::sync::Arc::new(error.to_string())));
        }
        response
    }
}
