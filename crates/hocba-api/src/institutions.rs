//! `/api/v1/institutions`: training institutions and their accreditation scopes.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{
    InstitutionDraft, InstitutionId, InstitutionKind, InstitutionStatus, ScopeDraft,
};
use hocba_store::Institution;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::extract::{Json, PageOf, PageParams, Path, Query};
use crate::{ApiError, AppState, Problem};

/// One accreditation scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    /// Programme category the institution may certify.
    pub category_code: String,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force, if limited.
    pub valid_to: Option<Date>,
    /// The accrediting decision.
    pub decision: Option<String>,
}

/// A training institution.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionView {
    /// Hocba's id.
    pub id: InstitutionId,
    /// Unique short code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Kind of body.
    pub kind: InstitutionKind,
    /// The authority it reports to.
    pub parent_authority: Option<String>,
    /// Active or suspended.
    pub status: InstitutionStatus,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Accreditation scopes (empty in lists; read one institution to see them).
    pub scopes: Vec<ScopeView>,
}

impl From<Institution> for InstitutionView {
    fn from(institution: Institution) -> Self {
        InstitutionView {
            id: institution.id,
            code: institution.code.as_str().to_owned(),
            name: institution.name,
            kind: institution.kind,
            parent_authority: institution.parent_authority,
            status: institution.status,
            created_at: institution.created_at,
            scopes: institution
                .scopes
                .into_iter()
                .map(|granted| ScopeView {
                    category_code: granted.scope.category.as_str().to_owned(),
                    valid_from: granted.scope.validity.from,
                    valid_to: granted.scope.validity.to,
                    decision: granted.decision,
                })
                .collect(),
        }
    }
}

/// Registers a training institution (operator only). It can post nothing until it is granted a
/// scope.
#[utoipa::path(post, path = "/institutions", tag = "institutions", security(("bearer" = [])),
    request_body = InstitutionDraft,
    responses((status = 201, body = InstitutionView), (status = "4XX", body = Problem)))]
pub async fn post_institution(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(draft): Json<InstitutionDraft>,
) -> Result<(StatusCode, Json<InstitutionView>), ApiError> {
    let institution = app.store.create_institution(&admin.actor(), draft.parse()?).await?;
    Ok((StatusCode::CREATED, Json(institution.into())))
}

/// Lists institutions in registration order.
#[utoipa::path(get, path = "/institutions", tag = "institutions", params(PageParams),
    responses((status = 200, body = PageOf<InstitutionView>), (status = "4XX", body = Problem)))]
pub async fn list_institutions(
    State(app): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Json<PageOf<InstitutionView>>, ApiError> {
    let page = app.store.list_institutions(params.request()?).await?;
    Ok(Json(PageOf::from_page(page, InstitutionView::from)))
}

/// Reads an institution with its accreditation scopes.
#[utoipa::path(get, path = "/institutions/{id}", tag = "institutions",
    params(("id" = InstitutionId, Path, description = "Hocba's id of the institution")),
    responses((status = 200, body = InstitutionView), (status = "4XX", body = Problem)))]
pub async fn get_institution(
    State(app): State<AppState>,
    Path(id): Path<InstitutionId>,
) -> Result<Json<InstitutionView>, ApiError> {
    Ok(Json(app.store.institution(id).await?.into()))
}

/// Grants an institution the right to certify a programme category during a period (operator
/// only). A category its kind can never deliver is refused (422).
#[utoipa::path(post, path = "/institutions/{id}/scopes", tag = "institutions", security(("bearer" = [])),
    params(("id" = InstitutionId, Path, description = "Hocba's id of the institution")),
    request_body = ScopeDraft,
    responses((status = 201, body = InstitutionView), (status = "4XX", body = Problem)))]
pub async fn post_scope(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<InstitutionId>,
    Json(draft): Json<ScopeDraft>,
) -> Result<(StatusCode, Json<InstitutionView>), ApiError> {
    let institution = app.store.institution(id).await?;
    let scope = draft.parse(institution.kind)?;
    let institution = app.store.add_scope(&admin.actor(), id, scope).await?;
    Ok((StatusCode::CREATED, Json(institution.into())))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_institution, list_institutions))
        .routes(routes!(get_institution))
        .routes(routes!(post_scope))
}
