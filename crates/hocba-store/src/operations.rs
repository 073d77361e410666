//! What operating the registry needs of its database: pool use for monitoring, and an online
//! backup of a SQLite file.

use std::path::Path;

use sea_orm::{ConnectionTrait, DbBackend, Statement, sqlx};

use crate::{Store, StoreError};

/// The connection pool's use at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open.
    pub open: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// Connections the pool may open.
    pub max: u32,
}

impl Store {
    /// How many connections are open, idle and allowed (read from the pool, no query).
    pub fn pool_use(&self) -> PoolUse {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => use_of(self.db.get_sqlite_connection_pool()),
            DbBackend::Postgres => use_of(self.db.get_postgres_connection_pool()),
            _ => PoolUse::default(),
        }
    }

    /// Writes a consistent copy of a SQLite registry to `target` while it keeps serving.
    ///
    /// `VACUUM INTO` reads one snapshot, as any reader does beside the writers of a
    /// write-ahead-logged file, and writes it compacted to a new file that is a database on its
    /// own (no log beside it). It refuses a `target` that exists and is not empty. PostgreSQL is
    /// backed up with its own tools (`pg_dump`, base backups and archived WAL).
    pub async fn backup_into(&self, target: &Path) -> Result<(), StoreError> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return Err(StoreError::Rule {
                field: "database_url",
                reason: "only a SQLite registry is backed up this way; back up PostgreSQL with \
                         pg_dump or a base backup and archived WAL"
                    .to_owned(),
            });
        }
        let target = target.to_str().ok_or_else(|| StoreError::Rule {
            field: "target",
            reason: "the path must be UTF-8".to_owned(),
        })?;
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [target.into()],
            ))
            .await?;
        Ok(())
    }
}

fn use_of<Db: sqlx::Database>(pool: &sqlx::Pool<Db>) -> PoolUse {
    PoolUse {
        open: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}
