//! The OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4) and its metadata (RFC 8414).
//!
//! Two kinds of clients exchange credentials here for a bearer token valid 15 minutes:
//! institutions' API clients (a secret; their token may post completions) and machine clients
//! such as the National Public Service Portal (a secret, or an assertion signed with their
//! private key as RFC 7523 describes; their token carries the scopes asked for, within those
//! registered). A secret is checked with argon2 once per exchange, not on every request, so
//! calls with the token stay fast.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hocba_store::{AssertionUse, ClientAuth, Scope, Scopes, StoreError};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth;
use crate::extract::Json;
use crate::limits::Attempt;
use crate::oidc::PublicJwk;
use crate::{ApiError, AppState, Problem};

/// How long an access token lives.
const TOKEN_LIFETIME: time::Duration = time::Duration::minutes(15);

/// Where tokens are issued, below the registry's base URL.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest a client assertion may live, from its `iat` (or from now) to its `exp`: it is a
/// one-time proof, and its `jti` is remembered that long.
const MAX_ASSERTION_LIFETIME_SECONDS: i64 = 300;

/// How far a client's clock may be off ours.
const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// The longest `jti` remembered (longer ones are refused rather than truncated).
const MAX_JTI_LENGTH: usize = 200;

/// A token request (RFC 6749 §4.4), form-encoded.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// The client id (or in HTTP Basic authentication; with an assertion, optional: its `sub`).
    pub client_id: Option<String>,
    /// The client secret (or in HTTP Basic authentication).
    pub client_secret: Option<String>,
    /// The scopes wanted, separated by spaces: some of the client's (default: all of them).
    #[schema(example = "records:read events:read")]
    pub scope: Option<String>,
    /// For `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    pub client_assertion_type: Option<String>,
    /// For `private_key_jwt`: a JWT signed with the client's registered key (RFC 7523), with
    /// `iss` and `sub` the `client_id`, `aud` the token endpoint's URL (or the issuer), a unique
    /// `jti` and an `exp` at most 5 minutes away.
    pub client_assertion: Option<String>,
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
    /// The scopes it carries, separated by spaces.
    #[schema(example = "records:read events:read")]
    pub scope: String,
}

fn oauth(error: &'static str, description: &'static str) -> ApiError {
    ApiError::OAuth { error, description }
}

fn invalid_client() -> ApiError {
    oauth("invalid_client", "unknown client, wrong secret, or revoked client")
}

/// Exchanges a client's credentials for a 15-minute access token (OAuth 2.0 client
/// credentials; `application/x-www-form-urlencoded`).
///
/// A client authenticates with its secret (in the body, or in HTTP Basic authentication), or
/// with a client assertion (`private_key_jwt`, RFC 7523) signed by the key registered for it.
/// `scope` asks for some of the client's scopes (default: all). Errors follow RFC 6749 §5.2:
/// the problem document's `error` is `invalid_request`, `invalid_client` (401),
/// `invalid_scope` or `unsupported_grant_type`.
///
/// Failed attempts are throttled per client and per source address: beyond them, `429
/// rate-limited` with `Retry-After`. Successful ones do not count. When too many secrets are
/// being checked at once, `503 busy` with `Retry-After`.
#[utoipa::path(post, path = "/oauth/token", tag = "clients",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = "4XX", body = Problem)))]
pub async fn token(
    State(app): State<AppState>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenResponse>, ApiError> {
    let request = token_request(&headers, &body)?;
    let wanted = match request.scope.as_deref() {
        Some(scope) => Some(
            Scopes::parse_oauth(scope)
                .map_err(|_| oauth("invalid_scope", "scope names an unknown scope"))?,
        ),
        None => None,
    };
    // Each attempt counts against its source address, and against its client once the client
    // is known to exist, until its credentials prove right.
    let mut attempt = app.client_secrets.attempt(source_address(connection.as_deref()))?;
    let issued = match (request.client_assertion_type.as_deref(), request.client_assertion) {
        (None, None) => {
            let (Some(client_id), Some(secret)) = (request.client_id, request.client_secret) else {
                return Err(oauth("invalid_request", "client_id and client_secret are required"));
            };
            with_secret(&app, &mut attempt, &client_id, secret, wanted).await?
        }
        (Some(JWT_BEARER), Some(assertion)) if request.client_secret.is_none() => {
            with_assertion(&app, &mut attempt, request.client_id.as_deref(), &assertion, wanted)
                .await?
        }
        (Some(JWT_BEARER), Some(_)) => {
            return Err(oauth("invalid_request", "authenticate with one method, not two"));
        }
        (Some(_), Some(_)) => {
            return Err(oauth(
                "invalid_request",
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        _ => {
            return Err(oauth(
                "invalid_request",
                "client_assertion and client_assertion_type come together",
            ));
        }
    };
    attempt.succeeded();
    Ok(Json(issued))
}

/// The form of a token request, with HTTP Basic credentials in place of the body's.
fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, ApiError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(oauth("invalid_request", "the body must be application/x-www-form-urlencoded"));
    }
    let mut request: TokenRequest = serde_urlencoded::from_bytes(body)
        .map_err(|_| oauth("invalid_request", "the body is not a valid token request"))?;
    if request.grant_type.as_deref() != Some("client_credentials") {
        return Err(oauth("unsupported_grant_type", "grant_type must be client_credentials"));
    }
    if let Some((id, secret)) = basic_credentials(headers) {
        request.client_id = Some(id);
        request.client_secret = Some(secret);
    }
    Ok(request)
}

/// A token for the client whose secret this is: an institution's API client or a machine
/// client. An unknown client is refused without a hash: ids are random, so the quicker answer
/// tells a guesser nothing it could use.
async fn with_secret(
    app: &AppState,
    attempt: &mut Attempt<'_>,
    client_id: &str,
    secret: String,
    wanted: Option<Scopes>,
) -> Result<TokenResponse, ApiError> {
    let client_id = Uuid::parse_str(client_id).map_err(|_| invalid_client())?;
    if let Some(stored) = app.store.client_secret_hash(client_id).await? {
        attempt.for_client(client_id)?;
        if !attempt.secret_matches(secret, stored).await? {
            return Err(invalid_client());
        }
        // An institution's token posts completions; it may ask for that scope, and only that.
        let scopes: Scopes = [Scope::CompletionsWrite].into_iter().collect();
        within(scopes, wanted)?;
        let minted = auth::mint_token();
        let expires_at = OffsetDateTime::now_utc() + TOKEN_LIFETIME;
        app.store.issue_access_token(client_id, &minted.hash, expires_at).await?;
        return Ok(issued(minted.secret, scopes));
    }
    let (client, credentials) =
        app.store.machine_client_credentials(client_id).await?.ok_or_else(invalid_client)?;
    attempt.for_client(client_id)?;
    let ClientAuth::ClientSecret { hash } = credentials else {
        return Err(oauth("invalid_client", "this client authenticates with private_key_jwt"));
    };
    if !attempt.secret_matches(secret, hash).await? {
        return Err(invalid_client());
    }
    let scopes = within(client.scopes, wanted)?;
    machine_token(app, client_id, scopes, None).await
}

/// A token for the machine client whose key signed `assertion`.
async fn with_assertion(
    app: &AppState,
    attempt: &mut Attempt<'_>,
    client_id: Option<&str>,
    assertion: &str,
    wanted: Option<Scopes>,
) -> Result<TokenResponse, ApiError> {
    // The client named in the form, or else the assertion's subject, read before its signature
    // is checked only to find the key that must have made it.
    let claimed = match client_id {
        Some(id) => id.to_owned(),
        None => jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Value>>(assertion)
            .ok()
            .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned))
            .ok_or_else(|| oauth("invalid_client", "the client assertion is not a JWT"))?,
    };
    let client_id = Uuid::parse_str(&claimed).map_err(|_| invalid_client())?;
    let (client, credentials) =
        app.store.machine_client_credentials(client_id).await?.ok_or_else(invalid_client)?;
    attempt.for_client(client_id)?;
    let ClientAuth::PrivateKeyJwt { jwk } = credentials else {
        return Err(oauth("invalid_client", "this client authenticates with its secret"));
    };
    let key = PublicJwk::parse(&jwk).map_err(ApiError::internal)?;
    let base_url = &app.authority.registry.base_url;
    let audiences = [format!("{base_url}{TOKEN_PATH}"), base_url.clone()];
    let used = verify_assertion(assertion, &key, client_id, &audiences, OffsetDateTime::now_utc())
        .map_err(|refused| {
            tracing::debug!(%refused, "client assertion refused");
            oauth("invalid_client", refused.description())
        })?;
    let scopes = within(client.scopes, wanted)?;
    machine_token(app, client_id, scopes, Some(used)).await
}

/// The scopes to grant: those wanted, if the client holds them all (or all its own).
fn within(granted: Scopes, wanted: Option<Scopes>) -> Result<Scopes, ApiError> {
    match wanted {
        None => Ok(granted),
        Some(wanted) if !wanted.is_empty() && granted.includes(wanted) => Ok(wanted),
        Some(_) => Err(oauth("invalid_scope", "scope asks for what this client may not do")),
    }
}

async fn machine_token(
    app: &AppState,
    client_id: Uuid,
    scopes: Scopes,
    assertion: Option<AssertionUse>,
) -> Result<TokenResponse, ApiError> {
    let minted = auth::mint_token();
    let expires_at = OffsetDateTime::now_utc() + TOKEN_LIFETIME;
    app.store
        .issue_machine_token(client_id, &minted.hash, scopes, expires_at, assertion)
        .await
        .map_err(|error| match error {
            StoreError::Conflict { field: "jti" } => {
                oauth("invalid_client", AssertionRefused::Replayed.description())
            }
            // Revoked between the check and the issue.
            StoreError::NotFound { .. } => invalid_client(),
            other => other.into(),
        })?;
    Ok(issued(minted.secret, scopes))
}

fn issued(access_token: String, scopes: Scopes) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME.whole_seconds(),
        scope: scopes.to_oauth(),
    }
}

/// Why a client assertion was refused; its description is the `error_description`: the client
/// holds the key, so telling it what is wrong helps it and no one else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AssertionRefused {
    /// Not a JWT, or signed with another algorithm than the client's key is for.
    #[error("malformed")]
    Malformed,
    /// The signature is not the client's key's.
    #[error("signature")]
    Signature,
    /// `iss` or `sub` is not the client.
    #[error("issuer")]
    Issuer,
    /// `aud` is not this token endpoint.
    #[error("audience")]
    Audience,
    /// `exp` has passed (or `nbf` has not come).
    #[error("expired")]
    Expired,
    /// `exp` is more than 5 minutes away.
    #[error("lifetime")]
    TooLong,
    /// No `jti`, or one too long.
    #[error("jti")]
    NoJti,
    /// Its `jti` was used already.
    #[error("replayed")]
    Replayed,
}

impl AssertionRefused {
    fn description(self) -> &'static str {
        match self {
            AssertionRefused::Malformed => {
                "the client assertion is not a JWT signed with the algorithm of the client's key"
            }
            AssertionRefused::Signature => {
                "the client assertion's signature does not verify with the client's key"
            }
            AssertionRefused::Issuer => "the client assertion's iss and sub must be the client_id",
            AssertionRefused::Audience => {
                "the client assertion's aud must be the token endpoint's URL or the issuer"
            }
            AssertionRefused::Expired => "the client assertion has expired or is not valid yet",
            AssertionRefused::TooLong => "the client assertion must expire within 5 minutes",
            AssertionRefused::NoJti => "the client assertion needs a jti of 1 to 200 characters",
            AssertionRefused::Replayed => "the client assertion's jti was used already",
        }
    }
}

/// Checks a client assertion (RFC 7523 §3) against the client's key at `now`: signed with the
/// algorithm the key is for (whatever the header claims), `iss` and `sub` the client, `aud` one
/// of `audiences`, `exp` not passed and at most 5 minutes away, a `jti`. Returns the `jti`
/// to remember until the assertion expires.
pub(crate) fn verify_assertion(
    assertion: &str,
    key: &PublicJwk,
    client_id: Uuid,
    audiences: &[String],
    now: OffsetDateTime,
) -> Result<AssertionUse, AssertionRefused> {
    // `alg` values jsonwebtoken does not know (`none` among them) fail to parse here.
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AssertionRefused::Malformed)?;
    if header.alg != key.algorithm
        || !matches!(header.typ.as_deref(), None | Some("JWT" | "client-authentication+jwt"))
        || header.crit.is_some()
    {
        return Err(AssertionRefused::Malformed);
    }
    let client = client_id.to_string();
    let mut validation = Validation::new(key.algorithm);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
    validation.set_issuer(&[&client]);
    validation.sub = Some(client);
    validation.set_audience(audiences);
    // Checked below against `now`: the caller's clock, not the library's.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key.key, &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => AssertionRefused::Signature,
            ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => AssertionRefused::Issuer,
            ErrorKind::InvalidAudience => AssertionRefused::Audience,
            ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => AssertionRefused::Audience,
            ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => AssertionRefused::Expired,
            ErrorKind::MissingRequiredClaim(_) => AssertionRefused::Issuer,
            _ => AssertionRefused::Malformed,
        })?
        .claims;
    let now = now.unix_timestamp();
    let seconds = |name: &str| claims.get(name).map(|value| value.as_i64());
    let expires = seconds("exp").flatten().ok_or(AssertionRefused::Expired)?;
    let issued = match seconds("iat") {
        None => None,
        Some(iat) => Some(iat.ok_or(AssertionRefused::Malformed)?),
    };
    let not_before = match seconds("nbf") {
        None => i64::MIN,
        Some(nbf) => nbf.ok_or(AssertionRefused::Expired)?,
    };
    if now > expires.saturating_add(CLOCK_LEEWAY_SECONDS)
        || now.saturating_add(CLOCK_LEEWAY_SECONDS) < not_before
    {
        return Err(AssertionRefused::Expired);
    }
    let too_long = |from: i64| expires.saturating_sub(from) > MAX_ASSERTION_LIFETIME_SECONDS;
    if too_long(now.saturating_add(CLOCK_LEEWAY_SECONDS)) || issued.is_some_and(too_long) {
        return Err(AssertionRefused::TooLong);
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LENGTH)
        .ok_or(AssertionRefused::NoJti)?;
    let remembered_until = expires.saturating_add(CLOCK_LEEWAY_SECONDS);
    let expires_at = OffsetDateTime::from_unix_timestamp(remembered_until)
        .map_err(|_| AssertionRefused::Expired)?;
    Ok(AssertionUse { jti: jti.to_owned(), expires_at })
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

/// The registry as an OAuth 2.0 authorization server (RFC 8414): where and how clients get
/// tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerMetadata {
    /// The issuer: the registry's base URL.
    #[schema(example = "https://hocba.gov.vn")]
    pub issuer: String,
    /// Where tokens are issued.
    #[schema(example = "https://hocba.gov.vn/oauth/token")]
    pub token_endpoint: String,
    /// How clients authenticate there.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The algorithms of `private_key_jwt` client assertions.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// Only `client_credentials`.
    pub grant_types_supported: Vec<&'static str>,
    /// No authorization endpoint: no response types.
    pub response_types_supported: Vec<&'static str>,
    /// The scopes a machine client may be registered with.
    pub scopes_supported: Vec<&'static str>,
    /// The API's documentation.
    pub service_documentation: String,
}

/// The registry's OAuth 2.0 authorization server metadata (RFC 8414).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "clients",
    responses((status = 200, body = AuthorizationServerMetadata)))]
pub async fn authorization_server_metadata(
    State(app): State<AppState>,
) -> Json<AuthorizationServerMetadata> {
    let issuer = app.authority.registry.base_url.clone();
    Json(AuthorizationServerMetadata {
        token_endpoint: format!("{issuer}{TOKEN_PATH}"),
        token_endpoint_auth_methods_supported: vec![
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        token_endpoint_auth_signing_alg_values_supported: vec![
            crate::oidc::algorithm_name(Algorithm::EdDSA),
            crate::oidc::algorithm_name(Algorithm::RS256),
        ],
        grant_types_supported: vec!["client_credentials"],
        response_types_supported: Vec::new(),
        scopes_supported: Scope::ALL.into_iter().map(Scope::as_str).collect(),
        service_documentation: format!("{issuer}/docs"),
        issuer,
    })
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token)).routes(routes!(authorization_server_metadata))
}
