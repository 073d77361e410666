//! Reading certificates: by number, an official's, a completion's.

use std::collections::HashMap;

use hocba_domain::{CertificateNumber, CompletionId, OfficialId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
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
            let model = certificate::Entity::find()
                .filter(certificate::Column::Number.eq(number.as_str()))
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound { entity: "certificate" })?;
            with_revocation(txn, model).await
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
            let models = certificate::Entity::find()
                .filter(certificate::Column::OfficialId.eq(official_id.as_uuid()))
                .order_by_asc(certificate::Column::IssuedAt)
                .all(txn)
                .await?;
            Ok((with_revocations(txn, models).await?, read))
        })?;
        self.log_reads(vec![read]).await?;
        Ok(certificates)
    }
}

pub(super) async fn certificates_of_completion(
    txn: &DatabaseTransaction,
    completion_id: Uuid,
) -> Result<Vec<Certificate>, StoreError> {
    let models = certificate::Entity::find()
        .filter(certificate::Column::CompletionId.eq(completion_id))
        .all(txn)
        .await?;
    with_revocations(txn, models).await
}

/// The certificates of `models`, each with its revocation, read in one query a chunk rather
/// than one a certificate.
pub(super) async fn with_revocations(
    db: &impl ConnectionTrait,
    models: Vec<certificate::Model>,
) -> Result<Vec<Certificate>, StoreError> {
    let mut revocations: HashMap<Uuid, revocation::Model> = HashMap::new();
    for chunk in models.chunks(audit::INSERT_CHUNK) {
        let revoked = revocation::Entity::find()
            .filter(revocation::Column::CertificateId.is_in(chunk.iter().map(|model| model.id)))
            .all(db)
            .await?;
        revocations.extend(revoked.into_iter().map(|revoked| (revoked.certificate_id, revoked)));
    }
    models
        .into_iter()
        .map(|model| {
            let revoked = revocations.remove(&model.id);
            into_certificate(model, revoked)
        })
        .collect()
}

pub(crate) async fn with_revocation(
    db: &impl ConnectionTrait,
    model: certificate::Model,
) -> Result<Certificate, StoreError> {
    let revocation = revocation::Entity::find_by_id(model.id).one(db).await?;
    into_certificate(model, revocation)
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
