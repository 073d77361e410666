//! Bearer-token authentication, as extractors.
//!
//! A token is 32 random bytes, base64url-encoded with a `hocba_` prefix (so secret scanners can
//! spot a leaked one). Only its SHA-256 is stored.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_store::{Principal, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

const TOKEN_PREFIX: &str = "hocba_";

/// A freshly minted token: show `secret` once, store only `hash`.
pub struct MintedToken {
    /// The bearer token to hand to its holder.
    pub secret: String,
    /// What the store keeps.
    pub hash: String,
}

/// Mints a new random token.
pub fn mint_token() -> MintedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&secret);
    MintedToken { secret, hash }
}

/// The stored form of a token.
pub fn hash_token(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A request made with a valid registry-operator token.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state).await?;
        match principal.role {
            Role::Admin => Ok(Admin(principal)),
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| token.starts_with(TOKEN_PREFIX))
        .ok_or(ApiError::Unauthenticated)?;
    state.store.authenticate(&hash_token(token)).await?.ok_or(ApiError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_distinct_and_hash_to_what_is_stored() {
        let first = mint_token();
        let second = mint_token();
        assert_ne!(first.secret, second.secret);
        assert_eq!(hash_token(&first.secret), first.hash);
        assert_eq!(first.hash.len(), 64);
        assert!(first.secret.starts_with(TOKEN_PREFIX));
    }
}
