//! API keys for HR departments: an `agency` token names the agency whose staff it may read.

use sea_orm_migration::prelude::*;

use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::m20261123_000001_create_registry::optional;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    AgencyCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = optional(ApiTokens::AgencyCode).string_len(32).take();
        manager.alter_table(Table::alter().table(ApiTokens::Table).add_column(column).take()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Without the column an agency key, live or revoked, would no longer say whose it was.
        let keys = manager
            .get_connection()
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 FROM api_tokens WHERE agency_code IS NOT NULL LIMIT 1",
            ))
            .await?;
        if keys.is_some() {
            return Err(DbErr::Migration(
                "HR agency keys exist: this migration stays while they do".to_owned(),
            ));
        }
        manager
            .alter_table(
                Table::alter().table(ApiTokens::Table).drop_column(ApiTokens::AgencyCode).take(),
            )
            .await
    }
}
