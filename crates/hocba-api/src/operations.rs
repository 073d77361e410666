//! Operations: liveness, readiness and the integrity of the audit chain.

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

/// A registry ready to serve.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: &'static str,
    /// The checks made, each passed: `database`, `signing_key`.
    pub checks: Vec<&'static str>,
}

/// Reports whether the registry can do its work (for a load balancer's or an orchestrator's
/// readiness probe): the database answers a query, and the active signing key is loaded, is the
/// one published, and signs. `503` names each check that failed in `errors[].field`. `/health`
/// stays the liveness probe.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, body = Problem)))]
pub async fn get_ready(State(app): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let mut failed = Vec::new();
    if app.store.ping().await.is_err() {
        failed.push(("database", "the database does not answer"));
    }
    if let Err(reason) = signing_key_works(&app).await {
        failed.push(("signing_key", reason));
    }
    if failed.is_empty() {
        Ok(Json(Ready { status: "ready", checks: vec!["database", "signing_key"] }))
    } else {
        Err(ApiError::NotReady(failed))
    }
}

/// Signs a probe with the loaded key and checks the signature against the active key the
/// registry publishes: a key file that does not match, or no active key, fails.
async fn signing_key_works(app: &AppState) -> Result<(), &'static str> {
    const NO_KEY: &str = "no active signing key; an operator must run `hocba keys rotate`";
    let keys = app.store.signing_keys().await.map_err(|_| "the signing keys cannot be read")?;
    let active = keys
        .into_iter()
        .find(|key| key.status == hocba_credentials::keys::KeyStatus::Active)
        .ok_or(NO_KEY)?;
    let mut loaded = app.authority.signer(&app.store).await.map_err(|_| NO_KEY)?;
    if loaded.kid != active.kid {
        // Rotated by another process since this one loaded its key.
        app.authority.forget();
        loaded = app.authority.signer(&app.store).await.map_err(|_| NO_KEY)?;
    }
    let published = hocba_credentials::multikey::from_multikey(&active.public_key)
        .map_err(|_| "the published signing key is corrupt")?;
    const PROBE: &[u8] = b"hocba readiness probe";
    let signature = loaded.signer.sign(PROBE);
    published
        .verify_strict(PROBE, &signature)
        .map_err(|_| "the loaded signing key does not match the published one")
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
    OpenApiRouter::new()
        .routes(routes!(get_health))
        .routes(routes!(get_ready))
        .routes(routes!(verify_audit_chain))
}
