//! `/me/standards`: where the signed-in official stands against the training standards of
//! their rank and post, as `GET /api/v1/officials/{id}/compliance` answers it, made readable:
//! each requirement that applies on the day chosen, met, due (with its deadline) or missing,
//! the days counted and still needed, the courses that count, and the law it comes from.
//!
//! It is a page of its own rather than a section of `/me` because evaluating is a read of the
//! record, logged for the official: one view, one line in their read log.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use hocba_domain::{CompletionId, OfficialId, RequirementStatus, RuleKind, dates};
use serde::Deserialize;
use time::Date;

use super::session::SignedIn;
use super::stated::vietnamese_day;
use super::{Layout, Nav, PageError, page};
use crate::AppState;
use crate::standards::RequirementView;
use crate::today;

/// Why the evaluation is logged in the official's read log.
const PURPOSE: &str = "GET /me/standards";

/// The page's query, as a browser sends its form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Asked {
    as_of: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "me_standards.html")]
struct StandingPage {
    layout: Layout,
    full_name: String,
    as_of: Date,
    /// The day asked for was not a date (the page then shows today).
    bad_date: bool,
    requirements: Vec<RequirementView>,
    /// Category titles (Vietnamese, English), by code.
    titles: HashMap<String, (String, String)>,
    /// The programme title of each completion that counts.
    courses: HashMap<CompletionId, String>,
}

impl StandingPage {
    fn day(&self, date: &Date) -> String {
        vietnamese_day(*date)
    }

    fn all_met(&self) -> bool {
        self.requirements.iter().all(|requirement| requirement.status == RequirementStatus::Met)
    }

    /// Status as (class, Vietnamese, English).
    fn status(&self, requirement: &RequirementView) -> (&'static str, &'static str, &'static str) {
        match requirement.status {
            RequirementStatus::Met => ("met", "Đã đạt", "Met"),
            RequirementStatus::Due => ("due", "Còn thời hạn", "Due"),
            RequirementStatus::Missing => ("missing", "Chưa đạt", "Missing"),
        }
    }

    /// What kind of requirement, in Vietnamese and English.
    fn kind(&self, requirement: &RequirementView) -> (&'static str, &'static str) {
        match requirement.rule.kind {
            RuleKind::Refresher => ("Bồi dưỡng cập nhật định kỳ", "Periodic refresher training"),
            RuleKind::Standard => ("Tiêu chuẩn ngạch, chức danh", "Standard of rank or title"),
            RuleKind::Appointment => ("Trước khi bổ nhiệm", "Before appointment"),
            RuleKind::Exclusion => ("Loại trừ", "Exclusion"),
        }
    }

    /// The categories that satisfy a requirement, titled where the catalogue names them.
    fn categories(&self, requirement: &RequirementView) -> Vec<(String, String, String)> {
        requirement
            .rule
            .any_of
            .iter()
            .map(|code| {
                let (vi, en) = self.titles.get(code).cloned().unwrap_or_default();
                (code.clone(), vi, en)
            })
            .collect()
    }

    /// The days a refresher asks for, when it asks for some (0: taking part suffices).
    fn minimum_days(&self, requirement: &RequirementView) -> Option<u32> {
        requirement.rule.minimum_days.filter(|days| *days > 0)
    }

    /// The days still missing, when some are.
    fn days_needed(&self, requirement: &RequirementView) -> Option<u32> {
        requirement.days_needed.filter(|days| *days > 0)
    }

    fn course(&self, completion: &uuid::Uuid) -> String {
        self.courses
            .get(&CompletionId::from_uuid(*completion))
            .cloned()
            .unwrap_or_else(|| completion.to_string())
    }
}

/// `GET /me/standards?as_of=YYYY-MM-DD`.
pub(super) async fn get_page(
    State(app): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let official = signed_in.principal.official_id().ok_or(PageError::NotForReaders)?;
    let asked: Asked = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|_| PageError::BadForm(StatusCode::BAD_REQUEST))?;
    let (as_of, bad_date) = match asked.as_of.as_deref().map(str::trim) {
        None | Some("") => (today(), false),
        Some(text) => match dates::parse(text).and_then(dates::held) {
            Some(day) => (day, false),
            None => (today(), true),
        },
    };
    standing_page(&app, &signed_in, official, as_of, bad_date).await
}

async fn standing_page(
    app: &AppState,
    signed_in: &SignedIn,
    official: OfficialId,
    as_of: Date,
    bad_date: bool,
) -> Result<Response, PageError> {
    let actor = signed_in.principal.actor();
    let compliance = app.compliance.of(&app.store, &actor, PURPOSE, official, as_of).await?;
    let titles = super::me::category_titles(app).await?;
    let template = StandingPage {
        layout: signed_in.layout(Nav::Standards),
        full_name: compliance.official.full_name.as_str().to_owned(),
        as_of,
        bad_date,
        requirements: compliance.requirements.iter().map(RequirementView::from).collect(),
        titles,
        courses: compliance.titles.clone(),
    };
    let status = if bad_date { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(page(status, template))
}
