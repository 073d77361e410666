//! Reading certificates: by number, an official's, a completion's.

use std::collections::HashMap;

use hocba_domain::{CertificateNumber, CompletionId, OfficialId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef, Select,
};

use uuid::Uuid;

use crate::audit;
use crate::entities::{certificate, completion, official, revocation};
use crate::{Actor, Store, StoreError};

use super::{Certificate, into_certificate};

impl Store {
    /// A certificate by its number.
    pub async fn certificate(&self, number: &CertificateNumber) -> Result<Certificate, StoreError> {
        reading!(self, |txn| async {
            let found =
                certificate::Entity::find().filter(certificate::Column::Number.eq(number.as_str()));
            with_revocation(txn, found).await?.ok_or(StoreError::NotFound { entity: "certificate" })
        })
    }

    /// The latest certificate of the correction that replaced `completion`, whose own
    /// certificates were revoked as superseded; `None` when no correction replaced it.
    pub async fn successor_certificate(
        &self,
        completion: CompletionId,
    ) -> Result<Option<CertificateNumber>, StoreError> {
        let correction = completion::Entity::find()
            .filter(completion::Column::SupersedesId.eq(completion.as_uuid()))
            .one(&self.db)
            .await?;
        let Some(correction) = correction else { return Ok(None) };
        let latest = certificate::Entity::find()
            .filter(certificate::Column::CompletionId.eq(correction.id))
            .order_by_desc(certificate::Column::IssuedAt)
            .one(&self.db)
            .await?;
        latest
            .map(|model| {
                CertificateNumber::parse(&model.number)
                    .map_err(|_| StoreError::corrupt("certificates", "number"))
            })
            .transpose()
    }

    /// An official's certificates, oldest first; the read is logged for the official to see.
    pub async fn certificates_of(
        &self,
        reader: &Actor,
        purpose: &str,
        official_id: OfficialId,
    ) -> Result<Vec<Certificate>, StoreError> {
        let (certificates, read) = reading!(self, |txn| async {
            official::Entity::find_by_id(official_id.as_uuid())
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound { entity: "official" })?;
            let read =
                crate::officials::checked_read(txn, official_id.as_uuid(), reader, purpose).await?;
            let found = certificate::Entity::find()
                .filter(certificate::Column::OfficialId.eq(official_id.as_uuid()))
                .order_by_asc(certificate::Column::IssuedAt);
            Ok((with_revocations(txn, found).await?, read))
        })?;
        self.log_reads(vec![read]).await?;
        Ok(certificates)
    }
}

pub(super) async fn certificates_of_completion(
    txn: &DatabaseTransaction,
    completion_id: Uuid,
) -> Result<Vec<Certificate>, StoreError> {
    let found =
        certificate::Entity::find().filter(certificate::Column::CompletionId.eq(completion_id));
    with_revocations(txn, found).await
}

/// The certificates `found` selects, in its order, each with its revocation: one statement,
/// where reading the revocations after the certificates took a round trip to the database more
/// (a record read made eight, and spent most of its time sending them).
pub(super) async fn with_revocations(
    db: &impl ConnectionTrait,
    found: Select<certificate::Entity>,
) -> Result<Vec<Certificate>, StoreError> {
    found
        .select_also(revocation::Entity)
        .join(JoinType::LeftJoin, revocation_of_certificate())
        .all(db)
        .await?
        .into_iter()
        .map(|(model, revoked)| into_certificate(model, revoked))
        .collect()
}

/// The first certificate `found` selects, with its revocation, in one statement.
pub(crate) async fn with_revocation(
    db: &impl ConnectionTrait,
    found: Select<certificate::Entity>,
) -> Result<Option<Certificate>, StoreError> {
    Ok(with_revocations(db, found.limit(1)).await?.into_iter().next())
}

/// A certificate's revocation row, if it was revoked (the entities declare no relations).
fn revocation_of_certificate() -> RelationDef {
    certificate::Entity::belongs_to(revocation::Entity)
        .from(certificate::Column::Id)
        .to(revocation::Column::CertificateId)
        .into()
}

/// The number of the latest certificate of each of `completions` that has one.
pub(super) async fn latest_certificates(
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
