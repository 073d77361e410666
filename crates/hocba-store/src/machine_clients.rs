//! Machine clients: systems such as the National Public Service Portal or a ministry's HR system,
//! registered by the operator with scopes, optionally for an agency (whose HR rule then applies
//! to them). They obtain short-lived access tokens at the token endpoint, authenticating with a
//! client secret (stored as the argon2 hash the caller made) or with an assertion signed by the
//! key whose public JWK is stored here. Each assertion's `jti` is kept until it expires, in the
//! database, so that a replay is refused by every process serving the registry.

use hocba_domain::AgencyCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{api_token, client_assertion, machine_client};
use crate::tokens::Role;
use crate::{Actor, Scopes, Store, StoreError};

/// How a machine client proves who it is at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// A client secret; the argon2 hash (PHC string) the caller made of it.
    ClientSecret {
        /// The hash.
        hash: String,
    },
    /// An assertion signed by its private key (RFC 7523); its public key as a JWK.
    PrivateKeyJwt {
        /// The public key (Ed25519 `OKP` or `RSA`), checked by the caller.
        jwk: Value,
    },
}

impl ClientAuth {
    /// The method's name at the token endpoint (RFC 8414 `token_endpoint_auth_methods`).
    pub fn method(&self) -> &'static str {
        match self {
            ClientAuth::ClientSecret { .. } => CLIENT_SECRET,
            ClientAuth::PrivateKeyJwt { .. } => PRIVATE_KEY_JWT,
        }
    }
}

const CLIENT_SECRET: &str = "client_secret";
const PRIVATE_KEY_JWT: &str = "private_key_jwt";

/// A machine client to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMachineClient {
    /// The system's name (`Cổng Dịch vụ công quốc gia`, `HR system of the Ministry of Home
    /// Affairs`…).
    pub name: String,
    /// What its tokens may do; not empty.
    pub scopes: Scopes,
    /// The agency it acts for, whose HR rule applies to it.
    pub agency: Option<AgencyCode>,
    /// Whether the agency's sub-units' staff are covered too.
    pub include_subunits: bool,
    /// How it authenticates.
    pub auth: ClientAuth,
}

/// A machine client, as listed (its public key, never a secret's hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineClient {
    /// The `client_id`.
    pub id: Uuid,
    /// The system's name.
    pub name: String,
    /// What its tokens may do.
    pub scopes: Scopes,
    /// The agency it acts for.
    pub agency: Option<AgencyCode>,
    /// Whether the agency's sub-units' staff are covered too.
    pub include_subunits: bool,
    /// `client_secret` or `private_key_jwt`.
    pub auth_method: &'static str,
    /// A `private_key_jwt` client's public key.
    pub public_jwk: Option<Value>,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it last obtained a token.
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

/// A client assertion's `jti`, to remember until the assertion expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionUse {
    /// The assertion's unique id, as the client wrote it.
    pub jti: String,
    /// When the assertion expires: after that it is refused anyway, and its `jti` forgotten.
    pub expires_at: OffsetDateTime,
}

fn into_client(model: machine_client::Model) -> Result<MachineClient, StoreError> {
    let corrupt = |detail| StoreError::corrupt("machine_clients", detail);
    let scopes = Scopes::parse_oauth(&model.scopes).map_err(|_| corrupt("scopes"))?;
    let agency = match model.agency_code.as_deref() {
        Some(code) => Some(AgencyCode::parse(code).map_err(|_| corrupt("agency_code"))?),
        None => None,
    };
    let auth_method = match model.auth_method.as_str() {
        CLIENT_SECRET => CLIENT_SECRET,
        PRIVATE_KEY_JWT => PRIVATE_KEY_JWT,
        _ => return Err(corrupt("auth_method")),
    };
    let public_jwk = match model.public_jwk.as_deref() {
        Some(text) => Some(serde_json::from_str(text).map_err(|_| corrupt("public_jwk"))?),
        None => None,
    };
    Ok(MachineClient {
        id: model.id,
        name: model.name,
        scopes,
        agency,
        include_subunits: model.include_subunits,
        auth_method,
        public_jwk,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        revoked_at: model.revoked_at,
    })
}

fn client_change(action: &'static str, client: &machine_client::Model) -> Change {
    Change {
        action,
        subject_type: "machine_client",
        subject_id: client.id.to_string(),
        details: json!({
            "name": client.name,
            "scopes": client.scopes,
            "agency_code": client.agency_code,
            "include_subunits": client.include_subunits,
            "auth_method": client.auth_method,
        }),
    }
}

/// The client `client_id`, if it is registered and not revoked.
async fn live_client(
    db: &impl sea_orm::ConnectionTrait,
    client_id: Uuid,
) -> Result<Option<machine_client::Model>, StoreError> {
    Ok(machine_client::Entity::find_by_id(client_id)
        .filter(machine_client::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

impl Store {
    /// Registers a machine client (its agency, if any, must be in the directory).
    pub async fn create_machine_client(
        &self,
        actor: &Actor,
        client: NewMachineClient,
    ) -> Result<MachineClient, StoreError> {
        let txn = self.write().await?;
        if let Some(agency) = &client.agency {
            crate::agencies::find_agency(&txn, agency)
                .await?
                .ok_or(StoreError::UnknownReference { field: "agency_code", entity: "agency" })?;
        }
        let method = client.auth.method();
        let (secret_hash, public_jwk) = match client.auth {
            ClientAuth::ClientSecret { hash } => (Some(hash), None),
            ClientAuth::PrivateKeyJwt { jwk } => (None, Some(jwk.to_string())),
        };
        let model = machine_client::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(client.name),
            scopes: Set(client.scopes.to_oauth()),
            agency_code: Set(client.agency.map(|agency| agency.as_str().to_owned())),
            include_subunits: Set(client.include_subunits),
            auth_method: Set(method.to_owned()),
            secret_hash: Set(secret_hash),
            public_jwk: Set(public_jwk),
            created_at: Set(crate::now()),
            revoked_at: Set(None),
            last_used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::append(&txn, actor, client_change("machine_client.created", &model)).await?;
        txn.commit().await?;
        into_client(model)
    }

    /// Every machine client, oldest first, revoked ones included.
    pub async fn machine_clients(&self) -> Result<Vec<MachineClient>, StoreError> {
        machine_client::Entity::find()
            .order_by_asc(machine_client::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_client)
            .collect()
    }

    /// One machine client, revoked or not.
    pub async fn machine_client(&self, client_id: Uuid) -> Result<MachineClient, StoreError> {
        machine_client::Entity::find_by_id(client_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { entity: "client" })
            .and_then(into_client)
    }

    /// Revokes a machine client: it obtains no more tokens, and those it holds stop working at
    /// once.
    pub async fn revoke_machine_client(
        &self,
        actor: &Actor,
        client_id: Uuid,
    ) -> Result<MachineClient, StoreError> {
        let txn = self.write().await?;
        let client = machine_client::Entity::find_by_id(client_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "client" })?;
        if client.revoked_at.is_some() {
            return Err(StoreError::Conflict { field: "client_id" });
        }
        let now = crate::now();
        crate::clients::revoke_live_tokens(&txn, Role::Client, client_id, now).await?;
        let mut revoking: machine_client::ActiveModel = client.into();
        revoking.revoked_at = Set(Some(now));
        let model = revoking.update(&txn).await?;
        audit::append(&txn, actor, client_change("machine_client.revoked", &model)).await?;
        txn.commit().await?;
        into_client(model)
    }

    /// A live machine client (not revoked) with how it authenticates (its secret's hash, for
    /// the caller to check, or its public key), for the token endpoint.
    pub async fn machine_client_credentials(
        &self,
        client_id: Uuid,
    ) -> Result<Option<(MachineClient, ClientAuth)>, StoreError> {
        let Some(model) = live_client(&self.db, client_id).await? else { return Ok(None) };
        let auth = match (model.secret_hash.clone(), model.public_jwk.as_deref()) {
            (Some(hash), None) => ClientAuth::ClientSecret { hash },
            (None, Some(jwk)) => ClientAuth::PrivateKeyJwt {
                jwk: serde_json::from_str(jwk)
                    .map_err(|_| StoreError::corrupt("machine_clients", "public_jwk"))?,
            },
            _ => return Err(StoreError::corrupt("machine_clients", "credentials")),
        };
        Ok(Some((into_client(model)?, auth)))
    }

    /// Stores an access token (by hash) with `scopes` for a live machine client whose
    /// credentials the caller has checked, expiring at `expires_at`. With the `jti` of the
    /// assertion the client authenticated with: a `jti` already used is refused as a
    /// conflict on `jti` (a replay), and nothing is stored.
    pub async fn issue_machine_token(
        &self,
        client_id: Uuid,
        token_hash: &str,
        scopes: Scopes,
        expires_at: OffsetDateTime,
        assertion: Option<AssertionUse>,
    ) -> Result<(), StoreError> {
        let txn = self.write().await?;
        let client =
            live_client(&txn, client_id).await?.ok_or(StoreError::NotFound { entity: "client" })?;
        let granted = Scopes::parse_oauth(&client.scopes)
            .map_err(|_| StoreError::corrupt("machine_clients", "scopes"))?;
        if !granted.includes(scopes) || scopes.is_empty() {
            return Err(StoreError::Rule {
                field: "scope",
                reason: "is not among the client's scopes".to_owned(),
            });
        }
        if let Some(assertion) = assertion {
            remember_assertion(&txn, client_id, assertion).await?;
        }
        let now = crate::now();
        api_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(token_hash.to_owned()),
            role: Set(Role::Client.as_str().to_owned()),
            institution_id: Set(None),
            label: Set(format!("machine client {}", client.id)),
            created_at: Set(now),
            revoked_at: Set(None),
            last_used_at: Set(None),
            expires_at: Set(Some(expires_at)),
            client_id: Set(Some(client.id)),
            agency_code: Set(None),
            include_subunits: Set(false),
            scopes: Set(Some(scopes.to_oauth())),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("token"))?;
        let actor = Actor::Client { client_id: client.id };
        let mut change = client_change("machine_client.token_issued", &client);
        change.details = json!({ "scopes": scopes.to_oauth() });
        audit::append(&txn, &actor, change).await?;
        let mut using: machine_client::ActiveModel = client.into();
        using.last_used_at = Set(Some(now));
        using.update(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Remembers an assertion's `jti` until it expires, forgetting those expired; a `jti` the
/// client used already is a replay. The check is the primary key, so two processes racing with
/// the same assertion cannot both pass.
async fn remember_assertion(
    txn: &DatabaseTransaction,
    client_id: Uuid,
    assertion: AssertionUse,
) -> Result<(), StoreError> {
    client_assertion::Entity::delete_many()
        .filter(client_assertion::Column::ExpiresAt.lt(crate::now()))
        .exec(txn)
        .await?;
    client_assertion::ActiveModel {
        client_id: Set(client_id),
        jti: Set(assertion.jti),
        expires_at: Set(assertion.expires_at),
    }
    .insert(txn)
    .await
    .map_err(StoreError::unique("jti"))?;
    Ok(())
}
