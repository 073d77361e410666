//! `completions_by_official` goes: `completions_by_official_program` begins with the same
//! column and answers every lookup by official, so the narrower index only cost an insert per
//! posted completion, and its space.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Completions {
    Table,
    OfficialId,
}

const BY_OFFICIAL: &str = "completions_by_official";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, Completions::Table, BY_OFFICIAL).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(manager, Completions::Table, BY_OFFICIAL, [Completions::OfficialId]).await
    }
}
