//! `/api/v1/me/consents`: an official's consents. With one, a machine client the operator
//! registered with `records:read` (the National Public Service Portal, a ministry's HR system)
//! reads the official's record, signed transcript and certificates, for the purpose the official
//! stated, from the first to the last day they chose (a year from today at most), until they
//! withdraw it. Every read under a consent is in the official's read log with the client's name
//! and the consent's purpose; granting and withdrawing are audited.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hocba_domain::{ConsentDraft, ConsentState, OfficialId};
use hocba_store::{Consent, ConsentClient, Scope};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Caller, Sharer, require_scope};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// Where a consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStateView {
    /// Its first day has not come: the client reads nothing yet (`consent-missing`).
    Pending,
    /// The client may read.
    Live,
    /// Its last day is over (`consent-expired`).
    Expired,
    /// The official withdrew it (`consent-withdrawn`).
    Withdrawn,
}

impl From<ConsentState> for ConsentStateView {
    fn from(state: ConsentState) -> Self {
        match state {
            ConsentState::Pending => ConsentStateView::Pending,
            ConsentState::Live => ConsentStateView::Live,
            ConsentState::Expired => ConsentStateView::Expired,
            ConsentState::Withdrawn => ConsentStateView::Withdrawn,
        }
    }
}

/// A consent, as its official and its client see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    /// The consent's id (for the official, to withdraw it).
    pub id: Uuid,
    /// The official who gave it (whose record the client reads:
    /// `GET /officials/{official_id}/record`).
    pub official_id: OfficialId,
    /// The machine client it lets read.
    pub client_id: Uuid,
    /// The client's name, as the operator registered it.
    #[schema(example = "Cổng Dịch vụ công quốc gia")]
    pub client_name: String,
    /// Why the client may read, in the official's words.
    #[schema(example = "Hồ sơ xin cấp phép hành nghề")]
    pub purpose: String,
    /// The first day in force (Vietnam's calendar).
    pub valid_from: Date,
    /// The last day in force (Vietnam's calendar).
    pub valid_until: Date,
    /// When it was given.
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
    /// When it was withdrawn.
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    /// Where it stands now.
    pub state: ConsentStateView,
}

impl ConsentView {
    pub(crate) fn at(consent: Consent, now: OffsetDateTime) -> Self {
        ConsentView {
            state: consent.state(now).into(),
            id: consent.id,
            official_id: consent.official_id,
            client_id: consent.client_id,
            client_name: consent.client_name,
            purpose: consent.purpose,
            valid_from: consent.valid_from,
            valid_until: consent.valid_until,
            granted_at: consent.granted_at,
            withdrawn_at: consent.withdrawn_at,
        }
    }
}

/// A machine client an official may give consent to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentClientView {
    /// Its `client_id` (to name it in a consent).
    pub client_id: Uuid,
    /// Its name, as the operator registered it.
    #[schema(example = "Cổng Dịch vụ công quốc gia")]
    pub name: String,
}

impl From<ConsentClient> for ConsentClientView {
    fn from(client: ConsentClient) -> Self {
        ConsentClientView { client_id: client.id, name: client.name }
    }
}

/// A new consent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// The machine client to let read (one of `GET /me/consents/clients`).
    pub client_id: Uuid,
    /// Why it may read, 1–200 characters; shown in the read log beside each read.
    #[schema(example = "Hồ sơ xin cấp phép hành nghề")]
    pub purpose: String,
    /// The first day in force (Vietnam's calendar), today or later; absent: today.
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// The last day in force, on or after the first, at most 365 days after today.
    pub valid_until: Date,
}

/// Gives a machine client consent to read the signed-in official's record (the record, the
/// signed transcript and the certificates), for a purpose and from one day to another: a year
/// from today at most. The client must be registered with `records:read`
/// (`GET /me/consents/clients`); another is `422` on `client_id`. Audited. Officials only.
#[utoipa::path(post, path = "/me/consents", tag = "officials", security(("bearer" = [])),
    request_body = ConsentBody,
    responses((status = 201, body = ConsentView), (status = "4XX", body = Problem)))]
pub async fn post_consent(
    State(app): State<AppState>,
    official: Sharer,
    Json(body): Json<ConsentBody>,
) -> Result<(StatusCode, Json<ConsentView>), ApiError> {
    let consent = grant(&app, &official, body).await?;
    Ok((StatusCode::CREATED, Json(ConsentView::at(consent, OffsetDateTime::now_utc()))))
}

/// Grants the consent `body` asks for, as `official`.
pub(crate) async fn grant(
    app: &AppState,
    official: &Sharer,
    body: ConsentBody,
) -> Result<Consent, ApiError> {
    let draft = ConsentDraft {
        purpose: body.purpose,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
    };
    let terms = draft.parse(crate::today())?;
    let id = official.official()?;
    Ok(app.store.grant_consent(&official.0.actor(), id, body.client_id, &terms).await?)
}

/// The signed-in official's consents, newest first, with where each stands (withdrawn and
/// expired ones included). Officials only.
#[utoipa::path(get, path = "/me/consents", tag = "officials", security(("bearer" = [])),
    responses((status = 200, body = [ConsentView]), (status = "4XX", body = Problem)))]
pub async fn list_consents(
    State(app): State<AppState>,
    official: Sharer,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
    let consents = app.store.consents(official.official()?).await?;
    let now = OffsetDateTime::now_utc();
    Ok(Json(consents.into_iter().map(|consent| ConsentView::at(consent, now)).collect()))
}

/// Withdraws one of the signed-in official's consents: from the next request on, its client is
/// refused (`403 consent-withdrawn`). Another official's consent is `404`; one already
/// withdrawn, `409`. Audited. Officials only.
#[utoipa::path(delete, path = "/me/consents/{id}", tag = "officials", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The consent's id")),
    responses((status = 200, body = ConsentView), (status = "4XX", body = Problem)))]
pub async fn withdraw_consent(
    State(app): State<AppState>,
    official: Sharer,
    Path(id): Path<Uuid>,
) -> Result<Json<ConsentView>, ApiError> {
    let consent = app.store.withdraw_consent(&official.0.actor(), official.official()?, id).await?;
    Ok(Json(ConsentView::at(consent, OffsetDateTime::now_utc())))
}

/// The machine clients an official may give consent to (registered with `records:read`, not
/// revoked), by name. Officials only.
#[utoipa::path(get, path = "/me/consents/clients", tag = "officials", security(("bearer" = [])),
    responses((status = 200, body = [ConsentClientView]), (status = "4XX", body = Problem)))]
pub async fn list_consent_clients(
    State(app): State<AppState>,
    _official: Sharer,
) -> Result<Json<Vec<ConsentClientView>>, ApiError> {
    let clients = app.store.consent_clients().await?;
    Ok(Json(clients.into_iter().map(ConsentClientView::from).collect()))
}

/// A machine client with `records:read`, asking which officials consented to it.
#[derive(Debug, Clone)]
pub struct ConsentedClient {
    /// The client.
    pub client_id: Uuid,
}

impl FromRequestParts<AppState> for ConsentedClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let client_id = principal.client_id().ok_or(ApiError::Forbidden)?;
        require_scope(&principal, Scope::RecordsRead)?;
        Ok(ConsentedClient { client_id })
    }
}

/// The consents officials gave the calling machine client, newest first, with where each
/// stands: whose records it may read (`official_id`), for what, until when. Withdrawn and
/// expired ones are listed too, so the client knows to stop. Machine clients with
/// `records:read` only.
#[utoipa::path(get, path = "/consents", tag = "officials",
    security(("oauth2" = ["records:read"])),
    responses((status = 200, body = [ConsentView]), (status = "4XX", body = Problem)))]
pub async fn list_given_consents(
    State(app): State<AppState>,
    client: ConsentedClient,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
    let consents = app.store.consents_given_to(client.client_id).await?;
    let now = OffsetDateTime::now_utc();
    Ok(Json(consents.into_iter().map(|consent| ConsentView::at(consent, now)).collect()))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_consent, list_consents))
        .routes(routes!(withdraw_consent))
        .routes(routes!(list_consent_clients))
        .routes(routes!(list_given_consents))
}
