//! The verification epoch: one number that the database itself moves on whenever a verdict
//! about a certificate could change (a revocation, which is also how a certificate is
//! superseded; a signing key added, retired or revoked), so that every server process can keep
//! the verdicts it has worked out and check them against one cheap read.
//!
//! Triggers move it, not the code, so that no write path (another process, `hocba keys`, an
//! operator at a SQL prompt) can change a verdict without the epoch seeing it. On PostgreSQL the
//! trigger is a deferred constraint trigger: it runs at commit, after every lock the transaction
//! takes, so the epoch row is locked last and only for the instant of the commit. Locked when
//! the revocation row is written instead, a revocation (epoch row, then the audit chain's lock)
//! and a correction (the chain's lock, then the epoch row) could wait for each other.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261123_000001_create_registry::required;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VerificationEpoch {
    Table,
    Id,
    Epoch,
}

/// The tables whose changes can change a verdict, and which changes: certificates and their
/// status lists are append-only; a revocation is a new row.
const WATCHED: [(&str, &str); 2] =
    [("certificate_revocations", "INSERT"), ("signing_keys", "INSERT OR UPDATE OR DELETE")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VerificationEpoch::Table)
                    .col(required(VerificationEpoch::Id).integer().primary_key())
                    .col(required(VerificationEpoch::Epoch).big_integer())
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO verification_epoch (id, epoch) VALUES (1, 0)").await?;
        let bump = "UPDATE verification_epoch SET epoch = epoch + 1 WHERE id = 1";
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION hocba_next_verification_epoch() RETURNS trigger
                     LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NULL; END $$"
                ))
                .await?;
                for (table, operations) in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER {table}_next_verification_epoch
                         AFTER {operations} ON {table} DEFERRABLE INITIALLY DEFERRED
                         FOR EACH ROW EXECUTE FUNCTION hocba_next_verification_epoch()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, operations) in WATCHED {
                    // SQLite names one operation a trigger; its one writer needs no ordering.
                    for operation in operations.split(" OR ") {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_{op}_next_verification_epoch
                             AFTER {operation} ON {table} BEGIN {bump}; END",
                            op = operation.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP FUNCTION IF EXISTS hocba_next_verification_epoch() CASCADE",
                )
                .await?;
            }
            _ => {
                for (table, operations) in WATCHED {
                    for operation in operations.split(" OR ") {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {table}_{op}_next_verification_epoch",
                            op = operation.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        manager.drop_table(Table::drop().table(VerificationEpoch::Table).take()).await
    }
}
