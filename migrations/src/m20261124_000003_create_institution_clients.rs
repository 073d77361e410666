//! API clients of institutions (OAuth2 client credentials) and short-lived access tokens.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstitutionClients {
    Table,
    Id,
    InstitutionId,
    Label,
    SecretHash,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    ExpiresAt,
    ClientId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstitutionClients::Table)
                    .col(id(InstitutionClients::Id))
                    .col(required(InstitutionClients::InstitutionId).uuid())
                    .col(required(InstitutionClients::Label).string_len(100))
                    .col(required(InstitutionClients::SecretHash).string_len(200))
                    .col(required(InstitutionClients::CreatedAt).timestamp_with_time_zone())
                    .col(optional(InstitutionClients::RevokedAt).timestamp_with_time_zone())
                    .col(optional(InstitutionClients::LastUsedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (InstitutionClients::Table, InstitutionClients::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .take(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [ApiTokens::ExpiresAt, ApiTokens::ClientId] {
            let definition = match column {
                ApiTokens::ExpiresAt => optional(column).timestamp_with_time_zone().take(),
                _ => optional(column).uuid().take(),
            };
            manager
                .alter_table(Table::alter().table(ApiTokens::Table).add_column(definition).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ApiTokens::ClientId, ApiTokens::ExpiresAt] {
            manager
                .alter_table(Table::alter().table(ApiTokens::Table).drop_column(column).take())
                .await?;
        }
        manager.drop_table(Table::drop().table(InstitutionClients::Table).take()).await
    }
}
