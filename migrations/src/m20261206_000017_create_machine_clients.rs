//! Machine clients: systems (the National Public Service Portal, a ministry's HR system) that
//! obtain short-lived tokens with scopes, authenticating with a client secret (argon2 hash) or a
//! signed client assertion (RFC 7523, their public key registered as a JWK). The `jti` of each
//! assertion is remembered until it expires, so that a replay is refused by every process
//! sharing the database. Access tokens now say which scopes they carry.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MachineClients {
    Table,
    Id,
    Name,
    Scopes,
    AgencyCode,
    IncludeSubunits,
    AuthMethod,
    SecretHash,
    PublicJwk,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ClientAssertions {
    Table,
    ClientId,
    Jti,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Scopes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MachineClients::Table)
                    .col(id(MachineClients::Id))
                    .col(required(MachineClients::Name).string_len(100))
                    .col(required(MachineClients::Scopes).string_len(200))
                    .col(optional(MachineClients::AgencyCode).string_len(32))
                    .col(required(MachineClients::IncludeSubunits).boolean().default(false))
                    .col(required(MachineClients::AuthMethod).string_len(32))
                    .col(optional(MachineClients::SecretHash).string_len(200))
                    .col(optional(MachineClients::PublicJwk).text())
                    .col(required(MachineClients::CreatedAt).timestamp_with_time_zone())
                    .col(optional(MachineClients::RevokedAt).timestamp_with_time_zone())
                    .col(optional(MachineClients::LastUsedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientAssertions::Table)
                    .col(required(ClientAssertions::ClientId).uuid())
                    .col(required(ClientAssertions::Jti).string_len(200))
                    .col(required(ClientAssertions::ExpiresAt).timestamp_with_time_zone())
                    .primary_key(
                        Index::create().col(ClientAssertions::ClientId).col(ClientAssertions::Jti),
                    )
                    .foreign_key(&mut foreign_key(
                        (ClientAssertions::Table, ClientAssertions::ClientId),
                        (MachineClients::Table, MachineClients::Id),
                    ))
                    .take(),
            )
            .await?;
        // Expired assertions are swept by their expiry.
        manager
            .create_index(
                Index::create()
                    .name("client_assertions_by_expiry")
                    .table(ClientAssertions::Table)
                    .col(ClientAssertions::ExpiresAt)
                    .take(),
            )
            .await?;
        let scopes = optional(ApiTokens::Scopes).string_len(200).take();
        manager.alter_table(Table::alter().table(ApiTokens::Table).add_column(scopes).take()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ApiTokens::Table).drop_column(ApiTokens::Scopes).take(),
            )
            .await?;
        manager.drop_table(Table::drop().table(ClientAssertions::Table).take()).await?;
        manager.drop_table(Table::drop().table(MachineClients::Table).take()).await
    }
}
