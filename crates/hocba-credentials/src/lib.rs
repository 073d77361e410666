//! Hocba's verifiable certificates, usable on their own by an HR system that wants to verify
//! without calling the registry.
//!
//! - [`contexts`]: the JSON-LD contexts documents name, at the bottom of the crate.
//! - [`keys`]: Ed25519 keys, their encrypted files, the published key set (DID document, JWKS).
//! - [`certificate`]: the certificate as a W3C VC 2.0 / Open Badges 3.0 credential, and issuing.
//! - [`data_integrity`]: `eddsa-rdfc-2022` and `eddsa-jcs-2022` proofs, over [`jsonld`]'s
//!   canonical RDF or JCS; [`jose`]: the same credential as a JWS.
//! - [`status`]: Bitstring Status List revocation.
//! - [`checkpoint`]: signed checkpoints of the registry's audit log (C2SP signed-note).
//! - [`verify`]: one verifier that reports every check.
//! - [`stated`]: what a certificate states, read once for the pages and the printed certificate.
//!
//! - [`transcript`]: the official's whole record as a CLR 2.0 `ClrCredential` embedding the
//!   secured certificates, signed as a certificate is.
//!
//! Nothing below [`certificate`] knows what a certificate holds: the transcript is a builder
//! beside [`certificate::Registry::certificate`] and one more row in [`jsonld`]'s table of
//! bundled contexts; [`certificate::secure`] signs it with both proofs (the embedded
//! credentials' proofs become named graphs, as in a presentation), and [`verify`] checks it and
//! each credential inside it.

pub mod certificate;
pub mod checkpoint;
pub mod contexts;
pub mod data_integrity;
pub mod jose;
pub mod jsonld;
pub mod keys;
pub mod memo;
pub mod model;
pub mod multikey;
pub mod stated;
pub mod status;
pub mod transcript;
pub mod verdicts;
pub mod verify;

use std::path::Path;

pub use certificate::{Issued, Registry};
pub use data_integrity::Cryptosuite;
/// The public half of a signing key, as every verifying function here takes it.
pub use ed25519_dalek::VerifyingKey;
pub use keys::{KeyDir, KeySet, KeyStatus, PublishedKey, Signer};
pub use model::ModelViolation;
pub use status::{Bitstring, StatusEntry};
pub use verify::{Check, Presented, Report, StatusAnswer, StatusSource, Trust, Verifier};

/// Why a credential operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The input is not what it claims to be (bad encoding, missing member).
    #[error("{0}")]
    Malformed(&'static str),
    /// The document is not JSON-LD that Hocba can read: an undefined term, an invalid value, a
    /// context that is not bundled, or too deep.
    #[error("the document is not valid JSON-LD: {0}")]
    NotJsonLd(String),
    /// A proof is present but does not hold.
    #[error("{0}")]
    InvalidProof(&'static str),
    /// A key file cannot be used.
    #[error("{0}")]
    KeyFile(&'static str),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl CredentialError {
    pub(crate) fn malformed(reason: &'static str) -> Self {
        CredentialError::Malformed(reason)
    }

    pub(crate) fn invalid_proof(reason: &'static str) -> Self {
        CredentialError::InvalidProof(reason)
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CredentialError::Io { path: path.display().to_string(), source }
    }
}
