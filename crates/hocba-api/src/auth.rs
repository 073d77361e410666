//! Bearer-token authentication, as extractors.
//!
//! A token is 32 random bytes, base64url-encoded with a `hocba_` prefix (so secret scanners can
//! spot a leaked one). Only its SHA-256 is stored. Officials present instead the JWT their
//! identity provider issued them (see [`crate::oidc`]); Hocba stores nothing of it.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_domain::InstitutionId;
use hocba_store::{Principal, Role, Scope};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::oidc::IdentityProvider;
use crate::{ApiError, AppState};

const TOKEN_PREFIX: &str = "hocba_";
const CLIENT_SECRET_PREFIX: &str = "hocba_cs_";

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

/// A new client secret (`hocba_cs_` + 32 random bytes) and its argon2id hash (PHC string).
pub fn mint_client_secret() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{CLIENT_SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = Argon2::default().hash_password(secret.as_bytes()).map_err(ApiError::internal)?;
    Ok((secret, hash.to_string()))
}

/// Whether `secret` matches a stored argon2 hash (slow by design: run it off the async threads).
pub fn client_secret_matches(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(secret.as_bytes(), &hash).is_ok())
}

/// The stored form of a token.
pub fn hash_token(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// SHA-256 of bytes, in hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Refuses a token that does not carry `scope`: `403 insufficient-scope`, naming the scope.
pub fn require_scope(principal: &Principal, scope: Scope) -> Result<(), ApiError> {
    if principal.has_scope(scope) { Ok(()) } else { Err(ApiError::InsufficientScope(scope)) }
}

/// Declares an extractor that lets in the holders of the roles listed (and, when a scope is
/// named, machine clients whose token carries it), and answers 403 to any other valid token.
macro_rules! role_gated {
    ($(#[$doc:meta])* $name:ident: $($role:ident)|+ $(, Client with $scope:ident)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, ApiError> {
                let principal = authenticate(parts, state).await?;
                match principal.role() {
                    $(Role::$role)|+ => Ok($name(principal)),
                    $(Role::Client => {
                        require_scope(&principal, Scope::$scope)?;
                        Ok($name(principal))
                    })?
                    _ => Err(ApiError::Forbidden),
                }
            }
        }
    };
}

role_gated!(
    /// A request made with a valid registry-operator token.
    Admin: Admin
);

role_gated!(
    /// A request about webhook subscriptions: the operator's (every one), or a machine
    /// client's with `webhooks:manage` (its own only).
    WebhookManager: Admin, Client with WebhooksManage
);

role_gated!(
    /// A request that may read officials' records: the operator's (anyone's record), an HR
    /// department's (its own staff's only) or an official's (their own only); the store refuses
    /// anyone else as not found.
    RecordReader: Admin | Agency | Official
);

role_gated!(
    /// A request that may read one official's record and transcript: a [`RecordReader`]'s, or
    /// a machine client's with `records:read` (of whom its consents or its agency allow; the
    /// store refuses anyone else as not found). Not for searches: a client reads people it
    /// names, never lists them.
    RecordOrClientReader: Admin | Agency | Official, Client with RecordsRead
);

role_gated!(
    /// A request that may follow the changes feed: the operator's, or a machine client's with
    /// `events:read`. The feed names records by id only (a certificate's number, which opens it,
    /// to the operator alone), so reading it reveals no record.
    EventsReader: Admin, Client with EventsRead
);

role_gated!(
    /// A request that may read the coverage reports: the operator's (any scope), or an HR
    /// department's (the agencies its key reaches); anyone else is refused.
    ReportReader: Admin | Agency
);

role_gated!(
    /// A request that may see who read an official's record: the operator, or the official.
    ReadLogReader: Admin | Official
);

role_gated!(
    /// A request by an official, signed in, about their own share links or consents: nobody
    /// else has any.
    Sharer: Official
);

impl Sharer {
    /// The official whose links or consents these are.
    pub fn official(&self) -> Result<hocba_domain::OfficialId, ApiError> {
        self.0.official_id().ok_or(ApiError::Forbidden)
    }
}

role_gated!(
    /// A request that may revoke certificates: the operator's (any), or an institution's (its
    /// own: the store refuses another institution's as not found). An HR department may not.
    Revoker: Admin | Institution
);

role_gated!(
    /// A request about an institution's own classes and results: an institution's (its own
    /// only) or the operator's (any institution's). HR departments and officials may not.
    Registrar: Admin | Institution
);

impl Registrar {
    /// The institution whose classes and results this request concerns: an institution's own
    /// (naming another is forbidden), or whichever the operator asked for (`None`: all).
    pub fn institution(
        &self,
        asked: Option<InstitutionId>,
    ) -> Result<Option<InstitutionId>, ApiError> {
        match (self.0.institution(), asked) {
            (Some((own, _)), Some(asked)) if asked != own => Err(ApiError::Forbidden),
            (Some((own, _)), _) => Ok(Some(own)),
            (None, asked) => Ok(asked),
        }
    }
}

/// A request made with an institution's access token.
#[derive(Debug, Clone)]
pub struct InstitutionCaller {
    /// The token's holder.
    pub principal: Principal,
    /// The institution it acts for.
    pub institution_id: InstitutionId,
    /// The API client that obtained the token.
    pub client_id: uuid::Uuid,
}

impl FromRequestParts<AppState> for InstitutionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state).await?;
        match principal.institution() {
            Some((institution_id, client_id)) => {
                Ok(InstitutionCaller { institution_id, client_id, principal })
            }
            _ => Err(ApiError::Forbidden),
        }
    }
}

/// Any authenticated caller (operator, institution, HR department or official).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(Caller)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthenticated)?;
    let principal = match &state.identity_provider {
        Some(provider) if IdentityProvider::is_jwt(token) => {
            signed_in_official(provider, token, state).await?
        }
        _ if token.starts_with(TOKEN_PREFIX) => {
            let holder = state.tokens.holder(&state.store, hash_token(token)).await?;
            holder.ok_or(ApiError::Unauthenticated)?
        }
        _ => return Err(ApiError::Unauthenticated),
    };
    // Each institution API client, HR key and official has their own bucket. Operator tokens
    // are few, trusted, and run bulk imports: they are not limited.
    match (principal.role(), principal.institution()) {
        (Role::Institution, Some((_, client))) => state.limiter.check(client)?,
        (Role::Agency | Role::Official, _) => state.limiter.check(principal.token_id)?,
        (Role::Client, _) => {
            if let Some(client) = principal.client_id() {
                state.limiter.check(client)?;
            }
        }
        _ => {}
    }
    Ok(principal)
}

/// The official an identity provider's token was issued to. A valid token of someone the
/// registry does not know is a 403 that says so, not the 401 of a token the registry cannot
/// trust: the person did sign in, and retrying the sign-in will not help.
async fn signed_in_official(
    provider: &IdentityProvider,
    token: &str,
    state: &AppState,
) -> Result<Principal, ApiError> {
    let national_id =
        provider.national_id(token, time::OffsetDateTime::now_utc()).map_err(|refused| {
            tracing::debug!(%refused, "identity provider token refused");
            ApiError::Unauthenticated
        })?;
    let official = state.store.official_id_by_national_id(&national_id).await?;
    official.map(Principal::signed_in).ok_or(ApiError::OfficialNotRegistered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_secret_matches_only_its_own_hash() {
        let (secret, hash) = mint_client_secret().expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&secret));
        assert!(client_secret_matches(&secret, &hash));
        assert!(!client_secret_matches(&format!("{secret}x"), &hash));
        assert!(!client_secret_matches(&secret, "not a phc string"));
    }

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
