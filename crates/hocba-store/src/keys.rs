//! The registry's signing keys as every server process sees them: public key and status live in
//! the database (so a rotation or revocation reaches all replicas at once); private keys live in
//! each node's key directory.

use hocba_domain::KeyStatus;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::{self, Change};
use crate::entities::signing_key;
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, Store, StoreError};

/// Serialises key changes, so that two rotations cannot leave two active keys.
const KEYS_LOCK: i64 = 0x686f_6362_616b_6579; // "hocbakey"

/// A signing key as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// Key id (JWK thumbprint).
    pub kid: String,
    /// `publicKeyMultibase` of the key.
    pub public_key: String,
    /// Where it is in its life.
    pub status: KeyStatus,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it stopped signing.
    pub retired_at: Option<OffsetDateTime>,
    /// When it was declared compromised.
    pub revoked_at: Option<OffsetDateTime>,
}

fn into_record(model: signing_key::Model) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord {
        status: KeyStatus::from_stored(&model.status)
            .ok_or_else(|| StoreError::corrupt("signing_keys", "status"))?,
        kid: model.kid,
        public_key: model.public_key,
        created_at: model.created_at,
        retired_at: model.retired_at,
        revoked_at: model.revoked_at,
    })
}

impl Store {
    /// Every signing key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        signing_key::Entity::find()
            .order_by_asc(signing_key::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_record)
            .collect()
    }

    /// Registers a new key as the active one; the key that was active is retired in the same
    /// transaction.
    pub async fn activate_signing_key(
        &self,
        actor: &Actor,
        kid: &str,
        public_key: &str,
    ) -> Result<SigningKeyRecord, StoreError> {
        let txn = self.write().await?;
        crate::serialize_on(&txn, KEYS_LOCK).await?;
        let now = crate::now();
        let active = signing_key::Entity::find()
            .filter(signing_key::Column::Status.eq(KeyStatus::Active.as_str()))
            .all(&txn)
            .await?;
        for previous in active {
            let kid = previous.kid.clone();
            let mut retiring: signing_key::ActiveModel = previous.into();
            retiring.status = Set(KeyStatus::Retired.as_str().to_owned());
            retiring.retired_at = Set(Some(now));
            retiring.update(&txn).await?;
            let retired = published(EventType::KeyRetired, &kid);
            let change = key_change("key.retired", &kid, json!({}));
            audit::append_publishing(&txn, actor, change, retired).await?;
        }
        let model = signing_key::ActiveModel {
            kid: Set(kid.to_owned()),
            public_key: Set(public_key.to_owned()),
            status: Set(KeyStatus::Active.as_str().to_owned()),
            created_at: Set(now),
            retired_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("kid"))?;
        let change = key_change("key.activated", kid, json!({ "public_key": public_key }));
        audit::append_publishing(&txn, actor, change, published(EventType::KeyActivated, kid))
            .await?;
        self.commit_publishing(txn).await?;
        into_record(model)
    }

    /// Moves a key to `Retired` or `Revoked`. Revocation is final; retiring a revoked key is
    /// refused.
    pub async fn set_signing_key_status(
        &self,
        actor: &Actor,
        kid: &str,
        status: KeyStatus,
        note: Option<&str>,
    ) -> Result<SigningKeyRecord, StoreError> {
        let txn = self.write().await?;
        crate::serialize_on(&txn, KEYS_LOCK).await?;
        let current = signing_key::Entity::find_by_id(kid.to_owned())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "signing key" })?;
        let from = KeyStatus::from_stored(&current.status)
            .ok_or_else(|| StoreError::corrupt("signing_keys", "status"))?;
        let allowed = matches!(
            (from, status),
            (KeyStatus::Active, KeyStatus::Retired | KeyStatus::Revoked)
                | (KeyStatus::Retired, KeyStatus::Revoked)
        );
        if !allowed {
            return Err(StoreError::Rule {
                field: "status",
                reason: format!("a {} key cannot become {}", from.as_str(), status.as_str()),
            });
        }
        let now = crate::now();
        let mut changing: signing_key::ActiveModel = current.into();
        changing.status = Set(status.as_str().to_owned());
        match status {
            KeyStatus::Revoked => changing.revoked_at = Set(Some(now)),
            _ => changing.retired_at = Set(Some(now)),
        }
        let model = changing.update(&txn).await?;
        let (action, event_type) = match status {
            KeyStatus::Revoked => ("key.revoked", EventType::KeyRevoked),
            _ => ("key.retired", EventType::KeyRetired),
        };
        let change = key_change(action, kid, json!({ "note": note }));
        audit::append_publishing(&txn, actor, change, published(event_type, kid)).await?;
        self.commit_publishing(txn).await?;
        into_record(model)
    }
}

fn key_change(action: &'static str, kid: &str, details: serde_json::Value) -> Change {
    Change { action, subject_type: "signing_key", subject_id: kid.to_owned(), details }
}

fn published(event_type: EventType, kid: &str) -> Vec<Publish> {
    vec![Publish::new(event_type, EventSubject::key(kid))]
}
