//! API tokens: only their SHA-256 hashes are stored.
//!
//! Tokens are 256-bit random values, so a fast hash is as safe as a slow one here: there is no
//! dictionary to try. (Passwords, which are guessable, would need argon2.)

use hocba_domain::{AgencyCode, InstitutionId, OfficialId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::api_token;
use crate::{Actor, Scope, Scopes, Store, StoreError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Registry operator: everything.
    Admin,
    /// A training institution: its own completions only.
    Institution,
    /// An agency's HR department: the records of its own staff only.
    Agency,
    /// An official signed in at the identity provider (no stored token): their own record.
    Official,
    /// A machine client (the National Public Service Portal, a ministry's HR system): what its
    /// token's scopes allow.
    Client,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Institution => "institution",
            Role::Agency => "agency",
            Role::Official => "official",
            Role::Client => "client",
        }
    }

    fn from_stored(value: &str) -> Option<Self> {
        [Role::Admin, Role::Institution, Role::Agency, Role::Client]
            .into_iter()
            .find(|role| role.as_str() == value)
    }
}

/// The holder of a valid token.
///
/// What it may do is its role and its actor, both made from the same checked parts by the
/// constructors, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id (never the token).
    pub token_id: Uuid,
    role: Role,
    actor: Actor,
    /// A machine client's token: the scopes it was issued with (other roles' rights follow
    /// from the role, see [`Principal::has_scope`]).
    scopes: Scopes,
}

impl Principal {
    /// An official signed in at the identity provider. Their id stands in for a token id.
    pub fn signed_in(official_id: OfficialId) -> Principal {
        Principal {
            token_id: official_id.as_uuid(),
            role: Role::Official,
            actor: Actor::Official { official_id },
            scopes: Scopes::default(),
        }
    }

    /// What it may do.
    pub fn role(&self) -> Role {
        self.role
    }

    /// For an institution's token: which institution, through which API client.
    pub fn institution(&self) -> Option<(InstitutionId, Uuid)> {
        match self.actor {
            Actor::Institution { institution_id, client_id } => Some((institution_id, client_id)),
            _ => None,
        }
    }

    /// For a machine client's token: which client (institutions' API clients are named by
    /// [`Principal::institution`]).
    pub fn client_id(&self) -> Option<Uuid> {
        match self.actor {
            Actor::Client { client_id } => Some(client_id),
            _ => None,
        }
    }

    /// Whether the token may do what `scope` names: a machine client's, if it was issued with
    /// it; an institution's, `completions:write` only (as before scopes existed); the
    /// operator's, everything; HR keys' and officials', none (their rights follow their role).
    pub fn has_scope(&self, scope: Scope) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Institution => scope == Scope::CompletionsWrite,
            Role::Client => self.scopes.contains(scope),
            Role::Agency | Role::Official => false,
        }
    }

    /// The scopes a machine client's token carries (empty for other roles).
    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// For an HR department's key: which agency.
    pub fn agency(&self) -> Option<&AgencyCode> {
        match &self.actor {
            Actor::Agency { agency_code, .. } => Some(agency_code),
            _ => None,
        }
    }

    /// For an official's sign-in: who.
    pub fn official_id(&self) -> Option<OfficialId> {
        match self.actor {
            Actor::Official { official_id } => Some(official_id),
            _ => None,
        }
    }

    /// The actor to record in audit events, and whose limits the store enforces.
    pub fn actor(&self) -> Actor {
        self.actor.clone()
    }
}

/// A token as listed for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Id.
    pub id: Uuid,
    /// Role.
    pub role: Role,
    /// What it is for.
    pub label: String,
    /// When it was last used, to the minute.
    pub last_used_at: Option<OffsetDateTime>,
}

/// `last_used_at` is refreshed at most this often, so that authentication stays a read.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

impl Store {
    /// Stores a new token by its hash.
    pub async fn create_token(
        &self,
        actor: &Actor,
        role: Role,
        label: &str,
        token_hash: &str,
    ) -> Result<Uuid, StoreError> {
        let txn = self.write().await?;
        let token = insert_long_lived(role, label, token_hash, None)
            .insert(&txn)
            .await
            .map_err(StoreError::unique("token"))?;
        audit::append(&txn, actor, token_change("token.created", &token)).await?;
        txn.commit().await?;
        Ok(token.id)
    }

    /// Stores a new API key (by its hash) for the HR department of `agency`, an agency of the
    /// directory; with `include_subunits` it reads the staff of the agency's sub-units too.
    pub async fn create_agency_key(
        &self,
        actor: &Actor,
        agency: &AgencyCode,
        include_subunits: bool,
        label: &str,
        token_hash: &str,
    ) -> Result<AgencyKey, StoreError> {
        let txn = self.write().await?;
        crate::agencies::find_agency(&txn, agency)
            .await?
            .ok_or(StoreError::NotFound { entity: "agency" })?;
        let mut token = insert_long_lived(Role::Agency, label, token_hash, Some(agency));
        token.include_subunits = Set(include_subunits);
        let token = token.insert(&txn).await.map_err(StoreError::unique("token"))?;
        audit::append(&txn, actor, token_change("agency_key.created", &token)).await?;
        txn.commit().await?;
        into_agency_key(token)
    }

    /// `agency`'s API keys, oldest first, revoked ones included.
    pub async fn agency_keys(&self, agency: &AgencyCode) -> Result<Vec<AgencyKey>, StoreError> {
        api_token::Entity::find()
            .filter(api_token::Column::Role.eq(Role::Agency.as_str()))
            .filter(api_token::Column::AgencyCode.eq(agency.as_str()))
            .order_by_asc(api_token::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_agency_key)
            .collect()
    }

    /// Revokes one of `agency`'s API keys: it stops working at once.
    pub async fn revoke_agency_key(
        &self,
        actor: &Actor,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<AgencyKey, StoreError> {
        let txn = self.write().await?;
        let token = api_token::Entity::find_by_id(id)
            .filter(api_token::Column::Role.eq(Role::Agency.as_str()))
            .filter(api_token::Column::AgencyCode.eq(agency.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "agency key" })?;
        if token.revoked_at.is_some() {
            return Err(StoreError::Conflict { field: "key_id" });
        }
        let mut revoking: api_token::ActiveModel = token.into();
        revoking.revoked_at = Set(Some(crate::now()));
        let token = revoking.update(&txn).await?;
        audit::append(&txn, actor, token_change("agency_key.revoked", &token)).await?;
        txn.commit().await?;
        into_agency_key(token)
    }

    /// Whether any admin token exists (so `serve` knows whether to mint the first one).
    pub async fn has_admin_token(&self) -> Result<bool, StoreError> {
        let count = api_token::Entity::find()
            .filter(api_token::Column::Role.eq(Role::Admin.as_str()))
            .filter(api_token::Column::RevokedAt.is_null())
            .count(&self.db)
            .await?;
        Ok(count > 0)
    }

    /// Whether a token with this hash is stored (revoked or not).
    pub async fn token_exists(&self, token_hash: &str) -> Result<bool, StoreError> {
        let count = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(token_hash))
            .count(&self.db)
            .await?;
        Ok(count > 0)
    }

    /// The principal holding the token with this hash, if it exists and is neither revoked nor
    /// expired. Read the tokens' epoch before it to keep what it finds.
    pub async fn authenticate(
        &self,
        token_hash: &str,
    ) -> Result<Option<Authenticated>, StoreError> {
        let now = crate::now();
        // On SQLite, a reading connection: a request's token is not checked behind a class
        // being posted (its last use is written at most once a resolution).
        let Some(token) = live_tokens(now)
            .filter(api_token::Column::TokenHash.eq(token_hash))
            .one(self.primary_for_reads())
            .await?
        else {
            return Ok(None);
        };
        let use_recorded_at = match token.last_used_at {
            Some(last) if now - last <= LAST_USED_RESOLUTION => last,
            _ => {
                api_token::Entity::update_many()
                    .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                    .filter(api_token::Column::Id.eq(token.id))
                    .exec(&self.db)
                    .await?;
                now
            }
        };
        Ok(Some(Authenticated {
            principal: principal_of(&token)?,
            expires_at: token.expires_at,
            use_recorded_at,
        }))
    }

    /// Every token, without hashes.
    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        api_token::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|token| {
                Ok(TokenRecord {
                    id: token.id,
                    role: Role::from_stored(&token.role)
                        .ok_or_else(|| StoreError::corrupt("api_tokens", "role"))?,
                    label: token.label,
                    last_used_at: token.last_used_at,
                })
            })
            .collect()
    }
}

/// A token's holder as [`Store::authenticate`] found it: what a caller may keep while the tokens'
/// epoch reads the same as it did before the finding (see [`crate::TokensEpoch`]).
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who holds the token, and what it may do.
    pub principal: Principal,
    expires_at: Option<OffsetDateTime>,
    use_recorded_at: OffsetDateTime,
}

impl Authenticated {
    /// Whether finding the token again at `now`, the tokens' epoch unchanged, would find the same
    /// and write nothing: it has not expired, and its last use is recorded to the resolution.
    pub fn holds_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|expiry| expiry > now)
            && now - self.use_recorded_at <= LAST_USED_RESOLUTION
    }
}

/// An HR department's API key, as listed for the operator (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyKey {
    /// Id.
    pub id: Uuid,
    /// The agency whose staff it may read.
    pub agency_code: AgencyCode,
    /// Whether it reads the staff of the agency's sub-units too.
    pub include_subunits: bool,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was last used, to the minute.
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

/// The tokens neither revoked nor expired at `now`.
pub(crate) fn live_tokens(now: OffsetDateTime) -> sea_orm::Select<api_token::Entity> {
    api_token::Entity::find()
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::ExpiresAt.is_null().or(api_token::Column::ExpiresAt.gt(now)))
}

/// The holder of a stored token (revoked or not: the caller has checked).
pub(crate) fn principal_of(token: &api_token::Model) -> Result<Principal, StoreError> {
    let corrupt = |detail| StoreError::corrupt("api_tokens", detail);
    let role = Role::from_stored(&token.role).ok_or_else(|| corrupt("role"))?;
    let actor = match role {
        Role::Admin => Actor::Admin { token_id: token.id },
        Role::Institution => {
            let institution_id = token.institution_id.map(InstitutionId::from_uuid);
            let (Some(institution_id), Some(client_id)) = (institution_id, token.client_id) else {
                return Err(corrupt("institution token without client"));
            };
            Actor::Institution { institution_id, client_id }
        }
        Role::Agency => Actor::Agency {
            agency_code: stored_agency(token)?,
            token_id: token.id,
            include_subunits: token.include_subunits,
        },
        Role::Client => {
            let client_id =
                token.client_id.ok_or_else(|| corrupt("client token without client"))?;
            Actor::Client { client_id }
        }
        // Officials sign in at the identity provider: no stored token is theirs.
        Role::Official => return Err(corrupt("role")),
    };
    let scopes = match (role, token.scopes.as_deref()) {
        (Role::Client, Some(scopes)) => {
            Scopes::parse_oauth(scopes).map_err(|_| corrupt("scopes"))?
        }
        (Role::Client, None) => return Err(corrupt("client token without scopes")),
        _ => Scopes::default(),
    };
    Ok(Principal { token_id: token.id, role, actor, scopes })
}

/// The agency an agency key is for.
fn stored_agency(token: &api_token::Model) -> Result<AgencyCode, StoreError> {
    token
        .agency_code
        .as_deref()
        .and_then(|code| AgencyCode::parse(code).ok())
        .ok_or_else(|| StoreError::corrupt("api_tokens", "agency key without agency"))
}

fn into_agency_key(token: api_token::Model) -> Result<AgencyKey, StoreError> {
    Ok(AgencyKey {
        id: token.id,
        agency_code: stored_agency(&token)?,
        include_subunits: token.include_subunits,
        label: token.label,
        created_at: token.created_at,
        last_used_at: token.last_used_at,
        revoked_at: token.revoked_at,
    })
}

/// A token that lasts until revoked (an operator's token or an agency's key), to insert.
fn insert_long_lived(
    role: Role,
    label: &str,
    token_hash: &str,
    agency: Option<&AgencyCode>,
) -> api_token::ActiveModel {
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash.to_owned()),
        role: Set(role.as_str().to_owned()),
        institution_id: Set(None),
        label: Set(label.to_owned()),
        created_at: Set(crate::now()),
        revoked_at: Set(None),
        last_used_at: Set(None),
        expires_at: Set(None),
        client_id: Set(None),
        agency_code: Set(agency.map(|agency| agency.as_str().to_owned())),
        include_subunits: Set(false),
        scopes: Set(None),
    }
}

fn token_change(action: &'static str, token: &api_token::Model) -> Change {
    Change {
        action,
        subject_type: "api_token",
        subject_id: token.id.to_string(),
        details: json!({
            "role": token.role,
            "label": token.label,
            "agency_code": token.agency_code,
            "include_subunits": token.include_subunits,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(expires_at: Option<OffsetDateTime>, use_recorded_at: OffsetDateTime) -> Authenticated {
        let principal = Principal::signed_in(OfficialId::from_uuid(Uuid::now_v7()));
        Authenticated { principal, expires_at, use_recorded_at }
    }

    #[test]
    fn a_found_token_stands_until_it_expires_or_its_use_is_due_to_be_recorded() {
        let at = OffsetDateTime::now_utc();
        let second = Duration::seconds(1);
        let lasting = found(None, at);
        assert!(lasting.holds_at(at + LAST_USED_RESOLUTION));
        // Past the resolution, a read records the use again.
        assert!(!lasting.holds_at(at + LAST_USED_RESOLUTION + second));

        let expiring = found(Some(at + second), at);
        assert!(expiring.holds_at(at));
        assert!(!expiring.holds_at(at + second), "expired at its expiry, as the read has it");
    }
}
