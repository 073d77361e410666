//! `/s/{secret}`: what an official's share link opens, for someone without an account (an HR
//! officer): one certificate's verification page, as `/v/{number}` shows it, or the whole
//! record's certificates in force, each verified, with the signed transcript to download.
//!
//! The secret is in the path only: the request's span names the route (`/s/{secret}`), never
//! the path itself, and the page is sent `no-store` and `no-referrer`, so neither a cache nor
//! a link followed from the page keeps it. Each opening is logged in the official's read log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hocba_domain::CompletionStatus;
use hocba_store::{OfficialRecord, Opening, ShareState, Shared, StoreError};

use super::session::SignedIn;
use super::stated::{Vietnamese, vietnamese_time};
use super::verify::{SharedNotice, Verdict, answer, verdict};
use super::{Layout, Nav, PageError, Url, page};
use crate::shares::{is_secret, secret_hash};
use crate::verification::{by_number, verify_for_holder};
use crate::{ApiError, AppState};

/// One certificate in force of a shared record, verified.
#[derive(Debug)]
struct SharedCertificate {
    number: String,
    title: String,
    ended_on: time::Date,
    verdict: Verdict,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared_record.html")]
struct SharedRecordPage {
    layout: Layout,
    holder: String,
    shared: SharedNotice,
    certificates: Vec<SharedCertificate>,
    /// Where the signed transcript is downloaded (through the same link).
    transcript: Url,
}

/// What the link opens, or why not, without a word about whether a link exists to someone who
/// guessed a malformed one.
async fn open(
    app: &AppState,
    raw: &str,
    purpose: &str,
    record_only: bool,
) -> Result<Opening, PageError> {
    if !is_secret(raw) {
        return Err(PageError::UnknownShare);
    }
    match app.store.open_share_link(&secret_hash(raw), purpose, record_only).await {
        Ok(Opening::Closed(ShareState::Revoked)) => Err(PageError::ShareRevoked),
        Ok(Opening::Closed(_)) => Err(PageError::ShareExpired),
        Ok(opening) => Ok(opening),
        Err(StoreError::NotFound { .. }) => Err(PageError::UnknownShare),
        Err(error) => Err(PageError::Api(error.into())),
    }
}

/// `GET /s/{secret}`: the verification page of what the link shares.
pub(super) async fn get_shared(
    State(app): State<AppState>,
    signed_in: Option<SignedIn>,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let layout = Layout::for_visitor(Nav::Verify, signed_in.as_ref());
    let Opening::Opened { link, shared } = open(&app, &secret, "GET /s/{secret}", false).await?
    else {
        return Err(PageError::UnknownShare);
    };
    let notice = SharedNotice { until: vietnamese_time(link.expires_at) };
    match shared {
        Shared::Certificate(certificate) => {
            let (presented, stored) = by_number(&app, &certificate.number).await?;
            answer(&app, layout, presented, Some(stored), None, Some(notice)).await
        }
        Shared::Record(record) => {
            let holder = record.full_name.as_str().to_owned();
            let certificates = verified_in_force(&app, *record).await?;
            let transcript = Url::SharedTranscript(secret);
            Ok(page(
                StatusCode::OK,
                SharedRecordPage { layout, holder, shared: notice, certificates, transcript },
            ))
        }
    }
}

/// The certificates of `record` that stand (of live completions, not revoked), each with the
/// verifier's verdict, in the record's order.
async fn verified_in_force(
    app: &AppState,
    record: OfficialRecord,
) -> Result<Vec<SharedCertificate>, ApiError> {
    let mut shown = Vec::new();
    for entry in record.entries.into_iter().filter(|e| e.status == CompletionStatus::Live) {
        for issued in entry.certificates.into_iter().filter(|c| c.revocation.is_none()) {
            let (presented, stored) = by_number(app, &issued.number).await?;
            let (report, _) = verify_for_holder(app, presented, Some(&stored), None).await?;
            shown.push(SharedCertificate {
                number: issued.number.to_string(),
                title: entry.program_title.clone(),
                ended_on: entry.completion.ended_on,
                verdict: verdict(&report, stored.revocation.is_some()),
            });
        }
    }
    Ok(shown)
}

/// `GET /s/{secret}/transcript`: the shared record's signed transcript (a CLR 2.0
/// `ClrCredential`), as a file to keep; the download is logged as an opening.
pub(super) async fn get_shared_transcript(
    State(app): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let opening = open(&app, &secret, "GET /s/{secret}/transcript", true).await?;
    let Opening::Opened { link, shared: Shared::Record(record) } = opening else {
        // A certificate's link shares no transcript.
        return Err(PageError::UnknownShare);
    };
    let credential = crate::record::signed_transcript(&app, &link.actor(), *record).await?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"hocba-transcript.json\""),
        ],
        credential,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}
