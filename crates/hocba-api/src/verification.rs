//! Verification for HR departments (`/api/v1/verify`) and the W3C CCG VC API
//! (`/credentials/issue`, `/credentials/verify`). Both use the one verifier of
//! `hocba-credentials`; this module only fetches what it needs from the store first.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hocba_credentials::certificate::HolderHash;
use hocba_credentials::verdicts::VerdictKey;
use hocba_credentials::verify::{
    Check, Expected, Presented, Report, StatusAnswer, StatusSource, Trust, Verifier,
};
use hocba_credentials::{CredentialError, Cryptosuite, StatusEntry, certificate, model, multikey};
use hocba_domain::{CertificateNumber, Invalid, NationalId};
use hocba_store::{Certificate, Revocation, VerificationEpoch};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::certificates::{Forms, completed};
use crate::extract::{Json, JsonBytes};
use crate::verdicts::stamp;
use crate::{ApiError, AppState, Problem};

/// The status of the entries the presented credentials carry, looked up in the store before
/// verifying (the verifier itself does no I/O).
struct OnlineStatus(Vec<(StatusEntry, Result<StatusAnswer, String>)>);

impl StatusSource for OnlineStatus {
    fn status(&self, entry: &StatusEntry) -> Result<StatusAnswer, String> {
        self.0
            .iter()
            .find(|(known, _)| known == entry)
            .map(|(_, answer)| answer.clone())
            .unwrap_or_else(|| Err("the status list is not one of this registry's".into()))
    }
}

impl OnlineStatus {
    /// The status of `entries`, each read from the store now; the entry of `known` (a stored
    /// certificate this request has just read, with its revocation) is answered from it,
    /// without reading it again.
    async fn fetch(
        app: &AppState,
        entries: impl IntoIterator<Item = (StatusEntry, Option<String>)>,
        known: Option<&Certificate>,
    ) -> Result<Self, ApiError> {
        let mut answers = Vec::new();
        for (entry, number) in entries {
            let answer = match known.filter(|known| holds_entry(app, known, &entry)) {
                Some(known) => Ok(answer_of(known.revocation.clone())),
                None => status_of(app, &entry, number.as_deref()).await?,
            };
            answers.push((entry, answer));
        }
        Ok(OnlineStatus(answers))
    }
}

/// Whether `entry` is the revocation slot of the stored certificate `known`.
fn holds_entry(app: &AppState, known: &Certificate, entry: &StatusEntry) -> bool {
    app.authority.registry.status_list_number(&entry.list) == Some(known.status_list)
        && u32::try_from(entry.index).ok() == Some(known.status_index)
}

/// The stored certificate `presented` is: the one in the revocation slot it names, if it states
/// that certificate's number. Only then are the revocation's reason and note, and the
/// certificate that replaced it, told: a made-up credential naming another's slot learns the
/// slot's bit alone, which the public status list shows anyway.
pub(crate) async fn stored_certificate_of(
    app: &AppState,
    presented: &Presented,
) -> Result<Option<Certificate>, ApiError> {
    let Some(entry) = presented.status_entry() else { return Ok(None) };
    let Some(list) = app.authority.registry.status_list_number(&entry.list) else {
        return Ok(None);
    };
    let Ok(index) = u32::try_from(entry.index) else { return Ok(None) };
    let stored = app.store.certificate_at(list, index).await?;
    let number = presented.number();
    Ok(stored.filter(|stored| is_stated(stored, number.as_deref())))
}

/// Whether a credential stating certificate `number` is `stored`, the certificate in the slot
/// it names: only then is it told why the slot is set.
fn is_stated(stored: &Certificate, number: Option<&str>) -> bool {
    number == Some(stored.number.as_str())
}

fn answer_of(revocation: Option<Revocation>) -> StatusAnswer {
    StatusAnswer {
        revoked: revocation.is_some(),
        reason: revocation.map(|revocation| match revocation.note {
            Some(note) => format!("{} ({note})", revocation.reason.as_str()),
            None => revocation.reason.as_str().to_owned(),
        }),
    }
}

/// The status of `entry`, whose credential states certificate `number`.
async fn status_of(
    app: &AppState,
    entry: &StatusEntry,
    number: Option<&str>,
) -> Result<Result<StatusAnswer, String>, ApiError> {
    Ok(match app.authority.registry.status_list_number(&entry.list) {
        None => Err(format!("{} is not a status list of this registry", entry.list)),
        Some(list) if !app.store.status_list_exists(list).await? => {
            Err(format!("no status list {list}"))
        }
        Some(list) => {
            let index = u32::try_from(entry.index).unwrap_or(u32::MAX);
            Ok(match app.store.certificate_at(list, index).await? {
                Some(stored) if is_stated(&stored, number) => answer_of(stored.revocation),
                // A credential naming another certificate's slot: the bit, not why it was set.
                stored => StatusAnswer {
                    revoked: stored.is_some_and(|stored| stored.revocation.is_some()),
                    reason: None,
                },
            })
        }
    })
}

/// When and under which verification epoch a verification is made: the epoch read before the
/// keys and statuses it is made with, so that a verdict kept under it is never newer than them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moment {
    epoch: VerificationEpoch,
    now: OffsetDateTime,
}

impl Moment {
    /// Now, with the epoch read after this call began.
    pub(crate) async fn now(app: &AppState) -> Result<Moment, ApiError> {
        let epoch = app.verdicts.epoch(&app.store).await?;
        Ok(Moment { epoch, now: OffsetDateTime::now_utc() })
    }
}

/// Runs `check` with a verifier holding the registry's keys and the status of `entries`, in the
/// CPU pool: JSON-LD processing takes about a millisecond a proof.
async fn verify_with(
    app: &AppState,
    moment: Moment,
    entries: Vec<(StatusEntry, Option<String>)>,
    known: Option<&Certificate>,
    trust: Trust,
    check: impl FnOnce(&Verifier<'_>) -> Report + Send + 'static,
) -> Result<Report, ApiError> {
    let keys = app.verdicts.key_set(&app.authority, &app.store, moment.epoch).await?;
    let status = OnlineStatus::fetch(app, entries, known).await?;
    app.cpu
        .run(move || check(&Verifier { keys: &keys, status: &status, now: moment.now, trust }))
        .await
}

async fn verify(
    app: &AppState,
    moment: Moment,
    presented: Presented,
    known: Option<&Certificate>,
    trust: Trust,
) -> Result<Report, ApiError> {
    let entries = presented.status_entries();
    verify_with(app, moment, entries, known, trust, move |verifier| verifier.verify(&presented))
        .await
}

/// What to verify: exactly one of a credential, a JWS, or a certificate number; with, if asked,
/// the national ID number of the person presenting it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// A credential as JSON (with its proofs).
    pub credential: Option<Map<String, Value>>,
    /// A compact JWS.
    pub jws: Option<String>,
    /// A certificate number, as printed.
    pub number: Option<String>,
    /// The national ID number of the person presenting the certificate, to compare with the
    /// credential's salted hash; never stored, logged or repeated.
    pub national_id: Option<String>,
}

/// Documented as what the handler accepts, `oneOf` three objects of one required member each,
/// with the optional `national_id` beside it; the struct holds options so that the handler, not
/// serde, says "exactly one" and names the field.
impl PartialSchema for VerifyBody {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new().schema_type(Type::String).description(Some(description))
        };
        let only = |name: &str, member: ObjectBuilder| {
            let national_id = text(
                "The national ID number (12 digits) of the person presenting the certificate: \
                 the answer's `holder_match` says whether it is the holder's. Never stored, \
                 logged or repeated.",
            )
            .pattern(Some("^[0-9]{12}$"));
            ObjectBuilder::new()
                .property(name, member)
                .required(name)
                .property("national_id", national_id)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .description(Some(
                "What to verify: exactly one of a credential, a JWS, or a certificate number.",
            ))
            .item(only(
                "credential",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("A credential as JSON (with its proofs).")),
            ))
            .item(only("jws", text("A compact JWS.")))
            .item(only(
                "number",
                text("A certificate number, as printed.").examples(["HB-2026-7K3M9-QFD2A-X"]),
            ))
            .into()
    }
}

impl ToSchema for VerifyBody {}

/// The verifier's answer: every check, with pass or fail and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView<'a> {
    /// True when every check passed.
    pub verified: bool,
    /// Every check in order.
    #[schema(value_type = Vec<Object>)]
    pub checks: &'a RawValue,
    /// The certificate number the credential carries, if any.
    pub number: Option<&'a str>,
    /// Whether the `national_id` given is the holder's, by the salted hash the credential
    /// carries (trust it only when `verified` is true: whoever tampers with a credential can put
    /// any hash in it). Absent when no `national_id` was given or the credential carries no
    /// hashed national ID number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_match: Option<bool>,
}

/// Verifies a Hocba certificate (no token needed): proofs, key, issuer, revocation, dates; with
/// a `national_id`, says whether the person presenting it is its holder (`holder_match`).
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification",
    request_body = VerifyBody,
    responses((status = 200, body = VerificationView), (status = "4XX", body = Problem)))]
pub async fn post_verify(
    State(app): State<AppState>,
    Json(body): Json<VerifyBody>,
) -> Result<Response, ApiError> {
    // Checked first, so that a malformed number is refused before anything is looked up; the
    // error names the field, never the value.
    let national_id = body
        .national_id
        .as_deref()
        .map(NationalId::parse_format)
        .transpose()
        .map_err(|error| Invalid::field("national_id", error))?;
    let presented = match (body.credential, body.jws, body.number) {
        (Some(credential), None, None) => Presented::Credential(credential),
        (None, Some(jws), None) => Presented::Jws(jws),
        (None, None, Some(number)) => {
            let number = CertificateNumber::parse(&number).map_err(|error| {
                ApiError::BadParameter { field: "number".into(), reason: error.to_string() }
            })?;
            let verdict = verify_number(&app, &number).await?;
            return Ok(verdict.answer(national_id.as_ref()));
        }
        _ => {
            return Err(ApiError::BadParameter {
                field: "credential".into(),
                reason: "give exactly one of credential, jws or number".into(),
            });
        }
    };
    let (report, _) = verify_for_holder(&app, presented, None, None).await?;
    Ok(NumberVerdict::of(&report)?.answer(national_id.as_ref()))
}

/// What `POST /api/v1/verify` answers about a credential, kept (by certificate number) without
/// the credential itself: all a later request needs of it is the hash of its holder's national
/// ID number.
#[derive(Debug)]
pub(crate) struct NumberVerdict {
    verified: bool,
    /// The checks, written as JSON once: every answer drawn from the verdict repeats them
    /// as they are (about a kilobyte of text to escape and copy again otherwise).
    checks: Box<RawValue>,
    number: Option<String>,
    holder: Option<HolderHash>,
}

impl NumberVerdict {
    fn of(report: &Report) -> Result<NumberVerdict, ApiError> {
        let credential = report.credential.as_ref();
        Ok(NumberVerdict {
            verified: report.verified,
            checks: serde_json::value::to_raw_value(&report.checks).map_err(ApiError::internal)?,
            number: credential.and_then(certificate::number_of).map(str::to_owned),
            holder: credential.and_then(HolderHash::of),
        })
    }

    /// The answer: the verdict, and whether `national_id` is the holder's. Made into a response
    /// here, as its view borrows the verdict's written checks.
    fn answer(&self, national_id: Option<&NationalId>) -> Response {
        Json(VerificationView {
            verified: self.verified,
            checks: &self.checks,
            number: self.number.as_deref(),
            holder_match: self
                .holder
                .as_ref()
                .zip(national_id)
                .map(|(holder, national_id)| holder.matches(national_id)),
        })
        .into_response()
    }
}

/// The verdict on the stored certificate `number`: the one kept for it while the verification
/// epoch has not moved (no revocation, no key change) and its dates still say the same, or
/// worked out now and kept.
async fn verify_number(
    app: &AppState,
    number: &CertificateNumber,
) -> Result<Arc<NumberVerdict>, ApiError> {
    let moment = Moment::now(app).await?;
    let key = VerdictKey::of(&[b"number", number.as_str().as_bytes()]);
    if let Some(kept) = app.verdicts.by_number.get(&key, stamp(moment.epoch), moment.now) {
        app.verdicts.served_by_number.count(true);
        return Ok(kept);
    }
    let (presented, stored) = by_number(app, number).await?;
    let report = verify(app, moment, presented, Some(&stored), Trust::RegistryOnly).await?;
    app.verdicts.served_by_number.count(false);
    let verdict = Arc::new(NumberVerdict::of(&report)?);
    app.verdicts.by_number.keep(key, stamp(moment.epoch), moment.now, &report, verdict.clone());
    Ok(verdict)
}

/// The stored certificate with this number, and its credential (whole proof set) to verify.
pub(crate) async fn by_number(
    app: &AppState,
    number: &CertificateNumber,
) -> Result<(Presented, Certificate), ApiError> {
    let stored = app.store.certificate(number).await?;
    let stored = completed(app, stored, Forms::Credential).await?;
    let credential =
        serde_json::from_str(&stored.credential.text()?).map_err(ApiError::internal)?;
    Ok((Presented::Credential(credential), stored))
}

/// Verifies what was presented as a certificate of this registry; with a `national_id`, also
/// whether it is the holder's (`None` when not asked, or when the credential carries no hashed
/// national ID number). The API and the `/verify` page both answer with this.
pub(crate) async fn verify_for_holder(
    app: &AppState,
    presented: Presented,
    known: Option<&Certificate>,
    national_id: Option<&NationalId>,
) -> Result<(Report, Option<bool>), ApiError> {
    let moment = Moment::now(app).await?;
    let report = verify(app, moment, presented, known, Trust::RegistryOnly).await?;
    let holder_match =
        report.credential.as_ref().zip(national_id).and_then(|(credential, national_id)| {
            certificate::holder_matches(credential, national_id)
        });
    Ok((report, holder_match))
}

/// `POST /credentials/issue` body (W3C VC API).
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// The credential to sign.
    #[schema(value_type = Object)]
    pub credential: Value,
    /// `cryptosuites`: which proofs to attach (default: all the registry signs with).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
}

/// `POST /credentials/issue` answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueResponse {
    /// The signed credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: Map<String, Value>,
}

/// Signs a credential (operator). The issuer must be the registry's DID or the `did:key` of its
/// active key; the data model is checked before signing; a revocation status entry is added.
#[utoipa::path(post, path = "/credentials/issue", tag = "vc-api", security(("bearer" = [])),
    request_body = IssueRequest,
    responses((status = 201, body = IssueResponse), (status = "4XX", body = Problem)))]
pub async fn vc_issue(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(request): Json<IssueRequest>,
) -> Result<(StatusCode, Json<IssueResponse>), ApiError> {
    let Value::Object(mut credential) = request.credential else {
        return Err(model_error("credential", "must be a JSON object"));
    };
    let suites = requested_suites(&request.options)?;
    let active = app.authority.signer(&app.store).await?;
    let did_key = multikey::did_key(&active.signer.public_key());
    let registry_did = app.authority.registry.did.clone();
    let issuer_id = match credential.get_mut("issuer") {
        None => {
            credential.insert("issuer".into(), Value::String(registry_did.clone()));
            registry_did.clone()
        }
        Some(Value::Object(profile)) if !profile.contains_key("id") => {
            profile.insert("id".into(), Value::String(registry_did.clone()));
            registry_did.clone()
        }
        Some(Value::Object(profile)) => profile["id"].as_str().unwrap_or_default().to_owned(),
        Some(other) => other.as_str().unwrap_or_default().to_owned(),
    };
    let signer = if issuer_id == registry_did {
        active.signer.clone()
    } else if issuer_id == did_key {
        active.signer.as_did_key()
    } else {
        return Err(model_error(
            "issuer",
            "must be this registry's DID or the did:key of its active key",
        ));
    };
    // A VC 1.1 credential gets no status entry: its context does not define the Bitstring
    // Status List terms, so an eddsa-rdfc-2022 proof could not cover them.
    if !credential.contains_key("credentialStatus") && !model::is_v1(&credential) {
        let (list, index) = app.store.allocate_status_slot(&admin.actor()).await?;
        let entry = StatusEntry {
            list: app.authority.registry.status_list_url(list),
            index: index as usize,
        };
        credential.insert("credentialStatus".into(), entry.to_json());
    }
    model::check_credential(&credential)?;
    let now = time::OffsetDateTime::now_utc();
    let signed = app
        .cpu
        .run(move || certificate::secure(credential, &signer, &suites, now))
        .await?
        .map_err(|error| match error {
            CredentialError::NotJsonLd(reason) => ApiError::NotJsonLd(reason),
            other => ApiError::internal(other),
        })?;
    Ok((StatusCode::CREATED, Json(IssueResponse { verifiable_credential: signed })))
}

fn requested_suites(options: &Map<String, Value>) -> Result<Vec<Cryptosuite>, ApiError> {
    let Some(requested) = options.get("cryptosuites") else {
        return Ok(Cryptosuite::ALL.to_vec());
    };
    let names = requested
        .as_array()
        .ok_or_else(|| model_error("options.cryptosuites", "must be an array"))?;
    names
        .iter()
        .map(|name| {
            name.as_str().and_then(Cryptosuite::from_name).ok_or_else(|| {
                model_error(
                    "options.cryptosuites",
                    "names a cryptosuite this registry does not sign with",
                )
            })
        })
        .collect()
}

fn model_error(path: &str, rule: &'static str) -> ApiError {
    ApiError::Model(hocba_credentials::ModelViolation { path: path.to_owned(), rule })
}

/// `POST /credentials/verify` body (W3C VC API). Its `options` (`checks`) are accepted and
/// ignored: every check is always run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest {
    /// The credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: Value,
}

/// `POST /credentials/verify` answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VcApiVerification {
    /// True when every check passed.
    pub verified: bool,
    /// The checks that passed.
    pub checks: Vec<String>,
    /// Remarks that do not fail verification.
    pub warnings: Vec<String>,
    /// Why verification failed.
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<Check>,
}

/// Verifies any credential whose key resolves (this registry's keys, or `did:key`): 200 when
/// valid, 422 when not, with the same body.
///
/// The answer about a credential of this registry is kept by the request's exact bytes while no
/// revocation or key change has happened since (another byte is another request, verified in
/// full); any other issuer's credential is verified in full every time.
#[utoipa::path(post, path = "/credentials/verify", tag = "vc-api",
    request_body = VerifyRequest,
    responses((status = 200, body = VcApiVerification),
        (status = 422, description = "Not verified (the same body as 200), or a body of the wrong shape (a problem document)",
            content((VcApiVerification = "application/json"), (Problem = "application/problem+json"))),
        (status = "4XX", body = Problem)))]
pub async fn vc_verify(
    State(app): State<AppState>,
    body: JsonBytes,
) -> Result<(StatusCode, Json<VcApiVerification>), ApiError> {
    let moment = Moment::now(&app).await?;
    let key = VerdictKey::of(&[b"/credentials/verify", body.bytes()]);
    if let Some(kept) = app.verdicts.by_bytes.get(&key, stamp(moment.epoch), moment.now) {
        app.verdicts.served_by_bytes.count(true);
        return Ok(vc_api_response(kept.as_ref().clone()));
    }
    let request: VerifyRequest = body.parse()?;
    let Value::Object(credential) = request.verifiable_credential else {
        return Err(model_error("verifiableCredential", "must be a JSON object"));
    };
    let presented = Presented::Credential(credential);
    let report = verify(&app, moment, presented, None, Trust::AnyResolvableIssuer).await?;
    app.verdicts.served_by_bytes.count(false);
    let answer = vc_api_answer(&report);
    if report.issuer() == Some(app.authority.registry.did.as_str()) {
        let kept = Arc::new(answer.clone());
        app.verdicts.by_bytes.keep(key, stamp(moment.epoch), moment.now, &report, kept);
    }
    Ok(vc_api_response(answer))
}

/// The VC API's answer shape for a report.
fn vc_api_answer(report: &Report) -> VcApiVerification {
    let checks = report.checks.iter().filter(|check| check.passed).map(|c| c.check.clone());
    VcApiVerification {
        verified: report.verified,
        checks: checks.collect(),
        errors: report.errors().cloned().collect(),
        warnings: report.warnings.clone(),
    }
}

/// 200 when verified, 422 when not.
fn vc_api_response(answer: VcApiVerification) -> (StatusCode, Json<VcApiVerification>) {
    let status = if answer.verified { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, Json(answer))
}

/// `POST /presentations/verify` body (W3C VC API): a signed presentation, or an unsigned one
/// (VC API's proofless request) whose credentials are verified without a holder proof.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyPresentationRequest {
    /// The presentation, with its `authentication` proof.
    pub verifiable_presentation: Option<Value>,
    /// A presentation without a proof.
    pub presentation: Option<Value>,
    /// `domain` and `challenge` the presentation's proof must state; other options are accepted
    /// and ignored (every check is always run).
    pub options: Option<PresentationOptions>,
}

/// Documented as the VC API has it, `oneOf` a signed presentation with its options or an
/// unsigned one alone; the struct holds options so that the handler, not serde, says which
/// member is missing and names it.
impl PartialSchema for VerifyPresentationRequest {
    fn schema() -> RefOr<Schema> {
        let object = |description: &str| {
            ObjectBuilder::new().schema_type(Type::Object).description(Some(description))
        };
        let mut options = PresentationOptions::schema();
        if let RefOr::T(Schema::Object(options)) = &mut options {
            options.description = Some(
                "`domain` and `challenge` the presentation's proof must state; other options \
                 are accepted and ignored (every check is always run)."
                    .into(),
            );
        }
        let signed = ObjectBuilder::new()
            .property(
                "verifiablePresentation",
                object("The presentation, with its holder's `authentication` proof."),
            )
            .required("verifiablePresentation")
            .property("options", options)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let unsigned = ObjectBuilder::new()
            .property(
                "presentation",
                object(
                    "A presentation without a proof: each credential inside is verified, and \
                     the answer warns that no holder proof was checked.",
                ),
            )
            .required("presentation")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        OneOfBuilder::new()
            .description(Some(
                "A signed presentation (`verifiablePresentation`, with `options`) or an unsigned \
                 one (`presentation`, alone).",
            ))
            .item(signed)
            .item(unsigned)
            .into()
    }
}

impl ToSchema for VerifyPresentationRequest {}

/// What the verifier asked the holder to sign.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PresentationOptions {
    /// The verifier's domain.
    pub domain: Option<String>,
    /// The verifier's challenge.
    pub challenge: Option<String>,
}

/// The presentation a request carries, as an object, and whether it comes signed.
fn presentation_of(
    request: VerifyPresentationRequest,
) -> Result<(Map<String, Value>, Option<PresentationOptions>), ApiError> {
    let (field, presentation, options) = match request {
        VerifyPresentationRequest {
            verifiable_presentation: Some(presentation),
            presentation: None,
            options,
        } => ("verifiablePresentation", presentation, Some(options.unwrap_or_default())),
        VerifyPresentationRequest {
            verifiable_presentation: None,
            presentation: Some(presentation),
            options: None,
        } => ("presentation", presentation, None),
        VerifyPresentationRequest {
            verifiable_presentation: None, presentation: Some(_), ..
        } => {
            return Err(ApiError::BadParameter {
                field: "options".into(),
                reason: "an unsigned presentation has no proof to state a domain or challenge"
                    .into(),
            });
        }
        _ => {
            return Err(ApiError::BadParameter {
                field: "verifiablePresentation".into(),
                reason: "give exactly one of verifiablePresentation or presentation".into(),
            });
        }
    };
    match presentation {
        Value::Object(presentation) => Ok((presentation, options)),
        _ => Err(model_error(field, "must be a JSON object")),
    }
}

/// Verifies a presentation: its holder's `authentication` proof (with the domain and challenge
/// given), and every credential inside it. An unsigned one (`presentation`) has each credential
/// verified and a warning that no holder proof was checked. 200 when valid, 422 when not, with
/// the same body.
#[utoipa::path(post, path = "/presentations/verify", tag = "vc-api",
    request_body = VerifyPresentationRequest,
    responses((status = 200, body = VcApiVerification),
        (status = 422, description = "Not verified (the same body as 200), or a body of the wrong shape (a problem document)",
            content((VcApiVerification = "application/json"), (Problem = "application/problem+json"))),
        (status = "4XX", body = Problem)))]
pub async fn vc_verify_presentation(
    State(app): State<AppState>,
    Json(request): Json<VerifyPresentationRequest>,
) -> Result<(StatusCode, Json<VcApiVerification>), ApiError> {
    let (presentation, options) = presentation_of(request)?;
    // Each credential inside may name its own status list: look each one up first.
    let entries = Presented::in_presentation(&presentation)
        .flatten()
        .flat_map(|presented| presented.status_entries())
        .collect();
    let moment = Moment::now(&app).await?;
    let trust = Trust::AnyResolvableIssuer;
    let report = verify_with(&app, moment, entries, None, trust, move |verifier| {
        let Some(options) = options else {
            return verifier.verify_unsigned_presentation(&presentation);
        };
        let expected = Expected {
            purpose: None,
            domain: options.domain.as_deref(),
            challenge: options.challenge.as_deref(),
        };
        verifier.verify_presentation(&presentation, &expected)
    })
    .await?;
    Ok(vc_api_response(vc_api_answer(&report)))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_verify))
        .routes(routes!(vc_issue))
        .routes(routes!(vc_verify))
        .routes(routes!(vc_verify_presentation))
}
