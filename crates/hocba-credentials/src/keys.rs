//! The registry's Ed25519 keys: generation, encrypted storage, and the published key set (DID
//! document and JWKS) from which verifiers learn which keys to trust.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use pkcs8::LineEnding;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::CredentialError;
use crate::multikey;

pub use hocba_domain::KeyStatus;

/// A public key the registry has published, with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    /// Stable key id: the RFC 7638 JWK thumbprint of the key.
    pub kid: String,
    /// The key.
    pub public_key: VerifyingKey,
    /// Where it is in its life.
    pub status: KeyStatus,
    /// When the key was generated.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Every key a registry has published, under its DID: the trust anchor of a verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    /// The registry's DID (`did:web:…`), controller of every key.
    pub did: String,
    /// The keys, oldest first.
    pub keys: Vec<PublishedKey>,
}

/// What a verifier learns about the key behind a `verificationMethod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup<'a> {
    /// One of the registry's keys.
    Registry(&'a PublishedKey),
    /// A `did:key`: self-describing, trusted only if the registry also lists the same key.
    DidKey {
        /// The key the DID encodes.
        public_key: VerifyingKey,
        /// The registry key with the same public key, if any.
        registry: Option<&'a PublishedKey>,
    },
    /// Names a key the registry does not know.
    Unknown,
}

impl KeySet {
    /// The `did:web` DID of a registry served at `base_url` (`https://host[:port][/path]`).
    pub fn did_for(base_url: &str) -> String {
        let without_scheme =
            base_url.trim_end_matches('/').split_once("://").map_or(base_url, |(_, rest)| rest);
        let mut parts = without_scheme.split('/');
        let host = parts.next().unwrap_or_default().replace(':', "%3A");
        std::iter::once(format!("did:web:{host}"))
            .chain(parts.map(str::to_owned))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The verification method id of a key in this set's DID document.
    pub fn method_id(&self, kid: &str) -> String {
        format!("{}#{kid}", self.did)
    }

    /// The key that currently signs.
    pub fn active(&self) -> Option<&PublishedKey> {
        self.keys.iter().find(|key| key.status == KeyStatus::Active)
    }

    /// Resolves a `verificationMethod` (did:web of this registry, or did:key).
    pub fn lookup(&self, method: &str) -> KeyLookup<'_> {
        if method.starts_with("did:key:") {
            return match multikey::from_did_key(method) {
                Ok(public_key) => KeyLookup::DidKey {
                    public_key,
                    registry: self.keys.iter().find(|key| key.public_key == public_key),
                },
                Err(_) => KeyLookup::Unknown,
            };
        }
        match method.split_once('#') {
            Some((did, kid)) if did == self.did => self
                .keys
                .iter()
                .find(|key| key.kid == kid)
                .map_or(KeyLookup::Unknown, KeyLookup::Registry),
            _ => KeyLookup::Unknown,
        }
    }

    /// The DID document published at `/.well-known/did.json`.
    ///
    /// Every key stays listed as a `Multikey` verification method so that old certificates keep
    /// verifying; only active and retired keys are assertion methods, and a revoked key carries
    /// `revoked` (Controlled Identifiers 1.0), so any verifier can tell why it fails.
    pub fn did_document(&self) -> Value {
        let methods: Vec<Value> = self
            .keys
            .iter()
            .map(|key| {
                let mut method = json!({
                    "id": self.method_id(&key.kid),
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": multikey::multikey(&key.public_key),
                });
                if let Some(revoked) = key.revoked_at.and_then(|at| at.format(&Rfc3339).ok()) {
                    method["revoked"] = Value::String(revoked);
                }
                method
            })
            .collect();
        let assertion: Vec<Value> = self
            .keys
            .iter()
            .filter(|key| key.status != KeyStatus::Revoked)
            .map(|key| Value::String(self.method_id(&key.kid)))
            .collect();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": methods,
            "assertionMethod": assertion,
            "authentication": assertion,
        })
    }

    /// The JWK set published at `/.well-known/jwks.json`: keys that still verify (revoked keys
    /// are left out, so a JOSE library refuses what they signed).
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|key| key.status != KeyStatus::Revoked)
            .map(|key| multikey::jwk(&key.public_key, &self.method_id(&key.kid)))
            .collect();
        json!({ "keys": keys })
    }

    /// Reads a DID document published by [`KeySet::did_document`] (the offline verifier's
    /// `--keys` file).
    pub fn from_did_document(document: &Value) -> Result<Self, CredentialError> {
        let did = document["id"]
            .as_str()
            .filter(|id| id.starts_with("did:"))
            .ok_or_else(|| CredentialError::malformed("DID document has no DID `id`"))?
            .to_owned();
        let assertion: Vec<&str> = document["assertionMethod"]
            .as_array()
            .map(|methods| methods.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let methods = document["verificationMethod"]
            .as_array()
            .ok_or_else(|| CredentialError::malformed("DID document has no verificationMethod"))?;
        let mut keys = Vec::with_capacity(methods.len());
        for method in methods {
            let id = method["id"].as_str().unwrap_or_default();
            let Some(kid) = id.strip_prefix(&format!("{did}#")) else {
                continue; // a method of another controller is not ours to trust
            };
            let public_key =
                multikey::from_multikey(method["publicKeyMultibase"].as_str().unwrap_or_default())?;
            let revoked_at = method["revoked"]
                .as_str()
                .map(|at| OffsetDateTime::parse(at, &Rfc3339))
                .transpose()
                .map_err(|_| CredentialError::malformed("`revoked` is not a date-time"))?;
            let status = if revoked_at.is_none() && assertion.contains(&id) {
                KeyStatus::Retired
            } else {
                KeyStatus::Revoked
            };
            keys.push(PublishedKey {
                kid: kid.to_owned(),
                public_key,
                status,
                created_at: OffsetDateTime::UNIX_EPOCH,
                revoked_at,
            });
        }
        // Keys are published oldest first and only the newest can sign: the last key still
        // valid is the active one.
        if let Some(newest) = keys.iter_mut().rev().find(|key| key.status == KeyStatus::Retired) {
            newest.status = KeyStatus::Active;
        }
        Ok(KeySet { did, keys })
    }
}

/// A private key able to sign, with the verification method that names it.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    method: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("method", &self.method).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer whose proofs name `method` as their `verificationMethod`.
    pub fn new(key: SigningKey, method: impl Into<String>) -> Self {
        Signer { key, method: method.into() }
    }

    /// The same key, named by its `did:key` form (for verifiers that resolve only did:key).
    pub fn as_did_key(&self) -> Signer {
        Signer::new(self.key.clone(), multikey::did_key_method(&self.key.verifying_key()))
    }

    /// The `verificationMethod` this signer puts in proofs (and the JWS `kid`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The controller DID of the method.
    pub fn controller(&self) -> &str {
        self.method.split('#').next().unwrap_or(&self.method)
    }

    /// The public half.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs bytes.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

/// Checks an Ed25519 signature (RFC 8032), refusing small-order ("weak") public keys, which
/// could make one signature valid for many messages. The check of the key replaces
/// `verify_strict`'s per-signature checks at a fraction of their cost; the signature equation is
/// the standard one every other implementation uses.
pub(crate) fn signature_holds(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    use ed25519_dalek::Verifier as _;
    !key.is_weak() && key.verify(message, signature).is_ok()
}

/// A new random key.
pub fn generate() -> SigningKey {
    SigningKey::from_bytes(&rand::random())
}

/// PKCS#8 PEM of a private key; encrypted (PBES2: scrypt + AES-256-CBC) when a passphrase is
/// given. Written as PKCS#8 v1 (no embedded public key), the form OpenSSL reads.
pub fn to_pem(key: &SigningKey, passphrase: Option<&str>) -> Result<String, CredentialError> {
    let bytes = KeypairBytes { secret_key: key.to_bytes(), public_key: None };
    let pem = match passphrase {
        Some(passphrase) => bytes.to_pkcs8_encrypted_pem(passphrase, LineEnding::LF),
        None => bytes.to_pkcs8_pem(LineEnding::LF),
    };
    pem.map(|pem| pem.to_string()).map_err(|_| CredentialError::KeyFile("cannot encode the key"))
}

/// Reads a PKCS#8 PEM private key, encrypted or not.
pub fn from_pem(pem: &str, passphrase: Option<&str>) -> Result<SigningKey, CredentialError> {
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        let passphrase = passphrase.ok_or(CredentialError::KeyFile(
            "the key file is encrypted: set HOCBA_KEY_PASSPHRASE",
        ))?;
        SigningKey::from_pkcs8_encrypted_pem(pem, passphrase)
            .map_err(|_| CredentialError::KeyFile("wrong passphrase or damaged key file"))
    } else {
        SigningKey::from_pkcs8_pem(pem).map_err(|_| CredentialError::KeyFile("damaged key file"))
    }
}

/// The directory holding the registry's private keys, one PEM file per key id, readable by the
/// owner only.
#[derive(Debug, Clone)]
pub struct KeyDir {
    path: PathBuf,
    passphrase: Option<String>,
}

impl KeyDir {
    /// Opens (creating it, mode 0700) the directory; keys are encrypted with `passphrase` when
    /// one is given.
    pub fn open(
        path: impl AsRef<Path>,
        passphrase: Option<String>,
    ) -> Result<Self, CredentialError> {
        let path = path.as_ref().to_owned();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&path)
            .map_err(|error| CredentialError::io(&path, error))?;
        Ok(KeyDir { path, passphrase: passphrase.filter(|p| !p.is_empty()) })
    }

    /// Whether private keys written here are encrypted.
    pub fn encrypts(&self) -> bool {
        self.passphrase.is_some()
    }

    fn file(&self, kid: &str) -> PathBuf {
        self.path.join(format!("{kid}.pem"))
    }

    /// Writes a key (mode 0600, never overwriting) and returns its key id.
    pub fn store(&self, key: &SigningKey) -> Result<String, CredentialError> {
        let kid = multikey::jwk_thumbprint(&key.verifying_key());
        let pem = to_pem(key, self.passphrase.as_deref())?;
        let path = self.file(&kid);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|error| CredentialError::io(&path, error))?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| CredentialError::io(&path, error))?;
        Ok(kid)
    }

    /// The 32-byte data-encryption key named `name`, created on first use: it is written, and
    /// encrypted with the passphrase, exactly as a signing key is (the 32 bytes are a PKCS#8
    /// Ed25519 seed on disk), so it is as safe at rest as the signing keys and travels with the
    /// key directory to every node. Used to seal secrets the registry must keep usable (the
    /// webhook secrets), never to sign.
    pub fn data_key(&self, name: &str) -> Result<[u8; 32], CredentialError> {
        let path = self.path.join(format!("{name}.pem"));
        let created = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path);
        match created {
            Ok(mut file) => {
                let pem = to_pem(&generate(), self.passphrase.as_deref())?;
                file.write_all(pem.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|error| CredentialError::io(&path, error))?;
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(CredentialError::io(&path, error)),
        }
        let pem = fs::read_to_string(&path).map_err(|error| CredentialError::io(&path, error))?;
        Ok(from_pem(&pem, self.passphrase.as_deref())?.to_bytes())
    }

    /// Loads the private key `kid`, checking that it is the key that id names.
    pub fn load(&self, kid: &str) -> Result<SigningKey, CredentialError> {
        let path = self.file(kid);
        let pem = fs::read_to_string(&path).map_err(|error| CredentialError::io(&path, error))?;
        let key = from_pem(&pem, self.passphrase.as_deref())?;
        if multikey::jwk_thumbprint(&key.verifying_key()) != kid {
            return Err(CredentialError::KeyFile(
                "the key file does not hold the key its name says",
            ));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_data_key_is_made_once_and_read_back_with_the_passphrase() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = KeyDir::open(dir.path(), Some("correct horse".into())).expect("open");
        let key = keys.data_key("webhook-secrets").expect("created");
        assert_eq!(keys.data_key("webhook-secrets").expect("read"), key);
        let text = fs::read_to_string(dir.path().join("webhook-secrets.pem")).expect("file");
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let wrong = KeyDir::open(dir.path(), Some("wrong".into())).expect("open");
        assert!(wrong.data_key("webhook-secrets").is_err());
    }

    #[test]
    fn an_encrypted_key_file_needs_its_passphrase_and_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys =
            KeyDir::open(dir.path().join("keys"), Some("correct horse".into())).expect("open");
        let key = generate();
        let kid = keys.store(&key).expect("store");
        let file = dir.path().join("keys").join(format!("{kid}.pem"));
        let text = fs::read_to_string(&file).expect("read");
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(fs::metadata(&file).expect("metadata").permissions().mode() & 0o777, 0o600);
        assert_eq!(keys.load(&kid).expect("load").to_bytes(), key.to_bytes());

        // Operators can inspect it with standard tools (when OpenSSL is installed).
        let openssl = std::process::Command::new("openssl")
            .args(["pkey", "-noout", "-passin", "pass:correct horse", "-in"])
            .arg(&file)
            .status();
        if let Ok(status) = openssl {
            assert!(status.success(), "openssl cannot read the encrypted key");
        }

        let wrong = KeyDir::open(dir.path().join("keys"), Some("wrong".into())).expect("open");
        assert!(matches!(wrong.load(&kid), Err(CredentialError::KeyFile(_))));
        let none = KeyDir::open(dir.path().join("keys"), None).expect("open");
        assert!(matches!(none.load(&kid), Err(CredentialError::KeyFile(_))));
    }

    #[test]
    fn a_plain_key_file_is_for_development() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = KeyDir::open(dir.path(), None).expect("open");
        let key = generate();
        let kid = keys.store(&key).expect("store");
        let text = fs::read_to_string(dir.path().join(format!("{kid}.pem"))).expect("read");
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(keys.load(&kid).expect("load").verifying_key(), key.verifying_key());
    }

    #[test]
    fn a_small_order_key_cannot_vouch_for_every_message() {
        // The identity point as public key with R = identity, s = 0 satisfies the cofactorless
        // equation for any message: exactly what the weak-key check is for.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifyingKey::from_bytes(&identity).expect("a valid encoding");
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let forged = Signature::from_bytes(&forged);
        assert!(ed25519_dalek::Verifier::verify(&weak, b"anything", &forged).is_ok());
        assert!(!signature_holds(&weak, b"anything", &forged));
        let key = generate();
        assert!(signature_holds(&key.verifying_key(), b"m", &key.sign(b"m")));
        assert!(!signature_holds(&key.verifying_key(), b"n", &key.sign(b"m")));
    }

    #[test]
    fn did_web_follows_the_did_web_method() {
        assert_eq!(KeySet::did_for("https://hocba.gov.vn"), "did:web:hocba.gov.vn");
        assert_eq!(KeySet::did_for("http://127.0.0.1:8080/"), "did:web:127.0.0.1%3A8080");
        assert_eq!(KeySet::did_for("https://moha.gov.vn/hocba"), "did:web:moha.gov.vn:hocba");
    }

    #[test]
    fn the_did_document_reads_back_with_revocations() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let key = |status, revoked_at| {
            let public_key = generate().verifying_key();
            PublishedKey {
                kid: multikey::jwk_thumbprint(&public_key),
                public_key,
                status,
                created_at: at,
                revoked_at,
            }
        };
        let set = KeySet {
            did: "did:web:hocba.example".into(),
            keys: vec![key(KeyStatus::Revoked, Some(at)), key(KeyStatus::Active, None)],
        };
        let read = KeySet::from_did_document(&set.did_document()).expect("parses");
        assert_eq!(read.keys.len(), 2);
        assert_eq!(read.keys[0].status, KeyStatus::Revoked);
        assert_eq!(read.keys[1].status, KeyStatus::Active);
        assert!(matches!(read.lookup(&set.method_id(&set.keys[1].kid)), KeyLookup::Registry(_)));
        assert_eq!(read.lookup("did:web:elsewhere#x"), KeyLookup::Unknown);
        assert_eq!(set.jwks()["keys"].as_array().map(Vec::len), Some(1));
    }
}
