//! Finding whether a completion was superseded by a correction must not scan the table.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Completions {
    Table,
    SupersedesId,
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
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
