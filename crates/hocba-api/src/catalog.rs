//! `/api/v1/categories`, `/api/v1/programs`, `/api/v1/classes`: the public catalogue.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{
    CategoryCode, CategoryFamily, ClassDraft, ClassId, InstitutionId, Invalid, ProgramDraft,
    ProgramId, StudyMode,
};
use hocba_store::{Category, Class, ClassQuery, Program};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admin, Registrar};
use crate::extract::{Json, PageOf, PageParams, Path, Query};
use crate::{ApiError, AppState, Problem};

/// A programme category of the national taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Code, such as `QLNN-CV`.
    pub code: String,
    /// Family, which decides who may deliver it.
    pub family: CategoryFamily,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// First day programmes of this category may be completed.
    pub valid_from: Date,
    /// Last day, for categories the reform retired.
    pub valid_to: Option<Date>,
    /// The defining instrument.
    pub legal_basis: String,
}

impl From<Category> for CategoryView {
    fn from(category: Category) -> Self {
        CategoryView {
            family: category.code.family(),
            code: category.code.as_str().to_owned(),
            title_vi: category.title_vi,
            title_en: category.title_en,
            valid_from: category.validity.from,
            valid_to: category.validity.to,
            legal_basis: category.legal_basis,
        }
    }
}

/// A programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    /// Hocba's id.
    pub id: ProgramId,
    /// Unique code.
    pub code: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: Option<String>,
    /// Category code.
    pub category_code: String,
    /// Category family.
    pub category_family: CategoryFamily,
    /// Minimum duration in days.
    pub min_days: u16,
    /// Minimum number of periods, if counted.
    pub min_periods: Option<u16>,
    /// Periods per day.
    pub periods_per_day: u8,
}

impl From<Program> for ProgramView {
    fn from(program: Program) -> Self {
        let definition = program.program;
        ProgramView {
            id: program.id,
            code: definition.code.as_str().to_owned(),
            title_vi: definition.title_vi,
            title_en: definition.title_en,
            category_family: definition.category.family(),
            category_code: definition.category.as_str().to_owned(),
            min_days: definition.min_days,
            min_periods: definition.min_periods,
            periods_per_day: definition.periods_per_day,
        }
    }
}

/// A class: one session of a programme at an institution.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassView {
    /// Hocba's id.
    pub id: ClassId,
    /// Institution teaching it.
    pub institution_id: InstitutionId,
    /// Programme taught.
    pub program_id: ProgramId,
    /// The institution's code for the class.
    pub code: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Where.
    pub place: Option<String>,
    /// How.
    pub mode: StudyMode,
    /// Seats.
    pub seats: Option<u16>,
}

impl From<Class> for ClassView {
    fn from(class: Class) -> Self {
        ClassView {
            id: class.id,
            institution_id: class.institution_id,
            program_id: class.program_id,
            code: class.class.code.as_str().to_owned(),
            starts_on: class.class.span.start(),
            ends_on: class.class.span.end(),
            place: class.class.place,
            mode: class.class.mode,
            seats: class.class.seats,
        }
    }
}

/// Filters of the programme list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgramParams {
    /// Only programmes of this category.
    pub category: Option<String>,
    /// Cursor from the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Filters of the class list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClassParams {
    /// Only this institution's classes.
    pub institution_id: Option<InstitutionId>,
    /// Only classes of this programme.
    pub program_id: Option<ProgramId>,
    /// Cursor from the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Lists the programme categories of the national taxonomy, with their legal basis.
#[utoipa::path(get, path = "/categories", tag = "catalog",
    responses((status = 200, body = Vec<CategoryView>), (status = "5XX", body = Problem)))]
pub async fn list_categories(
    State(app): State<AppState>,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    Ok(Json(app.store.categories().await?.into_iter().map(CategoryView::from).collect()))
}

/// Adds a programme to the catalogue (operator only).
#[utoipa::path(post, path = "/programs", tag = "catalog", security(("bearer" = [])),
    request_body = ProgramDraft,
    responses((status = 201, body = ProgramView), (status = "4XX", body = Problem)))]
pub async fn post_program(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(draft): Json<ProgramDraft>,
) -> Result<(StatusCode, Json<ProgramView>), ApiError> {
    let program = app.store.create_program(&admin.actor(), draft.parse()?).await?;
    Ok((StatusCode::CREATED, Json(program.into())))
}

/// Lists programmes, optionally of one category.
#[utoipa::path(get, path = "/programs", tag = "catalog", params(ProgramParams),
    responses((status = 200, body = PageOf<ProgramView>), (status = "4XX", body = Problem)))]
pub async fn list_programs(
    State(app): State<AppState>,
    Query(params): Query<ProgramParams>,
) -> Result<Json<PageOf<ProgramView>>, ApiError> {
    let page = PageParams { cursor: params.cursor, limit: params.limit }.request()?;
    let category = params
        .category
        .as_deref()
        .map(CategoryCode::parse)
        .transpose()
        .map_err(|error| Invalid::field("category", error))?;
    let programs = app.store.list_programs(category.as_ref(), page).await?;
    Ok(Json(PageOf::from_page(programs, ProgramView::from)))
}

/// Reads a programme.
#[utoipa::path(get, path = "/programs/{id}", tag = "catalog",
    params(("id" = ProgramId, Path, description = "Hocba's id of the programme")),
    responses((status = 200, body = ProgramView), (status = "4XX", body = Problem)))]
pub async fn get_program(
    State(app): State<AppState>,
    Path(id): Path<ProgramId>,
) -> Result<Json<ProgramView>, ApiError> {
    Ok(Json(app.store.program(id).await?.into()))
}

/// Registers a class: an institution's token for the institution itself (another
/// `institution_id` is 403 `forbidden`), the operator's for any institution. The institution
/// must be accredited for the programme's category on the class's first day, or the answer is
/// 403 `institution-not-accredited` naming the institution and category.
#[utoipa::path(post, path = "/classes", tag = "catalog", security(("bearer" = [])),
    request_body = ClassDraft,
    responses((status = 201, body = ClassView), (status = "4XX", body = Problem)))]
pub async fn post_class(
    State(app): State<AppState>,
    caller: Registrar,
    Json(draft): Json<ClassDraft>,
) -> Result<(StatusCode, Json<ClassView>), ApiError> {
    caller.institution(Some(draft.institution_id))?;
    let class = draft.parse()?;
    let class = app
        .store
        .create_class(&caller.0.actor(), draft.institution_id, draft.program_id, class)
        .await?;
    Ok((StatusCode::CREATED, Json(class.into())))
}

/// Lists classes, optionally of one institution (an institution lists its own with its id) or
/// programme. Anyone may read the list.
#[utoipa::path(get, path = "/classes", tag = "catalog", params(ClassParams),
    responses((status = 200, body = PageOf<ClassView>), (status = "4XX", body = Problem)))]
pub async fn list_classes(
    State(app): State<AppState>,
    Query(params): Query<ClassParams>,
) -> Result<Json<PageOf<ClassView>>, ApiError> {
    let page = PageParams { cursor: params.cursor, limit: params.limit }.request()?;
    let query = ClassQuery { institution: params.institution_id, program: params.program_id };
    let classes = app.store.list_classes(query, page).await?;
    Ok(Json(PageOf::from_page(classes, ClassView::from)))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories))
        .routes(routes!(post_program, list_programs))
        .routes(routes!(get_program))
        .routes(routes!(post_class, list_classes))
}
