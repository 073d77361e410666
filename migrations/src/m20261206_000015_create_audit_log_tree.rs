//! The audit log as a Merkle tree (RFC 6962, C2SP tlog): each audit event is a leaf, and the
//! hashes of the tree's complete subtrees are stored as the log grows, so that a root or a proof
//! reads a few dozen rows, never the whole log.
//!
//! `audit_log_leaves` gives each event its place in the tree (`leaf_index`, from 0, in `seq`
//! order) and its leaf hash; `audit_log_nodes` holds the hash of every complete subtree of two
//! leaves or more: level `L`, position `p` covers leaves `p·2^L .. (p+1)·2^L`. Both are
//! append-only, like the events. Existing events become leaves at the next append (or at the
//! server's start): hashing needs SHA-256, which SQLite's SQL does not have.
//!
//! There is no foreign key to `audit_events`: the tree is what proves the events intact, and a
//! foreign key would only make an attacker's deletion of an event fail loudly instead of being
//! detected by `hocba audit verify --checkpoint`, which is the check that matters.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_registry::{forbid_update_and_delete, required};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLogLeaves {
    Table,
    LeafIndex,
    EventSeq,
    Hash,
}

#[derive(DeriveIden)]
enum AuditLogNodes {
    Table,
    Level,
    Position,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLogLeaves::Table)
                    .col(required(AuditLogLeaves::LeafIndex).big_integer().primary_key())
                    .col(required(AuditLogLeaves::EventSeq).big_integer().unique_key())
                    .col(required(AuditLogLeaves::Hash).blob())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLogNodes::Table)
                    .col(required(AuditLogNodes::Level).small_integer())
                    .col(required(AuditLogNodes::Position).big_integer())
                    .col(required(AuditLogNodes::Hash).blob())
                    .primary_key(
                        Index::create().col(AuditLogNodes::Level).col(AuditLogNodes::Position),
                    )
                    .take(),
            )
            .await?;
        for table in ["audit_log_leaves", "audit_log_nodes"] {
            forbid_update_and_delete(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [AuditLogNodes::Table.into_iden(), AuditLogLeaves::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
