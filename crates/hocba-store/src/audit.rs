//! The audit trail: every write is an event, hash-chained so that removing or altering one is
//! detectable.
//!
//! Each event's hash covers its predecessor's hash and its own fields; the first event follows
//! [`GENESIS`]. `prev_hash` is unique, so two writers can never both extend the same head, and on
//! PostgreSQL appends serialise on an advisory lock. Details never hold personal data: they name
//! what changed, by internal id, not the values.

use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::entities::audit_event;
use crate::outbox::{self, Publish};
use crate::{Actor, Store, StoreError};

/// `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Advisory-lock key of the audit chain on PostgreSQL ("HOCBA" + 1).
pub(crate) const CHAIN_LOCK: i64 = 0x484F_4342_4101;

/// A change about to be recorded.
pub(crate) struct Change {
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: String,
    pub details: Value,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When it happened.
    pub occurred_at: OffsetDateTime,
    /// Who did it (`admin:<token id>`, `system`).
    pub actor: String,
    /// What was done (`official.created`).
    pub action: String,
    /// Kind of record changed.
    pub subject_type: String,
    /// Internal id of the record changed.
    pub subject_id: String,
    /// What changed, without personal data.
    pub details: Value,
    /// SHA-256 of this event and its predecessor, hex.
    pub hash: String,
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Number of events checked.
    pub events: u64,
    /// Hash of the last event ([`GENESIS`] when there is none).
    pub head: String,
    /// Sequence number of the first event whose link or hash does not match, if any.
    pub first_broken: Option<i64>,
}

fn event_hash(
    prev_hash: &str,
    occurred_at: &str,
    actor: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: &str,
) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed, so that no two different events can serialise to the same bytes.
    for field in [prev_hash, occurred_at, actor, action, subject_type, subject_id, details] {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn timestamp(at: OffsetDateTime) -> Result<String, StoreError> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|error| StoreError::corrupt("audit_events", error))
}

/// Appends `change` to the chain inside the use case's transaction. A change that outside
/// systems follow uses [`append_publishing`] instead.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: Change,
) -> Result<(), StoreError> {
    append_all(txn, actor, vec![change], Vec::new()).await
}

/// Appends `change` to the chain and publishes `events` in the outbox, both inside the use
/// case's transaction, under the chain's lock (which orders the outbox: see [`crate::outbox`]).
/// Commit with [`Store::commit_publishing`](crate::Store) so that waiting readers wake.
pub(crate) async fn append_publishing(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: Change,
    events: Vec<Publish>,
) -> Result<(), StoreError> {
    append_all(txn, actor, vec![change], events).await
}

/// Appends several changes in order, reading the chain's head once and inserting them in a few
/// multi-row statements, then their public events.
async fn append_all(
    txn: &DatabaseTransaction,
    actor: &Actor,
    changes: Vec<Change>,
    events: Vec<Publish>,
) -> Result<(), StoreError> {
    crate::serialize_on(txn, CHAIN_LOCK).await?;
    let mut head = audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Seq)
        .limit(1)
        .one(txn)
        .await?
        .map_or_else(|| GENESIS.to_owned(), |event| event.hash);
    let occurred_at = crate::now();
    let stamp = timestamp(occurred_at)?;
    let actor = actor.label();
    let mut chain = Vec::with_capacity(changes.len());
    for change in changes {
        let details = change.details.to_string();
        let hash = event_hash(
            &head,
            &stamp,
            &actor,
            change.action,
            change.subject_type,
            &change.subject_id,
            &details,
        );
        chain.push(audit_event::ActiveModel {
            occurred_at: Set(occurred_at),
            actor: Set(actor.clone()),
            action: Set(change.action.to_owned()),
            subject_type: Set(change.subject_type.to_owned()),
            subject_id: Set(change.subject_id),
            details: Set(details),
            prev_hash: Set(std::mem::replace(&mut head, hash.clone())),
            hash: Set(hash),
            ..Default::default()
        });
    }
    // Sequence numbers follow insertion order, which is chain order.
    for chunk in chain.chunks(INSERT_CHUNK) {
        audit_event::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    if !events.is_empty() {
        outbox::insert(txn, occurred_at, events).await?;
    }
    crate::audit_log::extend(txn).await
}

/// Rows per multi-row insert: well under SQLite's limit of bound variables.
pub(crate) const INSERT_CHUNK: usize = 500;

pub(crate) fn into_event(model: audit_event::Model) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: model.seq,
        occurred_at: model.occurred_at,
        actor: model.actor,
        action: model.action,
        subject_type: model.subject_type,
        subject_id: model.subject_id,
        details: serde_json::from_str(&model.details)
            .map_err(|error| StoreError::corrupt("audit_events", error))?,
        hash: model.hash,
    })
}

impl Store {
    /// The events about one record, oldest first.
    pub async fn audit_trail(
        &self,
        subject_type: &str,
        subject_id: &str,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        audit_event::Entity::find()
            .filter(audit_event::Column::SubjectType.eq(subject_type))
            .filter(audit_event::Column::SubjectId.eq(subject_id))
            .order_by_asc(audit_event::Column::Seq)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_event)
            .collect()
    }

    /// Re-computes every hash of the chain and checks every link.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        const BATCH: u64 = 1000;
        let mut report = ChainReport { events: 0, head: GENESIS.to_owned(), first_broken: None };
        let mut after = 0;
        loop {
            let batch = audit_event::Entity::find()
                .filter(audit_event::Column::Seq.gt(after))
                .order_by_asc(audit_event::Column::Seq)
                .limit(BATCH)
                .all(&self.db)
                .await?;
            let Some(last) = batch.last() else { return Ok(report) };
            after = last.seq;
            for event in batch {
                let expected = event_hash(
                    &report.head,
                    &timestamp(event.occurred_at)?,
                    &event.actor,
                    &event.action,
                    &event.subject_type,
                    &event.subject_id,
                    &event.details,
                );
                if report.first_broken.is_none()
                    && (event.prev_hash != report.head || event.hash != expected)
                {
                    report.first_broken = Some(event.seq);
                }
                report.events += 1;
                report.head = event.hash;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hocba_domain::{InstitutionDraft, InstitutionKind};
    use sea_orm::ConnectionTrait;

    use super::*;

    /// Both stores ([`crate::test_stores`]), each with three institutions.
    async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
        let stores = crate::test_stores::migrated_stores("audit").await;
        for (store, _) in &stores {
            for code in ["A1", "A2", "A3"] {
                let draft = InstitutionDraft {
                    code: code.to_owned(),
                    name: code.to_owned(),
                    kind: InstitutionKind::University,
                    parent_authority: None,
                };
                store.create_institution(&Actor::System, draft.parse().unwrap()).await.unwrap();
            }
        }
        stores
    }

    #[tokio::test]
    async fn the_database_refuses_to_rewrite_history() {
        for (store, _dir) in stores().await {
            let db = &store.db;
            assert!(
                db.execute_unprepared("UPDATE audit_events SET actor = 'someone' WHERE seq = 2")
                    .await
                    .is_err()
            );
            assert!(db.execute_unprepared("DELETE FROM audit_events WHERE seq = 2").await.is_err());
            let report = store.verify_audit_chain().await.unwrap();
            assert_eq!((report.events, report.first_broken), (3, None));
        }
    }

    #[tokio::test]
    async fn an_edit_behind_the_registrys_back_is_detected() {
        for (store, _dir) in stores().await {
            let db = &store.db;
            // Someone with DDL rights removes the guard and edits an event.
            let drop_guard = match store.backend() {
                sea_orm::DbBackend::Postgres => {
                    "DROP TRIGGER audit_events_append_only ON audit_events"
                }
                _ => "DROP TRIGGER audit_events_no_update",
            };
            db.execute_unprepared(drop_guard).await.unwrap();
            db.execute_unprepared("UPDATE audit_events SET details = '{}' WHERE seq = 2")
                .await
                .unwrap();
            assert_eq!(store.verify_audit_chain().await.unwrap().first_broken, Some(2));
        }
    }
}
