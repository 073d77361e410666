//! The registry's HTTP interface: axum routers, authentication extractors, problem+json errors
//! and the OpenAPI description generated from the handlers themselves.
//!
//! Handlers are thin: they extract, call one domain parse and one store use case, and shape the
//! answer. This crate never contains SQL and never decides a rule.

mod agencies;
mod audit_log;
pub mod auth;
mod authority;
mod batch;
mod catalog;
mod certificates;
mod clients;
mod consents;
mod cpu;
pub mod dev_idp;
mod error;
pub mod events;
mod extract;
mod idempotency;
mod institutions;
mod kept_compliance;
mod kept_tokens;
mod limits;
mod machine_clients;
mod metrics;
pub mod oauth;
mod officials;
pub mod oidc;
pub mod oidc_client;
mod operations;
mod pages;
mod pdf;
pub mod population;
mod publication;
mod record;
mod reports;
mod results;
mod server;
mod shape;
mod shared_reads;
mod shares;
mod standards;
mod verdicts;
mod verification;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Response, StatusCode};
use hocba_store::Store;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::openapi::security::{
    ClientCredentials, Flow, Http, HttpAuthScheme, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{Content, RefOr, Response as ResponseDoc};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use authority::{ActiveSigner, Authority};
pub use certificates::{issue as issue_certificate, post as post_completion, write_population};
pub use cpu::CpuPool;
pub use error::{ApiError, Problem};
pub use kept_compliance::KeptCompliance;
pub use kept_tokens::KeptTokens;
pub use limits::{
    Attempt, CLIENT_FAILURE_BURST, ClientSecretGuard, RateLimiter, SOURCE_FAILURE_BURST,
};
pub use machine_clients::{
    AuthMethod, MachineClientBody, MachineClientView, NewMachineClientView, register_machine_client,
};
pub use metrics::{Served, metrics_app};
pub use server::{ConnectionLimits, serve};
pub use verdicts::KeptVerdicts;

/// The largest request body any endpoint accepts (64 KiB); bulk endpoints raise it for themselves.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach: the [`AppServices`], shared. Each request clones one
/// reference to them rather than one to each service, every clone being a count the cores pass
/// back and forth (about 5 % of a kept verification's time).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<AppServices>);

impl std::ops::Deref for AppState {
    type Target = AppServices;

    fn deref(&self) -> &AppServices {
        &self.0
    }
}

impl From<AppServices> for AppState {
    fn from(services: AppServices) -> Self {
        AppState(std::sync::Arc::new(services))
    }
}

impl AppState {
    /// The registry's services as [`AppServices::new`] sets them up.
    pub fn new(
        store: Store,
        authority: impl Into<std::sync::Arc<Authority>>,
        rate_limit: u32,
    ) -> AppState {
        AppServices::new(store, authority, rate_limit).into()
    }
}

/// The registry's services: its database, keys, limits, sign-in and what it keeps.
pub struct AppServices {
    /// The registry's database.
    pub store: Store,
    /// The registry's identity and signing keys.
    pub authority: std::sync::Arc<Authority>,
    /// Requests per credential.
    pub limiter: std::sync::Arc<RateLimiter>,
    /// Failed token requests per client and per address, and the pool checking client secrets.
    pub client_secrets: std::sync::Arc<ClientSecretGuard>,
    /// Where officials sign in, when configured: whose tokens (API bearer tokens, the pages'
    /// ID tokens) are trusted.
    pub identity_provider: Option<std::sync::Arc<oidc::IdentityProvider>>,
    /// The registry as the provider's client, for officials' sign-in to the pages (its
    /// endpoints known): `None` leaves only bearer tokens.
    pub web_sign_in: Option<std::sync::Arc<oidc_client::WebSignIn>>,
    /// The development identity provider (`serve --demo` only); `None`: `/dev-idp/` is 404.
    pub dev_idp: Option<std::sync::Arc<dev_idp::DevIdp>>,
    /// The holders of the API tokens this process has checked, kept while no token changes.
    pub tokens: std::sync::Arc<KeptTokens>,
    /// Verdicts this process has worked out, kept while the database says they hold.
    pub verdicts: std::sync::Arc<KeptVerdicts>,
    /// Officials' compliance this process has evaluated, kept while the records are unchanged.
    pub compliance: std::sync::Arc<KeptCompliance>,
    /// Where credentials are verified and signed and PDFs rendered, a few threads per core.
    pub cpu: std::sync::Arc<CpuPool>,
    /// Where webhooks may be sent: public addresses, and the networks the operator allows.
    pub webhook_policy: std::sync::Arc<hocba_domain::webhooks::AddressPolicy>,
}

impl AppServices {
    /// The registry around `store`, signing with `authority`, allowing `rate_limit` requests a
    /// second per credential, with no sign-in set up (`serve` adds the provider it is given).
    pub fn new(
        store: Store,
        authority: impl Into<std::sync::Arc<Authority>>,
        rate_limit: u32,
    ) -> AppServices {
        AppServices {
            store,
            authority: authority.into(),
            limiter: std::sync::Arc::new(RateLimiter::new(rate_limit)),
            client_secrets: std::sync::Arc::default(),
            identity_provider: None,
            web_sign_in: None,
            dev_idp: None,
            tokens: std::sync::Arc::default(),
            verdicts: std::sync::Arc::default(),
            compliance: std::sync::Arc::default(),
            cpu: std::sync::Arc::default(),
            webhook_policy: std::sync::Arc::default(),
        }
    }
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
        (name = "clients", description = "Machine clients (the National Public Service Portal, agencies' systems): registration, tokens with scopes"),
        (name = "agencies", description = "HR departments' API keys: each reads its own staff's records"),
        (name = "catalog", description = "Programme categories, programmes and classes"),
        (name = "certificates", description = "Completions and their certificates"),
        (name = "standards", description = "Training standards' rules and officials' compliance with them"),
        (name = "reports", description = "Coverage reports: who meets the training standards, counted over agencies"),
        (name = "events", description = "The changes feed: the registry's changes in commit order, ids only"),
        (name = "verification", description = "Verifying certificates; the registry's keys and status lists"),
        (name = "vc-api", description = "W3C CCG Verifiable Credentials API"),
        (name = "operations", description = "Health and audit"),
        (name = "audit-log", description = "The audit log as a Merkle tree: signed checkpoints and proofs anyone can check"),
        (name = "webhooks", description = "Standard Webhooks: subscriptions, their delivery log, replays")
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
            // Machine clients' tokens: the same bearer tokens, whose scopes this scheme names.
            let scopes = Scopes::from_iter([
                (
                    hocba_store::Scope::RecordsRead.as_str(),
                    "Read officials' records, under their consent or the HR rule of the client's agency",
                ),
                (hocba_store::Scope::EventsRead.as_str(), "Read the changes feed"),
                (
                    hocba_store::Scope::WebhooksManage.as_str(),
                    "Manage the client's webhook subscriptions",
                ),
                (hocba_store::Scope::CompletionsWrite.as_str(), "Post completions"),
            ]);
            let flow = Flow::ClientCredentials(ClientCredentials::new(oauth::TOKEN_PATH, scopes));
            components.add_security_scheme(
                "oauth2",
                SecurityScheme::OAuth2(OAuth2::with_description(
                    [flow],
                    "Machine clients: client credentials, authenticated with a secret or a \
                     private_key_jwt assertion (RFC 7523); see /.well-known/oauth-authorization-server",
                )),
            );
        }
    }
}

/// What holds for every response, written once here rather than in each handler's attribute.
/// Applied to the merged description, once every route has added its operations.
struct ResponseConventions;

/// Where the problem document's schema lives.
const PROBLEM_SCHEMA: &str = "#/components/schemas/Problem";
/// The media type [`ApiError`] answers with (RFC 9457).
const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

impl Modify for ResponseConventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
                .into_iter()
                .flatten()
        });
        for operation in operations {
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response {
                    follow_conventions(status, response);
                }
            }
        }
    }
}

/// Today in Vietnam: the calendar of the registry's dates, so that a class ending this morning
/// is not in the future before 07:00, nor someone who left yesterday still on staff then.
pub(crate) fn today() -> time::Date {
    hocba_domain::vietnam_day(time::OffsetDateTime::now_utc())
}

/// OpenAPI requires a description on each response: an undescribed one gets its status's. A
/// problem document is served as `application/problem+json`, whatever the attribute said.
fn follow_conventions(status: &str, response: &mut ResponseDoc) {
    if response.description.is_empty() {
        response.description = match status {
            "4XX" => "The request was refused; the problem document says why".to_owned(),
            "5XX" => "The registry failed; the problem document is opaque".to_owned(),
            code => code
                .parse::<u16>()
                .ok()
                .and_then(|code| StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason())
                .unwrap_or("Answer")
                .to_owned(),
        };
    }
    if response.content.get("application/json").is_some_and(is_problem)
        && let Some(content) = response.content.shift_remove("application/json")
    {
        response.content.insert(PROBLEM_MEDIA_TYPE.to_owned(), content);
    }
}

/// Whether a response body is the problem document.
fn is_problem(content: &RefOr<Content>) -> bool {
    let RefOr::T(content) = content else { return false };
    matches!(&content.schema, Some(RefOr::Ref(schema)) if schema.ref_location == PROBLEM_SCHEMA)
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations::routes())
        .merge(audit_log::routes())
        .merge(publication::routes())
        .merge(verification::routes())
        .merge(oauth::routes())
        .nest(
            "/api/v1",
            officials::routes()
                .merge(institutions::routes())
                .merge(catalog::routes())
                .merge(certificates::routes())
                .merge(results::routes())
                .merge(batch::routes())
                .merge(clients::api_routes())
                .merge(machine_clients::routes())
                .merge(agencies::routes())
                .merge(standards::routes())
                .merge(reports::routes())
                .merge(record::routes())
                .merge(shares::routes())
                .merge(consents::routes())
                .merge(pdf::routes())
                .merge(events::routes())
                .merge(webhooks::routes()),
        )
}

/// The router and the OpenAPI description of every route, conventions applied.
fn router_and_openapi() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = routes().split_for_parts();
    ResponseConventions.modify(&mut openapi);
    (router, openapi)
}

/// The OpenAPI description of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_and_openapi().1
}

/// The whole application: API, `/openapi.json`, Swagger UI at `/docs`.
pub fn app(state: AppState) -> Router {
    let (mut router, openapi) = router_and_openapi();
    if state.dev_idp.is_some() {
        router = router.merge(dev_idp::routes());
    }
    router
        .merge(pages::routes().route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::name_who_is_signed_in,
        )))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(metrics::record))
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
                        tracing::error!(status = response.status().as_u16(), latency_ms = latency.as_secs_f64() * 1e3, cause = %cause.0, "request failed");
                    } else {
                        tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_secs_f64() * 1e3, "request");
                    }
                }),
        )
        .with_state(state)
}
