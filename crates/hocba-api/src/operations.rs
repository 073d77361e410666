//! Operations: liveness and the integrity of the audit chain.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;

use crate::auth::Admin;
use crate::{ApiError, AppState, Problem};

/// Whether the registry can serve.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Whether the database answers.
    pub database: &'static str,
    /// Version of the running registry.
    pub version: &'static str,
}

/// Reports whether the registry and its database are up (for load balancers and monitoring).
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn get_health(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    let database_up = app.store.ping().await.is_ok();
    let status = if database_up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let health = Health {
        status: if database_up { "ok" } else { "unavailable" },
        database: if database_up { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
    };
    (status, Json(health))
}

/// The outcome of re-checking every hash and link of the audit chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditChainView {
    /// Events checked.
    pub events: u64,
    /// Hash of the newest event.
    pub head: String,
    /// Whether every link and hash matched.
    pub intact: bool,
    /// The first event that does not match, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken_seq: Option<i64>,
}

/// Re-computes the audit chain, to prove no event was removed or altered (operator only).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = AuditChainView), (status = "4XX", body = Problem)))]
pub async fn verify_audit_chain(
    State(app): State<AppState>,
    _admin: Admin,
) -> Result<Json<AuditChainView>, ApiError> {
    let report = app.store.verify_audit_chain().await?;
    Ok(Json(AuditChainView {
        events: report.events,
        head: report.head,
        intact: report.first_broken.is_none(),
        first_broken_seq: report.first_broken,
    }))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_health)).routes(routes!(verify_audit_chain))
}
