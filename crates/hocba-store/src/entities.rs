//! sea-orm entities, one per table; private to this crate.
//!
//! Columns hold stored forms (`snake_case` strings for enums); repositories turn rows into the
//! records the rest of the registry sees.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub family: String,
        pub title_vi: String,
        pub title_en: String,
        pub valid_from: TimeDate,
        pub valid_to: Option<TimeDate>,
        pub legal_basis: String,
    }
    no_relations!();
}

pub mod institution {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "institutions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub kind: String,
        pub parent_authority: Option<String>,
        pub status: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod scope {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accreditation_scopes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub category_code: String,
        pub valid_from: TimeDate,
        pub valid_to: Option<TimeDate>,
        pub decision: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod program {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "programs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub code: String,
        pub title_vi: String,
        pub title_en: Option<String>,
        pub category_code: String,
        pub min_days: i32,
        pub min_periods: Option<i32>,
        pub periods_per_day: i16,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod class {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "classes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub program_id: Uuid,
        pub code: String,
        pub starts_on: TimeDate,
        pub ends_on: TimeDate,
        pub place: Option<String>,
        pub mode: String,
        pub seats: Option<i32>,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod official {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "officials")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub national_id: String,
        pub full_name: String,
        pub name_key: String,
        pub date_of_birth: TimeDate,
        pub gender: String,
        pub ethnicity_code: Option<i16>,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();

    /// Personal data stays out of logs, even in a debug dump of a row.
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("official::Model").field("id", &self.id).finish_non_exhaustive()
        }
    }
}

pub mod employment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "employments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub official_id: Uuid,
        pub agency_code: String,
        pub agency_name: String,
        pub level: String,
        pub rank_code: Option<String>,
        pub position_title: Option<String>,
        pub leadership_level: Option<String>,
        pub leadership_group: Option<String>,
        pub valid_from: TimeDate,
        pub valid_to: Option<TimeDate>,
        pub created_at: TimeDateTimeWithTimeZone,
        /// The period this one replaces (it ended it or corrected it).
        pub supersedes_id: Option<Uuid>,
    }
    no_relations!();
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub role: String,
        pub institution_id: Option<Uuid>,
        pub label: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        pub last_used_at: Option<TimeDateTimeWithTimeZone>,
        pub expires_at: Option<TimeDateTimeWithTimeZone>,
        pub client_id: Option<Uuid>,
        pub agency_code: Option<String>,
        /// Whether an agency key also reads the staff of the agency's sub-units.
        pub include_subunits: bool,
        /// A machine client's token: the scopes it carries, space-separated.
        pub scopes: Option<String>,
    }
    no_relations!();
}

pub mod agency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agencies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub parent_code: Option<String>,
        pub level: String,
        pub valid_from: TimeDate,
        pub valid_to: Option<TimeDate>,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod institution_client {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "institution_clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub label: String,
        pub secret_hash: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        pub last_used_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod machine_client {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "machine_clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        /// Space-separated, as OAuth writes scopes.
        pub scopes: String,
        pub agency_code: Option<String>,
        pub include_subunits: bool,
        /// `client_secret` or `private_key_jwt`.
        pub auth_method: String,
        pub secret_hash: Option<String>,
        /// The public key of a `private_key_jwt` client, as a JWK (JSON text).
        pub public_jwk: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        pub last_used_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod client_assertion {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_assertions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub jti: String,
        pub expires_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub occurred_at: TimeDateTimeWithTimeZone,
        pub actor: String,
        pub action: String,
        pub subject_type: String,
        pub subject_id: String,
        pub details: String,
        pub prev_hash: String,
        #[sea_orm(unique)]
        pub hash: String,
    }
    no_relations!();
}

pub mod audit_log_leaf {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log_leaves")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub leaf_index: i64,
        #[sea_orm(unique)]
        pub event_seq: i64,
        pub hash: Vec<u8>,
    }
    no_relations!();
}

pub mod audit_log_node {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log_nodes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: i16,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i64,
        pub hash: Vec<u8>,
    }
    no_relations!();
}

pub mod record_read {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "record_reads")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub official_id: Uuid,
        pub reader: String,
        pub purpose: String,
        pub read_at: TimeDateTimeWithTimeZone,
        /// The consent a machine client read under, if it did.
        pub consent_id: Option<Uuid>,
    }
    no_relations!();
}

pub mod completion {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "completions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub official_id: Uuid,
        pub program_id: Uuid,
        pub institution_id: Uuid,
        pub class_id: Option<Uuid>,
        pub started_on: TimeDate,
        pub ended_on: TimeDate,
        pub duration_days: i32,
        pub duration_periods: Option<i32>,
        pub outcome: String,
        pub score: Option<f64>,
        pub evidence: Option<String>,
        pub posted_by: Uuid,
        pub posted_at: TimeDateTimeWithTimeZone,
        pub supersedes_id: Option<Uuid>,
    }
    no_relations!();
}

pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        #[sea_orm(unique)]
        pub public_key: String,
        pub status: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub retired_at: Option<TimeDateTimeWithTimeZone>,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod status_list {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "status_lists")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seed: String,
        pub size: i32,
        pub next_position: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod certificate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub number: String,
        pub completion_id: Uuid,
        pub official_id: Uuid,
        pub institution_id: Uuid,
        pub kid: String,
        pub issued_at: TimeDateTimeWithTimeZone,
        pub status_list: i32,
        pub status_index: i32,
        /// The credential's JSON text, in rows written before credentials were packed.
        pub credential: Option<String>,
        pub jws: Option<String>,
        /// The credential packed (`certificates::packing`); a row holds this or `credential`.
        pub packed_credential: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod transcript {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "transcripts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub official_id: Uuid,
        pub fingerprint: String,
        pub kid: String,
        pub issued_at: TimeDateTimeWithTimeZone,
        pub status_list: i32,
        pub status_index: i32,
        pub credential: String,
    }
    no_relations!();
}

pub mod share_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "share_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub official_id: Uuid,
        pub certificate_id: Option<Uuid>,
        #[sea_orm(unique)]
        pub secret_hash: String,
        pub label: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub official_id: Uuid,
        pub client_id: Uuid,
        pub purpose: String,
        pub valid_from: TimeDate,
        pub valid_until: TimeDate,
        pub granted_at: TimeDateTimeWithTimeZone,
        pub withdrawn_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod revocation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificate_revocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub certificate_id: Uuid,
        pub reason: String,
        pub note: Option<String>,
        pub revoked_at: TimeDateTimeWithTimeZone,
        pub revoked_by: String,
    }
    no_relations!();
}

pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub request_hash: String,
        pub status: i32,
        pub response: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod requirement_rule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "requirement_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        pub applies_to: String,
        pub any_of: String,
        pub minimum_days: Option<i32>,
        pub period: String,
        pub valid_from: TimeDate,
        pub valid_to: Option<TimeDate>,
        pub legal_basis: String,
        pub loaded_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod web_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub secret_hash: String,
        pub official_id: Option<Uuid>,
        pub token_id: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_seen_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub ended_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod web_sign_in {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sign_ins")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub state_hash: String,
        pub nonce: String,
        pub code_verifier: String,
        pub return_to: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod verification_epoch {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "verification_epoch")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub epoch: i64,
    }
    no_relations!();
}

pub mod tokens_epoch {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tokens_epoch")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub epoch: i64,
    }
    no_relations!();
}

pub mod outbox_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub position: i64,
        #[sea_orm(unique)]
        pub event_id: Uuid,
        pub event_type: String,
        pub occurred_at: TimeDateTimeWithTimeZone,
        pub official_id: Option<Uuid>,
        pub completion_id: Option<Uuid>,
        pub certificate_number: Option<String>,
        pub key_id: Option<String>,
    }
    no_relations!();
}

pub mod outbox_horizon {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_horizon")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub pruned_through: i64,
        pub pruned_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod webhook_subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub client_id: Option<Uuid>,
        pub url: String,
        pub event_types: String,
        pub secret_sealed: String,
        pub status: String,
        pub consecutive_failures: i32,
        pub fanned_out_through: i64,
        pub created_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}

pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subscription_id: Uuid,
        pub event_seq: i64,
        pub event_type: String,
        pub payload: String,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: TimeDateTimeWithTimeZone,
        pub lease_until: Option<TimeDateTimeWithTimeZone>,
        pub claim: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub delivered_at: Option<TimeDateTimeWithTimeZone>,
    }
    no_relations!();
}

pub mod webhook_attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub delivery_id: Uuid,
        pub subscription_id: Uuid,
        pub attempt: i32,
        pub status_code: Option<i32>,
        pub error: Option<String>,
        pub attempted_at: TimeDateTimeWithTimeZone,
    }
    no_relations!();
}
