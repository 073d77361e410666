//! The outbox's horizon: the position through which old events have been pruned.
//!
//! A feed reader whose cursor is older than the horizon would otherwise skip the pruned events
//! without knowing; with it, the registry tells that reader its cursor is gone. One row, made
//! here, so that pruning only ever updates it (and can move it forward only).

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxHorizon {
    Table,
    Id,
    PrunedThrough,
    PrunedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxHorizon::Table)
                    .col(required(OutboxHorizon::Id).integer().primary_key())
                    .col(required(OutboxHorizon::PrunedThrough).big_integer())
                    .col(optional(OutboxHorizon::PrunedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;
        let row = Query::insert()
            .into_table(OutboxHorizon::Table)
            .columns([OutboxHorizon::Id, OutboxHorizon::PrunedThrough])
            .values_panic([1.into(), 0i64.into()])
            .take();
        manager.exec_stmt(row).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OutboxHorizon::Table).take()).await
    }
}
