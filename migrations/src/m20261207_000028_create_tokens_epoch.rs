//! The tokens' epoch: one number the database moves on whenever what a stored API token grants
//! could change (revoked, expired, re-scoped, moved to another holder, deleted), so that every
//! server process can keep the holders of the tokens it has checked and check them against one
//! cheap read shared by the requests of the moment, instead of one read of the token each.
//!
//! As with the verification epoch, triggers move it, whoever writes: another process, the CLI,
//! an operator at a SQL prompt. A new token needs no move: only tokens found are kept. Nor does
//! recording a token's last use, the one column written on the request path. On PostgreSQL the
//! trigger is a deferred constraint trigger, so that the epoch row is locked last, at commit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261123_000001_create_registry::required;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TokensEpoch {
    Table,
    Id,
    Epoch,
}

/// Every column of `api_tokens` but `last_used_at`.
const GRANTING: &str = "token_hash, role, institution_id, label, created_at, revoked_at, \
                        expires_at, client_id, agency_code, include_subunits, scopes";

const BUMP: &str = "UPDATE tokens_epoch SET epoch = epoch + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TokensEpoch::Table)
                    .col(required(TokensEpoch::Id).integer().primary_key())
                    .col(required(TokensEpoch::Epoch).big_integer())
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO tokens_epoch (id, epoch) VALUES (1, 0)").await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION hocba_next_tokens_epoch() RETURNS trigger
                     LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE CONSTRAINT TRIGGER api_tokens_next_tokens_epoch
                     AFTER UPDATE OF {GRANTING} OR DELETE ON api_tokens
                     DEFERRABLE INITIALLY DEFERRED
                     FOR EACH ROW EXECUTE FUNCTION hocba_next_tokens_epoch()"
                ))
                .await?;
            }
            _ => {
                // SQLite names one operation a trigger.
                for (name, operation) in sqlite_triggers() {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER {operation} ON api_tokens BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP FUNCTION IF EXISTS hocba_next_tokens_epoch() CASCADE")
                    .await?;
            }
            _ => {
                for (name, _) in sqlite_triggers() {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}")).await?;
                }
            }
        }
        manager.drop_table(Table::drop().table(TokensEpoch::Table).take()).await
    }
}

/// SQLite's triggers, by name and operation.
fn sqlite_triggers() -> [(&'static str, String); 2] {
    [
        ("api_tokens_update_next_tokens_epoch", format!("UPDATE OF {GRANTING}")),
        ("api_tokens_delete_next_tokens_epoch", "DELETE".to_owned()),
    ]
}
