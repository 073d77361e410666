//! Webhook secrets at rest: sealed with AES-256-GCM under a key kept in the key directory
//! ([`hocba_credentials::KeyDir::data_key`], encrypted with the passphrase as signing keys are),
//! bound to their subscription's id, so a database dump alone reveals none, and a sealed secret
//! copied onto another subscription does not open.

use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hocba_domain::webhooks::WebhookSecret;
use uuid::Uuid;

use crate::ApiError;

/// The version tag of the sealed form, should the scheme ever change.
const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 12;

/// Seals and opens webhook secrets.
pub struct SecretBox(Aes256Gcm);

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key>)")
    }
}

impl SecretBox {
    /// A box with a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox(Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)))
    }

    /// The sealed form of `secret` for `subscription`: `v1.` and base64 of nonce and ciphertext.
    pub fn seal(&self, subscription: Uuid, secret: &WebhookSecret) -> Result<String, ApiError> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let payload = Payload { msg: secret.bytes(), aad: subscription.as_bytes() };
        let sealed = self
            .0
            .encrypt(&Nonce::<Aes256Gcm>::from(nonce), payload)
            .map_err(|_| ApiError::internal("cannot seal a webhook secret"))?;
        Ok(format!("{VERSION}{}", STANDARD.encode([nonce.as_slice(), &sealed].concat())))
    }

    /// The secret sealed for `subscription`.
    pub fn open(&self, subscription: Uuid, sealed: &str) -> Result<WebhookSecret, ApiError> {
        let broken = || ApiError::internal("a sealed webhook secret does not open");
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .ok_or_else(broken)?;
        let (nonce, sealed) = bytes.split_at_checked(NONCE_BYTES).ok_or_else(broken)?;
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| broken())?;
        let payload = Payload { msg: sealed, aad: subscription.as_bytes() };
        let secret =
            self.0.decrypt(&Nonce::<Aes256Gcm>::from(nonce), payload).map_err(|_| broken())?;
        WebhookSecret::from_bytes(secret).map_err(|_| broken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_for_its_subscription_only() {
        let key = [9u8; 32];
        let secrets = SecretBox::new(&key);
        let secret = WebhookSecret::from_bytes(vec![3; 32]).unwrap();
        let subscription = Uuid::now_v7();
        let sealed = secrets.seal(subscription, &secret).unwrap();
        assert!(!sealed.contains(&secret.reveal()));
        assert_ne!(sealed, secrets.seal(subscription, &secret).unwrap(), "fresh nonce each time");
        assert_eq!(secrets.open(subscription, &sealed).unwrap(), secret);
        assert!(secrets.open(Uuid::now_v7(), &sealed).is_err());
        assert!(SecretBox::new(&[8u8; 32]).open(subscription, &sealed).is_err());
        assert!(secrets.open(subscription, "v1.AAAA").is_err());
    }
}
