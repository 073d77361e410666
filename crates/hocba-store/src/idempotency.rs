//! `Idempotency-Key`: the first answer to a keyed request is stored in the transaction that
//! made its change, so a retry (after a timeout, a crash, a lost answer) replays it and writes
//! nothing; the same key with another request is refused.

use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, Set};

use crate::entities::idempotency_key;
use crate::{Store, StoreError};

/// A keyed request: whose key space, the key, and a digest of the request it was first sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Whose keys these are (an institution): two institutions may use the same key.
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of the route and body.
    pub request_hash: String,
}

/// What an earlier request with the same key tells about this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// No request with this key was completed: process it.
    Fresh,
    /// The same request was completed: answer this, write nothing.
    Answered {
        /// HTTP status of the first answer.
        status: u16,
        /// Body of the first answer.
        body: String,
    },
    /// The key was used for a different request.
    Mismatch,
}

/// The answer to store with a keyed request, rendered from the use case's result inside its
/// transaction.
pub type Answer<'a, T> = &'a (dyn Fn(&T) -> (u16, String) + Send + Sync);

impl Store {
    /// Looks up an earlier answer to a keyed request.
    pub async fn replay(&self, key: &IdempotencyKey) -> Result<Replay, StoreError> {
        let stored = idempotency_key::Entity::find_by_id((key.scope.clone(), key.key.clone()))
            .one(&self.db)
            .await?;
        Ok(match stored {
            None => Replay::Fresh,
            Some(stored) if stored.request_hash != key.request_hash => Replay::Mismatch,
            Some(stored) => Replay::Answered {
                status: u16::try_from(stored.status).unwrap_or(500),
                body: stored.response,
            },
        })
    }
}

/// Stores the answer to a keyed request inside the transaction of its change. A concurrent
/// request with the same key makes this fail as a conflict, and its change is rolled back.
pub(crate) async fn remember(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    (status, body): (u16, String),
) -> Result<(), StoreError> {
    idempotency_key::ActiveModel {
        scope: Set(key.scope.clone()),
        key: Set(key.key.clone()),
        request_hash: Set(key.request_hash.clone()),
        status: Set(i32::from(status)),
        response: Set(body),
        created_at: Set(crate::now()),
    }
    .insert(txn)
    .await
    .map_err(StoreError::unique("Idempotency-Key"))?;
    Ok(())
}
