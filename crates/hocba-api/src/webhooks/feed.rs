//! The changes feed as the webhooks see it: its head, its events after a position (as webhook
//! bodies, the feed's own view of each event), its cursors and its event types. The one place
//! that knows the feed's shape.

use hocba_store::{EventCursor, EventType, FeedItem, Store};

use crate::ApiError;
use crate::events::EventView;

/// The position of the newest event: a new subscription receives the events after it.
pub(crate) async fn head(store: &Store) -> Result<i64, ApiError> {
    Ok(store.events_head().await?.position())
}

/// The feed's name for an event type, if it is one.
pub(crate) fn event_type(name: &str) -> Option<String> {
    name.parse::<EventType>().ok().map(|event_type| event_type.as_str().to_owned())
}

/// The events after position `after` (up to `limit` read), those of `types` (all when empty)
/// as webhook bodies, and the position of the last event read, matching or not, so that a
/// subscription moves past the events it does not take.
pub(crate) async fn after(
    store: &Store,
    after: i64,
    types: &[String],
    limit: u64,
) -> Result<(Vec<FeedItem>, Option<i64>), ApiError> {
    let events = store.events_after(Some(EventCursor::after_position(after)), &[], limit).await?;
    let last = events.last().map(|event| event.cursor.position());
    let mut items = Vec::with_capacity(events.len());
    for event in events {
        if !types.is_empty() && !types.iter().any(|name| name == event.event_type.as_str()) {
            continue;
        }
        let seq = event.cursor.position();
        let event_type = event.event_type.as_str().to_owned();
        let payload =
            serde_json::to_string(&EventView::for_systems(event)).map_err(ApiError::internal)?;
        items.push(FeedItem { seq, event_type, payload });
    }
    Ok((items, last))
}

/// Waits up to `wait` for an event after position `after` (a commit in this process wakes it
/// at once).
pub(crate) async fn wait(
    store: &Store,
    after: i64,
    wait: std::time::Duration,
) -> Result<(), ApiError> {
    store.wait_for_events(Some(EventCursor::after_position(after)), &[], 1, wait).await?;
    Ok(())
}

/// The cursor of the feed just after position `seq`.
pub fn encode_cursor(seq: i64) -> String {
    EventCursor::after_position(seq).to_string()
}

/// The position a cursor of the feed names.
pub fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    cursor.parse::<EventCursor>().map(EventCursor::position).map_err(|_| ApiError::BadParameter {
        field: "after".to_owned(),
        reason: "is not a cursor of the events feed".to_owned(),
    })
}
