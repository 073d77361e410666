//! Listing recorded completions with their certificates: an institution's own results, every
//! institution's for the operator, one class's roster.

use std::collections::{HashMap, HashSet};

use hocba_domain::{
    CertificateNumber, ClassId, CompletionStatus, InstitutionId, PersonName, ProgramCode,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use time::Date;
use uuid::Uuid;

use crate::audit::INSERT_CHUNK;
use crate::catalog::into_class;
use crate::entities::{certificate, class, completion, official, program, revocation};
use crate::{Class, Page, PageRequest, Store, StoreError};

use super::{CompletionRecord, into_completion};

/// Filters of a completion listing; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct CompletionQuery {
    /// Only this institution's completions.
    pub institution: Option<InstitutionId>,
    /// Only completions of this class.
    pub class: Option<ClassId>,
    /// Only completions of this programme.
    pub program: Option<ProgramCode>,
    /// Only completions whose last day is on or after this day.
    pub ended_from: Option<Date>,
    /// Only completions whose last day is on or before this day.
    pub ended_to: Option<Date>,
    /// Only completions that stand so.
    pub status: Option<CompletionStatus>,
}

/// A recorded completion as its institution's listings show it: for whom, of what, under which
/// certificate, and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionResult {
    /// The completion.
    pub completion: CompletionRecord,
    /// The official's name in the registry.
    pub full_name: PersonName,
    /// The official's date of birth.
    pub date_of_birth: Date,
    /// The programme's code.
    pub program_code: ProgramCode,
    /// Its certificate: the live one, or else the last one issued.
    pub certificate_number: Option<CertificateNumber>,
    /// Where it stands.
    pub status: CompletionStatus,
}

/// One class and every completion recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassResults {
    /// The class.
    pub class: Class,
    /// Its completions, in the order they were recorded (corrections and what they replaced
    /// alike, each with its status).
    pub results: Vec<CompletionResult>,
}

impl Store {
    /// Completions in the order they were recorded, filtered by `query`, with their
    /// certificates and status.
    pub async fn list_completions(
        &self,
        query: &CompletionQuery,
        page: PageRequest,
    ) -> Result<Page<CompletionResult>, StoreError> {
        let mut select = filtered(query).order_by_asc(completion::Column::Id).limit(page.limit + 1);
        if let Some(after) = page.after {
            select = select.filter(completion::Column::Id.gt(after));
        }
        let rows = select.all(&self.db).await?;
        let Page { items, next } = Page::from_rows(rows, page, |row| row.id, Ok)?;
        Ok(Page { items: results_of(&self.db, items).await?, next })
    }

    /// A class's roster: every completion recorded for it, with certificates and status. With
    /// `institution`, another institution's class is, to that one, no class at all.
    pub async fn class_results(
        &self,
        institution: Option<InstitutionId>,
        class_id: ClassId,
    ) -> Result<ClassResults, StoreError> {
        let mut found = class::Entity::find_by_id(class_id.as_uuid());
        if let Some(institution) = institution {
            found = found.filter(class::Column::InstitutionId.eq(institution.as_uuid()));
        }
        let class = found.one(&self.db).await?.ok_or(StoreError::NotFound { entity: "class" })?;
        let query = CompletionQuery {
            // The class's institution too, so that the institution's index narrows the search.
            institution: Some(InstitutionId::from_uuid(class.institution_id)),
            class: Some(class_id),
            ..CompletionQuery::default()
        };
        let rows = filtered(&query).order_by_asc(completion::Column::Id).all(&self.db).await?;
        let results = results_of(&self.db, rows).await?;
        Ok(ClassResults { class: into_class(class)?, results })
    }
}

/// Completions matching `query`.
fn filtered(query: &CompletionQuery) -> Select<completion::Entity> {
    let mut select = completion::Entity::find();
    if let Some(institution) = query.institution {
        select = select.filter(completion::Column::InstitutionId.eq(institution.as_uuid()));
    }
    if let Some(class) = query.class {
        select = select.filter(completion::Column::ClassId.eq(class.as_uuid()));
    }
    if let Some(code) = &query.program {
        let programs = Query::select()
            .column(program::Column::Id)
            .from(program::Entity)
            .and_where(Expr::col(program::Column::Code).eq(code.as_str()))
            .to_owned();
        select = select.filter(completion::Column::ProgramId.in_subquery(programs));
    }
    if let Some(from) = query.ended_from {
        select = select.filter(completion::Column::EndedOn.gte(from));
    }
    if let Some(to) = query.ended_to {
        select = select.filter(completion::Column::EndedOn.lte(to));
    }
    match query.status {
        None => select,
        Some(CompletionStatus::Superseded) => {
            select.filter(completion::Column::Id.in_subquery(corrected()))
        }
        Some(CompletionStatus::Live) => select
            .filter(completion::Column::Id.not_in_subquery(corrected()))
            .filter(completion::Column::Id.in_subquery(certified())),
        Some(CompletionStatus::Revoked) => select
            .filter(completion::Column::Id.not_in_subquery(corrected()))
            .filter(completion::Column::Id.not_in_subquery(certified())),
    }
}

/// Ids of completions a correction replaced.
fn corrected() -> SelectStatement {
    Query::select()
        .column(completion::Column::SupersedesId)
        .from(completion::Entity)
        .and_where(Expr::col(completion::Column::SupersedesId).is_not_null())
        .to_owned()
}

/// Ids of completions with a certificate that is not revoked.
fn certified() -> SelectStatement {
    let revoked = Query::select()
        .column(revocation::Column::CertificateId)
        .from(revocation::Entity)
        .to_owned();
    Query::select()
        .column(certificate::Column::CompletionId)
        .from(certificate::Entity)
        .and_where(Expr::col(certificate::Column::Id).not_in_subquery(revoked))
        .to_owned()
}

/// Completions with their holders, programmes, certificates and status, read in a few queries
/// per chunk of rows.
async fn results_of(
    db: &impl ConnectionTrait,
    rows: Vec<completion::Model>,
) -> Result<Vec<CompletionResult>, StoreError> {
    let mut results = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<completion::Model> = rows.by_ref().take(INSERT_CHUNK).collect();
        results.extend(chunk_results(db, chunk).await?);
    }
    Ok(results)
}

async fn chunk_results(
    db: &impl ConnectionTrait,
    rows: Vec<completion::Model>,
) -> Result<Vec<CompletionResult>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let holders: HashMap<Uuid, official::Model> = official::Entity::find()
        .filter(official::Column::Id.is_in(distinct(rows.iter().map(|row| row.official_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|holder| (holder.id, holder))
        .collect();
    let programs: HashMap<Uuid, String> = program::Entity::find()
        .filter(program::Column::Id.is_in(distinct(rows.iter().map(|row| row.program_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|program| (program.id, program.code))
        .collect();
    let corrected = corrected_among(db, &ids).await?;
    // Their numbers only: the signed credentials (4-5 KB each, compressed on PostgreSQL) are
    // not shown, and reading them cost a class's roster most of its time.
    let issued: Vec<(Uuid, Uuid, String)> = certificate::Entity::find()
        .select_only()
        .columns([
            certificate::Column::Id,
            certificate::Column::CompletionId,
            certificate::Column::Number,
        ])
        .filter(certificate::Column::CompletionId.is_in(ids.iter().copied()))
        .order_by_asc(certificate::Column::IssuedAt)
        .into_tuple()
        .all(db)
        .await?;
    let revoked = revoked_among(db, issued.iter().map(|(id, _, _)| *id)).await?;
    // Per completion: its live certificate, or else its last one.
    let mut certificates: HashMap<Uuid, (String, bool)> = HashMap::new();
    for (id, completion_id, number) in issued {
        let live = !revoked.contains(&id);
        let kept = certificates.get(&completion_id).is_some_and(|(_, was_live)| *was_live);
        if !kept {
            certificates.insert(completion_id, (number, live));
        }
    }
    rows.into_iter()
        .map(|row| {
            let holder = holders
                .get(&row.official_id)
                .ok_or_else(|| StoreError::corrupt("completions", "official_id"))?;
            let program_code = programs
                .get(&row.program_id)
                .ok_or_else(|| StoreError::corrupt("completions", "program_id"))?;
            let certificate = certificates.get(&row.id);
            let status = CompletionStatus::of(
                corrected.contains(&row.id),
                certificate.is_some_and(|(_, live)| *live),
            );
            Ok(CompletionResult {
                full_name: PersonName::parse(&holder.full_name)
                    .map_err(|_| StoreError::corrupt("officials", "full_name"))?,
                date_of_birth: holder.date_of_birth,
                program_code: ProgramCode::parse(program_code)
                    .map_err(|_| StoreError::corrupt("programs", "code"))?,
                certificate_number: certificate
                    .map(|(number, _)| CertificateNumber::parse(number))
                    .transpose()
                    .map_err(|_| StoreError::corrupt("certificates", "number"))?,
                status,
                completion: into_completion(row)?,
            })
        })
        .collect()
}

/// The distinct values of `ids`.
fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    ids.collect::<HashSet<_>>().into_iter().collect()
}

/// Which of the completions `ids` a correction replaced.
async fn corrected_among(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, StoreError> {
    Ok(completion::Entity::find()
        .filter(completion::Column::SupersedesId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|newer| newer.supersedes_id)
        .collect())
}

/// The ids of the certificates of `issued` that are revoked.
async fn revoked_among(
    db: &impl ConnectionTrait,
    issued: impl IntoIterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, StoreError> {
    Ok(revocation::Entity::find()
        .filter(revocation::Column::CertificateId.is_in(issued))
        .all(db)
        .await?
        .into_iter()
        .map(|revocation| revocation.certificate_id)
        .collect())
}
