//! `/me/shares`: the signed-in official makes a share link of their whole record or of one
//! certificate, for 1 to 30 days, sees it (and its QR code) once, lists their links and
//! revokes any at once. Every form carries the session's CSRF token; the API does the same
//! through `/api/v1/me/shares`.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hocba_domain::OfficialId;
use hocba_store::{ShareState, StoreError};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::problems::FieldProblem;
use super::session::{SignedIn, see_other};
use super::sign_in::form;
use super::stated::vietnamese_time;
use super::{Nav, PageError, Url, page, qr};
use crate::shares::{MAX_DAYS, ShareBody, make};
use crate::{ApiError, AppState};

/// How many days a new link lasts unless the official chooses otherwise.
const DEFAULT_DAYS: &str = "7";

/// One of the official's links, as listed.
#[derive(Debug)]
struct LinkRow {
    id: String,
    /// The certificate it shares; `None`: the whole record.
    certificate: Option<String>,
    label: Option<String>,
    expires: String,
    state: &'static str,
    active: bool,
}

/// A link just made: its address and QR code, shown this once.
#[derive(Debug)]
struct Created {
    url: String,
    qr: Option<String>,
}

/// What was typed into the form, to show it again beside an error.
#[derive(Debug)]
struct Entered {
    certificate: String,
    days: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "me_shares.html")]
struct SharesPage {
    layout: super::Layout,
    csrf: String,
    links: Vec<LinkRow>,
    /// The numbers of the official's certificates that stand, to choose one from.
    certificates: Vec<String>,
    entered: Entered,
    problems: Vec<FieldProblem>,
    created: Option<Created>,
    max_days: i64,
}

impl SharesPage {
    /// Why `field` was refused, if it was.
    fn problem(&self, field: &str) -> Option<&FieldProblem> {
        super::problems::problem(&self.problems, field)
    }
}

/// The official signed in; HR departments and operators have no share links.
fn official(signed_in: &SignedIn) -> Result<OfficialId, PageError> {
    signed_in.principal.official_id().ok_or(PageError::Api(ApiError::Forbidden))
}

/// The page for `signed_in`, with what the form says now.
async fn render(
    app: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    entered: Entered,
    problems: Vec<FieldProblem>,
    created: Option<Created>,
) -> Result<Response, PageError> {
    let official = official(signed_in)?;
    let now = OffsetDateTime::now_utc();
    let links = app
        .store
        .share_links(official)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|link| {
            let state = link.state(now);
            LinkRow {
                id: link.id.to_string(),
                certificate: link.certificate.map(|number| number.to_string()),
                label: link.label,
                expires: vietnamese_time(link.expires_at),
                state: state.as_str(),
                active: state == ShareState::Active,
            }
        })
        .collect();
    let actor = signed_in.principal.actor();
    let certificates = app
        .store
        .certificates_of(&actor, "GET /me/shares", official)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter(|certificate| certificate.revocation.is_none())
        .map(|certificate| certificate.number.to_string())
        .collect();
    let template = SharesPage {
        layout: signed_in.layout(Nav::Shares),
        csrf: signed_in.csrf.clone(),
        links,
        certificates,
        entered,
        problems,
        created,
        max_days: MAX_DAYS,
    };
    Ok(page(status, template))
}

/// `GET /me/shares`: the official's links and the form to make one.
pub(super) async fn get_page(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let entered =
        Entered { certificate: String::new(), days: DEFAULT_DAYS.to_owned(), label: String::new() };
    render(&app, &signed_in, StatusCode::OK, entered, Vec::new(), None).await
}

/// The form to make a link.
#[derive(Debug, Deserialize)]
struct ShareForm {
    csrf: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    label: String,
}

/// `POST /me/shares`: makes the link and shows it with its QR code, once; or the form again
/// with each field's problem (422).
pub(super) async fn post_share(
    State(app): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, PageError> {
    let submitted: ShareForm = form(&body)?;
    signed_in.check_csrf(&submitted.csrf)?;
    let official = official(&signed_in)?;
    let entered = Entered {
        certificate: submitted.certificate,
        days: submitted.days,
        label: submitted.label,
    };
    let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
    // A number the form cannot read is out of range, as the API says of one it can.
    let days = entered.days.trim().parse::<i64>().unwrap_or(0);
    let body = ShareBody {
        certificate: optional(&entered.certificate),
        days,
        label: optional(&entered.label),
    };
    let request = match body.parse() {
        Ok(request) => request,
        Err(invalid) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&app, &signed_in, status, entered, FieldProblem::each(invalid), None)
                .await;
        }
    };
    match make(&app, &signed_in.principal.actor(), official, request).await {
        Ok((_, url)) => {
            let qr = qr::svg(&url, "Mã QR của liên kết chia sẻ (QR code of the share link)");
            let created = Some(Created { url, qr });
            let fresh = Entered {
                certificate: String::new(),
                days: DEFAULT_DAYS.to_owned(),
                label: String::new(),
            };
            render(&app, &signed_in, StatusCode::CREATED, fresh, Vec::new(), created).await
        }
        Err(ApiError::Store(StoreError::Rule { field, reason })) => {
            // The store's reasons (a certificate revoked, not the official's) are in English.
            let problem = FieldProblem::new(field, "không chia sẻ được", reason);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&app, &signed_in, status, entered, vec![problem], None).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The revoke button's form.
#[derive(Debug, Deserialize)]
struct RevokeForm {
    csrf: String,
}

/// `POST /me/shares/{id}/revoke`: the link stops opening at once; back to the list.
pub(super) async fn post_revoke(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let RevokeForm { csrf } = form(&body)?;
    signed_in.check_csrf(&csrf)?;
    let official = official(&signed_in)?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::BadForm(StatusCode::NOT_FOUND))?;
    match app.store.revoke_share_link(&signed_in.principal.actor(), official, id).await {
        // Revoked twice (two tabs): it is revoked, which is what was asked.
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(see_other(&Url::MeShares.to_string())),
        Err(error) => Err(ApiError::from(error).into()),
    }
}
