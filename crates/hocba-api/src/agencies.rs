//! The directory of agencies (`/api/v1/agencies`) and HR departments' API keys
//! (`/api/v1/agencies/{code}/keys`).
//!
//! The directory is the tree of agencies (ministries, provincial People's Committees, their
//! departments and units) that employment periods and keys name. Agency names are public
//! information: anyone may list and read it; the operator adds to it.
//!
//! An operator makes a key for an agency of the directory and hands it over once. With it the
//! agency's HR department reads the records and certificates of the officials it employs on
//! the day of reading (and, for a key that covers sub-units, those its sub-units employ), and
//! nobody else's; every read is logged for the official. Verifying a certificate needs no key.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{AdministrativeLevel, Agency, AgencyCode, AgencyDraft, Invalid};
use hocba_store::{AgencyKey, AgencyQuery};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Admin};
use crate::clients::{ClientBody, CredentialLife};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, Problem};

/// An HR department's API key, as listed (never the key itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyKeyView {
    /// The key's id.
    pub id: Uuid,
    /// The agency whose staff it reads.
    #[schema(example = "G01.H29")]
    pub agency_code: String,
    /// Whether it also reads the staff of the agency's sub-units (every agency below it in the
    /// directory).
    pub include_subunits: bool,
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
        AgencyKeyView {
            id: key.id,
            agency_code: key.agency_code.as_str().to_owned(),
            include_subunits: key.include_subunits,
            life,
        }
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

/// A new HR key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyKeyBody {
    /// A label, 1–100 characters (`HR system`, `payroll import`…).
    pub label: String,
    /// Whether the key also reads the staff of the agency's sub-units; `false` when absent.
    #[serde(default)]
    pub include_subunits: bool,
}

/// An agency of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyView {
    /// Its code.
    #[schema(example = "G01.H29")]
    pub code: String,
    /// Its name.
    #[schema(example = "Sở Nội vụ thành phố Hà Nội")]
    pub name: String,
    /// The agency it is a unit of; absent at the top of the tree.
    #[schema(example = "T01")]
    pub parent_code: Option<String>,
    /// Its administrative level.
    pub level: AdministrativeLevel,
    /// First day it exists.
    pub valid_from: Date,
    /// Last day it exists, if it was merged or dissolved.
    pub valid_to: Option<Date>,
}

impl From<Agency> for AgencyView {
    fn from(agency: Agency) -> Self {
        AgencyView {
            code: agency.code.as_str().to_owned(),
            name: agency.name,
            parent_code: agency.parent.map(|code| code.as_str().to_owned()),
            level: agency.level,
            valid_from: agency.validity.from,
            valid_to: agency.validity.to,
        }
    }
}

/// Filters of the directory.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgencyFilter {
    /// Only the direct units of this agency.
    pub parent_code: Option<String>,
    /// Only agencies that exist on this day (YYYY-MM-DD).
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub on: Option<Date>,
}

/// The directory of agencies by code (public: agency names are public information).
#[utoipa::path(get, path = "/agencies", tag = "agencies", params(AgencyFilter),
    responses((status = 200, body = [AgencyView]), (status = "4XX", body = Problem)))]
pub async fn list_agencies(
    State(app): State<AppState>,
    Query(filter): Query<AgencyFilter>,
) -> Result<Json<Vec<AgencyView>>, ApiError> {
    let parent =
        filter.parent_code.as_deref().map(AgencyCode::parse).transpose().map_err(|error| {
            ApiError::BadParameter { field: "parent_code".to_owned(), reason: error.to_string() }
        })?;
    let agencies = app.store.agencies(&AgencyQuery { parent, on: filter.on }).await?;
    Ok(Json(agencies.into_iter().map(AgencyView::from).collect()))
}

/// One agency of the directory (public).
#[utoipa::path(get, path = "/agencies/{code}", tag = "agencies",
    params(("code" = String, Path, description = "The agency's code in the national organisation tree")),
    responses((status = 200, body = AgencyView), (status = "4XX", body = Problem)))]
pub async fn get_agency(
    State(app): State<AppState>,
    Path(path): Path<AgencyPath>,
) -> Result<Json<AgencyView>, ApiError> {
    Ok(Json(app.store.agency(&path.agency()?).await?.into()))
}

/// Adds an agency to the directory (operator): a new unit, or one the shipped directory lacks.
/// Its parent must be in the directory already.
#[utoipa::path(post, path = "/agencies", tag = "agencies", security(("bearer" = [])),
    request_body = AgencyDraft,
    responses((status = 201, body = AgencyView), (status = "4XX", body = Problem)))]
pub async fn post_agency(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(draft): Json<AgencyDraft>,
) -> Result<(StatusCode, Json<AgencyView>), ApiError> {
    let agency = app.store.create_agency(&admin.actor(), draft.parse()?).await?;
    Ok((StatusCode::CREATED, Json(agency.into())))
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

/// Makes an API key for the HR department of an agency of the directory (operator; `404` for a
/// code the directory does not hold); the key is shown once. With `include_subunits` it also
/// reads the staff of every agency below this one.
#[utoipa::path(post, path = "/agencies/{code}/keys", tag = "agencies", security(("bearer" = [])),
    params(("code" = String, Path, description = "The agency's code in the national organisation tree")),
    request_body = AgencyKeyBody,
    responses((status = 201, body = NewAgencyKeyView), (status = "4XX", body = Problem)))]
pub async fn post_agency_key(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(path): Path<AgencyPath>,
    Json(body): Json<AgencyKeyBody>,
) -> Result<(StatusCode, Json<NewAgencyKeyView>), ApiError> {
    let agency = path.agency()?;
    let label = ClientBody { label: body.label }.label()?;
    let minted = auth::mint_token();
    let key = app
        .store
        .create_agency_key(&admin.actor(), &agency, body.include_subunits, &label, &minted.hash)
        .await?;
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
        .routes(routes!(list_agencies, post_agency))
        .routes(routes!(get_agency))
        .routes(routes!(post_agency_key, list_agency_keys))
        .routes(routes!(revoke_agency_key))
}
