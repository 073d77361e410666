//! `/reports`: the coverage reports as a dashboard, for the registry's operator (the whole
//! country) and an HR department (the agencies its key reaches), once signed in.
//!
//! The page shows exactly what `GET /api/v1/reports/{report}` computes for the same reader and
//! filters (it calls the same [`compute_report`]): the headline share of officials meeting each
//! requirement, then each requirement broken down by gender, ethnicity or age band, every chart
//! ([`super::chart`]) beside the table of its figures. A suppressed cell is written as
//! suppressed, never as 0. The filters are a GET form, so a view is a link; the CSV and XLSX
//! downloads and the missing lists take the same query and the same session.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use hocba_domain::reports::{Breakdown, ReportId};
use hocba_domain::{AdministrativeLevel, AgencyCode, RequirementStatus, dates};
use hocba_store::{Actor, Principal, Role};
use serde::Deserialize;
use time::Date;

use super::chart::{Chart, Measure};
use super::session::SignedIn;
use super::stated::vietnamese_day;
use super::{Layout, Nav, PageError, Url, page};
use crate::reports::{
    Cell, MissingParams, MissingView, ReportParams, ReportRow, ReportView, compute_report,
    csv_download, list_missing, xlsx_download,
};
use crate::{ApiError, AppState, today};

/// Why a missing list's reading is logged for each official listed.
const MISSING_PURPOSE: &str = "GET /reports/missing";

/// The dashboard's query as a browser sends its form: every field is text, and a field left
/// empty counts as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Asked {
    report: Option<String>,
    as_of: Option<String>,
    agency_code: Option<String>,
    include_subunits: Option<String>,
    level: Option<String>,
    breakdown: Option<String>,
    /// Missing lists: which requirement.
    requirement: Option<String>,
    /// Missing lists: which page.
    cursor: Option<String>,
}

impl Asked {
    /// Reads a query string; a malformed one (a field twice, say) is a bad request.
    fn read(query: Option<&str>) -> Result<Asked, PageError> {
        serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| PageError::BadForm(StatusCode::BAD_REQUEST))
    }
}

/// A field's text, trimmed; `None` when empty.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// Why the filters were not applied, each shown beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterError {
    /// Not a report the registry serves.
    Report,
    /// Not a date.
    AsOf,
    /// Not an administrative level.
    Level,
    /// Not a breakdown.
    Breakdown,
    /// Neither yes nor no.
    Subunits,
    /// Not an agency code, or not in the directory.
    AgencyUnknown,
    /// An agency outside the HR department's subtree.
    AgencyOutside,
}

impl FilterError {
    /// The form field it is about.
    fn field(self) -> &'static str {
        match self {
            FilterError::Report => "report",
            FilterError::AsOf => "as_of",
            FilterError::Level => "level",
            FilterError::Breakdown => "breakdown",
            FilterError::Subunits => "include_subunits",
            FilterError::AgencyUnknown | FilterError::AgencyOutside => "agency_code",
        }
    }

    /// As the API answers the same filters: 403 outside the subtree, else 400.
    fn status(self) -> StatusCode {
        match self {
            FilterError::AgencyOutside => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The dashboard's filters, parsed: the report, its day and its scope, as the API takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filters {
    pub report: ReportId,
    pub as_of: Date,
    /// An agency of the reader's scope (empty: the whole scope).
    pub agency_code: String,
    pub include_subunits: bool,
    pub level: Option<AdministrativeLevel>,
    /// The API's `breakdown` parameter: `None` gives the report's default (RPT-PRIORITY: all
    /// three; the others: none).
    pub breakdown: Option<Breakdown>,
}

impl Filters {
    /// The filters asked for, with `today` as the default day. A field that cannot be read
    /// keeps its default, so that the form can be shown again, and the first such is the error.
    pub fn parse(asked: &Asked, today: Date) -> (Filters, Option<FilterError>) {
        let mut errors = Vec::new();
        let mut read = |field: &Option<String>, error: FilterError| {
            let text = given(field)?;
            let parsed = match error {
                FilterError::Report => ReportId::parse(text).map(Parsed::Report),
                FilterError::AsOf => dates::parse(text).and_then(dates::held).map(Parsed::Day),
                FilterError::Level => level(text).map(Parsed::Level),
                FilterError::Breakdown => breakdown(text).map(Parsed::Breakdown),
                _ => match text {
                    "true" => Some(Parsed::Yes(true)),
                    "false" => Some(Parsed::Yes(false)),
                    _ => None,
                },
            };
            if parsed.is_none() {
                errors.push(error);
            }
            parsed
        };
        let report = match read(&asked.report, FilterError::Report) {
            Some(Parsed::Report(report)) => report,
            _ => ReportId::Standards,
        };
        let as_of = match read(&asked.as_of, FilterError::AsOf) {
            Some(Parsed::Day(day)) => day,
            _ => today,
        };
        let level = match read(&asked.level, FilterError::Level) {
            Some(Parsed::Level(level)) => Some(level),
            _ => None,
        };
        // The page breaks the figures down by gender unless told otherwise, where the report has
        // no breakdown of its own: a dashboard is about who is behind.
        let breakdown = match read(&asked.breakdown, FilterError::Breakdown) {
            Some(Parsed::Breakdown(chosen)) => chosen,
            _ if report.default_breakdowns().is_empty() => Some(Breakdown::Gender),
            _ => None,
        };
        let include_subunits = match read(&asked.include_subunits, FilterError::Subunits) {
            Some(Parsed::Yes(yes)) => yes,
            _ => true,
        };
        let agency_code = given(&asked.agency_code).unwrap_or_default().to_owned();
        let filters = Filters { report, as_of, agency_code, include_subunits, level, breakdown };
        (filters, errors.first().copied())
    }

    /// The API's parameters for these filters.
    pub fn params(&self) -> ReportParams {
        let agency = (!self.agency_code.is_empty()).then(|| self.agency_code.clone());
        ReportParams {
            as_of: Some(self.as_of),
            include_subunits: agency.as_ref().map(|_| self.include_subunits),
            agency_code: agency,
            level: self.level,
            breakdown: self.breakdown,
        }
    }

    /// The scope's part of a query: day, agency, level.
    fn scope_query(&self, query: &mut form_urlencoded::Serializer<'_, String>) {
        query.append_pair("as_of", &self.as_of.to_string());
        if !self.agency_code.is_empty() {
            query.append_pair("agency_code", &self.agency_code);
            query.append_pair("include_subunits", &self.include_subunits.to_string());
        }
        if let Some(level) = self.level {
            query.append_pair("level", level.as_str());
        }
    }

    /// The query that shows these filters again (the downloads take it too).
    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("report", self.report.as_str());
        self.scope_query(&mut query);
        query.append_pair("breakdown", self.breakdown_value());
        query.finish()
    }

    /// The query of the list of officials in scope not meeting `requirement`.
    pub fn missing_query(&self, requirement: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("report", self.report.as_str());
        query.append_pair("requirement", requirement);
        self.scope_query(&mut query);
        query.finish()
    }

    /// The breakdown as the form's select names it.
    pub fn breakdown_value(&self) -> &'static str {
        self.breakdown.map_or("none", Breakdown::as_str)
    }

    /// The level as the form's select names it.
    pub fn level_value(&self) -> &'static str {
        self.level.map_or("", AdministrativeLevel::as_str)
    }
}

/// What a field parsed into.
enum Parsed {
    Report(ReportId),
    Day(Date),
    Level(AdministrativeLevel),
    Breakdown(Option<Breakdown>),
    Yes(bool),
}

fn level(text: &str) -> Option<AdministrativeLevel> {
    LEVELS.into_iter().find(|level| level.as_str() == text)
}

/// The levels a report can be filtered by, in the form's order.
const LEVELS: [AdministrativeLevel; 4] = [
    AdministrativeLevel::Central,
    AdministrativeLevel::Province,
    AdministrativeLevel::District,
    AdministrativeLevel::Commune,
];

/// The breakdowns offered, in the form's order.
const BREAKDOWNS: [Breakdown; 3] = [Breakdown::Gender, Breakdown::Ethnicity, Breakdown::AgeBand];

fn breakdown(text: &str) -> Option<Option<Breakdown>> {
    if text == "none" {
        return Some(None);
    }
    BREAKDOWNS.into_iter().find(|breakdown| breakdown.as_str() == text).map(Some)
}

/// What a bar, a row or a heading is about; the templates write it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Label {
    /// Officials meeting every requirement that applies to them (RPT-STD).
    All,
    /// A requirement, by its rule's id.
    Requirement(String),
    /// A group of a breakdown (`female`, `minority`, `under_35`…).
    Group(String),
}

impl Label {
    /// Whether it has words in English beside the Vietnamese (a rule's id is the same in both).
    pub fn has_english(&self) -> bool {
        !matches!(self, Label::Requirement(_))
    }

    /// Its key in the page's `data-` attributes: `ALL`, the rule's id or the group (as in CSV).
    pub fn key(&self) -> &str {
        match self {
            Label::All => "ALL",
            Label::Requirement(id) | Label::Group(id) => id,
        }
    }
}

/// One line of a table: a report's row as the page writes it.
#[derive(Debug, Clone)]
pub(crate) struct RowView {
    pub label: Label,
    pub officials: Cell,
    pub met: Cell,
    pub due: Cell,
    pub missing: Cell,
    pub measure: Measure,
    /// Refreshers: days counted and required; `None` for other rows.
    pub days: Option<(Cell, Option<u64>)>,
    /// Refreshers and indicators: the period counted, as `dd/mm/yyyy–dd/mm/yyyy`.
    pub period: Option<String>,
}

impl RowView {
    fn of(row: &ReportRow) -> RowView {
        let label = match (&row.group, &row.requirement) {
            (Some(group), _) => Label::Group(group.clone()),
            (None, Some(id)) => Label::Requirement(id.clone()),
            (None, None) => Label::All,
        };
        let period = row
            .period_from
            .zip(row.period_to)
            .map(|(from, to)| format!("{}–{}", vietnamese_day(from), vietnamese_day(to)));
        RowView {
            label,
            officials: row.officials,
            met: row.met,
            due: row.due,
            missing: row.missing,
            measure: Measure::of(row.met.value, row.officials.value),
            days: row.minimum_days.map(|_| (row.days_counted, row.days_required)),
            period,
        }
    }

    /// The share met as printed, empty when suppressed or nobody is counted.
    pub fn percent(&self) -> String {
        self.measure.share().map(super::chart::percent).unwrap_or_default()
    }
}

/// A requirement's headline figures: its totals, its legal basis, and the link to who does not
/// meet it.
#[derive(Debug, Clone)]
pub(crate) struct Headline {
    pub row: RowView,
    pub legal_basis: Option<String>,
    pub missing_list: Option<Url>,
}

/// One requirement broken down by one breakdown: a chart and its table.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub requirement: Label,
    pub breakdown: Breakdown,
    pub chart: Chart<Label>,
    pub rows: Vec<RowView>,
}

/// A report as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub headlines: Vec<Headline>,
    pub chart: Chart<Label>,
    pub sections: Vec<Section>,
    /// Whether any row counts days (refreshers): the tables then have days columns.
    pub counts_days: bool,
    /// The same figures from the API, for programs (with a bearer token).
    pub api: String,
}

impl Shown {
    /// Arranges a report's rows: each requirement's totals as a headline (and a bar of the
    /// headline chart), its groups as sections, one per breakdown.
    pub fn of(view: &ReportView, filters: &Filters) -> Shown {
        let mut headlines = Vec::new();
        let mut sections: Vec<Section> = Vec::new();
        for row in &view.rows {
            let line = RowView::of(row);
            let Some(breakdown) = row.breakdown else {
                let legal_basis = row.requirement.as_ref().and_then(|id| {
                    view.requirements.iter().find(|r| &r.id == id).map(|r| r.legal_basis.clone())
                });
                let missing_list = row
                    .requirement
                    .as_deref()
                    .map(|id| Url::ReportMissing(filters.missing_query(id)));
                headlines.push(Headline { row: line, legal_basis, missing_list });
                continue;
            };
            let requirement = headlines.last().map_or(Label::All, |h| h.row.label.clone());
            match sections.last_mut() {
                Some(section)
                    if section.requirement == requirement && section.breakdown == breakdown =>
                {
                    section.rows.push(line);
                }
                _ => sections.push(Section {
                    requirement,
                    breakdown,
                    chart: Chart::new("", []),
                    rows: vec![line],
                }),
            }
        }
        // Nobody in scope on the day (an agency without staff yet, a level abolished by then):
        // no requirement applies to anyone, which the page says instead of a dash before a
        // sentence and charts of empty groups.
        if headlines.iter().all(|headline| headline.row.measure == Measure::Nobody) {
            headlines.clear();
            sections.clear();
        }
        for (index, section) in sections.iter_mut().enumerate() {
            let bars = section.rows.iter().map(|row| (row.label.clone(), row.measure));
            section.chart = Chart::new(format!("chart-{}", index + 1), bars);
        }
        let bars = headlines.iter().map(|h| (h.row.label.clone(), h.row.measure));
        let chart = Chart::new("chart-headline", bars);
        let counts_days = view.rows.iter().any(|row| row.minimum_days.is_some());
        let mut api = format!("/api/v1/reports/{}?", view.report.as_str());
        let mut query = form_urlencoded::Serializer::new(String::new());
        filters.scope_query(&mut query);
        if let Some(breakdown) = filters.breakdown {
            query.append_pair("breakdown", breakdown.as_str());
        }
        api.push_str(&query.finish());
        Shown {
            title_vi: view.title_vi,
            title_en: view.title_en,
            headlines,
            chart,
            sections,
            counts_days,
            api,
        }
    }
}

/// Whose officials are counted, as the page says it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// The agency, with its name (`None`: every official, for the operator).
    pub agency: Option<(String, String)>,
    pub include_subunits: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
struct DashboardPage {
    layout: Layout,
    filters: Filters,
    error: Option<FilterError>,
    scope: Scope,
    /// The agencies an HR department may pick (empty for the operator, who types a code).
    agencies: Vec<String>,
    shown: Option<Shown>,
}

impl DashboardPage {
    fn error_on(&self, field: &str) -> bool {
        self.error.is_some_and(|error| error.field() == field)
    }

    fn reports(&self) -> [ReportId; 5] {
        ReportId::ALL
    }

    fn levels(&self) -> [AdministrativeLevel; 4] {
        LEVELS
    }

    fn breakdowns(&self) -> [Breakdown; 3] {
        BREAKDOWNS
    }

    fn csv(&self) -> Url {
        Url::ReportDownload("csv", self.filters.query())
    }

    fn xlsx(&self) -> Url {
        Url::ReportDownload("xlsx", self.filters.query())
    }

    fn as_of_text(&self) -> String {
        vietnamese_day(self.filters.as_of)
    }
}

/// The actor a signed-in principal reads reports as: the operator or an HR department; anyone
/// else is refused.
pub(crate) fn reader(principal: &Principal) -> Result<Actor, PageError> {
    match principal.role() {
        Role::Admin | Role::Agency => Ok(principal.actor()),
        _ => Err(PageError::NotForReaders),
    }
}

/// What an error of the API about the filters means on the form, if it is about them.
fn filter_error(error: &ApiError) -> Option<FilterError> {
    let problem = error.problem();
    if problem.status == StatusCode::FORBIDDEN.as_u16() {
        return Some(FilterError::AgencyOutside);
    }
    problem.errors.iter().any(|e| e.field == "agency_code").then_some(FilterError::AgencyUnknown)
}

/// The agency a scope names, with its name when the directory has it.
async fn named(app: &AppState, code: &str) -> Option<(String, String)> {
    let parsed = AgencyCode::parse(code).ok()?;
    let name = app.store.agency(&parsed).await.map(|agency| agency.name).unwrap_or_default();
    Some((code.to_owned(), name))
}

/// `GET /reports`: the dashboard for `principal`, with the filters of `query`.
async fn dashboard(
    app: &AppState,
    principal: &Principal,
    layout: Layout,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let actor = reader(principal)?;
    let (filters, error) = Filters::parse(&Asked::read(query)?, today());
    let (agencies, scope) = match &actor {
        Actor::Agency { agency_code, include_subunits, .. } => {
            let reached = app
                .store
                .agencies_reached(agency_code, *include_subunits)
                .await
                .map_err(|error| PageError::Api(error.into()))?;
            let codes = reached.iter().map(|code| code.as_str().to_owned()).collect();
            let own = Scope {
                agency: named(app, agency_code.as_str()).await,
                include_subunits: *include_subunits,
            };
            (codes, own)
        }
        _ => (Vec::new(), Scope::default()),
    };
    let mut page_of = DashboardPage { layout, filters, error, scope, agencies, shown: None };
    if let Some(error) = error {
        return Ok(page(error.status(), page_of));
    }
    let view = match compute_report(app, &actor, page_of.filters.report, &page_of.filters.params())
        .await
    {
        Ok(view) => view,
        Err(error) => match filter_error(&error) {
            Some(kind) => {
                page_of.error = Some(kind);
                return Ok(page(kind.status(), page_of));
            }
            None => return Err(PageError::Api(error)),
        },
    };
    if !page_of.filters.agency_code.is_empty() {
        page_of.scope = Scope {
            agency: named(app, &page_of.filters.agency_code).await,
            include_subunits: page_of.filters.include_subunits,
        };
    }
    page_of.shown = Some(Shown::of(&view, &page_of.filters));
    Ok(page(StatusCode::OK, page_of))
}

/// `GET /reports/download.csv` and `.xlsx`: the dashboard's report as a file, computed as the
/// API computes it for the same filters.
async fn download(
    app: &AppState,
    principal: &Principal,
    query: Option<&str>,
    xlsx: bool,
) -> Result<Response, PageError> {
    let actor = reader(principal)?;
    let (filters, error) = Filters::parse(&Asked::read(query)?, today());
    if error.is_some() {
        return Err(PageError::BadForm(StatusCode::BAD_REQUEST));
    }
    let view = compute_report(app, &actor, filters.report, &filters.params())
        .await
        .map_err(PageError::Api)?;
    let file = if xlsx { xlsx_download(&view) } else { csv_download(&view) };
    file.map_err(PageError::Api)
}

#[derive(Template, WebTemplate)]
#[template(path = "report_missing.html")]
struct MissingPage {
    layout: Layout,
    filters: Filters,
    title_vi: &'static str,
    title_en: &'static str,
    requirement: String,
    officials: Vec<MissingView>,
    next: Option<Url>,
    back: Url,
    /// Whether this is a later page of the list.
    later: bool,
    /// Whether the list, an HR department's for a day other than today, names only those still
    /// on its staff today (the store's rule, said on the page).
    staff_only: bool,
}

impl MissingPage {
    fn as_of_text(&self) -> String {
        vietnamese_day(self.filters.as_of)
    }

    fn is_due(&self, official: &MissingView) -> bool {
        official.status == RequirementStatus::Due
    }
}

/// `GET /reports/missing`: the officials in the dashboard's scope not meeting a requirement, a
/// page at a time, each listed logged as read.
async fn missing(
    app: &AppState,
    principal: &Principal,
    layout: Layout,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let actor = reader(principal)?;
    let asked = Asked::read(query)?;
    let (filters, error) = Filters::parse(&asked, today());
    let requirement = given(&asked.requirement).map(str::to_owned);
    let (Some(requirement), None) = (requirement, error) else {
        return Err(PageError::BadForm(StatusCode::BAD_REQUEST));
    };
    let params = MissingParams {
        requirement: requirement.clone(),
        as_of: Some(filters.as_of),
        include_subunits: (!filters.agency_code.is_empty()).then_some(filters.include_subunits),
        agency_code: (!filters.agency_code.is_empty()).then(|| filters.agency_code.clone()),
        level: filters.level,
        cursor: given(&asked.cursor).map(str::to_owned),
        limit: None,
    };
    let listed = list_missing(app, &actor, filters.report, &params, MISSING_PURPOSE)
        .await
        .map_err(PageError::Api)?;
    let next = listed.next_cursor.map(|cursor| {
        let mut query = filters.missing_query(&requirement);
        query.push_str("&cursor=");
        query.push_str(&cursor);
        Url::ReportMissing(query)
    });
    let (title_vi, title_en) = filters.report.titles();
    let back = Url::Reports(filters.query());
    let list = MissingPage {
        layout,
        title_vi,
        title_en,
        requirement,
        officials: listed.items,
        next,
        back,
        later: params.cursor.is_some(),
        staff_only: matches!(actor, Actor::Agency { .. }) && filters.as_of != today(),
        filters,
    };
    Ok(page(StatusCode::OK, list))
}

/// `GET /reports` (signed in; without a session, to the sign-in page and back).
pub(super) async fn get_dashboard(
    State(app): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    dashboard(&app, &signed_in.principal, signed_in.layout(Nav::Reports), query.as_deref()).await
}

/// `GET /reports/download.csv` (`XLSX` false) and `/reports/download.xlsx` (true).
pub(super) async fn get_download<const XLSX: bool>(
    State(app): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    download(&app, &signed_in.principal, query.as_deref(), XLSX).await
}

/// `GET /reports/missing`.
pub(super) async fn get_missing(
    State(app): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    missing(&app, &signed_in.principal, signed_in.layout(Nav::Reports), query.as_deref()).await
}

#[cfg(test)]
mod tests {
    use hocba_domain::reports::{SUPPRESSION_RULE, SUPPRESSION_THRESHOLD};
    use time::macros::date;

    use super::*;
    use crate::reports::{ReportRequirement, ReportScopeView, Suppression};

    const TODAY: Date = date!(2026 - 12 - 05);

    fn asked(query: &str) -> Asked {
        Asked::read(Some(query)).unwrap()
    }

    #[test]
    fn an_empty_form_is_rpt_std_today_by_gender_over_the_whole_scope() {
        let (filters, error) = Filters::parse(&asked(""), TODAY);
        assert_eq!(error, None);
        assert_eq!(filters.report, ReportId::Standards);
        assert_eq!(filters.as_of, TODAY);
        assert_eq!(filters.breakdown, Some(Breakdown::Gender));
        let params = filters.params();
        assert_eq!((params.agency_code, params.include_subunits, params.level), (None, None, None));
        // Empty fields, as a browser sends a form left blank, are absent.
        let (blank, error) =
            Filters::parse(&asked("report=&as_of=&agency_code=+&level=&breakdown="), TODAY);
        assert_eq!((blank, error), (filters, None));
    }

    #[test]
    fn rpt_priority_keeps_its_three_breakdowns_unless_one_is_chosen() {
        let (filters, _) = Filters::parse(&asked("report=RPT-PRIORITY"), TODAY);
        assert_eq!(filters.breakdown, None);
        let (filters, _) = Filters::parse(&asked("report=RPT-PRIORITY&breakdown=age_band"), TODAY);
        assert_eq!(filters.breakdown, Some(Breakdown::AgeBand));
        let (filters, _) = Filters::parse(&asked("report=RPT-STD&breakdown=none"), TODAY);
        assert_eq!(filters.breakdown, None);
    }

    #[test]
    fn the_query_shows_the_same_filters_again() {
        let query = "report=RPT-145&as_of=2025-05-01&agency_code=G01.H29&include_subunits=false\
                     &level=province&breakdown=ethnicity";
        let (filters, error) = Filters::parse(&asked(query), TODAY);
        assert_eq!(error, None);
        assert_eq!(filters.query(), query);
        assert_eq!(Filters::parse(&asked(&filters.query()), TODAY).0, filters);
        let params = filters.params();
        assert_eq!(params.agency_code.as_deref(), Some("G01.H29"));
        assert_eq!(params.include_subunits, Some(false));
        assert_eq!(
            filters.missing_query("R145-N3"),
            "report=RPT-145&requirement=R145-N3&as_of=2025-05-01&agency_code=G01.H29\
             &include_subunits=false&level=province"
        );
    }

    #[test]
    fn each_unreadable_field_is_named_and_the_rest_kept() {
        for (query, error) in [
            ("report=RPT-OVS", FilterError::Report),
            ("as_of=05%2F12%2F2026", FilterError::AsOf),
            ("as_of=2026-02-30", FilterError::AsOf),
            ("as_of=-9999-01-01", FilterError::AsOf),
            ("level=hamlet", FilterError::Level),
            ("breakdown=religion", FilterError::Breakdown),
            ("include_subunits=maybe", FilterError::Subunits),
        ] {
            let extra =
                if error == FilterError::Level { "as_of=2025-05-01" } else { "level=commune" };
            let (filters, found) = Filters::parse(&asked(&format!("{query}&{extra}")), TODAY);
            assert_eq!(found, Some(error), "{query}");
            assert_eq!(error.status(), StatusCode::BAD_REQUEST);
            if error == FilterError::Level {
                assert_eq!(filters.as_of, date!(2025 - 05 - 01));
            } else {
                assert_eq!(filters.level, Some(AdministrativeLevel::Commune), "{query}");
            }
        }
        assert!(Asked::read(Some("report=RPT-STD&report=RPT-145")).is_err());
    }

    fn cell(value: Option<u64>) -> Cell {
        Cell { value, suppressed: value.is_none() }
    }

    fn row(
        requirement: Option<&str>,
        group: Option<(Breakdown, &str)>,
        [officials, met, due, missing]: [Option<u64>; 4],
    ) -> ReportRow {
        ReportRow {
            requirement: requirement.map(str::to_owned),
            breakdown: group.map(|g| g.0),
            group: group.map(|g| g.1.to_owned()),
            officials: cell(officials),
            met: cell(met),
            due: cell(due),
            missing: cell(missing),
            met_share: officials.zip(met).filter(|(o, _)| *o > 0).map(|(o, m)| m as f64 / o as f64),
            days_counted: cell(None),
            days_required: None,
            minimum_days: None,
            period_from: None,
            period_to: None,
            missing_list: None,
        }
    }

    fn view(rows: Vec<ReportRow>) -> ReportView {
        ReportView {
            report: ReportId::Standards,
            title_vi: "vi",
            title_en: "en",
            as_of: TODAY,
            scope: ReportScopeView { agency_code: None, include_subunits: false, level: None },
            requirements: vec![ReportRequirement {
                id: "R145-N3".to_owned(),
                legal_basis: "Regulation 145".to_owned(),
            }],
            rows,
            suppression: Suppression { threshold: SUPPRESSION_THRESHOLD, rule: SUPPRESSION_RULE },
        }
    }

    #[test]
    fn totals_head_the_page_and_groups_fall_into_one_section_per_requirement() {
        let gender = Breakdown::Gender;
        let report = view(vec![
            row(None, None, [Some(20), Some(10), Some(5), Some(5)]),
            row(None, Some((gender, "female")), [Some(12), Some(6), None, None]),
            row(None, Some((gender, "male")), [Some(8), Some(4), None, None]),
            row(Some("R145-N3"), None, [Some(6), None, None, Some(0)]),
            row(Some("R145-N3"), Some((gender, "female")), [None, None, None, Some(0)]),
            row(Some("R145-N3"), Some((gender, "male")), [Some(0), Some(0), Some(0), Some(0)]),
        ]);
        let (filters, _) = Filters::parse(&asked("as_of=2026-12-05"), TODAY);
        let shown = Shown::of(&report, &filters);
        let labels: Vec<&Label> = shown.headlines.iter().map(|h| &h.row.label).collect();
        assert_eq!(labels, [&Label::All, &Label::Requirement("R145-N3".to_owned())]);
        assert_eq!(shown.headlines[0].row.percent(), "50 %");
        // Met is suppressed: the share is not known, and is not 0.
        assert_eq!(shown.headlines[1].row.measure, Measure::Suppressed);
        assert_eq!(shown.headlines[1].row.percent(), "");
        assert_eq!(shown.headlines[1].legal_basis.as_deref(), Some("Regulation 145"));
        let link = shown.headlines[1].missing_list.as_ref().unwrap().to_string();
        assert_eq!(link, "/reports/missing?report=RPT-STD&requirement=R145-N3&as_of=2026-12-05");
        assert!(shown.headlines[0].missing_list.is_none());
        assert_eq!(shown.chart.bars.len(), 2);
        assert_eq!(shown.sections.len(), 2);
        let [all, n3] = [&shown.sections[0], &shown.sections[1]];
        assert_eq!((&all.requirement, all.breakdown, all.rows.len()), (&Label::All, gender, 2));
        assert_eq!(n3.requirement, Label::Requirement("R145-N3".to_owned()));
        let measures: Vec<Measure> = n3.chart.bars.iter().map(|bar| bar.measure).collect();
        assert_eq!(measures, [Measure::Suppressed, Measure::Nobody]);
        assert_ne!(all.chart.id, n3.chart.id);
        assert_eq!(shown.api, "/api/v1/reports/RPT-STD?as_of=2026-12-05&breakdown=gender");
    }

    #[test]
    fn a_scope_with_nobody_in_it_shows_no_headline_and_no_chart() {
        let gender = Breakdown::Gender;
        let report = view(vec![
            row(None, None, [Some(0), Some(0), Some(0), Some(0)]),
            row(None, Some((gender, "female")), [Some(0), Some(0), Some(0), Some(0)]),
            row(Some("R145-N3"), None, [Some(0), Some(0), Some(0), Some(0)]),
        ]);
        let (filters, _) = Filters::parse(&asked("as_of=2026-12-05&breakdown=gender"), TODAY);
        let shown = Shown::of(&report, &filters);
        assert!(shown.headlines.is_empty(), "{:?}", shown.headlines);
        assert!(shown.sections.is_empty() && shown.chart.bars.is_empty());
        // One official in scope, even suppressed, is somebody.
        let report = view(vec![row(None, None, [None, None, None, None])]);
        assert_eq!(Shown::of(&report, &filters).headlines.len(), 1);
    }

    #[test]
    fn only_the_operator_and_hr_departments_read_reports() {
        let official = Principal::signed_in(hocba_domain::OfficialId::from_uuid(uuid::Uuid::nil()));
        assert!(matches!(reader(&official), Err(PageError::NotForReaders)));
    }
}
