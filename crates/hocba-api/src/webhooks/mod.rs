//! Webhooks ([Standard Webhooks](https://www.standardwebhooks.com/)): a system subscribes a URL
//! to event types and receives each event of the changes feed as a signed `POST`.
//!
//! The subscription's `whsec_` secret is shown once and kept sealed ([`sealing`]). Its URL must
//! lead to public addresses, unless the operator allows other networks; this is checked when
//! the subscription is made and again at every delivery ([`sender`]), so a DNS change cannot
//! turn a webhook against the registry's own network. The [`worker`] delivers.

mod feed;
mod sealing;
pub mod sender;
pub mod worker;

use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::webhooks::{WebhookSecret, WebhookUrl, WebhookUrlError};
use hocba_domain::{Invalid, Violation};
use hocba_store::{DeliveryAttempt, NewSubscription, WebhookSubscription};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::WebhookManager;
use crate::extract::{Json, PageOf, PageParams, Path, Query};
use crate::{ApiError, AppState, Problem};

pub use feed::{decode_cursor, encode_cursor};
pub use sealing::SecretBox;
pub use worker::{WebhookSettings, Worker};

/// How many event types a subscription may name.
const MAX_EVENT_TYPES: usize = 32;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_webhook, list_webhooks))
        .routes(routes!(get_webhook, delete_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(replay_webhook))
}

/// A subscription, as its owner sees it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Its id.
    pub id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types delivered; empty: every type.
    pub event_types: Vec<String>,
    /// `active`, or `failing` once its last attempts all failed (deliveries are still retried;
    /// the next success makes it active again).
    #[schema(example = "active")]
    pub status: &'static str,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<WebhookSubscription> for WebhookView {
    fn from(subscription: WebhookSubscription) -> Self {
        WebhookView {
            id: subscription.id,
            url: subscription.url,
            event_types: subscription.event_types,
            status: subscription.status.as_str(),
            consecutive_failures: subscription.consecutive_failures,
            created_at: subscription.created_at,
        }
    }
}

/// A new subscription with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewWebhookView {
    /// The subscription.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The signing secret (`whsec_` + base64): verify each delivery's `webhook-signature` with
    /// it. The registry shows it once.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A subscription to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where to post deliveries: an `https` (or `http`) URL leading to public addresses.
    #[schema(example = "https://hr.example.gov.vn/hocba/webhooks")]
    pub url: String,
    /// Event types to receive (as the events feed names them); absent or empty: every type.
    #[serde(default)]
    pub event_types: Vec<String>,
}

/// One attempt at a delivery, in a subscription's delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttemptView {
    /// The `webhook-id` header of the delivery (the same on every attempt and redelivery).
    pub webhook_id: Uuid,
    /// The event's type.
    pub event_type: String,
    /// The events-feed cursor just after this event (for a replay from it).
    pub event_cursor: String,
    /// 1 for the first attempt at this delivery.
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// Where the delivery stands now: `pending`, `delivered` or `failed` (given up).
    #[schema(example = "delivered")]
    pub delivery_state: &'static str,
}

impl From<DeliveryAttempt> for DeliveryAttemptView {
    fn from(attempt: DeliveryAttempt) -> Self {
        DeliveryAttemptView {
            webhook_id: attempt.delivery_id,
            event_type: attempt.event_type,
            event_cursor: encode_cursor(attempt.event_seq),
            attempt: attempt.attempt,
            status_code: attempt.status_code,
            error: attempt.error,
            attempted_at: attempt.attempted_at,
            delivery_state: attempt.state.as_str(),
        }
    }
}

/// Where to replay from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// An events-feed cursor: every event after it is delivered again (with its first
    /// `webhook-id`), and deliveries given up are retried. Absent: from the feed's start.
    #[serde(default)]
    pub after: Option<String>,
}

/// Who manages subscriptions: the operator (every one) or a machine client with the
/// `webhooks:manage` scope (its own).
struct Manager {
    principal: hocba_store::Principal,
}

impl Manager {
    /// Whose subscriptions this caller sees: a client its own, the operator (`None`) all.
    fn owner(&self) -> Option<Uuid> {
        self.principal.client_id()
    }

    /// A subscription delivers the changes feed: subscribing or replaying is reading it, which
    /// asks for `events:read` as `GET /events` does (`webhooks:manage` alone lists and removes).
    fn may_receive_events(&self) -> Result<(), ApiError> {
        crate::auth::require_scope(&self.principal, hocba_store::Scope::EventsRead)
    }
}

impl From<WebhookManager> for Manager {
    fn from(WebhookManager(principal): WebhookManager) -> Self {
        Manager { principal }
    }
}

/// Checks a subscription's URL: well formed, and every address its host resolves to allowed.
pub async fn check_url(app: &AppState, raw: &str) -> Result<WebhookUrl, ApiError> {
    let invalid = |error: WebhookUrlError| Invalid::field("url", Violation::from(error));
    let url = WebhookUrl::parse(raw).map_err(invalid)?;
    let resolved: Vec<IpAddr> = match tokio::net::lookup_host((url.host(), url.port())).await {
        Ok(addresses) => addresses.map(|address| address.ip()).collect(),
        Err(_) => Vec::new(),
    };
    url.check_addresses(&app.webhook_policy, &resolved).map_err(invalid)?;
    Ok(url)
}

fn check_event_types(types: Vec<String>) -> Result<Vec<String>, ApiError> {
    if types.len() > MAX_EVENT_TYPES {
        return Err(ApiError::BadParameter {
            field: "event_types".to_owned(),
            reason: format!("at most {MAX_EVENT_TYPES} event types"),
        });
    }
    let mut checked = Vec::with_capacity(types.len());
    for (index, name) in types.into_iter().enumerate() {
        let name = feed::event_type(&name).ok_or_else(|| ApiError::BadParameter {
            field: format!("event_types.{index}"),
            reason: "is not an event type of the events feed".to_owned(),
        })?;
        if !checked.contains(&name) {
            checked.push(name);
        }
    }
    Ok(checked)
}

/// Subscribes a URL to events; the signing secret is in the answer, this once.
///
/// Each event of the changes feed (of the types named) is then posted to the URL as JSON, with
/// the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature`
/// (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the secret's bytes). Only events
/// from now on are delivered; replay older ones from a cursor. The URL must resolve to public
/// addresses only.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage", "events:read"])),
    request_body = WebhookBody,
    responses((status = 201, body = NewWebhookView), (status = "4XX", body = Problem)))]
pub async fn post_webhook(
    State(app): State<AppState>,
    manager: WebhookManager,
    Json(body): Json<WebhookBody>,
) -> Result<(StatusCode, Json<NewWebhookView>), ApiError> {
    let manager = Manager::from(manager);
    manager.may_receive_events()?;
    let url = check_url(&app, &body.url).await?;
    let event_types = check_event_types(body.event_types)?;
    let secret = WebhookSecret::from_bytes(rand::random::<[u8; 32]>().to_vec())
        .map_err(ApiError::internal)?;
    let id = Uuid::now_v7();
    let secret_sealed = app.authority.webhook_secrets()?.seal(id, &secret)?;
    let new = NewSubscription {
        id,
        client_id: manager.owner(),
        url: url.as_str().to_owned(),
        event_types,
        secret_sealed,
        start_after: feed::head(&app.store).await?,
    };
    let webhook = app.store.create_webhook(&manager.principal.actor(), new).await?;
    let view = NewWebhookView { webhook: webhook.into(), secret: secret.reveal() };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The subscriptions the caller manages.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage"])),
    responses((status = 200, body = [WebhookView]), (status = "4XX", body = Problem)))]
pub async fn list_webhooks(
    State(app): State<AppState>,
    manager: WebhookManager,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let manager = Manager::from(manager);
    let webhooks = app.store.webhooks(manager.owner()).await?;
    Ok(Json(webhooks.into_iter().map(WebhookView::from).collect()))
}

/// One subscription, with its status.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage"])),
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 200, body = WebhookView), (status = "4XX", body = Problem)))]
pub async fn get_webhook(
    State(app): State<AppState>,
    manager: WebhookManager,
    Path(id): Path<Uuid>,
) -> Result<Json<WebhookView>, ApiError> {
    let manager = Manager::from(manager);
    Ok(Json(app.store.webhook(manager.owner(), id).await?.into()))
}

/// Deletes a subscription, with its pending deliveries and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage"])),
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 204), (status = "4XX", body = Problem)))]
pub async fn delete_webhook(
    State(app): State<AppState>,
    manager: WebhookManager,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let manager = Manager::from(manager);
    app.store.delete_webhook(&manager.principal.actor(), manager.owner(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's delivery log: every attempt (its status code or error), oldest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage"])),
    params(("id" = Uuid, Path, description = "The subscription"), PageParams),
    responses((status = 200, body = PageOf<DeliveryAttemptView>), (status = "4XX", body = Problem)))]
pub async fn list_webhook_deliveries(
    State(app): State<AppState>,
    manager: WebhookManager,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> Result<Json<PageOf<DeliveryAttemptView>>, ApiError> {
    let manager = Manager::from(manager);
    let log = app.store.webhook_log(manager.owner(), id, page.request()?).await?;
    Ok(Json(PageOf::from_page(log, DeliveryAttemptView::from)))
}

/// Delivers again every event after an events-feed cursor (same `webhook-id`s for events
/// delivered before), and retries deliveries that were given up.
#[utoipa::path(post, path = "/webhooks/{id}/replay", tag = "webhooks", security(("bearer" = []), ("oauth2" = ["webhooks:manage", "events:read"])),
    params(("id" = Uuid, Path, description = "The subscription")),
    request_body = ReplayBody,
    responses((status = 202, body = WebhookView), (status = "4XX", body = Problem)))]
pub async fn replay_webhook(
    State(app): State<AppState>,
    manager: WebhookManager,
    Path(id): Path<Uuid>,
    Json(body): Json<ReplayBody>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let manager = Manager::from(manager);
    manager.may_receive_events()?;
    let after = body.after.as_deref().map(decode_cursor).transpose()?.unwrap_or(0);
    let webhook =
        app.store.replay_webhook(&manager.principal.actor(), manager.owner(), id, after).await?;
    Ok((StatusCode::ACCEPTED, Json(webhook.into())))
}
