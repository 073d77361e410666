//! The verification epoch: a number the database moves on (by trigger, whoever writes) with
//! every revocation and every change of a signing key, the only stored facts a certificate's
//! verdict depends on. A verdict worked out under one epoch still holds while the epoch reads
//! the same, in this process or any other on the same database.

use sea_orm::EntityTrait;

use crate::entities::verification_epoch;
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
