//! Epochs: readings that say whether an answer worked out earlier still holds, in this process
//! or any other on the same database.
//!
//! - The verification epoch: a number the database moves on (by trigger, whoever writes) with
//!   every revocation and every change of a signing key, the only stored facts a certificate's
//!   verdict depends on.
//! - The records' epoch: the head of the audit trail, which every change of a record extends in
//!   the change's own transaction.
//! - The tokens' epoch: a number the database moves on (by trigger) with every change of a
//!   stored API token but the recording of its use.

use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::entities::{tokens_epoch, verification_epoch};
use crate::{Store, StoreError};

/// A reading of the verification epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerificationEpoch(i64);

impl VerificationEpoch {
    /// The number read.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl Store {
    /// The verification epoch now, read from the primary. Read it before the facts a verdict is
    /// worked out from: a change committed in between then shows as a newer epoch on the next
    /// read, and the verdict, kept under the older one, is worked out again. Every verification
    /// reads it, so a class being posted on SQLite must not hold it up.
    pub async fn verification_epoch(&self) -> Result<VerificationEpoch, StoreError> {
        let row = verification_epoch::Entity::find_by_id(1)
            .one(self.primary_for_reads())
            .await?
            .ok_or_else(|| StoreError::corrupt("verification_epoch", "its one row is missing"))?;
        self.epoch_seen.fetch_max(row.epoch, std::sync::atomic::Ordering::AcqRel);
        Ok(VerificationEpoch(row.epoch))
    }
}

/// A reading of the tokens' epoch. A token's holder found under an equal reading (see
/// [`crate::Authenticated`]) is the holder a read now would find, until the token expires or its
/// use is due to be recorded again: whoever revokes it, re-scopes it or deletes it, through any
/// process or none, moves the epoch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokensEpoch(i64);

impl Store {
    /// The tokens' epoch now, read from the primary: read it before the token it stamps.
    pub async fn tokens_epoch(&self) -> Result<TokensEpoch, StoreError> {
        let row = tokens_epoch::Entity::find_by_id(1)
            .one(self.primary_for_reads())
            .await?
            .ok_or_else(|| StoreError::corrupt("tokens_epoch", "its one row is missing"))?;
        Ok(TokensEpoch(row.epoch))
    }
}

/// A reading of the records' epoch. What the registry holds of an official (identity, periods,
/// completions, certificates and their revocations) and the rules they are evaluated against are
/// the same as long as it reads the same:
/// - every write of them appends an event to the audit trail in its own transaction, and the
///   chain's lock orders the appends as the commits;
/// - the rules shipped with a new release are added at its start without an event, but only
///   ever added, so their number is read beside the head;
/// - the head's hash tells a restored trail, whose numbers start again, from the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsEpoch {
    head: Option<i64>,
    head_hash: Option<String>,
    rules: i64,
}

/// One statement of a fixed text, every part of it a lookup by index.
const RECORDS_EPOCH: &str = "SELECT \
    (SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1) AS head, \
    (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1) AS head_hash, \
    (SELECT count(*) FROM requirement_rules) AS rules";

/// The records' epoch as `db` (a transaction, to read it before the facts it stamps) sees it.
pub(crate) async fn records_epoch_in(
    db: &impl ConnectionTrait,
) -> Result<RecordsEpoch, StoreError> {
    let statement = Statement::from_string(db.get_database_backend(), RECORDS_EPOCH);
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| StoreError::corrupt("audit_events", "the records' epoch read no row"))?;
    Ok(RecordsEpoch {
        head: row.try_get("", "head")?,
        head_hash: row.try_get("", "head_hash")?,
        rules: row.try_get("", "rules")?,
    })
}

impl Store {
    /// The records' epoch now, read from the primary: an answer read under an equal one (see
    /// [`crate::Compliance::read_under`]) is the answer the registry would give now.
    pub async fn records_epoch(&self) -> Result<RecordsEpoch, StoreError> {
        records_epoch_in(self.primary_for_reads()).await
    }
}
