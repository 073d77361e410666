//! Officials sign in at the national identity provider (VNeID in production) and call the API
//! with the token it issued them: an OpenID Connect bearer JWT. The registry checks it against
//! the provider's keys, given at start as a JWKS file, so nothing is fetched at run time.
//!
//! The token must be signed with EdDSA (Ed25519) or RS256 (RSA PKCS#1 v1.5 with SHA-256) by a
//! key of the set of that same kind, name the configured issuer and audience, be within its
//! validity, and carry the official's 12-digit personal identification number as `sub` (how the
//! national identity system names a citizen). Signatures are checked by `jsonwebtoken`; which
//! algorithm a key may verify is decided here, from the key, never from the token's header, so
//! `alg: none`, an HMAC "signed" with a public key and an RS256 header on an Ed25519 key are
//! refused alike.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_credentials::multikey::verifying_key_from_jwk;
use hocba_domain::NationalId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// How far a token's `exp` and `nbf` may be off, for clocks that differ a little.
const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// The smallest RSA modulus accepted, in bytes (2048 bits, as NIST SP 800-131A requires).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Claims of a token whose signature, issuer, audience and validity were checked.
type Claims = Map<String, Value>;

/// The identity provider officials sign in with.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    issuer: String,
    audience: String,
    /// Its signing keys.
    keys: Vec<PublicJwk>,
}

/// A public signing key given as a JWK (one of the identity provider's, or a machine client's),
/// with the one algorithm it may verify: the key decides the algorithm, never a token's header.
#[derive(Debug, Clone)]
pub(crate) struct PublicJwk {
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

/// Why a JWK cannot verify signatures here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwkRefused {
    /// Not an Ed25519 (`OKP`) or RSA key.
    #[error("must be an Ed25519 (kty OKP, crv Ed25519) or RSA public key")]
    Kind,
    /// Its members do not make a key of its kind.
    #[error("is not a valid key of its kty")]
    Malformed,
    /// An RSA modulus under 2048 bits (NIST SP 800-131A).
    #[error("an RSA key must have a modulus of at least 2048 bits")]
    WeakRsa,
    /// Meant for encryption, or for another algorithm than its kind's.
    #[error("must be a signing key (use sig) for EdDSA (Ed25519) or RS256 (RSA)")]
    NotForSigning,
    /// It holds the private key: only the public part may be registered.
    #[error("holds a private key: register the public key only")]
    Private,
}

impl PublicJwk {
    /// The key a JWK describes, when it is an Ed25519 key (`OKP`, for `EdDSA`) or an RSA key of
    /// at least 2048 bits (for `RS256`) meant for signatures, and public only.
    pub(crate) fn parse(jwk: &Value) -> Result<Self, JwkRefused> {
        let member = |name: &str| jwk.get(name).and_then(Value::as_str);
        if member("use").is_some_and(|usage| usage != "sig") {
            return Err(JwkRefused::NotForSigning);
        }
        // `d` (and RSA's CRT members) are private: a registry must never hold them.
        if ["d", "p", "q", "dp", "dq", "qi"].iter().any(|name| jwk.get(name).is_some()) {
            return Err(JwkRefused::Private);
        }
        let (algorithm, key) = match member("kty").ok_or(JwkRefused::Kind)? {
            "OKP" => {
                // Parsed by our own code first: a point that is not on the curve is refused here.
                verifying_key_from_jwk(jwk).ok_or(JwkRefused::Malformed)?;
                let x = member("x").ok_or(JwkRefused::Malformed)?;
                let key = DecodingKey::from_ed_components(x).map_err(|_| JwkRefused::Malformed)?;
                (Algorithm::EdDSA, key)
            }
            "RSA" => {
                let modulus = member("n").ok_or(JwkRefused::Malformed)?;
                let exponent = member("e").ok_or(JwkRefused::Malformed)?;
                let bytes = URL_SAFE_NO_PAD.decode(modulus).map_err(|_| JwkRefused::Malformed)?;
                let significant = bytes.iter().skip_while(|byte| **byte == 0).count();
                if significant < MIN_RSA_MODULUS_BYTES {
                    return Err(JwkRefused::WeakRsa);
                }
                let key = DecodingKey::from_rsa_components(modulus, exponent)
                    .map_err(|_| JwkRefused::Malformed)?;
                (Algorithm::RS256, key)
            }
            _ => return Err(JwkRefused::Kind),
        };
        if member("alg").is_some_and(|alg| alg != algorithm_name(algorithm)) {
            return Err(JwkRefused::NotForSigning);
        }
        Ok(PublicJwk { kid: member("kid").map(str::to_owned), algorithm, key })
    }
}

/// The JOSE name of an algorithm a [`PublicJwk`] may verify.
pub(crate) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "EdDSA",
        _ => "RS256",
    }
}

/// Why a token was refused (logged at debug level only: never a token's content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefused {
    /// Not a JWT signed with EdDSA or RS256.
    #[error("not a JWT signed with EdDSA or RS256")]
    Malformed,
    /// No key of the provider made this signature (or none of its keys is of the token's
    /// algorithm).
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
    /// The provider `issuer`, whose tokens name `audience`, with the Ed25519 and RSA signing
    /// keys of `jwks` (a JWK set; keys of other kinds are skipped).
    pub fn new(issuer: &str, audience: &str, jwks: &Value) -> Result<Self, String> {
        let keys: Vec<_> = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("a JWK set has a `keys` array")?
            .iter()
            .filter_map(|jwk| PublicJwk::parse(jwk).ok())
            .collect();
        if keys.is_empty() {
            return Err(
                "the JWK set has no Ed25519 or RSA (2048 bits or more) signing key".to_owned()
            );
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
        subject(&self.verified_claims(token, now)?)
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
        let claims = self.verified_claims(token, now)?;
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(TokenRefused::Nonce);
        }
        subject(&claims)
    }

    /// The claims of `token` once its signature is a key's of the provider (by the algorithm
    /// that key is for), its `iss` is the provider, its `aud` is or contains the audience, and
    /// `now` is within its `nbf`/`exp`: what every kind of token the provider issues must meet.
    fn verified_claims(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenRefused> {
        // `alg` values other than jsonwebtoken's (`none` among them) fail to parse here.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRefused::Malformed)?;
        if !matches!(header.alg, Algorithm::EdDSA | Algorithm::RS256)
            || !matches!(header.typ.as_deref(), None | Some("JWT" | "at+jwt"))
            || header.crit.is_some()
        {
            return Err(TokenRefused::Malformed);
        }
        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["iss", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        // The time is checked below, against `now`: the caller's clock, not the library's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        // A token naming its key is checked with that key (or keys the set does not name); one
        // naming none, with every key of the set. Only keys of the header's algorithm.
        let candidates = self.keys.iter().filter(|key| {
            key.algorithm == header.alg
                && (key.kid.is_none() || header.kid.is_none() || key.kid == header.kid)
        });
        let mut claims = None;
        for candidate in candidates {
            match jsonwebtoken::decode::<Claims>(token, &candidate.key, &validation) {
                Ok(data) => {
                    claims = Some(data.claims);
                    break;
                }
                Err(error) => match error.kind() {
                    ErrorKind::InvalidSignature => {}
                    ErrorKind::InvalidIssuer
                    | ErrorKind::InvalidAudience
                    | ErrorKind::MissingRequiredClaim(_)
                    | ErrorKind::InvalidClaimFormat(_) => return Err(TokenRefused::NotForUs),
                    _ => return Err(TokenRefused::Malformed),
                },
            }
        }
        let claims = claims.ok_or(TokenRefused::Signature)?;
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
fn subject(claims: &Claims) -> Result<NationalId, TokenRefused> {
    let subject = claims.get("sub").and_then(Value::as_str).ok_or(TokenRefused::Subject)?;
    NationalId::parse_format(subject).map_err(|_| TokenRefused::Subject)
}
