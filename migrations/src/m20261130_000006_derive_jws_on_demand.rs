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

use crate::m20261123_000001_create_registry::{refuse_while_any, set_nullable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: the definition and its version change together or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_nullable(manager, "certificates", "jws", "text", true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_while_any(
            manager,
            "SELECT 1 FROM certificates WHERE jws IS NULL LIMIT 1",
            "certificates without a stored JWS exist: serve them once, or keep this migration",
        )
        .await?;
        set_nullable(manager, "certificates", "jws", "text", false).await
    }
}
