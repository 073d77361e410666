//! A development identity provider, for `serve --demo` and the tests only: an OpenID Connect
//! provider under `/dev-idp/` where anyone picks a demo official and is signed in as them. It
//! is labelled as such on its page, and absent (404) unless the registry runs with `--demo`.
//!
//! It is a real provider as far as Hocba's sign-in can tell: a discovery document, an
//! authorization endpoint, a token endpoint that checks the PKCE verifier and refuses a code
//! presented twice, and Ed25519-signed ID tokens whose keys it publishes as a JWK set. The
//! registry exchanges its codes over HTTP like any other provider's, so the sign-in's
//! production code runs in the demo and the tests.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_credentials::{Signer, keys, multikey};
use hocba_domain::NationalId;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::auth::sha256_hex;
use crate::oidc::IdentityProvider;
use crate::oidc_client::{ProviderEndpoints, WebSignIn, pkce_challenge};
use crate::pages::session::see_other;
use crate::pages::{Layout, Nav, page};

/// The client id the registry has at the development provider.
pub const CLIENT_ID: &str = "hocba-demo";
/// Its key's id.
const KID: &str = "dev-idp-1";
/// How long a code may wait to be exchanged.
const CODE_LIFETIME: Duration = Duration::minutes(2);
/// How long its ID tokens are valid.
const TOKEN_LIFETIME: Duration = Duration::minutes(5);

/// Someone the development provider offers to sign in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    /// Their full name.
    pub name: String,
    /// Their personal identification number (`sub` of the ID token).
    pub national_id: String,
}

/// The development identity provider.
pub struct DevIdp {
    issuer: String,
    redirect_uri: String,
    signer: Signer,
    people: Vec<DemoPerson>,
    /// Codes not yet exchanged, by their hash.
    grants: Mutex<HashMap<String, Grant>>,
}

/// What a code stands for.
#[derive(Debug, Clone)]
struct Grant {
    national_id: String,
    nonce: String,
    challenge: String,
    expires: OffsetDateTime,
}

impl std::fmt::Debug for DevIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIdp").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl DevIdp {
    /// A provider at `{base_url}/dev-idp` for the registry at `base_url`, offering `people`,
    /// with a key of its own made now.
    pub fn new(base_url: &str, people: Vec<DemoPerson>) -> DevIdp {
        let base_url = base_url.trim_end_matches('/');
        DevIdp {
            issuer: format!("{base_url}/dev-idp"),
            redirect_uri: WebSignIn::redirect_uri(base_url),
            signer: Signer::new(keys::generate(), KID.to_owned()),
            people,
            grants: Mutex::default(),
        }
    }

    /// Its discovery document.
    fn discovery(&self) -> Value {
        let issuer = &self.issuer;
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
            "token_endpoint_auth_methods_supported": ["none"],
        })
    }

    fn jwks(&self) -> Value {
        json!({ "keys": [multikey::jwk(&self.signer.public_key(), KID)] })
    }

    /// The registry's view of it: the provider whose ID tokens (and bearer tokens) it trusts.
    pub fn identity_provider(&self) -> Result<IdentityProvider, String> {
        IdentityProvider::new(&self.issuer, CLIENT_ID, &self.jwks())
    }

    /// The registry as its client.
    pub fn web_sign_in(&self, base_url: &str) -> Result<WebSignIn, String> {
        let endpoints = ProviderEndpoints::from_discovery(&self.issuer, &self.discovery())?;
        Ok(WebSignIn::new(CLIENT_ID, None, endpoints, base_url))
    }

    fn sign(&self, claims: &Value) -> String {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": KID });
        let input = format!("{}.{}", encode(&header), encode(claims));
        let signature = self.signer.sign(input.as_bytes()).to_bytes();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn grants(&self) -> std::sync::MutexGuard<'_, HashMap<String, Grant>> {
        self.grants.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Its routes, under `/dev-idp` (the router adds them only with `--demo`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev-idp/.well-known/openid-configuration", get(discovery))
        .route("/dev-idp/jwks", get(jwks))
        .route("/dev-idp/authorize", get(authorize_page).post(authorize))
        .route("/dev-idp/token", axum::routing::post(token))
}

/// The provider, when the registry runs one.
fn provider(app: &AppState) -> Result<&DevIdp, StatusCode> {
    app.dev_idp.as_deref().ok_or(StatusCode::NOT_FOUND)
}

async fn discovery(State(app): State<AppState>) -> Response {
    match provider(&app) {
        Ok(idp) => Json(idp.discovery()).into_response(),
        Err(status) => status.into_response(),
    }
}

async fn jwks(State(app): State<AppState>) -> Response {
    match provider(&app) {
        Ok(idp) => Json(idp.jwks()).into_response(),
        Err(status) => status.into_response(),
    }
}

/// An authorization request, as the query or the picking form carries it.
#[derive(Debug, Default, Deserialize)]
struct AuthorizationRequest {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    /// Who was picked (the form only).
    #[serde(default)]
    national_id: String,
}

impl AuthorizationRequest {
    /// Whether it is a code-flow request of the registry's, with an S256 challenge.
    fn is_valid(&self, idp: &DevIdp) -> bool {
        self.response_type == "code"
            && self.client_id == CLIENT_ID
            && self.redirect_uri == idp.redirect_uri
            && self.code_challenge_method == "S256"
            && self.code_challenge.len() == 43
            && !self.state.is_empty()
            && !self.nonce.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dev_idp.html")]
struct AuthorizePage {
    layout: Layout,
    request: AuthorizationRequest,
    people: Vec<DemoPerson>,
}

/// `GET /dev-idp/authorize`: pick whom to sign in as.
async fn authorize_page(
    State(app): State<AppState>,
    query: Result<Query<AuthorizationRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let idp = match provider(&app) {
        Ok(idp) => idp,
        Err(status) => return status.into_response(),
    };
    let request = query.map(|Query(request)| request).unwrap_or_default();
    if !request.is_valid(idp) {
        return (StatusCode::BAD_REQUEST, "invalid authorization request").into_response();
    }
    let layout = Layout::for_visitor(Nav::SignIn, None);
    page(StatusCode::OK, AuthorizePage { layout, request, people: idp.people.clone() })
}

/// `POST /dev-idp/authorize`: signs the person picked in and sends them back with a code.
async fn authorize(State(app): State<AppState>, body: Bytes) -> Response {
    let idp = match provider(&app) {
        Ok(idp) => idp,
        Err(status) => return status.into_response(),
    };
    let request: AuthorizationRequest = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !request.is_valid(idp) || NationalId::parse_format(request.national_id.trim()).is_err() {
        return (StatusCode::BAD_REQUEST, "invalid authorization request").into_response();
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let code = URL_SAFE_NO_PAD.encode(bytes);
    let grant = Grant {
        national_id: request.national_id.trim().to_owned(),
        nonce: request.nonce,
        challenge: request.code_challenge,
        expires: OffsetDateTime::now_utc() + CODE_LIFETIME,
    };
    idp.grants().insert(sha256_hex(code.as_bytes()), grant);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", &request.state)
        .finish();
    see_other(&format!("{}?{query}", request.redirect_uri))
}

/// A token request.
#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
}

/// `POST /dev-idp/token`: a code, once, with the verifier of its challenge, for an ID token.
async fn token(State(app): State<AppState>, body: Bytes) -> Response {
    let idp = match provider(&app) {
        Ok(idp) => idp,
        Err(status) => return status.into_response(),
    };
    let request: TokenRequest = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let refused = |error: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": error })));
    if request.grant_type != "authorization_code" {
        return refused("unsupported_grant_type").into_response();
    }
    if request.client_id != CLIENT_ID {
        return refused("invalid_client").into_response();
    }
    // A code is spent by its first presentation, right or wrong.
    let grant = idp.grants().remove(&sha256_hex(request.code.as_bytes()));
    let now = OffsetDateTime::now_utc();
    let Some(grant) = grant.filter(|grant| grant.expires > now) else {
        return refused("invalid_grant").into_response();
    };
    if request.redirect_uri != idp.redirect_uri
        || pkce_challenge(&request.code_verifier) != grant.challenge
    {
        return refused("invalid_grant").into_response();
    }
    let id_token = idp.sign(&json!({
        "iss": idp.issuer,
        "aud": CLIENT_ID,
        "sub": grant.national_id,
        "nonce": grant.nonce,
        "iat": now.unix_timestamp(),
        "exp": (now + TOKEN_LIFETIME).unix_timestamp(),
    }));
    Json(json!({
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.whole_seconds(),
    }))
    .into_response()
}
