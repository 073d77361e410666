//! The catalogue: programme categories, programmes, and classes.

use hocba_domain::{
    AccreditationFacts, CategoryCode, ClassId, InstitutionId, NewClass, NewProgram, ProgramCode,
    ProgramId, ScopeDecision, StudyMode, TAXONOMY, Validity, accreditation, covering_scope,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{category, class, program};
use crate::institutions::load_institution;
use crate::{Actor, Page, PageRequest, Store, StoreError};

/// A programme category of the national taxonomy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Code.
    pub code: CategoryCode,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// When programmes of this category may be completed.
    pub validity: Validity,
    /// The defining instrument.
    pub legal_basis: String,
}

/// A programme in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Hocba's id.
    pub id: ProgramId,
    /// The programme as defined.
    pub program: NewProgram,
    /// When it was added.
    pub created_at: OffsetDateTime,
}

/// A class: one session of a programme at an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Hocba's id.
    pub id: ClassId,
    /// The institution teaching it.
    pub institution_id: InstitutionId,
    /// The programme taught.
    pub program_id: ProgramId,
    /// The class as defined.
    pub class: NewClass,
    /// When it was registered.
    pub created_at: OffsetDateTime,
}

/// Filters of a class listing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassQuery {
    /// Only this institution's classes.
    pub institution: Option<InstitutionId>,
    /// Only classes of this programme.
    pub program: Option<ProgramId>,
}

fn corrupt(entity: &'static str, detail: &str) -> StoreError {
    StoreError::corrupt(entity, detail)
}

fn into_program(model: program::Model) -> Result<Program, StoreError> {
    let narrow = |value: i32| u16::try_from(value).map_err(|_| corrupt("programs", "duration"));
    Ok(Program {
        id: ProgramId::from_uuid(model.id),
        program: NewProgram {
            code: ProgramCode::parse(&model.code).map_err(|_| corrupt("programs", "code"))?,
            title_vi: model.title_vi,
            title_en: model.title_en,
            category: CategoryCode::parse(&model.category_code)
                .map_err(|_| corrupt("programs", "category"))?,
            min_days: narrow(model.min_days)?,
            min_periods: model.min_periods.map(narrow).transpose()?,
            periods_per_day: u8::try_from(model.periods_per_day)
                .map_err(|_| corrupt("programs", "periods"))?,
        },
        created_at: model.created_at,
    })
}

pub(crate) fn into_class(model: class::Model) -> Result<Class, StoreError> {
    let mode = StudyMode::from_stored(&model.mode).ok_or_else(|| corrupt("classes", "mode"))?;
    Ok(Class {
        id: ClassId::from_uuid(model.id),
        institution_id: InstitutionId::from_uuid(model.institution_id),
        program_id: ProgramId::from_uuid(model.program_id),
        class: NewClass {
            code: ProgramCode::parse(&model.code).map_err(|_| corrupt("classes", "code"))?,
            span: hocba_domain::DateSpan::new(model.starts_on, model.ends_on)
                .map_err(|_| corrupt("classes", "dates"))?,
            place: model.place,
            mode,
            seats: model.seats.and_then(|seats| u16::try_from(seats).ok()),
        },
        created_at: model.created_at,
    })
}

/// Refuses unless `institution` may deliver `category` on `day`: the category is in force and
/// the institution is accredited for it (DOMAIN.md §11a).
pub(crate) async fn ensure_accredited(
    txn: &DatabaseTransaction,
    institution: &crate::Institution,
    category: &CategoryCode,
    day: Date,
) -> Result<AccreditationFacts, StoreError> {
    let stored = category::Entity::find_by_id(category.as_str().to_owned()).one(txn).await?;
    accredited_on(institution, stored.as_ref(), category, day)
}

/// [`ensure_accredited`], with the category's row at hand (`None`: there is no such category),
/// for a writer that checks many days against the same few categories.
pub(crate) fn accredited_on(
    institution: &crate::Institution,
    stored: Option<&category::Model>,
    category: &CategoryCode,
    day: Date,
) -> Result<AccreditationFacts, StoreError> {
    let refuse = |reason| StoreError::NotAccredited {
        institution: institution.code.as_str().to_owned(),
        category: category.as_str().to_owned(),
        day,
        reason,
    };
    let category_in_force =
        stored.is_some_and(|row| Validity { from: row.valid_from, to: row.valid_to }.covers(day));
    if !category_in_force {
        return Err(refuse("the category is not in force on that day"));
    }
    match accreditation(institution.kind, institution.status, &institution.scopes, category, day) {
        ScopeDecision::Accredited { .. } => stated_accreditation(institution, category, day)
            .ok_or_else(|| StoreError::corrupt("accreditation_scopes", "no scope covers the day")),
        decision => Err(refuse(scope_refusal(&decision))),
    }
}

/// The accreditation a certificate states: the scope that covered `day`, with its decision.
pub(crate) fn stated_accreditation(
    institution: &crate::Institution,
    category: &CategoryCode,
    day: Date,
) -> Option<AccreditationFacts> {
    covering_scope(&institution.scopes, category, day).map(|granted| AccreditationFacts {
        category: category.as_str().to_owned(),
        validity: granted.scope.validity,
        decision: granted.decision.clone(),
    })
}

fn scope_refusal(decision: &ScopeDecision) -> &'static str {
    match decision {
        ScopeDecision::Accredited { .. } => "accredited",
        ScopeDecision::KindCannotDeliver => "institutions of its kind cannot deliver this category",
        ScopeDecision::NotInScope => "no accreditation scope names this category",
        ScopeDecision::OutsideValidity { .. } => {
            "its accreditation for this category is not in force on that day"
        }
        ScopeDecision::Suspended => "the institution is suspended",
    }
}

impl Store {
    /// Adds the categories of the national taxonomy that are missing; never changes existing ones.
    pub(crate) async fn load_taxonomy(&self) -> Result<(), StoreError> {
        let present: Vec<String> = category::Entity::find()
            .select_only()
            .column(category::Column::Code)
            .into_tuple()
            .all(&self.db)
            .await?;
        let missing: Vec<category::ActiveModel> = TAXONOMY
            .iter()
            .filter(|seed| !present.iter().any(|code| code == seed.code))
            .map(|seed| {
                let family = CategoryCode::parse(seed.code)
                    .map(|code| code.family().as_str())
                    .unwrap_or_default();
                category::ActiveModel {
                    code: Set(seed.code.to_owned()),
                    family: Set(family.to_owned()),
                    title_vi: Set(seed.title_vi.to_owned()),
                    title_en: Set(seed.title_en.to_owned()),
                    valid_from: Set(seed.valid_from),
                    valid_to: Set(seed.valid_to),
                    legal_basis: Set(seed.legal_basis.to_owned()),
                }
            })
            .collect();
        if !missing.is_empty() {
            category::Entity::insert_many(missing).exec(&self.db).await?;
        }
        Ok(())
    }

    /// Every category, by code.
    pub async fn categories(&self) -> Result<Vec<Category>, StoreError> {
        category::Entity::find()
            .order_by_asc(category::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|model| {
                Ok(Category {
                    code: CategoryCode::parse(&model.code)
                        .map_err(|_| corrupt("categories", "code"))?,
                    title_vi: model.title_vi,
                    title_en: model.title_en,
                    validity: Validity { from: model.valid_from, to: model.valid_to },
                    legal_basis: model.legal_basis,
                })
            })
            .collect()
    }

    /// Adds a programme to the catalogue.
    pub async fn create_program(
        &self,
        actor: &Actor,
        new: NewProgram,
    ) -> Result<Program, StoreError> {
        let txn = self.write().await?;
        category::Entity::find_by_id(new.category.as_str().to_owned())
            .one(&txn)
            .await?
            .ok_or(StoreError::UnknownReference { field: "category_code", entity: "category" })?;
        let id = Uuid::now_v7();
        let model = program::ActiveModel {
            id: Set(id),
            code: Set(new.code.as_str().to_owned()),
            title_vi: Set(new.title_vi.clone()),
            title_en: Set(new.title_en.clone()),
            category_code: Set(new.category.as_str().to_owned()),
            min_days: Set(i32::from(new.min_days)),
            min_periods: Set(new.min_periods.map(i32::from)),
            periods_per_day: Set(i16::from(new.periods_per_day)),
            created_at: Set(crate::now()),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("code"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "program.created",
                subject_type: "program",
                subject_id: id.to_string(),
                details: json!({ "code": new.code.as_str(), "category_code": new.category.as_str() }),
            },
        )
        .await?;
        txn.commit().await?;
        into_program(model)
    }

    /// A programme by id.
    pub async fn program(&self, id: ProgramId) -> Result<Program, StoreError> {
        let model = program::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { entity: "program" })?;
        into_program(model)
    }

    /// Programmes in the order they were added, optionally of one category.
    pub async fn list_programs(
        &self,
        category: Option<&CategoryCode>,
        page: PageRequest,
    ) -> Result<Page<Program>, StoreError> {
        let mut select =
            program::Entity::find().order_by_asc(program::Column::Id).limit(page.limit + 1);
        if let Some(after) = page.after {
            select = select.filter(program::Column::Id.gt(after));
        }
        if let Some(category) = category {
            select = select.filter(program::Column::CategoryCode.eq(category.as_str()));
        }
        let rows = select.all(&self.db).await?;
        Page::from_rows(rows, page, |row| row.id, into_program)
    }

    /// Registers a class, if the institution is accredited for the programme's category on the
    /// class's first day and the category is in force then.
    pub async fn create_class(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        program_id: ProgramId,
        new: NewClass,
    ) -> Result<Class, StoreError> {
        let txn = self.write().await?;
        let institution = load_institution(&txn, institution_id.as_uuid()).await.map_err(
            |error| match error {
                StoreError::NotFound { .. } => {
                    StoreError::UnknownReference { field: "institution_id", entity: "institution" }
                }
                other => other,
            },
        )?;
        let program = program::Entity::find_by_id(program_id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::UnknownReference { field: "program_id", entity: "program" })
            .and_then(into_program)?;
        ensure_accredited(&txn, &institution, &program.program.category, new.span.start()).await?;
        let id = Uuid::now_v7();
        let model = class::ActiveModel {
            id: Set(id),
            institution_id: Set(institution_id.as_uuid()),
            program_id: Set(program_id.as_uuid()),
            code: Set(new.code.as_str().to_owned()),
            starts_on: Set(new.span.start()),
            ends_on: Set(new.span.end()),
            place: Set(new.place.clone()),
            mode: Set(new.mode.as_str().to_owned()),
            seats: Set(new.seats.map(i32::from)),
            created_at: Set(crate::now()),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("code"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "class.created",
                subject_type: "class",
                subject_id: id.to_string(),
                details: json!({
                    "institution_id": institution_id.to_string(),
                    "program_id": program_id.to_string(),
                    "code": new.code.as_str(),
                }),
            },
        )
        .await?;
        txn.commit().await?;
        into_class(model)
    }

    /// Classes in registration order, optionally of one institution or programme.
    pub async fn list_classes(
        &self,
        query: ClassQuery,
        page: PageRequest,
    ) -> Result<Page<Class>, StoreError> {
        let mut select =
            class::Entity::find().order_by_asc(class::Column::Id).limit(page.limit + 1);
        if let Some(after) = page.after {
            select = select.filter(class::Column::Id.gt(after));
        }
        if let Some(institution) = query.institution {
            select = select.filter(class::Column::InstitutionId.eq(institution.as_uuid()));
        }
        if let Some(program) = query.program {
            select = select.filter(class::Column::ProgramId.eq(program.as_uuid()));
        }
        let rows = select.all(&self.db).await?;
        Page::from_rows(rows, page, |row| row.id, into_class)
    }
}
