//! Signed credentials compressed with LZ4 on PostgreSQL. A certificate's credential (about
//! 4.6 KB of JSON) is compressed when it is written and decompressed whenever it is read; with
//! PostgreSQL's default `pglz` both were among the largest costs of posting a class and of
//! reading a record (docs/benchmarks). LZ4 does both several times faster, for slightly larger
//! values. Rows already written keep their compression; PostgreSQL reads either.
//!
//! SQLite stores text uncompressed: nothing to do there. A PostgreSQL built without LZ4 keeps
//! `pglz`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns that hold signed credentials.
const CREDENTIALS: [(&str, &str); 2] =
    [("certificates", "credential"), ("transcripts", "credential")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres && lz4_available(manager).await? {
            set_compression(manager, "lz4").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            set_compression(manager, "default").await?;
        }
        Ok(())
    }
}

async fn lz4_available(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    let found = manager
        .get_connection()
        .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' \
             AND 'lz4' = ANY(enumvals)",
        ))
        .await?;
    Ok(found.is_some())
}

async fn set_compression(manager: &SchemaManager<'_>, method: &str) -> Result<(), DbErr> {
    for (table, column) in CREDENTIALS {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}"
            ))
            .await?;
    }
    Ok(())
}
