//! Browser sessions and the OpenID Connect sign-ins under way.
//!
//! A session holds the same [`Principal`] the API's bearer tokens give: an official, or the API
//! token (HR key, operator token) that was typed into the sign-in form, by its id and checked
//! again at every request, so a revoked key ends its sessions at once. Only the SHA-256 of the
//! cookie's secret is stored.
//!
//! A session lasts [`SESSION_IDLE`] without use and [`SESSION_LIFETIME`] at most; sign-out
//! ends it for good.

use hocba_domain::{AgencyCode, OfficialId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::entities::{api_token, official, web_session, web_sign_in};
use crate::{Principal, Role, Store, StoreError};

/// A session unused this long ends.
pub const SESSION_IDLE: Duration = Duration::hours(1);
/// A session ends this long after sign-in, however used.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// A sign-in at the identity provider must come back within this.
pub const SIGN_IN_LIFETIME: Duration = Duration::minutes(10);
/// `last_seen_at` is refreshed at most this often, so that most requests only read.
const LAST_SEEN_RESOLUTION: Duration = Duration::minutes(1);

/// Who holds a live session, and the name the pages show them by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHolder {
    /// What they may do: as with the API token or identity-provider sign-in behind it.
    pub principal: Principal,
    /// An official's full name; an HR key's agency name; an operator token's label.
    pub name: String,
}

/// A sign-in at the identity provider, under way: what the callback must find again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier to send with the code.
    pub code_verifier: String,
    /// The local page to return to.
    pub return_to: String,
}

impl Store {
    /// Starts a session for `principal` (an official, an HR key or an operator token; not an
    /// institution's client), known by the hash of its cookie's secret.
    pub async fn start_web_session(
        &self,
        principal: &Principal,
        secret_hash: &str,
    ) -> Result<(), StoreError> {
        let (official_id, token_id) = match (principal.role(), principal.official_id()) {
            (Role::Official, Some(official)) => (Some(official.as_uuid()), None),
            (Role::Admin | Role::Agency, None) => (None, Some(principal.token_id)),
            _ => return Err(StoreError::Conflict { field: "principal" }),
        };
        let now = crate::now();
        web_session::ActiveModel {
            id: Set(Uuid::now_v7()),
            secret_hash: Set(secret_hash.to_owned()),
            official_id: Set(official_id),
            token_id: Set(token_id),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + SESSION_LIFETIME),
            ended_at: Set(None),
        }
        .insert(&self.db)
        .await
        .map_err(StoreError::unique("session"))?;
        Ok(())
    }

    /// The holder of the live session whose secret hashes to `secret_hash`: `None` when there is
    /// none, it ended, it expired, was left idle, or its API token was revoked since.
    pub async fn web_session(
        &self,
        secret_hash: &str,
    ) -> Result<Option<SessionHolder>, StoreError> {
        let now = crate::now();
        let Some(session) = web_session::Entity::find()
            .filter(web_session::Column::SecretHash.eq(secret_hash))
            .filter(web_session::Column::EndedAt.is_null())
            .filter(web_session::Column::ExpiresAt.gt(now))
            .filter(web_session::Column::LastSeenAt.gt(now - SESSION_IDLE))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let holder = match (session.official_id, session.token_id) {
            (Some(official_id), None) => official::Entity::find_by_id(official_id)
                .one(&self.db)
                .await?
                .map(|official| SessionHolder {
                    principal: Principal::signed_in(OfficialId::from_uuid(official_id)),
                    name: official.full_name,
                }),
            (None, Some(token_id)) => self.token_holder(token_id, now).await?,
            _ => return Err(StoreError::corrupt("web_sessions", "holder")),
        };
        if holder.is_some() && now - session.last_seen_at > LAST_SEEN_RESOLUTION {
            web_session::Entity::update_many()
                .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
                .filter(web_session::Column::Id.eq(session.id))
                .exec(&self.db)
                .await?;
        }
        Ok(holder)
    }

    /// The holder of a live operator token or HR key, by its id.
    async fn token_holder(
        &self,
        token_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<SessionHolder>, StoreError> {
        let Some(token) = crate::tokens::live_tokens(now)
            .filter(api_token::Column::Id.eq(token_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let principal = crate::tokens::principal_of(&token)?;
        let name = match principal.agency() {
            Some(agency) => self.agency_name(agency).await?,
            None => token.label,
        };
        Ok(Some(SessionHolder { principal, name }))
    }

    /// An agency's name, or its code if the directory no longer has it.
    async fn agency_name(&self, code: &AgencyCode) -> Result<String, StoreError> {
        match self.agency(code).await {
            Ok(agency) => Ok(agency.name),
            Err(StoreError::NotFound { .. }) => Ok(code.as_str().to_owned()),
            Err(error) => Err(error),
        }
    }

    /// Ends the session whose secret hashes to `secret_hash` (nothing if there is none).
    pub async fn end_web_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::EndedAt, Expr::value(crate::now()))
            .filter(web_session::Column::SecretHash.eq(secret_hash))
            .filter(web_session::Column::EndedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Keeps what a sign-in at the identity provider must find again when it comes back with
    /// the `state` that hashes to `state_hash`.
    pub async fn begin_sign_in(
        &self,
        state_hash: &str,
        pending: &PendingSignIn,
    ) -> Result<(), StoreError> {
        let now = crate::now();
        // Sign-ins nobody finished are of no use to anyone: clear them as new ones begin.
        web_sign_in::Entity::delete_many()
            .filter(web_sign_in::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        web_sign_in::ActiveModel {
            state_hash: Set(state_hash.to_owned()),
            nonce: Set(pending.nonce.clone()),
            code_verifier: Set(pending.code_verifier.clone()),
            return_to: Set(pending.return_to.clone()),
            created_at: Set(now),
            expires_at: Set(now + SIGN_IN_LIFETIME),
        }
        .insert(&self.db)
        .await
        .map_err(StoreError::unique("state"))?;
        Ok(())
    }

    /// Takes the sign-in under way for the `state` that hashes to `state_hash`, once: a second
    /// call with the same state, or one after [`SIGN_IN_LIFETIME`], finds nothing.
    pub async fn take_sign_in(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let txn = self.write().await?;
        let found = web_sign_in::Entity::find_by_id(state_hash.to_owned()).one(&txn).await?;
        let Some(found) = found else { return Ok(None) };
        // Only the transaction that deletes the row may use it.
        let deleted = web_sign_in::Entity::delete_many()
            .filter(web_sign_in::Column::StateHash.eq(state_hash))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if deleted.rows_affected != 1 || found.expires_at <= crate::now() {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            nonce: found.nonce,
            code_verifier: found.code_verifier,
            return_to: found.return_to,
        }))
    }
}
