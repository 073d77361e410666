//! The same credential as a VC-JOSE-COSE compact JWS (`typ` `vc+jwt`, `alg` `EdDSA`): what a
//! JOSE library already in an HR system can check, with the payload being the credential itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Map, Value, json};

use crate::CredentialError;
use crate::keys::Signer;

/// The media type of a JWS-secured credential.
pub const VC_JWT: &str = "vc+jwt";

/// Signs the credential (without any Data Integrity proof) as a compact JWS. Deterministic: the
/// same credential and key give the same JWS.
pub fn sign(credential: &Map<String, Value>, signer: &Signer) -> Result<String, CredentialError> {
    let mut payload = credential.clone();
    payload.remove("proof");
    let header = json!({ "alg": "EdDSA", "kid": signer.method(), "typ": VC_JWT, "cty": "vc" });
    let encode = |value: &Value| {
        serde_json::to_vec(value)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .map_err(|_| CredentialError::malformed("cannot serialize the JWS"))
    };
    let signing_input = format!("{}.{}", encode(&header)?, encode(&Value::Object(payload))?);
    let signature = signer.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
}

/// A compact JWS taken apart, before its signature is checked.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    signing_input: &'a str,
    signature: Signature,
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload: the credential, or a token's claims.
    pub payload: Map<String, Value>,
}

impl<'a> Jws<'a> {
    /// Splits and decodes a compact JWS, checking its header says EdDSA and `vc+jwt`.
    pub fn parse(compact: &'a str) -> Result<Self, CredentialError> {
        Self::parse_typed(compact, |typ| typ == Some(VC_JWT), "the JWS typ must be vc+jwt")
    }

    /// Splits and decodes a JSON Web Token signed with EdDSA (an identity provider's ID or
    /// access token: `typ` `JWT`, `at+jwt` or none), before its signature and claims are checked.
    pub fn parse_jwt(compact: &'a str) -> Result<Self, CredentialError> {
        Self::parse_typed(
            compact,
            |typ| matches!(typ, None | Some("JWT" | "at+jwt")),
            "the token's typ must be JWT or at+jwt",
        )
    }

    fn parse_typed(
        compact: &'a str,
        typ_accepted: impl Fn(Option<&str>) -> bool,
        wrong_typ: &'static str,
    ) -> Result<Self, CredentialError> {
        let compact = compact.trim();
        let mut parts = compact.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CredentialError::malformed("a compact JWS has three dot-separated parts"));
        };
        let object =
            |part: &str, what: &'static str| -> Result<Map<String, Value>, CredentialError> {
                URL_SAFE_NO_PAD
                    .decode(part)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                    .ok_or_else(|| CredentialError::malformed(what))
            };
        let header_object = object(header, "the JWS header is not base64url JSON")?;
        if header_object.get("alg").and_then(Value::as_str) != Some("EdDSA") {
            return Err(CredentialError::invalid_proof("the JWS alg must be EdDSA"));
        }
        if !typ_accepted(header_object.get("typ").and_then(Value::as_str)) {
            return Err(CredentialError::invalid_proof(wrong_typ));
        }
        if header_object.contains_key("crit") {
            return Err(CredentialError::invalid_proof(
                "the JWS has critical extensions we do not know",
            ));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .map(|bytes| Signature::from_bytes(&bytes))
            .ok_or_else(|| {
                CredentialError::malformed("the JWS signature is not 64 base64url bytes")
            })?;
        Ok(Jws {
            signing_input: &compact[..header.len() + 1 + payload.len()],
            signature,
            header: header_object,
            payload: object(payload, "the JWS payload is not a JSON object")?,
        })
    }

    /// The `kid` header: the verification method that signed.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CredentialError> {
        if crate::keys::signature_holds(key, self.signing_input.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(CredentialError::invalid_proof("the JWS signature does not match"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{keys, multikey};

    fn credential() -> Map<String, Value> {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "did:example:1", "credentialSubject": {"name": "Lê Thị Hà"}})
            .as_object()
            .cloned()
            .expect("object")
    }

    #[test]
    fn a_signed_jws_verifies_and_a_changed_one_does_not() {
        let key = keys::generate();
        let signer = keys::Signer::new(key.clone(), multikey::did_key_method(&key.verifying_key()));
        let jws = sign(&credential(), &signer).expect("signs");
        let parsed = Jws::parse(&jws).expect("parses");
        assert_eq!(parsed.kid(), Some(signer.method()));
        assert_eq!(parsed.payload, credential());
        parsed.verify(&key.verifying_key()).expect("verifies");

        let mut changed = credential();
        changed.insert("issuer".into(), "did:example:2".into());
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&changed).expect("json"));
        let parts: Vec<&str> = jws.split('.').collect();
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert!(Jws::parse(&forged).expect("parses").verify(&key.verifying_key()).is_err());
    }

    #[test]
    fn a_jws_claiming_another_algorithm_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"vc+jwt"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{}"#);
        assert!(Jws::parse(&format!("{header}.{payload}.")).is_err());
    }
}
