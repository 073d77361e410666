//! Officials' compliance as this process has evaluated it, kept while the database's records'
//! epoch reads the same (see `hocba_store::RecordsEpoch`): every change of a record, through
//! this process or any other, moves it on. Every request still reads the epoch afresh (sharing
//! the read with the requests beside it), is checked against who may read the official today,
//! and is logged for the official; only reading the record and evaluating it are saved.
//!
//! A portal or an HR system asks the same officials again and again (a dashboard opened every
//! morning, a record page reloaded); each of those answers cost six statements and an evaluation.

use std::sync::Arc;

use hocba_credentials::memo::Memo;
use hocba_domain::OfficialId;
use hocba_store::{Actor, Compliance, RecordsEpoch, Store};
use time::Date;

use crate::ApiError;
use crate::metrics::Served;
use crate::shared_reads::SharedReads;

/// How many answers are kept: an official's record and their requirements, a few KB each. Past
/// it they are all forgotten: an answer costs one more evaluation, never a wrong one.
const KEPT: usize = 4_096;

/// Compliance answers by official and day, and the reads of the epoch that say they still hold.
pub struct KeptCompliance {
    answers: Memo<Arc<Compliance>, (OfficialId, Date)>,
    epoch: Arc<SharedReads<RecordsEpoch>>,
    /// How many answers were kept ones, and how many were evaluated afresh.
    pub served: Served,
}

impl Default for KeptCompliance {
    fn default() -> Self {
        KeptCompliance {
            answers: Memo::new(KEPT),
            epoch: Arc::default(),
            served: Served::default(),
        }
    }
}

impl KeptCompliance {
    /// Where official `id` stands as of `as_of`, for `reader` (the read logged with `purpose`):
    /// the answer kept if the records have not changed since it was read, else read afresh.
    pub(crate) async fn of(
        &self,
        store: &Store,
        reader: &Actor,
        purpose: &str,
        id: OfficialId,
        as_of: Date,
    ) -> Result<Arc<Compliance>, ApiError> {
        let read = || {
            let store = store.clone();
            async move { store.records_epoch().await }
        };
        let epoch = self.epoch.read_after_now(read).await?;
        if let Some(kept) = self.answers.get(&(id, as_of))
            && kept.read_under == epoch
        {
            store.log_read_of(reader, purpose, &kept.official).await?;
            self.served.count(true);
            return Ok(kept);
        }
        let fresh = Arc::new(store.official_compliance(reader, purpose, id, as_of).await?);
        self.served.count(false);
        self.answers.keep((id, as_of), Arc::clone(&fresh));
        Ok(fresh)
    }
}
