//! HR departments' API keys: `/api/v1/agencies/{code}/keys`.
//!
//! An operator makes a key for an agency (a department, a ministry, a provincial People's
//! Committee: a code of the national organisation tree) and hands it over once. With it the
//! agency's HR department reads the records and certificates of the officials it employs on
//! the day of reading, and nobody else's; every read is logged for the official. Verifying a
//! certificate needs no key at all.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{AgencyCode, Invalid};
use hocba_store::AgencyKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Admin};
use crate::clients::{ClientBody, CredentialLife};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// An HR department's API key, as listed (never the key itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyKeyView {
    /// The key's id.
    pub id: Uuid,
    /// The agency whose staff it reads.
    #[schema(example = "G01.H29")]
    pub agency_code: String,
    /// Its label and use (last use to the minute).
    #[serde(flatten)]
    pub life: CredentialLife,
}

impl From<AgencyKey> for AgencyKeyView {
    fn from(key: AgencyKey) -> Self {
        let life = CredentialLife {
            label: key.label,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        };
        AgencyKeyView { id: key.id, agency_code: key.agency_code.as_str().to_owned(), life }
    }
}

/// A new key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewAgencyKeyView {
    /// The key.
    #[serde(flatten)]
    pub key: AgencyKeyView,
    /// The bearer token: give it to the HR department; the registry keeps only its hash.
    pub token: String,
}

/// The agency code in the path.
#[derive(Debug, Deserialize)]
pub struct AgencyPath {
    code: String,
}

impl AgencyPath {
    fn agency(&self) -> Result<AgencyCode, ApiError> {
        AgencyCode::parse(&self.code).map_err(|error| Invalid::field("code", error).into())
    }
}

/// Makes an API key for an agency's HR department (operator); the key is shown once.
#[utoipa::path(post, path = "/agencies/{code}/keys", tag = "agencies", security(("bearer" = [])),
    params(("code" = String, Path, description = "The agency's code in the national organisation tree")),
    request_body = ClientBody,
    responses((status = 201, body = NewAgencyKeyView), (status = "4XX", body = Problem)))]
pub async fn post_agency_key(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(path): Path<AgencyPath>,
    Json(body): Json<ClientBody>,
) -> Result<(StatusCode, Json<NewAgencyKeyView>), ApiError> {
    let agency = path.agency()?;
    let label = body.label()?;
    let minted = auth::mint_token();
    let key = app.store.create_agency_key(&admin.actor(), &agency, &label, &minted.hash).await?;
    Ok((StatusCode::CREATED, Json(NewAgencyKeyView { key: key.into(), token: minted.secret })))
}

/// An agency's API keys, revoked ones included (operator).
#[utoipa::path(get, path = "/agencies/{code}/keys", tag = "agencies", security(("bearer" = [])),
    params(("code" = String, Path, description = "The agency's code in the national organisation tree")),
    responses((status = 200, body = [AgencyKeyView]), (status = "4XX", body = Problem)))]
pub async fn list_agency_keys(
    State(app): State<AppState>,
    Admin(_admin): Admin,
    Path(path): Path<AgencyPath>,
) -> Result<Json<Vec<AgencyKeyView>>, ApiError> {
    let keys = app.store.agency_keys(&path.agency()?).await?;
    Ok(Json(keys.into_iter().map(AgencyKeyView::from).collect()))
}

/// Revokes an agency's API key (operator): it stops working at once.
#[utoipa::path(post, path = "/agencies/{code}/keys/{key_id}/revoke", tag = "agencies", security(("bearer" = [])),
    params(("code" = String, Path, description = "The agency's code in the national organisation tree"),
           ("key_id" = Uuid, Path, description = "The key")),
    responses((status = 200, body = AgencyKeyView), (status = "4XX", body = Problem)))]
pub async fn revoke_agency_key(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path((code, key_id)): Path<(String, Uuid)>,
) -> Result<Json<AgencyKeyView>, ApiError> {
    let agency = AgencyPath { code }.agency()?;
    Ok(Json(app.store.revoke_agency_key(&admin.actor(), &agency, key_id).await?.into()))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_agency_key, list_agency_keys))
        .routes(routes!(revoke_agency_key))
}
