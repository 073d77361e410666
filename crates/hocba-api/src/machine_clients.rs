//! Machine clients, registered by the operator: systems such as the National Public Service
//! Portal or a ministry's HR system, each with the scopes its tokens may carry and, optionally,
//! the agency it acts for. It authenticates at `POST /oauth/token` with a secret shown once, or
//! with assertions signed by the private key whose public JWK is registered here.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{AgencyCode, Invalid};
use hocba_store::{Actor, ClientAuth, MachineClient, NewMachineClient, Scope, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Admin};
use crate::extract::{Json, Path};
use crate::oidc::PublicJwk;
use crate::{ApiError, AppState, Problem};

/// A scope, as OAuth writes it (the OpenAPI description of [`Scope`]).
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "only describes the values of `Scope` in the OpenAPI document")]
pub enum ScopeName {
    /// Officials' records, under their consent or the HR rule of the client's agency.
    #[serde(rename = "records:read")]
    RecordsRead,
    /// The changes feed.
    #[serde(rename = "events:read")]
    EventsRead,
    /// The client's webhook subscriptions.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    /// Posting completions.
    #[serde(rename = "completions:write")]
    CompletionsWrite,
}

/// How a machine client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A secret, shown once at registration (`client_secret_basic` or `client_secret_post`).
    #[default]
    ClientSecret,
    /// An assertion signed with its private key (RFC 7523); its public key is registered.
    PrivateKeyJwt,
}

/// A machine client to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineClientBody {
    /// The system's name, 1–100 characters.
    #[schema(example = "Cổng Dịch vụ công quốc gia")]
    pub name: String,
    /// What its tokens may do (at least one scope).
    #[schema(value_type = Vec<ScopeName>, min_items = 1)]
    pub scopes: Vec<Scope>,
    /// The agency it acts for (a ministry's HR system): the HR rule of that agency applies to
    /// it.
    #[schema(example = "G01.H29")]
    pub agency_code: Option<String>,
    /// With `agency_code`: whether the staff of the agency's sub-units are covered too.
    #[serde(default)]
    pub include_subunits: bool,
    /// How it authenticates (default `client_secret`).
    #[serde(default)]
    pub token_endpoint_auth_method: AuthMethod,
    /// For `private_key_jwt`: its public key, a JWK: Ed25519 (`kty` `OKP`, `crv` `Ed25519`) or
    /// RSA of at least 2048 bits. The key decides the algorithm (`EdDSA` or `RS256`).
    #[schema(value_type = Option<Object>)]
    pub jwk: Option<Value>,
}

/// A machine client, as listed (never a secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct MachineClientView {
    /// `client_id` at the token endpoint.
    pub client_id: Uuid,
    /// The system's name.
    pub name: String,
    /// What its tokens may do.
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: Vec<Scope>,
    /// The agency it acts for.
    pub agency_code: Option<String>,
    /// Whether the staff of the agency's sub-units are covered too.
    pub include_subunits: bool,
    /// `client_secret` or `private_key_jwt`.
    pub token_endpoint_auth_method: AuthMethod,
    /// A `private_key_jwt` client's public key.
    #[schema(value_type = Option<Object>)]
    pub jwk: Option<Value>,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last obtained a token.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<MachineClient> for MachineClientView {
    fn from(client: MachineClient) -> Self {
        let method = match client.public_jwk {
            Some(_) => AuthMethod::PrivateKeyJwt,
            None => AuthMethod::ClientSecret,
        };
        MachineClientView {
            client_id: client.id,
            name: client.name,
            scopes: client.scopes.iter().collect(),
            agency_code: client.agency.map(|agency| agency.as_str().to_owned()),
            include_subunits: client.include_subunits,
            token_endpoint_auth_method: method,
            jwk: client.public_jwk,
            created_at: client.created_at,
            last_used_at: client.last_used_at,
            revoked_at: client.revoked_at,
        }
    }
}

/// A machine client just registered, with its secret shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewMachineClientView {
    /// The client.
    #[serde(flatten)]
    pub client: MachineClientView,
    /// For `client_secret`: the secret. Store it in the client system; the registry keeps only
    /// its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Where to get tokens.
    #[schema(example = "/oauth/token")]
    pub token_endpoint: &'static str,
}

fn malformed(field: &str, reason: impl ToString) -> ApiError {
    ApiError::MalformedBody {
        field: Some(field.to_owned()),
        reason: reason.to_string(),
        status: StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl MachineClientBody {
    /// The checked registration, with how the client will authenticate: a JWK checked, or a
    /// secret still to mint (`None`).
    fn parse(self) -> Result<(NewMachineClient, Option<Value>), ApiError> {
        let name = hocba_domain::validation::text(&self.name, 100)
            .map_err(|violation| Invalid::field("name", violation))?;
        if self.scopes.is_empty() {
            return Err(malformed("scopes", "must name at least one scope"));
        }
        let agency = match self.agency_code.as_deref() {
            Some(code) => Some(
                AgencyCode::parse(code).map_err(|error| Invalid::field("agency_code", error))?,
            ),
            None if self.include_subunits => {
                return Err(malformed("include_subunits", "needs an agency_code"));
            }
            None => None,
        };
        let jwk = match (self.token_endpoint_auth_method, self.jwk) {
            (AuthMethod::PrivateKeyJwt, Some(jwk)) => {
                PublicJwk::parse(&jwk).map_err(|refused| malformed("jwk", refused))?;
                Some(jwk)
            }
            (AuthMethod::PrivateKeyJwt, None) => {
                return Err(malformed("jwk", "is required for private_key_jwt"));
            }
            (AuthMethod::ClientSecret, Some(_)) => {
                return Err(malformed("jwk", "is only for private_key_jwt"));
            }
            (AuthMethod::ClientSecret, None) => None,
        };
        let draft = NewMachineClient {
            name,
            scopes: self.scopes.into_iter().collect(),
            agency,
            include_subunits: self.include_subunits,
            // Replaced by the caller once the secret is minted.
            auth: ClientAuth::ClientSecret { hash: String::new() },
        };
        Ok((draft, jwk))
    }
}

/// Registers a machine client as `actor` (the operator, or the CLI), minting its secret if it
/// authenticates with one: what both `POST /api/v1/clients` and `hocba clients add` do.
pub async fn register_machine_client(
    store: &Store,
    actor: &Actor,
    body: MachineClientBody,
) -> Result<NewMachineClientView, ApiError> {
    let (mut draft, jwk) = body.parse()?;
    let secret = match jwk {
        Some(jwk) => {
            draft.auth = ClientAuth::PrivateKeyJwt { jwk };
            None
        }
        None => {
            let (secret, hash) = tokio::task::spawn_blocking(auth::mint_client_secret)
                .await
                .map_err(ApiError::internal)??;
            draft.auth = ClientAuth::ClientSecret { hash };
            Some(secret)
        }
    };
    let client = store.create_machine_client(actor, draft).await?;
    Ok(NewMachineClientView {
        client: client.into(),
        client_secret: secret,
        token_endpoint: crate::oauth::TOKEN_PATH,
    })
}

/// Registers a machine client (operator): a system such as the National Public Service Portal
/// or a ministry's HR system. A `client_secret` client's secret is shown this once.
#[utoipa::path(post, path = "/clients", tag = "clients", security(("bearer" = [])),
    request_body = MachineClientBody,
    responses((status = 201, body = NewMachineClientView), (status = "4XX", body = Problem)))]
pub async fn post_machine_client(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(body): Json<MachineClientBody>,
) -> Result<(StatusCode, Json<NewMachineClientView>), ApiError> {
    let view = register_machine_client(&app.store, &admin.actor(), body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Every machine client, oldest first, revoked ones included (operator).
#[utoipa::path(get, path = "/clients", tag = "clients", security(("bearer" = [])),
    responses((status = 200, body = [MachineClientView]), (status = "4XX", body = Problem)))]
pub async fn list_machine_clients(
    State(app): State<AppState>,
    Admin(_admin): Admin,
) -> Result<Json<Vec<MachineClientView>>, ApiError> {
    let clients = app.store.machine_clients().await?;
    Ok(Json(clients.into_iter().map(MachineClientView::from).collect()))
}

/// One machine client (operator).
#[utoipa::path(get, path = "/clients/{client_id}", tag = "clients", security(("bearer" = [])),
    params(("client_id" = Uuid, Path, description = "The client")),
    responses((status = 200, body = MachineClientView), (status = "4XX", body = Problem)))]
pub async fn get_machine_client(
    State(app): State<AppState>,
    Admin(_admin): Admin,
    Path(client_id): Path<Uuid>,
) -> Result<Json<MachineClientView>, ApiError> {
    Ok(Json(app.store.machine_client(client_id).await?.into()))
}

/// Revokes a machine client (operator): it obtains no more tokens, and its tokens stop working
/// at once.
#[utoipa::path(post, path = "/clients/{client_id}/revoke", tag = "clients", security(("bearer" = [])),
    params(("client_id" = Uuid, Path, description = "The client")),
    responses((status = 200, body = MachineClientView), (status = "4XX", body = Problem)))]
pub async fn revoke_machine_client(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(client_id): Path<Uuid>,
) -> Result<Json<MachineClientView>, ApiError> {
    Ok(Json(app.store.revoke_machine_client(&admin.actor(), client_id).await?.into()))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_machine_client, list_machine_clients))
        .routes(routes!(get_machine_client))
        .routes(routes!(revoke_machine_client))
}
