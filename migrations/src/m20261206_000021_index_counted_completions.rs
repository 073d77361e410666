//! Indices for the reports: a report reads the completions of the programmes its rules accept
//! (a few in a hundred), and checks that each one's certificate stands. Both indices hold every
//! column those steps read, so PostgreSQL answers them from the index alone, without the
//! tables' rows (docs/benchmarks: the national report over 200,000 officials read every
//! completion and hashed every certificate of the country before).

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Completions {
    Table,
    Id,
    ProgramId,
    EndedOn,
    OfficialId,
    DurationDays,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    CompletionId,
}

const COUNTED: &str = "completions_by_program_counted";
const STANDING: &str = "certificates_by_completion_standing";
/// The index this migration's second one replaces: it was its first column.
const BY_COMPLETION: &str = "certificates_by_completion";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            Completions::Table,
            COUNTED,
            [
                Completions::ProgramId,
                Completions::EndedOn,
                Completions::OfficialId,
                Completions::DurationDays,
                Completions::Id,
            ],
        )
        .await?;
        create_index(
            manager,
            Certificates::Table,
            STANDING,
            [Certificates::CompletionId, Certificates::Id],
        )
        .await?;
        drop_index(manager, Certificates::Table, BY_COMPLETION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(manager, Certificates::Table, BY_COMPLETION, [Certificates::CompletionId])
            .await?;
        drop_index(manager, Certificates::Table, STANDING).await?;
        drop_index(manager, Completions::Table, COUNTED).await
    }
}
