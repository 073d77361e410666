//! Issuing and signing a certificate for a recorded completion.

use hocba_domain::{
    AccreditationFacts, CategoryCode, CertificateFacts, CertificateNumber, CompletionId,
    InstitutionFacts, KeyStatus, NationalId, ProgramFacts, ProgramId, identity_hash,
};
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::json;

use uuid::Uuid;

use crate::audit::{self, Change};
use crate::catalog::stated_accreditation;
use crate::entities::{certificate, completion, official, program, signing_key};
use crate::institutions::load_institution;
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, Store, StoreError};

use super::reads::certificates_of_completion;
use super::status::reserve_status_slots;
use super::{Certificate, Serials, Sign, certificate_of, into_completion, packing, random_hex};

/// A completion that passed every rule of posting, with the facts its certificate states:
/// what posting hands to [`certify`].
pub(super) struct Checked {
    pub(super) holder: official::Model,
    pub(super) program: program::Model,
    pub(super) accreditation: AccreditationFacts,
    pub(super) completion: completion::Model,
}

impl Store {
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
        let signing = Signing { kid, sign, serials: &self.serials };
        let certificate = issue_in(&txn, &completion, signing).await?;
        let issued = EventSubject::certificate(&certificate);
        audit::append_publishing(
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
            vec![Publish::new(EventType::CertificateIssued, issued)],
        )
        .await?;
        self.commit_publishing(txn).await?;
        Ok(certificate)
    }
}

pub(super) fn institution_facts(institution: &crate::Institution) -> InstitutionFacts {
    InstitutionFacts {
        id: institution.id,
        code: institution.code.as_str().to_owned(),
        name: institution.name.clone(),
    }
}

pub(super) async fn ensure_active(txn: &DatabaseTransaction, kid: &str) -> Result<(), StoreError> {
    let active = signing_key::Entity::find_by_id(kid.to_owned())
        .one(txn)
        .await?
        .is_some_and(|key| key.status == KeyStatus::Active.as_str());
    if active { Ok(()) } else { Err(StoreError::KeyNotActive { kid: kid.to_owned() }) }
}

/// Issues one certificate inside `txn` (the caller checks the key and writes the audit event).
pub(super) async fn issue_in(
    txn: &DatabaseTransaction,
    completion: &completion::Model,
    signing: Signing<'_>,
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
    let issued = certify(&row, institution_facts(&institution), slot, signing)?;
    issued.insert(txn).await?;
    issued.into_certificate()
}

/// A certificate just signed: the row to store, its credential packed, and the credential as
/// signed, so that answering a posting does not unpack what it has just packed.
pub(super) struct Issued {
    pub(super) row: certificate::Model,
    pub(super) credential: String,
}

impl Issued {
    /// Stores the row.
    pub(super) async fn insert(&self, txn: &DatabaseTransaction) -> Result<(), StoreError> {
        certificate::Entity::insert(certificate::ActiveModel::from(self.row.clone()))
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::unique("number"))?;
        Ok(())
    }

    /// The certificate as issued (no revocation yet).
    pub(super) fn into_certificate(self) -> Result<Certificate, StoreError> {
        certificate_of(self.row, self.credential.into(), None)
    }
}

/// What certifying needs beside the facts: the active key's id, its signature, and where the
/// numbers are drawn from.
#[derive(Clone, Copy)]
pub(super) struct Signing<'a> {
    pub(super) kid: &'a str,
    pub(super) sign: &'a Sign,
    pub(super) serials: &'a Serials,
}

/// Builds and signs the certificate of a checked completion, in a status slot the caller
/// reserved. No I/O: several can be signed at once.
pub(super) fn certify(
    row: &Checked,
    institution: InstitutionFacts,
    (status_list, status_index): (i32, u32),
    Signing { kid, sign, serials }: Signing<'_>,
) -> Result<Issued, StoreError> {
    let Checked { holder, program, accreditation, completion } = row;
    let national_id = NationalId::parse_format(&holder.national_id)
        .map_err(|_| StoreError::corrupt("officials", "national_id"))?;
    let salt = random_hex::<16>();
    let record = into_completion(completion.clone())?;
    let issued_at = crate::now();
    let facts = CertificateFacts {
        certificate_id: Uuid::now_v7(),
        number: CertificateNumber::new(issued_at.year(), serials.draw()),
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
    let row = certificate::Model {
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
        credential: None,
        jws: signed.jws,
        packed_credential: Some(packing::pack(&signed.credential)?),
    };
    Ok(Issued { row, credential: signed.credential })
}
