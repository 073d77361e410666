//! Transcripts: an official's whole record signed as one credential. Each is kept as issued
//! (who was told what, when, under which key, in which status slot), and a record that has not
//! changed since its last transcript gets that transcript again instead of a new one.

use hocba_domain::{NationalId, OfficialId, TranscriptFacts, identity_hash};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{official, transcript};
use crate::{Actor, Store, StoreError};

use super::issuing::ensure_active;
use super::random_hex;
use super::status::reserve_status_slots;

/// A transcript as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Hocba's id (the credential's `urn:uuid:`).
    pub id: Uuid,
    /// Whose record it is.
    pub official_id: OfficialId,
    /// The key that signed it.
    pub kid: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// Status list number.
    pub status_list: i32,
    /// Index in that list.
    pub status_index: u32,
    /// The credential as issued (JSON text).
    pub credential: String,
}

/// Turns a transcript's facts into the signed credential (JSON text), inside the issuing
/// transaction.
pub type SignTranscript = dyn Fn(&TranscriptFacts) -> Result<String, String> + Send + Sync;

impl Store {
    /// The transcript of an official's record as it stands: embedding `certificates` (their
    /// ids, as the caller chose them from the record), signed by `sign` with key `kid`. The
    /// transcript already issued for the same certificates, name and key is returned as it was;
    /// otherwise a new one is issued in a status slot of its own and audited. The caller has
    /// checked (and logged) the read of the record.
    pub async fn transcript(
        &self,
        actor: &Actor,
        official_id: OfficialId,
        certificates: &[Uuid],
        kid: &str,
        sign: &SignTranscript,
    ) -> Result<Transcript, StoreError> {
        let txn = self.write().await?;
        let holder = official::Entity::find_by_id(official_id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "official" })?;
        let fingerprint = fingerprint(&holder.full_name, certificates, kid);
        if let Some(issued) = already_issued(&txn, official_id, &fingerprint).await? {
            return into_transcript(issued);
        }
        ensure_active(&txn, kid).await?;
        let inserted = issue_in(&txn, &holder, fingerprint.clone(), kid, sign).await;
        let issued = match inserted {
            Ok(issued) => issued,
            // Another request signed the same state first: that one is the transcript.
            Err(StoreError::Conflict { field: "fingerprint" }) => {
                drop(txn);
                let txn = self.write().await?;
                let issued = already_issued(&txn, official_id, &fingerprint).await?;
                return into_transcript(
                    issued.ok_or_else(|| StoreError::corrupt("transcripts", "fingerprint"))?,
                );
            }
            Err(error) => return Err(error),
        };
        audit::append(
            &txn,
            actor,
            Change {
                action: "transcript.issued",
                subject_type: "official",
                subject_id: official_id.to_string(),
                details: json!({
                    "transcript_id": issued.id.to_string(),
                    "certificates": certificates.len(),
                    "kid": kid,
                    "status_list": issued.status_list,
                    "status_index": issued.status_index,
                }),
            },
        )
        .await?;
        txn.commit().await?;
        into_transcript(issued)
    }
}

/// What identifies a state of a record for its transcript: the holder's name (which the
/// transcript states), the certificates embedded (in any order) and the signing key.
fn fingerprint(full_name: &str, certificates: &[Uuid], kid: &str) -> String {
    let mut ids = certificates.to_vec();
    ids.sort_unstable();
    let mut hasher = Sha256::new();
    hasher.update(kid.as_bytes());
    hasher.update([0]);
    hasher.update(full_name.as_bytes());
    for id in ids {
        hasher.update([0]);
        hasher.update(id.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn already_issued(
    txn: &DatabaseTransaction,
    official_id: OfficialId,
    fingerprint: &str,
) -> Result<Option<transcript::Model>, StoreError> {
    Ok(transcript::Entity::find()
        .filter(transcript::Column::OfficialId.eq(official_id.as_uuid()))
        .filter(transcript::Column::Fingerprint.eq(fingerprint))
        .one(txn)
        .await?)
}

async fn issue_in(
    txn: &DatabaseTransaction,
    holder: &official::Model,
    fingerprint: String,
    kid: &str,
    sign: &SignTranscript,
) -> Result<transcript::Model, StoreError> {
    let national_id = NationalId::parse_format(&holder.national_id)
        .map_err(|_| StoreError::corrupt("officials", "national_id"))?;
    let (status_list, status_index) = reserve_status_slots(txn, 1)
        .await?
        .pop_front()
        .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))?;
    let salt = random_hex::<16>();
    let facts = TranscriptFacts {
        transcript_id: Uuid::now_v7(),
        issued_at: crate::now(),
        holder_name: holder.full_name.clone(),
        identity_hash: identity_hash(&national_id, &salt),
        identity_salt: salt,
        status_list,
        status_index,
    };
    let credential = sign(&facts).map_err(|reason| StoreError::Signing { reason })?;
    let row = transcript::Model {
        id: facts.transcript_id,
        official_id: holder.id,
        fingerprint,
        kid: kid.to_owned(),
        issued_at: facts.issued_at,
        status_list,
        status_index: i32::try_from(status_index)
            .map_err(|_| StoreError::corrupt("transcripts", "status_index"))?,
        credential,
    };
    transcript::ActiveModel::from(row).insert(txn).await.map_err(StoreError::unique("fingerprint"))
}

fn into_transcript(model: transcript::Model) -> Result<Transcript, StoreError> {
    Ok(Transcript {
        id: model.id,
        official_id: OfficialId::from_uuid(model.official_id),
        kid: model.kid,
        issued_at: model.issued_at,
        status_list: model.status_list,
        status_index: u32::try_from(model.status_index)
            .map_err(|_| StoreError::corrupt("transcripts", "status_index"))?,
        credential: model.credential,
    })
}
