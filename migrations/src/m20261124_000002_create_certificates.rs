//! Certificates: the registry's signing keys, revocation status lists, issued certificates and
//! their revocations.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{
    create_index, forbid_update_and_delete, foreign_key, id, optional, required,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    PublicKey,
    Status,
    CreatedAt,
    RetiredAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum StatusLists {
    Table,
    Id,
    Seed,
    Size,
    NextPosition,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Number,
    CompletionId,
    OfficialId,
    InstitutionId,
    Kid,
    IssuedAt,
    StatusList,
    StatusIndex,
    Credential,
    Jws,
}

#[derive(DeriveIden)]
enum CertificateRevocations {
    Table,
    CertificateId,
    Reason,
    Note,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Completions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(required(SigningKeys::Kid).string_len(64).primary_key())
                    .col(required(SigningKeys::PublicKey).string_len(64).unique_key())
                    .col(required(SigningKeys::Status).string_len(16))
                    .col(required(SigningKeys::CreatedAt).timestamp_with_time_zone())
                    .col(optional(SigningKeys::RetiredAt).timestamp_with_time_zone())
                    .col(optional(SigningKeys::RevokedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StatusLists::Table)
                    .col(required(StatusLists::Id).integer().primary_key())
                    .col(required(StatusLists::Seed).string_len(64))
                    .col(required(StatusLists::Size).integer())
                    .col(required(StatusLists::NextPosition).integer())
                    .col(required(StatusLists::CreatedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(id(Certificates::Id))
                    .col(required(Certificates::Number).string_len(32).unique_key())
                    .col(required(Certificates::CompletionId).uuid())
                    .col(required(Certificates::OfficialId).uuid())
                    .col(required(Certificates::InstitutionId).uuid())
                    .col(required(Certificates::Kid).string_len(64))
                    .col(required(Certificates::IssuedAt).timestamp_with_time_zone())
                    .col(required(Certificates::StatusList).integer())
                    .col(required(Certificates::StatusIndex).integer())
                    .col(required(Certificates::Credential).text())
                    .col(required(Certificates::Jws).text())
                    .foreign_key(&mut foreign_key(
                        (Certificates::Table, Certificates::CompletionId),
                        (Completions::Table, Completions::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Certificates::Table, Certificates::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Certificates::Table, Certificates::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Certificates::Table, Certificates::Kid),
                        (SigningKeys::Table, SigningKeys::Kid),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Certificates::Table, Certificates::StatusList),
                        (StatusLists::Table, StatusLists::Id),
                    ))
                    .take(),
            )
            .await?;
        // A status bit belongs to one certificate, for ever.
        manager
            .create_index(
                Index::create()
                    .name("certificates_status_slot")
                    .table(Certificates::Table)
                    .col(Certificates::StatusList)
                    .col(Certificates::StatusIndex)
                    .unique()
                    .take(),
            )
            .await?;
        create_index(
            manager,
            Certificates::Table,
            "certificates_by_official",
            [Certificates::OfficialId],
        )
        .await?;
        create_index(
            manager,
            Certificates::Table,
            "certificates_by_completion",
            [Certificates::CompletionId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateRevocations::Table)
                    .col(id(CertificateRevocations::CertificateId))
                    .col(required(CertificateRevocations::Reason).string_len(32))
                    .col(optional(CertificateRevocations::Note).string_len(500))
                    .col(required(CertificateRevocations::RevokedAt).timestamp_with_time_zone())
                    .col(required(CertificateRevocations::RevokedBy).string_len(80))
                    .foreign_key(&mut foreign_key(
                        (CertificateRevocations::Table, CertificateRevocations::CertificateId),
                        (Certificates::Table, Certificates::Id),
                    ))
                    .take(),
            )
            .await?;

        for table in ["certificates", "certificate_revocations"] {
            forbid_update_and_delete(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["certificate_revocations", "certificates", "status_lists", "signing_keys"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).take()).await?;
        }
        Ok(())
    }
}
