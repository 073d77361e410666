//! A certificate's JWS may be left to be made when it is first served: Ed25519 is deterministic,
//! so the JWS made later from the stored credential is the one that would have been stored. A
//! class posted as a batch then writes about half the bytes per certificate.
//!
//! `certificates` is append-only (its triggers refuse updates) and referenced by revocations,
//! so on SQLite the column's `NOT NULL` is removed as SQLite documents for dropping a `NOT NULL`
//! constraint (<https://sqlite.org/lang_altertable.html#otheralter>): the table's definition is
//! edited in place, which changes no stored row, and the schema version is bumped so that every
//! open connection reloads it. Rebuilding the table would need foreign keys off, which cannot be
//! done inside the migration's transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const REQUIRED: &str = r#""jws" text NOT NULL"#;
const OPTIONAL: &str = r#""jws" text"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: the definition and its version change together or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                manager
                    .get_connection()
                    .execute_unprepared("ALTER TABLE certificates ALTER COLUMN jws DROP NOT NULL")
                    .await?;
                Ok(())
            }
            _ => edit_sqlite_definition(manager, REQUIRED, OPTIONAL).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let unmade = db
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 FROM certificates WHERE jws IS NULL LIMIT 1",
            ))
            .await?;
        if unmade.is_some() {
            return Err(DbErr::Migration(
                "certificates without a stored JWS exist: serve them once, or keep this migration"
                    .to_owned(),
            ));
        }
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE certificates ALTER COLUMN jws SET NOT NULL")
                    .await?;
                Ok(())
            }
            _ => edit_sqlite_definition(manager, OPTIONAL, REQUIRED).await,
        }
    }
}

/// Replaces `from` by `to` in the stored definition of SQLite's `certificates` table.
async fn edit_sqlite_definition(
    manager: &SchemaManager<'_>,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let version = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA schema_version"))
        .await?
        .ok_or_else(|| DbErr::Migration("SQLite reported no schema version".to_owned()))?
        .try_get_by_index::<i64>(0)?;
    db.execute_unprepared("PRAGMA writable_schema = ON").await?;
    let edited = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = replace(sql, ?, ?)
             WHERE type = 'table' AND name = 'certificates' AND instr(sql, ?) > 0",
            [from.into(), to.into(), from.into()],
        ))
        .await?
        .rows_affected();
    db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
    db.execute_unprepared("PRAGMA writable_schema = RESET").await?;
    if edited != 1 {
        return Err(DbErr::Migration(format!(
            "the definition of certificates does not hold {from}"
        )));
    }
    Ok(())
}
