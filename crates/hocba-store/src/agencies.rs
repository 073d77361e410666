//! The directory of agencies: loaded from the file the registry ships, added to by the operator,
//! and checked whenever an employment period or an HR key names an agency.

use hocba_domain::{
    AGENCY_DIRECTORY, AdministrativeLevel, Agency, AgencyCode, Employment, Validity,
    parse_directory, with_subunits,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use time::Date;

use crate::audit::{self, Change};
use crate::entities::agency;
use crate::{Actor, Store, StoreError};

/// Filters of the directory's listing.
#[derive(Debug, Clone, Default)]
pub struct AgencyQuery {
    /// Only the direct units of this agency.
    pub parent: Option<AgencyCode>,
    /// Only agencies in force on this day.
    pub on: Option<Date>,
}

pub(crate) fn into_agency(model: agency::Model) -> Result<Agency, StoreError> {
    let corrupt = |detail: &str| StoreError::corrupt("agencies", detail);
    Ok(Agency {
        code: AgencyCode::parse(&model.code).map_err(|_| corrupt("code"))?,
        name: model.name,
        parent: model
            .parent_code
            .as_deref()
            .map(AgencyCode::parse)
            .transpose()
            .map_err(|_| corrupt("parent_code"))?,
        level: AdministrativeLevel::from_stored(&model.level).ok_or_else(|| corrupt("level"))?,
        validity: Validity { from: model.valid_from, to: model.valid_to },
    })
}

fn agency_row(agency: &Agency, now: time::OffsetDateTime) -> agency::ActiveModel {
    agency::ActiveModel {
        code: Set(agency.code.as_str().to_owned()),
        name: Set(agency.name.clone()),
        parent_code: Set(agency.parent.as_ref().map(|code| code.as_str().to_owned())),
        level: Set(agency.level.as_str().to_owned()),
        valid_from: Set(agency.validity.from),
        valid_to: Set(agency.validity.to),
        created_at: Set(now),
    }
}

/// The agency `code`, if the directory holds it.
pub(crate) async fn find_agency(
    db: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<Option<Agency>, StoreError> {
    agency::Entity::find_by_id(code.as_str().to_owned()).one(db).await?.map(into_agency).transpose()
}

/// Refuses an employment period whose agency the directory does not hold (`unknown-reference`
/// on `agency_field`), or that does not exist on every day of the period (`rule-violated`).
pub(crate) async fn ensure_listed(
    db: &impl ConnectionTrait,
    period: &Employment,
    agency_field: &'static str,
) -> Result<(), StoreError> {
    let agency = find_agency(db, &period.agency_code)
        .await?
        .ok_or(StoreError::UnknownReference { field: agency_field, entity: "agency" })?;
    if agency.in_force_throughout(&period.validity) {
        return Ok(());
    }
    let until = agency.validity.to.map_or_else(|| "today".to_owned(), |day| day.to_string());
    Err(StoreError::Rule {
        field: agency_field,
        reason: format!(
            "the agency exists from {} to {until}; the period must lie within those days",
            agency.validity.from
        ),
    })
}

/// The agencies whose staff a key for `root` reads: `root`, and with `include_subunits` every
/// agency below it.
pub(crate) async fn reach(
    db: &impl ConnectionTrait,
    root: &AgencyCode,
    include_subunits: bool,
) -> Result<Vec<AgencyCode>, StoreError> {
    if !include_subunits {
        return Ok(vec![root.clone()]);
    }
    let tree: Vec<(AgencyCode, Option<AgencyCode>)> = agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(into_agency)
        .map(|agency| agency.map(|agency| (agency.code, agency.parent)))
        .collect::<Result<_, _>>()?;
    Ok(with_subunits(root, &tree))
}

impl Store {
    /// Brings the directory into line with the file the registry ships: its agencies are added
    /// when missing and updated when their line changed; agencies the operator added are left.
    pub(crate) async fn load_agencies(&self) -> Result<(), StoreError> {
        let shipped = parse_directory(AGENCY_DIRECTORY)
            .map_err(|error| StoreError::corrupt("agency directory file", error.to_string()))?;
        let txn = self.write().await?;
        let now = crate::now();
        // The file lists parents before their units, so each insert finds its parent. As with
        // the taxonomy, no audit event: the file's history is the repository's.
        for agency in &shipped {
            match find_agency(&txn, &agency.code).await? {
                Some(stored) if stored == *agency => {}
                Some(_) => {
                    let mut row = agency_row(agency, now);
                    row.created_at = sea_orm::ActiveValue::NotSet;
                    row.update(&txn).await?;
                }
                None => {
                    agency_row(agency, now).insert(&txn).await?;
                }
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Adds an agency to the directory (operator).
    pub async fn create_agency(&self, actor: &Actor, new: Agency) -> Result<Agency, StoreError> {
        let txn = self.write().await?;
        if let Some(parent) = &new.parent
            && find_agency(&txn, parent).await?.is_none()
        {
            return Err(StoreError::UnknownReference { field: "parent_code", entity: "agency" });
        }
        let model = agency_row(&new, crate::now())
            .insert(&txn)
            .await
            .map_err(StoreError::unique("code"))?;
        let change = Change {
            action: "agency.created",
            subject_type: "agency",
            subject_id: model.code.clone(),
            details: json!({
                "parent_code": model.parent_code,
                "level": model.level,
                "valid_from": model.valid_from.to_string(),
                "valid_to": model.valid_to.map(|day| day.to_string()),
            }),
        };
        audit::append(&txn, actor, change).await?;
        txn.commit().await?;
        into_agency(model)
    }

    /// One agency of the directory.
    pub async fn agency(&self, code: &AgencyCode) -> Result<Agency, StoreError> {
        find_agency(&self.db, code).await?.ok_or(StoreError::NotFound { entity: "agency" })
    }

    /// The directory, by code, filtered.
    pub async fn agencies(&self, query: &AgencyQuery) -> Result<Vec<Agency>, StoreError> {
        let mut select = agency::Entity::find().order_by_asc(agency::Column::Code);
        if let Some(parent) = &query.parent {
            select = select.filter(agency::Column::ParentCode.eq(parent.as_str()));
        }
        if let Some(on) = query.on {
            select = select.filter(agency::Column::ValidFrom.lte(on)).filter(
                sea_orm::Condition::any()
                    .add(agency::Column::ValidTo.is_null())
                    .add(agency::Column::ValidTo.gte(on)),
            );
        }
        select.all(&self.db).await?.into_iter().map(into_agency).collect()
    }
}
