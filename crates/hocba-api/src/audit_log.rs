//! The audit log anyone can check: signed checkpoints (C2SP `tlog-checkpoint` in a C2SP
//! `signed-note`), inclusion and consistency proofs (RFC 6962), public; the events themselves,
//! whose details may name who changed what, to the operator only.
//!
//! The public endpoints give hashes only: a leaf hash says nothing of its event, yet lets an
//! auditor check that the log only grows and that an event the operator shows them is in it.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hocba_credentials::checkpoint::{self, Checkpoint};
use hocba_store::audit_log::{LogEntry, TreeHash};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::extract::{MAX_PAGE, Query};
use crate::{ApiError, AppState, Problem};

const TEXT: &str = "text/plain; charset=utf-8";

fn base64_all(hashes: &[TreeHash]) -> Vec<String> {
    hashes.iter().map(|hash| STANDARD.encode(hash)).collect()
}

/// The log's name in its checkpoints and the name of the key that signs them.
fn origin(app: &AppState) -> String {
    Checkpoint::origin_for(&app.authority.registry.base_url)
}

/// The latest checkpoint of the audit log, signed by the registry's active key: the origin
/// (the registry's host and `/audit`), the number of events, the base64 root of their RFC 6962
/// Merkle tree, a blank line and the signature line (C2SP `tlog-checkpoint`, `signed-note`).
/// Keep one: `hocba audit verify --checkpoint FILE`, or a consistency proof from its size to a
/// later one, shows that no event it covers was altered, removed or reordered since.
#[utoipa::path(get, path = "/audit/checkpoint", tag = "audit-log",
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn get_checkpoint(State(app): State<AppState>) -> Result<Response, ApiError> {
    let size = app.store.audit_log_size().await?;
    let root_hash = app.store.audit_log_root(size).await?;
    let signer = app.authority.signer(&app.store).await?;
    let checkpoint = Checkpoint { origin: origin(&app), size, root_hash };
    Ok(([(header::CONTENT_TYPE, TEXT)], checkpoint.sign(&signer.signer)).into_response())
}

/// The signed-note verifier keys of the checkpoints (`name+key id+base64 key`, one a line),
/// for note verifiers and witnesses: every key of the registry not revoked, so that a
/// checkpoint signed before a key rotation still verifies.
#[utoipa::path(get, path = "/audit/key", tag = "audit-log",
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn get_checkpoint_keys(State(app): State<AppState>) -> Result<Response, ApiError> {
    let name = origin(&app);
    let keys = app.authority.key_set(&app.store).await?.checkpoint_keys();
    let lines: String =
        keys.iter().map(|key| checkpoint::verifier_key(&name, key) + "\n").collect();
    Ok(([(header::CONTENT_TYPE, TEXT)], lines).into_response())
}

/// Which leaf, in which tree.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Index of the leaf (event), from 0.
    pub index: u64,
    /// Size of the tree (a checkpoint's); the current size when absent.
    pub size: Option<u64>,
}

/// An RFC 6962 inclusion proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionProofView {
    /// Index of the leaf.
    pub index: u64,
    /// Size of the tree whose root the proof leads to.
    pub size: u64,
    /// `seq` of the audit event the leaf is.
    pub event_seq: i64,
    /// `SHA-256(0x00 || canonical bytes of the event)`, base64.
    pub leaf_hash: String,
    /// The audit path, base64 hashes, from the leaf's sibling up.
    pub hashes: Vec<String>,
}

/// Proves that an event is in the log: the leaf's hash and the audit path that leads from it
/// to the root of the tree of `size` events (RFC 6962 §2.1.1). Check it against a checkpoint of
/// that size.
#[utoipa::path(get, path = "/audit/proof/inclusion", tag = "audit-log", params(InclusionQuery),
    responses((status = 200, body = InclusionProofView), (status = "4XX", body = Problem)))]
pub async fn get_inclusion_proof(
    State(app): State<AppState>,
    Query(query): Query<InclusionQuery>,
) -> Result<axum::Json<InclusionProofView>, ApiError> {
    let size = match query.size {
        Some(size) => size,
        None => app.store.audit_log_size().await?,
    };
    let proof = app.store.audit_inclusion_proof(query.index, size).await?;
    Ok(axum::Json(InclusionProofView {
        index: proof.index,
        size: proof.size,
        event_seq: proof.event_seq,
        leaf_hash: STANDARD.encode(proof.leaf_hash),
        hashes: base64_all(&proof.path),
    }))
}

/// Between which two tree sizes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Size of the older tree (a checkpoint kept earlier), at least 1.
    pub old: u64,
    /// Size of the newer tree; the current size when absent.
    pub new: Option<u64>,
}

/// An RFC 6962 consistency proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProofView {
    /// Size of the older tree.
    pub old: u64,
    /// Size of the newer tree.
    pub new: u64,
    /// The proof's base64 hashes (none when both sizes are equal).
    pub hashes: Vec<String>,
}

/// Proves that the log of `new` events begins with the log of `old` events, unchanged: that
/// between two checkpoints history only grew (RFC 6962 §2.1.2).
#[utoipa::path(get, path = "/audit/proof/consistency", tag = "audit-log",
    params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProofView), (status = "4XX", body = Problem)))]
pub async fn get_consistency_proof(
    State(app): State<AppState>,
    Query(query): Query<ConsistencyQuery>,
) -> Result<axum::Json<ConsistencyProofView>, ApiError> {
    let new = match query.new {
        Some(new) => new,
        None => app.store.audit_log_size().await?,
    };
    let proof = app.store.audit_consistency_proof(query.old, new).await?;
    Ok(axum::Json(ConsistencyProofView { old: query.old, new, hashes: base64_all(&proof) }))
}

/// Which leaves.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// Index of the first leaf, from 0.
    #[serde(default)]
    pub from: u64,
    /// How many, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// One event of the log, with its leaf.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryView {
    /// Index of the leaf.
    pub index: u64,
    /// The event's `seq`.
    pub seq: i64,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Who did it (`admin:<token id>`, `system`).
    pub actor: String,
    /// What was done (`official.created`).
    pub action: String,
    /// Kind of record changed.
    pub subject_type: String,
    /// Internal id of the record changed.
    pub subject_id: String,
    /// What changed.
    pub details: serde_json::Value,
    /// The canonical bytes the leaf hashes, base64: each field (`seq`, `occurred_at`, `actor`,
    /// `action`, `subject_type`, `subject_id`, `details` as stored) as an 8-byte little-endian
    /// length and its UTF-8 bytes.
    pub canonical: String,
    /// `SHA-256(0x00 || canonical)`, base64.
    pub leaf_hash: String,
}

impl From<LogEntry> for LogEntryView {
    fn from(entry: LogEntry) -> Self {
        let event = entry.event;
        LogEntryView {
            index: entry.index,
            seq: event.seq,
            occurred_at: event.occurred_at,
            actor: event.actor,
            action: event.action,
            subject_type: event.subject_type,
            subject_id: event.subject_id,
            details: event.details,
            canonical: STANDARD.encode(&entry.canonical),
            leaf_hash: STANDARD.encode(entry.leaf_hash),
        }
    }
}

/// The log's events with their leaves, in log order (operator only: details may name who
/// changed what). What an operator shows an auditor to go with an inclusion proof.
#[utoipa::path(get, path = "/api/v1/audit/log", tag = "audit-log", params(EntriesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<LogEntryView>), (status = "4XX", body = Problem)))]
pub async fn list_log_entries(
    State(app): State<AppState>,
    _admin: Admin,
    Query(query): Query<EntriesQuery>,
) -> Result<axum::Json<Vec<LogEntryView>>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadParameter {
            field: "limit".to_owned(),
            reason: format!("must be from 1 to {MAX_PAGE}"),
        });
    }
    let entries = app.store.audit_log_entries(query.from, limit).await?;
    Ok(axum::Json(entries.into_iter().map(LogEntryView::from).collect()))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_checkpoint))
        .routes(routes!(get_checkpoint_keys))
        .routes(routes!(get_inclusion_proof))
        .routes(routes!(get_consistency_proof))
        .routes(routes!(list_log_entries))
}
