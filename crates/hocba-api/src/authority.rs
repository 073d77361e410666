//! The registry as certificate authority: its identity, its key directory, and the signer of
//! the moment (reloaded when the database says the key changed).

use std::sync::{Arc, RwLock};

use hocba_credentials::keys::{self, KeyDir, KeySet, PublishedKey, Signer};
use hocba_credentials::{Registry, multikey};
use hocba_store::{Actor, SigningKeyRecord, Store, StoreError};

use crate::ApiError;

/// The active key, ready to sign.
#[derive(Debug)]
pub struct ActiveSigner {
    /// Its key id.
    pub kid: String,
    /// The signer, named by the registry's did:web method.
    pub signer: Signer,
}

/// Identity and keys of the registry.
#[derive(Debug)]
pub struct Authority {
    /// Who the registry is (base URL, DID, name).
    pub registry: Registry,
    key_dir: KeyDir,
    current: RwLock<Option<Arc<ActiveSigner>>>,
}

impl Authority {
    /// An authority signing with keys from `key_dir`.
    pub fn new(registry: Registry, key_dir: KeyDir) -> Self {
        Authority { registry, key_dir, current: RwLock::new(None) }
    }

    /// Generates a key, stores it in the key directory and makes it the active one (the
    /// previous active key is retired).
    pub async fn rotate(&self, store: &Store, actor: &Actor) -> Result<SigningKeyRecord, ApiError> {
        let key = keys::generate();
        let kid = self.key_dir.store(&key).map_err(ApiError::internal)?;
        let record = store
            .activate_signing_key(actor, &kid, &multikey::multikey(&key.verifying_key()))
            .await?;
        self.forget();
        Ok(record)
    }

    /// Makes sure a key can sign: generates the first one on a registry's first start.
    pub async fn ensure_key(&self, store: &Store) -> Result<(), ApiError> {
        let has_active =
            store.signing_keys().await?.iter().any(|key| key.status == keys::KeyStatus::Active);
        if !has_active {
            self.rotate(store, &Actor::System).await?;
        }
        self.signer(store).await.map(|_| ())
    }

    /// The published key set.
    pub async fn key_set(&self, store: &Store) -> Result<KeySet, ApiError> {
        let keys = store
            .signing_keys()
            .await?
            .into_iter()
            .map(|record| {
                Ok(PublishedKey {
                    public_key: multikey::from_multikey(&record.public_key)
                        .map_err(|_| ApiError::Store(StoreError::corrupt_key(&record.kid)))?,
                    kid: record.kid,
                    status: record.status,
                    created_at: record.created_at,
                    revoked_at: record.revoked_at,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(KeySet { did: self.registry.did.clone(), keys })
    }

    /// The signer of the active key (loaded from the key directory on first use).
    pub async fn signer(&self, store: &Store) -> Result<Arc<ActiveSigner>, ApiError> {
        if let Some(current) = self.current.read().ok().and_then(|current| current.clone()) {
            return Ok(current);
        }
        let active = store
            .signing_keys()
            .await?
            .into_iter()
            .find(|key| key.status == keys::KeyStatus::Active)
            .ok_or(ApiError::NoSigningKey)?;
        let key = self.key_dir.load(&active.kid).map_err(ApiError::internal)?;
        let method = format!("{}#{}", self.registry.did, active.kid);
        let signer = Arc::new(ActiveSigner { kid: active.kid, signer: Signer::new(key, method) });
        if let Ok(mut current) = self.current.write() {
            *current = Some(signer.clone());
        }
        Ok(signer)
    }

    /// Drops the cached signer: the next signature reloads the active key.
    pub fn forget(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}
