//! Completions and the certificates issued for them, a module per use case: posting one
//! completion or its correction (`posting`), posting a class (`batch`), issuing a certificate
//! inside the writing transaction (`issuing`), revocation as an append-only fact (`revoking`),
//! status-list slots (`status`), reading certificates back (`reads`), an official's whole
//! record (`record`) and its signed transcripts (`transcripts`), and listing an institution's
//! results (`listing`). What they share lives here: the records they return and the
//! conversions from stored rows.

mod batch;
mod generated;
mod issuing;
mod listing;
mod packing;
mod posting;
mod reads;
mod record;
mod revoking;
mod status;
mod transcripts;

pub use generated::{Fate, GeneratedCompletion, GeneratedOfficial, PopulationWritten};
pub use listing::{ClassResults, CompletionQuery, CompletionResult};
pub(crate) use reads::with_revocation;
pub(crate) use record::record_in;
pub use record::{OfficialRecord, RecordEntry};
pub use transcripts::{SignTranscript, Transcript};

use hocba_domain::{
    CertificateFacts, CertificateNumber, ClassId, CompletionId, InstitutionId, OfficialId, Outcome,
    ProgramId, RevocationReason,
};
use std::borrow::Cow;
use std::sync::Arc;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{certificate, completion, revocation};

/// A completion as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRecord {
    /// Hocba's id.
    pub id: CompletionId,
    /// Who completed it.
    pub official_id: OfficialId,
    /// The programme.
    pub program_id: ProgramId,
    /// The institution that delivered it.
    pub institution_id: InstitutionId,
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
    pub posted_at: OffsetDateTime,
    /// The completion this one corrects.
    pub supersedes: Option<CompletionId>,
}

/// A posted completion and the certificate issued for it.
pub type Posted = (CompletionRecord, Certificate);

/// A batch's results, one per row in order: posted, or why not.
pub type BatchResults = Vec<Result<Posted, StoreError>>;

/// The signed forms of a certificate, made by the caller's signer from the facts.
#[derive(Debug, Clone)]
pub struct SignedDocuments {
    /// The credential with its proof set (JSON text, stored byte for byte).
    pub credential: String,
    /// The same credential as a compact JWS, unless it is to be made when first served.
    pub jws: Option<String>,
}

/// Turns facts into signed documents, inside the issuing transaction (on signing threads, for a
/// batch).
pub type Sign = Arc<dyn Fn(&CertificateFacts) -> Result<SignedDocuments, String> + Send + Sync>;

/// A revocation, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Why.
    pub reason: RevocationReason,
    /// A note for people.
    pub note: Option<String>,
    /// When.
    pub revoked_at: OffsetDateTime,
    /// Who (actor label).
    pub revoked_by: String,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Hocba's id (the credential's `urn:uuid:`).
    pub id: Uuid,
    /// Public number.
    pub number: CertificateNumber,
    /// The completion it certifies.
    pub completion_id: CompletionId,
    /// The holder.
    pub official_id: OfficialId,
    /// The institution of the completion.
    pub institution_id: InstitutionId,
    /// The key that signed it.
    pub kid: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// Status list number.
    pub status_list: i32,
    /// Index in that list.
    pub status_index: u32,
    /// The credential as issued.
    pub credential: SignedCredential,
    /// The JWS as issued; `None` when it is made from the credential on demand (a posted class).
    pub jws: Option<String>,
    /// Its revocation, if revoked.
    pub revocation: Option<Revocation>,
}

/// A certificate's signed credential, kept as it is stored until it is read: a record lists its
/// certificates without their credentials, and unpacking every one of them was a tenth of the
/// server's time for a record read.
#[derive(Debug, Clone)]
pub struct SignedCredential(Stored);

#[derive(Debug, Clone)]
enum Stored {
    Text(String),
    /// Packed against the credentials' dictionary ([`packing`]).
    Packed(Vec<u8>),
}

impl SignedCredential {
    /// The credential's JSON text, unpacked if need be (a packed credential that does not unpack
    /// is a corrupt row).
    pub fn text(&self) -> Result<Cow<'_, str>, StoreError> {
        match &self.0 {
            Stored::Text(text) => Ok(Cow::Borrowed(text)),
            Stored::Packed(packed) => packing::unpack(packed).map(Cow::Owned),
        }
    }

    /// [`SignedCredential::text`], owned.
    pub fn into_text(self) -> Result<String, StoreError> {
        match self.0 {
            Stored::Text(text) => Ok(text),
            Stored::Packed(packed) => packing::unpack(&packed),
        }
    }
}

impl From<String> for SignedCredential {
    fn from(text: String) -> Self {
        SignedCredential(Stored::Text(text))
    }
}

/// The same credential, however it is kept.
impl PartialEq for SignedCredential {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Stored::Text(a), Stored::Text(b)) => a == b,
            (Stored::Packed(a), Stored::Packed(b)) => a == b,
            _ => matches!((self.text(), other.text()), (Ok(a), Ok(b)) if a == b),
        }
    }
}

impl Eq for SignedCredential {}

/// Where the random part of certificate numbers comes from ([`CertificateNumber::new`]): the
/// operating system's generator, unless the store was given another
/// ([`crate::Store::drawing_serials_from`]), so that a test can draw a number twice.
#[derive(Clone)]
pub struct Serials(Arc<dyn Fn() -> [u8; 7] + Send + Sync>);

impl Serials {
    /// Serials from `draw`.
    pub fn from_fn(draw: impl Fn() -> [u8; 7] + Send + Sync + 'static) -> Self {
        Serials(Arc::new(draw))
    }

    fn draw(&self) -> [u8; 7] {
        (self.0)()
    }
}

impl std::fmt::Debug for Serials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Serials(..)")
    }
}

impl Default for Serials {
    fn default() -> Self {
        Serials::from_fn(rand::random)
    }
}

/// `N` random bytes in hex.
fn random_hex<const N: usize>() -> String {
    rand::random::<[u8; N]>().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn into_certificate(
    mut model: certificate::Model,
    revocation: Option<revocation::Model>,
) -> Result<Certificate, StoreError> {
    let credential = match (model.credential.take(), model.packed_credential.take()) {
        (None, Some(packed)) => SignedCredential(Stored::Packed(packed)),
        (Some(text), None) => SignedCredential::from(text),
        _ => return Err(StoreError::corrupt("certificates", "credential")),
    };
    certificate_of(model, credential, revocation)
}

/// A stored certificate, with its credential as signed.
fn certificate_of(
    model: certificate::Model,
    credential: SignedCredential,
    revocation: Option<revocation::Model>,
) -> Result<Certificate, StoreError> {
    let corrupt = |detail: &str| StoreError::corrupt("certificates", detail);
    let revocation = revocation
        .map(|revoked| {
            Ok::<_, StoreError>(Revocation {
                reason: RevocationReason::from_stored(&revoked.reason)
                    .ok_or_else(|| corrupt("reason"))?,
                note: revoked.note,
                revoked_at: revoked.revoked_at,
                revoked_by: revoked.revoked_by,
            })
        })
        .transpose()?;
    Ok(Certificate {
        id: model.id,
        number: CertificateNumber::parse(&model.number).map_err(|_| corrupt("number"))?,
        completion_id: CompletionId::from_uuid(model.completion_id),
        official_id: OfficialId::from_uuid(model.official_id),
        institution_id: InstitutionId::from_uuid(model.institution_id),
        kid: model.kid,
        issued_at: model.issued_at,
        status_list: model.status_list,
        status_index: u32::try_from(model.status_index).map_err(|_| corrupt("status_index"))?,
        credential,
        jws: model.jws,
        revocation,
    })
}

fn into_completion(model: completion::Model) -> Result<CompletionRecord, StoreError> {
    Ok(CompletionRecord {
        id: CompletionId::from_uuid(model.id),
        official_id: OfficialId::from_uuid(model.official_id),
        program_id: ProgramId::from_uuid(model.program_id),
        institution_id: InstitutionId::from_uuid(model.institution_id),
        class_id: model.class_id.map(ClassId::from_uuid),
        started_on: model.started_on,
        ended_on: model.ended_on,
        duration_days: model.duration_days,
        outcome: Outcome::from_stored(&model.outcome)
            .ok_or_else(|| StoreError::corrupt("completions", "outcome"))?,
        score: model.score,
        posted_at: model.posted_at,
        supersedes: model.supersedes_id.map(CompletionId::from_uuid),
    })
}
