//! `GET /api/v1/certificates/{number}/pdf` and `GET /api/v1/officials/{id}/record/pdf`: a
//! certificate and an official's record printed (A4, Vietnamese first with English beside), made
//! by `hocba-pdf` from what the registry holds.
//!
//! A certificate is printed from its signed credential, so the paper says what the signature
//! covers; a revoked one is printed marked as revoked, with its reason and date, rather than
//! refused: its holder may need to show what was withdrawn, and the mark cannot be missed.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hocba_credentials::stated::{Stated, StatedAccreditation};
use hocba_domain::{CertificateNumber, OfficialId};
use hocba_pdf::{
    Accreditation, CertificateSheet, RevocationFacts, SignatureFacts, TranscriptRow,
    TranscriptSheet,
};
use hocba_store::{Certificate, Revocation};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::RecordOrClientReader;
use crate::certificates::{Forms, completed};
use crate::extract::Path;
use crate::record::RecordView;
use crate::{ApiError, AppState, Problem};

/// A certificate printed on one A4 page, with a QR code of its verification link
/// (`{base-url}/v/{number}`) and that link under it; a revoked certificate is printed marked
/// "ĐÃ THU HỒI / REVOKED" with its reason. Anyone holding the number may print it, as anyone
/// may read the certificate.
#[utoipa::path(get, path = "/certificates/{number}/pdf", tag = "certificates",
    params(("number" = String, Path, description = "Certificate number")),
    responses(
        (status = 200, description = "The certificate as a PDF (A4)",
            content((String = "application/pdf"))),
        (status = "4XX", body = Problem)))]
pub async fn get_certificate_pdf(
    State(app): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let number = CertificateNumber::parse(&raw).map_err(|error| ApiError::BadParameter {
        field: "number".into(),
        reason: error.to_string(),
    })?;
    let certificate = app.store.certificate(&number).await?;
    let certificate = completed(&app, certificate, Forms::Both).await?;
    let sheet = certificate_sheet(&certificate, &app.authority.registry.base_url)?;
    let bytes = render(&app, move || hocba_pdf::certificate(&sheet)).await?;
    let disposition = format!("inline; filename=\"{}.pdf\"", number.as_str());
    Ok(pdf(bytes, disposition, "public, max-age=60"))
}

/// An official's whole record printed: every completion with its certificates and status, in a
/// table across as many A4 pages as it needs, the training days of live completions per
/// category and per year, and the keys that signed the certificates. Same readers as the
/// record (the official, the HR department of the agency that employs them today, the
/// operator, a machine client under the official's consent); the read is logged for the
/// official.
#[utoipa::path(get, path = "/officials/{id}/record/pdf", tag = "officials",
    security(("bearer" = []), ("oauth2" = ["records:read"])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses(
        (status = 200, description = "The record as a PDF (A4)",
            content((String = "application/pdf"))),
        (status = "4XX", body = Problem)))]
pub async fn get_record_pdf(
    State(app): State<AppState>,
    RecordOrClientReader(reader): RecordOrClientReader,
    Path(id): Path<OfficialId>,
) -> Result<Response, ApiError> {
    let purpose = "GET /api/v1/officials/{id}/record/pdf";
    let record = app.store.official_record(&reader.actor(), purpose, id).await?;
    let certificates: BTreeMap<String, Certificate> = record
        .entries
        .iter()
        .flat_map(|entry| entry.certificates.iter())
        .map(|certificate| (certificate.number.to_string(), certificate.clone()))
        .collect();
    let view = RecordView::from(record);
    let base_url = app.authority.registry.base_url.clone();
    let sheet = transcript_sheet(view, &certificates, &base_url, OffsetDateTime::now_utc())?;
    let bytes = render(&app, move || hocba_pdf::transcript(&sheet)).await?;
    // Personal data: no shared cache keeps it.
    Ok(pdf(bytes, "inline; filename=\"training-record.pdf\"".to_owned(), "private, no-store"))
}

/// Renders in the CPU pool: a page takes milliseconds of CPU.
async fn render(
    app: &AppState,
    make: impl FnOnce() -> Result<Vec<u8>, hocba_pdf::PdfError> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    app.cpu.run(make).await?.map_err(ApiError::internal)
}

fn pdf(bytes: Vec<u8>, disposition: String, cache: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, cache.to_owned()),
    ];
    (headers, bytes).into_response()
}

/// What the credential of `certificate` says, as the printed certificate shows it.
fn certificate_sheet(
    certificate: &Certificate,
    base_url: &str,
) -> Result<CertificateSheet, ApiError> {
    let credential: Map<String, Value> =
        serde_json::from_str(&certificate.credential.text()?).map_err(ApiError::internal)?;
    let stated = Stated::of(&credential);
    let outcome = stated.grade().ok_or_else(|| missing("the classification"))?;
    let institution = required(stated.institution, "the institution's name")?;
    let institution = match stated.institution_code {
        Some(code) => format!("{institution} ({code})"),
        None => institution,
    };
    Ok(CertificateSheet {
        number: certificate.number.to_string(),
        holder_name: required(stated.holder_name, "the holder's name")?,
        program_code: required(stated.program_code, "the programme's code")?,
        program_title: required(stated.program_title, "the programme's title")?,
        program_title_en: stated.program_title_en,
        institution,
        accreditation: accreditation(stated.accreditation)?,
        started_on: required(stated.started, "the first day of study")?,
        ended_on: required(stated.ended, "the last day of study")?,
        training_days: required(stated.training_days, "the training days")?,
        outcome,
        score: stated.score,
        verification_url: format!("{base_url}/v/{}", certificate.number),
        signature: signature_facts(certificate, &credential),
        revocation: certificate.revocation.clone().map(revocation_facts),
    })
}

/// The accreditation an institution's profile states (its endorsement by the registry): the
/// category, the days it is in force, and the decision when one was recorded.
fn accreditation(stated: Option<StatedAccreditation>) -> Result<Accreditation, ApiError> {
    let stated = stated.ok_or_else(|| missing("the accreditation"))?;
    Ok(Accreditation {
        decision: stated.decision().map(str::to_owned),
        category: required(stated.category, "the accredited category")?,
        from: required(stated.from, "the accreditation's first day")?,
        until: stated.until,
    })
}

/// The key a certificate's proofs name and the proofs it carries (its JWS too, if made).
fn signature_facts(certificate: &Certificate, credential: &Map<String, Value>) -> SignatureFacts {
    let proofs: Vec<&Value> = match credential.get("proof") {
        Some(Value::Array(proofs)) => proofs.iter().collect(),
        Some(proof) => vec![proof],
        None => Vec::new(),
    };
    let key_id = proofs
        .iter()
        .find_map(|proof| proof["verificationMethod"].as_str())
        .unwrap_or(&certificate.kid)
        .to_owned();
    let mut proof_types: Vec<String> = proofs
        .iter()
        .filter_map(|proof| proof["cryptosuite"].as_str().map(str::to_owned))
        .collect();
    if certificate.jws.is_some() {
        proof_types.push("JWS (VC-JOSE)".to_owned());
    }
    SignatureFacts { key_id, proof_types, issued_at: certificate.issued_at }
}

fn revocation_facts(revocation: Revocation) -> RevocationFacts {
    RevocationFacts {
        reason: revocation.reason,
        note: revocation.note,
        revoked_at: revocation.revoked_at,
    }
}

/// The record as the printed transcript shows it; `certificates` by number, for what the
/// record's view does not carry (the institution, the signatures).
fn transcript_sheet(
    view: RecordView,
    certificates: &BTreeMap<String, Certificate>,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<TranscriptSheet, ApiError> {
    let mut signatures: Vec<(SignatureFacts, usize)> = Vec::new();
    let mut institutions: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for (number, certificate) in certificates {
        let credential: Map<String, Value> =
            serde_json::from_str(&certificate.credential.text()?).map_err(ApiError::internal)?;
        institutions.insert(number, Stated::of(&credential).institution);
        let facts = signature_facts(certificate, &credential);
        match signatures.iter_mut().find(|(known, _)| {
            known.key_id == facts.key_id && known.proof_types == facts.proof_types
        }) {
            Some((_, count)) => *count += 1,
            None => signatures.push((facts, 1)),
        }
    }
    let institution = |number: &str| institutions.get(number).cloned().flatten();
    let mut rows = Vec::new();
    for category in view.categories {
        for entry in category.completions {
            rows.push(TranscriptRow {
                category: category.category_code.clone(),
                institution: entry.certificates.last().and_then(|last| institution(&last.number)),
                program_code: entry.program_code,
                program_title: entry.program_title,
                started_on: entry.started_on,
                ended_on: entry.ended_on,
                training_days: u32::try_from(entry.duration_days).unwrap_or(0),
                outcome: entry.outcome,
                status: entry.status,
                certificates: entry
                    .certificates
                    .into_iter()
                    .map(|certificate| {
                        let revocation = certificate.revocation.map(|revocation| RevocationFacts {
                            reason: revocation.reason,
                            note: revocation.note,
                            revoked_at: revocation.revoked_at,
                        });
                        (certificate.number, revocation)
                    })
                    .collect(),
                successor_certificate: entry.successor_certificate,
            });
        }
    }
    let days = view.training_days;
    Ok(TranscriptSheet {
        full_name: view.full_name,
        official_id: view.official_id.to_string(),
        generated_at: now,
        verification_base: format!("{base_url}/v/"),
        rows,
        total_days: days.total,
        days_by_year: days.by_year.into_iter().map(|year| (year.year, year.days)).collect(),
        days_by_category: days
            .by_category
            .into_iter()
            .map(|category| (category.category_code, category.days))
            .collect(),
        signatures,
    })
}

/// A statement the registry's own credential must make (a missing one is the registry's
/// fault: a 500).
fn required<T>(stated: Option<T>, what: &str) -> Result<T, ApiError> {
    stated.ok_or_else(|| missing(what))
}

fn missing(what: &str) -> ApiError {
    ApiError::internal(format!("the certificate's credential lacks {what}"))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_certificate_pdf)).routes(routes!(get_record_pdf))
}
