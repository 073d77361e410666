//! Transcripts: every whole-record `ClrCredential` the registry signed, kept as issued, so that
//! what was said about an official, when and under which key stays on record (and a transcript
//! holds its status bit for ever, as a certificate does).

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{
    forbid_update_and_delete, foreign_key, id, required,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Transcripts {
    Table,
    Id,
    OfficialId,
    Fingerprint,
    Kid,
    IssuedAt,
    StatusList,
    StatusIndex,
    Credential,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
}

#[derive(DeriveIden)]
enum StatusLists {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Transcripts::Table)
                    .col(id(Transcripts::Id))
                    .col(required(Transcripts::OfficialId).uuid())
                    .col(required(Transcripts::Fingerprint).string_len(64))
                    .col(required(Transcripts::Kid).string_len(64))
                    .col(required(Transcripts::IssuedAt).timestamp_with_time_zone())
                    .col(required(Transcripts::StatusList).integer())
                    .col(required(Transcripts::StatusIndex).integer())
                    .col(required(Transcripts::Credential).text())
                    .foreign_key(&mut foreign_key(
                        (Transcripts::Table, Transcripts::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Transcripts::Table, Transcripts::Kid),
                        (SigningKeys::Table, SigningKeys::Kid),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Transcripts::Table, Transcripts::StatusList),
                        (StatusLists::Table, StatusLists::Id),
                    ))
                    .take(),
            )
            .await?;
        // One transcript per state of a record: asking again while nothing changed gets the
        // one already signed, and two requests at once cannot sign two.
        manager
            .create_index(
                Index::create()
                    .name("transcripts_by_official_state")
                    .table(Transcripts::Table)
                    .col(Transcripts::OfficialId)
                    .col(Transcripts::Fingerprint)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("transcripts_status_slot")
                    .table(Transcripts::Table)
                    .col(Transcripts::StatusList)
                    .col(Transcripts::StatusIndex)
                    .unique()
                    .take(),
            )
            .await?;
        forbid_update_and_delete(manager, "transcripts").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Transcripts::Table).take()).await
    }
}
