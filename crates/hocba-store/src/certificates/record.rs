//! An official's lifelong record: every completion, with its programme, its certificates and
//! where it stands, read and logged in one transaction.

use std::collections::HashMap;

use hocba_domain::{CategoryCode, CompletionId, CompletionStatus, OfficialId, PersonName};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::{certificate, completion, official, program};
use crate::{Actor, Store, StoreError};

use super::reads::with_revocations;
use super::{Certificate, CompletionRecord, into_completion};

/// One completion of an official's record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordEntry {
    /// The completion.
    pub completion: CompletionRecord,
    /// The programme's code.
    pub program_code: String,
    /// The programme's title in Vietnamese.
    pub program_title: String,
    /// The programme's category.
    pub category: CategoryCode,
    /// Its certificates, oldest first.
    pub certificates: Vec<Certificate>,
    /// Where it stands.
    pub status: CompletionStatus,
    /// The correction that replaced it, if one did.
    pub superseded_by: Option<CompletionId>,
}

/// An official's lifelong record.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialRecord {
    /// The official.
    pub official_id: OfficialId,
    /// Their name in the registry.
    pub full_name: PersonName,
    /// Every completion recorded for them, in order of their last day of study.
    pub entries: Vec<RecordEntry>,
}

impl Store {
    /// An official's lifelong record, for a `reader` who may read it; the read is logged for
    /// the official to see.
    pub async fn official_record(
        &self,
        reader: &Actor,
        purpose: &str,
        official_id: OfficialId,
    ) -> Result<OfficialRecord, StoreError> {
        let (record, read) = reading!(self, |txn| async {
            let holder = official::Entity::find_by_id(official_id.as_uuid())
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound { entity: "official" })?;
            let read =
                crate::officials::checked_read(txn, official_id.as_uuid(), reader, purpose).await?;
            Ok((record_in(txn, holder).await?, read))
        })?;
        self.log_reads(vec![read]).await?;
        Ok(record)
    }
}

/// The record of `holder`, read in `txn` (the caller checked the reader and logged the read).
pub(crate) async fn record_in(
    txn: &DatabaseTransaction,
    holder: official::Model,
) -> Result<OfficialRecord, StoreError> {
    let official_id = OfficialId::from_uuid(holder.id);
    let rows = completion::Entity::find()
        .filter(completion::Column::OfficialId.eq(official_id.as_uuid()))
        .order_by_asc(completion::Column::EndedOn)
        .order_by_asc(completion::Column::PostedAt)
        .all(txn)
        .await?;
    // A correction may name another official (the completion was recorded for the wrong
    // person): look for corrections of these completions wherever they are.
    let successors: HashMap<Uuid, Uuid> = completion::Entity::find()
        .filter(completion::Column::SupersedesId.is_in(rows.iter().map(|row| row.id)))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|newer| newer.supersedes_id.map(|replaced| (replaced, newer.id)))
        .collect();
    let programs: HashMap<Uuid, program::Model> = program::Entity::find()
        .filter(program::Column::Id.is_in(rows.iter().map(|row| row.program_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|program| (program.id, program))
        .collect();
    let issued = certificate::Entity::find()
        .filter(certificate::Column::OfficialId.eq(official_id.as_uuid()))
        .order_by_asc(certificate::Column::IssuedAt)
        .all(txn)
        .await?;
    let issued = with_revocations(txn, issued).await?;
    let mut certificates: HashMap<Uuid, Vec<Certificate>> = HashMap::new();
    for certificate in issued {
        let completion = certificate.completion_id.as_uuid();
        certificates.entry(completion).or_default().push(certificate);
    }
    let entries = rows
        .into_iter()
        .map(|row| {
            let program = programs
                .get(&row.program_id)
                .ok_or_else(|| StoreError::corrupt("completions", "program_id"))?;
            let certificates = certificates.remove(&row.id).unwrap_or_default();
            let live = certificates.iter().any(|issued| issued.revocation.is_none());
            let superseded_by = successors.get(&row.id).copied().map(CompletionId::from_uuid);
            Ok(RecordEntry {
                program_code: program.code.clone(),
                program_title: program.title_vi.clone(),
                category: CategoryCode::parse(&program.category_code)
                    .map_err(|_| StoreError::corrupt("programs", "category_code"))?,
                status: CompletionStatus::of(superseded_by.is_some(), live),
                superseded_by,
                certificates,
                completion: into_completion(row)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(OfficialRecord {
        official_id,
        full_name: PersonName::parse(&holder.full_name)
            .map_err(|_| StoreError::corrupt("officials", "full_name"))?,
        entries,
    })
}
