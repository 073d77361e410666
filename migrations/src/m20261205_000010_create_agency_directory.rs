//! The directory of agencies, a tree of codes with names, levels and validity; and HR keys
//! that cover an agency's sub-units.
//!
//! The rows come from the directory file the registry ships (loaded at each start) and from the
//! operator. Employment periods and HR keys name agencies by code; no foreign key binds them,
//! because periods recorded before the directory existed may name codes it does not hold: the
//! registry checks new periods and keys against it.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Code,
    Name,
    ParentCode,
    Level,
    ValidFrom,
    ValidTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    IncludeSubunits,
}

const BY_PARENT: &str = "agencies_by_parent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agencies::Table)
                    .col(required(Agencies::Code).string_len(32).primary_key())
                    .col(required(Agencies::Name).string_len(200))
                    .col(optional(Agencies::ParentCode).string_len(32))
                    .col(required(Agencies::Level).string_len(20))
                    .col(required(Agencies::ValidFrom).date())
                    .col(optional(Agencies::ValidTo).date())
                    .col(required(Agencies::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (Agencies::Table, Agencies::ParentCode),
                        (Agencies::Table, Agencies::Code),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_PARENT)
                    .table(Agencies::Table)
                    .col(Agencies::ParentCode)
                    .take(),
            )
            .await?;
        let column = required(ApiTokens::IncludeSubunits).boolean().default(false).take();
        manager.alter_table(Table::alter().table(ApiTokens::Table).add_column(column).take()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite empties a dropped table row by row, checking each row's parent as it goes:
        // unlink the tree first.
        let unlink = Query::update()
            .table(Agencies::Table)
            .value(Agencies::ParentCode, Option::<String>::None)
            .take();
        manager.exec_stmt(unlink).await?;
        manager.drop_table(Table::drop().table(Agencies::Table).take()).await?;
        // A key that covered sub-units reads only its own agency afterwards: less, never more.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .drop_column(ApiTokens::IncludeSubunits)
                    .take(),
            )
            .await
    }
}
