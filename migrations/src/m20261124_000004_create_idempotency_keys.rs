//! Answers to requests sent with an `Idempotency-Key`, stored in the transaction that made the
//! change, so that a retry after any failure replays the first answer and writes nothing.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::required;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    RequestHash,
    Status,
    Response,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(required(IdempotencyKeys::Scope).string_len(80))
                    .col(required(IdempotencyKeys::Key).string_len(255))
                    .col(required(IdempotencyKeys::RequestHash).string_len(64))
                    .col(required(IdempotencyKeys::Status).integer())
                    .col(required(IdempotencyKeys::Response).text())
                    .col(required(IdempotencyKeys::CreatedAt).timestamp_with_time_zone())
                    .primary_key(
                        Index::create().col(IdempotencyKeys::Scope).col(IdempotencyKeys::Key),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IdempotencyKeys::Table).take()).await
    }
}
