//! API tokens: only their SHA-256 hashes are stored.
//!
//! Tokens are 256-bit random values, so a fast hash is as safe as a slow one here: there is no
//! dictionary to try. (Passwords, which are guessable, would need argon2.)

use hocba_domain::InstitutionId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::api_token;
use crate::{Actor, Store, StoreError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Registry operator: everything.
    Admin,
    /// A training institution: its own completions only.
    Institution,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Institution => "institution",
        }
    }

    fn from_stored(value: &str) -> Option<Self> {
        [Role::Admin, Role::Institution].into_iter().find(|role| role.as_str() == value)
    }
}

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id (never the token).
    pub token_id: Uuid,
    /// What it may do.
    pub role: Role,
    /// For an institution's token: which institution, through which API client.
    pub institution: Option<(InstitutionId, Uuid)>,
}

impl Principal {
    /// The actor to record in audit events.
    pub fn actor(&self) -> Actor {
        match (self.role, self.institution) {
            (Role::Institution, Some((institution_id, client_id))) => {
                Actor::Institution { institution_id, client_id }
            }
            _ => Actor::Admin { token_id: self.token_id },
        }
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
        let id = Uuid::now_v7();
        api_token::ActiveModel {
            id: Set(id),
            token_hash: Set(token_hash.to_owned()),
            role: Set(role.as_str().to_owned()),
            institution_id: Set(None),
            label: Set(label.to_owned()),
            created_at: Set(crate::now()),
            revoked_at: Set(None),
            last_used_at: Set(None),
            expires_at: Set(None),
            client_id: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("token"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "token.created",
                subject_type: "api_token",
                subject_id: id.to_string(),
                details: json!({ "role": role.as_str(), "label": label }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(id)
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

    /// The principal holding the token with this hash, if it exists and is not revoked.
    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>, StoreError> {
        let now = crate::now();
        let Some(token) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(token_hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .filter(api_token::Column::ExpiresAt.is_null().or(api_token::Column::ExpiresAt.gt(now)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if token.last_used_at.is_none_or(|last| now - last > LAST_USED_RESOLUTION) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(token.id))
                .exec(&self.db)
                .await?;
        }
        let role = Role::from_stored(&token.role)
            .ok_or_else(|| StoreError::corrupt("api_tokens", "role"))?;
        let institution = match (role, token.institution_id, token.client_id) {
            (Role::Institution, Some(institution), Some(client)) => {
                Some((InstitutionId::from_uuid(institution), client))
            }
            (Role::Institution, _, _) => {
                return Err(StoreError::corrupt("api_tokens", "institution token without client"));
            }
            _ => None,
        };
        Ok(Some(Principal { token_id: token.id, role, institution }))
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
