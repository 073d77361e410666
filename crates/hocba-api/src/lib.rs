//! The registry's HTTP interface: axum routers, authentication extractors, problem+json errors
//! and the OpenAPI description generated from the handlers themselves.
//!
//! Handlers are thin: they extract, call one domain parse and one store use case, and shape the
//! answer. This crate never contains SQL and never decides a rule.

mod agencies;
pub mod auth;
mod authority;
mod batch;
mod catalog;
mod certificates;
mod clients;
mod error;
mod extract;
mod idempotency;
mod institutions;
mod limits;
mod officials;
pub mod oidc;
mod operations;
mod publication;
mod server;
mod verification;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::Response;
use hocba_store::Store;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use authority::{ActiveSigner, Authority};
pub use certificates::{issue as issue_certificate, post as post_completion};
pub use error::{ApiError, Problem};
pub use limits::{
    Attempt, CLIENT_FAILURE_BURST, ClientSecretGuard, RateLimiter, SOURCE_FAILURE_BURST,
};
pub use server::{ConnectionLimits, serve};

/// The largest request body any endpoint accepts (64 KiB); bulk endpoints raise it for themselves.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The registry's database.
    pub store: Store,
    /// The registry's identity and signing keys.
    pub authority: std::sync::Arc<Authority>,
    /// Requests per credential.
    pub limiter: std::sync::Arc<RateLimiter>,
    /// Failed token requests per client and per address, and the pool checking client secrets.
    pub client_secrets: std::sync::Arc<ClientSecretGuard>,
    /// Where officials sign in, when configured.
    pub identity_provider: Option<std::sync::Arc<oidc::IdentityProvider>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hocba",
        description = "National registry of Vietnamese public officials' training records, with \
                       verifiable certificates. Errors are RFC 9457 problem documents.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "officials", description = "Officials and their employment history"),
        (name = "institutions", description = "Training institutions and their accreditation"),
        (name = "agencies", description = "HR departments' API keys: each reads its own staff's records"),
        (name = "catalog", description = "Programme categories, programmes and classes"),
        (name = "certificates", description = "Completions and their certificates"),
        (name = "verification", description = "Verifying certificates; the registry's keys and status lists"),
        (name = "vc-api", description = "W3C CCG Verifiable Credentials API"),
        (name = "operations", description = "Health and audit")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations::routes())
        .merge(publication::routes())
        .merge(verification::routes())
        .merge(clients::oauth_routes())
        .nest(
            "/api/v1",
            officials::routes()
                .merge(institutions::routes())
                .merge(catalog::routes())
                .merge(certificates::routes())
                .merge(batch::routes())
                .merge(clients::api_routes())
                .merge(agencies::routes()),
        )
}

/// The OpenAPI description of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The whole application: API, `/openapi.json`, Swagger UI at `/docs`.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = routes().split_for_parts();
    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            // The span names the matched route, never the raw URI, which may hold an identifier.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_request(())
                .on_response(|response: &Response<_>, latency: Duration, _span: &Span| {
                    if let Some(cause) = response.extensions().get::<error::InternalCause>() {
                        tracing::error!(status = response.status().as_u16(), ?latency, cause = %cause.0, "request failed");
                    } else {
                        tracing::info!(status = response.status().as_u16(), ?latency, "request");
                    }
                }),
        )
        .with_state(state)
}
