//! Institutions' API clients, and `GET /api/v1/me`.
//!
//! An operator creates a client for an institution and hands its secret over once. The
//! institution's system exchanges `client_id` + `client_secret` at `POST /oauth/token` (see
//! [`crate::oauth`]) for a bearer token valid 15 minutes.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::InstitutionId;
use hocba_store::{ClientRecord, Role, Scope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Admin, Caller};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// An API client, as listed (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    /// `client_id` for the token request.
    pub client_id: Uuid,
    /// The institution it acts for.
    pub institution_id: InstitutionId,
    /// Its label and use.
    #[serde(flatten)]
    pub life: CredentialLife,
}

/// What an API credential (an institution's client, an HR department's key) is for, and when
/// it was made, last used and revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialLife {
    /// What it is for.
    pub label: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last used (for a client: when it last obtained a token).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ClientRecord> for ClientView {
    fn from(client: ClientRecord) -> Self {
        let life = CredentialLife {
            label: client.label,
            created_at: client.created_at,
            last_used_at: client.last_used_at,
            revoked_at: client.revoked_at,
        };
        ClientView { client_id: client.id, institution_id: client.institution_id, life }
    }
}

/// A new client with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewClientView {
    /// The client.
    #[serde(flatten)]
    pub client: ClientView,
    /// The secret: store it in the institution's system; the registry keeps only its hash.
    pub client_secret: String,
    /// Where to exchange the credentials for a token.
    #[schema(example = "/oauth/token")]
    pub token_endpoint: &'static str,
}

/// What the client is for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    /// A label, 1–100 characters (`LMS`, `class import script`…).
    pub label: String,
}

impl ClientBody {
    /// The label, checked.
    pub(crate) fn label(&self) -> Result<String, ApiError> {
        hocba_domain::validation::text(&self.label, 100).map_err(|violation| {
            ApiError::Invalid(hocba_domain::Invalid::field("label", violation))
        })
    }
}

/// Creates an API client for an institution (operator); the secret is shown once.
#[utoipa::path(post, path = "/institutions/{id}/clients", tag = "institutions", security(("bearer" = [])),
    params(("id" = InstitutionId, Path, description = "Hocba's id of the institution")),
    request_body = ClientBody,
    responses((status = 201, body = NewClientView), (status = "4XX", body = Problem)))]
pub async fn post_client(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<InstitutionId>,
    Json(body): Json<ClientBody>,
) -> Result<(StatusCode, Json<NewClientView>), ApiError> {
    let label = body.label()?;
    let (secret, hash) = app.cpu.run(auth::mint_client_secret).await??;
    let client = app.store.create_client(&admin.actor(), id, &label, &hash).await?;
    let view = NewClientView {
        client: client.into(),
        client_secret: secret,
        token_endpoint: crate::oauth::TOKEN_PATH,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// An institution's API clients (operator).
#[utoipa::path(get, path = "/institutions/{id}/clients", tag = "institutions", security(("bearer" = [])),
    params(("id" = InstitutionId, Path, description = "Hocba's id of the institution")),
    responses((status = 200, body = [ClientView]), (status = "4XX", body = Problem)))]
pub async fn list_clients(
    State(app): State<AppState>,
    Admin(_admin): Admin,
    Path(id): Path<InstitutionId>,
) -> Result<Json<Vec<ClientView>>, ApiError> {
    Ok(Json(app.store.clients(id).await?.into_iter().map(ClientView::from).collect()))
}

/// Revokes a client (operator): it obtains no more tokens, and its tokens stop working at once.
#[utoipa::path(post, path = "/institutions/{id}/clients/{client_id}/revoke", tag = "institutions", security(("bearer" = [])),
    params(("id" = InstitutionId, Path, description = "Hocba's id of the institution"),
           ("client_id" = Uuid, Path, description = "The client")),
    responses((status = 200, body = ClientView), (status = "4XX", body = Problem)))]
pub async fn revoke_client(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path((id, client_id)): Path<(InstitutionId, Uuid)>,
) -> Result<Json<ClientView>, ApiError> {
    Ok(Json(app.store.revoke_client(&admin.actor(), id, client_id).await?.into()))
}

/// Who a token belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// `admin`, `institution`, `agency`, `official` or `client` (a machine client).
    pub role: &'static str,
    /// The institution, for an institution's token.
    pub institution_id: Option<InstitutionId>,
    /// The API client, for an institution's token or a machine client's.
    pub client_id: Option<Uuid>,
    /// The scopes a machine client's token carries.
    #[schema(value_type = Vec<crate::machine_clients::ScopeName>)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    /// The agency, for an HR department's key.
    pub agency_code: Option<String>,
    /// The official, signed in.
    pub official_id: Option<hocba_domain::OfficialId>,
}

/// Who the bearer token belongs to: a quick check that credentials work.
#[utoipa::path(get, path = "/me", tag = "institutions", security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = "4XX", body = Problem)))]
pub async fn who_am_i(Caller(principal): Caller) -> Json<WhoAmI> {
    Json(WhoAmI {
        role: match principal.role() {
            Role::Admin => "admin",
            Role::Institution => "institution",
            Role::Agency => "agency",
            Role::Official => "official",
            Role::Client => "client",
        },
        institution_id: principal.institution().map(|(institution, _)| institution),
        client_id: principal.institution().map(|(_, client)| client).or(principal.client_id()),
        scopes: principal.scopes().iter().collect(),
        agency_code: principal.agency().map(|agency| agency.as_str().to_owned()),
        official_id: principal.official_id(),
    })
}

pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_client, list_clients))
        .routes(routes!(revoke_client))
        .routes(routes!(who_am_i))
}
