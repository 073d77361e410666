//! Schema migrations for SQLite and PostgreSQL.
//!
//! Migrations are append-only: a released migration is never edited; a change is a new one named
//! `mYYYYMMDD_NNNNNN_verb_noun`. Each runs unchanged on both backends (tests migrate up and down
//! on both).

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_registry;
mod m20261124_000002_create_certificates;
mod m20261124_000003_create_institution_clients;
mod m20261124_000004_create_idempotency_keys;
mod m20261124_000005_index_completions_for_posting;
mod m20261130_000006_derive_jws_on_demand;
mod m20261201_000007_add_agency_keys;
mod m20261202_000008_add_employment_supersedes;
mod m20261205_000010_create_agency_directory;
mod m20261205_000011_create_requirement_rules;
mod m20261205_000012_create_transcripts_transcript;
mod m20261205_000013_create_web_sessions;
mod m20261205_000014_create_share_links;
mod m20261206_000015_create_audit_log_tree;
mod m20261206_000016_create_verification_epoch;
mod m20261206_000017_create_machine_clients;
mod m20261206_000018_create_consents;
mod m20261206_000019_create_outbox;
mod m20261206_000020_create_webhooks;
mod m20261206_000021_index_counted_completions;
mod m20261206_000022_compress_credentials_lz4;
mod m20261206_000023_drop_completions_by_official;
mod m20261206_000024_index_only_superseding_completions;
mod m20261206_000025_pack_credentials;
mod m20261206_000026_create_outbox_horizon;
mod m20261206_000027_index_employments_by_agency_dates;
mod m20261207_000028_create_tokens_epoch;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_registry::Migration),
            Box::new(m20261124_000002_create_certificates::Migration),
            Box::new(m20261124_000003_create_institution_clients::Migration),
            Box::new(m20261124_000004_create_idempotency_keys::Migration),
            Box::new(m20261124_000005_index_completions_for_posting::Migration),
            Box::new(m20261130_000006_derive_jws_on_demand::Migration),
            Box::new(m20261201_000007_add_agency_keys::Migration),
            Box::new(m20261202_000008_add_employment_supersedes::Migration),
            Box::new(m20261205_000010_create_agency_directory::Migration),
            Box::new(m20261205_000011_create_requirement_rules::Migration),
            Box::new(m20261205_000012_create_transcripts_transcript::Migration),
            Box::new(m20261205_000013_create_web_sessions::Migration),
            Box::new(m20261205_000014_create_share_links::Migration),
            Box::new(m20261206_000015_create_audit_log_tree::Migration),
            Box::new(m20261206_000016_create_verification_epoch::Migration),
            Box::new(m20261206_000017_create_machine_clients::Migration),
            Box::new(m20261206_000018_create_consents::Migration),
            Box::new(m20261206_000019_create_outbox::Migration),
            Box::new(m20261206_000020_create_webhooks::Migration),
            Box::new(m20261206_000021_index_counted_completions::Migration),
            Box::new(m20261206_000022_compress_credentials_lz4::Migration),
            Box::new(m20261206_000023_drop_completions_by_official::Migration),
            Box::new(m20261206_000024_index_only_superseding_completions::Migration),
            Box::new(m20261206_000025_pack_credentials::Migration),
            Box::new(m20261206_000026_create_outbox_horizon::Migration),
            Box::new(m20261206_000027_index_employments_by_agency_dates::Migration),
            Box::new(m20261207_000028_create_tokens_epoch::Migration),
        ]
    }
}

pub use sea_orm_migration::MigratorTrait as Migrate;
