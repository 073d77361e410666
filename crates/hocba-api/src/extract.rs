//! Extractors whose rejections are [`ApiError`]s, so that every malformed request gets
//! problem+json naming the field, never axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ApiError;

/// A JSON body. Unknown fields, wrong types and missing fields are reported with their path.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(request, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body with the SHA-256 (hex) of its bytes, to recognise a retried request.
pub struct DigestedJson<T> {
    /// The body.
    pub value: T,
    /// SHA-256 of the body as sent.
    pub digest: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for DigestedJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(request, state).await?;
        let digest = crate::auth::sha256_hex(&bytes);
        Ok(DigestedJson { value: parse_json(&bytes)?, digest })
    }
}

/// The bytes of an `application/json` body within the route's size limit.
async fn json_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedBody {
                field: None,
                reason: rejection.body_text(),
                status: StatusCode::BAD_REQUEST,
            }
        }
    })
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserializes `bytes`, turning serde's error into one that names the field.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let status = match inner.classify() {
            serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        let reason = strip_position(&inner.to_string());
        ApiError::MalformedBody { field: field_of(&path, &reason), reason, status }
    })?;
    deserializer.end().map_err(|error| ApiError::MalformedBody {
        field: None,
        reason: strip_position(&error.to_string()),
        status: StatusCode::BAD_REQUEST,
    })?;
    Ok(value)
}

/// Deserializes one already-parsed JSON value (a row of a batch), naming the offending field.
pub(crate) fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let reason = strip_position(&error.into_inner().to_string());
        ApiError::MalformedBody {
            field: field_of(&path, &reason),
            reason,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    })
}

/// The path of the offending field. serde puts an unknown field in the path but names a missing
/// one only in its message, so a missing field's name is lifted from the message.
fn field_of(path: &str, reason: &str) -> Option<String> {
    let parent = (path != ".").then_some(path);
    let missing = reason.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (parent, missing) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (parent, None) => parent.map(str::to_owned),
    }
}

fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

/// A path parameter (a record id).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let rejection = match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => return Ok(Path(value)),
            Err(rejection) => rejection,
        };
        let keyed = match &rejection {
            PathRejection::FailedToDeserializePathParams(error) => match error.kind() {
                ErrorKind::ParseErrorAtKey { key, .. }
                | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
                _ => None,
            },
            _ => None,
        };
        let field = match keyed {
            Some(key) => key,
            // A lone parameter is parsed without its key; name it from the route.
            None => match RawPathParams::from_request_parts(parts, state).await {
                Ok(params) if params.iter().count() == 1 => {
                    params.iter().map(|(key, _)| key.to_owned()).collect()
                }
                _ => "path".to_owned(),
            },
        };
        Err(ApiError::BadParameter { field, reason: rejection.body_text() })
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|error| {
            let path = error.path().to_string();
            let reason = error.into_inner().to_string();
            ApiError::BadParameter {
                field: field_of(&path, &reason).unwrap_or_else(|| "query".to_owned()),
                reason,
            }
        })
    }
}

/// The largest page a list returns.
pub const MAX_PAGE: u64 = 200;
const DEFAULT_PAGE: u64 = 50;

/// Which page of a list to return.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Opaque cursor from the previous page's `next_cursor`.
    // The pattern of what `PageOf::from_page` encodes, here and in each list's parameters: 16
    // bytes in unpadded base64url, 21 characters and one whose last four bits are zero.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl PageParams {
    /// Decodes the cursor and checks the limit.
    pub fn request(&self) -> Result<hocba_store::PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::BadParameter {
                field: "limit".to_owned(),
                reason: format!("must be between 1 and {MAX_PAGE}"),
            });
        }
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(hocba_store::PageRequest { after, limit })
    }
}

fn decode_cursor(cursor: &str) -> Result<Uuid, ApiError> {
    let bad = || ApiError::BadParameter {
        field: "cursor".to_owned(),
        reason: "is not a cursor this API returned".to_owned(),
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    /// The records, oldest first.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> PageOf<T> {
    /// Converts a store page, encoding its cursor.
    pub fn from_page<R>(page: hocba_store::Page<R>, view: impl FnMut(R) -> T) -> Self {
        PageOf {
            items: page.items.into_iter().map(view).collect(),
            next_cursor: page.next.map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    fn field(body: &str) -> (Option<String>, StatusCode) {
        match parse_json::<Outer>(body.as_bytes()) {
            Err(ApiError::MalformedBody { field, status, .. }) => (field, status),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_nested_fields_of_the_wrong_type() {
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":"x"}}"#),
            (Some("inner.count".into()), StatusCode::UNPROCESSABLE_ENTITY)
        );
    }

    #[test]
    fn names_missing_and_unknown_fields() {
        assert_eq!(field(r#"{"inner":{"count":1}}"#).0.as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":1,"extra":2}}"#).0.as_deref(),
            Some("inner.extra")
        );
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert_eq!(field(r#"{"name":"#).1, StatusCode::BAD_REQUEST);
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":1}} trailing"#).1,
            StatusCode::BAD_REQUEST
        );
    }
}
