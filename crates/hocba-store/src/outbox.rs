//! The outbox: the public events of the registry's changes, for the changes feed and webhooks.
//!
//! Every use case that changes what an outside system may follow (an official registered, an
//! employment changed, a completion recorded or corrected, a certificate issued or revoked, a
//! signing key activated, retired or revoked) publishes its events through
//! [`crate::audit::append_publishing`], in the same transaction as the change and its audit
//! event: an event exists if and only if its change was committed. Events name their subjects by
//! id only (official, completion, certificate number, key); a reader fetches the details under
//! its own rights.
//!
//! # Commit order
//!
//! A reader pages through the feed by position (`position > cursor`), so positions must be
//! assigned in commit order: if a transaction that took position 7 could commit after a reader
//! had already seen position 8, that reader would skip 7 for ever. SQLite has one writer at a
//! time, so insertion order is commit order. On PostgreSQL, with several writers, we rely on
//! the audit chain: [`crate::audit`] takes a transaction-scoped advisory lock
//! (`pg_advisory_xact_lock`) before it reads the chain's head, and PostgreSQL holds such a lock
//! until the transaction ends, releasing it only after the commit is visible. Outbox rows are
//! inserted after that lock is taken, from the same sequence, so a writer can only take
//! positions after every earlier writer's rows are committed (or rolled back). The chain already
//! serialises writers for its own sake (each event's hash covers its predecessor's), so the feed
//! costs no extra lock. A rolled-back writer leaves a hole in the positions, never an event
//! committed behind a reader's back. (The alternative, recording `pg_current_xact_id()` per row
//! and hiding rows above `pg_snapshot_xmin`, would be needed only if writers ran in parallel.)

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_domain::{CertificateNumber, CompletionId, OfficialId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;
use uuid::Uuid;

use crate::entities::{outbox_event, outbox_horizon, webhook_subscription};
use crate::{Store, StoreError};

/// The kinds of public event, by their stable names (`certificate.issued`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// An official was registered (`official_id`).
    #[serde(rename = "official.registered")]
    OfficialRegistered,
    /// An official's employment history changed: a period added, ended, corrected, or a
    /// transfer (`official_id`).
    #[serde(rename = "employment.changed")]
    EmploymentChanged,
    /// An institution recorded a completion (`official_id`, `completion_id`,
    /// `certificate_number` of the certificate issued for it).
    #[serde(rename = "completion.recorded")]
    CompletionRecorded,
    /// An institution corrected a completion: `completion_id` is the new completion, which
    /// supersedes the old one; `certificate_number` is the new certificate.
    #[serde(rename = "completion.corrected")]
    CompletionCorrected,
    /// A certificate was issued (`official_id`, `completion_id`, `certificate_number`).
    #[serde(rename = "certificate.issued")]
    CertificateIssued,
    /// A certificate was revoked, including when a correction superseded it.
    #[serde(rename = "certificate.revoked")]
    CertificateRevoked,
    /// A signing key was put in use (`key_id`); a rotation also retires the previous key.
    #[serde(rename = "key.activated")]
    KeyActivated,
    /// A signing key stopped signing; what it signed still verifies (`key_id`).
    #[serde(rename = "key.retired")]
    KeyRetired,
    /// A signing key was revoked: what it signed no longer verifies (`key_id`).
    #[serde(rename = "key.revoked")]
    KeyRevoked,
}

impl EventType {
    /// Every type, in the order of the documentation.
    pub const ALL: [EventType; 9] = [
        EventType::OfficialRegistered,
        EventType::EmploymentChanged,
        EventType::CompletionRecorded,
        EventType::CompletionCorrected,
        EventType::CertificateIssued,
        EventType::CertificateRevoked,
        EventType::KeyActivated,
        EventType::KeyRetired,
        EventType::KeyRevoked,
    ];

    /// The stable name, as in the feed and in `types=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::OfficialRegistered => "official.registered",
            EventType::EmploymentChanged => "employment.changed",
            EventType::CompletionRecorded => "completion.recorded",
            EventType::CompletionCorrected => "completion.corrected",
            EventType::CertificateIssued => "certificate.issued",
            EventType::CertificateRevoked => "certificate.revoked",
            EventType::KeyActivated => "key.activated",
            EventType::KeyRetired => "key.retired",
            EventType::KeyRevoked => "key.revoked",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type; known types: {}", EventType::ALL.map(EventType::as_str).join(", "))]
pub struct UnknownEventType;

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        EventType::ALL.into_iter().find(|known| known.as_str() == name).ok_or(UnknownEventType)
    }
}

/// What an event is about, by id: no names, no national ID numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSubject {
    /// The official concerned.
    pub official_id: Option<OfficialId>,
    /// The completion concerned.
    pub completion_id: Option<CompletionId>,
    /// The certificate concerned.
    pub certificate_number: Option<CertificateNumber>,
    /// The signing key concerned (its `kid`).
    pub key_id: Option<String>,
}

impl EventSubject {
    /// An official.
    pub(crate) fn official(official_id: OfficialId) -> Self {
        EventSubject { official_id: Some(official_id), ..Default::default() }
    }

    /// A certificate, with the completion it certifies and its holder.
    pub(crate) fn certificate(certificate: &crate::Certificate) -> Self {
        EventSubject {
            official_id: Some(certificate.official_id),
            completion_id: Some(certificate.completion_id),
            certificate_number: Some(certificate.number.clone()),
            key_id: None,
        }
    }

    /// A signing key.
    pub(crate) fn key(kid: &str) -> Self {
        EventSubject { key_id: Some(kid.to_owned()), ..Default::default() }
    }
}

/// An event about to be published with its change.
#[derive(Debug, Clone)]
pub(crate) struct Publish {
    pub event_type: EventType,
    pub subject: EventSubject,
}

impl Publish {
    pub(crate) fn new(event_type: EventType, subject: EventSubject) -> Self {
        Publish { event_type, subject }
    }
}

/// Where a reader of the feed is: after the event at this position. Opaque to clients (its
/// text form is base64url), so that the numbering may change without breaking them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventCursor(i64);

impl EventCursor {
    /// Before the first event.
    pub const START: EventCursor = EventCursor(0);

    /// The position this cursor is after.
    pub const fn position(self) -> i64 {
        self.0
    }

    /// The cursor after `position` (webhook subscriptions keep their place in the feed as a
    /// position).
    pub const fn after_position(position: i64) -> EventCursor {
        EventCursor(if position < 0 { 0 } else { position })
    }
}

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0.to_be_bytes()))
    }
}

/// A cursor this registry did not hand out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a cursor of this feed: pass back a `next_cursor` or an event's `cursor` unchanged")]
pub struct InvalidCursor;

impl FromStr for EventCursor {
    type Err = InvalidCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidCursor)?;
        let bytes: [u8; 8] = bytes.try_into().map_err(|_| InvalidCursor)?;
        let position = i64::from_be_bytes(bytes);
        if position < 0 {
            return Err(InvalidCursor);
        }
        Ok(EventCursor(position))
    }
}

/// One published event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Where a reader resumes to read the events after this one.
    pub cursor: EventCursor,
    /// The event's id: the same in the feed and in every webhook delivery of it.
    pub id: Uuid,
    /// What happened.
    pub event_type: EventType,
    /// When the change was made.
    pub occurred_at: OffsetDateTime,
    /// What it happened to.
    pub subject: EventSubject,
}

/// Inserts `events`, stamped `occurred_at`, in a few multi-row statements. The caller holds the
/// audit chain's lock (see the module's documentation).
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    occurred_at: OffsetDateTime,
    events: Vec<Publish>,
) -> Result<(), StoreError> {
    let rows: Vec<outbox_event::ActiveModel> = events
        .into_iter()
        .map(|event| {
            let subject = event.subject;
            outbox_event::ActiveModel {
                event_id: Set(Uuid::now_v7()),
                event_type: Set(event.event_type.as_str().to_owned()),
                occurred_at: Set(occurred_at),
                official_id: Set(subject.official_id.map(|id| id.as_uuid())),
                completion_id: Set(subject.completion_id.map(|id| id.as_uuid())),
                certificate_number: Set(subject.certificate_number.map(|n| n.as_str().to_owned())),
                key_id: Set(subject.key_id),
                ..Default::default()
            }
        })
        .collect();
    // Positions follow insertion order, so the rows of one change keep the order given.
    for chunk in rows.chunks(crate::audit::INSERT_CHUNK) {
        outbox_event::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(())
}

fn into_event(model: outbox_event::Model) -> Result<OutboxEvent, StoreError> {
    let corrupt = |detail: &str| StoreError::corrupt("outbox_events", detail);
    let certificate_number = model
        .certificate_number
        .map(|number| CertificateNumber::parse(&number).map_err(|_| corrupt("certificate_number")))
        .transpose()?;
    Ok(OutboxEvent {
        cursor: EventCursor(model.position),
        id: model.event_id,
        event_type: model.event_type.parse().map_err(|_| corrupt("event_type"))?,
        occurred_at: model.occurred_at,
        subject: EventSubject {
            official_id: model.official_id.map(OfficialId::from_uuid),
            completion_id: model.completion_id.map(CompletionId::from_uuid),
            certificate_number,
            key_id: model.key_id,
        },
    })
}

/// Events deleted per transaction by [`Store::prune_events`].
const PRUNE_CHUNK: u64 = 10_000;

/// What [`Store::prune_events`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Events deleted.
    pub events: u64,
    /// The feed's horizon afterwards: the events up to it are gone.
    pub through: EventCursor,
}

/// The feed's horizon: the last position pruned (the start when nothing was).
async fn pruned_through(db: &impl ConnectionTrait) -> Result<EventCursor, StoreError> {
    let horizon = outbox_horizon::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::corrupt("outbox_horizon", "missing row"))?;
    Ok(EventCursor::after_position(horizon.pruned_through))
}

/// How often a waiting reader looks for events committed by other processes (in-process commits
/// wake it at once).
const POLL_OTHER_WRITERS: Duration = Duration::from_millis(500);

/// Wakes the feed's waiting readers when a transaction that published events commits.
#[derive(Debug)]
pub(crate) struct Commits(watch::Sender<u64>);

impl Default for Commits {
    fn default() -> Self {
        Commits(watch::Sender::new(0))
    }
}

impl Commits {
    fn published(&self) {
        self.0.send_modify(|commits| *commits = commits.wrapping_add(1));
    }
}

impl Store {
    /// Up to `limit` events after `after` (from the oldest kept when `None`), in commit order;
    /// only those of `types` unless it is empty. A cursor older than the events kept is refused
    /// ([`StoreError::EventsPruned`]).
    pub async fn events_after(
        &self,
        after: Option<EventCursor>,
        types: &[EventType],
        limit: u64,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let from = after.unwrap_or(EventCursor::START).position();
        let mut query =
            outbox_event::Entity::find().filter(outbox_event::Column::Position.gt(from));
        if !types.is_empty() {
            let names = types.iter().map(|event_type| event_type.as_str());
            query = query.filter(outbox_event::Column::EventType.is_in(names));
        }
        // On the replica when it may answer: a feed reader that is behind by its lag gets the
        // missing events on its next call, the cursor says where it stopped.
        let txn = self.read().await?;
        let rows =
            query.order_by_asc(outbox_event::Column::Position).limit(limit).all(&txn).await?;
        // Read after the events: a prune that committed before they were read shows here, so a
        // cursor it overtook is refused rather than answered with a gap.
        let horizon = pruned_through(&txn).await?;
        txn.commit().await?;
        // Without a cursor, the reader asked for the oldest events kept.
        if after.is_some_and(|after| after < horizon) {
            return Err(StoreError::EventsPruned { through: horizon });
        }
        rows.into_iter().map(into_event).collect()
    }

    /// Deletes the oldest events, those that occurred before `older_than`, up to the first
    /// that did not; never one a webhook subscription has yet to fan out. Moves the feed's
    /// horizon past them, so that a reader whose cursor they were after learns it (see
    /// [`StoreError::EventsPruned`]). Works in transactions of [`PRUNE_CHUNK`] events, so that
    /// writers wait for it only briefly; several servers may prune at once.
    pub async fn prune_events(&self, older_than: OffsetDateTime) -> Result<Pruned, StoreError> {
        self.prune_events_in_chunks(older_than, PRUNE_CHUNK).await
    }

    /// [`Store::prune_events`] in transactions of `chunk` events (at least one).
    pub async fn prune_events_in_chunks(
        &self,
        older_than: OffsetDateTime,
        chunk: u64,
    ) -> Result<Pruned, StoreError> {
        let chunk = chunk.max(1);
        let mut pruned = Pruned { events: 0, through: pruned_through(&self.db).await? };
        loop {
            let txn = self.write().await?;
            let fanned_out: Option<i64> = webhook_subscription::Entity::find()
                .select_only()
                .column(webhook_subscription::Column::FannedOutThrough)
                .into_tuple::<i64>()
                .all(&txn)
                .await?
                .into_iter()
                .min();
            let mut oldest = outbox_event::Entity::find()
                .select_only()
                .column(outbox_event::Column::Position)
                .column(outbox_event::Column::OccurredAt)
                .order_by_asc(outbox_event::Column::Position)
                .limit(chunk);
            if let Some(fanned_out) = fanned_out {
                oldest = oldest.filter(outbox_event::Column::Position.lte(fanned_out));
            }
            let oldest: Vec<(i64, OffsetDateTime)> = oldest.into_tuple().all(&txn).await?;
            let old =
                oldest.iter().take_while(|(_, occurred_at)| *occurred_at < older_than).count();
            let Some(&(through, _)) = oldest[..old].last() else {
                txn.rollback().await?;
                return Ok(pruned);
            };
            let deleted = outbox_event::Entity::delete_many()
                .filter(outbox_event::Column::Position.lte(through))
                .exec(&txn)
                .await?;
            // Forward only: another server pruning at once may have moved it further.
            outbox_horizon::Entity::update_many()
                .col_expr(outbox_horizon::Column::PrunedThrough, Expr::value(through))
                .col_expr(outbox_horizon::Column::PrunedAt, Expr::value(crate::now()))
                .filter(outbox_horizon::Column::PrunedThrough.lt(through))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            pruned.events += deleted.rows_affected;
            pruned.through = pruned.through.max(EventCursor(through));
            if old < oldest.len() || (oldest.len() as u64) < chunk {
                return Ok(pruned);
            }
        }
    }

    /// [`Store::events_after`], waiting up to `wait` for one to be committed when there is none
    /// yet: a commit in this process wakes the wait at once; one in another process (another
    /// `hocba serve` on the same PostgreSQL database) is seen within half a second.
    pub async fn wait_for_events(
        &self,
        after: Option<EventCursor>,
        types: &[EventType],
        limit: u64,
        wait: Duration,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        // Subscribed before the first read: a commit between the read and the wait still wakes.
        let mut commits = self.commits.0.subscribe();
        loop {
            let events = self.events_after(after, types, limit).await?;
            let now = tokio::time::Instant::now();
            if !events.is_empty() || now >= deadline {
                return Ok(events);
            }
            let next_poll = deadline.min(now + POLL_OTHER_WRITERS);
            // The sender lives as long as the store, so `changed` only fails once it is dropped.
            let _ = tokio::time::timeout_at(next_poll, commits.changed()).await;
        }
    }

    /// The cursor after the last event committed so far: a reader that starts here sees only
    /// what happens from now on.
    pub async fn events_head(&self) -> Result<EventCursor, StoreError> {
        let last = outbox_event::Entity::find()
            .order_by_desc(outbox_event::Column::Position)
            .limit(1)
            .one(&self.db)
            .await?;
        Ok(last.map_or(EventCursor::START, |event| EventCursor(event.position)))
    }

    /// Commits a transaction that published events, then wakes the readers waiting for them.
    pub(crate) async fn commit_publishing(
        &self,
        txn: DatabaseTransaction,
    ) -> Result<(), StoreError> {
        txn.commit().await?;
        self.commits.published();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_reads_back_from_its_name() {
        for event_type in EventType::ALL {
            assert_eq!(event_type.as_str().parse(), Ok(event_type));
            let json = serde_json::to_value(event_type).unwrap();
            assert_eq!(json, event_type.as_str());
        }
        assert_eq!("certificate.issue".parse::<EventType>(), Err(UnknownEventType));
    }

    #[test]
    fn a_cursor_reads_back_from_its_text_and_nothing_else_passes() {
        for position in [0, 1, 7_000_000_000] {
            let cursor = EventCursor(position);
            assert_eq!(cursor.to_string().parse(), Ok(cursor));
        }
        for bad in ["", "42", "not a cursor", "AAAAAAAAAAAA", "gAAAAAAAAAA"] {
            assert_eq!(bad.parse::<EventCursor>(), Err(InvalidCursor), "{bad}");
        }
    }
}
