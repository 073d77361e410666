//! A PostgreSQL streaming replica that takes the reads which need not see the latest write.
//!
//! `hocba serve --read-database-url` names it. Record reads, reports, verification by number,
//! the public certificate and status pages and the changes feed read there; writes, the read
//! log's rows and whatever must see a write just made read the primary. The replica answers a
//! read only when all of these hold, and the primary answers it otherwise:
//!
//! - **It is fresh.** A task of the store samples the primary's write-ahead log position every
//!   [`Replica::TICK`] and the position the replica has replayed. The replica counts as fresh
//!   while it has replayed everything the primary had written `max_lag` ago; down, or further
//!   behind, it is left alone until it catches up.
//! - **It has seen every revocation and key change this process has seen.** The verification
//!   epoch (see [`crate::VerificationEpoch`]) is always read from the primary, and each read on
//!   the replica first reads the replica's epoch: if it is older, the replica may still show a
//!   revoked certificate as valid, and a verdict kept under the newer epoch would keep saying so.
//! - **It found what was asked for.** Any error, "not found" or a refused read included, is asked
//!   again of the primary. So an institution that has just posted a certificate, through any
//!   process, finds it by number at once: the replica does not have it yet, the primary does
//!   (read-your-writes across processes, without sticky sessions or tokens). A refusal because a
//!   consent given a moment ago has not reached the replica is answered by the primary too.
//!
//! What stays stale within the lag bound: a read the replica answers reflects the registry as of
//! at most `max_lag` ago, so a consent withdrawn or an employment ended that recently may still
//! allow one more read (which is logged, on the primary, like any other).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, Statement,
    TransactionTrait,
};

use crate::StoreError;
use crate::entities::verification_epoch;

/// The replica as the latest check found it, and where the reads it could answer went: what
/// the operator's monitoring scrapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicaUse {
    /// Whether reads go to it now (within the lag bound, and up).
    pub fresh: bool,
    /// Bytes of write-ahead log the primary had written and the replica had yet to replay, at
    /// the latest check; `None` when either could not be asked.
    pub lag_bytes: Option<u64>,
    /// How long ago the primary had written the oldest change the replica had yet to replay, at
    /// the latest check: zero when it had replayed all; never more than the lag bound plus a
    /// check's interval, since older positions are not kept. `None` when it could not be asked.
    pub lag: Option<Duration>,
    /// Reads this process sent to the replica and it answered, since the process started.
    pub reads_on_replica: u64,
    /// Reads that could have gone to the replica and the primary answered (the replica stale,
    /// down, behind this process's verification epoch, or without what was asked).
    pub reads_on_primary: u64,
}

/// What the checks measure, for [`ReplicaUse`].
#[derive(Debug, Default, PartialEq, Eq)]
struct Measured {
    lag_bytes: Option<u64>,
    lag: Option<Duration>,
}

/// The read-only replica and what the store knows of its freshness.
#[derive(Debug)]
pub(crate) struct Replica {
    db: DatabaseConnection,
    /// Whether the latest check found the replica within the lag bound.
    fresh: Arc<AtomicBool>,
    /// The latest check's measures.
    measured: Arc<Mutex<Measured>>,
    reads_on_replica: AtomicU64,
    reads_on_primary: AtomicU64,
    /// The checking task; stopped with the store.
    checker: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.checker.abort();
    }
}

impl Replica {
    /// How often the replica's replay position is compared with the primary's.
    pub(crate) const TICK: Duration = Duration::from_millis(250);

    /// Starts checking `db`, a replica of `primary`, against `max_lag`. It is not used until the
    /// first check finds it fresh.
    pub(crate) fn start(
        db: DatabaseConnection,
        primary: DatabaseConnection,
        max_lag: Duration,
    ) -> Self {
        let fresh = Arc::new(AtomicBool::new(false));
        let measured = Arc::new(Mutex::default());
        let checker =
            tokio::spawn(check(primary, db.clone(), max_lag, fresh.clone(), measured.clone()));
        Replica {
            db,
            fresh,
            measured,
            reads_on_replica: AtomicU64::new(0),
            reads_on_primary: AtomicU64::new(0),
            checker,
        }
    }

    /// Counts a read that could have gone to the replica, by where it was answered.
    pub(crate) fn count_read(&self, on_replica: bool) {
        let reads = if on_replica { &self.reads_on_replica } else { &self.reads_on_primary };
        reads.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn usage(&self) -> ReplicaUse {
        let measured = self.measured.lock().unwrap_or_else(PoisonError::into_inner);
        ReplicaUse {
            fresh: self.is_fresh(),
            lag_bytes: measured.lag_bytes,
            lag: measured.lag,
            reads_on_replica: self.reads_on_replica.load(Ordering::Relaxed),
            reads_on_primary: self.reads_on_primary.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn is_fresh(&self) -> bool {
        self.fresh.load(Ordering::Relaxed)
    }

    /// Starts a reading transaction on the replica if it has seen the verification epoch
    /// `seen` (the newest this process read from the primary); `None` if it has not.
    pub(crate) async fn begin_at(
        &self,
        seen: &AtomicI64,
    ) -> Result<Option<DatabaseTransaction>, StoreError> {
        let wanted = seen.load(Ordering::Acquire);
        let txn = self.db.begin().await.inspect_err(|_| self.set_stale())?;
        let epoch = verification_epoch::Entity::find_by_id(1)
            .one(&txn)
            .await
            .inspect_err(|_| self.set_stale())?
            .map_or(i64::MIN, |row| row.epoch);
        Ok((epoch >= wanted).then_some(txn))
    }

    /// Stops using the replica until the next check finds it fresh (a read failed on it).
    pub(crate) fn set_stale(&self) {
        self.fresh.store(false, Ordering::Relaxed);
    }
}

/// The checking task: every [`Replica::TICK`], samples the primary's position and sets `fresh`
/// to whether the replica has replayed the sample taken `max_lag` ago (or the oldest one kept,
/// in the first `max_lag` of the process).
async fn check(
    primary: DatabaseConnection,
    replica: DatabaseConnection,
    max_lag: Duration,
    fresh: Arc<AtomicBool>,
    measured: Arc<Mutex<Measured>>,
) {
    let mut samples: VecDeque<(Instant, u64)> = VecDeque::new();
    let mut ticks = tokio::time::interval(Replica::TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = Instant::now();
        if let Ok(Some(position)) = position(&primary, "pg_current_wal_lsn()").await {
            samples.push_back((now, position));
        }
        // Keep the newest sample at least `max_lag` old, and those after it.
        while samples.get(1).is_some_and(|(taken, _)| now.duration_since(*taken) >= max_lag) {
            samples.pop_front();
        }
        let replayed = position(&replica, "pg_last_wal_replay_lsn()").await.ok().flatten();
        let within = match (replayed, samples.front()) {
            (Some(replayed), Some((_, bound))) => replayed >= *bound,
            _ => false,
        };
        *measured.lock().unwrap_or_else(PoisonError::into_inner) = measure(&samples, replayed, now);
        if fresh.swap(within, Ordering::Relaxed) != within {
            tracing::info!(fresh = within, "the read replica is {}", describe(within));
        }
    }
}

/// The replica's lag, from the primary's positions sampled up to `now` and the position the
/// replica has replayed.
fn measure(samples: &VecDeque<(Instant, u64)>, replayed: Option<u64>, now: Instant) -> Measured {
    let (Some(replayed), Some((_, written))) = (replayed, samples.back()) else {
        return Measured::default();
    };
    let oldest_unreplayed = samples.iter().find(|(_, position)| *position > replayed);
    Measured {
        lag_bytes: Some(written.saturating_sub(replayed)),
        lag: Some(oldest_unreplayed.map_or(Duration::ZERO, |(taken, _)| now - *taken)),
    }
}

fn describe(fresh: bool) -> &'static str {
    if fresh {
        "within the lag bound: reads go to it"
    } else {
        "behind or down: reads go to the primary"
    }
}

/// A write-ahead log position (`pg_current_wal_lsn()` or `pg_last_wal_replay_lsn()`, `NULL` on
/// a server that is not a replica) as a number.
async fn position(db: &DatabaseConnection, function: &str) -> Result<Option<u64>, StoreError> {
    let sql = format!("SELECT {function}::text AS lsn");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    let text: Option<String> = match row {
        Some(row) => row.try_get("", "lsn")?,
        None => None,
    };
    Ok(text.as_deref().and_then(parse_lsn))
}

/// `16/B374D848` → 0x16_B374_D848.
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    Some((high << 32) | low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_the_age_of_the_oldest_position_not_replayed() {
        let now = Instant::now();
        let samples: VecDeque<(Instant, u64)> = [(3, 100), (2, 150), (1, 180), (0, 200)]
            .map(|(ago, position)| (now - Duration::from_secs(ago), position))
            .into();
        let lag = |replayed| {
            let measured = measure(&samples, replayed, now);
            (measured.lag_bytes, measured.lag.map(|lag| lag.as_secs()))
        };
        assert_eq!(lag(Some(200)), (Some(0), Some(0)), "caught up");
        assert_eq!(lag(Some(160)), (Some(40), Some(1)), "180 is not replayed, written 1 s ago");
        assert_eq!(lag(Some(90)), (Some(110), Some(3)), "as far back as positions are kept");
        assert_eq!(lag(None), (None, None), "the replica could not be asked");
        assert_eq!(measure(&VecDeque::new(), Some(5), now), Measured::default());
    }

    #[test]
    fn a_log_position_reads_as_its_two_hex_halves() {
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("nonsense"), None);
    }
}
