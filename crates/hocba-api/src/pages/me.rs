//! `/me`: the signed-in person's own page. For an official, their record as
//! `GET /api/v1/officials/{id}/record` gives it, made readable (grouped by category, each
//! completion's status and certificates, training days), the downloads, and who read the record
//! and when. For an HR department or the operator, who they are signed in as.
//!
//! The record's PDF and signed transcript are served under `/me/` by the API's own handlers with
//! the session's principal, so the page needs no bearer token; certificates are public by their
//! number, and their PDF, JSON and JWS links are the API's.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hocba_domain::{CompletionStatus, OfficialId, Outcome};
use hocba_store::{ReaderKind, RecordRead, Role};

use super::consents::{ConsentForm, ConsentSection};
use super::session::SignedIn;
use super::stated::{vietnamese_day, vietnamese_time};
use super::{Layout, Nav, PageError, page};
use crate::auth::RecordOrClientReader;
use crate::record::{RecordEntryView, RecordView};
use crate::{ApiError, AppState};

/// Which kind of account a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Agency,
    Operator,
}

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    holder: Holder,
}

#[derive(Template, WebTemplate)]
#[template(path = "me_record.html")]
struct RecordPage {
    layout: Layout,
    record: RecordView,
    /// Category titles (Vietnamese, English), by code.
    titles: HashMap<String, (String, String)>,
    /// Whether any certificate stands (the signed transcript embeds only those).
    has_live: bool,
    reads: Vec<ReadLine>,
    consents: ConsentSection,
    /// The session's CSRF token, for the consents' forms.
    csrf: String,
}

impl RecordPage {
    fn title(&self, code: &str) -> (String, String) {
        self.titles.get(code).cloned().unwrap_or_else(|| (code.to_owned(), String::new()))
    }

    fn day(&self, date: &time::Date) -> String {
        vietnamese_day(*date)
    }

    fn outcome(&self, entry: &RecordEntryView) -> (&'static str, &'static str) {
        match entry.outcome {
            Outcome::Excellent => ("Xuất sắc", "Excellent"),
            Outcome::Good => ("Giỏi", "Good"),
            Outcome::Fair => ("Khá", "Fair"),
            Outcome::Passed => ("Đạt", "Passed"),
        }
    }

    fn status(&self, entry: &RecordEntryView) -> (&'static str, &'static str, &'static str) {
        match entry.status {
            CompletionStatus::Live => ("live", "Còn hiệu lực", "Live"),
            CompletionStatus::Revoked => ("revoked", "Đã thu hồi", "Revoked"),
            CompletionStatus::Superseded => ("superseded", "Đã được thay thế", "Superseded"),
        }
    }
}

/// One line of the read log, as the page says it.
struct ReadLine {
    at: String,
    /// Who, in Vietnamese and English.
    who: (String, String),
    kind: &'static str,
}

impl From<RecordRead> for ReadLine {
    fn from(read: RecordRead) -> Self {
        let organisation = read.organisation.clone().unwrap_or_default();
        let who = match read.kind {
            _ if read.own => ("Bạn".to_owned(), "You".to_owned()),
            ReaderKind::Agency => (
                format!("Bộ phận nhân sự — {organisation}"),
                format!("HR department — {organisation}"),
            ),
            ReaderKind::Operator => {
                ("Đơn vị vận hành".to_owned(), "The registry operator".to_owned())
            }
            ReaderKind::Institution => (organisation.clone(), organisation),
            ReaderKind::Client => match &read.consent_purpose {
                Some(purpose) => (
                    format!("{organisation} — theo sự đồng ý của bạn, mục đích «{purpose}»"),
                    format!("{organisation} — under your consent, for “{purpose}”"),
                ),
                None => (
                    format!("{organisation} — hệ thống của cơ quan quản lý bạn"),
                    format!("{organisation} — your agency's system"),
                ),
            },
            ReaderKind::Official => ("Một cán bộ khác".to_owned(), "Another official".to_owned()),
            ReaderKind::System => ("Hệ thống".to_owned(), "The registry".to_owned()),
            ReaderKind::ShareLink => match &read.key_label {
                Some(label) => (
                    format!("Mở qua liên kết chia sẻ «{label}»"),
                    format!("Opened through the share link “{label}”"),
                ),
                None => {
                    ("Mở qua liên kết chia sẻ".to_owned(), "Opened through a share link".to_owned())
                }
            },
        };
        ReadLine { at: vietnamese_time(read.read_at), who, kind: read.kind.as_str() }
    }
}

/// How many reads the page lists (the newest); the API lists them all.
const READS_SHOWN: usize = 50;

/// `GET /me`.
pub(super) async fn get_page(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let holder = match (signed_in.principal.role(), signed_in.principal.official_id()) {
        (Role::Official, Some(_)) => {
            return record_page_with(&app, &signed_in, StatusCode::OK, ConsentForm::fresh()).await;
        }
        (Role::Agency, _) => Holder::Agency,
        _ => Holder::Operator,
    };
    let template =
        AccountPage { layout: signed_in.layout(Nav::Me), name: signed_in.name.clone(), holder };
    Ok(page(StatusCode::OK, template))
}

/// The official's page with `status`, its consents' form as `consent_form` says.
pub(super) async fn record_page_with(
    app: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    consent_form: ConsentForm,
) -> Result<Response, PageError> {
    let official = signed_in.principal.official_id().ok_or(PageError::Api(ApiError::Forbidden))?;
    let actor = signed_in.principal.actor();
    let record = app.store.official_record(&actor, "GET /me", official).await.map_err(api)?;
    let record = RecordView::from(record);
    let titles = category_titles(app).await?;
    let mut reads = app.store.record_reads(&actor, official).await.map_err(api)?;
    reads.reverse();
    reads.truncate(READS_SHOWN);
    let has_live =
        record.categories.iter().flat_map(|category| &category.completions).any(|entry| {
            entry.status == CompletionStatus::Live
                && entry.certificates.iter().any(|certificate| certificate.revocation.is_none())
        });
    let consents = ConsentSection::load(app, official, consent_form).await.map_err(api)?;
    let template = RecordPage {
        layout: signed_in.layout(Nav::Me),
        record,
        titles,
        has_live,
        reads: reads.into_iter().map(ReadLine::from).collect(),
        consents,
        csrf: signed_in.csrf.clone(),
    };
    Ok(page(status, template))
}

/// The catalogue's category titles (Vietnamese, English), by code, as the official's pages name
/// the categories of their courses and of the standards.
pub(super) async fn category_titles(
    app: &AppState,
) -> Result<HashMap<String, (String, String)>, PageError> {
    let categories = app.store.categories().await.map_err(api)?;
    Ok(categories
        .into_iter()
        .map(|category| (category.code.as_str().to_owned(), (category.title_vi, category.title_en)))
        .collect())
}

/// A store or API error, as a page (never read as "no such certificate").
fn api(error: impl Into<ApiError>) -> PageError {
    PageError::Api(error.into())
}

/// The signed-in official, as the API's record reader; anyone else has no record here.
fn own_record(signed_in: SignedIn) -> Result<(RecordOrClientReader, OfficialId), PageError> {
    let official = signed_in.principal.official_id().ok_or(PageError::Api(ApiError::Forbidden))?;
    Ok((RecordOrClientReader(signed_in.principal), official))
}

/// `GET /me/record.pdf`: the official's record printed, as `GET
/// /api/v1/officials/{id}/record/pdf` gives it.
pub(super) async fn get_record_pdf(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let (reader, official) = own_record(signed_in)?;
    crate::pdf::get_record_pdf(State(app), reader, crate::extract::Path(official))
        .await
        .map_err(api)
}

/// `GET /me/record.json`: the official's signed transcript, as `GET
/// /api/v1/officials/{id}/record/credential` gives it, to save.
pub(super) async fn get_record_credential(
    State(app): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (reader, official) = own_record(signed_in)?;
    let mut response = crate::record::get_record_credential(
        State(app),
        reader,
        headers,
        crate::extract::Path(official),
    )
    .await
    .map_err(api)?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"training-record.json\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
