//! Webhooks (Standard Webhooks): subscriptions, one delivery per event and subscription, and the
//! log of every attempt.
//!
//! A subscription's secret must be usable to sign, so it is sealed (AES-256-GCM, with a key from
//! the key directory), never hashed. `fanned_out_through` is the position in the events feed up
//! to which deliveries were created. A delivery's id is the `webhook-id` of every attempt, so a
//! delivery retried after a crash carries the same one; `lease_until` and `claim` say which
//! worker holds it and until when.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookSubscriptions {
    Table,
    Id,
    ClientId,
    Url,
    EventTypes,
    SecretSealed,
    Status,
    ConsecutiveFailures,
    FannedOutThrough,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    SubscriptionId,
    EventSeq,
    EventType,
    Payload,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    Claim,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    SubscriptionId,
    Attempt,
    StatusCode,
    Error,
    AttemptedAt,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        // Deleting a subscription deletes its deliveries and their log.
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookSubscriptions::Table)
                    .col(id(WebhookSubscriptions::Id))
                    .col(optional(WebhookSubscriptions::ClientId).uuid())
                    .col(required(WebhookSubscriptions::Url).string_len(2_000))
                    .col(required(WebhookSubscriptions::EventTypes).string_len(2_000))
                    .col(required(WebhookSubscriptions::SecretSealed).string_len(200))
                    .col(required(WebhookSubscriptions::Status).string_len(16))
                    .col(required(WebhookSubscriptions::ConsecutiveFailures).integer())
                    .col(required(WebhookSubscriptions::FannedOutThrough).big_integer())
                    .col(required(WebhookSubscriptions::CreatedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(id(WebhookDeliveries::Id))
                    .col(required(WebhookDeliveries::SubscriptionId).uuid())
                    .col(required(WebhookDeliveries::EventSeq).big_integer())
                    .col(required(WebhookDeliveries::EventType).string_len(64))
                    .col(required(WebhookDeliveries::Payload).text())
                    .col(required(WebhookDeliveries::State).string_len(16))
                    .col(required(WebhookDeliveries::Attempts).integer())
                    .col(required(WebhookDeliveries::NextAttemptAt).timestamp_with_time_zone())
                    .col(optional(WebhookDeliveries::LeaseUntil).timestamp_with_time_zone())
                    .col(optional(WebhookDeliveries::Claim).uuid())
                    .col(required(WebhookDeliveries::CreatedAt).timestamp_with_time_zone())
                    .col(optional(WebhookDeliveries::DeliveredAt).timestamp_with_time_zone())
                    .foreign_key(&mut cascade(
                        (WebhookDeliveries::Table, WebhookDeliveries::SubscriptionId),
                        (WebhookSubscriptions::Table, WebhookSubscriptions::Id),
                    ))
                    .take(),
            )
            .await?;
        // One delivery per event and subscription, however often the events are fanned out.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_once_per_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::SubscriptionId)
                    .col(WebhookDeliveries::EventSeq)
                    .unique()
                    .take(),
            )
            .await?;
        // The workers' queue: pending deliveries, soonest first.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(id(WebhookAttempts::Id))
                    .col(required(WebhookAttempts::DeliveryId).uuid())
                    .col(required(WebhookAttempts::SubscriptionId).uuid())
                    .col(required(WebhookAttempts::Attempt).integer())
                    .col(optional(WebhookAttempts::StatusCode).integer())
                    .col(optional(WebhookAttempts::Error).string_len(500))
                    .col(required(WebhookAttempts::AttemptedAt).timestamp_with_time_zone())
                    .foreign_key(&mut cascade(
                        (WebhookAttempts::Table, WebhookAttempts::DeliveryId),
                        (WebhookDeliveries::Table, WebhookDeliveries::Id),
                    ))
                    .take(),
            )
            .await?;
        // A subscription's delivery log, oldest first (ids are time-ordered).
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempts_by_subscription")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::SubscriptionId)
                    .col(WebhookAttempts::Id)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookSubscriptions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
