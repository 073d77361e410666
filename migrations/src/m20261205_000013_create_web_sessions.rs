//! Browser sessions: who signed in to the pages, and the OpenID Connect sign-ins under way.
//!
//! A session names its holder as the API does: an official (signed in at the identity
//! provider), or the API token (an HR department's key, an operator's token) typed into the
//! sign-in form, by its id, so that revoking the key ends its sessions. Only the SHA-256 of the
//! cookie's secret is kept. A sign-in under way keeps its `state` (hashed), `nonce` and PKCE
//! verifier here, for ten minutes and one use, so that any instance of the registry can finish
//! what another began.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Id,
    SecretHash,
    OfficialId,
    TokenId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum WebSignIns {
    Table,
    StateHash,
    Nonce,
    CodeVerifier,
    ReturnTo,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebSessions::Table)
                    .col(id(WebSessions::Id))
                    .col(required(WebSessions::SecretHash).string_len(64).unique_key())
                    .col(optional(WebSessions::OfficialId).uuid())
                    .col(optional(WebSessions::TokenId).uuid())
                    .col(required(WebSessions::CreatedAt).timestamp_with_time_zone())
                    .col(required(WebSessions::LastSeenAt).timestamp_with_time_zone())
                    .col(required(WebSessions::ExpiresAt).timestamp_with_time_zone())
                    .col(optional(WebSessions::EndedAt).timestamp_with_time_zone())
                    // Exactly one holder: an official or a token.
                    .check(
                        Expr::col(WebSessions::OfficialId)
                            .is_null()
                            .ne(Expr::col(WebSessions::TokenId).is_null()),
                    )
                    .foreign_key(&mut foreign_key(
                        (WebSessions::Table, WebSessions::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (WebSessions::Table, WebSessions::TokenId),
                        (ApiTokens::Table, ApiTokens::Id),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebSignIns::Table)
                    .col(required(WebSignIns::StateHash).string_len(64).primary_key())
                    .col(required(WebSignIns::Nonce).string_len(64))
                    .col(required(WebSignIns::CodeVerifier).string_len(128))
                    .col(required(WebSignIns::ReturnTo).string_len(2048))
                    .col(required(WebSignIns::CreatedAt).timestamp_with_time_zone())
                    .col(required(WebSignIns::ExpiresAt).timestamp_with_time_zone())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebSignIns::Table).take()).await?;
        manager.drop_table(Table::drop().table(WebSessions::Table).take()).await
    }
}
