//! The outbox: one row per public event (an official registered, a certificate issued, a key
//! retired...), written in the same transaction as the change it reports, read by the changes
//! feed (`GET /api/v1/events`) and the webhooks' delivery.
//!
//! `position` orders the feed. It is assigned while the writer holds the audit chain's lock,
//! which it keeps until it commits, so positions follow commit order (see the store's `outbox`
//! module). Rows name their subjects by id only: no personal data.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Position,
    EventId,
    EventType,
    OccurredAt,
    OfficialId,
    CompletionId,
    CertificateNumber,
    KeyId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(
                        required(OutboxEvents::Position)
                            .big_integer()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(required(OutboxEvents::EventId).uuid().unique_key())
                    .col(required(OutboxEvents::EventType).string_len(40))
                    .col(required(OutboxEvents::OccurredAt).timestamp_with_time_zone())
                    .col(optional(OutboxEvents::OfficialId).uuid())
                    .col(optional(OutboxEvents::CompletionId).uuid())
                    .col(optional(OutboxEvents::CertificateNumber).string_len(40))
                    .col(optional(OutboxEvents::KeyId).string_len(64))
                    .take(),
            )
            .await?;
        // A reader following a few types skips the others through this index, not a scan.
        manager
            .create_index(
                Index::create()
                    .name("outbox_events_by_type")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::EventType)
                    .col(OutboxEvents::Position)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OutboxEvents::Table).take()).await
    }
}
