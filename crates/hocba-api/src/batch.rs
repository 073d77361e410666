//! `POST /api/v1/completions/batch`: a class's completions in one request, with a result per
//! row.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hocba_domain::{CompletionId, CompletionPostDraft};
use hocba_store::{Answer, BatchResults, Posted, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::InstitutionCaller;
use crate::certificates::post_batch;
use crate::extract::{DigestedJson, parse_value};
use crate::idempotency::{self, Keyed};
use crate::{ApiError, AppState, Problem};

/// The most rows a batch may hold (a large class, with room to spare).
pub const MAX_ROWS: usize = 5000;

/// The body limit of the batch endpoint: 5,000 rows of about 300 bytes, with room to spare.
const BATCH_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Whether refused rows refuse the whole batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// Every valid row is recorded; refused rows are reported (the default).
    #[default]
    PerRow,
    /// Nothing is recorded unless every row is valid.
    AllOrNothing,
}

/// A batch of completions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// `per_row` (default) or `all_or_nothing`.
    #[serde(default)]
    pub mode: BatchMode,
    /// Up to 5,000 completions, each as `POST /api/v1/completions` takes one.
    #[schema(value_type = Vec<CompletionPostDraft>)]
    pub rows: Vec<Value>,
}

/// The outcome of one row.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RowResult {
    /// Recorded, with its certificate.
    Accepted {
        /// Position in `rows`, from 0.
        row: usize,
        /// The completion recorded.
        completion_id: CompletionId,
        /// Its certificate's number.
        certificate_number: String,
    },
    /// Refused: why, as a problem document (fields relative to the row).
    Rejected {
        /// Position in `rows`, from 0.
        row: usize,
        /// Why.
        problem: Problem,
    },
    /// Valid, but not recorded because another row was refused (`all_or_nothing`).
    NotWritten {
        /// Position in `rows`, from 0.
        row: usize,
    },
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchReport {
    /// The mode used.
    pub mode: BatchMode,
    /// Rows recorded.
    pub accepted: usize,
    /// Rows refused.
    pub rejected: usize,
    /// One result per row, in order.
    pub rows: Vec<RowResult>,
}

/// Posts a class's completions (institution token). Per row (default) each valid row is
/// recorded and each refused row reported; `all_or_nothing` records nothing unless every row is
/// valid (then the answer is 422). Each row is checked as `POST /api/v1/completions` checks one.
#[utoipa::path(post, path = "/completions/batch", tag = "certificates", security(("bearer" = [])),
    request_body = BatchBody,
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Makes a retry safe: the same key with the same body replays the first answer and writes nothing; with another body it is refused (409)")),
    responses((status = 200, body = BatchReport),
        (status = 422, description = "`all_or_nothing` with a refused row (the report), or a body of the wrong shape (a problem document)",
            content((BatchReport = "application/json"), (Problem = "application/problem+json"))),
        (status = 507, description = "The registry's storage is full: nothing was recorded; the same request succeeds once space is freed", body = Problem),
        (status = "4XX", body = Problem)))]
pub async fn post_completions_batch(
    State(app): State<AppState>,
    caller: InstitutionCaller,
    headers: HeaderMap,
    body: DigestedJson<BatchBody>,
) -> Result<Response, ApiError> {
    let route = "POST /api/v1/completions/batch";
    let key =
        match idempotency::check(&app.store, &headers, caller.institution_id, route, &body.digest)
            .await?
        {
            Keyed::Replay(first_answer) => return Ok(first_answer),
            Keyed::Process(key) => key,
        };
    let BatchBody { mode, rows } = body.value;
    if rows.is_empty() || rows.len() > MAX_ROWS {
        return Err(ApiError::BadParameter {
            field: "rows".into(),
            reason: format!("a batch holds 1 to {MAX_ROWS} rows"),
        });
    }
    let today = crate::today();
    let mut valid = Vec::with_capacity(rows.len());
    let early: Vec<Option<Problem>> = rows
        .into_iter()
        .map(|row| {
            let parsed = parse_value::<CompletionPostDraft>(row)
                .and_then(|draft| draft.parse(today).map_err(ApiError::from));
            match parsed {
                Ok(posted) => {
                    valid.push(posted);
                    None
                }
                Err(error) => Some(error.problem()),
            }
        })
        .collect();
    let all_or_nothing = mode == BatchMode::AllOrNothing;
    let answer = |stored: &BatchResults| {
        let (status, report) = report(mode, &early, stored);
        idempotency::render(status, &report)
    };
    let stored = if all_or_nothing && valid.len() < early.len() {
        Vec::new() // a row is already refused: nothing will be written, so do not try
    } else {
        let actor = caller.principal.actor();
        let keyed = key.as_ref().map(|key| (key, &answer as Answer<'_, _>));
        match post_batch(&app, &actor, caller.institution_id, &valid, all_or_nothing, keyed).await {
            Ok(stored) => stored,
            Err(failure) => {
                return idempotency::first_answer_or(&app.store, key.as_ref(), failure).await;
            }
        }
    };
    Ok(idempotency::json_response(answer(&stored)))
}

/// The report of a batch: the rows refused before the store (`early`, by position) and the
/// store's results for the others, in order.
fn report(
    mode: BatchMode,
    early: &[Option<Problem>],
    stored: &[Result<Posted, StoreError>],
) -> (StatusCode, BatchReport) {
    let mut stored = stored.iter();
    let mut rows: Vec<RowResult> = early
        .iter()
        .enumerate()
        .map(|(row, refused)| match refused {
            // Only rows that reached the store have a stored result.
            Some(problem) => RowResult::Rejected { row, problem: problem.clone() },
            None => match stored.next() {
                None => RowResult::NotWritten { row },
                Some(Ok((completion, certificate))) => RowResult::Accepted {
                    row,
                    completion_id: completion.id,
                    certificate_number: certificate.number.to_string(),
                },
                Some(Err(error)) => {
                    RowResult::Rejected { row, problem: ApiError::from(error.clone()).problem() }
                }
            },
        })
        .collect();
    let rejected = rows.iter().filter(|row| matches!(row, RowResult::Rejected { .. })).count();
    let written = !(mode == BatchMode::AllOrNothing && rejected > 0);
    if !written {
        // Rows the store accepted were rolled back with the rest.
        for row in &mut rows {
            if let RowResult::Accepted { row: index, .. } = row {
                *row = RowResult::NotWritten { row: *index };
            }
        }
    }
    let accepted = rows.iter().filter(|row| matches!(row, RowResult::Accepted { .. })).count();
    let status = if written { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, BatchReport { mode, accepted, rejected, rows })
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_completions_batch))
        .layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT))
}
