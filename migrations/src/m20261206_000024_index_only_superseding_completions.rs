//! `completions_by_supersedes` holds only the completions that correct another. Nearly every
//! completion supersedes nothing, and the full index gave each of them an entry (a NULL) that
//! cost an insert when it was posted and space for ever, while every lookup asks for a
//! superseded completion by id, which the partial index answers on both databases.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Completions {
    Table,
    SupersedesId,
}

const BY_SUPERSEDES: &str = "completions_by_supersedes";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, Completions::Table, BY_SUPERSEDES).await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_SUPERSEDES)
                    .table(Completions::Table)
                    .col(Completions::SupersedesId)
                    .and_where(Expr::col(Completions::SupersedesId).is_not_null())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, Completions::Table, BY_SUPERSEDES).await?;
        create_index(manager, Completions::Table, BY_SUPERSEDES, [Completions::SupersedesId]).await
    }
}
