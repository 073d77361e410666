//! Checkpoints of the registry's audit log: C2SP `tlog-checkpoint` bodies signed as C2SP
//! `signed-note`s with an Ed25519 key of the registry.
//!
//! A checkpoint says "the log named `origin` had `size` events, and the Merkle tree over them
//! has this root". Anyone who keeps one can later ask for a consistency proof and see that the
//! registry's history since then only grew. The note's key name is the origin, as transparency
//! logs name their keys; the 4-byte key id (`SHA-256(name || 0x0A || 0x01 || public key)`)
//! tells a verifier which of the registry's keys signed, so checkpoints signed before a key
//! rotation keep verifying with the retired key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::keys::{Signer, signature_holds};
use crate::{CredentialError, keys::KeySet};

/// The signature type byte of Ed25519 in signed-note key ids and verifier keys.
const ED25519: u8 = 0x01;

/// What opens a signature line of a signed note: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// A tree head of the audit log: its origin, size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name: its host and path without scheme (`hocba.gov.vn/audit`).
    pub origin: String,
    /// The number of events in the log.
    pub size: u64,
    /// The RFC 6962 Merkle tree hash of those events.
    pub root_hash: [u8; 32],
}

impl Checkpoint {
    /// The origin of the log of a registry published at `base_url`:
    /// `https://hocba.gov.vn` gives `hocba.gov.vn/audit`.
    pub fn origin_for(base_url: &str) -> String {
        let without_scheme =
            base_url.split_once("://").map_or(base_url, |(_, rest)| rest).trim_end_matches('/');
        format!("{without_scheme}/audit")
    }

    /// The note text: origin, size and base64 root hash, one a line.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root_hash))
    }

    /// The signed note of this checkpoint, signed by `signer` under the origin's name.
    pub fn sign(&self, signer: &Signer) -> String {
        sign_note(&self.body(), &self.origin, signer)
    }

    /// Reads a signed checkpoint and checks that one of `keys` signed it under the origin's
    /// name ([`open_note`]).
    pub fn open(note: &str, keys: &[VerifyingKey]) -> Result<Checkpoint, CredentialError> {
        let body = note.rfind("\n\n").map_or(note, |split| &note[..=split]);
        let checkpoint = Checkpoint::parse(body)?;
        open_note(note, &checkpoint.origin, keys)?;
        Ok(checkpoint)
    }

    /// Reads a checkpoint body (C2SP tlog-checkpoint); extension lines are allowed and ignored.
    fn parse(body: &str) -> Result<Checkpoint, CredentialError> {
        let mut lines = body.lines();
        let mut next = |what: &'static str| {
            lines.next().filter(|line| !line.is_empty()).ok_or(CredentialError::Malformed(what))
        };
        let origin = next("the checkpoint has no origin line")?.to_owned();
        let size = next("the checkpoint has no tree size line")?;
        if size.len() > 1 && size.starts_with('0') {
            return Err(CredentialError::malformed("the tree size has a leading zero"));
        }
        let size = size
            .parse()
            .map_err(|_| CredentialError::malformed("the tree size is not a number"))?;
        let root_hash = STANDARD
            .decode(next("the checkpoint has no root hash line")?)
            .ok()
            .and_then(|hash| <[u8; 32]>::try_from(hash).ok())
            .ok_or(CredentialError::Malformed("the root hash is not 32 bytes of base64"))?;
        Ok(Checkpoint { origin, size, root_hash })
    }
}

/// A signed note (C2SP signed-note): `text` (which ends with a newline), a blank line, and one
/// signature line by `signer` under the key name `name`.
pub fn sign_note(text: &str, name: &str, signer: &Signer) -> String {
    let mut signed = key_id(name, &signer.public_key()).to_vec();
    signed.extend_from_slice(&signer.sign(text.as_bytes()).to_bytes());
    format!("{text}\n{SIGNATURE_PREFIX}{name} {}\n", STANDARD.encode(signed))
}

/// Checks a signed note and returns its text: at least one signature by one of `keys` under
/// the key name `name`, and none of theirs that fails. Signatures of other keys are ignored, as
/// the format requires (a witness may have cosigned).
pub fn open_note<'a>(
    note: &'a str,
    name: &str,
    keys: &[VerifyingKey],
) -> Result<&'a str, CredentialError> {
    let split = note.rfind("\n\n").ok_or(CredentialError::Malformed(
        "a signed note has a blank line before its signatures",
    ))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(CredentialError::malformed("the note has no signature lines"));
    }
    let mut verified = false;
    for line in signatures.lines() {
        let (signer, signature) = line
            .strip_prefix(SIGNATURE_PREFIX)
            .and_then(|line| line.split_once(' '))
            .ok_or(CredentialError::Malformed("a signature line is not `— name signature`"))?;
        let signature = STANDARD
            .decode(signature)
            .map_err(|_| CredentialError::malformed("a note signature is not base64"))?;
        let Some((id, signature)) = signature.split_first_chunk::<4>() else {
            return Err(CredentialError::malformed("a note signature is too short"));
        };
        let Some(key) = keys.iter().find(|key| signer == name && key_id(name, key) == *id) else {
            continue;
        };
        let holds = Signature::from_slice(signature)
            .is_ok_and(|signature| signature_holds(key, text.as_bytes(), &signature));
        if !holds {
            return Err(CredentialError::invalid_proof(
                "the note's signature does not hold: it was altered or not signed by the registry",
            ));
        }
        verified = true;
    }
    if !verified {
        return Err(CredentialError::invalid_proof(
            "the note is signed by none of the registry's keys",
        ));
    }
    Ok(text)
}

/// The signed-note key id of an Ed25519 key named `name`: the first four bytes of
/// `SHA-256(name || 0x0A || 0x01 || public key)`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let hash = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ED25519])
        .chain_update(key.as_bytes())
        .finalize();
    let mut id = [0; 4];
    id.copy_from_slice(&hash[..4]);
    id
}

/// The signed-note verifier key of an Ed25519 key named `name`, as note verifiers (Go's
/// `golang.org/x/mod/sumdb/note`, witnesses) are configured with: `name+hex id+base64(0x01 ||
/// key)`.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> String {
    let id: String = key_id(name, key).iter().map(|byte| format!("{byte:02x}")).collect();
    let mut typed = vec![ED25519];
    typed.extend_from_slice(key.as_bytes());
    format!("{name}+{id}+{}", STANDARD.encode(typed))
}

impl KeySet {
    /// The keys that may vouch for a checkpoint: every key not revoked (a revoked key is
    /// compromised, so whatever it signed proves nothing).
    pub fn checkpoint_keys(&self) -> Vec<VerifyingKey> {
        self.keys
            .iter()
            .filter(|key| key.status != crate::KeyStatus::Revoked)
            .map(|key| key.public_key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: Checkpoint::origin_for("https://hocba.gov.vn/"),
            size: 42,
            root_hash: [9; 32],
        }
    }

    #[test]
    fn a_checkpoint_signed_by_a_registry_key_opens_and_nothing_else_does() {
        let key = generate();
        let signer = Signer::new(key.clone(), "did:web:hocba.gov.vn#k");
        let note = checkpoint().sign(&signer);
        assert!(note.starts_with("hocba.gov.vn/audit\n42\nCQkJ"), "{note}");
        assert_eq!(Checkpoint::open(&note, &[key.verifying_key()]).unwrap(), checkpoint());

        // Another key, a changed size, a cosignature of an unknown key.
        let other = generate().verifying_key();
        assert!(Checkpoint::open(&note, &[other]).is_err());
        let altered = note.replacen("\n42\n", "\n43\n", 1);
        assert!(Checkpoint::open(&altered, &[key.verifying_key()]).is_err());
        let cosigned = format!("{note}\u{2014} witness.example AAAAAAAA\n");
        assert!(Checkpoint::open(&cosigned, &[key.verifying_key()]).is_ok());
        assert!(Checkpoint::open("hocba.gov.vn/audit\n42\n", &[key.verifying_key()]).is_err());
    }

    #[test]
    fn key_ids_follow_the_signed_note_spec() {
        // The verifier key of the example in Go's sumdb/note documentation.
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let (_, typed) = vkey.rsplit_once('+').unwrap();
        let typed = STANDARD.decode(typed).unwrap();
        let key = VerifyingKey::from_bytes(typed[1..].try_into().unwrap()).unwrap();
        assert_eq!(verifier_key("PeterNeumann", &key), vkey);
    }

    #[test]
    fn a_note_signs_as_the_specs_example() {
        // Go's sumdb/note example: the same private key, text and (deterministic) signature.
        let seed = STANDARD.decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(seed[1..].try_into().unwrap());
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let note = sign_note(text, "PeterNeumann", &Signer::new(key.clone(), "m"));
        let expected = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY\
                        N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert_eq!(note, format!("{text}\n{expected}"));
        assert_eq!(open_note(&note, "PeterNeumann", &[key.verifying_key()]).unwrap(), text);
        assert!(open_note(&note, "PaulNeumann", &[key.verifying_key()]).is_err());
    }
}
