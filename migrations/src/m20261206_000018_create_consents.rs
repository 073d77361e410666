//! Consents: an official lets one machine client read their record, for a purpose, from one day
//! to another. A consent is withdrawn by setting `withdrawn_at` (the one change a row ever
//! sees); each read made under one names it in the read log (`record_reads.consent_id`), so the
//! official sees for which purpose their record was read.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{foreign_key, id, optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    OfficialId,
    ClientId,
    Purpose,
    ValidFrom,
    ValidUntil,
    GrantedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MachineClients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RecordReads {
    Table,
    ConsentId,
}

const BY_OFFICIAL_AND_CLIENT: &str = "consents_by_official_and_client";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(id(Consents::Id))
                    .col(required(Consents::OfficialId).uuid())
                    .col(required(Consents::ClientId).uuid())
                    // 200 characters of up to four bytes.
                    .col(required(Consents::Purpose).string_len(800))
                    .col(required(Consents::ValidFrom).date())
                    .col(required(Consents::ValidUntil).date())
                    .col(required(Consents::GrantedAt).timestamp_with_time_zone())
                    .col(optional(Consents::WithdrawnAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (Consents::Table, Consents::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Consents::Table, Consents::ClientId),
                        (MachineClients::Table, MachineClients::Id),
                    ))
                    .take(),
            )
            .await?;
        // A read checks the consents one official gave one client; an official lists theirs.
        manager
            .create_index(
                Index::create()
                    .name(BY_OFFICIAL_AND_CLIENT)
                    .table(Consents::Table)
                    .col(Consents::OfficialId)
                    .col(Consents::ClientId)
                    .take(),
            )
            .await?;
        // No foreign key: SQLite cannot add one to an existing table, and the read log is
        // append-only, so a consent it names is never deleted while the log holds it.
        let column = optional(RecordReads::ConsentId).uuid().take();
        manager
            .alter_table(Table::alter().table(RecordReads::Table).add_column(column).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(RecordReads::Table).drop_column(RecordReads::ConsentId).take(),
            )
            .await?;
        manager.drop_table(Table::drop().table(Consents::Table).take()).await
    }
}
