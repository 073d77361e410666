//! What the registry publishes for verifiers: its DID document and JWKS, its keys, its JSON-LD
//! context and its signed revocation status lists. All public, all cacheable.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hocba_credentials::certificate;
use hocba_credentials::contexts::HOCBA_DOCUMENT;
use hocba_credentials::data_integrity::xsd_date_time;
use hocba_credentials::{Bitstring, Cryptosuite, KeyStatus, multikey, status};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::Path;
use crate::{ApiError, AppState, Problem};

/// `application/vc` for clients that ask for it; plain `application/json` otherwise, which
/// every JSON-LD document loader and HTTP library reads as JSON.
pub(crate) fn credential_media_type(headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).unwrap_or("");
    if accept.split(',').any(|range| range.trim().starts_with("application/vc")) {
        "application/vc"
    } else {
        "application/json"
    }
}

fn json_as(content_type: &'static str, value: &impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_string(value).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The registry's `did:web` DID document: every key as a `Multikey`, revoked ones marked.
#[utoipa::path(get, path = "/.well-known/did.json", tag = "verification",
    responses((status = 200, content_type = "application/did+json", body = Object)))]
pub async fn did_document(State(app): State<AppState>) -> Result<Response, ApiError> {
    let keys = app.authority.key_set(&app.store).await?;
    json_as("application/did+json", &keys.did_document())
}

/// The registry's keys as a JWK set (for JOSE libraries), without revoked keys.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "verification",
    responses((status = 200, content_type = "application/jwk-set+json", body = Object)))]
pub async fn jwks(State(app): State<AppState>) -> Result<Response, ApiError> {
    let keys = app.authority.key_set(&app.store).await?;
    json_as("application/jwk-set+json", &keys.jwks())
}

/// Hocba's JSON-LD context (the terms Open Badges 3.0 lacks).
#[utoipa::path(get, path = "/contexts/v1.jsonld", tag = "verification",
    responses((status = 200, content_type = "application/ld+json", body = Object)))]
pub async fn context() -> Response {
    ([(header::CONTENT_TYPE, "application/ld+json")], HOCBA_DOCUMENT).into_response()
}

/// One of the registry's signing keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Key id (RFC 7638 thumbprint).
    pub kid: String,
    /// `active`, `retired` or `revoked`.
    pub status: KeyStatus,
    /// Verification method in the registry's DID document.
    pub verification_method: String,
    /// The same key as a `did:key` DID.
    pub did_key: String,
    /// Multikey `publicKeyMultibase`.
    pub public_key_multibase: String,
}

/// The registry's keys, oldest first.
#[utoipa::path(get, path = "/api/v1/keys", tag = "verification",
    responses((status = 200, body = [KeyView])))]
pub async fn list_keys(State(app): State<AppState>) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let keys = app.authority.key_set(&app.store).await?;
    let views = keys
        .keys
        .iter()
        .map(|key| KeyView {
            kid: key.kid.clone(),
            status: key.status,
            verification_method: keys.method_id(&key.kid),
            did_key: multikey::did_key(&key.public_key),
            public_key_multibase: multikey::multikey(&key.public_key),
        })
        .collect();
    Ok(axum::Json(views))
}

/// The key that signs now.
#[utoipa::path(get, path = "/api/v1/keys/active", tag = "verification",
    responses((status = 200, body = KeyView), (status = "5XX", body = Problem)))]
pub async fn active_key(State(app): State<AppState>) -> Result<axum::Json<KeyView>, ApiError> {
    let active = app.authority.signer(&app.store).await?;
    let public_key = active.signer.public_key();
    Ok(axum::Json(KeyView {
        kid: active.kid.clone(),
        status: KeyStatus::Active,
        verification_method: active.signer.method().to_owned(),
        did_key: multikey::did_key(&public_key),
        public_key_multibase: multikey::multikey(&public_key),
    }))
}

/// A signed Bitstring Status List credential: bit `i` set means the certificate with
/// `statusListIndex` `i` is revoked. `application/vc` when asked for, `application/json`
/// otherwise.
#[utoipa::path(get, path = "/status-lists/{list}", tag = "verification",
    params(("list" = i32, Path, description = "Status list number")),
    responses((status = 200, content((Object = "application/vc"), (Object = "application/json"))),
        (status = "4XX", body = Problem)))]
pub async fn status_list(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(list): Path<i32>,
) -> Result<Response, ApiError> {
    if !app.store.status_list_exists(list).await? {
        return Err(ApiError::NoRoute);
    }
    let mut bits = Bitstring::new(hocba_domain::STATUS_LIST_SIZE as usize);
    for index in app.store.revoked_indices(list).await? {
        bits.set(index as usize).map_err(ApiError::internal)?;
    }
    let registry = &app.authority.registry;
    let now = time::OffsetDateTime::now_utc();
    let unsigned = status::list_credential(
        &registry.status_list_url(list),
        &registry.did,
        &xsd_date_time(now),
        &bits,
    );
    let active = app.authority.signer(&app.store).await?;
    let signed = certificate::secure(unsigned, &active.signer, Cryptosuite::ALL, now)
        .map_err(ApiError::internal)?;
    json_as(credential_media_type(&headers), &signed)
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(did_document))
        .routes(routes!(jwks))
        .routes(routes!(context))
        .routes(routes!(list_keys))
        .routes(routes!(active_key))
        .routes(routes!(status_list))
}
