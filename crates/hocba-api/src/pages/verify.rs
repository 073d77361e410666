//! `/verify` and `/v/{number}`: an HR officer (anyone) checks a certificate by its number, by
//! pasting or uploading it, and may ask whether the person presenting it is its holder.
//!
//! The national ID number typed for that question is compared with the credential's salted
//! hash by the API's own check ([`verify_for_holder`]) and then dropped: it is
//! never stored, logged, put in a URL (the form is POSTed) or written back into a page.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hocba_credentials::stated::Stated;
use hocba_credentials::transcript;
use hocba_credentials::verify::{Check, Presented, Report};
use hocba_domain::{CertificateNumber, NationalId, RevocationReason};
use hocba_store::Certificate;
use serde_json::Value;

use super::session::SignedIn;
use super::stated::{Vietnamese as _, vietnamese_time};
use super::{Layout, Nav, PageError, Url, page};
use crate::oauth::source_address;
use crate::verification::{by_number, stored_certificate_of, verify_for_holder};
use crate::{ApiError, AppState};

/// The form's fields, as the page names them.
const NUMBER: &str = "number";
const PASTED: &str = "credential";
const FILE: &str = "file";
const NATIONAL_ID: &str = "national_id";

/// What was typed into the form, to show it again beside an error. Holds no national ID
/// number: that field is always shown empty.
#[derive(Debug, Default)]
struct Entered {
    number: String,
    pasted: String,
}

/// Why the form was not answered, each shown beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormError {
    /// Neither a number, nor a pasted credential, nor a file.
    NothingGiven,
    /// More than one of them.
    MoreThanOne,
    /// The number's shape or check character is wrong.
    BadNumber,
    /// No certificate has this number.
    UnknownNumber,
    /// The pasted or uploaded text is neither a JSON object nor a compact JWS.
    NotACredential,
    /// The uploaded file is not text.
    NotText,
    /// The national ID number is not 12 digits.
    BadNationalId,
}

impl FormError {
    /// The field the error is about (`aria-describedby`, focus order).
    fn field(self) -> &'static str {
        match self {
            FormError::NothingGiven
            | FormError::MoreThanOne
            | FormError::BadNumber
            | FormError::UnknownNumber => NUMBER,
            FormError::NotACredential | FormError::NotText => PASTED,
            FormError::BadNationalId => NATIONAL_ID,
        }
    }

    /// As the API answers the same mistake: a malformed parameter 400, an unknown number 404,
    /// a malformed national ID number 422.
    fn status(self) -> StatusCode {
        match self {
            FormError::UnknownNumber => StatusCode::NOT_FOUND,
            FormError::BadNationalId => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verify.html")]
struct FormPage {
    layout: Layout,
    entered: Entered,
    error: Option<FormError>,
}

impl FormPage {
    /// Whether the error is about `field` (the template marks that field).
    fn error_on(&self, field: &str) -> bool {
        self.error.is_some_and(|error| error.field() == field)
    }

    fn national_id_invalid(&self) -> bool {
        self.error_on(NATIONAL_ID)
    }
}

/// `GET /verify`: the empty form.
/// Names who is signed in, if anyone; the answers to the form are the same for everyone.
pub(super) async fn get_form(signed_in: Option<SignedIn>) -> Response {
    let layout = Layout::for_visitor(Nav::Verify, signed_in.as_ref());
    let form = FormPage { layout, entered: Entered::default(), error: None };
    page(StatusCode::OK, form)
}

/// What the form sent.
#[derive(Default)]
struct Submitted {
    entered: Entered,
    uploaded: Option<Vec<u8>>,
    national_id: Option<String>,
}

impl Submitted {
    async fn read(mut multipart: Multipart) -> Result<Submitted, PageError> {
        let mut submitted = Submitted::default();
        while let Some(field) = multipart.next_field().await.map_err(broken_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                NUMBER => submitted.entered.number = field.text().await.map_err(broken_form)?,
                PASTED => submitted.entered.pasted = field.text().await.map_err(broken_form)?,
                FILE => {
                    let bytes = field.bytes().await.map_err(broken_form)?;
                    submitted.uploaded = (!bytes.is_empty()).then(|| bytes.to_vec());
                }
                NATIONAL_ID => {
                    let text = field.text().await.map_err(broken_form)?;
                    submitted.national_id = (!text.trim().is_empty()).then_some(text);
                }
                _ => {}
            }
        }
        Ok(submitted)
    }
}

fn broken_form(error: axum::extract::multipart::MultipartError) -> PageError {
    PageError::BadForm(error.status())
}

/// `POST /verify` (`multipart/form-data`): verifies what the form gives, or shows the form
/// again with the error beside its field and what was typed, except the national ID number.
/// Each source address may send as many forms a second as a credential may make API requests
/// (`--rate-limit`), bursts of twice that; beyond it, a page saying so, with `429` and
/// `Retry-After`. A pasted credential costs the server JSON-LD work that nothing remembers.
pub(super) async fn post_form(
    State(app): State<AppState>,
    signed_in: Option<SignedIn>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    app.limiter.check_source(source_address(connection.as_deref()))?;
    let layout = Layout::for_visitor(Nav::Verify, signed_in.as_ref());
    let multipart = multipart.map_err(|rejection| PageError::BadForm(rejection.status()))?;
    let mut submitted = Submitted::read(multipart).await?;
    if let Some(uploaded) = submitted.uploaded.take() {
        // Shown again in the paste box if the form comes back: a file input cannot be refilled.
        match String::from_utf8(uploaded) {
            Ok(text) if submitted.entered.pasted.trim().is_empty() => {
                submitted.entered.pasted = text;
            }
            Ok(_) => return Ok(form_error(layout, submitted.entered, FormError::MoreThanOne)),
            Err(_) => return Ok(form_error(layout, submitted.entered, FormError::NotText)),
        }
    }
    let national_id = match submitted.national_id.as_deref().map(NationalId::parse_format) {
        Some(Err(_)) => return Ok(form_error(layout, submitted.entered, FormError::BadNationalId)),
        Some(Ok(national_id)) => Some(national_id),
        None => None,
    };
    let entered = submitted.entered;
    let (number, pasted) = (entered.number.trim(), entered.pasted.trim());
    let (presented, stored) = match (number.is_empty(), pasted.is_empty()) {
        (true, true) => return Ok(form_error(layout, entered, FormError::NothingGiven)),
        (false, false) => return Ok(form_error(layout, entered, FormError::MoreThanOne)),
        (false, true) => {
            let Ok(number) = CertificateNumber::parse(number) else {
                return Ok(form_error(layout, entered, FormError::BadNumber));
            };
            match by_number(&app, &number).await.map_err(PageError::from) {
                Ok((presented, stored)) => (presented, Some(stored)),
                Err(PageError::UnknownNumber) => {
                    return Ok(form_error(layout, entered, FormError::UnknownNumber));
                }
                Err(error) => return Err(error),
            }
        }
        (true, false) => {
            let Some(presented) = presented_text(pasted) else {
                return Ok(form_error(layout, entered, FormError::NotACredential));
            };
            let stored = stored_certificate_of(&app, &presented).await?;
            (presented, stored)
        }
    };
    answer(&app, layout, presented, stored, national_id.as_ref(), None).await
}

/// `GET /v/{number}`: the answer for a certificate's short link, the target of its QR code.
pub(super) async fn get_link(
    State(app): State<AppState>,
    signed_in: Option<SignedIn>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let number = CertificateNumber::parse(&raw).map_err(|_| PageError::BadNumber)?;
    let (presented, stored) = by_number(&app, &number).await?;
    let layout = Layout::for_visitor(Nav::Verify, signed_in.as_ref());
    answer(&app, layout, presented, Some(stored), None, None).await
}

fn form_error(layout: Layout, entered: Entered, error: FormError) -> Response {
    page(error.status(), FormPage { layout, entered, error: Some(error) })
}

/// A pasted or uploaded certificate: a credential as JSON (alone, or as the API serves it, in
/// a `credential` or `verifiableCredential` member), or a compact JWS.
fn presented_text(text: &str) -> Option<Presented> {
    if !text.starts_with('{') {
        let compact = text.split('.').count() == 3 && !text.contains(char::is_whitespace);
        return compact.then(|| Presented::Jws(text.to_owned()));
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else { return None };
    let wrapped =
        ["credential", "verifiableCredential"].into_iter().find_map(|member| {
            match object.get(member) {
                Some(Value::Object(inner)) if !object.contains_key("@context") => {
                    Some(inner.clone())
                }
                _ => None,
            }
        });
    Some(Presented::Credential(wrapped.unwrap_or(object)))
}

/// One check as the page lists it.
#[derive(Debug)]
struct CheckRow {
    /// Its place in the list (the anchor the summary of failures links to).
    position: usize,
    /// Which certificate inside a transcript the check is about (from 1), if any.
    within: Option<usize>,
    kind: CheckKind,
    /// The cryptosuite of a signature check.
    suite: Option<String>,
    passed: bool,
    /// The verifier's reason, in English (as the API gives it).
    reason: String,
}

/// The checks the verifier makes, named for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckKind {
    WellFormed,
    Signature,
    Key,
    Trust,
    Issuer,
    Accreditation,
    Status,
    Validity,
    Other,
}

impl CheckKind {
    /// The name a test or a stylesheet can find the row by.
    fn slug(self) -> &'static str {
        match self {
            CheckKind::WellFormed => "well-formed",
            CheckKind::Signature => "signature",
            CheckKind::Key => "key",
            CheckKind::Trust => "trust",
            CheckKind::Issuer => "issuer",
            CheckKind::Accreditation => "accreditation",
            CheckKind::Status => "status",
            CheckKind::Validity => "validity",
            CheckKind::Other => "other",
        }
    }

    /// What passing or failing the check means, in Vietnamese: the verifier's reason beside it
    /// is the API's English, with the key, date or cryptosuite it names.
    fn meaning(self, passed: bool) -> &'static str {
        match (self, passed) {
            (CheckKind::WellFormed, true) => "Đúng định dạng chứng chỉ số W3C.",
            (CheckKind::WellFormed, false) => "Không đọc được như một chứng chỉ số W3C.",
            (CheckKind::Signature, true) => "Chữ ký số khớp với nội dung: chứng chỉ không bị sửa.",
            (CheckKind::Signature, false) => {
                "Chữ ký số không khớp với nội dung: chứng chỉ đã bị sửa, hoặc chữ ký không dùng \
                 được."
            }
            (CheckKind::Key, true) => "Khóa ký là khóa của cơ sở dữ liệu.",
            (CheckKind::Key, false) => "Khóa ký không phải của cơ sở dữ liệu, hoặc đã bị thu hồi.",
            (CheckKind::Trust, true) => "Khóa ký có trong danh sách khóa cơ sở dữ liệu công bố.",
            (CheckKind::Trust, false) => {
                "Khóa ký không có trong danh sách khóa cơ sở dữ liệu công bố."
            }
            (CheckKind::Issuer, true) => "Đơn vị cấp ghi trên chứng chỉ chính là bên đã ký.",
            (CheckKind::Issuer, false) => {
                "Đơn vị cấp ghi trên chứng chỉ không ký nó, hoặc không phải cơ sở dữ liệu này."
            }
            (CheckKind::Accreditation, true) => {
                "Cơ sở đào tạo được kiểm định cho loại chương trình này vào ngày kết thúc khóa học."
            }
            (CheckKind::Accreditation, false) => {
                "Không cho thấy cơ sở đào tạo được kiểm định cho loại chương trình này vào ngày \
                 kết thúc khóa học."
            }
            (CheckKind::Status, true) => "Không có thông báo thu hồi.",
            (CheckKind::Status, false) => {
                "Đã bị thu hồi, hoặc không kiểm tra được danh sách thu hồi."
            }
            (CheckKind::Validity, true) => "Đang trong thời hạn hiệu lực.",
            (CheckKind::Validity, false) => "Chưa đến ngày có hiệu lực, hoặc đã hết hạn.",
            (CheckKind::Other, _) => "Xem chi tiết bằng tiếng Anh bên cạnh.",
        }
    }
}

impl CheckRow {
    /// What its outcome means, in Vietnamese.
    fn meaning(&self) -> &'static str {
        self.kind.meaning(self.passed)
    }

    fn new(position: usize, check: &Check) -> Self {
        // A transcript's verifier reports each embedded certificate's checks under its place:
        // `credentialSubject.verifiableCredential[i] proof eddsa-rdfc-2022`.
        let (within, name) = check
            .check
            .strip_prefix("credentialSubject.verifiableCredential[")
            .and_then(|rest| rest.split_once("] "))
            .and_then(|(index, name)| Some((Some(index.parse::<usize>().ok()? + 1), name)))
            .unwrap_or((None, check.check.as_str()));
        let (kind, suite) = match name.split_once(' ') {
            Some(("proof", suite)) => (CheckKind::Signature, Some(suite.to_owned())),
            _ => {
                let kind = match name {
                    "well_formed" => CheckKind::WellFormed,
                    "proof" => CheckKind::Signature,
                    "key" => CheckKind::Key,
                    "trust" => CheckKind::Trust,
                    "issuer" => CheckKind::Issuer,
                    "accreditation" => CheckKind::Accreditation,
                    "status" => CheckKind::Status,
                    "validity" => CheckKind::Validity,
                    _ => CheckKind::Other,
                };
                (kind, None)
            }
        };
        CheckRow {
            position,
            within,
            kind,
            suite,
            passed: check.passed,
            reason: check.reason.clone(),
        }
    }
}

/// The verdict at the top of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Every check passed.
    Valid,
    /// Genuine, but revoked by the registry.
    Revoked,
    /// Some check other than revocation failed: do not trust what it states.
    Invalid,
}

/// The answer to "is this the person in front of me?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HolderAnswer {
    NotAsked,
    Matches,
    DoesNotMatch,
    /// The credential carries no hashed national ID number to compare with.
    CannotTell,
}

/// A revocation as the page shows it.
#[derive(Debug)]
struct RevocationRow {
    reason: RevocationReason,
    note: Option<String>,
    at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "result.html")]
struct ResultPage {
    layout: Layout,
    verdict: Verdict,
    /// Whether what was verified is a transcript (a CLR `ClrCredential`) rather than one
    /// certificate: the heading and its words name what the verdict is about.
    transcript: bool,
    checks: Vec<CheckRow>,
    stated: Option<Stated>,
    revocation: Option<RevocationRow>,
    /// The short link of the certificate that replaced a superseded one.
    successor: Option<Url>,
    holder: HolderAnswer,
    /// The number of this certificate, when the registry holds it (for its short link, and
    /// for asking about the person in front of me without typing it again).
    held: Option<String>,
    /// When the page is opened through an official's share link.
    shared: Option<SharedNotice>,
}

/// Said at the top of a page opened through a share link.
#[derive(Debug, Clone)]
pub(super) struct SharedNotice {
    /// When the link stops opening, Vietnam time.
    pub until: String,
}

impl ResultPage {
    /// The ID number field on an answer is always blank and never in error.
    fn national_id_invalid(&self) -> bool {
        false
    }

    /// The certificate's short link, when the registry holds it.
    fn link(&self) -> Option<Url> {
        self.held.clone().map(Url::Certificate)
    }

    /// The checks that failed, named at the top of an invalid certificate's answer.
    fn failed(&self) -> impl Iterator<Item = &CheckRow> {
        self.checks.iter().filter(|check| !check.passed)
    }

    fn reason_slug(&self) -> &'static str {
        self.revocation.as_ref().map_or("", |revocation| revocation.reason.as_str())
    }
}

/// Verifies and shows the answer: 200 for a valid certificate and for a genuine one the
/// registry revoked (the answer is that it was revoked), 422 when a check failed otherwise
/// (tampered, an unknown key, malformed, outside its dates), as `POST /credentials/verify`.
pub(super) async fn answer(
    app: &AppState,
    layout: Layout,
    presented: Presented,
    stored: Option<Certificate>,
    national_id: Option<&NationalId>,
    shared: Option<SharedNotice>,
) -> Result<Response, PageError> {
    let (report, holder_match) =
        verify_for_holder(app, presented, stored.as_ref(), national_id).await?;
    let revocation = stored.as_ref().and_then(|stored| stored.revocation.as_ref());
    let verdict = verdict(&report, revocation.is_some());
    let successor = match (revocation, &stored) {
        (Some(revoked), Some(stored)) if revoked.reason == RevocationReason::Superseded => {
            app.store.successor_certificate(stored.completion_id).await.map_err(ApiError::from)?
        }
        _ => None,
    };
    let holder = match (national_id, holder_match) {
        (None, _) => HolderAnswer::NotAsked,
        (Some(_), Some(true)) => HolderAnswer::Matches,
        (Some(_), Some(false)) => HolderAnswer::DoesNotMatch,
        (Some(_), None) => HolderAnswer::CannotTell,
    };
    let stated = report.credential.as_ref().map(Stated::of);
    let transcript = report.credential.as_ref().is_some_and(transcript::is_transcript);
    // Only a number the registry holds and the credential states.
    let held = stored
        .as_ref()
        .map(|stored| stored.number.to_string())
        .filter(|number| stated.as_ref().and_then(|stated| stated.number.as_ref()) == Some(number));
    let result = ResultPage {
        layout,
        verdict,
        transcript,
        checks: report
            .checks
            .iter()
            .enumerate()
            .map(|(at, check)| CheckRow::new(at, check))
            .collect(),
        stated,
        revocation: revocation.map(|revoked| RevocationRow {
            reason: revoked.reason,
            note: revoked.note.clone(),
            at: vietnamese_time(revoked.revoked_at),
        }),
        successor: successor.map(|number| Url::Certificate(number.to_string())),
        holder,
        held,
        shared,
    };
    let status = match verdict {
        Verdict::Valid | Verdict::Revoked => StatusCode::OK,
        Verdict::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(page(status, result))
}

/// Valid when every check passed; revoked when the registry's revocation is the only check
/// that failed; invalid otherwise.
pub(super) fn verdict(report: &Report, revoked: bool) -> Verdict {
    if report.verified {
        return Verdict::Valid;
    }
    let only_status_failed = report.errors().all(|check| check.check == "status");
    if revoked && only_status_failed { Verdict::Revoked } else { Verdict::Invalid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_is_json_a_wrapped_credential_or_a_compact_jws() {
        let bare = presented_text(r#"{"@context": [], "id": "urn:x"}"#);
        assert!(matches!(bare, Some(Presented::Credential(c)) if c.contains_key("@context")));
        let wrapped = presented_text(r#"{"number": "HB", "credential": {"id": "urn:x"}}"#);
        assert!(matches!(wrapped, Some(Presented::Credential(c)) if c.contains_key("id")));
        assert!(matches!(presented_text("eyJh.eyJi.c2ln"), Some(Presented::Jws(_))));
        assert!(presented_text("not a credential").is_none());
        assert!(presented_text("{broken").is_none());
        assert!(presented_text("[1, 2]").is_none());
    }

    #[test]
    fn a_revoked_certificate_is_revoked_only_when_nothing_else_failed() {
        let check =
            |name: &str, passed| Check { check: name.to_owned(), passed, reason: String::new() };
        let report = |checks: Vec<Check>| Report {
            verified: checks.iter().all(|check| check.passed),
            checks,
            ..Report::default()
        };
        let revoked = report(vec![check("proof eddsa-jcs-2022", true), check("status", false)]);
        assert_eq!(verdict(&revoked, true), Verdict::Revoked);
        let tampered = report(vec![check("proof eddsa-jcs-2022", false), check("status", false)]);
        assert_eq!(verdict(&tampered, true), Verdict::Invalid);
        assert_eq!(verdict(&report(vec![check("status", true)]), false), Verdict::Valid);
    }
}
