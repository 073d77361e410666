//! Writing a generated population (`hocba demo generate`): officials, their employment
//! histories, their completions with signed certificates, some revoked or corrected, many at a
//! time in one transaction.
//!
//! The rows are the ones the registry's own use cases write, and checked by the same rules:
//! each period's agency is in the directory and exists throughout the period; each completion's
//! institution is accredited for its programme's category on its last day ([`accredited_on`],
//! as posting checks, the categories read once a call) and lasts the programme's minimum; each
//! certificate is built and signed by [`certify`] in a status slot from
//! [`reserve_status_slots`], as a posted class's are; a revocation is a revocation row, and a
//! correction a completion that supersedes the old one, whose certificate is revoked as
//! `superseded` naming the new one's number, as [`Store::correct_completion`] does. Only the
//! audit trail differs: one event per call, counting what it wrote, where the use cases write
//! one per official registered and one per class posted (the chain stays intact). The outbox
//! gets the public events the use cases would have published, one for each change.

use std::collections::HashMap;

use hocba_domain::{
    CategoryCode, CertificateNumber, CompletionId, Employment, InstitutionId, NewOfficial,
    OfficialId, Outcome, ProgramId, RevocationReason,
};
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::json;
use time::Date;
use uuid::Uuid;

use crate::agencies::into_agency;
use crate::audit::{self, Change};
use crate::catalog::accredited_on;
use crate::entities::{
    agency, category, certificate, completion, employment, official, program, revocation,
};
use crate::institutions::load_institution;
use crate::officials::employment_row;
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, Store, StoreError};

use super::Sign;
use super::batch::{SignedRows, owned_chunks, sign_in_background, signing_panicked};
use super::issuing::{Checked, Signing, ensure_active};
use super::posting::{ensure_minimum_days, posted_by};
use super::status::reserve_status_slots;

/// Rows per multi-row insert: the widest table written here (certificates, 11 columns) stays
/// under SQLite's 32,766 bound values, and each statement carries thousands of rows.
const ROWS_PER_INSERT: usize = 2_000;

/// One generated official.
#[derive(Debug, Clone)]
pub struct GeneratedOfficial {
    /// The person and the period in effect now.
    pub official: NewOfficial,
    /// Earlier periods, ended, oldest first.
    pub earlier: Vec<Employment>,
    /// Completions, each with its certificate's fate.
    pub completions: Vec<GeneratedCompletion>,
}

/// One generated completion.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCompletion {
    /// The programme.
    pub program_id: ProgramId,
    /// The institution that taught and certifies it.
    pub institution_id: InstitutionId,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub duration_days: u16,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10.
    pub score: Option<f64>,
    /// What became of its certificate.
    pub fate: Fate,
}

/// What became of a generated completion's certificate.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// It stands.
    Standing,
    /// It was revoked, for this reason (never `Superseded`: that is a correction's).
    Revoked(RevocationReason),
    /// The institution corrected the completion: this one supersedes it.
    Corrected(Box<GeneratedCompletion>),
}

/// What one call wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopulationWritten {
    /// The officials registered, in the order given.
    pub officials: Vec<OfficialId>,
    /// Employment periods written.
    pub employments: u64,
    /// Completions written (corrections included).
    pub completions: u64,
    /// Certificates signed and written.
    pub certificates: u64,
    /// Certificates revoked (corrections' superseded ones included).
    pub revocations: u64,
}

/// A completion checked and ready to certify, with what its certificate's fate asks.
struct Pending {
    row: Checked,
    revoke: Option<RevocationReason>,
    /// For a correction: the completion it supersedes (whose certificate it revokes).
    supersedes: Option<Uuid>,
}

/// What the rows share, read once per call: the directory, the institutions, the programmes,
/// and the accreditation decisions already taken.
#[derive(Default)]
struct Known {
    agencies: HashMap<String, hocba_domain::Agency>,
    institutions: HashMap<Uuid, crate::Institution>,
    programs: HashMap<Uuid, program::Model>,
    categories: HashMap<String, category::Model>,
}

impl Known {
    async fn load(txn: &DatabaseTransaction) -> Result<Self, StoreError> {
        let mut known = Known::default();
        for model in agency::Entity::find().all(txn).await? {
            known.agencies.insert(model.code.clone(), into_agency(model)?);
        }
        for model in program::Entity::find().all(txn).await? {
            known.programs.insert(model.id, model);
        }
        for model in category::Entity::find().all(txn).await? {
            known.categories.insert(model.code.clone(), model);
        }
        Ok(known)
    }

    /// Refuses a period whose agency is not listed, or does not exist throughout it.
    fn check_period(&self, period: &Employment) -> Result<(), StoreError> {
        let agency =
            self.agencies.get(period.agency_code.as_str()).ok_or(StoreError::UnknownReference {
                field: "employment.agency_code",
                entity: "agency",
            })?;
        if agency.in_force_throughout(&period.validity) {
            Ok(())
        } else {
            Err(StoreError::Rule {
                field: "employment.agency_code",
                reason: format!(
                    "{} does not exist throughout the period from {}",
                    agency.code.as_str(),
                    period.validity.from
                ),
            })
        }
    }

    /// Checks a completion as posting does and builds its row.
    async fn check_completion(
        &mut self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        holder: &official::Model,
        generated: &GeneratedCompletion,
        supersedes: Option<Uuid>,
    ) -> Result<Checked, StoreError> {
        let institution_id = generated.institution_id.as_uuid();
        if let std::collections::hash_map::Entry::Vacant(entry) =
            self.institutions.entry(institution_id)
        {
            entry.insert(load_institution(txn, institution_id).await?);
        }
        let program = self
            .programs
            .get(&generated.program_id.as_uuid())
            .ok_or(StoreError::UnknownReference { field: "program_id", entity: "program" })?
            .clone();
        let institution = self
            .institutions
            .get(&institution_id)
            .ok_or(StoreError::NotFound { entity: "institution" })?;
        let category = CategoryCode::parse(&program.category_code)
            .map_err(|_| StoreError::corrupt("programs", "category_code"))?;
        let stored = self.categories.get(&program.category_code);
        let accreditation = accredited_on(institution, stored, &category, generated.ended_on)?;
        hocba_domain::DateSpan::new(generated.started_on, generated.ended_on)
            .map_err(|error| StoreError::Rule { field: "ended_on", reason: error.to_string() })?;
        ensure_minimum_days(&program, generated.duration_days)?;
        let completion = completion::Model {
            id: Uuid::now_v7(),
            official_id: holder.id,
            program_id: program.id,
            institution_id,
            class_id: None,
            started_on: generated.started_on,
            ended_on: generated.ended_on,
            duration_days: i32::from(generated.duration_days),
            duration_periods: None,
            outcome: generated.outcome.as_str().to_owned(),
            score: generated.score,
            evidence: None,
            posted_by: posted_by(actor),
            posted_at: crate::now(),
            supersedes_id: supersedes,
        };
        Ok(Checked { holder: holder.clone(), program, accreditation, completion })
    }
}

impl Store {
    /// Writes `people` in one transaction: each official with their periods, completions,
    /// signed certificates and revocations, checked as the use cases check them; the first row
    /// refused refuses the whole call. Certificates are signed by `sign` with key `kid` (a
    /// posted class's form), on other threads while rows are written.
    pub async fn write_population(
        &self,
        actor: &Actor,
        people: &[GeneratedOfficial],
        kid: &str,
        sign: &Sign,
    ) -> Result<PopulationWritten, StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let mut known = Known::load(&txn).await?;
        let now = crate::now();
        let mut written = PopulationWritten::default();
        let mut officials = Vec::with_capacity(people.len());
        let mut employments = Vec::with_capacity(people.len() * 2);
        let mut pending: Vec<Pending> = Vec::new();
        for person in people {
            let new = &person.official;
            for period in person.earlier.iter().chain([&new.employment]) {
                known.check_period(period)?;
            }
            let holder = official::Model {
                id: Uuid::now_v7(),
                national_id: new.national_id.expose().to_owned(),
                full_name: new.full_name.as_str().to_owned(),
                name_key: new.full_name.search_key(),
                date_of_birth: new.date_of_birth,
                gender: new.gender.as_str().to_owned(),
                ethnicity_code: new.ethnicity_code.map(i16::from),
                created_at: now,
            };
            for period in person.earlier.iter().chain([&new.employment]) {
                employments.push(employment_row(holder.id, period, None, now));
            }
            for generated in &person.completions {
                let row = known.check_completion(&txn, actor, &holder, generated, None).await?;
                let first = row.completion.id;
                match &generated.fate {
                    Fate::Standing => pending.push(Pending { row, revoke: None, supersedes: None }),
                    Fate::Revoked(reason) => {
                        pending.push(Pending { row, revoke: Some(*reason), supersedes: None })
                    }
                    Fate::Corrected(corrected) => {
                        let newer = known
                            .check_completion(&txn, actor, &holder, corrected, Some(first))
                            .await?;
                        pending.push(Pending { row, revoke: None, supersedes: None });
                        pending.push(Pending { row: newer, revoke: None, supersedes: Some(first) });
                    }
                }
            }
            written.officials.push(OfficialId::from_uuid(holder.id));
            officials.push(official::ActiveModel::from(holder));
        }
        written.employments = employments.len() as u64;
        for rows in owned_chunks(officials, ROWS_PER_INSERT) {
            official::Entity::insert_many(rows)
                .exec(&txn)
                .await
                .map_err(StoreError::unique("national_id"))?;
        }
        for rows in owned_chunks::<employment::ActiveModel>(employments, ROWS_PER_INSERT) {
            employment::Entity::insert_many(rows).exec(&txn).await?;
        }
        // Completions in order, so that a correction follows the completion it supersedes.
        let completions: Vec<completion::ActiveModel> =
            pending.iter().map(|p| p.row.completion.clone().into()).collect();
        written.completions = completions.len() as u64;
        for rows in owned_chunks(completions, ROWS_PER_INSERT) {
            completion::Entity::insert_many(rows).exec(&txn).await?;
        }
        let signing = Signing { kid, sign, serials: &self.serials };
        let certified = certify_all(&txn, pending, &known, signing).await?;
        written.certificates = certified.len() as u64;

        // Revocations: the fates asked for, and each corrected completion's certificate.
        let numbers: HashMap<Uuid, (Uuid, String)> = certified
            .iter()
            .map(|(pending, certificate)| {
                (pending.row.completion.id, (certificate.id, certificate.number.clone()))
            })
            .collect();
        let mut revocations = Vec::new();
        let revoked_by = actor.label();
        let revoked = |certificate_id, reason: RevocationReason, note| revocation::ActiveModel {
            certificate_id: sea_orm::Set(certificate_id),
            reason: sea_orm::Set(reason.as_str().to_owned()),
            note: sea_orm::Set(note),
            revoked_at: sea_orm::Set(now),
            revoked_by: sea_orm::Set(revoked_by.clone()),
        };
        for (pending, certificate) in &certified {
            if let Some(reason) = pending.revoke {
                revocations.push(revoked(certificate.id, reason, None));
            }
            if let Some(old) = pending.supersedes {
                let (old_certificate, _) =
                    numbers.get(&old).ok_or_else(|| StoreError::corrupt("completions", "batch"))?;
                let note = format!("superseded by {}", certificate.number);
                revocations.push(revoked(
                    *old_certificate,
                    RevocationReason::Superseded,
                    Some(note),
                ));
            }
        }
        written.revocations = revocations.len() as u64;
        for rows in owned_chunks(revocations, ROWS_PER_INSERT) {
            revocation::Entity::insert_many(rows).exec(&txn).await?;
        }
        let events = population_events(&written.officials, &certified, &numbers)?;
        let change = Change {
            action: "population.generated",
            subject_type: "population",
            subject_id: written.officials.first().map_or_else(String::new, ToString::to_string),
            details: json!({
                "officials": written.officials.len(),
                "employments": written.employments,
                "completions": written.completions,
                "certificates": written.certificates,
                "revocations": written.revocations,
            }),
        };
        audit::append_publishing(&txn, actor, change, events).await?;
        self.commit_publishing(txn).await?;
        Ok(written)
    }
}

/// The public events of a generated population, in the order the use cases would publish
/// them: each official registered, then each completion recorded (or corrected) with its
/// certificate issued, and the certificates revoked or superseded.
fn population_events(
    officials: &[OfficialId],
    certified: &[(Pending, certificate::Model)],
    numbers: &HashMap<Uuid, (Uuid, String)>,
) -> Result<Vec<Publish>, StoreError> {
    let mut events: Vec<Publish> = officials
        .iter()
        .map(|id| Publish::new(EventType::OfficialRegistered, EventSubject::official(*id)))
        .collect();
    for (pending, certificate) in certified {
        let completion = &pending.row.completion;
        let subject =
            certificate_subject(completion.official_id, completion.id, &certificate.number)?;
        let recorded = match pending.supersedes {
            Some(_) => EventType::CompletionCorrected,
            None => EventType::CompletionRecorded,
        };
        events.push(Publish::new(recorded, subject.clone()));
        events.push(Publish::new(EventType::CertificateIssued, subject.clone()));
        if pending.revoke.is_some() {
            events.push(Publish::new(EventType::CertificateRevoked, subject));
        }
        if let Some(old) = pending.supersedes {
            let (_, number) =
                numbers.get(&old).ok_or_else(|| StoreError::corrupt("completions", "batch"))?;
            let superseded = certificate_subject(completion.official_id, old, number)?;
            events.push(Publish::new(EventType::CertificateRevoked, superseded));
        }
    }
    Ok(events)
}

fn certificate_subject(
    official_id: Uuid,
    completion_id: Uuid,
    number: &str,
) -> Result<EventSubject, StoreError> {
    let number = CertificateNumber::parse(number)
        .map_err(|_| StoreError::corrupt("certificates", "number"))?;
    Ok(EventSubject {
        official_id: Some(OfficialId::from_uuid(official_id)),
        completion_id: Some(CompletionId::from_uuid(completion_id)),
        certificate_number: Some(number),
        key_id: None,
    })
}

/// Signs the certificates of `pending` (one status slot each, reserved at once), an
/// institution's rows at a time on the signing threads, and writes them as they come; returns
/// each pending row with its certificate, in the order given.
async fn certify_all(
    txn: &DatabaseTransaction,
    pending: Vec<Pending>,
    known: &Known,
    signing: Signing<'_>,
) -> Result<Vec<(Pending, certificate::Model)>, StoreError> {
    let mut slots = reserve_status_slots(txn, pending.len()).await?;
    let mut by_institution: HashMap<Uuid, Vec<(usize, Pending)>> = HashMap::new();
    for (index, row) in pending.into_iter().enumerate() {
        by_institution.entry(row.row.completion.institution_id).or_default().push((index, row));
    }
    let mut institutions: Vec<Uuid> = by_institution.keys().copied().collect();
    institutions.sort();
    let mut certified: Vec<(usize, Pending, certificate::Model)> = Vec::new();
    for institution_id in institutions {
        let rows = by_institution.remove(&institution_id).unwrap_or_default();
        let institution = known
            .institutions
            .get(&institution_id)
            .ok_or(StoreError::NotFound { entity: "institution" })?;
        let mut order = Vec::with_capacity(rows.len());
        let mut extra = Vec::with_capacity(rows.len());
        let mut slotted = Vec::with_capacity(rows.len());
        for (index, Pending { row, revoke, supersedes }) in rows {
            let slot = slots
                .pop_front()
                .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))?;
            order.push(index);
            extra.push((revoke, supersedes));
            slotted.push((row, slot));
        }
        let chunks = slotted.len().div_ceil(super::batch::SIGNED_CHUNK);
        let mut signed: Vec<Option<SignedRows>> = (0..chunks).map(|_| None).collect();
        let mut receiver = sign_in_background(slotted, institution, signing);
        while let Some((index, rows)) = receiver.recv().await {
            let rows = rows?;
            let models =
                rows.iter().map(|(_, issued)| certificate::ActiveModel::from(issued.row.clone()));
            certificate::Entity::insert_many(models)
                .exec(txn)
                .await
                .map_err(StoreError::unique("number"))?;
            *signed.get_mut(index).ok_or_else(signing_panicked)? = Some(rows);
        }
        let rows = signed
            .into_iter()
            .map(|chunk| chunk.ok_or_else(signing_panicked))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten();
        for ((index, (revoke, supersedes)), (row, issued)) in order.into_iter().zip(extra).zip(rows)
        {
            certified.push((index, Pending { row, revoke, supersedes }, issued.row));
        }
    }
    certified.sort_by_key(|(index, ..)| *index);
    Ok(certified.into_iter().map(|(_, pending, model)| (pending, model)).collect())
}
