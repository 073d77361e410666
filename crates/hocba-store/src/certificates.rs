//! Completions and the certificates issued for them: status-list slots, issuing inside the
//! writing transaction, revocation as an append-only fact.

use hocba_domain::{
    AccreditationFacts, CategoryCode, CertificateFacts, CertificateNumber, ClassId, CompletionId,
    DateSpan, InstitutionFacts, InstitutionId, KeyStatus, NationalId, OfficialId, Outcome,
    PostedCompletion, ProgramFacts, ProgramId, RevocationReason, STATUS_LIST_SIZE, Taught,
    identity_hash, status_index,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::catalog::{ensure_accredited, stated_accreditation};
use crate::entities::{
    certificate, class, completion, official, program, revocation, signing_key, status_list,
};
use crate::idempotency::{Answer, IdempotencyKey, remember};
use crate::institutions::load_institution;
use crate::{Actor, Store, StoreError};

/// Serialises status-slot allocation across server processes.
const STATUS_LOCK: i64 = 0x686f_6362_6173_7473; // "hocbasts"

/// A completion as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRecord {
    /// Hocba's id.
    pub id: CompletionId,
    /// Who completed it.
    pub official_id: OfficialId,
    /// The programme.
    pub program_id: ProgramId,
    /// The institution that delivered it.
    pub institution_id: InstitutionId,
    /// The class, when there was one.
    pub class_id: Option<ClassId>,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub duration_days: i32,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10.
    pub score: Option<f64>,
    /// When it was recorded.
    pub posted_at: OffsetDateTime,
    /// The completion this one corrects.
    pub supersedes: Option<CompletionId>,
}

/// A posted completion and the certificate issued for it.
pub type Posted = (CompletionRecord, Certificate);

/// A batch's results, one per row in order: posted, or why not.
pub type BatchResults = Vec<Result<Posted, StoreError>>;

/// The signed forms of a certificate, made by the caller's signer from the facts.
#[derive(Debug, Clone)]
pub struct SignedDocuments {
    /// The credential with its proof set (JSON text, stored byte for byte).
    pub credential: String,
    /// The same credential as a compact JWS, unless it is to be made when first served.
    pub jws: Option<String>,
}

/// Turns facts into signed documents, inside the issuing transaction (on signing threads, for a
/// batch).
pub type Sign = Arc<dyn Fn(&CertificateFacts) -> Result<SignedDocuments, String> + Send + Sync>;

/// Rows a signing thread signs before handing them to the writer: small enough that writing
/// starts soon, large enough that a multi-row insert stays worth it.
const SIGNED_CHUNK: usize = 100;

/// A revocation, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Why.
    pub reason: RevocationReason,
    /// A note for people.
    pub note: Option<String>,
    /// When.
    pub revoked_at: OffsetDateTime,
    /// Who (actor label).
    pub revoked_by: String,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Hocba's id (the credential's `urn:uuid:`).
    pub id: Uuid,
    /// Public number.
    pub number: CertificateNumber,
    /// The completion it certifies.
    pub completion_id: CompletionId,
    /// The holder.
    pub official_id: OfficialId,
    /// The institution of the completion.
    pub institution_id: InstitutionId,
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
    /// The JWS as issued; `None` when it is made from the credential on demand (a posted class).
    pub jws: Option<String>,
    /// Its revocation, if revoked.
    pub revocation: Option<Revocation>,
}

impl Store {
    /// Records a completion posted by an institution and issues its certificate, in one
    /// transaction: the person must match the registry on national ID, name and date of birth;
    /// the institution must be accredited for the programme's category on the last day; the
    /// duration must meet the programme's minimum; the same completion is not recorded twice.
    ///
    /// With `keyed`, the answer rendered from the result is stored in the same transaction
    /// (see [`Store::replay`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn post_completion(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        posted: &PostedCompletion,
        keyed: Option<(&IdempotencyKey, Answer<'_, Posted>)>,
        kid: &str,
        sign: &Sign,
    ) -> Result<Posted, StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let mut lookups = Lookups::new(&txn, institution_id, 1).await?;
        let posted = match post_in(&txn, actor, &mut lookups, posted, None, kid, sign).await {
            Err(StoreError::DuplicateCompletion { completion_id, .. }) => {
                let numbers = latest_certificates(&txn, &[completion_id]).await?;
                let certificate = numbers.get(&completion_id).cloned();
                return Err(StoreError::DuplicateCompletion { completion_id, certificate });
            }
            other => other?,
        };
        if let Some((key, answer)) = keyed {
            remember(&txn, key, answer(&posted)).await?;
        }
        txn.commit().await?;
        Ok(posted)
    }

    /// Corrects an institution's completion: the corrected facts are a new completion that
    /// supersedes the old one; the old certificate is revoked (`superseded`, naming the new
    /// one) and a new certificate issued, all in one transaction. Nothing is deleted.
    pub async fn correct_completion(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        completion_id: CompletionId,
        corrected: &PostedCompletion,
        kid: &str,
        sign: &Sign,
    ) -> Result<(CompletionRecord, Certificate), StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let old = completion::Entity::find_by_id(completion_id.as_uuid())
            .filter(completion::Column::InstitutionId.eq(institution_id.as_uuid()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "completion" })?;
        let already = completion::Entity::find()
            .filter(completion::Column::SupersedesId.eq(old.id))
            .one(&txn)
            .await?;
        if let Some(newer) = already {
            return Err(StoreError::Rule {
                field: "completion_id",
                reason: format!("already corrected by completion {}", newer.id),
            });
        }
        let mut lookups = Lookups::new(&txn, institution_id, 1).await?;
        let (record, certificate) =
            post_in(&txn, actor, &mut lookups, corrected, Some(old.id), kid, sign).await?;
        for replaced in certificates_of_completion(&txn, old.id).await? {
            if replaced.revocation.is_some() {
                continue;
            }
            let note = format!("superseded by {}", certificate.number);
            revoke_in(
                &txn,
                actor,
                replaced.id,
                &replaced.number,
                RevocationReason::Superseded,
                Some(note),
            )
            .await?;
        }
        txn.commit().await?;
        Ok((record, certificate))
    }

    /// Posts a class's completions in one transaction. Per row (`all_or_nothing` false), each
    /// row is recorded or refused on its own (a refused row leaves no trace); all or nothing,
    /// the first refused row refuses the batch and nothing is written. Either way the answer has
    /// one result per row, in order.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_completions(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        rows: &[PostedCompletion],
        all_or_nothing: bool,
        keyed: Option<(&IdempotencyKey, Answer<'_, BatchResults>)>,
        kid: &str,
        sign: &Sign,
    ) -> Result<BatchResults, StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let mut lookups = Lookups::new(&txn, institution_id, rows.len()).await?;
        lookups.prefetch(&txn, rows).await?;

        // 1. Check every row, reading only. Rows repeated within the batch are duplicates too.
        let mut verdicts: Vec<Result<usize, StoreError>> = Vec::with_capacity(rows.len());
        let mut checked: Vec<SlottedRow> = Vec::with_capacity(rows.len());
        let mut in_batch: HashMap<(Uuid, Uuid, Date, Date), Uuid> = HashMap::new();
        for posted in rows {
            match check_row(&txn, actor, &mut lookups, posted, None).await {
                Ok(row) => {
                    let completion = &row.completion;
                    let identity = (
                        completion.official_id,
                        completion.program_id,
                        completion.started_on,
                        completion.ended_on,
                    );
                    if let Some(first) = in_batch.get(&identity) {
                        verdicts.push(Err(StoreError::DuplicateCompletion {
                            completion_id: *first,
                            certificate: None,
                        }));
                        continue;
                    }
                    in_batch.insert(identity, completion.id);
                    verdicts.push(Ok(checked.len()));
                    let slot = lookups.slot(&txn).await?;
                    checked.push((row, slot));
                }
                Err(refused) if refused.is_refusal() => verdicts.push(Err(refused)),
                Err(failure) => return Err(failure),
            }
        }
        // 2. Sign on other threads, while this one writes the completions and then each chunk
        //    of certificates as it is signed.
        let completions: Vec<completion::ActiveModel> =
            checked.iter().map(|(row, _)| row.completion.clone().into()).collect();
        let mut chunks: Vec<Option<SignedRows>> =
            (0..checked.len().div_ceil(SIGNED_CHUNK)).map(|_| None).collect();
        let mut signed = sign_in_background(checked, &lookups.institution, kid, sign);
        for models in owned_chunks(completions, audit::INSERT_CHUNK) {
            completion::Entity::insert_many(models).exec(&txn).await?;
        }
        while let Some((index, rows)) = signed.recv().await {
            let rows = rows?;
            let models =
                rows.iter().map(|(_, signed)| certificate::ActiveModel::from(signed.clone()));
            certificate::Entity::insert_many(models)
                .exec(&txn)
                .await
                .map_err(StoreError::unique("number"))?;
            let slot = chunks.get_mut(index).ok_or_else(signing_panicked)?;
            *slot = Some(rows);
        }
        // A chunk that never came is one a signing thread dropped when it panicked.
        let checked: SignedRows = chunks
            .into_iter()
            .map(|chunk| chunk.ok_or_else(signing_panicked))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        if !checked.is_empty() {
            audit::append(&txn, actor, class_posted_event(institution_id, &checked)).await?;
        }

        let mut written: Vec<Option<Posted>> = Vec::with_capacity(checked.len());
        for (row, certificate) in checked {
            written.push(Some((
                into_completion(row.completion)?,
                into_certificate(certificate, None)?,
            )));
        }
        let mut results: BatchResults = verdicts
            .into_iter()
            .map(|verdict| {
                verdict.and_then(|index| {
                    written
                        .get_mut(index)
                        .and_then(Option::take)
                        .ok_or_else(|| StoreError::corrupt("completions", "batch bookkeeping"))
                })
            })
            .collect();
        let rolled_back = all_or_nothing && results.iter().any(Result::is_err);
        name_existing_certificates(&txn, &mut results, !rolled_back).await?;
        if rolled_back {
            // Nothing written; a retry gets the same refusal, so nothing need be remembered.
            txn.rollback().await?;
        } else {
            if let Some((key, answer)) = keyed {
                remember(&txn, key, answer(&results)).await?;
            }
            txn.commit().await?;
        }
        Ok(results)
    }

    /// Issues the certificate of a completion, signed by `sign` with key `kid`, in one
    /// transaction with its status slot and audit event.
    pub async fn issue_certificate(
        &self,
        actor: &Actor,
        completion_id: CompletionId,
        kid: &str,
        sign: &Sign,
    ) -> Result<Certificate, StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let completion = completion::Entity::find_by_id(completion_id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "completion" })?;
        let live = certificates_of_completion(&txn, completion.id).await?;
        if live.iter().any(|certificate| certificate.revocation.is_none()) {
            return Err(StoreError::Conflict { field: "completion_id" });
        }
        let certificate = issue_in(&txn, &completion, kid, sign).await?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "certificate.issued",
                subject_type: "certificate",
                subject_id: certificate.id.to_string(),
                details: json!({
                    "number": certificate.number.as_str(),
                    "completion_id": completion.id.to_string(),
                    "kid": kid,
                    "status_list": certificate.status_list,
                    "status_index": certificate.status_index,
                }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(certificate)
    }

    /// A certificate by its number.
    pub async fn certificate(&self, number: &CertificateNumber) -> Result<Certificate, StoreError> {
        let model = certificate::Entity::find()
            .filter(certificate::Column::Number.eq(number.as_str()))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { entity: "certificate" })?;
        with_revocation(&self.db, model).await
    }

    /// An official's certificates, oldest first; the read is logged for the official to see.
    pub async fn certificates_of(
        &self,
        reader: &Actor,
        purpose: &str,
        official_id: OfficialId,
    ) -> Result<Vec<Certificate>, StoreError> {
        let txn = self.write().await?;
        official::Entity::find_by_id(official_id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "official" })?;
        crate::officials::ensure_readable(&txn, official_id.as_uuid(), reader).await?;
        crate::officials::log_read(&txn, official_id.as_uuid(), reader, purpose).await?;
        let models = certificate::Entity::find()
            .filter(certificate::Column::OfficialId.eq(official_id.as_uuid()))
            .order_by_asc(certificate::Column::IssuedAt)
            .all(&txn)
            .await?;
        let certificates = with_revocations(&txn, models).await?;
        txn.commit().await?;
        Ok(certificates)
    }

    /// Revokes a certificate: an append-only fact that sets its status bit.
    pub async fn revoke_certificate(
        &self,
        actor: &Actor,
        number: &CertificateNumber,
        reason: RevocationReason,
        note: Option<String>,
    ) -> Result<Certificate, StoreError> {
        let txn = self.write().await?;
        let mut found =
            certificate::Entity::find().filter(certificate::Column::Number.eq(number.as_str()));
        match actor {
            // Another institution's certificate is, to this one, no certificate at all.
            Actor::Institution { institution_id, .. } => {
                found =
                    found.filter(certificate::Column::InstitutionId.eq(institution_id.as_uuid()));
            }
            Actor::System | Actor::Admin { .. } => {}
            // Readers revoke nothing (the API refuses them first; this is the second lock).
            Actor::Agency { .. } | Actor::Official { .. } => {
                return Err(StoreError::NotFound { entity: "certificate" });
            }
        }
        let model = found.one(&txn).await?.ok_or(StoreError::NotFound { entity: "certificate" })?;
        revoke_in(&txn, actor, model.id, number, reason, note).await?;
        let certificate = with_revocation(&txn, model).await?;
        txn.commit().await?;
        Ok(certificate)
    }

    /// Takes a status slot for a credential issued through the VC API (no certificate row: the
    /// slot is simply never handed out again).
    pub async fn allocate_status_slot(&self, actor: &Actor) -> Result<(i32, u32), StoreError> {
        let txn = self.write().await?;
        let (list, index) = reserve_status_slots(&txn, 1)
            .await?
            .pop_front()
            .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "status_slot.allocated",
                subject_type: "status_list",
                subject_id: list.to_string(),
                details: json!({ "index": index }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((list, index))
    }

    /// Whether status list `list` exists.
    pub async fn status_list_exists(&self, list: i32) -> Result<bool, StoreError> {
        Ok(status_list::Entity::find_by_id(list).one(&self.db).await?.is_some())
    }

    /// Indices of revoked certificates in status list `list`.
    pub async fn revoked_indices(&self, list: i32) -> Result<Vec<u32>, StoreError> {
        let revoked = sea_orm::sea_query::Query::select()
            .column(revocation::Column::CertificateId)
            .from(revocation::Entity)
            .to_owned();
        let rows = certificate::Entity::find()
            .filter(certificate::Column::StatusList.eq(list))
            .filter(certificate::Column::Id.in_subquery(revoked))
            .all(&self.db)
            .await?;
        let indices: Vec<u32> =
            rows.into_iter().filter_map(|row| u32::try_from(row.status_index).ok()).collect();
        Ok(indices)
    }

    /// The certificate holding a status slot, if any.
    pub async fn certificate_at(
        &self,
        list: i32,
        index: u32,
    ) -> Result<Option<Certificate>, StoreError> {
        let Ok(index) = i32::try_from(index) else { return Ok(None) };
        match certificate::Entity::find()
            .filter(certificate::Column::StatusList.eq(list))
            .filter(certificate::Column::StatusIndex.eq(index))
            .one(&self.db)
            .await?
        {
            Some(model) => with_revocation(&self.db, model).await.map(Some),
            None => Ok(None),
        }
    }
}

/// What the rows of one posting share, read once: the institution, and for each class or
/// programme-and-dates, the programme and the accreditation decision.
pub(crate) struct Lookups {
    institution: crate::Institution,
    taught: HashMap<TaughtKey, TaughtIn>,
    /// Status slots reserved for this request's certificates. Slots a refused row leaves
    /// unused are never handed out: a slot is never reused, and skipping one is harmless.
    slots: VecDeque<(i32, u32)>,
    /// For a batch: its officials by national ID, and their earlier completions at this
    /// institution that no correction superseded, read in a few queries for all rows.
    prefetched: Option<Prefetched>,
}

struct Prefetched {
    officials: HashMap<String, official::Model>,
    standing: HashMap<(Uuid, Uuid, Date, Date), Uuid>,
}

/// Where a completion was taught: the programme, the class if any, first and last day, and
/// the accreditation the institution certifies it under.
type TaughtIn = (program::Model, Option<Uuid>, (Date, Date), AccreditationFacts);

#[derive(PartialEq, Eq, Hash)]
enum TaughtKey {
    Class(Uuid),
    Program(String, Date, Date),
}

impl Lookups {
    async fn new(
        txn: &DatabaseTransaction,
        institution: InstitutionId,
        certificates: usize,
    ) -> Result<Self, StoreError> {
        let institution = load_institution(txn, institution.as_uuid()).await?;
        let slots = reserve_status_slots(txn, certificates).await?;
        Ok(Lookups { institution, taught: HashMap::new(), slots, prefetched: None })
    }

    /// Reads, for a whole batch, the officials it names and their standing completions here.
    async fn prefetch(
        &mut self,
        txn: &DatabaseTransaction,
        rows: &[PostedCompletion],
    ) -> Result<(), StoreError> {
        let national_ids: Vec<String> =
            rows.iter().map(|row| row.national_id.expose().to_owned()).collect();
        let mut officials = HashMap::with_capacity(rows.len());
        for chunk in national_ids.chunks(audit::INSERT_CHUNK) {
            let found = official::Entity::find()
                .filter(official::Column::NationalId.is_in(chunk.iter().cloned()))
                .all(txn)
                .await?;
            officials
                .extend(found.into_iter().map(|official| (official.national_id.clone(), official)));
        }
        let ids: Vec<Uuid> = officials.values().map(|official| official.id).collect();
        // By official only, then by institution here: with both in the query, SQLite's planner
        // walks the institution's index, every completion it ever posted, which grows with
        // each class; an official has a few completions in a lifetime.
        let institution_id = self.institution.id.as_uuid();
        let mut earlier = Vec::new();
        for chunk in ids.chunks(audit::INSERT_CHUNK) {
            let found = completion::Entity::find()
                .filter(completion::Column::OfficialId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?;
            earlier.extend(found.into_iter().filter(|c| c.institution_id == institution_id));
        }
        let earlier_ids: Vec<Uuid> = earlier.iter().map(|completion| completion.id).collect();
        let mut superseded = std::collections::HashSet::new();
        for chunk in earlier_ids.chunks(audit::INSERT_CHUNK) {
            let newer = completion::Entity::find()
                .filter(completion::Column::SupersedesId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?;
            superseded.extend(newer.into_iter().filter_map(|completion| completion.supersedes_id));
        }
        let standing = earlier
            .into_iter()
            .filter(|completion| !superseded.contains(&completion.id))
            .map(|c| ((c.official_id, c.program_id, c.started_on, c.ended_on), c.id))
            .collect();
        self.prefetched = Some(Prefetched { officials, standing });
        Ok(())
    }

    /// The next reserved status slot (reserving more if the request needs them).
    async fn slot(&mut self, txn: &DatabaseTransaction) -> Result<(i32, u32), StoreError> {
        if self.slots.is_empty() {
            self.slots = reserve_status_slots(txn, 1).await?;
        }
        self.slots
            .pop_front()
            .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))
    }

    /// The programme, class and dates of a completion, checked once per class or programme:
    /// the class is the institution's own, and the institution is accredited on the last day.
    async fn taught(
        &mut self,
        txn: &DatabaseTransaction,
        taught: &Taught,
    ) -> Result<TaughtIn, StoreError> {
        let key = match taught {
            Taught::Class(id) => TaughtKey::Class(id.as_uuid()),
            Taught::Program { code, span } => {
                TaughtKey::Program(code.as_str().to_owned(), span.start(), span.end())
            }
        };
        if let Some(found) = self.taught.get(&key) {
            return Ok(found.clone());
        }
        let institution_id = self.institution.id;
        let found = match taught {
            Taught::Class(class_id) => {
                // Another institution's class is, to this one, no class at all.
                let class = class::Entity::find_by_id(class_id.as_uuid())
                    .filter(class::Column::InstitutionId.eq(institution_id.as_uuid()))
                    .one(txn)
                    .await?
                    .ok_or(StoreError::UnknownReference { field: "class_id", entity: "class" })?;
                let program = program::Entity::find_by_id(class.program_id)
                    .one(txn)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("classes", "program_id"))?;
                (program, Some(class.id), (class.starts_on, class.ends_on))
            }
            Taught::Program { code, span } => {
                let program = program::Entity::find()
                    .filter(program::Column::Code.eq(code.as_str()))
                    .one(txn)
                    .await?
                    .ok_or(StoreError::UnknownReference {
                        field: "program_code",
                        entity: "program",
                    })?;
                (program, None, (span.start(), span.end()))
            }
        };
        let (program, class, span) = found;
        let category = CategoryCode::parse(&program.category_code)
            .map_err(|_| StoreError::corrupt("programs", "category_code"))?;
        let accreditation = ensure_accredited(txn, &self.institution, &category, span.1).await?;
        let found = (program, class, span, accreditation);
        self.taught.insert(key, found.clone());
        Ok(found)
    }
}

/// A posted row that passed every rule, with the completion it will write.
struct Checked {
    holder: official::Model,
    program: program::Model,
    accreditation: AccreditationFacts,
    completion: completion::Model,
}

/// Applies every rule to one posted row, reading only: the person matches, the class or
/// programme is the institution's to certify on that day, the training's dates and days are
/// possible for that person, the duration suffices, and it is not already recorded. Returns the completion to write.
async fn check_row(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lookups: &mut Lookups,
    posted: &PostedCompletion,
    supersedes: Option<Uuid>,
) -> Result<Checked, StoreError> {
    let institution_id = lookups.institution.id;
    let holder = match &lookups.prefetched {
        Some(prefetched) => prefetched.officials.get(posted.national_id.expose()).cloned(),
        None => {
            official::Entity::find()
                .filter(official::Column::NationalId.eq(posted.national_id.expose()))
                .one(txn)
                .await?
        }
    }
    .ok_or(StoreError::UnknownReference { field: "national_id", entity: "official" })?;
    if holder.name_key != posted.full_name.search_key() {
        return Err(StoreError::IdentityMismatch { field: "full_name" });
    }
    if holder.date_of_birth != posted.date_of_birth {
        return Err(StoreError::IdentityMismatch { field: "date_of_birth" });
    }
    let (program, class, span, accreditation) = lookups.taught(txn, &posted.taught).await?;
    let dates = DateSpan::new(span.0, span.1)
        .map_err(|_| StoreError::corrupt("classes", "ends before it starts"))?;
    posted.check_training(holder.date_of_birth, dates, crate::now().date())?;
    if i32::from(posted.duration_days) < program.min_days {
        return Err(StoreError::Rule {
            field: "duration_days",
            reason: format!(
                "programme {} requires at least {} days",
                program.code, program.min_days
            ),
        });
    }
    // The same official, programme and dates, not superseded by a correction, is a duplicate.
    if let Some(prefetched) = &lookups.prefetched {
        let identity = (holder.id, program.id, span.0, span.1);
        if let Some(earlier) = prefetched.standing.get(&identity) {
            return Err(StoreError::DuplicateCompletion {
                completion_id: *earlier,
                certificate: None,
            });
        }
    }
    let candidates = if lookups.prefetched.is_some() {
        Vec::new()
    } else {
        completion::Entity::find()
            .filter(completion::Column::OfficialId.eq(holder.id))
            .filter(completion::Column::ProgramId.eq(program.id))
            .filter(completion::Column::InstitutionId.eq(institution_id.as_uuid()))
            .filter(completion::Column::StartedOn.eq(span.0))
            .filter(completion::Column::EndedOn.eq(span.1))
            .all(txn)
            .await?
    };
    for earlier in candidates.into_iter().filter(|earlier| Some(earlier.id) != supersedes) {
        let superseded = completion::Entity::find()
            .filter(completion::Column::SupersedesId.eq(earlier.id))
            .one(txn)
            .await?
            .is_some();
        if !superseded {
            return Err(StoreError::DuplicateCompletion {
                completion_id: earlier.id,
                certificate: None,
            });
        }
    }
    let posted_by = match actor {
        Actor::Institution { client_id, .. } => *client_id,
        Actor::Admin { token_id } | Actor::Agency { token_id, .. } => *token_id,
        Actor::Official { official_id } => official_id.as_uuid(),
        Actor::System => Uuid::nil(),
    };
    let completion = completion::Model {
        id: Uuid::now_v7(),
        official_id: holder.id,
        program_id: program.id,
        institution_id: institution_id.as_uuid(),
        class_id: class,
        started_on: span.0,
        ended_on: span.1,
        duration_days: i32::from(posted.duration_days),
        duration_periods: None,
        outcome: posted.outcome.as_str().to_owned(),
        score: posted.score,
        evidence: None,
        posted_by,
        posted_at: crate::now(),
        supersedes_id: supersedes,
    };
    Ok(Checked { holder, program, accreditation, completion })
}

fn institution_facts(institution: &crate::Institution) -> InstitutionFacts {
    InstitutionFacts {
        id: institution.id,
        code: institution.code.as_str().to_owned(),
        name: institution.name.clone(),
    }
}

fn posted_event(completion: &completion::Model, certificate: &certificate::Model) -> Change {
    let mut details = posted_details(completion, certificate);
    details.insert("institution_id".into(), completion.institution_id.to_string().into());
    Change {
        action: "completion.posted",
        subject_type: "completion",
        subject_id: completion.id.to_string(),
        details: details.into(),
    }
}

/// What an audit event says of a posted completion: its programme and its certificate's number
/// and status slot (ids and numbers only, no personal data).
fn posted_details(
    completion: &completion::Model,
    certificate: &certificate::Model,
) -> serde_json::Map<String, serde_json::Value> {
    let details = json!({
        "program_id": completion.program_id.to_string(),
        "certificate": certificate.number,
        "status_list": certificate.status_list,
        "status_index": certificate.status_index,
    });
    match details {
        serde_json::Value::Object(details) => details,
        _ => serde_json::Map::new(),
    }
}

/// The one event of a posted class: every completion recorded, in row order, as
/// [`posted_event`] states one. One event rather than one per row, because each event of the
/// chain costs two inserts into indices of random hashes, as much as the rest of the row.
fn class_posted_event(institution_id: InstitutionId, rows: &SignedRows) -> Change {
    let completions: Vec<_> = rows
        .iter()
        .map(|(row, certificate)| {
            let mut details = posted_details(&row.completion, certificate);
            details.insert("completion_id".into(), row.completion.id.to_string().into());
            serde_json::Value::Object(details)
        })
        .collect();
    Change {
        action: "completions.posted",
        subject_type: "institution",
        subject_id: institution_id.to_string(),
        details: json!({ "completions": completions }),
    }
}

/// Records one posted completion and issues its certificate inside `txn` (the caller checked
/// the key).
async fn post_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lookups: &mut Lookups,
    posted: &PostedCompletion,
    supersedes: Option<Uuid>,
    kid: &str,
    sign: &Sign,
) -> Result<(CompletionRecord, Certificate), StoreError> {
    let row = check_row(txn, actor, lookups, posted, supersedes).await?;
    let slot = lookups.slot(txn).await?;
    let facts = institution_facts(&lookups.institution);
    // Signing needs no I/O, so it comes first and the checked completion is then written as is.
    let certificate = certify(&row, facts, slot, kid, sign)?;
    let completion = completion::ActiveModel::from(row.completion).insert(txn).await?;
    let certificate = certificate::ActiveModel::from(certificate)
        .insert(txn)
        .await
        .map_err(StoreError::unique("number"))?;
    audit::append(txn, actor, posted_event(&completion, &certificate)).await?;
    Ok((into_completion(completion)?, into_certificate(certificate, None)?))
}

/// A checked row and the status slot reserved for its certificate.
type SlottedRow = (Checked, (i32, u32));

/// Checked rows with their signed certificates.
type SignedRows = Vec<(Checked, certificate::Model)>;

/// Signs the certificates of `rows` on every core, in chunks of [`SIGNED_CHUNK`], each sent as
/// soon as it is signed with its position among the chunks. Signing needs no I/O; the channel
/// closes when every chunk is sent (or a thread failed).
fn sign_in_background(
    rows: Vec<SlottedRow>,
    institution: &crate::Institution,
    kid: &str,
    sign: &Sign,
) -> tokio::sync::mpsc::UnboundedReceiver<(usize, Result<SignedRows, StoreError>)> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let mut shares: Vec<Vec<(usize, Vec<SlottedRow>)>> = (0..workers).map(|_| Vec::new()).collect();
    for (index, chunk) in owned_chunks(rows, SIGNED_CHUNK).enumerate() {
        shares[index % workers].push((index, chunk));
    }
    for share in shares.into_iter().filter(|share| !share.is_empty()) {
        let (sender, sign, kid) = (sender.clone(), sign.clone(), kid.to_owned());
        let institution = institution_facts(institution);
        tokio::task::spawn_blocking(move || {
            for (index, chunk) in share {
                let signed = chunk
                    .into_iter()
                    .map(|(row, slot)| {
                        let certificate = certify(&row, institution.clone(), slot, &kid, &sign)?;
                        Ok((row, certificate))
                    })
                    .collect();
                if sender.send((index, signed)).is_err() {
                    return; // the writer gave up
                }
            }
        });
    }
    receiver
}

/// `items` in chunks of `size`, in order, moved rather than copied.
fn owned_chunks<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter();
    std::iter::from_fn(move || {
        let chunk: Vec<T> = items.by_ref().take(size).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

fn signing_panicked() -> StoreError {
    StoreError::Signing { reason: "a signing thread panicked".to_owned() }
}

/// Records a revocation and its audit event inside `txn`; a second revocation is a conflict.
async fn revoke_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    certificate_id: Uuid,
    number: &CertificateNumber,
    reason: RevocationReason,
    note: Option<String>,
) -> Result<(), StoreError> {
    revocation::ActiveModel {
        certificate_id: Set(certificate_id),
        reason: Set(reason.as_str().to_owned()),
        note: Set(note),
        revoked_at: Set(crate::now()),
        revoked_by: Set(actor.label()),
    }
    .insert(txn)
    .await
    .map_err(StoreError::unique("number"))?;
    audit::append(
        txn,
        actor,
        Change {
            action: "certificate.revoked",
            subject_type: "certificate",
            subject_id: certificate_id.to_string(),
            // The free-text note stays in the revocation row: audit details hold no free text.
            details: json!({ "number": number.as_str(), "reason": reason.as_str() }),
        },
    )
    .await
}

async fn ensure_active(txn: &DatabaseTransaction, kid: &str) -> Result<(), StoreError> {
    let active = signing_key::Entity::find_by_id(kid.to_owned())
        .one(txn)
        .await?
        .is_some_and(|key| key.status == KeyStatus::Active.as_str());
    if active { Ok(()) } else { Err(StoreError::KeyNotActive { kid: kid.to_owned() }) }
}

/// Issues one certificate inside `txn` (the caller checks the key and writes the audit event).
pub(crate) async fn issue_in(
    txn: &DatabaseTransaction,
    completion: &completion::Model,
    kid: &str,
    sign: &Sign,
) -> Result<Certificate, StoreError> {
    let holder = official::Entity::find_by_id(completion.official_id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::corrupt("completions", "official_id"))?;
    let program = program::Entity::find_by_id(completion.program_id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::corrupt("completions", "program_id"))?;
    let institution = load_institution(txn, completion.institution_id).await?;
    // The accreditation in force on the completion's last day, whatever the institution's
    // state today: a completion it was entitled to certify then keeps its certificate.
    let category = CategoryCode::parse(&program.category_code)
        .map_err(|_| StoreError::corrupt("programs", "category_code"))?;
    let accreditation = stated_accreditation(&institution, &category, completion.ended_on)
        .ok_or_else(|| StoreError::NotAccredited {
            institution: institution.code.as_str().to_owned(),
            category: category.as_str().to_owned(),
            day: completion.ended_on,
            reason: "no accreditation scope covered the completion's last day",
        })?;
    let row = Checked { accreditation, holder, program, completion: completion.clone() };
    let slot = reserve_status_slots(txn, 1)
        .await?
        .pop_front()
        .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))?;
    let certificate = certify(&row, institution_facts(&institution), slot, kid, sign)?;
    let certificate = certificate::ActiveModel::from(certificate)
        .insert(txn)
        .await
        .map_err(StoreError::unique("number"))?;
    into_certificate(certificate, None)
}

/// Builds and signs the certificate of a checked completion, in a status slot the caller
/// reserved. No I/O: several can be signed at once.
fn certify(
    row: &Checked,
    institution: InstitutionFacts,
    (status_list, status_index): (i32, u32),
    kid: &str,
    sign: &Sign,
) -> Result<certificate::Model, StoreError> {
    let Checked { holder, program, accreditation, completion } = row;
    let national_id = NationalId::parse_format(&holder.national_id)
        .map_err(|_| StoreError::corrupt("officials", "national_id"))?;
    let salt = random_hex::<16>();
    let record = into_completion(completion.clone())?;
    let issued_at = crate::now();
    let facts = CertificateFacts {
        certificate_id: Uuid::now_v7(),
        number: CertificateNumber::new(issued_at.year(), rand::random()),
        issued_at,
        holder_name: holder.full_name.clone(),
        identity_hash: identity_hash(&national_id, &salt),
        identity_salt: salt,
        completion_id: record.id,
        started_on: record.started_on,
        ended_on: record.ended_on,
        duration_days: record.duration_days,
        outcome: record.outcome,
        score: record.score,
        program: ProgramFacts {
            id: ProgramId::from_uuid(program.id),
            code: program.code.clone(),
            title_vi: program.title_vi.clone(),
            title_en: program.title_en.clone(),
            category: program.category_code.clone(),
            min_days: program.min_days,
        },
        institution,
        accreditation: accreditation.clone(),
        status_list,
        status_index,
    };
    let signed = sign(&facts).map_err(|reason| StoreError::Signing { reason })?;
    Ok(certificate::Model {
        id: facts.certificate_id,
        number: facts.number.as_str().to_owned(),
        completion_id: completion.id,
        official_id: completion.official_id,
        institution_id: completion.institution_id,
        kid: kid.to_owned(),
        issued_at,
        status_list,
        status_index: i32::try_from(status_index)
            .map_err(|_| StoreError::corrupt("certificates", "index"))?,
        credential: signed.credential,
        jws: signed.jws,
    })
}

/// Takes the next `count` slots of the open status lists (opening new lists as they fill), in
/// one read and one write per list touched.
async fn reserve_status_slots(
    txn: &DatabaseTransaction,
    count: usize,
) -> Result<VecDeque<(i32, u32)>, StoreError> {
    crate::serialize_on(txn, STATUS_LOCK).await?;
    let mut slots = VecDeque::with_capacity(count);
    let mut open =
        status_list::Entity::find().order_by_desc(status_list::Column::Id).one(txn).await?;
    while slots.len() < count {
        let list = match open.take() {
            Some(list) if list.next_position < list.size => list,
            full_or_none => {
                status_list::ActiveModel {
                    id: Set(full_or_none.map_or(1, |list| list.id + 1)),
                    seed: Set(random_hex::<32>()),
                    size: Set(STATUS_LIST_SIZE as i32),
                    next_position: Set(0),
                    created_at: Set(crate::now()),
                }
                .insert(txn)
                .await?
            }
        };
        let corrupt = || StoreError::corrupt("status_lists", "position");
        let first = u32::try_from(list.next_position).map_err(|_| corrupt())?;
        let size = u32::try_from(list.size).map_err(|_| corrupt())?;
        let wanted = u32::try_from(count - slots.len()).unwrap_or(u32::MAX);
        let end = size.min(first.saturating_add(wanted));
        let seed = decode_seed(&list.seed)?;
        slots.extend((first..end).map(|position| (list.id, status_index(&seed, position))));
        let mut advancing: status_list::ActiveModel = list.into();
        advancing.next_position = Set(i32::try_from(end).map_err(|_| corrupt())?);
        open = Some(advancing.update(txn).await?);
    }
    Ok(slots)
}

/// `N` random bytes in hex.
fn random_hex<const N: usize>() -> String {
    rand::random::<[u8; N]>().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_seed(hex: &str) -> Result<[u8; 32], StoreError> {
    let corrupt = || StoreError::corrupt("status_lists", "seed");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<_>>()
        .ok_or_else(corrupt)?;
    bytes.try_into().map_err(|_| corrupt())
}

/// Names in each duplicate-completion refusal of a batch the certificate of the completion
/// already recorded: the latest stored one, or the one this batch issued (`written`: the batch
/// is committed) for a row repeated within it.
async fn name_existing_certificates(
    txn: &DatabaseTransaction,
    results: &mut BatchResults,
    written: bool,
) -> Result<(), StoreError> {
    let duplicates: Vec<Uuid> = results
        .iter()
        .filter_map(|result| match result {
            Err(StoreError::DuplicateCompletion { completion_id, .. }) => Some(*completion_id),
            _ => None,
        })
        .collect();
    if duplicates.is_empty() {
        return Ok(());
    }
    let mut numbers = latest_certificates(txn, &duplicates).await?;
    if written {
        numbers.extend(results.iter().flatten().map(|(completion, certificate)| {
            (completion.id.as_uuid(), certificate.number.clone())
        }));
    }
    for result in results.iter_mut() {
        if let Err(StoreError::DuplicateCompletion { completion_id, certificate }) = result {
            *certificate = numbers.get(completion_id).cloned();
        }
    }
    Ok(())
}

/// The number of the latest certificate of each of `completions` that has one.
async fn latest_certificates(
    txn: &DatabaseTransaction,
    completions: &[Uuid],
) -> Result<HashMap<Uuid, CertificateNumber>, StoreError> {
    let mut numbers = HashMap::with_capacity(completions.len());
    for chunk in completions.chunks(audit::INSERT_CHUNK) {
        let issued = certificate::Entity::find()
            .filter(certificate::Column::CompletionId.is_in(chunk.iter().copied()))
            .order_by_asc(certificate::Column::IssuedAt)
            .all(txn)
            .await?;
        for model in issued {
            let number = CertificateNumber::parse(&model.number)
                .map_err(|_| StoreError::corrupt("certificates", "number"))?;
            numbers.insert(model.completion_id, number);
        }
    }
    Ok(numbers)
}

async fn certificates_of_completion(
    txn: &DatabaseTransaction,
    completion_id: Uuid,
) -> Result<Vec<Certificate>, StoreError> {
    let models = certificate::Entity::find()
        .filter(certificate::Column::CompletionId.eq(completion_id))
        .all(txn)
        .await?;
    with_revocations(txn, models).await
}

async fn with_revocations(
    db: &impl ConnectionTrait,
    models: Vec<certificate::Model>,
) -> Result<Vec<Certificate>, StoreError> {
    let mut certificates = Vec::with_capacity(models.len());
    for model in models {
        certificates.push(with_revocation(db, model).await?);
    }
    Ok(certificates)
}

async fn with_revocation(
    db: &impl ConnectionTrait,
    model: certificate::Model,
) -> Result<Certificate, StoreError> {
    let revocation = revocation::Entity::find_by_id(model.id).one(db).await?;
    into_certificate(model, revocation)
}

fn into_certificate(
    model: certificate::Model,
    revocation: Option<revocation::Model>,
) -> Result<Certificate, StoreError> {
    let corrupt = |detail: &str| StoreError::corrupt("certificates", detail);
    let revocation = revocation
        .map(|revoked| {
            Ok::<_, StoreError>(Revocation {
                reason: RevocationReason::from_stored(&revoked.reason)
                    .ok_or_else(|| corrupt("reason"))?,
                note: revoked.note,
                revoked_at: revoked.revoked_at,
                revoked_by: revoked.revoked_by,
            })
        })
        .transpose()?;
    Ok(Certificate {
        id: model.id,
        number: CertificateNumber::parse(&model.number).map_err(|_| corrupt("number"))?,
        completion_id: CompletionId::from_uuid(model.completion_id),
        official_id: OfficialId::from_uuid(model.official_id),
        institution_id: InstitutionId::from_uuid(model.institution_id),
        kid: model.kid,
        issued_at: model.issued_at,
        status_list: model.status_list,
        status_index: u32::try_from(model.status_index).map_err(|_| corrupt("status_index"))?,
        credential: model.credential,
        jws: model.jws,
        revocation,
    })
}

fn into_completion(model: completion::Model) -> Result<CompletionRecord, StoreError> {
    Ok(CompletionRecord {
        id: CompletionId::from_uuid(model.id),
        official_id: OfficialId::from_uuid(model.official_id),
        program_id: ProgramId::from_uuid(model.program_id),
        institution_id: InstitutionId::from_uuid(model.institution_id),
        class_id: model.class_id.map(ClassId::from_uuid),
        started_on: model.started_on,
        ended_on: model.ended_on,
        duration_days: model.duration_days,
        outcome: Outcome::from_stored(&model.outcome)
            .ok_or_else(|| StoreError::corrupt("completions", "outcome"))?,
        score: model.score,
        posted_at: model.posted_at,
        supersedes: model.supersedes_id.map(CompletionId::from_uuid),
    })
}
