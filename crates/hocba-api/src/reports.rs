//! `GET /api/v1/reports/{report}` and its missing lists: who meets the training standards,
//! counted by the database over an agency's subtree, a level and a date, as JSON, CSV or XLSX.
//!
//! The operator reads every report; an agency's HR department those of its own subtree (the
//! agencies its key reaches). The counts are aggregates with small cells suppressed
//! ([`hocba_domain::reports::suppress`]); the missing lists name people, so each read is logged
//! for each official listed.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hocba_domain::compliance::period_around;
use hocba_domain::reports::{
    Breakdown, Counts, ReportId, SUPPRESSION_RULE, SUPPRESSION_THRESHOLD, suppress,
};
use hocba_domain::standards::Period;
use hocba_domain::{AdministrativeLevel, AgencyCode, Invalid, OfficialId, RequirementStatus, Rule};
use hocba_store::{
    Actor, MissingOfficial, MissingQuery, ReportCounts, ReportScope, StoreError, Tally,
};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ReportReader;
use crate::extract::{Json, PageOf, PageParams, Path, Query};
use crate::results::{accepts, csv_with_bom};
use crate::{ApiError, AppState, Problem, today};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A count of people, or nothing when it is too small to show.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Cell {
    /// The count; `null` when suppressed.
    pub value: Option<u64>,
    /// Whether it is suppressed (fewer than 5 people, or it would give such a cell away).
    pub suppressed: bool,
}

impl Cell {
    fn of(value: u64, shown: bool) -> Cell {
        Cell { value: shown.then_some(value), suppressed: !shown }
    }
}

/// One row of a report: a requirement (or all of them), over the whole scope or one group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRow {
    /// The rule's id; `null` on the row of officials meeting every requirement that applies
    /// to them (officials with none meet them all).
    #[schema(example = "R145-N3")]
    pub requirement: Option<String>,
    /// What the row's group is a group of; `null` on the totals.
    pub breakdown: Option<Breakdown>,
    /// The group (`female`, `minority`, `under_35`…); `null` on the totals.
    pub group: Option<String>,
    /// Officials the requirement applies to.
    pub officials: Cell,
    /// Of those, meeting it.
    pub met: Cell,
    /// Not yet meeting it, with time left.
    pub due: Cell,
    /// Not meeting it, and no time left.
    pub missing: Cell,
    /// `met / officials`, 0–1; `null` when either is suppressed or nobody is counted.
    pub met_share: Option<f64>,
    /// Days of training counted toward the requirement, summed over the officials (refreshers).
    pub days_counted: Cell,
    /// The days the officials must do in the period: `minimum_days × officials` (refreshers).
    pub days_required: Option<u64>,
    /// Days each official must do in the period (refreshers).
    pub minimum_days: Option<u32>,
    /// First day of the period counted (refreshers and indicators).
    pub period_from: Option<Date>,
    /// Last day of that period.
    pub period_to: Option<Date>,
    /// The list of officials not meeting the requirement (`due` or `missing`).
    #[schema(example = "/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=2026-12-05")]
    pub missing_list: Option<String>,
}

/// A requirement a report counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRequirement {
    /// The rule's id (`IND-…` for the indicators that are not rules of the standards).
    pub id: String,
    /// Its legal basis, or the definition of the indicator.
    pub legal_basis: String,
}

/// How small cells are suppressed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suppression {
    /// Counts from 1 to one less than this are suppressed.
    pub threshold: u64,
    /// The rule applied, in words.
    pub rule: &'static str,
}

/// The scope counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportScopeView {
    /// The agency whose staff are counted (`null`: every official).
    pub agency_code: Option<String>,
    /// Whether the staff of its sub-units are counted too.
    pub include_subunits: bool,
    /// Only officials holding a post at an agency of this level.
    pub level: Option<AdministrativeLevel>,
}

/// A report of DOMAIN.md §10 as of a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Which report.
    pub report: ReportId,
    /// Its title in Vietnamese.
    pub title_vi: &'static str,
    /// Its title in English.
    pub title_en: &'static str,
    /// The day counted: officials holding a post on it, completions ended by it.
    pub as_of: Date,
    /// Whose officials.
    pub scope: ReportScopeView,
    /// The requirements counted, with their legal basis.
    pub requirements: Vec<ReportRequirement>,
    /// The rows: per requirement, its totals then its groups.
    pub rows: Vec<ReportRow>,
    /// How small cells are suppressed.
    pub suppression: Suppression,
}

/// A report served, and the reports of DOMAIN.md §10 not served yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportIndex {
    /// Reports served: id and titles.
    pub reports: Vec<ReportTitle>,
    /// Reports of DOMAIN.md §10 not served yet, and why.
    pub not_served: Vec<ReportTitle>,
}

/// A report's id and titles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportTitle {
    /// Its id in DOMAIN.md §10.
    pub id: &'static str,
    /// Title in Vietnamese (for those not served: why not).
    pub title_vi: &'static str,
    /// Title in English (for those not served: why not).
    pub title_en: &'static str,
}

const NOT_SERVED: [ReportTitle; 5] = [
    ReportTitle {
        id: "RPT-OVS",
        title_vi: "Chưa có: chỉ tiêu cử đi bồi dưỡng ở nước ngoài chưa được ghi nhận",
        title_en: "Not yet: the yearly overseas quotas are not recorded as data",
    },
    ReportTitle {
        id: "RPT-COMM-QUAL",
        title_vi: "Chưa có: cơ sở dữ liệu chưa lưu trình độ chuyên môn",
        title_en: "Not yet: the registry holds no educational qualifications",
    },
    ReportTitle {
        id: "RPT-COMM-FIT",
        title_vi: "Chưa có: cơ sở dữ liệu chưa lưu trình độ chuyên môn",
        title_en: "Not yet: the registry holds no educational qualifications",
    },
    ReportTitle {
        id: "RPT-COMM-ANNUAL",
        title_vi: "Chưa có",
        title_en: "Not yet (RPT-SKILL and RPT-LAW with level=commune come close)",
    },
    ReportTitle {
        id: "RPT-QUOTA",
        title_vi: "Chưa có: đăng ký, triệu tập, hoãn học chưa được ghi nhận",
        title_en: "Not yet: registrations, convocations and deferrals are not recorded",
    },
];

/// Whose officials, and when.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The day counted (YYYY-MM-DD); today when absent.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub as_of: Option<Date>,
    /// Count the staff of this agency (HR: its own, or one of its sub-units; default: the
    /// agencies its key reaches); every official when absent (operator).
    #[param(example = "G01.H29")]
    pub agency_code: Option<String>,
    /// Count the staff of the agency's sub-units too (default `true`).
    pub include_subunits: Option<bool>,
    /// Only officials holding a post at an agency of this level.
    pub level: Option<AdministrativeLevel>,
    /// Break the counts down by this (RPT-PRIORITY: by all three when absent).
    pub breakdown: Option<Breakdown>,
}

/// Which requirement's missing list, and its page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MissingParams {
    /// The requirement (a rule id the report counts).
    #[param(example = "R145-N3")]
    pub requirement: String,
    /// As in the report.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub as_of: Option<Date>,
    /// As in the report.
    pub agency_code: Option<String>,
    /// As in the report.
    pub include_subunits: Option<bool>,
    /// As in the report.
    pub level: Option<AdministrativeLevel>,
    /// Opaque cursor from the previous page's `next_cursor`.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// An official not meeting a requirement.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingView {
    /// Hocba's id (their compliance: `/api/v1/officials/{id}/compliance`).
    pub official_id: OfficialId,
    /// Full name.
    pub full_name: String,
    /// `due` (time left) or `missing`.
    pub status: RequirementStatus,
    /// Days counted toward the requirement so far.
    pub days_counted: u64,
}

impl From<MissingOfficial> for MissingView {
    fn from(official: MissingOfficial) -> Self {
        MissingView {
            official_id: official.id,
            full_name: official.full_name.as_str().to_owned(),
            status: official.status,
            days_counted: official.days_counted,
        }
    }
}

/// The agencies counted: those asked for, within what the reader may read.
async fn scope_of(
    app: &AppState,
    reader: &Actor,
    agency_code: Option<&str>,
    include_subunits: bool,
    level: Option<AdministrativeLevel>,
) -> Result<ReportScope, ApiError> {
    let asked = match agency_code {
        Some(raw) => {
            let code =
                AgencyCode::parse(raw).map_err(|error| Invalid::field("agency_code", error))?;
            app.store.agency(&code).await.map_err(|error| match error {
                StoreError::NotFound { .. } => ApiError::BadParameter {
                    field: "agency_code".to_owned(),
                    reason: "is not in the directory of agencies".to_owned(),
                },
                other => other.into(),
            })?;
            Some(app.store.agencies_reached(&code, include_subunits).await?)
        }
        None => None,
    };
    let agencies = match reader {
        Actor::Agency { agency_code, include_subunits, .. } => {
            let allowed = app.store.agencies_reached(agency_code, *include_subunits).await?;
            match asked {
                Some(asked) if asked.iter().all(|code| allowed.contains(code)) => Some(asked),
                Some(_) => return Err(ApiError::Forbidden),
                None => Some(allowed),
            }
        }
        _ => asked,
    };
    Ok(ReportScope { agencies, level })
}

/// The reports served, and those of DOMAIN.md §10 not served yet (operator and HR).
#[utoipa::path(get, path = "/reports", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = ReportIndex), (status = "4XX", body = Problem)))]
pub async fn list_reports(ReportReader(_): ReportReader) -> Json<ReportIndex> {
    let reports = ReportId::ALL
        .into_iter()
        .map(|report| {
            let (title_vi, title_en) = report.titles();
            ReportTitle { id: report.as_str(), title_vi, title_en }
        })
        .collect();
    Json(ReportIndex { reports, not_served: NOT_SERVED.into() })
}

/// A report as of a date over an agency's subtree and a level, broken down by gender,
/// ethnicity or age band, counted by the database, small cells suppressed (operator; HR for
/// its subtree). `Accept: text/csv` gives CSV (UTF-8 with a byte-order mark), `Accept:
/// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` a workbook.
#[utoipa::path(get, path = "/reports/{report}", tag = "reports", security(("bearer" = [])),
    params(("report" = ReportId, Path, description = "The report, as in DOMAIN.md §10"), ReportParams),
    responses(
        (status = 200, description = "The report",
            content((ReportView = "application/json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = "4XX", body = Problem)))]
pub async fn get_report(
    State(app): State<AppState>,
    ReportReader(reader): ReportReader,
    headers: HeaderMap,
    Path(report): Path<ReportId>,
    Query(params): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let view = compute_report(&app, &reader.actor(), report, &params).await?;
    if accepts(&headers, XLSX) {
        return xlsx_download(&view);
    }
    if accepts(&headers, "text/csv") {
        return csv_download(&view);
    }
    Ok(Json(view).into_response())
}

/// A report as `reader` may see it, with `params` as the API takes them: what
/// `GET /api/v1/reports/{report}` answers, and what the dashboard draws.
pub(crate) async fn compute_report(
    app: &AppState,
    reader: &Actor,
    report: ReportId,
    params: &ReportParams,
) -> Result<ReportView, ApiError> {
    let as_of = params.as_of.unwrap_or_else(today);
    let include_subunits = params.include_subunits.unwrap_or(true);
    let scope =
        scope_of(app, reader, params.agency_code.as_deref(), include_subunits, params.level)
            .await?;
    let breakdowns = params.breakdown.map_or_else(|| report.default_breakdowns(), |b| vec![b]);
    let counts = app.store.report_counts(report, as_of, &scope, &breakdowns).await?;
    let link = MissingLink { report, as_of, params, include_subunits };
    Ok(report_view(report, as_of, params, include_subunits, &counts, &link))
}

/// The file name of a report's download, without its extension.
fn file_name(view: &ReportView) -> String {
    format!("{}-{}", view.report.as_str(), view.as_of)
}

/// The report as an XLSX workbook to download.
pub(crate) fn xlsx_download(view: &ReportView) -> Result<Response, ApiError> {
    let disposition = format!("attachment; filename=\"{}.xlsx\"", file_name(view));
    let headers =
        [(header::CONTENT_TYPE, XLSX.to_owned()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, workbook(view)?).into_response())
}

/// The report as CSV to download (UTF-8 with a byte-order mark, for spreadsheets).
pub(crate) fn csv_download(view: &ReportView) -> Result<Response, ApiError> {
    let disposition = format!("attachment; filename=\"{}.csv\"", file_name(view));
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    let rows: Vec<CsvRow> = view.rows.iter().map(|row| CsvRow::of(view, row)).collect();
    Ok((headers, csv_with_bom(&CSV_COLUMNS, &rows)?).into_response())
}

/// The officials in the report's scope not meeting one of its requirements, a page at a time
/// (operator; HR for its subtree). Each official listed has the read logged in their read log.
#[utoipa::path(get, path = "/reports/{report}/missing", tag = "reports", security(("bearer" = [])),
    params(("report" = ReportId, Path, description = "The report, as in DOMAIN.md §10"), MissingParams),
    responses((status = 200, body = PageOf<MissingView>), (status = "4XX", body = Problem)))]
pub async fn get_missing(
    State(app): State<AppState>,
    ReportReader(reader): ReportReader,
    Path(report): Path<ReportId>,
    Query(params): Query<MissingParams>,
) -> Result<Json<PageOf<MissingView>>, ApiError> {
    let purpose = "GET /api/v1/reports/{report}/missing";
    Ok(Json(list_missing(&app, &reader.actor(), report, &params, purpose).await?))
}

/// A page of a missing list as `reader` may see it, each official listed logged as read for
/// `purpose`: what `GET /api/v1/reports/{report}/missing` answers, and the dashboard lists.
pub(crate) async fn list_missing(
    app: &AppState,
    reader: &Actor,
    report: ReportId,
    params: &MissingParams,
    purpose: &str,
) -> Result<PageOf<MissingView>, ApiError> {
    let page = PageParams { cursor: params.cursor.clone(), limit: params.limit }.request()?;
    let as_of = params.as_of.unwrap_or_else(today);
    let include_subunits = params.include_subunits.unwrap_or(true);
    let scope =
        scope_of(app, reader, params.agency_code.as_deref(), include_subunits, params.level)
            .await?;
    let query = MissingQuery { report, requirement: params.requirement.clone(), as_of, scope };
    let listed = app.store.report_missing(reader, purpose, &query, page).await?;
    Ok(PageOf::from_page(listed, MissingView::from))
}

/// Builds the link of a row to its missing list, with the report's filters.
struct MissingLink<'a> {
    report: ReportId,
    as_of: Date,
    params: &'a ReportParams,
    include_subunits: bool,
}

impl MissingLink<'_> {
    fn to(&self, requirement: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("requirement", requirement);
        query.append_pair("as_of", &self.as_of.to_string());
        if let Some(code) = &self.params.agency_code {
            query.append_pair("agency_code", code);
            query.append_pair("include_subunits", &self.include_subunits.to_string());
        }
        if let Some(level) = self.params.level {
            query.append_pair("level", level.as_str());
        }
        format!("/api/v1/reports/{}/missing?{}", self.report.as_str(), query.finish())
    }
}

/// The counts of `tallies` for `requirement`, per group (`None`: the totals).
fn counts_of(tallies: &[Tally], requirement: Option<&str>, group: Option<&str>) -> Counts {
    let mut counts = Counts::default();
    for tally in tallies.iter().filter(|tally| {
        tally.requirement.as_deref() == requirement && tally.group.as_deref() == group
    }) {
        counts.add(tally.status, tally.officials, tally.days);
    }
    counts
}

fn report_view(
    report: ReportId,
    as_of: Date,
    params: &ReportParams,
    include_subunits: bool,
    counts: &ReportCounts,
    link: &MissingLink<'_>,
) -> ReportView {
    let (title_vi, title_en) = report.titles();
    let mut requirements: Vec<Option<&Rule>> = counts.rules.iter().map(Some).collect();
    if report.has_all_row() {
        requirements.insert(0, None);
    }
    let mut rows = Vec::new();
    for rule in requirements {
        let id = rule.map(|rule| rule.id.as_str());
        let totals = counts_of(&counts.tallies[0].1, id, None);
        // A rule in force that applies to nobody in scope is not one of the scope's requirements.
        if rule.is_some() && totals.officials == 0 {
            continue;
        }
        // The totals are shown only where every table they head shows them.
        let mut totals_shown = suppress(&[totals])[0];
        let mut group_rows = Vec::new();
        for (breakdown, tallies) in &counts.tallies {
            let Some(breakdown) = breakdown else { continue };
            let groups = breakdown.groups().iter().map(|group| counts_of(tallies, id, Some(group)));
            let table: Vec<Counts> = std::iter::once(totals).chain(groups).collect();
            let shown = suppress(&table);
            for (cell, also) in totals_shown.iter_mut().zip(shown[0]) {
                *cell = *cell && also;
            }
            for ((row, shown), group) in table.iter().zip(&shown).skip(1).zip(breakdown.groups()) {
                group_rows.push(row_view(
                    rule,
                    Some((*breakdown, group)),
                    row,
                    *shown,
                    as_of,
                    link,
                ));
            }
        }
        rows.push(row_view(rule, None, &totals, totals_shown, as_of, link));
        rows.append(&mut group_rows);
    }
    ReportView {
        report,
        title_vi,
        title_en,
        as_of,
        scope: ReportScopeView {
            agency_code: params.agency_code.clone(),
            include_subunits: params.agency_code.is_some() && include_subunits,
            level: params.level,
        },
        requirements: counts
            .rules
            .iter()
            .map(|rule| ReportRequirement {
                id: rule.id.clone(),
                legal_basis: rule.legal_basis.clone(),
            })
            .collect(),
        rows,
        suppression: Suppression { threshold: SUPPRESSION_THRESHOLD, rule: SUPPRESSION_RULE },
    }
}

fn row_view(
    rule: Option<&Rule>,
    group: Option<(Breakdown, &str)>,
    counts: &Counts,
    shown: [bool; 4],
    as_of: Date,
    link: &MissingLink<'_>,
) -> ReportRow {
    let period = match rule.map(|rule| rule.period) {
        Some(Period::Every { years, anchor }) => Some(period_around(anchor, years, as_of)),
        _ => None,
    };
    let refresher = period.is_some();
    let minimum_days = rule.and_then(|rule| rule.minimum_days).filter(|_| refresher);
    let met_share = (shown[0] && shown[1] && counts.officials > 0)
        .then(|| counts.met as f64 / counts.officials as f64);
    ReportRow {
        requirement: rule.map(|rule| rule.id.clone()),
        breakdown: group.map(|(breakdown, _)| breakdown),
        group: group.map(|(_, group)| group.to_owned()),
        officials: Cell::of(counts.officials, shown[0]),
        met: Cell::of(counts.met, shown[1]),
        due: Cell::of(counts.due, shown[2]),
        missing: Cell::of(counts.missing, shown[3]),
        met_share,
        days_counted: Cell::of(counts.days, shown[0] && refresher),
        days_required: minimum_days
            .filter(|_| shown[0])
            .map(|days| u64::from(days) * counts.officials),
        minimum_days,
        period_from: period.map(|(from, _)| from),
        period_to: period.map(|(_, to)| to),
        missing_list: rule.map(|rule| link.to(&rule.id)),
    }
}

/// A row as a line of CSV or of a workbook: suppressed cells are empty, and named in the last
/// column.
#[derive(Debug, Serialize)]
struct CsvRow {
    report: &'static str,
    as_of: Date,
    requirement: String,
    breakdown: &'static str,
    group: String,
    officials: Option<u64>,
    met: Option<u64>,
    due: Option<u64>,
    missing: Option<u64>,
    met_share: Option<f64>,
    days_counted: Option<u64>,
    days_required: Option<u64>,
    minimum_days: Option<u32>,
    period_from: Option<Date>,
    period_to: Option<Date>,
    suppressed: String,
}

const CSV_COLUMNS: [&str; 16] = [
    "report",
    "as_of",
    "requirement",
    "breakdown",
    "group",
    "officials",
    "met",
    "due",
    "missing",
    "met_share",
    "days_counted",
    "days_required",
    "minimum_days",
    "period_from",
    "period_to",
    "suppressed",
];

impl CsvRow {
    fn of(view: &ReportView, row: &ReportRow) -> CsvRow {
        let cells = [
            ("officials", row.officials),
            ("met", row.met),
            ("due", row.due),
            ("missing", row.missing),
        ];
        let suppressed: Vec<&str> =
            cells.iter().filter(|(_, cell)| cell.suppressed).map(|(name, _)| *name).collect();
        CsvRow {
            report: view.report.as_str(),
            as_of: view.as_of,
            requirement: row.requirement.clone().unwrap_or_else(|| "ALL".to_owned()),
            breakdown: row.breakdown.map_or("", Breakdown::as_str),
            group: row.group.clone().unwrap_or_default(),
            officials: row.officials.value,
            met: row.met.value,
            due: row.due.value,
            missing: row.missing.value,
            met_share: row.met_share,
            days_counted: row.days_counted.value,
            days_required: row.days_required,
            minimum_days: row.minimum_days,
            period_from: row.period_from,
            period_to: row.period_to,
            suppressed: suppressed.join(" "),
        }
    }
}

/// The report as an XLSX workbook: its title, the table, and the suppression rule.
fn workbook(view: &ReportView) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(view.report.as_str()).map_err(ApiError::internal)?;
    let bold = Format::new().set_bold();
    let title = format!("{} — {} ({})", view.title_vi, view.title_en, view.as_of);
    sheet.write_string_with_format(0, 0, &title, &bold).map_err(ApiError::internal)?;
    for (column, name) in (0u16..).zip(CSV_COLUMNS) {
        sheet.write_string_with_format(2, column, name, &bold).map_err(ApiError::internal)?;
    }
    let mut line = 3u32;
    for row in &view.rows {
        let csv = CsvRow::of(view, row);
        let texts = [
            (0, Some(csv.report.to_owned())),
            (1, Some(csv.as_of.to_string())),
            (2, Some(csv.requirement)),
            (3, Some(csv.breakdown.to_owned())),
            (4, Some(csv.group)),
            (13, csv.period_from.map(|day| day.to_string())),
            (14, csv.period_to.map(|day| day.to_string())),
            (15, Some(csv.suppressed)),
        ];
        for (column, text) in texts {
            if let Some(text) = text {
                sheet.write_string(line, column, text).map_err(ApiError::internal)?;
            }
        }
        let numbers = [
            (5, csv.officials.map(|n| n as f64)),
            (6, csv.met.map(|n| n as f64)),
            (7, csv.due.map(|n| n as f64)),
            (8, csv.missing.map(|n| n as f64)),
            (9, csv.met_share),
            (10, csv.days_counted.map(|n| n as f64)),
            (11, csv.days_required.map(|n| n as f64)),
            (12, csv.minimum_days.map(f64::from)),
        ];
        for (column, number) in numbers {
            if let Some(number) = number {
                sheet.write_number(line, column, number).map_err(ApiError::internal)?;
            }
        }
        line += 1;
    }
    sheet.write_string(line + 1, 0, view.suppression.rule).map_err(ApiError::internal)?;
    book.save_to_buffer().map_err(ApiError::internal)
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports))
        .routes(routes!(get_report))
        .routes(routes!(get_missing))
}
