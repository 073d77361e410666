//! A SQLite connection goes back to the pool only outside any transaction.
//!
//! On some errors, `SQLITE_FULL` among them, SQLite rolls the whole transaction back by itself
//! ("Response To Errors Within A Transaction" in its documentation). The `ROLLBACK` sent when
//! the transaction is then dropped fails ("no transaction is active"), and sqlx, which counts a
//! connection's transactions itself and counts one down only when its statement succeeds, keeps
//! counting one. The next transaction on that connection therefore begins with a `SAVEPOINT`
//! instead of `BEGIN IMMEDIATE` (sea-orm asks for the mode only at depth 0), and ends with
//! `RELEASE` or `ROLLBACK TO`. The first `ROLLBACK TO` (any dropped reading transaction, any
//! refused write) leaves SQLite inside a transaction that nothing will end: from then on every
//! "commit" releases a savepoint inside it. The writes are answered, seen by that connection
//! alone, and lost when the process ends; the store has one connection that writes, so after a
//! full disk every write was lost from the first transaction that ended without a commit on.
//!
//! So a connection that sqlx still counts inside a transaction once its transaction has ended is
//! closed instead of reused: closing rolls back whatever SQLite still holds, and the pool opens
//! a new connection for the next request. PostgreSQL needs no such check: there a failed
//! statement aborts the transaction without ending it, and the `ROLLBACK` succeeds.

use sea_orm::sqlx::pool::{PoolConnectionMetadata, PoolOptions};
use sea_orm::sqlx::sqlite::{Sqlite, SqliteConnection};
use sea_orm::sqlx::{self, Connection};

/// `pool` with SQLite connections checked as they are released (see the module).
pub(crate) fn reusing_only_idle_connections(pool: PoolOptions<Sqlite>) -> PoolOptions<Sqlite> {
    pool.after_release(|connection, metadata| Box::pin(is_reusable(connection, metadata)))
}

async fn is_reusable(
    connection: &mut SqliteConnection,
    _: PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    // sqlx counts a transaction down only once its worker has ended it, so a connection counted
    // outside any has none open, and a dropped transaction's rollback, queued before the
    // release, is still counted: most releases (every commit, every statement outside a
    // transaction) need no round trip to the worker.
    if !connection.is_in_transaction() {
        return Ok(true);
    }
    // A dropped transaction's rollback is queued to the connection's worker, which runs it
    // before it answers this ping: only then does the count say how the rollback went.
    connection.ping().await?;
    if connection.is_in_transaction() {
        tracing::warn!(
            "closed a SQLite connection still counted inside a transaction after its transaction ended"
        );
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use crate::{Store, StoreError};

    /// Rows of `kept`, read by a connection of its own: what survives the store's.
    async fn kept_rows(url: &str) -> i64 {
        let db = Database::connect(url).await.unwrap();
        let statement =
            sea_orm::Statement::from_string(db.get_database_backend(), "SELECT count(*) FROM kept");
        let row = db.query_one_raw(statement).await.unwrap().unwrap();
        row.try_get_by_index(0).unwrap()
    }

    /// A write that SQLite rolls back by itself for want of space (here past the connection's
    /// `max_page_count`; in the e2e test, a full file system), then a reading transaction that
    /// ends without a commit, as a failed read does: a write committed after them is in the
    /// database for every connection. Before the connection was closed on release, the write
    /// was answered but seen only by the store's connection.
    #[tokio::test]
    async fn a_write_committed_after_sqlite_rolled_one_back_by_itself_is_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("full.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.db.execute_unprepared("CREATE TABLE kept (bytes BLOB)").await.unwrap();

        let full = store.write().await.unwrap();
        // The file may not grow by a page; a one-row insert keeps no statement journal, so
        // SQLite undoes the whole transaction, not only the statement.
        let refused = full
            .execute_unprepared(
                "PRAGMA max_page_count = 1; INSERT INTO kept VALUES (randomblob(100000))",
            )
            .await
            .unwrap_err();
        assert!(matches!(StoreError::from(refused), StoreError::StorageFull));
        drop(full);
        // `max_page_count` holds for the connection; whichever one comes next may grow again.
        store.db.execute_unprepared("PRAGMA max_page_count = 1073741823").await.unwrap();

        drop(store.read_primary().await.unwrap());
        let txn = store.write().await.unwrap();
        txn.execute_unprepared("INSERT INTO kept VALUES (x'01')").await.unwrap();
        txn.commit().await.unwrap();

        assert_eq!(kept_rows(&url).await, 1);
    }
}
