//! Officials sign in at the national identity provider (VNeID in production) and call the API
//! with the token it issued them: an OpenID Connect bearer JWT. The registry checks it against
//! the provider's keys, given at start as a JWKS file, so nothing is fetched at run time.
//!
//! The token must be signed with EdDSA (Ed25519) by a key of the set, name the configured issuer
//! and audience, be within its validity, and carry the official's 12-digit personal
//! identification number as `sub` (how the national identity system names a citizen). RS256
//! providers are not accepted yet.

use std::path::Path;

use hocba_credentials::VerifyingKey;
use hocba_credentials::jose::Jws;
use hocba_credentials::multikey::verifying_key_from_jwk;
use hocba_domain::NationalId;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// How far a token's `exp` and `nbf` may be off, for clocks that differ a little.
const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// The identity provider officials sign in with.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    issuer: String,
    audience: String,
    /// Its signing keys, by `kid`.
    keys: Vec<(Option<String>, VerifyingKey)>,
}

/// Why a token was refused (logged at debug level only: never a token's content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefused {
    /// Not a JWT signed with EdDSA.
    #[error("not an EdDSA-signed JWT")]
    Malformed,
    /// No key of the provider made this signature.
    #[error("the signature is not the identity provider's")]
    Signature,
    /// Another issuer or audience.
    #[error("the token is for another issuer or audience")]
    NotForUs,
    /// Outside its validity.
    #[error("the token has expired or is not valid yet")]
    Expired,
    /// No personal identification number as `sub`.
    #[error("the token's subject is not a personal identification number")]
    Subject,
    /// An ID token without the `nonce` of the sign-in it answers: replayed, or another's.
    #[error("the ID token is not for this sign-in")]
    Nonce,
}

impl IdentityProvider {
    /// The provider `issuer`, whose tokens name `audience`, with the Ed25519 keys of `jwks` (a
    /// JWK set; keys of other kinds are skipped).
    pub fn new(issuer: &str, audience: &str, jwks: &Value) -> Result<Self, String> {
        let keys: Vec<_> = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("a JWK set has a `keys` array")?
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
                Some((kid, verifying_key_from_jwk(jwk)?))
            })
            .collect();
        if keys.is_empty() {
            return Err("the JWK set has no Ed25519 key".to_owned());
        }
        Ok(IdentityProvider { issuer: issuer.to_owned(), audience: audience.to_owned(), keys })
    }

    /// Reads the provider's JWK set from `path`.
    pub fn from_file(issuer: &str, audience: &str, path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let jwks = serde_json::from_str(&text)
            .map_err(|error| format!("{} is not JSON: {error}", path.display()))?;
        Self::new(issuer, audience, &jwks)
    }

    /// The issuer whose tokens are accepted.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Whether `token` looks like a JWT rather than one of the registry's own tokens.
    pub fn is_jwt(token: &str) -> bool {
        token.bytes().filter(|byte| *byte == b'.').count() == 2
    }

    /// The personal identification number of the official `token` was issued to, at `now`.
    pub fn national_id(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<NationalId, TokenRefused> {
        subject(&self.claims(token, now)?)
    }

    /// The personal identification number of the official an ID token names, when it answers
    /// the browser sign-in that sent `nonce`: signed by the provider, for this issuer and for
    /// Hocba as the client (audience), valid at `now`, carrying that `nonce`.
    pub fn id_token(
        &self,
        token: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<NationalId, TokenRefused> {
        let claims = self.claims(token, now)?;
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(TokenRefused::Nonce);
        }
        subject(&claims)
    }

    /// The claims of `token`, once its signature, issuer, audience and validity at `now` are
    /// checked.
    fn claims(&self, token: &str, now: OffsetDateTime) -> Result<Map<String, Value>, TokenRefused> {
        let jws = Jws::parse_jwt(token).map_err(|_| TokenRefused::Malformed)?;
        // A token naming its key is checked with that key (or keys the set does not name); one
        // naming none, with every key of the set.
        let signed = self
            .keys
            .iter()
            .filter(|(kid, _)| kid.is_none() || jws.kid().is_none() || kid.as_deref() == jws.kid())
            .any(|(_, key)| jws.verify(key).is_ok());
        if !signed {
            return Err(TokenRefused::Signature);
        }
        let claims = jws.payload;
        let audience_ok = match claims.get("aud") {
            Some(Value::String(audience)) => *audience == self.audience,
            Some(Value::Array(audiences)) => audiences.iter().any(|a| *a == *self.audience),
            _ => false,
        };
        let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(self.issuer.as_str());
        if !(audience_ok && issuer_ok) {
            return Err(TokenRefused::NotForUs);
        }
        let now = now.unix_timestamp();
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or(TokenRefused::Expired)?;
        let not_before = match claims.get("nbf") {
            None => i64::MIN,
            Some(nbf) => nbf.as_i64().ok_or(TokenRefused::Expired)?,
        };
        if now > expires.saturating_add(CLOCK_LEEWAY_SECONDS)
            || now.saturating_add(CLOCK_LEEWAY_SECONDS) < not_before
        {
            return Err(TokenRefused::Expired);
        }
        Ok(claims)
    }
}

/// The personal identification number a token's `sub` carries.
fn subject(claims: &Map<String, Value>) -> Result<NationalId, TokenRefused> {
    let subject = claims.get("sub").and_then(Value::as_str).ok_or(TokenRefused::Subject)?;
    NationalId::parse_format(subject).map_err(|_| TokenRefused::Subject)
}
