//! `GET /api/v1/completions` and `GET /api/v1/classes/{id}/results`: an institution's own
//! results (every institution's, for the operator), with certificate numbers and status.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hocba_domain::{
    ClassId, CompletionId, CompletionStatus, InstitutionId, Invalid, OfficialId, Outcome,
    ProgramCode,
};
use hocba_store::{ClassResults, CompletionQuery, CompletionResult};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Registrar;
use crate::catalog::ClassView;
use crate::extract::{Json, PageOf, PageParams, Path, Query};
use crate::{ApiError, AppState, Problem};

/// A recorded completion with its certificate: one row of a results list or class roster (the
/// columns of the CSV roster too).
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionResultView {
    /// Hocba's id of the completion.
    pub completion_id: CompletionId,
    /// Its certificate's number: the live one, or else the last one issued.
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub certificate_number: Option<String>,
    /// `live`, `revoked`, or `superseded` by a correction.
    pub status: CompletionStatus,
    /// The official.
    pub official_id: OfficialId,
    /// The official's name, as the registry holds it.
    pub full_name: String,
    /// The official's date of birth.
    pub date_of_birth: Date,
    /// The programme's code.
    pub program_code: String,
    /// The class, when there was one.
    pub class_id: Option<ClassId>,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub duration_days: i32,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10.
    pub score: Option<f64>,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub posted_at: OffsetDateTime,
    /// The completion this one corrects.
    pub supersedes: Option<CompletionId>,
}

impl From<CompletionResult> for CompletionResultView {
    fn from(result: CompletionResult) -> Self {
        let completion = result.completion;
        CompletionResultView {
            completion_id: completion.id,
            certificate_number: result.certificate_number.map(|number| number.as_str().to_owned()),
            status: result.status,
            official_id: completion.official_id,
            full_name: result.full_name.as_str().to_owned(),
            date_of_birth: result.date_of_birth,
            program_code: result.program_code.as_str().to_owned(),
            class_id: completion.class_id,
            started_on: completion.started_on,
            ended_on: completion.ended_on,
            duration_days: completion.duration_days,
            outcome: completion.outcome,
            score: completion.score,
            posted_at: completion.posted_at,
            supersedes: completion.supersedes,
        }
    }
}

/// A class and every completion recorded for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassResultsView {
    /// The class.
    pub class: ClassView,
    /// Its completions, in the order they were recorded.
    pub results: Vec<CompletionResultView>,
}

/// Filters of the results list; every filter given must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompletionParams {
    /// Only this institution's completions (the operator's filter; an institution sees only its
    /// own, and naming another is 403).
    pub institution_id: Option<InstitutionId>,
    /// Only completions of this class.
    pub class_id: Option<ClassId>,
    /// Only completions of this programme.
    pub program_code: Option<String>,
    /// Only completions whose last day is on or after this day.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub ended_from: Option<Date>,
    /// Only completions whose last day is on or before this day.
    #[serde(default, deserialize_with = "crate::extract::registry_day")]
    pub ended_to: Option<Date>,
    /// Only completions that stand so.
    pub status: Option<CompletionStatus>,
    /// Cursor from the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl CompletionParams {
    fn query(&self, institution: Option<InstitutionId>) -> Result<CompletionQuery, ApiError> {
        let program = self
            .program_code
            .as_deref()
            .map(ProgramCode::parse)
            .transpose()
            .map_err(|error| Invalid::field("program_code", error))?;
        if let (Some(from), Some(to)) = (self.ended_from, self.ended_to)
            && to < from
        {
            return Err(ApiError::BadParameter {
                field: "ended_to".to_owned(),
                reason: "is before ended_from".to_owned(),
            });
        }
        Ok(CompletionQuery {
            institution,
            class: self.class_id,
            program,
            ended_from: self.ended_from,
            ended_to: self.ended_to,
            status: self.status,
        })
    }
}

/// Lists completions, oldest first, with their certificate numbers and status: an
/// institution's token sees its own institution's, the operator's every institution's (or one,
/// with `institution_id`). HR keys and officials are 403.
#[utoipa::path(get, path = "/completions", tag = "certificates", security(("bearer" = [])),
    params(CompletionParams),
    responses((status = 200, body = PageOf<CompletionResultView>), (status = "4XX", body = Problem)))]
pub async fn list_completions(
    State(app): State<AppState>,
    caller: Registrar,
    Query(params): Query<CompletionParams>,
) -> Result<Json<PageOf<CompletionResultView>>, ApiError> {
    let institution = caller.institution(params.institution_id)?;
    let page = PageParams { cursor: params.cursor.clone(), limit: params.limit }.request()?;
    let results = app.store.list_completions(&params.query(institution)?, page).await?;
    Ok(Json(PageOf::from_page(results, CompletionResultView::from)))
}

/// One class's roster with certificate numbers and status, as JSON, or as CSV with
/// `Accept: text/csv` (UTF-8 with a byte order mark, so that Excel reads Vietnamese names
/// correctly; one row per completion, the columns of `CompletionResultView`). An institution
/// reads its own classes only: another institution's class is 404.
#[utoipa::path(get, path = "/classes/{id}/results", tag = "catalog", security(("bearer" = [])),
    params(("id" = ClassId, Path, description = "Hocba's id of the class")),
    responses(
        (status = 200, description = "The class and its completions",
            content((ClassResultsView = "application/json"), (String = "text/csv"))),
        (status = "4XX", body = Problem)))]
pub async fn get_class_results(
    State(app): State<AppState>,
    caller: Registrar,
    headers: HeaderMap,
    Path(id): Path<ClassId>,
) -> Result<Response, ApiError> {
    let ClassResults { class, results } =
        app.store.class_results(caller.institution(None)?, id).await?;
    let rows: Vec<CompletionResultView> = results.into_iter().map(Into::into).collect();
    if !wants_csv(&headers) {
        return Ok(Json(ClassResultsView { class: class.into(), results: rows }).into_response());
    }
    let disposition = format!("attachment; filename=\"class-{id}-results.csv\"");
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, csv_with_bom(&CSV_COLUMNS, &rows)?).into_response())
}

/// Whether the client asked for CSV.
fn wants_csv(headers: &HeaderMap) -> bool {
    accepts(headers, "text/csv")
}

/// Whether the `Accept` header names `media_type` (parameters aside).
pub(crate) fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).unwrap_or("");
    accept.split(',').any(|range| range.trim().starts_with(media_type))
}

/// `rows` as CSV after a UTF-8 byte order mark, with a header row even when there are none.
pub(crate) fn csv_with_bom<T: Serialize>(
    columns: &[&str],
    rows: &[T],
) -> Result<Vec<u8>, ApiError> {
    const BOM: &[u8] = "\u{feff}".as_bytes();
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(BOM.to_vec());
    writer.write_record(columns).map_err(ApiError::internal)?;
    for row in rows {
        writer.serialize(row).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}

/// The CSV roster's header row: the fields of [`CompletionResultView`], in order.
const CSV_COLUMNS: [&str; 15] = [
    "completion_id",
    "certificate_number",
    "status",
    "official_id",
    "full_name",
    "date_of_birth",
    "program_code",
    "class_id",
    "started_on",
    "ended_on",
    "duration_days",
    "outcome",
    "score",
    "posted_at",
    "supersedes",
];

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_completions)).routes(routes!(get_class_results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_chosen_only_when_asked_for() {
        let mut headers = HeaderMap::new();
        assert!(!wants_csv(&headers));
        headers.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(!wants_csv(&headers));
        headers.insert(header::ACCEPT, "text/csv; charset=utf-8".parse().unwrap());
        assert!(wants_csv(&headers));
    }

    #[test]
    fn the_csv_header_names_the_columns_of_a_row() {
        let row = CompletionResultView {
            completion_id: CompletionId::from_uuid(uuid::Uuid::nil()),
            certificate_number: None,
            status: CompletionStatus::Live,
            official_id: OfficialId::from_uuid(uuid::Uuid::nil()),
            full_name: "Nguyễn Văn An".to_owned(),
            date_of_birth: time::macros::date!(1985 - 03 - 14),
            program_code: "QLNN-CV-2024".to_owned(),
            class_id: None,
            started_on: time::macros::date!(2025 - 03 - 03),
            ended_on: time::macros::date!(2025 - 04 - 25),
            duration_days: 40,
            outcome: Outcome::Passed,
            score: Some(8.25),
            posted_at: OffsetDateTime::UNIX_EPOCH,
            supersedes: None,
        };
        let mut derived = csv::Writer::from_writer(Vec::new());
        derived.serialize(&row).unwrap();
        let derived = String::from_utf8(derived.into_inner().unwrap()).unwrap();
        let written = String::from_utf8(csv_with_bom(&CSV_COLUMNS, &[row]).unwrap()).unwrap();
        assert_eq!(written, format!("\u{feff}{derived}"));
        assert!(written.contains(",Nguyễn Văn An,1985-03-14,"), "{written}");
    }
}
