//! Institutions' API clients (OAuth2 client credentials): the secret is stored as an argon2 hash
//! made by the caller; exchanging it yields short-lived access tokens stored by SHA-256.

use hocba_domain::InstitutionId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{api_token, institution, institution_client};
use crate::tokens::Role;
use crate::{Actor, Store, StoreError};

/// An API client of an institution, as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client id (`client_id` of the token request).
    pub id: Uuid,
    /// The institution it acts for.
    pub institution_id: InstitutionId,
    /// What it is for (the institution's LMS, a script…).
    pub label: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// When it last obtained a token.
    pub last_used_at: Option<OffsetDateTime>,
}

fn into_record(model: institution_client::Model) -> ClientRecord {
    ClientRecord {
        id: model.id,
        institution_id: InstitutionId::from_uuid(model.institution_id),
        label: model.label,
        created_at: model.created_at,
        revoked_at: model.revoked_at,
        last_used_at: model.last_used_at,
    }
}

fn client_change(action: &'static str, client: &institution_client::Model) -> Change {
    Change {
        action,
        subject_type: "institution_client",
        subject_id: client.id.to_string(),
        details: json!({ "institution_id": client.institution_id.to_string() }),
    }
}

impl Store {
    /// Creates an API client for an institution, with the hash of its secret.
    pub async fn create_client(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        label: &str,
        secret_hash: &str,
    ) -> Result<ClientRecord, StoreError> {
        let txn = self.write().await?;
        institution::Entity::find_by_id(institution_id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "institution" })?;
        let model = institution_client::ActiveModel {
            id: Set(Uuid::now_v7()),
            institution_id: Set(institution_id.as_uuid()),
            label: Set(label.to_owned()),
            secret_hash: Set(secret_hash.to_owned()),
            created_at: Set(crate::now()),
            revoked_at: Set(None),
            last_used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::append(&txn, actor, client_change("client.created", &model)).await?;
        txn.commit().await?;
        Ok(into_record(model))
    }

    /// An institution's clients, oldest first.
    pub async fn clients(
        &self,
        institution_id: InstitutionId,
    ) -> Result<Vec<ClientRecord>, StoreError> {
        institution::Entity::find_by_id(institution_id.as_uuid())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { entity: "institution" })?;
        Ok(institution_client::Entity::find()
            .filter(institution_client::Column::InstitutionId.eq(institution_id.as_uuid()))
            .order_by_asc(institution_client::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_record)
            .collect())
    }

    /// Revokes a client and every access token it obtained.
    pub async fn revoke_client(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        client_id: Uuid,
    ) -> Result<ClientRecord, StoreError> {
        let txn = self.write().await?;
        let client = institution_client::Entity::find_by_id(client_id)
            .filter(institution_client::Column::InstitutionId.eq(institution_id.as_uuid()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "client" })?;
        if client.revoked_at.is_some() {
            return Err(StoreError::Conflict { field: "client_id" });
        }
        let now = crate::now();
        revoke_live_tokens(&txn, Role::Institution, client_id, now).await?;
        let mut revoking: institution_client::ActiveModel = client.into();
        revoking.revoked_at = Set(Some(now));
        let model = revoking.update(&txn).await?;
        audit::append(&txn, actor, client_change("client.revoked", &model)).await?;
        txn.commit().await?;
        Ok(into_record(model))
    }

    /// The secret hash of a client that may still obtain tokens, for the caller to check.
    pub async fn client_secret_hash(&self, client_id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(institution_client::Entity::find_by_id(client_id)
            .filter(institution_client::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .map(|client| client.secret_hash))
    }

    /// Stores an access token (by hash) for a client whose secret the caller has checked.
    pub async fn issue_access_token(
        &self,
        client_id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let txn = self.write().await?;
        let client = institution_client::Entity::find_by_id(client_id)
            .filter(institution_client::Column::RevokedAt.is_null())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "client" })?;
        let now = crate::now();
        api_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(token_hash.to_owned()),
            role: Set(Role::Institution.as_str().to_owned()),
            institution_id: Set(Some(client.institution_id)),
            label: Set(format!("client {}", client.id)),
            created_at: Set(now),
            revoked_at: Set(None),
            last_used_at: Set(None),
            expires_at: Set(Some(expires_at)),
            client_id: Set(Some(client.id)),
            agency_code: Set(None),
            include_subunits: Set(false),
            scopes: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("token"))?;
        let actor = Actor::Institution {
            institution_id: InstitutionId::from_uuid(client.institution_id),
            client_id: client.id,
        };
        audit::append(&txn, &actor, client_change("client.token_issued", &client)).await?;
        let mut using: institution_client::ActiveModel = client.into();
        using.last_used_at = Set(Some(now));
        using.update(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Revokes, at `now`, the access tokens still live that client `client_id` obtained as `role`,
/// in the transaction that revokes the client: an institution's or a machine client.
pub(crate) async fn revoke_live_tokens(
    txn: &sea_orm::DatabaseTransaction,
    role: Role,
    client_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Role.eq(role.as_str()))
        .filter(api_token::Column::ClientId.eq(client_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
