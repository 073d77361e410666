//! A certificate's signed credential is kept packed: `packed_credential` holds it compressed
//! with Zstandard against a dictionary of what credentials repeat (hocba-store's
//! `certificates/packing.rs`), about 600 bytes where the JSON text is 4.6 KB. Rows already
//! written keep their text in `credential`, which is therefore no longer required; a row holds
//! exactly one of the two, and the database refuses any other.
//!
//! `certificates` is append-only, so the text of old rows is never rewritten: both forms are
//! read for as long as the registry exists. On SQLite the `NOT NULL` is dropped by editing the
//! table's definition, as migration 6 did for `jws`.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{optional, refuse_while_any, set_nullable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    PackedCredential,
}

const ONE_FORM: &str = "(credential IS NULL) <> (packed_credential IS NULL)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: the definition and its version change together or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_nullable(manager, "certificates", "credential", "text", true).await?;
        // A column's CHECK is tested against the rows already there, on both databases.
        let packed =
            optional(Certificates::PackedCredential).binary().check(Expr::cust(ONE_FORM)).take();
        manager
            .alter_table(Table::alter().table(Certificates::Table).add_column(packed).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_while_any(
            manager,
            "SELECT 1 FROM certificates WHERE packed_credential IS NOT NULL LIMIT 1",
            "certificates with packed credentials exist: keep this migration",
        )
        .await?;
        let drop = Table::alter()
            .table(Certificates::Table)
            .drop_column(Certificates::PackedCredential)
            .take();
        manager.alter_table(drop).await?;
        set_nullable(manager, "certificates", "credential", "text", false).await
    }
}
