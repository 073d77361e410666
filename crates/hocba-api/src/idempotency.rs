//! The `Idempotency-Key` request header on the endpoints that post completions.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hocba_domain::InstitutionId;
use hocba_store::{IdempotencyKey, Replay, Store, StoreError};
use serde::Serialize;

use crate::ApiError;

/// The header, as clients send it.
pub(crate) const HEADER: &str = "Idempotency-Key";

/// What to do with a request that may carry a key.
pub(crate) enum Keyed {
    /// Process it (and remember the answer under the key, if any).
    Process(Option<IdempotencyKey>),
    /// Answered before: send this again.
    Replay(Response),
}

/// Reads the key (1–255 visible ASCII characters) and looks for an earlier answer. Keys are
/// per institution; the route and the body's digest tell a retry from a different request.
pub(crate) async fn check(
    store: &Store,
    headers: &HeaderMap,
    institution: InstitutionId,
    route: &str,
    body_digest: &str,
) -> Result<Keyed, ApiError> {
    let Some(value) = headers.get(HEADER) else { return Ok(Keyed::Process(None)) };
    let key = value
        .to_str()
        .ok()
        .filter(|key| (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| ApiError::BadParameter {
            field: HEADER.into(),
            reason: "must be 1 to 255 visible ASCII characters".into(),
        })?;
    let key = IdempotencyKey {
        scope: format!("institution:{institution}"),
        key: key.to_owned(),
        request_hash: crate::auth::sha256_hex(format!("{route}\n{body_digest}").as_bytes()),
    };
    match store.replay(&key).await? {
        Replay::Fresh => Ok(Keyed::Process(Some(key))),
        Replay::Answered { status, body } => Ok(Keyed::Replay(json_response((status, body)))),
        Replay::Mismatch => Err(ApiError::IdempotencyKeyReused),
    }
}

/// What to answer a keyed request whose processing failed.
///
/// Requests with one key sent at once all find no answer before they start; the first to commit
/// stores its answer, and the others then fail on the stored key or on the completion it
/// recorded. On SQLite they wait for the write lock and on PostgreSQL for the key's unique
/// index, so either way the first answer is stored by then: a request with the same body gets
/// that answer (as a later retry would), one with another body `idempotency-key-reused`. With
/// no answer stored, the failure was this request's own.
pub(crate) async fn first_answer_or(
    store: &Store,
    key: Option<&IdempotencyKey>,
    failure: ApiError,
) -> Result<Response, ApiError> {
    let Some(key) = key else { return Err(failure) };
    // The database out of reach: looking the key up would wait out the connection timeout once
    // more before the same 503. A retry with the key gets the first answer, if there was one.
    if matches!(failure, ApiError::Store(StoreError::Unavailable(_))) {
        return Err(failure);
    }
    match store.replay(key).await? {
        Replay::Fresh => Err(failure),
        Replay::Answered { status, body } => Ok(json_response((status, body))),
        Replay::Mismatch => Err(ApiError::IdempotencyKeyReused),
    }
}

/// An answer rendered once, stored and sent byte for byte the same.
pub(crate) fn render<T: Serialize>(status: StatusCode, view: &T) -> (u16, String) {
    match serde_json::to_string(view) {
        Ok(body) => (status.as_u16(), body),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR.as_u16(), "{}".to_owned()),
    }
}

/// A rendered answer as a response.
pub(crate) fn json_response((status, body): (u16, String)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
