//! `/api/v1/completions` and `/api/v1/certificates`: recording completions, issuing, reading and
//! revoking certificates.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hocba_credentials::{Cryptosuite, certificate};
use hocba_domain::{
    CertificateFacts, CertificateNumber, CompletionId, CompletionPostDraft, InstitutionId,
    OfficialId, Outcome, PostedCompletion, RevocationReason,
};
use hocba_store::{
    Actor, Answer, BatchResults, Certificate, CompletionRecord, IdempotencyKey, Posted, Revocation,
    Sign, SignedDocuments, StoreError,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admin, InstitutionCaller, RecordOrClientReader, Revoker};
use crate::extract::{DigestedJson, Json, Path};
use crate::idempotency::{self, Keyed};
use crate::{ApiError, AppState, Problem};

/// A recorded completion.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionView {
    /// Hocba's id.
    pub id: CompletionId,
    /// The official.
    pub official_id: OfficialId,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub duration_days: i32,
    /// The result.
    pub outcome: Outcome,
    /// The completion this one corrects.
    pub supersedes: Option<CompletionId>,
}

impl From<CompletionRecord> for CompletionView {
    fn from(record: CompletionRecord) -> Self {
        CompletionView {
            id: record.id,
            official_id: record.official_id,
            started_on: record.started_on,
            ended_on: record.ended_on,
            duration_days: record.duration_days,
            outcome: record.outcome,
            supersedes: record.supersedes,
        }
    }
}

/// A revocation, as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationView {
    /// Why.
    pub reason: RevocationReason,
    /// A note for people.
    pub note: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
}

impl From<Revocation> for RevocationView {
    fn from(revocation: Revocation) -> Self {
        RevocationView {
            reason: revocation.reason,
            note: revocation.note,
            revoked_at: revocation.revoked_at,
        }
    }
}

/// A certificate with its credential in both forms.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// Public number, with its check character.
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub number: String,
    /// `active` or `revoked`.
    pub status: &'static str,
    /// The revocation, if revoked.
    pub revocation: Option<RevocationView>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// The completion certified.
    pub completion_id: CompletionId,
    /// The W3C Verifiable Credential with its proof set.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// The same credential as a VC-JOSE compact JWS (absent only when the key that signed the
    /// certificate was revoked before its JWS was first made).
    pub jws: Option<String>,
}

impl TryFrom<Certificate> for CertificateView {
    type Error = ApiError;

    fn try_from(certificate: Certificate) -> Result<Self, ApiError> {
        Ok(CertificateView {
            number: certificate.number.to_string(),
            status: if certificate.revocation.is_some() { "revoked" } else { "active" },
            revocation: certificate.revocation.map(RevocationView::from),
            issued_at: certificate.issued_at,
            completion_id: certificate.completion_id,
            credential: serde_json::from_str(&certificate.credential.text()?)
                .map_err(ApiError::internal)?,
            jws: certificate.jws,
        })
    }
}

/// Which signed forms of a certificate an answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forms {
    /// The credential with its proof set.
    Credential,
    /// The JWS.
    Jws,
    /// Both (the certificate view).
    Both,
}

/// The certificate as served, with the `forms` the answer shows complete: the credential with
/// its whole proof set, the JWS. A certificate of a posted class was signed with
/// `eddsa-jcs-2022` alone, to keep posting fast; its `eddsa-rdfc-2022` proof and its JWS are
/// made here, by the key that signed it, unless that key has since been revoked (then it is
/// served as stored).
pub(crate) async fn completed(
    app: &AppState,
    mut certificate: Certificate,
    forms: Forms,
) -> Result<Certificate, ApiError> {
    // Unpacked once, here: every caller reads the credential next.
    let text = certificate.credential.into_text()?;
    let mut credential: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(ApiError::internal)?;
    certificate.credential = text.into();
    let make_proofs =
        forms != Forms::Jws && certificate::lacks_proofs(&credential, Cryptosuite::ALL);
    let make_jws = forms != Forms::Credential && certificate.jws.is_none();
    if !make_proofs && !make_jws {
        return Ok(certificate);
    }
    let Some(signer) = app.authority.signer_for(&app.store, &certificate.kid).await? else {
        return Ok(certificate);
    };
    let created = certificate.issued_at;
    // JSON-LD processing takes a third of a millisecond: keep it off the async workers.
    let (text, jws) = app
        .cpu
        .run(move || {
            let jws = make_jws.then(|| hocba_credentials::jose::sign(&credential, &signer));
            let jws = jws.transpose()?;
            if !make_proofs {
                return Ok((None, jws));
            }
            certificate::complete_proof_set(&mut credential, &signer, Cryptosuite::ALL, created)?;
            let text = serde_json::to_string(&credential).map_err(|_| {
                hocba_credentials::CredentialError::Malformed("the credential cannot be written")
            })?;
            Ok::<_, hocba_credentials::CredentialError>((Some(text), jws))
        })
        .await?
        .map_err(ApiError::internal)?;
    if let Some(text) = text {
        certificate.credential = text.into();
    }
    if let Some(jws) = jws {
        certificate.jws = Some(jws);
    }
    Ok(certificate)
}

/// A posted completion and the certificate issued for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostedView {
    /// The completion recorded.
    pub completion: CompletionView,
    /// Its certificate.
    pub certificate: CertificateView,
}

/// Posts one completion (institution token): the official is matched by national ID, name and
/// date of birth; the institution must be accredited for the programme on the last day; the
/// certificate is issued and signed in the same transaction.
#[utoipa::path(post, path = "/completions", tag = "certificates", security(("bearer" = [])),
    request_body = CompletionPostDraft,
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Makes a retry safe: the same key with the same body replays the first answer and writes nothing; with another body it is refused (409)")),
    responses((status = 201, body = PostedView),
        (status = 507, description = "The registry's storage is full: nothing was recorded; the same request succeeds once space is freed", body = Problem),
        (status = "4XX", body = Problem)))]
pub async fn post_completion(
    State(app): State<AppState>,
    caller: InstitutionCaller,
    headers: HeaderMap,
    body: DigestedJson<CompletionPostDraft>,
) -> Result<Response, ApiError> {
    let route = "POST /api/v1/completions";
    let key =
        match idempotency::check(&app.store, &headers, caller.institution_id, route, &body.digest)
            .await?
        {
            Keyed::Replay(first_answer) => return Ok(first_answer),
            Keyed::Process(key) => key,
        };
    let posted = body.value.parse(crate::today())?;
    let actor = caller.principal.actor();
    let answer = |done: &Posted| match posted_view(done) {
        Ok(view) => idempotency::render(StatusCode::CREATED, &view),
        Err(error) => idempotency::render(StatusCode::INTERNAL_SERVER_ERROR, &error.problem()),
    };
    let keyed = key.as_ref().map(|key| (key, &answer as Answer<'_, Posted>));
    match post(&app, &actor, caller.institution_id, &posted, keyed).await {
        Ok(done) => Ok(idempotency::json_response(answer(&done))),
        Err(failure) => idempotency::first_answer_or(&app.store, key.as_ref(), failure).await,
    }
}

fn posted_view((completion, certificate): &Posted) -> Result<PostedView, ApiError> {
    Ok(PostedView {
        completion: completion.clone().into(),
        certificate: certificate.clone().try_into()?,
    })
}

/// Which completion to certify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The completion.
    pub completion_id: CompletionId,
}

/// Issues the certificate of a completion (operator). A completion has at most one certificate
/// that is not revoked.
#[utoipa::path(post, path = "/certificates", tag = "certificates", security(("bearer" = [])),
    request_body = IssueBody,
    responses((status = 201, body = CertificateView),
        (status = 507, description = "The registry's storage is full: nothing was recorded; the same request succeeds once space is freed", body = Problem),
        (status = "4XX", body = Problem)))]
pub async fn post_certificate(
    State(app): State<AppState>,
    Admin(admin): Admin,
    Json(body): Json<IssueBody>,
) -> Result<(StatusCode, Json<CertificateView>), ApiError> {
    let certificate = issue(&app, &admin.actor(), body.completion_id).await?;
    Ok((StatusCode::CREATED, Json(certificate.try_into()?)))
}

/// Runs a store write that signs certificates, with the active key. When a rotation retired that
/// key meanwhile (the store re-checks it inside the transaction), reloads the key once and runs
/// the write again; so too when a certificate number it drew was taken. (A macro rather than a
/// function taking an async closure: the handler's future must stay `Send`.)
macro_rules! with_active_key {
    ($app:expr, $signing:expr, |$kid:ident, $sign:ident| $write:expr) => {{
        let app: &AppState = $app;
        let mut outcome = Err(ApiError::NoSigningKey);
        for _attempt in 0..2 {
            let active = app.authority.signer(&app.store).await?;
            let $kid: &str = &active.kid;
            let signer = CertificateSigner {
                registry: app.authority.registry.clone(),
                active: Arc::clone(&active),
                signing: $signing,
            };
            let $sign: &Sign =
                &(Arc::new(move |facts: &CertificateFacts| signer.sign(facts)) as Sign);
            match $write.await {
                Err(StoreError::KeyNotActive { .. }) => app.authority.forget(),
                // A number is 50 random bits a year: one drawn again (about once in 20 for a
                // generated population of 10,000,000 certificates in one year) rolls the whole
                // write back, and new numbers are drawn, rather than the caller being told of a
                // conflict with a field they never sent (tests/e2e/numbers.rs).
                Err(drawn_again @ StoreError::Conflict { field: "number" }) => {
                    outcome = Err(ApiError::from(drawn_again));
                }
                other => {
                    outcome = other.map_err(ApiError::from);
                    break;
                }
            }
        }
        outcome
    }};
}

/// Signs a certificate's facts with the active key, in the forms `signing` asks for.
struct CertificateSigner {
    registry: hocba_credentials::Registry,
    active: Arc<crate::ActiveSigner>,
    signing: certificate::Signing,
}

impl CertificateSigner {
    fn sign(&self, facts: &CertificateFacts) -> Result<SignedDocuments, String> {
        let started = std::time::Instant::now();
        let unsigned = self.registry.certificate(facts);
        let issued =
            certificate::issue(unsigned, &self.active.signer, self.signing, facts.issued_at)
                .map_err(|error| error.to_string())?;
        let credential =
            serde_json::to_string(&issued.credential).map_err(|error| error.to_string())?;
        crate::metrics::signed(started.elapsed());
        Ok(SignedDocuments { credential, jws: issued.jws })
    }
}

/// Issues the certificate of a completion with the active key.
pub async fn issue(
    app: &AppState,
    actor: &Actor,
    completion: CompletionId,
) -> Result<Certificate, ApiError> {
    with_active_key!(app, certificate::SIGNED_IN_FULL, |kid, sign| {
        app.store.issue_certificate(actor, completion, kid, sign)
    })
}

/// Writes a generated population (`hocba demo generate`): its certificates are signed with the
/// active key in the form a posted class's are.
pub async fn write_population(
    app: &AppState,
    actor: &Actor,
    people: &[hocba_store::GeneratedOfficial],
) -> Result<hocba_store::PopulationWritten, ApiError> {
    with_active_key!(app, certificate::SIGNED_IN_BATCHES, |kid, sign| {
        app.store.write_population(actor, people, kid, sign)
    })
}

/// Records an institution's completion and issues its certificate in one transaction.
pub async fn post(
    app: &AppState,
    actor: &Actor,
    institution: InstitutionId,
    posted: &PostedCompletion,
    keyed: Option<(&IdempotencyKey, Answer<'_, Posted>)>,
) -> Result<Posted, ApiError> {
    let posted = with_active_key!(app, certificate::SIGNED_IN_FULL, |kid, sign| {
        app.store.post_completion(actor, institution, posted, keyed, kid, sign)
    });
    crate::metrics::posted(usize::from(posted.is_ok()), usize::from(posted.is_err()));
    if let Err(ApiError::Store(refused)) = &posted {
        watch_identities(institution, [refused]);
    }
    posted
}

/// Records a batch of an institution's completions, each with its certificate.
pub(crate) async fn post_batch(
    app: &AppState,
    actor: &Actor,
    institution: InstitutionId,
    rows: &[PostedCompletion],
    all_or_nothing: bool,
    keyed: Option<(&IdempotencyKey, Answer<'_, BatchResults>)>,
) -> Result<BatchResults, ApiError> {
    let results = with_active_key!(app, certificate::SIGNED_IN_BATCHES, |kid, sign| {
        app.store.post_completions(actor, institution, rows, all_or_nothing, keyed, kid, sign)
    })?;
    let recorded = results.iter().filter(|row| row.is_ok()).count();
    crate::metrics::posted(recorded, results.len() - recorded);
    watch_identities(institution, results.iter().filter_map(|row| row.as_ref().err()));
    Ok(results)
}

/// Counts the posted people refused for their identity, and warns the operator, once a
/// request, when an institution posts past its day's identity refusals: guessing at people's
/// details looks like that, and so does a class list in need of fixing.
fn watch_identities<'a>(
    institution: InstitutionId,
    refused: impl IntoIterator<Item = &'a StoreError>,
) {
    let (mut mismatched, mut not_compared) = (0, 0);
    for refusal in refused {
        match refusal {
            StoreError::IdentityMismatch => mismatched += 1,
            StoreError::IdentityRefusalsSpent { .. } => not_compared += 1,
            _ => {}
        }
    }
    crate::metrics::identity_refused(mismatched, not_compared);
    if not_compared > 0 {
        tracing::warn!(
            %institution,
            rows = not_compared,
            "an institution posted past its identity refusals for today; its people are not \
             compared until midnight, Vietnam time"
        );
    }
}

/// Corrects one of the institution's completions (institution token): the body states the
/// corrected completion in full. The old certificate is revoked as `superseded` (its note names
/// the new number), and the new one issued, in one transaction.
#[utoipa::path(post, path = "/completions/{id}/correct", tag = "certificates", security(("bearer" = [])),
    params(("id" = CompletionId, Path, description = "The completion to correct")),
    request_body = CompletionPostDraft,
    responses((status = 201, body = PostedView),
        (status = 507, description = "The registry's storage is full: nothing was recorded; the same request succeeds once space is freed", body = Problem),
        (status = "4XX", body = Problem)))]
pub async fn correct_completion(
    State(app): State<AppState>,
    caller: InstitutionCaller,
    Path(id): Path<CompletionId>,
    Json(draft): Json<CompletionPostDraft>,
) -> Result<(StatusCode, Json<PostedView>), ApiError> {
    let corrected = draft.parse(crate::today())?;
    let actor = caller.principal.actor();
    let institution = caller.institution_id;
    let corrected = with_active_key!(&app, certificate::SIGNED_IN_FULL, |kid, sign| {
        app.store.correct_completion(&actor, institution, id, &corrected, kid, sign)
    });
    if let Err(ApiError::Store(refused)) = &corrected {
        watch_identities(institution, [refused]);
    }
    let (completion, certificate) = corrected?;
    let view = PostedView { completion: completion.into(), certificate: certificate.try_into()? };
    Ok((StatusCode::CREATED, Json(view)))
}

fn number(raw: &str) -> Result<CertificateNumber, ApiError> {
    CertificateNumber::parse(raw).map_err(|error| ApiError::BadParameter {
        field: "number".into(),
        reason: error.to_string(),
    })
}

/// A certificate by its number: anyone holding the number may see it (numbers are not
/// guessable), as on a paper certificate.
#[utoipa::path(get, path = "/certificates/{number}", tag = "certificates",
    params(("number" = String, Path, description = "Certificate number")),
    responses((status = 200, body = CertificateView), (status = "4XX", body = Problem)))]
pub async fn get_certificate(
    State(app): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let certificate = app.store.certificate(&number(&raw)?).await?;
    Ok(Json(completed(&app, certificate, Forms::Both).await?.try_into()?))
}

/// The credential alone (for wallets and `hocba verify`): `application/vc` when asked for,
/// `application/json` otherwise.
#[utoipa::path(get, path = "/certificates/{number}/credential", tag = "certificates",
    params(("number" = String, Path, description = "Certificate number")),
    responses((status = 200, content((Object = "application/json"), (Object = "application/vc"))),
        (status = "4XX", body = Problem)))]
pub async fn get_credential(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let certificate = app.store.certificate(&number(&raw)?).await?;
    let certificate = completed(&app, certificate, Forms::Credential).await?;
    let media_type = crate::publication::credential_media_type(&headers);
    Ok(([(header::CONTENT_TYPE, media_type)], certificate.credential.into_text()?).into_response())
}

/// The credential as a compact JWS, `application/vc+jwt`.
#[utoipa::path(get, path = "/certificates/{number}/jws", tag = "certificates",
    params(("number" = String, Path, description = "Certificate number")),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = "4XX", body = Problem)))]
pub async fn get_jws(
    State(app): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let certificate = app.store.certificate(&number(&raw)?).await?;
    let certificate = completed(&app, certificate, Forms::Jws).await?;
    let jws = certificate.jws.ok_or(ApiError::JwsUnavailable)?;
    Ok(([(header::CONTENT_TYPE, "application/vc+jwt")], jws).into_response())
}

/// Why a certificate is revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Reason code.
    pub reason: RevocationReason,
    /// A note for people (up to 500 characters).
    pub note: Option<String>,
}

/// Revokes a certificate (operator, or the institution that posted it): its status bit is set
/// for ever, and verifiers say why.
#[utoipa::path(post, path = "/certificates/{number}/revoke", tag = "certificates", security(("bearer" = [])),
    params(("number" = String, Path, description = "Certificate number")),
    request_body = RevokeBody,
    responses((status = 200, body = CertificateView), (status = "4XX", body = Problem)))]
pub async fn revoke_certificate(
    State(app): State<AppState>,
    Revoker(caller): Revoker,
    Path(raw): Path<String>,
    Json(body): Json<RevokeBody>,
) -> Result<Json<CertificateView>, ApiError> {
    let note = body
        .note
        .as_deref()
        .map(|note| hocba_domain::validation::text(note, 500))
        .transpose()
        .map_err(|violation| ApiError::Invalid(hocba_domain::Invalid::field("note", violation)))?;
    let certificate =
        app.store.revoke_certificate(&caller.actor(), &number(&raw)?, body.reason, note).await?;
    Ok(Json(completed(&app, certificate, Forms::Both).await?.try_into()?))
}

/// An official's certificates, oldest first (operator, the HR department of the agency that
/// employs them today, the official, or a machine client with `records:read` under the
/// official's consent or its agency's HR rule; the read is logged for the official).
#[utoipa::path(get, path = "/officials/{id}/certificates", tag = "certificates",
    security(("bearer" = []), ("oauth2" = ["records:read"])),
    params(("id" = OfficialId, Path, description = "Hocba's id of the official")),
    responses((status = 200, body = [CertificateView]), (status = "4XX", body = Problem)))]
pub async fn list_certificates(
    State(app): State<AppState>,
    RecordOrClientReader(reader): RecordOrClientReader,
    Path(id): Path<OfficialId>,
) -> Result<Json<Vec<CertificateView>>, ApiError> {
    let purpose = "GET /api/v1/officials/{id}/certificates";
    let mut views = Vec::new();
    for certificate in app.store.certificates_of(&reader.actor(), purpose, id).await? {
        views.push(completed(&app, certificate, Forms::Both).await?.try_into()?);
    }
    Ok(Json(views))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_completion))
        .routes(routes!(correct_completion))
        .routes(routes!(post_certificate))
        .routes(routes!(get_certificate))
        .routes(routes!(get_credential))
        .routes(routes!(get_jws))
        .routes(routes!(revoke_certificate))
        .routes(routes!(list_certificates))
}
