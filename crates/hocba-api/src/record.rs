//! `GET /api/v1/officials/{id}/record`: an official's lifelong record as JSON, every completion
//! with its certificates and where it stands, grouped by category, with the training days it
//! adds up to; and `…/record/credential`, the same record as one signed transcript (a CLR 2.0
//! `ClrCredential` embedding the certificates in force).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hocba_credentials::{KeyStatus, transcript};
use hocba_domain::{
    CompletionId, CompletionStatus, OfficialId, Outcome, TrainedDays, training_days,
};
use hocba_store::{Actor, Certificate, OfficialRecord, RecordEntry, SignTranscript};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::RecordOrClientReader;
use crate::certificates::{self, Forms, RevocationView};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// One certificate of a completion, as the record lists it (the credential itself is at
/// `GET /certificates/{number}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordCertificateView {
    /// Public number.
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub number: String,
    /// `active` or `revoked`.
    pub status: &'static str,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// The revocation, if revoked.
    pub revocation: Option<RevocationView>,
}

impl From<Certificate> for RecordCertificateView {
    fn from(certificate: Certificate) -> Self {
        RecordCertificateView {
            number: certificate.number.to_string(),
            status: if certificate.revocation.is_some() { "revoked" } else { "active" },
            issued_at: certificate.issued_at,
            revocation: certificate.revocation.map(RevocationView::from),
        }
    }
}

/// One completion of the record.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordEntryView {
    /// Hocba's id of the completion.
    pub completion_id: CompletionId,
    /// The programme's code.
    pub program_code: String,
    /// The programme's title.
    pub program_title: String,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub duration_days: i32,
    /// The result.
    pub outcome: Outcome,
    /// `live` (a certificate stands), `revoked` (every certificate was revoked: see their
    /// revocations) or `superseded` (a correction replaced it: see `superseded_by`).
    pub status: CompletionStatus,
    /// The completion this one corrects.
    pub supersedes: Option<CompletionId>,
    /// The correction that replaced this one.
    pub superseded_by: Option<CompletionId>,
    /// The live certificate of the correction that replaced this one, if it has one.
    pub successor_certificate: Option<String>,
    /// Its certificates, oldest first.
    pub certificates: Vec<RecordCertificateView>,
}

/// The completions of one programme category.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordCategoryView {
    /// The category code (`QLNN-CV`).
    pub category_code: String,
    /// Its completions, in order of their last day of study.
    pub completions: Vec<RecordEntryView>,
}

/// Training days of one calendar year.
#[derive(Debug, Serialize, ToSchema)]
pub struct YearDaysView {
    /// The year of the completions' last day of study.
    pub year: i32,
    /// Training days of live completions.
    pub days: u32,
}

/// Training days of one category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDaysView {
    /// The category code.
    pub category_code: String,
    /// Training days of live completions.
    pub days: u32,
}

/// What the record adds up to: live completions only (a revoked or superseded one counts for
/// nothing; a correction counts in its place).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDaysView {
    /// Every live completion's days.
    pub total: u32,
    /// Per calendar year of the last day of study, earliest first.
    pub by_year: Vec<YearDaysView>,
    /// Per category, in code order.
    pub by_category: Vec<CategoryDaysView>,
}

/// An official's lifelong training record.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    /// Hocba's id of the official.
    pub official_id: OfficialId,
    /// Their name.
    pub full_name: String,
    /// Every completion, grouped by category (in code order).
    pub categories: Vec<RecordCategoryView>,
    /// Training days of live completions.
    pub training_days: TrainingDaysView,
}

impl From<OfficialRecord> for RecordView {
    fn from(record: OfficialRecord) -> Self {
        let days = training_days(record.entries.iter().map(|entry| TrainedDays {
            category: &entry.category,
            ended_on: entry.completion.ended_on,
            days: u32::try_from(entry.completion.duration_days).unwrap_or(0),
            status: entry.status,
        }));
        let training_days = TrainingDaysView {
            total: days.total,
            by_year: days
                .by_year
                .into_iter()
                .map(|(year, days)| YearDaysView { year, days })
                .collect(),
            by_category: days
                .by_category
                .into_iter()
                .map(|(code, days)| CategoryDaysView {
                    category_code: code.as_str().to_owned(),
                    days,
                })
                .collect(),
        };
        let successor_certificate = |entry: &RecordEntry| {
            let successor = entry.superseded_by?;
            let corrected = record.entries.iter().find(|other| other.completion.id == successor);
            corrected?
                .certificates
                .iter()
                .find(|issued| issued.revocation.is_none())
                .map(|issued| issued.number.to_string())
        };
        let mut categories: Vec<RecordCategoryView> = Vec::new();
        let mut entries: Vec<&RecordEntry> = record.entries.iter().collect();
        // Stable: within a category, the store's order (by last day of study) stays.
        entries.sort_by(|a, b| a.category.cmp(&b.category));
        for entry in entries {
            let view = RecordEntryView {
                completion_id: entry.completion.id,
                program_code: entry.program_code.clone(),
                program_title: entry.program_title.clone(),
                started_on: entry.completion.started_on,
                ended_on: entry.completion.ended_on,
                duration_days: entry.completion.duration_days,
                outcome: entry.completion.outcome,
                status: entry.status,
                supersedes: entry.completion.supersedes,
                superseded_by: entry.superseded_by,
                successor_certificate: successor_certificate(entry),
                certificates: entry.certificates.iter().cloned().map(Into::into).collect(),
            };
            match categories.last_mut() {
                Some(last) if last.category_code == entry.category.as_str() => {
                    last.completions.push(view)
                }
                _ => categories.push(RecordCategoryView {
                    category_code: entry.category.as_str().to_owned(),
                    completions: vec![view],
                }),
            }
        }
        RecordView {
            official_id: record.official_id,
            full_name: record.full_name.as_str().to_owned(),
            categories,
            training_days,
        }
    }
}

/// An official's lifelong training record (operator, the HR department of the agency that
/// employs them today, or the official; the read is logged for the official): every completion
/// with its certificates and status, grouped by category, and the training days of live
/// completions per year and per category.
#[utoipa::path(get, path = "/officials/{id}/record", tag = "officials",
    security(("bearer" = []), ("oauth2" = ["records:read"])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses((status = 200, body = RecordView), (status = "4XX", body = Problem)))]
pub async fn get_record(
    State(app): State<AppState>,
    RecordOrClientReader(reader): RecordOrClientReader,
    Path(id): Path<OfficialId>,
) -> Result<Json<RecordView>, ApiError> {
    let purpose = "GET /api/v1/officials/{id}/record";
    let record = app.store.official_record(&reader.actor(), purpose, id).await?;
    Ok(Json(record.into()))
}

/// An official's whole record as one signed credential (same readers as the record, and the
/// read is logged the same way): a 1EdTech CLR 2.0 `ClrCredential` issued by the registry,
/// embedding every certificate in force as the signed `OpenBadgeCredential` it is, with the
/// national ID only as a salted hash, a status entry, and the proof set of a certificate
/// (`eddsa-rdfc-2022` and `eddsa-jcs-2022`). Revoked and superseded certificates are left out:
/// the transcript states what stands. Each transcript is kept; while the record, the official's
/// name and the registry's key stay as they are, the same transcript is returned.
/// `application/vc` when asked for, `application/json` otherwise.
#[utoipa::path(get, path = "/officials/{id}/record/credential", tag = "officials",
    security(("bearer" = []), ("oauth2" = ["records:read"])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses((status = 200, content((Object = "application/json"), (Object = "application/vc"))),
        (status = "4XX", body = Problem)))]
pub async fn get_record_credential(
    State(app): State<AppState>,
    RecordOrClientReader(reader): RecordOrClientReader,
    headers: HeaderMap,
    Path(id): Path<OfficialId>,
) -> Result<Response, ApiError> {
    let purpose = "GET /api/v1/officials/{id}/record/credential";
    let record = app.store.official_record(&reader.actor(), purpose, id).await?;
    let credential = signed_transcript(&app, &reader.actor(), record).await?;
    let media_type = crate::publication::credential_media_type(&headers);
    Ok(([(header::CONTENT_TYPE, media_type)], credential).into_response())
}

/// The signed transcript of `record` (read by `actor`), the one already signed while nothing
/// changed: every certificate in force embedded; `422 no-certificates` when there is none.
pub(crate) async fn signed_transcript(
    app: &AppState,
    actor: &Actor,
    record: OfficialRecord,
) -> Result<String, ApiError> {
    let id = record.official_id;
    // A certificate whose key was revoked no longer verifies: the registry does not vouch
    // for it again.
    let revoked_keys: Vec<String> = app
        .store
        .signing_keys()
        .await?
        .into_iter()
        .filter(|key| key.status == KeyStatus::Revoked)
        .map(|key| key.kid)
        .collect();
    let standing = record
        .entries
        .into_iter()
        .filter(|entry| entry.status == CompletionStatus::Live)
        .flat_map(|entry| entry.certificates)
        .filter(|issued| issued.revocation.is_none() && !revoked_keys.contains(&issued.kid));
    let (mut ids, mut embedded) = (Vec::new(), Vec::new());
    for issued in standing {
        ids.push(issued.id);
        let issued = certificates::completed(app, issued, Forms::Credential).await?;
        embedded
            .push(serde_json::from_str(&issued.credential.text()?).map_err(ApiError::internal)?);
    }
    if embedded.is_empty() {
        return Err(ApiError::NoCertificates);
    }
    let active = app.authority.signer(&app.store).await?;
    let registry = app.authority.registry.clone();
    let signer = active.clone();
    let sign: Box<SignTranscript> = Box::new(move |facts| {
        let unsigned = registry.transcript(facts, embedded.clone());
        let signed = transcript::issue(unsigned, &signer.signer, facts.issued_at)
            .map_err(|error| error.to_string())?;
        serde_json::to_string(&signed).map_err(|error| error.to_string())
    });
    let issued = app.store.transcript(actor, id, &ids, &active.kid, &*sign).await?;
    Ok(issued.credential)
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_record)).routes(routes!(get_record_credential))
}
