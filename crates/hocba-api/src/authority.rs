//! The registry as certificate authority: its identity, its key directory, and the signer of
//! the moment (reloaded when the database says the key changed).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use hocba_credentials::keys::{self, KeyDir, KeySet, PublishedKey, Signer};
use hocba_credentials::{Registry, multikey};
use hocba_store::{Actor, SigningKeyRecord, Store, StoreError};

use crate::ApiError;
use crate::webhooks::SecretBox;

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
    /// Signers of past keys, by key id, to complete the proof sets of what they signed.
    by_kid: RwLock<HashMap<String, Arc<Signer>>>,
    /// The box webhook secrets are sealed in, once its key is read.
    webhook_secrets: std::sync::OnceLock<Arc<SecretBox>>,
}

impl Authority {
    /// An authority signing with keys from `key_dir`.
    pub fn new(registry: Registry, key_dir: KeyDir) -> Self {
        Authority {
            registry,
            key_dir,
            current: RwLock::new(None),
            by_kid: RwLock::default(),
            webhook_secrets: std::sync::OnceLock::new(),
        }
    }

    /// The box webhook secrets are sealed in, its key read from (or first made in) the key
    /// directory.
    pub fn webhook_secrets(&self) -> Result<Arc<SecretBox>, ApiError> {
        if let Some(secrets) = self.webhook_secrets.get() {
            return Ok(secrets.clone());
        }
        let key = self.key_dir.data_key("webhook-secrets").map_err(ApiError::internal)?;
        let secrets = self.webhook_secrets.get_or_init(|| Arc::new(SecretBox::new(&key)));
        Ok(secrets.clone())
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

    /// The signer of key `kid`, to add the proofs a certificate it signed still lacks (the
    /// `eddsa-rdfc-2022` proof of a posted class): `None` once the key is revoked, because a
    /// compromised key must sign nothing more. A retired key may: it completes what it already
    /// signed, with the same claims and the same `created`, and Ed25519 gives the same bytes.
    pub async fn signer_for(
        &self,
        store: &Store,
        kid: &str,
    ) -> Result<Option<Arc<Signer>>, ApiError> {
        let record = store.signing_keys().await?.into_iter().find(|key| key.kid == kid);
        if record.is_none_or(|key| key.status == keys::KeyStatus::Revoked) {
            return Ok(None);
        }
        if let Some(signer) = self.by_kid.read().ok().and_then(|cache| cache.get(kid).cloned()) {
            return Ok(Some(signer));
        }
        let key = self.key_dir.load(kid).map_err(ApiError::internal)?;
        let signer = Arc::new(Signer::new(key, format!("{}#{kid}", self.registry.did)));
        if let Ok(mut cache) = self.by_kid.write() {
            cache.insert(kid.to_owned(), signer.clone());
        }
        Ok(Some(signer))
    }

    /// Drops the cached signer: the next signature reloads the active key.
    pub fn forget(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}
