//! Encodings of an Ed25519 public key that other software reads: Multikey (`z6Mk…`), `did:key`,
//! and JWK with its RFC 7638 thumbprint.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::CredentialError;

/// The multicodec prefix of an Ed25519 public key (`ed-pub`, varint 0xed).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Multibase base58btc (`z…`) of raw bytes.
pub fn base58btc(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes multibase base58btc (`z…`).
pub fn from_base58btc(value: &str) -> Result<Vec<u8>, CredentialError> {
    let encoded = value.strip_prefix('z').ok_or_else(|| {
        CredentialError::malformed("multibase value must start with 'z' (base58btc)")
    })?;
    bs58::decode(encoded)
        .into_vec()
        .map_err(|_| CredentialError::malformed("multibase value is not valid base58btc"))
}

/// Multibase base58btc (`z…`) of an Ed25519 signature, as a `proofValue`. Every proof signed
/// or verified passes through here, so it uses an encoder specialised to 64 bytes (five8),
/// several times faster than the general one.
pub fn signature_base58btc(signature: &Signature) -> String {
    let mut encoded = [0u8; 88];
    let length = usize::from(five8::encode_64(&signature.to_bytes(), &mut encoded));
    let mut value = String::with_capacity(1 + length);
    value.push('z');
    // The base58 alphabet is ASCII.
    value.extend(encoded[..length].iter().map(|&byte| char::from(byte)));
    value
}

/// Decodes a `proofValue`: multibase base58btc of a 64-byte Ed25519 signature.
pub fn signature_from_base58btc(value: &str) -> Result<Signature, CredentialError> {
    let encoded = value.strip_prefix('z').ok_or_else(|| {
        CredentialError::invalid_proof("proofValue must start with 'z' (multibase base58btc)")
    })?;
    let mut bytes = [0u8; 64];
    five8::decode_64(encoded.as_bytes(), &mut bytes).map_err(|_| {
        CredentialError::invalid_proof("proofValue is not a base58btc 64-byte signature")
    })?;
    Ok(Signature::from_bytes(&bytes))
}

/// `publicKeyMultibase` of a Multikey verification method.
pub fn multikey(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(key.as_bytes());
    base58btc(&bytes)
}

/// Parses a Multikey `publicKeyMultibase` holding an Ed25519 key.
pub fn from_multikey(value: &str) -> Result<VerifyingKey, CredentialError> {
    let bytes = from_base58btc(value)?;
    let raw = bytes
        .strip_prefix(&ED25519_PUB)
        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
        .ok_or_else(|| CredentialError::malformed("Multikey is not an Ed25519 public key"))?;
    VerifyingKey::from_bytes(&raw)
        .map_err(|_| CredentialError::malformed("Multikey is not a valid Ed25519 point"))
}

/// The `did:key` DID of a key.
pub fn did_key(key: &VerifyingKey) -> String {
    format!("did:key:{}", multikey(key))
}

/// The verification method id of a key in its `did:key` form (`did:key:z6Mk…#z6Mk…`).
pub fn did_key_method(key: &VerifyingKey) -> String {
    let multikey = multikey(key);
    format!("did:key:{multikey}#{multikey}")
}

/// The key a `did:key` verification method id (or bare DID) names.
pub fn from_did_key(id: &str) -> Result<VerifyingKey, CredentialError> {
    let did = id.split('#').next().unwrap_or(id);
    let encoded = did
        .strip_prefix("did:key:")
        .ok_or_else(|| CredentialError::malformed("not a did:key identifier"))?;
    let key = from_multikey(encoded)?;
    if let Some((_, fragment)) = id.split_once('#')
        && fragment != encoded
    {
        return Err(CredentialError::malformed("did:key fragment does not name the key itself"));
    }
    Ok(key)
}

/// The public JWK (OKP, Ed25519) of a key.
pub fn jwk(key: &VerifyingKey, kid: &str) -> Value {
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    })
}

/// The Ed25519 key of a public JWK (`kty` `OKP`, `crv` `Ed25519`), or `None` for any other.
pub fn verifying_key_from_jwk(jwk: &Value) -> Option<VerifyingKey> {
    if jwk.get("kty")?.as_str()? != "OKP" || jwk.get("crv")?.as_str()? != "Ed25519" {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(jwk.get("x")?.as_str()?).ok()?;
    VerifyingKey::from_bytes(&<[u8; 32]>::try_from(x).ok()?).ok()
}

/// RFC 7638 JWK thumbprint (base64url SHA-256 of the required members in lexicographic order):
/// a key id any JOSE library can recompute.
pub fn jwk_thumbprint(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.as_bytes())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_jwk_reads_back_as_its_key_and_other_kinds_do_not() {
        let key = crate::keys::generate().verifying_key();
        assert_eq!(verifying_key_from_jwk(&jwk(&key, "k1")), Some(key));
        let rsa = json!({ "kty": "RSA", "n": "AQAB", "e": "AQAB" });
        assert_eq!(verifying_key_from_jwk(&rsa), None);
        let short = json!({ "kty": "OKP", "crv": "Ed25519", "x": "AAAA" });
        assert_eq!(verifying_key_from_jwk(&short), None);
    }

    /// The key of the W3C vc-di-eddsa test vectors (Multikey and its raw bytes, from the spec).
    const SPEC_MULTIKEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    #[test]
    fn multikey_round_trips_and_starts_like_every_ed25519_multikey() {
        let key = from_multikey(SPEC_MULTIKEY).expect("spec key parses");
        assert_eq!(multikey(&key), SPEC_MULTIKEY);
        assert_eq!(did_key_method(&key), format!("did:key:{SPEC_MULTIKEY}#{SPEC_MULTIKEY}"));
        assert_eq!(from_did_key(&did_key_method(&key)).expect("did:key parses"), key);
    }

    #[test]
    fn a_did_key_with_someone_elses_fragment_is_refused() {
        let key = from_multikey(SPEC_MULTIKEY).expect("spec key parses");
        let other = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        assert!(from_did_key(&format!("{}#{other}", did_key(&key))).is_err());
    }

    #[test]
    fn signatures_encode_as_the_general_base58_encoder_does_and_round_trip() {
        for seed in 0..64u8 {
            // Leading zero bytes are where base58 encoders most often disagree.
            let mut bytes = [seed.wrapping_mul(37); 64];
            bytes[..usize::from(seed % 4)].fill(0);
            let signature = Signature::from_bytes(&bytes);
            let encoded = signature_base58btc(&signature);
            assert_eq!(encoded, base58btc(&bytes));
            assert_eq!(signature_from_base58btc(&encoded).expect("decodes"), signature);
        }
        assert!(
            signature_from_base58btc("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").is_err()
        );
        assert!(signature_from_base58btc("not multibase").is_err());
    }

    #[test]
    fn thumbprint_matches_rfc_8037_example() {
        // RFC 8037 Appendix A.3: the thumbprint of the example Ed25519 key.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .expect("example x");
        let key = VerifyingKey::from_bytes(&x.try_into().expect("32 bytes")).expect("point");
        assert_eq!(jwk_thumbprint(&key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
