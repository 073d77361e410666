//! Indices for posting: finding an official's earlier completion of a programme, and whether a
//! completion was superseded, must not scan the institution's completions.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Completions {
    Table,
    SupersedesId,
    OfficialId,
    ProgramId,
    StartedOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            Completions::Table,
            "completions_by_supersedes",
            [Completions::SupersedesId],
        )
        .await?;
        create_index(
            manager,
            Completions::Table,
            "completions_by_official_program",
            [Completions::OfficialId, Completions::ProgramId, Completions::StartedOn],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("completions_by_official_program")
                    .table(Completions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("completions_by_supersedes")
                    .table(Completions::Table)
                    .to_owned(),
            )
            .await
    }
}
