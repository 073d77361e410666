//! Posting one completion, or correcting one: checked against the registry, recorded and
//! certified in one transaction.

use hocba_domain::{
    AccreditationFacts, CategoryCode, CompletionId, DateSpan, InstitutionId, PostedCompletion,
    RevocationReason, Taught,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use time::Date;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::catalog::ensure_accredited;
use crate::entities::{certificate, class, completion, official, program};
use crate::idempotency::{Answer, IdempotencyKey, remember};
use crate::institutions::load_institution;
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, IdentityRefusals, Store, StoreError};

use super::issuing::{Checked, Signing, certify, ensure_active, institution_facts};
use super::reads::{certificates_of_completion, latest_certificates};
use super::revoking::revoke_in;
use super::status::reserve_status_slots;
use super::{Certificate, CompletionRecord, Posted, Serials, Sign, into_completion};

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
        let mut lookups = Lookups::new(&txn, self, institution_id, 1).await?;
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
        self.commit_publishing(txn).await?;
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
        let mut lookups = Lookups::new(&txn, self, institution_id, 1).await?;
        let (record, certificate) =
            post_in(&txn, actor, &mut lookups, corrected, Some(&old), kid, sign).await?;
        for replaced in certificates_of_completion(&txn, old.id).await? {
            if replaced.revocation.is_some() {
                continue;
            }
            let note = format!("superseded by {}", certificate.number);
            revoke_in(&txn, actor, &replaced, RevocationReason::Superseded, Some(note)).await?;
        }
        self.commit_publishing(txn).await?;
        Ok((record, certificate))
    }
}

/// What the rows of one posting share, read once: the institution, and for each class or
/// programme-and-dates, the programme and the accreditation decision.
pub(super) struct Lookups {
    pub(super) institution: crate::Institution,
    taught: HashMap<TaughtKey, TaughtIn>,
    /// Status slots reserved for this request's certificates. Slots a refused row leaves
    /// unused are never handed out: a slot is never reused, and skipping one is harmless.
    slots: VecDeque<(i32, u32)>,
    /// For a batch: its officials by national ID, and their earlier completions at this
    /// institution that no correction superseded, read in a few queries for all rows.
    prefetched: Option<Prefetched>,
    /// Where its certificates' numbers are drawn from.
    pub(super) serials: Serials,
    /// The people the institution's posts may still fail to match today.
    identity_refusals: Arc<IdentityRefusals>,
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
    /// What a posting of `certificates` by `institution` into `store` reads once.
    pub(super) async fn new(
        txn: &DatabaseTransaction,
        store: &Store,
        institution: InstitutionId,
        certificates: usize,
    ) -> Result<Self, StoreError> {
        let institution = load_institution(txn, institution.as_uuid()).await?;
        let slots = reserve_status_slots(txn, certificates).await?;
        Ok(Lookups {
            institution,
            taught: HashMap::new(),
            slots,
            prefetched: None,
            serials: store.serials.clone(),
            identity_refusals: Arc::clone(&store.identity_refusals),
        })
    }

    /// Reads, for a whole batch, the officials it names and their standing completions here.
    pub(super) async fn prefetch(
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
    pub(super) async fn slot(
        &mut self,
        txn: &DatabaseTransaction,
    ) -> Result<(i32, u32), StoreError> {
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

/// Applies every rule to one posted row, reading only: the person matches, the class or
/// programme is the institution's to certify on that day, the training's dates and days are
/// possible for that person, the duration suffices, and it is not already recorded. Returns the completion to write.
pub(super) async fn check_row(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lookups: &mut Lookups,
    posted: &PostedCompletion,
    corrects: Option<&completion::Model>,
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
    };
    // Past its day's refusals, an institution has nobody compared: a right guess would show.
    let now = crate::now();
    lookups.identity_refusals.take(institution_id, now)?;
    let holder = holder
        .filter(|holder| {
            holder.name_key == posted.full_name.search_key()
                && holder.date_of_birth == posted.date_of_birth
        })
        .ok_or(StoreError::IdentityMismatch)?;
    lookups.identity_refusals.give_back(institution_id, now);
    // A correction restates one person's training. Moved to another person, the first one's
    // certificate would name the other's as its successor, on a page anyone may open.
    if corrects.is_some_and(|old| old.official_id != holder.id) {
        return Err(StoreError::Rule {
            field: "national_id",
            reason: "a correction keeps the official of the completion it corrects; for another \
                     person, revoke the certificate and post their completion"
                .to_owned(),
        });
    }
    let supersedes = corrects.map(|old| old.id);
    let (program, class, span, accreditation) = lookups.taught(txn, &posted.taught).await?;
    let dates = DateSpan::new(span.0, span.1)
        .map_err(|_| StoreError::corrupt("classes", "ends before it starts"))?;
    posted.check_training(holder.date_of_birth, dates, crate::today())?;
    ensure_minimum_days(&program, posted.duration_days)?;
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
    let posted_by = posted_by(actor);
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

/// Who posted a completion, as its `posted_by` column names them: the institution's API client,
/// the token of an operator or agency, the official, or nobody (the registry itself).
/// Refuses a completion shorter than its programme's minimum (`duration_days`).
pub(super) fn ensure_minimum_days(program: &program::Model, days: u16) -> Result<(), StoreError> {
    if i32::from(days) < program.min_days {
        return Err(StoreError::Rule {
            field: "duration_days",
            reason: format!(
                "programme {} requires at least {} days",
                program.code, program.min_days
            ),
        });
    }
    Ok(())
}

pub(super) fn posted_by(actor: &Actor) -> Uuid {
    match actor {
        Actor::Institution { client_id, .. } | Actor::Client { client_id } => *client_id,
        Actor::Admin { token_id } | Actor::Agency { token_id, .. } => *token_id,
        Actor::Official { official_id } => official_id.as_uuid(),
        Actor::SharedLink { share_id, .. } => *share_id,
        Actor::System => Uuid::nil(),
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
pub(super) fn posted_details(
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

/// Records one posted completion and issues its certificate inside `txn` (the caller checked
/// the key).
async fn post_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lookups: &mut Lookups,
    posted: &PostedCompletion,
    corrects: Option<&completion::Model>,
    kid: &str,
    sign: &Sign,
) -> Result<(CompletionRecord, Certificate), StoreError> {
    let row = check_row(txn, actor, lookups, posted, corrects).await?;
    let slot = lookups.slot(txn).await?;
    let facts = institution_facts(&lookups.institution);
    // Signing needs no I/O, so it comes first and the checked completion is then written as is.
    let issued = certify(&row, facts, slot, Signing { kid, sign, serials: &lookups.serials })?;
    let completion = completion::ActiveModel::from(row.completion).insert(txn).await?;
    issued.insert(txn).await?;
    let change = posted_event(&completion, &issued.row);
    let posted = (into_completion(completion)?, issued.into_certificate()?);
    audit::append_publishing(txn, actor, change, posted_events(&posted).into()).await?;
    Ok(posted)
}

/// The public events of a posted completion: the completion recorded (or corrected, when it
/// supersedes another) and its certificate issued.
pub(super) fn posted_events((completion, certificate): &Posted) -> [Publish; 2] {
    let recorded = match completion.supersedes {
        Some(_) => EventType::CompletionCorrected,
        None => EventType::CompletionRecorded,
    };
    let subject = EventSubject::certificate(certificate);
    [Publish::new(recorded, subject.clone()), Publish::new(EventType::CertificateIssued, subject)]
}
