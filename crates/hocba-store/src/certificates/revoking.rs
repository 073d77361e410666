//! Revoking a certificate: an append-only fact that sets its status bit.

use hocba_domain::{CertificateNumber, RevocationReason};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entities::{certificate, revocation};
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, Store, StoreError};

use super::reads::with_revocation;
use super::{Certificate, into_certificate};

impl Store {
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
            Actor::Agency { .. }
            | Actor::Official { .. }
            | Actor::SharedLink { .. }
            | Actor::Client { .. } => {
                return Err(StoreError::NotFound { entity: "certificate" });
            }
        }
        let model = found.one(&txn).await?.ok_or(StoreError::NotFound { entity: "certificate" })?;
        revoke_in(&txn, actor, &into_certificate(model.clone(), None)?, reason, note).await?;
        let certificate = with_revocation(&txn, certificate::Entity::find_by_id(model.id))
            .await?
            .ok_or(StoreError::NotFound { entity: "certificate" })?;
        self.commit_publishing(txn).await?;
        Ok(certificate)
    }
}

/// Records a revocation, its audit event and its public event inside `txn`; a second
/// revocation is a conflict.
pub(super) async fn revoke_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    certificate: &Certificate,
    reason: RevocationReason,
    note: Option<String>,
) -> Result<(), StoreError> {
    revocation::ActiveModel {
        certificate_id: Set(certificate.id),
        reason: Set(reason.as_str().to_owned()),
        note: Set(note),
        revoked_at: Set(crate::now()),
        revoked_by: Set(actor.label()),
    }
    .insert(txn)
    .await
    .map_err(StoreError::unique("number"))?;
    audit::append_publishing(
        txn,
        actor,
        Change {
            action: "certificate.revoked",
            subject_type: "certificate",
            subject_id: certificate.id.to_string(),
            // The free-text note stays in the revocation row: audit details hold no free text.
            details: json!({ "number": certificate.number.as_str(), "reason": reason.as_str() }),
        },
        vec![Publish::new(EventType::CertificateRevoked, EventSubject::certificate(certificate))],
    )
    .await
}
