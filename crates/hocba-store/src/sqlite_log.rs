//! A SQLite file's write-ahead log: copied into the database beside the writers, and kept within
//! a bound by the writers themselves.
//!
//! SQLite's default copies the log inside the commit that fills it past 1,000 pages, so a large
//! batch pays for the copy before it can answer. Here commits only append to the log
//! (`wal_autocheckpoint = 0`), and a task copies it on a connection of its own: on the store's
//! one writing connection, each copy would hold up the next write until it finished.
//!
//! That copy is passive (it never waits for a writer), and under writes that never pause
//! (institutions posting at once) a passive copy never reaches the log's end, so the log never
//! starts again: it grew to 22 GB while four clients registered 100,000 officials. Restarting
//! the log from the task once it grows helps, but only as much as the task keeps up with the
//! writers, which depends on the machine. So the bound is kept by the writers: a write that finds
//! the log file past [`LOG_BOUND_BYTES`] first waits for the copying task to finish (one
//! checkpoint at a time), then for a checkpoint that copies the whole log and truncates it. The
//! file then never holds more than the bound plus one transaction, however fast the copying task
//! runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::Mutex;

use crate::StoreError;

/// The size of the log file past which the next write first truncates it: 32 MB, two classes
/// of 1,000 certificates. The file then stays under this plus one transaction (a class of
/// 5,000 writes about 40 MB).
pub(crate) const LOG_BOUND_BYTES: u64 = 32 << 20;

/// The log pages past which the copying task restarts the log: 16 MB at 16 KB pages. Restarting
/// before the bound means writers rarely wait for a truncation themselves.
const RESTART_LOG_AFTER: i64 = 1024;

/// How often the background task copies the log into the database.
const COPY_EVERY: Duration = Duration::from_millis(500);

/// The write-ahead log of a SQLite file.
#[derive(Debug)]
pub(crate) struct SqliteLog {
    /// The log file, `<database file>-wal`.
    path: PathBuf,
    /// The task copying the log into the database; stopped with the store.
    copier: Option<tokio::task::JoinHandle<()>>,
    /// Held by whoever runs a checkpoint: SQLite refuses a checkpoint at once (busy, without
    /// waiting) while another connection runs one, so a writer's truncation would otherwise fail
    /// whenever it met the copying task, and the log grew past its bound on a loaded machine.
    checkpointing: Arc<Mutex<()>>,
}

impl Drop for SqliteLog {
    fn drop(&mut self) {
        if let Some(copier) = &self.copier {
            copier.abort();
        }
    }
}

impl SqliteLog {
    /// The log of the database `db` is connected to; `copier`, when given, is a connection of
    /// its own on which a task copies the log in the background.
    pub(crate) async fn open(
        db: &DatabaseConnection,
        copier: Option<DatabaseConnection>,
    ) -> Result<Self, StoreError> {
        let main = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            ))
            .await?
            .map(|row| row.try_get_by_index::<String>(0))
            .transpose()?
            .ok_or_else(|| StoreError::corrupt("sqlite", "the main database has no file"))?;
        let checkpointing = Arc::new(Mutex::new(()));
        let copier =
            copier.map(|connection| tokio::spawn(copy_forever(connection, checkpointing.clone())));
        Ok(SqliteLog { path: PathBuf::from(format!("{main}-wal")), copier, checkpointing })
    }

    /// Truncates the log, on `db`, if its file has grown past [`LOG_BOUND_BYTES`].
    ///
    /// The truncating checkpoint waits for the copying task to finish its copy, then (up to the
    /// busy timeout) for any reader, copies what is left of the log and empties the file. Call it before a write
    /// transaction begins: a checkpoint cannot run inside one.
    pub(crate) async fn keep_bounded(&self, db: &DatabaseConnection) -> Result<(), StoreError> {
        let log_size = || std::fs::metadata(&self.path).map_or(0, |metadata| metadata.len());
        if log_size() <= LOG_BOUND_BYTES {
            return Ok(());
        }
        let _only_checkpoint = self.checkpointing.lock().await;
        if log_size() <= LOG_BOUND_BYTES {
            return Ok(()); // another writer truncated it while this one waited
        }
        let outcome = checkpoint(db, "TRUNCATE").await?;
        if outcome.busy {
            // Another connection held the log for longer than the busy timeout; the write goes
            // ahead, and the next one tries again.
            tracing::warn!(log_pages = outcome.log_pages, "could not truncate the SQLite log");
        }
        Ok(())
    }
}

/// Copies the log into the database every [`COPY_EVERY`], restarting it once it is long.
async fn copy_forever(db: DatabaseConnection, checkpointing: Arc<Mutex<()>>) {
    let mut ticks = tokio::time::interval(COPY_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let _only_checkpoint = checkpointing.lock().await;
        let copied = match checkpoint(&db, "PASSIVE").await {
            Ok(outcome) if outcome.log_pages > RESTART_LOG_AFTER => {
                checkpoint(&db, "RESTART").await.map(drop)
            }
            other => other.map(drop),
        };
        if let Err(error) = copied {
            tracing::warn!(%error, "WAL checkpoint failed; retrying");
        }
    }
}

/// What a checkpoint reports.
struct Checkpoint {
    /// Whether it could not finish because another connection held the log.
    busy: bool,
    /// The pages the log held (-1 when the database is not in WAL mode).
    log_pages: i64,
}

async fn checkpoint(db: &DatabaseConnection, mode: &str) -> Result<Checkpoint, StoreError> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
    // The answer is (busy, pages in the log, pages copied).
    let Some(row) = row else { return Ok(Checkpoint { busy: false, log_pages: 0 }) };
    Ok(Checkpoint {
        busy: row.try_get_by_index::<i64>(0)? != 0,
        log_pages: row.try_get_by_index::<i64>(1)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    /// With no copying task at all, so nothing but the writers keeps the log short: without
    /// their truncation, 96 transactions of 1 MB leave a log of about 100 MB.
    #[tokio::test]
    async fn writers_keep_the_log_within_its_bound_without_the_copying_task() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("log.db").display());
        let mut store = Store::connect(&url).await.expect("connect");
        // The store's own log keeps copying while the read log holds it: stop its task, whose
        // checkpoints would otherwise refuse this test's truncations now and then.
        if let Some(copier) = store.sqlite_log.as_ref().and_then(|log| log.copier.as_ref()) {
            copier.abort();
        }
        store.sqlite_log = Some(Arc::new(SqliteLog::open(&store.db, None).await.expect("log")));
        store.db.execute_unprepared("CREATE TABLE scratch (bytes BLOB)").await.expect("table");
        let log = dir.path().join("log.db-wal");
        let one_transaction = 2 << 20; // 1 MB of blob and its pages, with room to spare
        let mut largest = 0;
        for _ in 0..96 {
            let txn = store.write().await.expect("begin");
            txn.execute_unprepared("INSERT INTO scratch VALUES (randomblob(1048576))")
                .await
                .expect("insert");
            txn.commit().await.expect("commit");
            largest = largest.max(std::fs::metadata(&log).expect("log file").len());
        }
        assert!(largest > LOG_BOUND_BYTES, "the log never reached its bound ({largest} bytes)");
        assert!(
            largest <= LOG_BOUND_BYTES + one_transaction,
            "the log reached {} MB",
            largest >> 20
        );
    }
}
