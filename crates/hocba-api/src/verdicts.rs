//! The verdicts this process has worked out, kept while the database's verification epoch reads
//! the same (see `hocba_store::VerificationEpoch`): the database moves the epoch on with every
//! revocation and key change, by trigger, whichever process writes them. Every request reads the
//! epoch afresh, so a revocation made through another server process is seen by the next
//! request here; only the work between (reading the certificate and the keys, checking the
//! proofs and the rest) is saved.
//!
//! Requests read the epoch through [`SharedReads`]: one read for a crowd of them.

use std::sync::{Arc, Mutex, PoisonError};

use hocba_credentials::KeySet;
use hocba_credentials::verdicts::{Stamp, Verdicts};
use hocba_store::{Store, VerificationEpoch};

use crate::metrics::Served;
use crate::shared_reads::SharedReads;
use crate::verification::{NumberVerdict, VcApiVerification};
use crate::{ApiError, Authority};

/// How many verdicts by certificate number are kept: about 1.5 KB each (the checks' words), so
/// at most about 25 MB.
const BY_NUMBER: usize = 16_384;
/// How many VC API answers are kept by the request's bytes (about 1 KB each).
const BY_BYTES: usize = 8_192;

/// Verdicts kept between requests, and the reads of the epoch that say they still hold.
pub struct KeptVerdicts {
    /// `POST /api/v1/verify` by number: the registry's own certificates.
    pub(crate) by_number: Verdicts<NumberVerdict>,
    /// `POST /credentials/verify` by the request's bytes, for credentials of this registry.
    pub(crate) by_bytes: Verdicts<VcApiVerification>,
    /// How many answers by number were kept verdicts, and how many were verified afresh.
    pub served_by_number: Served,
    /// The same, for the VC API's answers by the request's bytes.
    pub served_by_bytes: Served,
    /// The published keys, read under the epoch they carry.
    keys: Mutex<Option<(VerificationEpoch, Arc<KeySet>)>>,
    epoch: Arc<SharedReads<VerificationEpoch>>,
}

impl Default for KeptVerdicts {
    fn default() -> Self {
        KeptVerdicts {
            by_number: Verdicts::new(BY_NUMBER),
            by_bytes: Verdicts::new(BY_BYTES),
            served_by_number: Served::default(),
            served_by_bytes: Served::default(),
            keys: Mutex::new(None),
            epoch: Arc::default(),
        }
    }
}

impl KeptVerdicts {
    /// The verification epoch as read after this call began. Read it before anything a verdict
    /// is made from.
    pub(crate) async fn epoch(&self, store: &Store) -> Result<VerificationEpoch, ApiError> {
        let read = || {
            let store = store.clone();
            async move { store.verification_epoch().await }
        };
        Ok(self.epoch.read_after_now(read).await?)
    }

    /// The registry's keys as published at `epoch` (or later).
    pub(crate) async fn key_set(
        &self,
        authority: &Authority,
        store: &Store,
        epoch: VerificationEpoch,
    ) -> Result<Arc<KeySet>, ApiError> {
        let kept = self.keys.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((read_at, keys)) = kept
            && read_at == epoch
        {
            return Ok(keys);
        }
        let keys = Arc::new(authority.key_set(store).await?);
        *self.keys.lock().unwrap_or_else(PoisonError::into_inner) = Some((epoch, keys.clone()));
        Ok(keys)
    }
}

/// The stamp a kept verdict carries: the epoch it was made under.
pub(crate) fn stamp(epoch: VerificationEpoch) -> Stamp {
    epoch.get()
}
