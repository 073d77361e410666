//! Share links: an official lets someone without an account (an HR officer) open the
//! verification page of their whole record or of one certificate, for a period they choose.
//! The link's secret is stored only as its SHA-256; a link expires, and is revoked by setting
//! `revoked_at` (the one change a row ever sees).

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShareLinks {
    Table,
    Id,
    OfficialId,
    CertificateId,
    SecretHash,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShareLinks::Table)
                    .col(id(ShareLinks::Id))
                    .col(required(ShareLinks::OfficialId).uuid())
                    .col(optional(ShareLinks::CertificateId).uuid())
                    .col(required(ShareLinks::SecretHash).string_len(64).unique_key())
                    .col(optional(ShareLinks::Label).string_len(400))
                    .col(required(ShareLinks::CreatedAt).timestamp_with_time_zone())
                    .col(required(ShareLinks::ExpiresAt).timestamp_with_time_zone())
                    .col(optional(ShareLinks::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (ShareLinks::Table, ShareLinks::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (ShareLinks::Table, ShareLinks::CertificateId),
                        (Certificates::Table, Certificates::Id),
                    ))
                    .take(),
            )
            .await?;
        // An official's links, listed newest first.
        manager
            .create_index(
                Index::create()
                    .name("share_links_by_official")
                    .table(ShareLinks::Table)
                    .col(ShareLinks::OfficialId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShareLinks::Table).take()).await
    }
}
