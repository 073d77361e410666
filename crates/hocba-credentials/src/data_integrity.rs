//! Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C Recommendation "Data
//! Integrity EdDSA Cryptosuites v1.0", §3.3): the document and the proof configuration are each
//! canonicalized with JCS (RFC 8785) and hashed with SHA-256; the Ed25519 signature covers the
//! configuration hash followed by the document hash.

use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::keys::Signer;
use crate::{CredentialError, multikey};

/// The cryptosuite name.
pub const EDDSA_JCS_2022: &str = "eddsa-jcs-2022";

/// What a proof is for: credentials are asserted, presentations authenticate their holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofPurpose {
    /// `assertionMethod`.
    Assertion,
    /// `authentication`.
    Authentication,
}

impl ProofPurpose {
    fn as_str(self) -> &'static str {
        match self {
            ProofPurpose::Assertion => "assertionMethod",
            ProofPurpose::Authentication => "authentication",
        }
    }
}

/// Signs `document` (its `proof`, if any, is ignored) and returns the proof object.
pub fn create_proof(
    document: &Map<String, Value>,
    signer: &Signer,
    created: OffsetDateTime,
    purpose: ProofPurpose,
) -> Result<Value, CredentialError> {
    let mut proof = Map::new();
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), EDDSA_JCS_2022.into());
    proof.insert("created".into(), xsd_date_time(created).into());
    proof.insert("verificationMethod".into(), signer.method().into());
    proof.insert("proofPurpose".into(), purpose.as_str().into());
    // The proof carries the document's @context, so that it survives being moved into a proof
    // set or chain (Create Proof, step 2).
    if let Some(context) = document.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let unsecured = Unsecured { object: document, without: Some("proof"), context: None };
    let hash = hash_data(&unsecured, &Unsecured { object: &proof, without: None, context: None })?;
    let signature = signer.sign(&hash);
    proof.insert("proofValue".into(), multikey::signature_base58btc(&signature).into());
    Ok(Value::Object(proof))
}

/// Checks one `eddsa-jcs-2022` proof of a secured document against `key`.
///
/// `document` is the secured document; `proof` one of its proofs. Only the proof's own
/// structure and signature are checked here; whose key it is, is the caller's question.
pub fn verify_proof(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    key: &VerifyingKey,
) -> Result<(), CredentialError> {
    check_proof_shape(proof)?;
    let signature = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or_else(|| CredentialError::invalid_proof("proofValue is missing"))
        .and_then(multikey::signature_from_base58btc)?;
    let options = Unsecured { object: proof, without: Some("proofValue"), context: None };
    let mut unsecured = Unsecured { object: document, without: Some("proof"), context: None };
    if let Some(context) = proof.get("@context") {
        // The proof may carry its own @context only as a prefix of the document's.
        let prefix = context.as_array().map_or(std::slice::from_ref(context), Vec::as_slice);
        let document_context = document.get("@context").and_then(Value::as_array);
        if !document_context.is_some_and(|full| full.starts_with(prefix)) {
            return Err(CredentialError::invalid_proof(
                "the proof's @context is not a prefix of the document's",
            ));
        }
        unsecured.context = Some(context);
    }
    let hash = hash_data(&unsecured, &options)?;
    if crate::keys::signature_holds(key, &hash, &signature) {
        Ok(())
    } else {
        Err(CredentialError::invalid_proof("the signature does not match the document"))
    }
}

fn check_proof_shape(proof: &Map<String, Value>) -> Result<(), CredentialError> {
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof") {
        return Err(CredentialError::invalid_proof("type must be DataIntegrityProof"));
    }
    if proof.get("cryptosuite").and_then(Value::as_str) != Some(EDDSA_JCS_2022) {
        return Err(CredentialError::invalid_proof("cryptosuite must be eddsa-jcs-2022"));
    }
    if let Some(created) = proof.get("created") {
        let valid = created.as_str().is_some_and(|at| OffsetDateTime::parse(at, &Rfc3339).is_ok());
        if !valid {
            return Err(CredentialError::invalid_proof("created is not an XML Schema dateTime"));
        }
    }
    for member in ["verificationMethod", "proofPurpose"] {
        if !proof.get(member).is_some_and(Value::is_string) {
            return Err(CredentialError::invalid_proof(match member {
                "verificationMethod" => "verificationMethod is missing",
                _ => "proofPurpose is missing",
            }));
        }
    }
    Ok(())
}

/// A document seen without one member (`proof`, or a proof's `proofValue`) and, optionally,
/// with another `@context`: what the algorithms hash, without copying the document.
struct Unsecured<'a> {
    object: &'a Map<String, Value>,
    without: Option<&'static str>,
    context: Option<&'a Value>,
}

impl serde::Serialize for Unsecured<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.object {
            match (key.as_str(), self.context) {
                (key, _) if Some(key) == self.without => {}
                ("@context", Some(context)) => map.serialize_entry(key, context)?,
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

/// SHA-256(JCS(proof configuration)) ‖ SHA-256(JCS(document without proof)); the proof
/// configuration is the proof without its value, exactly as it stands.
fn hash_data(
    document: &Unsecured<'_>,
    config: &Unsecured<'_>,
) -> Result<[u8; 64], CredentialError> {
    let mut hash = [0u8; 64];
    hash[..32].copy_from_slice(&Sha256::digest(jcs(config)?));
    hash[32..].copy_from_slice(&Sha256::digest(jcs(document)?));
    Ok(hash)
}

/// RFC 8785 with `canon-json`, a `serde_json` formatter: it sorts each object's members as it
/// writes them instead of first rebuilding the document as a tree (a quarter fewer
/// instructions than `serde_json_canonicalizer` on a certificate).
fn jcs(value: &impl serde::Serialize) -> Result<Vec<u8>, CredentialError> {
    let mut canonical = Vec::with_capacity(4096);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut canonical,
        canon_json::CanonicalFormatter::new(),
    );
    value.serialize(&mut serializer).map_err(|_| {
        CredentialError::malformed("the document cannot be canonicalized (RFC 8785)")
    })?;
    Ok(canonical)
}

/// An XML Schema `dateTime` in UTC to the second, as proofs and `validFrom` carry it.
pub fn xsd_date_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The eddsa-jcs-2022 test vector of the W3C Recommendation (vc-di-eddsa `TestVectors/`
    /// `signedJCS.json`): the published key, credential, proof and signature.
    fn spec_vector() -> (Map<String, Value>, VerifyingKey) {
        let credential = json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2"
            ],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:abcdefgh",
                "alumniOf": "The School of Examples"
            },
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "created": "2023-02-24T23:36:38Z",
                "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                "proofPurpose": "assertionMethod",
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://www.w3.org/ns/credentials/examples/v2"
                ],
                "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
            }
        });
        let key =
            multikey::from_did_key("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
                .expect("spec key");
        match credential {
            Value::Object(map) => (map, key),
            _ => unreachable!(),
        }
    }

    fn proof_of(document: &Map<String, Value>) -> Map<String, Value> {
        document["proof"].as_object().cloned().expect("proof object")
    }

    #[test]
    fn the_recommendations_example_verifies() {
        let (document, key) = spec_vector();
        verify_proof(&document, &proof_of(&document), &key).expect("spec example verifies");
    }

    #[test]
    fn signing_the_example_reproduces_its_proof_byte_for_byte() {
        // The vector's secret key: multicodec ed25519-priv (0x8026) and 32 bytes.
        let secret = multikey::from_base58btc("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
            .expect("secret key");
        let secret: [u8; 32] = secret[2..].try_into().expect("32 bytes");
        let (mut document, _) = spec_vector();
        let expected = document.remove("proof").expect("proof");
        let signer = Signer::new(
            ed25519_dalek::SigningKey::from_bytes(&secret),
            expected["verificationMethod"].as_str().expect("method"),
        );
        let created = OffsetDateTime::parse("2023-02-24T23:36:38Z", &Rfc3339).expect("date");
        let proof =
            create_proof(&document, &signer, created, ProofPurpose::Assertion).expect("signs");
        assert_eq!(proof, expected);
    }

    #[test]
    fn changing_any_member_breaks_the_example() {
        let (document, key) = spec_vector();
        for (path, value) in [
            ("/credentialSubject/alumniOf", json!("The School of Samples")),
            ("/validFrom", json!("2023-01-02T00:00:00Z")),
            ("/proof/created", json!("2023-02-24T23:36:39Z")),
            ("/proof/proofPurpose", json!("authentication")),
        ] {
            let mut tampered = Value::Object(document.clone());
            *tampered.pointer_mut(path).expect("path exists") = value;
            let tampered = tampered.as_object().cloned().expect("object");
            assert!(
                verify_proof(&tampered, &proof_of(&tampered), &key).is_err(),
                "{path} changed, still verifies"
            );
        }
    }

    #[test]
    fn what_we_sign_verifies_and_is_deterministic_in_its_inputs() {
        let key = crate::keys::generate();
        let signer = Signer::new(key.clone(), multikey::did_key_method(&key.verifying_key()));
        let (mut document, _) = spec_vector();
        document.remove("proof");
        let proof =
            create_proof(&document, &signer, OffsetDateTime::UNIX_EPOCH, ProofPurpose::Assertion)
                .expect("signs");
        assert_eq!(proof["created"], "1970-01-01T00:00:00Z");
        let proof = proof.as_object().cloned().expect("object");
        verify_proof(&document, &proof, &key.verifying_key()).expect("verifies");
        let other = crate::keys::generate().verifying_key();
        assert!(verify_proof(&document, &proof, &other).is_err());
    }
}
