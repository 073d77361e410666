//! The training standards (`/api/v1/rules`) and an official's compliance with them
//! (`/api/v1/officials/{id}/compliance`).
//!
//! The rules are public law, listed to anyone. Compliance is part of an official's record: the
//! official, the HR department of an agency that employs them and the operator read it, and the
//! read is logged for the official, as a read of the record is.

use axum::extract::State;
use hocba_domain::{OfficialId, Requirement, RequirementStatus, Rule, RuleKind};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::RecordReader;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, Problem};

/// A requirement rule, as the rules file states it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Stable id; a changed rule gets a new one.
    #[schema(example = "R145-N3")]
    pub id: String,
    /// What it asks.
    pub kind: RuleKind,
    /// Conditions on the employment period in effect, all of which must hold.
    #[schema(example = "group:N3")]
    pub applies_to: String,
    /// Categories whose completions satisfy it (an exclusion: those that never count toward
    /// rules of the kind it names); `*` ends a family.
    #[schema(example = json!(["CNKT-145-N3"]))]
    pub any_of: Vec<String>,
    /// Days needed per period (refresher rules; 0 = taking part suffices).
    pub minimum_days: Option<u32>,
    /// When it must be met: `5y@2025-01-01` (periods of 5 years from that day), `once`,
    /// `before` (by the day of appointment), `within:365` (days after it).
    #[schema(example = "5y@2025-01-01")]
    pub period: String,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force, if the law ended it.
    pub valid_to: Option<Date>,
    /// The instrument and article it comes from.
    pub legal_basis: String,
}

impl From<&Rule> for RuleView {
    fn from(rule: &Rule) -> Self {
        RuleView {
            id: rule.id.clone(),
            kind: rule.kind,
            applies_to: rule.applies_to.clone(),
            any_of: rule.any_of.iter().map(|pattern| pattern.as_str().to_owned()).collect(),
            minimum_days: rule.minimum_days,
            period: rule.period_text.clone(),
            valid_from: rule.validity.from,
            valid_to: rule.validity.to,
            legal_basis: rule.legal_basis.clone(),
        }
    }
}

/// How an official stands against one rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementView {
    /// The rule.
    pub rule: RuleView,
    /// `met`, `due` (not yet, with time left until `deadline`) or `missing`.
    pub status: RequirementStatus,
    /// Last day to satisfy it, when there is one.
    pub deadline: Option<Date>,
    /// First day of the period counted (refresher rules).
    pub period_from: Option<Date>,
    /// Last day of the period counted (refresher rules).
    pub period_to: Option<Date>,
    /// The completions that count toward it (revoked and superseded ones never do).
    pub satisfied_by: Vec<Uuid>,
    /// Days of those completions.
    pub days_counted: u32,
    /// Days still needed (refresher rules).
    pub days_needed: Option<u32>,
}

impl From<&Requirement> for RequirementView {
    fn from(requirement: &Requirement) -> Self {
        RequirementView {
            rule: RuleView::from(&requirement.rule),
            status: requirement.status,
            deadline: requirement.deadline,
            period_from: requirement.period.map(|(from, _)| from),
            period_to: requirement.period.map(|(_, to)| to),
            satisfied_by: requirement.satisfied_by.iter().map(|id| id.as_uuid()).collect(),
            days_counted: requirement.days_counted,
            days_needed: requirement.days_needed,
        }
    }
}

/// An official's compliance with the training standards as of a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceView {
    /// The official.
    pub official_id: Uuid,
    /// The date evaluated.
    pub as_of: Date,
    /// Whether every requirement is met.
    pub all_met: bool,
    /// Every requirement that applies on that date.
    pub requirements: Vec<RequirementView>,
}

/// The date to evaluate.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    /// The day (YYYY-MM-DD); today when absent.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub as_of: Option<Date>,
}

/// The training standards' rules, by id: those in force and those the law has ended (public).
#[utoipa::path(get, path = "/rules", tag = "standards",
    responses((status = 200, body = [RuleView]), (status = "4XX", body = Problem)))]
pub async fn list_rules(State(app): State<AppState>) -> Result<Json<Vec<RuleView>>, ApiError> {
    let rules = app.store.rules().await?;
    Ok(Json(rules.iter().map(RuleView::from).collect()))
}

/// Where an official stands, as of a date, against every rule that applies to the posts they
/// hold on it (operator, the HR department of the agency that employs them today, or the
/// official); the read is logged for the official.
#[utoipa::path(get, path = "/officials/{id}/compliance", tag = "standards",
    security(("bearer" = [])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official"), AsOf),
    responses((status = 200, body = ComplianceView), (status = "4XX", body = Problem)))]
pub async fn get_compliance(
    State(app): State<AppState>,
    RecordReader(reader): RecordReader,
    Path(id): Path<OfficialId>,
    Query(query): Query<AsOf>,
) -> Result<Json<ComplianceView>, ApiError> {
    let as_of = query.as_of.unwrap_or_else(crate::today);
    let purpose = "GET /api/v1/officials/{id}/compliance";
    let compliance = app.compliance.of(&app.store, &reader.actor(), purpose, id, as_of).await?;
    let requirements: Vec<RequirementView> =
        compliance.requirements.iter().map(RequirementView::from).collect();
    Ok(Json(ComplianceView {
        official_id: compliance.official.id.as_uuid(),
        as_of,
        all_met: requirements
            .iter()
            .all(|requirement| requirement.status == RequirementStatus::Met),
        requirements,
    }))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_rules)).routes(routes!(get_compliance))
}
