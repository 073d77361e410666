//! `/api/v1/officials`: register officials, look them up, record their employment.
//!
//! National ID numbers never travel in URLs (they end up in proxy and access logs): lookups and
//! searches are `POST`s with a JSON body. Every read of an official's record is logged, and the
//! official can see who read it.

use axum::extract::State;
use axum::http::StatusCode;
use hocba_domain::{
    AdministrativeLevel, AgencyCode, EmploymentDraft, EmploymentId, Gender, Invalid,
    LeadershipGroup, LeadershipLevel, NationalId, OfficialDraft, OfficialId, TransferDraft,
};
use hocba_store::{Actor, EmploymentRecord, Official, OfficialQuery, OfficialSummary, ReaderKind};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Admin, ReadLogReader, RecordReader};
use crate::extract::{Json, PageOf, PageParams, Path};
use crate::{ApiError, AppState, Problem, today};

/// One employment period.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmploymentView {
    /// Id of the period: name it to end, correct or transfer from it. Ending or correcting a
    /// period stores a new one, with a new id, that supersedes it.
    pub id: EmploymentId,
    /// Agency code.
    pub agency_code: String,
    /// Agency name during the period.
    pub agency_name: String,
    /// Administrative level.
    pub level: AdministrativeLevel,
    /// Rank or professional-title code.
    pub rank_code: Option<String>,
    /// Title of the leadership post.
    pub position_title: Option<String>,
    /// Level of the leadership post.
    pub leadership_level: Option<LeadershipLevel>,
    /// Regulation 145 group.
    pub leadership_group: Option<LeadershipGroup>,
    /// First day.
    pub valid_from: Date,
    /// Last day, if ended.
    pub valid_to: Option<Date>,
    /// When the period was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The period this one replaced, if it records an end or a correction.
    pub supersedes: Option<EmploymentId>,
    /// The period that replaced this one (only in `superseded_employments`).
    pub superseded_by: Option<EmploymentId>,
}

impl From<EmploymentRecord> for EmploymentView {
    fn from(record: EmploymentRecord) -> Self {
        let period = record.employment;
        EmploymentView {
            id: record.id,
            agency_code: period.agency_code.as_str().to_owned(),
            agency_name: period.agency_name,
            level: period.level,
            rank_code: period.rank.map(|rank| rank.as_str().to_owned()),
            position_title: period.position_title,
            leadership_level: period.leadership_level,
            leadership_group: period.leadership_group,
            valid_from: period.validity.from,
            valid_to: period.validity.to,
            recorded_at: record.recorded_at,
            supersedes: record.supersedes,
            superseded_by: record.superseded_by,
        }
    }
}

/// An official's identity and employment history.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficialView {
    /// Hocba's id: use it in URLs.
    pub id: OfficialId,
    /// Personal identification number.
    pub national_id: String,
    /// Full name (NFC).
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex.
    pub gender: Gender,
    /// Ethnic group code (sensitive).
    pub ethnicity_code: Option<u8>,
    /// When the official was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Employment periods in effect, earliest first: the periods that decide which agencies'
    /// HR departments read this record.
    pub employments: Vec<EmploymentView>,
    /// Periods an end or a correction replaced, earliest first, each naming its successor: the
    /// history as it was recorded. They count for nothing.
    pub superseded_employments: Vec<EmploymentView>,
}

impl From<Official> for OfficialView {
    fn from(official: Official) -> Self {
        OfficialView {
            id: official.id,
            national_id: official.national_id.expose().to_owned(),
            full_name: official.full_name.as_str().to_owned(),
            date_of_birth: official.date_of_birth,
            gender: official.gender,
            ethnicity_code: official.ethnicity_code,
            created_at: official.created_at,
            employments: official.employments.into_iter().map(EmploymentView::from).collect(),
            superseded_employments: official
                .superseded_employments
                .into_iter()
                .map(EmploymentView::from)
                .collect(),
        }
    }
}

/// An official in search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficialSummaryView {
    /// Hocba's id.
    pub id: OfficialId,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: i32,
}

impl From<OfficialSummary> for OfficialSummaryView {
    fn from(summary: OfficialSummary) -> Self {
        OfficialSummaryView {
            id: summary.id,
            full_name: summary.full_name.as_str().to_owned(),
            birth_year: summary.birth_year,
        }
    }
}

/// Look an official up by national ID number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    /// The 12-digit personal identification number.
    #[schema(example = "001085012345")]
    pub national_id: String,
}

/// Search officials; every filter given must match.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// Fragment of the name, with or without diacritics (`nguyen van an` finds `Nguyễn Văn An`).
    pub name: Option<String>,
    /// Agency code of an employment period in force on `on`.
    pub agency_code: Option<String>,
    /// Whether a period at one of the agency's sub-units counts too (operator; an HR key's
    /// search counts them when the key covers sub-units). `false` when absent.
    pub include_subunits: Option<bool>,
    /// Day the agency filter refers to; today when absent.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub on: Option<Date>,
    /// Cursor from the previous page.
    #[schema(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[schema(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The path of one employment period of an official. Its ids are parsed here, not by the path
/// extractor, which cannot tell which of two ids was malformed.
#[derive(Debug, Deserialize)]
pub struct PeriodPath {
    id: String,
    employment_id: String,
}

impl PeriodPath {
    fn ids(&self) -> Result<(OfficialId, EmploymentId), ApiError> {
        let parse = |field: &str, raw: &str| {
            Uuid::parse_str(raw).map_err(|error| ApiError::BadParameter {
                field: field.to_owned(),
                reason: error.to_string(),
            })
        };
        let official = OfficialId::from_uuid(parse("id", &self.id)?);
        Ok((official, EmploymentId::from_uuid(parse("employment_id", &self.employment_id)?)))
    }
}

/// The end of an employment period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndEmploymentBody {
    /// Last day of the period (the decision's effective date of leaving, minus nothing: the
    /// official is at the post on that day, and gone the day after).
    pub valid_to: Date,
}

/// Who read an official's record.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderKindView {
    /// The registry's operator.
    Operator,
    /// A training institution.
    Institution,
    /// An agency's HR department.
    Agency,
    /// An official signed in (see `own`).
    Official,
    /// Someone who opened a share link the official made (`key_label`: the link's label).
    ShareLink,
    /// A machine client (`reader_name`: its name), under the official's consent
    /// (`consent_purpose`) or its agency's HR rule.
    Client,
    /// The registry itself.
    System,
}

impl From<ReaderKind> for ReaderKindView {
    fn from(kind: ReaderKind) -> Self {
        match kind {
            ReaderKind::Operator => ReaderKindView::Operator,
            ReaderKind::Institution => ReaderKindView::Institution,
            ReaderKind::Agency => ReaderKindView::Agency,
            ReaderKind::Official => ReaderKindView::Official,
            ReaderKind::ShareLink => ReaderKindView::ShareLink,
            ReaderKind::Client => ReaderKindView::Client,
            ReaderKind::System => ReaderKindView::System,
        }
    }
}

/// A record of someone reading an official's record, naming the reader as people would.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordReadView {
    /// Who read it, as logged (`agency:G01.H29/<key id>`, `admin:<token id>`,
    /// `client:<API client id>`, `machine:<machine client id>`, `official:<official id>`,
    /// `share:<share link id>`).
    pub reader: String,
    /// What kind of reader.
    pub reader_kind: ReaderKindView,
    /// The agency's or institution's name (`Sở Nội vụ thành phố Hà Nội`), or the machine
    /// client's (`Cổng Dịch vụ công quốc gia`).
    pub reader_name: Option<String>,
    /// The label of the HR key, API client or operator token used, or of the share link
    /// opened.
    pub key_label: Option<String>,
    /// Whether the official read their own record.
    pub own_read: bool,
    /// Through which route.
    pub purpose: String,
    /// For a machine client's read under the official's consent: the consent's purpose, in the
    /// official's words.
    pub consent_purpose: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub read_at: OffsetDateTime,
}

/// Registers an official with their current employment period (operator only).
#[utoipa::path(post, path = "/officials", tag = "officials", security(("bearer" = [])),
    request_body = OfficialDraft,
    responses((status = 201, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn post_official(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(draft): Json<OfficialDraft>,
) -> Result<(StatusCode, Json<OfficialView>), ApiError> {
    let official = draft.parse(today())?;
    let official = app.store.create_official(&admin.actor(), official).await?;
    Ok((StatusCode::CREATED, Json(official.into())))
}

/// Reads an official's record by Hocba id (operator, the HR department of the agency that
/// employs them today, or the official); the read is logged for the official.
#[utoipa::path(get, path = "/officials/{id}", tag = "officials", security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses((status = 200, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn get_official(
    State(app): State<AppState>,
    RecordReader(reader): RecordReader,
    Path(id): Path<OfficialId>,
) -> Result<Json<OfficialView>, ApiError> {
    let official =
        app.store.read_official(&reader.actor(), "GET /api/v1/officials/{id}", id).await?;
    Ok(Json(official.into()))
}

/// Finds an official by national ID number, sent in the body, never in the URL (operator, the
/// HR department of the agency that employs them today, or the official); the read is logged.
#[utoipa::path(post, path = "/officials/lookup", tag = "officials", security(("bearer" = [])),
    request_body = LookupBody,
    responses((status = 200, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn lookup_official(
    State(app): State<AppState>,
    RecordReader(reader): RecordReader,
    Json(body): Json<LookupBody>,
) -> Result<Json<OfficialView>, ApiError> {
    let national_id = NationalId::parse_format(&body.national_id)
        .map_err(|error| Invalid::field("national_id", error))?;
    let official = app
        .store
        .lookup_official(&reader.actor(), "POST /api/v1/officials/lookup", &national_id)
        .await?;
    Ok(Json(official.into()))
}

/// Searches officials by accent-insensitive name and by agency (operator; an HR department
/// searches its own staff of today only: `agency_code`, if given, must be its own, and `on`
/// is today; its key's `include_subunits` decides whether sub-units' staff count).
#[utoipa::path(post, path = "/officials/search", tag = "officials", security(("bearer" = [])),
    request_body = SearchBody,
    responses((status = 200, body = PageOf<OfficialSummaryView>), (status = "4XX", body = Problem)))]
pub async fn search_officials(
    State(app): State<AppState>,
    RecordReader(reader): RecordReader,
    Json(body): Json<SearchBody>,
) -> Result<Json<PageOf<OfficialSummaryView>>, ApiError> {
    let page = PageParams { cursor: body.cursor, limit: body.limit }.request()?;
    let asked = body
        .agency_code
        .as_deref()
        .map(AgencyCode::parse)
        .transpose()
        .map_err(|error| Invalid::field("agency_code", error))?;
    if reader.official_id().is_some() {
        // An official reads their own record; they do not search for others.
        return Err(ApiError::Forbidden);
    }
    let key_covers_subunits =
        matches!(reader.actor(), Actor::Agency { include_subunits: true, .. });
    let (agency, on, include_subunits) = match (reader.agency().cloned(), asked) {
        (Some(own), Some(asked)) if asked != own => return Err(ApiError::Forbidden),
        (Some(own), _) => (Some(own), today(), key_covers_subunits),
        (None, asked) => {
            (asked, body.on.unwrap_or_else(today), body.include_subunits.unwrap_or(false))
        }
    };
    let query = OfficialQuery { name: body.name, on: Some(on), agency, include_subunits };
    let found = app.store.search_officials(&query, page).await?;
    Ok(Json(PageOf::from_page(found, OfficialSummaryView::from)))
}

/// Appends an employment period beside those in effect (operator only): a first or a
/// concurrent post (kiêm nhiệm). It ends no other period; to move an official from one post to
/// another, use `POST /officials/{id}/transfers`.
#[utoipa::path(post, path = "/officials/{id}/employments", tag = "officials", security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    request_body = EmploymentDraft,
    responses((status = 201, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn post_employment(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<OfficialId>,
    Json(draft): Json<EmploymentDraft>,
) -> Result<(StatusCode, Json<OfficialView>), ApiError> {
    let employment = draft.parse()?;
    let official = app.store.add_employment(&admin.actor(), id, employment).await?;
    Ok((StatusCode::CREATED, Json(official.into())))
}

/// Ends a period in effect on `valid_to` (operator only): a new period, the same but for its
/// end, supersedes it. From the day after, the agency's HR department no longer reads the
/// official (unless another period in effect places them there). A period that already ends on
/// or before that day is refused (`422`, a correction changes an end); so is one already
/// superseded.
#[utoipa::path(post, path = "/officials/{id}/employments/{employment_id}/end", tag = "officials",
    security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official"),
        ("employment_id" = EmploymentId, Path, description = "The period in effect to end")),
    request_body = EndEmploymentBody,
    responses((status = 200, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn end_employment(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(path): Path<PeriodPath>,
    Json(body): Json<EndEmploymentBody>,
) -> Result<Json<OfficialView>, ApiError> {
    let (id, employment_id) = path.ids()?;
    let official =
        app.store.end_employment(&admin.actor(), id, employment_id, body.valid_to).await?;
    Ok(Json(official.into()))
}

/// Moves an official from one post to the next (operator only): a transfer, a rotation, a new
/// appointment or rank. The period left ends on `valid_to` (by default the day before the new
/// period starts) and the new period starts after it, in one transaction and one audit event.
#[utoipa::path(post, path = "/officials/{id}/transfers", tag = "officials", security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    request_body = TransferDraft,
    responses((status = 201, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn post_transfer(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<OfficialId>,
    Json(draft): Json<TransferDraft>,
) -> Result<(StatusCode, Json<OfficialView>), ApiError> {
    let transfer = draft.parse()?;
    let official = app.store.transfer_official(&admin.actor(), id, transfer).await?;
    Ok((StatusCode::CREATED, Json(official.into())))
}

/// Corrects a period in effect (operator only): the body states the period in full, as it
/// should have been recorded; it is stored as a new period that supersedes the old one, which
/// stays in `superseded_employments`.
#[utoipa::path(post, path = "/officials/{id}/employments/{employment_id}/correct",
    tag = "officials", security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official"),
        ("employment_id" = EmploymentId, Path, description = "The period in effect to correct")),
    request_body = EmploymentDraft,
    responses((status = 201, body = OfficialView), (status = "4XX", body = Problem)))]
pub async fn correct_employment(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Path(path): Path<PeriodPath>,
    Json(draft): Json<EmploymentDraft>,
) -> Result<(StatusCode, Json<OfficialView>), ApiError> {
    let (id, employment_id) = path.ids()?;
    let corrected = draft.parse()?;
    let official =
        app.store.correct_employment(&admin.actor(), id, employment_id, corrected).await?;
    Ok((StatusCode::CREATED, Json(official.into())))
}

/// Who has read this official's record, and through which route (the operator, or the official
/// signed in): each reader named as people would (the agency's name and the key's label, the
/// institution's name, the operator's token label), the official's own reads marked.
#[utoipa::path(get, path = "/officials/{id}/reads", tag = "officials", security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses((status = 200, body = Vec<RecordReadView>), (status = "4XX", body = Problem)))]
pub async fn get_record_reads(
    State(app): State<AppState>,
    ReadLogReader(reader): ReadLogReader,
    Path(id): Path<OfficialId>,
) -> Result<Json<Vec<RecordReadView>>, ApiError> {
    let reads = app.store.record_reads(&reader.actor(), id).await?;
    Ok(Json(
        reads
            .into_iter()
            .map(|read| RecordReadView {
                reader: read.reader,
                reader_kind: read.kind.into(),
                reader_name: read.organisation,
                key_label: read.key_label,
                own_read: read.own,
                purpose: read.purpose,
                consent_purpose: read.consent_purpose,
                read_at: read.read_at,
            })
            .collect(),
    ))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_official))
        .routes(routes!(get_official))
        .routes(routes!(lookup_official))
        .routes(routes!(search_officials))
        .routes(routes!(post_employment))
        .routes(routes!(end_employment))
        .routes(routes!(post_transfer))
        .routes(routes!(correct_employment))
        .routes(routes!(get_record_reads))
}
