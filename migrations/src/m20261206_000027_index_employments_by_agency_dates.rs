//! `employments_by_agency` becomes `employments_by_agency_dates`: the same first column, then
//! every column a report reads to find the periods in effect in an agency subtree on a day
//! (the dates, the official, the period's id for the check that no correction superseded it).
//! A province's report then reads its agencies' periods from the index alone, instead of
//! fetching each period's row, past ones included, only to drop most of them: Hà Nội's RPT-STD
//! over 1,000,000 officials on SQLite took 1.79-1.84 s before and 1.17-1.19 s after
//! (docs/benchmarks).
//! Looking up an agency's staff by its code still uses the first column.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Employments {
    Table,
    Id,
    OfficialId,
    AgencyCode,
    ValidFrom,
    ValidTo,
}

const BY_AGENCY: &str = "employments_by_agency";
const BY_AGENCY_DATES: &str = "employments_by_agency_dates";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            Employments::Table,
            BY_AGENCY_DATES,
            [
                Employments::AgencyCode,
                Employments::ValidFrom,
                Employments::ValidTo,
                Employments::OfficialId,
                Employments::Id,
            ],
        )
        .await?;
        drop_index(manager, Employments::Table, BY_AGENCY).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(manager, Employments::Table, BY_AGENCY, [Employments::AgencyCode]).await?;
        drop_index(manager, Employments::Table, BY_AGENCY_DATES).await
    }
}
