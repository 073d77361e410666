//! Consents: an official lets one machine client read their record, for a purpose and a
//! period, and withdraws it when they wish.
//!
//! Granting and withdrawing are audited. A client's read is allowed here, in the reading
//! transaction (see `officials::may_read`), so a withdrawal counts from the next read on: nothing
//! is cached.

use std::collections::HashMap;

use hocba_domain::{
    ConsentRefusal, ConsentStanding, ConsentState, ConsentTerms, OfficialId, consent_in_force,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{consent, machine_client, official};
use crate::{Actor, Scope, Scopes, Store, StoreError};

/// A consent as its official sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Its id.
    pub id: Uuid,
    /// The official who gave it.
    pub official_id: OfficialId,
    /// The machine client it lets read.
    pub client_id: Uuid,
    /// The client's name, as the operator registered it.
    pub client_name: String,
    /// Why the client may read, in the official's words.
    pub purpose: String,
    /// The first day in force.
    pub valid_from: Date,
    /// The last day in force.
    pub valid_until: Date,
    /// When it was given.
    pub granted_at: OffsetDateTime,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<OffsetDateTime>,
}

impl Consent {
    /// Where it stands at `now`.
    pub fn state(&self, now: OffsetDateTime) -> ConsentState {
        self.standing().state(now)
    }

    fn standing(&self) -> ConsentStanding {
        ConsentStanding {
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            granted_at: self.granted_at,
            withdrawn_at: self.withdrawn_at,
        }
    }
}

/// A machine client an official may give consent to: one that may read records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentClient {
    /// The `client_id`.
    pub id: Uuid,
    /// The system's name, as the operator registered it.
    pub name: String,
}

fn into_consent(row: consent::Model, client_name: String) -> Consent {
    Consent {
        id: row.id,
        official_id: OfficialId::from_uuid(row.official_id),
        client_id: row.client_id,
        client_name,
        purpose: row.purpose,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        granted_at: row.granted_at,
        withdrawn_at: row.withdrawn_at,
    }
}

fn consent_change(action: &'static str, row: &consent::Model) -> Change {
    // No purpose: what an official writes may name a person or an illness.
    let details = json!({
        "official_id": row.official_id,
        "client_id": row.client_id,
        "valid_from": row.valid_from.to_string(),
        "valid_until": row.valid_until.to_string(),
    });
    Change { action, subject_type: "consent", subject_id: row.id.to_string(), details }
}

impl Store {
    /// Records that `official` lets machine client `client_id` read their record on `terms`.
    /// A client unknown, revoked, or not allowed to read records is refused on `client_id`.
    pub async fn grant_consent(
        &self,
        actor: &Actor,
        official: OfficialId,
        client_id: Uuid,
        terms: &ConsentTerms,
    ) -> Result<Consent, StoreError> {
        let txn = self.write().await?;
        official::Entity::find_by_id(official.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "official" })?;
        let client = reading_clients()
            .filter(machine_client::Column::Id.eq(client_id))
            .one(&txn)
            .await?
            .filter(reads_records)
            .ok_or(StoreError::UnknownReference { field: "client_id", entity: "client" })?;
        let row = consent::ActiveModel {
            id: Set(Uuid::now_v7()),
            official_id: Set(official.as_uuid()),
            client_id: Set(client_id),
            purpose: Set(terms.purpose().to_owned()),
            valid_from: Set(terms.valid_from()),
            valid_until: Set(terms.valid_until()),
            granted_at: Set(crate::now()),
            withdrawn_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::append(&txn, actor, consent_change("consent.granted", &row)).await?;
        txn.commit().await?;
        Ok(into_consent(row, client.name))
    }

    /// `official`'s consents, newest first, withdrawn and expired ones included.
    pub async fn consents(&self, official: OfficialId) -> Result<Vec<Consent>, StoreError> {
        self.consents_where(consent::Column::OfficialId.eq(official.as_uuid())).await
    }

    /// The consents officials gave machine client `client_id`, newest first, withdrawn and
    /// expired ones included: how a client learns whose records it may read.
    pub async fn consents_given_to(&self, client_id: Uuid) -> Result<Vec<Consent>, StoreError> {
        self.consents_where(consent::Column::ClientId.eq(client_id)).await
    }

    async fn consents_where(
        &self,
        condition: sea_orm::sea_query::SimpleExpr,
    ) -> Result<Vec<Consent>, StoreError> {
        let rows = consent::Entity::find()
            .filter(condition)
            .order_by_desc(consent::Column::Id)
            .all(&self.db)
            .await?;
        let names = client_names(&self.db, rows.iter().map(|row| row.client_id)).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let name = names.get(&row.client_id).cloned().unwrap_or_default();
                into_consent(row, name)
            })
            .collect())
    }

    /// Withdraws one of `official`'s consents: its client reads nothing more under it, from the
    /// next request on. Another official's consent is, to this one, no consent at all; one
    /// already withdrawn is a conflict.
    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        official: OfficialId,
        id: Uuid,
    ) -> Result<Consent, StoreError> {
        let txn = self.write().await?;
        let row = consent::Entity::find_by_id(id)
            .filter(consent::Column::OfficialId.eq(official.as_uuid()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "consent" })?;
        if row.withdrawn_at.is_some() {
            return Err(StoreError::Conflict { field: "id" });
        }
        let mut withdrawing: consent::ActiveModel = row.into();
        withdrawing.withdrawn_at = Set(Some(crate::now()));
        let row = withdrawing.update(&txn).await?;
        audit::append(&txn, actor, consent_change("consent.withdrawn", &row)).await?;
        let names = client_names(&txn, [row.client_id]).await?;
        txn.commit().await?;
        let name = names.get(&row.client_id).cloned().unwrap_or_default();
        Ok(into_consent(row, name))
    }

    /// The machine clients an official may give consent to, by name: those registered, not
    /// revoked, and allowed to read records (`records:read`).
    pub async fn consent_clients(&self) -> Result<Vec<ConsentClient>, StoreError> {
        let clients =
            reading_clients().order_by_asc(machine_client::Column::Name).all(&self.db).await?;
        Ok(clients
            .into_iter()
            .filter(reads_records)
            .map(|client| ConsentClient { id: client.id, name: client.name })
            .collect())
    }
}

/// Machine clients not revoked (scopes are a list in one column: see [`reads_records`]).
fn reading_clients() -> sea_orm::Select<machine_client::Entity> {
    machine_client::Entity::find().filter(machine_client::Column::RevokedAt.is_null())
}

/// Whether a machine client may read records at all.
fn reads_records(client: &machine_client::Model) -> bool {
    Scopes::parse_oauth(&client.scopes).is_ok_and(|scopes| scopes.contains(Scope::RecordsRead))
}

/// The names of the machine clients `ids`.
async fn client_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, StoreError> {
    Ok(machine_client::Entity::find()
        .filter(machine_client::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|client| (client.id, client.name))
        .collect())
}

/// The consent under which machine client `client_id` may read official `official_id`'s
/// record now, or why it may not.
pub(crate) async fn consent_to_read(
    db: &impl ConnectionTrait,
    official_id: Uuid,
    client_id: Uuid,
) -> Result<Uuid, StoreError> {
    let rows = consent::Entity::find()
        .filter(consent::Column::OfficialId.eq(official_id))
        .filter(consent::Column::ClientId.eq(client_id))
        .all(db)
        .await?;
    let consents: Vec<Consent> =
        rows.into_iter().map(|row| into_consent(row, String::new())).collect();
    let standings: Vec<ConsentStanding> = consents.iter().map(Consent::standing).collect();
    let index = consent_in_force(&standings, crate::now()).map_err(StoreError::NoConsent)?;
    consents
        .get(index)
        .map(|consent| consent.id)
        .ok_or(StoreError::NoConsent(ConsentRefusal::Missing))
}
