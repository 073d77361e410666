//! An official's lifelong record: every completion, with its programme, its certificates and
//! where it stands, read and logged in one transaction.

use std::collections::HashMap;

use hocba_domain::{CategoryCode, CompletionId, CompletionStatus, OfficialId, PersonName};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef,
};
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

/// One completion of a record as read: the completion, what the record shows of its programme,
/// and the correction that replaced it, if one did (the posting lock lets a completion be
/// corrected once).
#[derive(Debug, FromQueryResult)]
struct CompletionRow {
    #[sea_orm(nested)]
    completion: completion::Model,
    program_code: String,
    program_title: String,
    program_category: String,
    superseded_by: Option<Uuid>,
}

/// The record of `holder`, read in `txn` (the caller checked the reader and logged the read):
/// two statements, its completions and its certificates, each with what it needs of other tables;
/// read one table at a time, a record took eight round trips to the database.
pub(crate) async fn record_in(
    txn: &DatabaseTransaction,
    holder: official::Model,
) -> Result<OfficialRecord, StoreError> {
    let official_id = OfficialId::from_uuid(holder.id);
    let rows = completion::Entity::find()
        .join(JoinType::InnerJoin, program_of_completion())
        .column_as(program::Column::Code, "program_code")
        .column_as(program::Column::TitleVi, "program_title")
        .column_as(program::Column::CategoryCode, "program_category")
        .column_as(correction_of_completion(), "superseded_by")
        .filter(completion::Column::OfficialId.eq(official_id.as_uuid()))
        .order_by_asc(completion::Column::EndedOn)
        .order_by_asc(completion::Column::PostedAt)
        .into_model::<CompletionRow>()
        .all(txn)
        .await?;
    let issued = certificate::Entity::find()
        .filter(certificate::Column::OfficialId.eq(official_id.as_uuid()))
        .order_by_asc(certificate::Column::IssuedAt);
    let mut certificates: HashMap<Uuid, Vec<Certificate>> = HashMap::new();
    for certificate in with_revocations(txn, issued).await? {
        let completion = certificate.completion_id.as_uuid();
        certificates.entry(completion).or_default().push(certificate);
    }
    let entries = rows
        .into_iter()
        .map(|row| {
            let certificates = certificates.remove(&row.completion.id).unwrap_or_default();
            let live = certificates.iter().any(|issued| issued.revocation.is_none());
            let superseded_by = row.superseded_by.map(CompletionId::from_uuid);
            Ok(RecordEntry {
                program_code: row.program_code,
                program_title: row.program_title,
                category: CategoryCode::parse(&row.program_category)
                    .map_err(|_| StoreError::corrupt("programs", "category_code"))?,
                status: CompletionStatus::of(superseded_by.is_some(), live),
                superseded_by,
                certificates,
                completion: into_completion(row.completion)?,
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

/// A completion's programme (the entities declare no relations).
fn program_of_completion() -> RelationDef {
    completion::Entity::belongs_to(program::Entity)
        .from(completion::Column::ProgramId)
        .to(program::Column::Id)
        .into()
}

/// The id of the correction that replaced each completion read, if one did; it may name
/// another official (the completion was recorded for the wrong person). Asked row by row, so
/// that each is one probe of the index of corrections: PostgreSQL planned the same as a join
/// by merging, reading that index from its start (a quarter of a second for a recent record).
fn correction_of_completion() -> Expr {
    let correction = Alias::new("correction");
    let correcting = Query::select()
        .column((correction.clone(), completion::Column::Id))
        .from_as(completion::Entity, correction.clone())
        .and_where(
            Expr::col((correction, completion::Column::SupersedesId))
                .equals((completion::Entity, completion::Column::Id)),
        )
        .limit(1)
        .take();
    Expr::SubQuery(None, Box::new(correcting.into()))
}
