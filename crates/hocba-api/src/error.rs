//! `ApiError`, the HTTP layer's one error type, and its single mapping to RFC 9457
//! `application/problem+json`.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hocba_domain::Invalid;
use hocba_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields are invalid.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The body is not the JSON the endpoint takes.
    #[error("{reason}")]
    MalformedBody {
        /// Path of the offending field, when known.
        field: Option<String>,
        /// What is wrong.
        reason: String,
        /// 400 for broken JSON, 422 for JSON of the wrong shape.
        status: StatusCode,
    },
    /// JSON of the wrong shape in more than one field: every one of them.
    #[error("{} fields are of the wrong shape", .0.len())]
    WrongShape(Vec<crate::shape::Finding>),
    /// A path or query parameter is malformed.
    #[error("{field}: {reason}")]
    BadParameter {
        /// The parameter.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The body is not `application/json`.
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the endpoint accepts.
    #[error("the body is larger than this endpoint accepts")]
    PayloadTooLarge,
    /// No valid credentials.
    #[error("a valid bearer token is required")]
    Unauthenticated,
    /// Valid credentials that do not allow this.
    #[error("this token may not do that")]
    Forbidden,
    /// A machine client's token without the scope this needs.
    #[error("this token lacks the scope {0}, which this request needs")]
    InsufficientScope(hocba_store::Scope),
    /// A valid identity-provider token of a person the registry has no record of: they signed
    /// in, but there is no official to act as (unlike a forged or expired token, a 401).
    #[error("you are signed in, but the registry has no official with your personal ID number")]
    OfficialNotRegistered,
    /// No such route.
    #[error("no such resource")]
    NoRoute,
    /// The route exists, but not for this method.
    #[error("method not allowed on this resource")]
    MethodNotAllowed,
    /// An OAuth 2.0 token request failed (RFC 6749 §5.2 `error` code).
    #[error("{description}")]
    OAuth {
        /// `invalid_request`, `invalid_client` or `unsupported_grant_type`.
        error: &'static str,
        /// What went wrong.
        description: &'static str,
    },
    /// Too many requests from one credential.
    #[error("too many requests; retry after {retry_after_seconds} s")]
    RateLimited {
        /// Seconds to wait (the `Retry-After` header).
        retry_after_seconds: u64,
    },
    /// Too many requests at once for the server: checks of client secrets are queued no further.
    #[error("the server is busy; retry after {retry_after_seconds} s")]
    Busy {
        /// Seconds to wait (the `Retry-After` header).
        retry_after_seconds: u64,
    },
    /// The request's body did not arrive in time; the connection is closed.
    #[error("the request body did not arrive within {seconds} s")]
    BodyTimeout {
        /// The time a body is given, from the end of the request's headers.
        seconds: u64,
    },
    /// An `Idempotency-Key` already answered a different request.
    #[error("this Idempotency-Key was used for a different request; use a new key")]
    IdempotencyKeyReused,
    /// No key may sign: every key was retired or revoked.
    #[error("the registry has no active signing key; an operator must run `hocba keys rotate`")]
    NoSigningKey,
    /// The registry cannot serve yet: these checks of `GET /health/ready` failed.
    #[error("the registry is not ready: {}", .0.iter().map(|check| check.0).collect::<Vec<_>>().join(", "))]
    NotReady(Vec<(&'static str, &'static str)>),
    /// A certificate's JWS was never made, and the key that signed the certificate has been
    /// revoked since, so it may sign nothing more (the certificate no longer verifies anyway).
    #[error("the key that signed this certificate has been revoked; its JWS form cannot be made")]
    JwsUnavailable,
    /// A transcript embeds at least one certificate (CLR 2.0's `ClrSubject` requires one), and
    /// the official holds none in force.
    #[error("the official holds no certificate in force, and a transcript embeds at least one")]
    NoCertificates,
    /// A credential-layer failure on our side (key file, encoding).
    #[error("{0}")]
    Internal(String),
    /// A credential that breaks the VC data model.
    #[error("{0}")]
    Model(#[from] hocba_credentials::ModelViolation),
    /// A credential to sign that is not JSON-LD Hocba can read (an undefined term, an invalid
    /// value, a context it does not bundle), so no `eddsa-rdfc-2022` proof can cover it.
    #[error("the credential is not valid JSON-LD: {0}")]
    NotJsonLd(String),
    /// A store failure; the 5xx ones are opaque to the client.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            // Fields the store found invalid against stored facts are reported as any others.
            StoreError::Invalid(invalid) => ApiError::Invalid(invalid),
            error => ApiError::Store(error),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI of the problem type: `urn:hocba:problem:` followed by `code`.
    #[serde(rename = "type")]
    #[schema(example = "urn:hocba:problem:validation-failed")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Stable machine-readable code, for scripts.
    #[schema(example = "validation-failed")]
    pub code: String,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The invalid fields, when the problem is about the input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a failed OAuth 2.0 token request: the RFC 6749 error code, where OAuth libraries look.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// For `insufficient-scope`: the scope the request needs (RFC 6750 §3.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "records:read")]
    pub scope: Option<&'static str>,
    /// For `duplicate-completion`: the number of the certificate already issued for the
    /// completion (the caller's own record), so that a re-run import can report the row as
    /// already recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub existing_certificate: Option<String>,
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Dotted path of the field in the input (`employment.valid_from`, `rows.3.national_id`).
    #[schema(example = "national_id")]
    pub field: String,
    /// Stable code of the rule it breaks.
    #[schema(example = "national-id-invalid")]
    pub code: String,
    /// The rule, in words.
    #[schema(example = "digit 4 does not match the century of birth and the sex")]
    pub reason: String,
}

/// When a client should try again after the database was out of reach: a PostgreSQL restart
/// takes a few seconds, and the pool reconnects on the next request after it.
const DATABASE_RETRY_AFTER_SECONDS: u64 = 2;

/// The cause of a 5xx, carried to the logging middleware in a response extension so that it is
/// logged once, inside the request's span.
#[derive(Debug, Clone)]
pub struct InternalCause(pub Arc<String>);

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
            ApiError::MalformedBody { status, .. } => (*status, "malformed-body"),
            ApiError::WrongShape(_) => (StatusCode::UNPROCESSABLE_ENTITY, "malformed-body"),
            ApiError::BadParameter { .. } => (StatusCode::BAD_REQUEST, "bad-parameter"),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
            }
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient-scope"),
            ApiError::OfficialNotRegistered => (StatusCode::FORBIDDEN, "official-not-registered"),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not-found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"),
            ApiError::NoSigningKey => (StatusCode::SERVICE_UNAVAILABLE, "no-signing-key"),
            ApiError::JwsUnavailable => (StatusCode::GONE, "jws-unavailable"),
            ApiError::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not-ready"),
            ApiError::NoCertificates => (StatusCode::CONFLICT, "no-certificates"),
            ApiError::IdempotencyKeyReused => (StatusCode::CONFLICT, "idempotency-key-reused"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
            ApiError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::BodyTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "request-timeout"),
            ApiError::OAuth { error: "invalid_client", .. } => {
                (StatusCode::UNAUTHORIZED, "invalid-client")
            }
            ApiError::OAuth { .. } => (StatusCode::BAD_REQUEST, "invalid-token-request"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Model(_) => (StatusCode::UNPROCESSABLE_ENTITY, "credential-invalid"),
            ApiError::NotJsonLd(_) => (StatusCode::UNPROCESSABLE_ENTITY, "credential-not-json-ld"),
            ApiError::Store(error) => match error {
                StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found"),
                StoreError::Conflict { .. } => (StatusCode::CONFLICT, "already-exists"),
                StoreError::UnknownReference { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference")
                }
                StoreError::NotAccredited { .. } => {
                    (StatusCode::FORBIDDEN, "institution-not-accredited")
                }
                StoreError::Rule { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "rule-violated"),
                StoreError::IdentityMismatch => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "identity-mismatch")
                }
                StoreError::IdentityRefusalsSpent { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "identity-refusals-spent")
                }
                StoreError::DuplicateCompletion { .. } => {
                    (StatusCode::CONFLICT, "duplicate-completion")
                }
                StoreError::NoConsent(refusal) => (StatusCode::FORBIDDEN, refusal.code()),
                StoreError::Unavailable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "database-unavailable")
                }
                // Not the caller's fault, nor a bug: the same request succeeds once an operator
                // has freed space (RFC 4918 §11.5: the server cannot store what the request
                // needs stored).
                StoreError::StorageFull => (StatusCode::INSUFFICIENT_STORAGE, "storage-full"),
                StoreError::EventsPruned { .. } => (StatusCode::GONE, "events-pruned"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
        }
    }

    fn field_problems(&self) -> Vec<FieldProblem> {
        let one = |field: &str, code: &str, reason: String| {
            vec![FieldProblem { field: field.to_owned(), code: code.to_owned(), reason }]
        };
        match self {
            ApiError::Invalid(invalid) => invalid
                .0
                .iter()
                .map(|error| FieldProblem {
                    field: error.field.clone(),
                    code: error.violation.code().to_owned(),
                    reason: error.violation.to_string(),
                })
                .collect(),
            ApiError::MalformedBody { field: Some(field), reason, .. } => {
                one(field, "malformed", reason.clone())
            }
            ApiError::WrongShape(findings) => findings
                .iter()
                .map(|finding| FieldProblem {
                    field: finding.field.clone(),
                    code: "malformed".to_owned(),
                    reason: finding.reason.clone(),
                })
                .collect(),
            ApiError::BadParameter { field, reason } => one(field, "bad-parameter", reason.clone()),
            ApiError::Store(StoreError::Conflict { field }) => {
                one(field, "already-exists", "is already registered".to_owned())
            }
            ApiError::Store(StoreError::UnknownReference { field, entity }) => {
                one(field, "unknown-reference", format!("refers to no existing {entity}"))
            }
            // The number is what the registry looked up; any of the three may be the one
            // mistyped, and the answer does not say which.
            ApiError::Store(StoreError::IdentityMismatch) => one(
                "national_id",
                "identity-mismatch",
                "with full_name and date_of_birth, matches no registered official: check all \
                 three against the person's citizen identity card"
                    .to_owned(),
            ),
            ApiError::Store(StoreError::Rule { field, reason }) => {
                one(field, "rule-violated", reason.clone())
            }
            ApiError::Store(StoreError::EventsPruned { .. }) => one(
                "after",
                "events-pruned",
                "the events after this cursor are no longer kept: start again without `after` \
                 (the oldest event kept) and read the current state of what you follow"
                    .to_owned(),
            ),
            ApiError::Model(violation) => {
                one(&violation.path, "data-model", violation.rule.to_owned())
            }
            ApiError::NotJsonLd(reason) => one("credential", "json-ld", reason.clone()),
            ApiError::NotReady(failed) => failed
                .iter()
                .map(|(check, reason)| FieldProblem {
                    field: (*check).to_owned(),
                    code: "unavailable".to_owned(),
                    reason: (*reason).to_owned(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A failure on our side whose cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl ApiError {
    /// Whether the problem document says what happened: it does for the caller's own errors, and
    /// for a full storage, whose words name no internals and tell the caller what to do; other
    /// server errors stay opaque (their cause is logged).
    fn shows_detail(&self, status: StatusCode) -> bool {
        !status.is_server_error() || matches!(self, ApiError::Store(StoreError::StorageFull))
    }

    /// How many seconds a client should wait before it tries again, when waiting helps.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_seconds }
            | ApiError::Busy { retry_after_seconds } => Some(*retry_after_seconds),
            ApiError::Store(StoreError::Unavailable(_)) => Some(DATABASE_RETRY_AFTER_SECONDS),
            ApiError::Store(StoreError::IdentityRefusalsSpent { retry_after_seconds, .. }) => {
                Some(*retry_after_seconds)
            }
            _ => None,
        }
    }

    /// The problem document of this error (also one rejected row of a batch).
    pub fn problem(&self) -> Problem {
        let (status, code) = self.status_and_code();
        Problem {
            problem_type: format!("urn:hocba:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: self.shows_detail(status).then(|| self.to_string()),
            errors: self.field_problems(),
            error: match self {
                ApiError::OAuth { error, .. } => Some(error),
                _ => None,
            },
            scope: match self {
                ApiError::InsufficientScope(scope) => Some(scope.as_str()),
                _ => None,
            },
            existing_certificate: match self {
                ApiError::Store(StoreError::DuplicateCompletion {
                    certificate: Some(number),
                    ..
                }) => Some(number.to_string()),
                _ => None,
            },
        }
    }
}

/// Sets `Retry-After` on an answer, in seconds, when there is a wait to tell.
pub(crate) fn set_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        set_retry_after(&mut response, self.retry_after());
        if let ApiError::BodyTimeout { .. } = self {
            // The rest of the body may still come; the connection cannot carry another request.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let ApiError::InsufficientScope(scope) = self
            && let Ok(value) = HeaderValue::from_str(&format!(
                "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                scope.as_str()
            ))
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A busy server is not a fault: under a flood, one error line per refusal would flood
        // the log too.
        if status.is_server_error() && !matches!(self, ApiError::Busy { .. }) {
            response.extensions_mut().insert(InternalCause(Arc::new(self.to_string())));
        }
        response
    }
}
