//! The training standards' requirement rules, loaded from the rules file the registry ships (at
//! each start, and by `hocba rules load`): one row a rule, in the file's columns.
//!
//! Rows are never deleted: a rule the law ended keeps its `valid_to`, so evaluations as of an
//! earlier date still find it.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{optional, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequirementRules {
    Table,
    Id,
    Kind,
    AppliesTo,
    AnyOf,
    MinimumDays,
    Period,
    ValidFrom,
    ValidTo,
    LegalBasis,
    LoadedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequirementRules::Table)
                    .col(required(RequirementRules::Id).string_len(40).primary_key())
                    .col(required(RequirementRules::Kind).string_len(20))
                    .col(required(RequirementRules::AppliesTo).string_len(300))
                    .col(required(RequirementRules::AnyOf).string_len(500))
                    .col(optional(RequirementRules::MinimumDays).integer())
                    .col(required(RequirementRules::Period).string_len(40))
                    .col(required(RequirementRules::ValidFrom).date())
                    .col(optional(RequirementRules::ValidTo).date())
                    .col(required(RequirementRules::LegalBasis).text())
                    .col(required(RequirementRules::LoadedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RequirementRules::Table).take()).await
    }
}
