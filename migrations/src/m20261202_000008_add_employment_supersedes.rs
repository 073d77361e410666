//! Ending or correcting an employment period: the new period names the one it supersedes.
//!
//! `employments` is append-only, so a period is never edited: its end, or a correction, is a
//! new row whose `supersedes_id` names the row it replaces. The index is unique, so a period is
//! superseded at most once and its history is a chain, never a fork (two operators changing
//! the same period at once: the second is refused).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::m20261123_000001_create_registry::optional;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Employments {
    Table,
    SupersedesId,
}

const INDEX: &str = "employments_by_supersedes";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = optional(Employments::SupersedesId).uuid().take();
        manager
            .alter_table(Table::alter().table(Employments::Table).add_column(column).take())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Employments::Table)
                    .col(Employments::SupersedesId)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Without the column an ended or corrected period would count again beside the one
        // that replaced it: an agency would read again the staff it has lost.
        let changed = manager
            .get_connection()
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 FROM employments WHERE supersedes_id IS NOT NULL LIMIT 1",
            ))
            .await?;
        if changed.is_some() {
            return Err(DbErr::Migration(
                "employment periods were ended or corrected: this migration stays while they are"
                    .to_owned(),
            ));
        }
        manager.drop_index(Index::drop().name(INDEX).table(Employments::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Employments::Table)
                    .drop_column(Employments::SupersedesId)
                    .take(),
            )
            .await
    }
}
