//! The changes feed: `GET /api/v1/events`, the registry's changes in commit order, for systems
//! that follow them (the National Public Service Portal, ministries' HR systems).

use std::time::Duration;

use axum::extract::State;
use hocba_domain::{CompletionId, OfficialId};
use hocba_store::{EventCursor, EventType, OutboxEvent, Pruned, Role, Store};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::EventsReader;
use crate::extract::{Json, Query};
use crate::{ApiError, AppState, Problem};

/// The largest page of events.
const MAX_EVENTS: u64 = 1000;
const DEFAULT_EVENTS: u64 = 100;
/// The longest a request waits for an event.
const MAX_WAIT_SECONDS: u64 = 30;

/// Which events to return.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Opaque cursor: the `next_cursor` of the previous page, or an event's `cursor`. Without
    /// it the feed starts at the first event.
    // 8 bytes in unpadded base64url: 11 characters, the first below 'g' (a position is never
    // negative) and the last with its two low bits zero.
    #[param(pattern = "^[A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048]$")]
    pub after: Option<String>,
    /// Comma-separated event types to return (others are skipped); every type when absent.
    #[param(example = "certificate.issued,certificate.revoked")]
    pub types: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Seconds to wait, 0–30 (default 0), when no event follows the cursor yet: the answer
    /// comes as soon as one is committed, or empty when the time is up.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u64>,
}

/// A request for events, checked.
struct FeedRequest {
    after: Option<EventCursor>,
    types: Vec<EventType>,
    limit: u64,
    wait: Duration,
}

impl FeedParams {
    fn parse(&self) -> Result<FeedRequest, ApiError> {
        let bad = |field: &str, reason: String| ApiError::BadParameter {
            field: field.to_owned(),
            reason,
        };
        let after = self
            .after
            .as_deref()
            .map(str::parse::<EventCursor>)
            .transpose()
            .map_err(|error| bad("after", error.to_string()))?;
        let types = match self.types.as_deref() {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|name| name.trim().parse::<EventType>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| bad("types", error.to_string()))?,
        };
        let limit = self.limit.unwrap_or(DEFAULT_EVENTS);
        if !(1..=MAX_EVENTS).contains(&limit) {
            return Err(bad("limit", format!("must be between 1 and {MAX_EVENTS}")));
        }
        let wait = self.wait.unwrap_or(0);
        if wait > MAX_WAIT_SECONDS {
            return Err(bad("wait", format!("must be between 0 and {MAX_WAIT_SECONDS}")));
        }
        Ok(FeedRequest { after, types, limit, wait: Duration::from_secs(wait) })
    }
}

/// The name of an event type (`certificate.issued`); its schema lists them all.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct EventTypeName(&'static str);

impl PartialSchema for EventTypeName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(EventType::ALL.map(EventType::as_str)))
            .description(Some("What happened"))
            .into()
    }
}

impl ToSchema for EventTypeName {}

/// One change. It names its subjects by id only: fetch the details (the official's record, the
/// certificate) under your own rights.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Pass as `after` to read the events after this one.
    pub cursor: String,
    /// The event's id: the same in the feed and in every webhook delivery of it.
    pub id: Uuid,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventTypeName,
    /// When the change was made, to the microsecond.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The official concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official_id: Option<OfficialId>,
    /// The completion concerned (for a correction, the new completion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_id: Option<CompletionId>,
    /// The certificate concerned, in the operator's feed only: a certificate's number opens it
    /// to anyone, so a system reads certificates through the records it may read (under the
    /// official's consent) and matches them by `completion_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    /// The signing key concerned (its `kid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl EventView {
    /// `event` as a machine client sees it, in the feed and in webhook deliveries: without the
    /// certificate's number.
    pub(crate) fn for_systems(event: OutboxEvent) -> Self {
        EventView { certificate_number: None, ..EventView::for_operator(event) }
    }

    /// `event` with every subject it names, for the operator.
    fn for_operator(event: OutboxEvent) -> Self {
        let subject = event.subject;
        EventView {
            cursor: event.cursor.to_string(),
            id: event.id,
            event_type: EventTypeName(event.event_type.as_str()),
            occurred_at: event.occurred_at,
            official_id: subject.official_id,
            completion_id: subject.completion_id,
            certificate_number: subject.certificate_number.map(|number| number.as_str().to_owned()),
            key_id: subject.key_id,
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// The events after the cursor, oldest first, in the order they were committed.
    pub events: Vec<EventView>,
    /// Pass as `after` for the next page: the last event's cursor, or the cursor given when
    /// there was none (ask again, with `wait`, to follow the feed).
    pub next_cursor: String,
}

/// The registry's changes, in the order they were committed.
///
/// Officials registered, employment changed, completions recorded and corrected, certificates
/// issued and revoked, signing keys activated, retired and revoked. Page with
/// `after=next_cursor`; with `wait=30`, an empty page waits up to 30 s and answers as soon as an
/// event is committed. A reader that keeps its cursor never misses an event and never sees one
/// twice, whichever server of the registry it asks. Events carry ids only, never personal data.
/// Events are kept for a time (`--events-retention-days`, 400 days by default): a cursor older
/// than that is answered 410; start again without `after` (the oldest event kept) and read the
/// current state of what you follow. For the operator and machine clients with the scope
/// `events:read`; a certificate's number only to the operator (it opens the certificate to
/// anyone): a system reads certificates through the records it may read.
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = []), ("oauth2" = ["events:read"])),
    params(FeedParams),
    responses((status = 200, body = EventPage),
        (status = 410, description = "The events after `after` are no longer kept", body = Problem),
        (status = "4XX", body = Problem)))]
pub async fn get_events(
    State(app): State<AppState>,
    EventsReader(reader): EventsReader,
    Query(params): Query<FeedParams>,
) -> Result<Json<EventPage>, ApiError> {
    let request = params.parse()?;
    let events = app
        .store
        .wait_for_events(request.after, &request.types, request.limit, request.wait)
        .await?;
    let last = events.last().map(|event| event.cursor);
    let next_cursor = last.or(request.after).unwrap_or(EventCursor::START).to_string();
    let view = match reader.role() {
        Role::Admin => EventView::for_operator,
        _ => EventView::for_systems,
    };
    Ok(Json(EventPage { events: events.into_iter().map(view).collect(), next_cursor }))
}

/// How long the changes feed keeps its events: pruned when older than `keep`, checked every
/// `every`. Webhook deliveries are not affected: an event is never pruned before every
/// subscription has had it.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// How old an event may grow.
    pub keep: time::Duration,
    /// How often to prune.
    pub every: Duration,
}

impl Retention {
    /// Prunes now, then every `every`, until `shutdown` turns true.
    pub async fn run(self, store: Store, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            match store.prune_events(OffsetDateTime::now_utc() - self.keep).await {
                Ok(Pruned { events: 0, .. }) => {}
                Ok(Pruned { events, through }) => {
                    tracing::info!(events, %through, "pruned the changes feed's old events");
                }
                Err(error) => tracing::warn!(%error, "pruning the changes feed failed; retrying"),
            }
            tokio::select! {
                _ = shutdown.changed() => {},
                () = tokio::time::sleep(self.every) => {},
            }
        }
    }
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_events))
}
