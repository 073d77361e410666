//! Hocba's printable documents: a certificate (A4, with a QR code of its verification link) and
//! an official's training transcript (a table across as many A4 pages as it needs), as PDF.
//!
//! It takes plain data (what the page shows, already decided) and returns the PDF's bytes: no
//! I/O, no database, no clock. Vietnamese comes first with English beside it; every letter is
//! drawn from Noto Sans, bundled byte-exact (`fonts/`), and each PDF embeds only the glyphs it
//! uses.

mod certificate;
mod labels;
mod layout;
mod transcript;

use hocba_domain::{CompletionStatus, Outcome, RevocationReason};
use time::{Date, OffsetDateTime};

pub use certificate::certificate;
pub use transcript::transcript;

/// Why a document could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The bundled fonts could not be read (a damaged build).
    #[error("the bundled fonts cannot be read")]
    Font,
    /// The verification link is too long for a QR code.
    #[error("the verification link does not fit in a QR code")]
    QrCode,
    /// The PDF writer refused the document.
    #[error("the PDF cannot be written: {0}")]
    Write(String),
}

/// Who signed a certificate, and how: what a verifier will check.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureFacts {
    /// The verification method (`did:web:…#kid`).
    pub key_id: String,
    /// The proofs it carries (`eddsa-rdfc-2022`, `eddsa-jcs-2022`, `JWS`).
    pub proof_types: Vec<String>,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
}

/// A revocation, as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct RevocationFacts {
    /// Why.
    pub reason: RevocationReason,
    /// The note for people, if any.
    pub note: Option<String>,
    /// When.
    pub revoked_at: OffsetDateTime,
}

/// Everything a printed certificate shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateSheet {
    /// Its public number.
    pub number: String,
    /// The holder's full name, as registered (with its diacritics).
    pub holder_name: String,
    /// The programme's code.
    pub program_code: String,
    /// The programme's Vietnamese title.
    pub program_title: String,
    /// Its English title, if it has one.
    pub program_title_en: Option<String>,
    /// The institution that delivered it.
    pub institution: String,
    /// The accreditation under which the institution certified it.
    pub accreditation: Accreditation,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub training_days: u32,
    /// The result.
    pub outcome: Outcome,
    /// The score out of 10, when the institution grades by score.
    pub score: Option<String>,
    /// The short verification link (`{base-url}/v/{number}`), printed and in the QR code.
    pub verification_url: String,
    /// Its signature.
    pub signature: SignatureFacts,
    /// Its revocation: a revoked certificate is printed marked as revoked.
    pub revocation: Option<RevocationFacts>,
}

/// An institution's accreditation for a category, as a certificate states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Accreditation {
    /// The category code.
    pub category: String,
    /// First day in force.
    pub from: Date,
    /// Last day in force, if it ends.
    pub until: Option<Date>,
    /// The accrediting decision (number and date), if recorded.
    pub decision: Option<String>,
}

impl Accreditation {
    /// In words, Vietnamese and English.
    fn words(&self) -> String {
        let until = self.until.map_or_else(|| "…".to_owned(), day);
        let mut words = format!("nhóm / category {}, {} – {until}", self.category, day(self.from));
        if let Some(decision) = &self.decision {
            words.push_str(&format!(", quyết định / decision {decision}"));
        }
        words
    }
}

/// One completion of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRow {
    /// The programme's category code.
    pub category: String,
    /// The programme's code.
    pub program_code: String,
    /// The programme's Vietnamese title.
    pub program_title: String,
    /// The institution, when a certificate names it.
    pub institution: Option<String>,
    /// First day of study.
    pub started_on: Date,
    /// Last day of study.
    pub ended_on: Date,
    /// Training days.
    pub training_days: u32,
    /// The result.
    pub outcome: Outcome,
    /// Where it stands.
    pub status: CompletionStatus,
    /// Its certificates, oldest first: number and revocation.
    pub certificates: Vec<(String, Option<RevocationFacts>)>,
    /// The live certificate of the correction that replaced it.
    pub successor_certificate: Option<String>,
}

/// An official's whole record, as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptSheet {
    /// The official's full name.
    pub full_name: String,
    /// Hocba's id of the official.
    pub official_id: String,
    /// When the transcript was made (printed: a transcript is a snapshot).
    pub generated_at: OffsetDateTime,
    /// Where anyone can verify a certificate: `{base-url}/v/` (the number follows).
    pub verification_base: String,
    /// Every completion, grouped by category.
    pub rows: Vec<TranscriptRow>,
    /// Training days of live completions.
    pub total_days: u32,
    /// … per calendar year.
    pub days_by_year: Vec<(i32, u32)>,
    /// … per category.
    pub days_by_category: Vec<(String, u32)>,
    /// The keys that signed the certificates, with the proofs they made and how many.
    pub signatures: Vec<(SignatureFacts, usize)>,
}

/// A finished document's bytes.
fn finish(document: krilla::Document) -> Result<Vec<u8>, PdfError> {
    document.finish().map_err(|error| PdfError::Write(format!("{error:?}")))
}

/// `day` as Vietnamese write it (`05/12/2026`).
fn day(day: Date) -> String {
    format!("{:02}/{:02}/{}", day.day(), u8::from(day.month()), day.year())
}

/// A moment, in Vietnam's time (UTC+7), to the minute.
fn moment(at: OffsetDateTime) -> String {
    let vietnam = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let at = at.to_offset(vietnam);
    format!("{} {:02}:{:02} (UTC+7)", day(at.date()), at.hour(), at.minute())
}
