//! Institutions' API clients and the OAuth 2.0 client-credentials token endpoint.
//!
//! An operator creates a client for an institution and hands its secret over once. The
//! institution's system exchanges `client_id` + `client_secret` at `POST /oauth/token` for a
//! bearer token valid 15 minutes. The secret is checked with argon2 once per exchange, not on
//! every request, so posting stays fast.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hocba_domain::InstitutionId;
use hocba_store::{ClientRecord, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Admin, Caller};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// How long an access token lives.
const TOKEN_LIFETIME: time::Duration = time::Duration::minutes(15);

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
    let (secret, hash) = tokio::task::spawn_blocking(auth::mint_client_secret)
        .await
        .map_err(ApiError::internal)??;
    let client = app.store.create_client(&admin.actor(), id, &label, &hash).await?;
    let view = NewClientView {
        client: client.into(),
        client_secret: secret,
        token_endpoint: "/oauth/token",
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

/// A token request (RFC 6749 §4.4), form-encoded.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// The client id (or in HTTP Basic authentication).
    pub client_id: Option<String>,
    /// The client secret (or in HTTP Basic authentication).
    pub client_secret: Option<String>,
}

/// An access token (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Use as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
}

fn oauth(error: &'static str, description: &'static str) -> ApiError {
    ApiError::OAuth { error, description }
}

/// Exchanges an institution's client credentials for a 15-minute access token (OAuth 2.0
/// client credentials; `application/x-www-form-urlencoded`, credentials in the body or in HTTP
/// Basic authentication).
///
/// Failed attempts are throttled per client and per source address: beyond them, `429
/// rate-limited` with `Retry-After`. Successful ones do not count. When too many secrets are
/// being checked at once, `503 busy` with `Retry-After`.
#[utoipa::path(post, path = "/oauth/token", tag = "institutions",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = "4XX", body = Problem)))]
pub async fn token(
    State(app): State<AppState>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenResponse>, ApiError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(oauth("invalid_request", "the body must be application/x-www-form-urlencoded"));
    }
    let mut request: TokenRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| oauth("invalid_request", "the body is not a valid token request"))?;
    if request.grant_type.as_deref() != Some("client_credentials") {
        return Err(oauth("unsupported_grant_type", "grant_type must be client_credentials"));
    }
    if let Some((id, secret)) = basic_credentials(&headers) {
        request.client_id = Some(id);
        request.client_secret = Some(secret);
    }
    let (Some(client_id), Some(secret)) = (request.client_id, request.client_secret) else {
        return Err(oauth("invalid_request", "client_id and client_secret are required"));
    };
    let invalid = || oauth("invalid_client", "unknown client, wrong secret, or revoked client");
    // Each attempt counts against its source address, and against its client once the client
    // is known to exist, until the secret proves right; the argon2 check runs in a bounded pool.
    // An unknown client is refused without a hash, as before: ids are random, so the quicker
    // answer tells a guesser nothing it could use.
    let mut attempt = app.client_secrets.attempt(source_address(connection.as_deref()))?;
    let client_id = Uuid::parse_str(&client_id).map_err(|_| invalid())?;
    let stored = app.store.client_secret_hash(client_id).await?.ok_or_else(invalid)?;
    attempt.for_client(client_id)?;
    if !attempt.secret_matches(secret, stored).await? {
        return Err(invalid());
    }
    attempt.succeeded();
    let minted = auth::mint_token();
    let expires_at = OffsetDateTime::now_utc() + TOKEN_LIFETIME;
    app.store.issue_access_token(client_id, &minted.hash, expires_at).await?;
    Ok(Json(TokenResponse {
        access_token: minted.secret,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME.whole_seconds(),
    }))
}

/// The address a request came from, as the server saw it (behind a reverse proxy, the proxy's);
/// unspecified for a request served without a socket (the tests' in-process calls).
pub(crate) fn source_address(connection: Option<&ConnectInfo<SocketAddr>>) -> IpAddr {
    connection.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip())
}

/// `Authorization: Basic base64(client_id:client_secret)`, when given.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Who a token belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// `admin`, `institution`, `agency` or `official`.
    pub role: &'static str,
    /// The institution, for an institution's token.
    pub institution_id: Option<InstitutionId>,
    /// The API client, for an institution's token.
    pub client_id: Option<Uuid>,
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
        },
        institution_id: principal.institution().map(|(institution, _)| institution),
        client_id: principal.institution().map(|(_, client)| client),
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

pub(crate) fn oauth_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
}
