//! Training institutions and their accreditation scopes.

use hocba_domain::{
    CategoryCode, InstitutionCode, InstitutionId, InstitutionKind, InstitutionStatus,
    NewInstitution, NewScope, Scope, Validity,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{category, institution, scope};
use crate::{Actor, Page, PageRequest, Store, StoreError};

/// An institution with its accreditation scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    /// Hocba's id.
    pub id: InstitutionId,
    /// Unique short code.
    pub code: InstitutionCode,
    /// Official name.
    pub name: String,
    /// Kind of body.
    pub kind: InstitutionKind,
    /// The authority it reports to.
    pub parent_authority: Option<String>,
    /// Active or suspended.
    pub status: InstitutionStatus,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// Accreditation scopes with their decisions, in the order they were granted.
    pub scopes: Vec<NewScope>,
}

fn corrupt(detail: &str) -> StoreError {
    StoreError::corrupt("institutions", detail)
}

fn into_scope(model: scope::Model) -> Result<NewScope, StoreError> {
    Ok(NewScope {
        scope: Scope {
            category: CategoryCode::parse(&model.category_code)
                .map_err(|_| corrupt("scope category"))?,
            validity: Validity { from: model.valid_from, to: model.valid_to },
        },
        decision: model.decision,
    })
}

pub(crate) async fn load_institution(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Institution, StoreError> {
    let model = institution::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "institution" })?;
    let scopes = scope::Entity::find()
        .filter(scope::Column::InstitutionId.eq(id))
        .order_by_asc(scope::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(into_scope)
        .collect::<Result<_, _>>()?;
    into_institution(model, scopes)
}

fn into_institution(
    model: institution::Model,
    scopes: Vec<NewScope>,
) -> Result<Institution, StoreError> {
    Ok(Institution {
        id: InstitutionId::from_uuid(model.id),
        code: InstitutionCode::parse(&model.code).map_err(|_| corrupt("code"))?,
        name: model.name,
        kind: InstitutionKind::from_stored(&model.kind).ok_or_else(|| corrupt("kind"))?,
        parent_authority: model.parent_authority,
        status: InstitutionStatus::from_stored(&model.status).ok_or_else(|| corrupt("status"))?,
        created_at: model.created_at,
        scopes,
    })
}

impl Store {
    /// Registers an institution, active and with no scope yet.
    pub async fn create_institution(
        &self,
        actor: &Actor,
        new: NewInstitution,
    ) -> Result<Institution, StoreError> {
        let txn = self.write().await?;
        let id = Uuid::now_v7();
        institution::ActiveModel {
            id: Set(id),
            code: Set(new.code.as_str().to_owned()),
            name: Set(new.name),
            kind: Set(new.kind.as_str().to_owned()),
            parent_authority: Set(new.parent_authority),
            status: Set(InstitutionStatus::Active.as_str().to_owned()),
            created_at: Set(crate::now()),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("code"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "institution.created",
                subject_type: "institution",
                subject_id: id.to_string(),
                details: json!({ "code": new.code.as_str(), "kind": new.kind.as_str() }),
            },
        )
        .await?;
        let institution = load_institution(&txn, id).await?;
        txn.commit().await?;
        Ok(institution)
    }

    /// An institution with its scopes.
    pub async fn institution(&self, id: InstitutionId) -> Result<Institution, StoreError> {
        load_institution(&self.db, id.as_uuid()).await
    }

    /// Institutions in registration order, without their scopes.
    pub async fn list_institutions(
        &self,
        page: PageRequest,
    ) -> Result<Page<Institution>, StoreError> {
        let mut select =
            institution::Entity::find().order_by_asc(institution::Column::Id).limit(page.limit + 1);
        if let Some(after) = page.after {
            select = select.filter(institution::Column::Id.gt(after));
        }
        let rows = select.all(&self.db).await?;
        Page::from_rows(rows, page, |row| row.id, |row| into_institution(row, Vec::new()))
    }

    /// Grants an institution an accreditation scope.
    ///
    /// The scope must already have been checked against the institution's kind
    /// ([`hocba_domain::ScopeDraft::parse`]); the category must exist in the catalogue.
    pub async fn add_scope(
        &self,
        actor: &Actor,
        id: InstitutionId,
        new: NewScope,
    ) -> Result<Institution, StoreError> {
        let txn = self.write().await?;
        institution::Entity::find_by_id(id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "institution" })?;
        category::Entity::find_by_id(new.scope.category.as_str().to_owned())
            .one(&txn)
            .await?
            .ok_or(StoreError::UnknownReference { field: "category_code", entity: "category" })?;
        scope::ActiveModel {
            id: Set(Uuid::now_v7()),
            institution_id: Set(id.as_uuid()),
            category_code: Set(new.scope.category.as_str().to_owned()),
            valid_from: Set(new.scope.validity.from),
            valid_to: Set(new.scope.validity.to),
            decision: Set(new.decision.clone()),
            created_at: Set(crate::now()),
        }
        .insert(&txn)
        .await?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "institution.scope_granted",
                subject_type: "institution",
                subject_id: id.to_string(),
                details: json!({
                    "category_code": new.scope.category.as_str(),
                    "valid_from": new.scope.validity.from.to_string(),
                    "valid_to": new.scope.validity.to.map(|to| to.to_string()),
                    "decision": new.decision,
                }),
            },
        )
        .await?;
        let institution = load_institution(&txn, id.as_uuid()).await?;
        txn.commit().await?;
        Ok(institution)
    }
}
