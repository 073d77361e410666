//! Certificates: their public numbers, the results they attest, why they are revoked, and where
//! each sits in a revocation status list.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::stored::stored_forms;

/// Crockford's base-32 alphabet: no I, L, O or U, so a number read aloud or retyped from paper
/// survives the usual confusions.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random characters in a number: 50 bits, so that guessing a valid number is hopeless even with
/// tens of millions issued (numbers are the handle for public verification).
const RANDOM_CHARS: usize = 10;

/// The public number printed on a certificate, e.g. `HB-2026-7K3M9-QFD2A-X`.
///
/// It carries the year of issue, ten random characters and a Luhn mod 32 check character over
/// both, which catches every single mistyped character and nearly every swap of neighbours.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateNumber(String);

/// Why a text is not a certificate number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateNumberError {
    /// Not of the form `HB-YYYY-XXXXX-XXXXX-C`.
    #[error("must look like HB-2026-7K3M9-QFD2A-X")]
    Malformed,
    /// Well formed, but the check character does not match: a typing mistake.
    #[error("the check character does not match; the number was probably mistyped")]
    CheckCharacter,
}

impl CertificateNumber {
    /// Builds a number for a certificate issued in `year` from random bytes (the caller owns the
    /// random source; only the low 50 bits of the first 7 bytes are used).
    pub fn new(year: i32, random: [u8; 7]) -> Self {
        let mut bits = random.iter().fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        let mut chars = [0u8; RANDOM_CHARS];
        for slot in chars.iter_mut().rev() {
            *slot = ALPHABET[(bits & 31) as usize];
            bits >>= 5;
        }
        let year = year.clamp(0, 9999);
        let body = format!("{year:04}{}", String::from_utf8_lossy(&chars));
        let check = ALPHABET[luhn_mod32(&body)] as char;
        CertificateNumber(format!("HB-{}-{}-{}-{check}", &body[..4], &body[4..9], &body[9..]))
    }

    /// Parses a number typed by a person: case, spaces and Crockford's look-alikes (`O`→`0`,
    /// `I`/`L`→`1`) are forgiven; the check character is not.
    pub fn parse(raw: &str) -> Result<Self, CertificateNumberError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        let Some(rest) = cleaned.strip_prefix("HB") else {
            return Err(CertificateNumberError::Malformed);
        };
        let well_formed = rest.len() == 4 + RANDOM_CHARS + 1
            && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && rest.bytes().all(|b| ALPHABET.contains(&b));
        if !well_formed {
            return Err(CertificateNumberError::Malformed);
        }
        let (body, check) = rest.split_at(4 + RANDOM_CHARS);
        if ALPHABET[luhn_mod32(body)] != check.as_bytes()[0] {
            return Err(CertificateNumberError::CheckCharacter);
        }
        Ok(CertificateNumber(format!("HB-{}-{}-{}-{check}", &body[..4], &body[4..9], &body[9..])))
    }

    /// The canonical printed form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateNumber({})", self.0)
    }
}

impl FromStr for CertificateNumber {
    type Err = CertificateNumberError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

/// Luhn mod N (N = 32) check value of characters from [`ALPHABET`].
fn luhn_mod32(body: &str) -> usize {
    let sum = body.bytes().rev().enumerate().fold(0usize, |sum, (position, byte)| {
        let value = ALPHABET.iter().position(|a| *a == byte).unwrap_or(0);
        let addend = if position % 2 == 0 { value * 2 } else { value };
        sum + addend / 32 + addend % 32
    });
    (32 - sum % 32) % 32
}

/// The result a completion attests (Vietnamese training grades).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Xuất sắc.
    Excellent,
    /// Giỏi.
    Good,
    /// Khá.
    Fair,
    /// Đạt / trung bình: passed.
    Passed,
}

stored_forms!(Outcome { Excellent => "excellent", Good => "good", Fair => "fair", Passed => "passed" });

/// Why a certificate was revoked (a code for machines; a free-text note goes with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// A corrected completion replaced this one; the new certificate links back.
    Superseded,
    /// Issued by mistake (wrong person, wrong programme).
    IssuedInError,
    /// The completion did not happen as recorded (fraud, cheating).
    Fraud,
    /// The institution withdrew the result (e.g. a later finding).
    Withdrawn,
    /// The key that signed it was compromised.
    KeyCompromise,
}

stored_forms!(RevocationReason {
    Superseded => "superseded",
    IssuedInError => "issued_in_error",
    Fraud => "fraud",
    Withdrawn => "withdrawn",
    KeyCompromise => "key_compromise",
});

/// Where a recorded completion stands, as its institution's listings show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CompletionStatus {
    /// It has a certificate that is not revoked.
    Live,
    /// Every certificate it had is revoked, and no correction replaced it.
    Revoked,
    /// A correction replaced it (its certificate was revoked as `superseded`).
    Superseded,
}

impl CompletionStatus {
    /// The status of a completion: a correction decides it first, then whether any of its
    /// certificates is unrevoked.
    pub fn of(corrected: bool, has_live_certificate: bool) -> Self {
        match (corrected, has_live_certificate) {
            (true, _) => CompletionStatus::Superseded,
            (false, true) => CompletionStatus::Live,
            (false, false) => CompletionStatus::Revoked,
        }
    }
}

/// Where one of the registry's signing keys is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Signs new certificates (one key at a time).
    Active,
    /// Signs nothing new; what it signed still verifies.
    Retired,
    /// Compromised: what it signed no longer verifies.
    Revoked,
}

stored_forms!(KeyStatus { Active => "active", Retired => "retired", Revoked => "revoked" });

/// Entries in one Bitstring Status List: the minimum the W3C Recommendation asks for, so that a
/// revoked certificate hides among at least this many.
pub const STATUS_LIST_SIZE: u32 = 131_072;

/// The index in a status list of the certificate issued at `position` (0, 1, 2… in order of
/// issue), under that list's secret `seed`.
///
/// A keyed permutation of `0..STATUS_LIST_SIZE`: indices look random, so a list does not reveal
/// the order or pace of issuance, and — being a bijection — never repeat, so the store need only
/// count. Four Feistel rounds over 18 bits with SHA-256 as round function, cycle-walked into the
/// 17-bit range.
pub fn status_index(seed: &[u8; 32], position: u32) -> u32 {
    debug_assert!(position < STATUS_LIST_SIZE);
    let mut value = position % STATUS_LIST_SIZE;
    loop {
        value = feistel18(seed, value);
        if value < STATUS_LIST_SIZE {
            return value;
        }
    }
}

fn feistel18(seed: &[u8; 32], value: u32) -> u32 {
    const HALF: u32 = 9;
    const MASK: u32 = (1 << HALF) - 1;
    let (mut left, mut right) = (value >> HALF, value & MASK);
    for round in 0u8..4 {
        let digest = Sha256::new()
            .chain_update(seed)
            .chain_update([round])
            .chain_update(right.to_be_bytes())
            .finalize();
        let mixed = u32::from(u16::from_be_bytes([digest[0], digest[1]])) & MASK;
        (left, right) = (right, left ^ mixed);
    }
    (left << HALF) | right
}

/// Everything a certificate states, gathered from the registry when it is issued.
///
/// The national ID number is not here: only its salted hash (see [`identity_hash`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateFacts {
    /// The certificate's own id (the credential's `urn:uuid:`).
    pub certificate_id: uuid::Uuid,
    /// Its public number.
    pub number: CertificateNumber,
    /// When it was issued.
    pub issued_at: time::OffsetDateTime,
    /// The official's full name as registered.
    pub holder_name: String,
    /// `sha256$…` of the national ID number with [`CertificateFacts::identity_salt`].
    pub identity_hash: String,
    /// The salt of the identity hash (random per certificate, so hashes cannot be linked).
    pub identity_salt: String,
    /// The completion certified.
    pub completion_id: crate::CompletionId,
    /// First day of study.
    pub started_on: time::Date,
    /// Last day of study.
    pub ended_on: time::Date,
    /// Training days completed.
    pub duration_days: i32,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10, when the institution grades by score.
    pub score: Option<f64>,
    /// The programme.
    pub program: ProgramFacts,
    /// The institution that delivered it.
    pub institution: InstitutionFacts,
    /// The accreditation under which it certified the programme's category on the last day.
    pub accreditation: AccreditationFacts,
    /// Which status list and index hold its revocation bit.
    pub status_list: i32,
    /// Index in that list.
    pub status_index: u32,
}

/// What a transcript (the official's whole record as one credential) states of its own, beside
/// the certificates it embeds as they were signed: who it is about and where its status bit is.
///
/// As in a certificate, the national ID number is only a salted hash, with a salt of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptFacts {
    /// The transcript's own id (the credential's `urn:uuid:`).
    pub transcript_id: uuid::Uuid,
    /// When it was issued.
    pub issued_at: time::OffsetDateTime,
    /// The official's full name as registered.
    pub holder_name: String,
    /// `sha256$…` of the national ID number with [`TranscriptFacts::identity_salt`].
    pub identity_hash: String,
    /// The salt of the identity hash.
    pub identity_salt: String,
    /// Which status list and index hold its revocation bit.
    pub status_list: i32,
    /// Index in that list.
    pub status_index: u32,
}

/// The programme, as a certificate names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramFacts {
    /// Hocba id.
    pub id: crate::ProgramId,
    /// Programme code.
    pub code: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title, if any.
    pub title_en: Option<String>,
    /// Category code (DOMAIN.md §11a).
    pub category: String,
    /// Minimum training days.
    pub min_days: i32,
}

/// The institution, as a certificate names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionFacts {
    /// Hocba id.
    pub id: crate::InstitutionId,
    /// Institution code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// An institution's accreditation for one category, as a certificate states it, so that a
/// verifier can check it covered the completion date without asking the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccreditationFacts {
    /// Category code.
    pub category: String,
    /// When it is in force.
    pub validity: crate::Validity,
    /// The accrediting decision (number and date), if recorded.
    pub decision: Option<String>,
}

/// The Open Badges 3.0 `IdentityHash` of a national ID number: `sha256$` and the hex SHA-256 of
/// the number followed by the salt. Whoever holds the person's ID card can check it; nobody can
/// read the number from it.
pub fn identity_hash(national_id: &crate::NationalId, salt: &str) -> String {
    let digest = Sha256::new()
        .chain_update(national_id.expose().as_bytes())
        .chain_update(salt.as_bytes())
        .finalize();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256${hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_number_reads_back_and_names_its_year() {
        let number = CertificateNumber::new(2026, [1, 2, 3, 4, 5, 6, 7]);
        assert!(number.as_str().starts_with("HB-2026-"), "{number}");
        assert_eq!(CertificateNumber::parse(number.as_str()), Ok(number.clone()));
        let retyped = number.as_str().to_lowercase().replace('-', " ");
        assert_eq!(CertificateNumber::parse(&retyped), Ok(number));
    }

    #[test]
    fn a_number_is_not_a_guessable_shape() {
        for raw in
            ["", "HB", "HB-2026-00000-00000", "XX-2026-00000-00000-0", "HB-20A6-00000-00000-0"]
        {
            assert_eq!(
                CertificateNumber::parse(raw),
                Err(CertificateNumberError::Malformed),
                "{raw}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_single_mistyped_character_is_caught(
            random in any::<[u8; 7]>(),
            at in 0usize..15,
            replacement in 0usize..32,
        ) {
            let number = CertificateNumber::new(2026, random);
            let mut compact: Vec<u8> = number.as_str().bytes().filter(|b| *b != b'-').collect();
            let at = 2 + at; // skip the HB prefix
            prop_assume!(compact[at] != ALPHABET[replacement]);
            prop_assume!(at >= 6 || ALPHABET[replacement].is_ascii_digit());
            compact[at] = ALPHABET[replacement];
            let typo = String::from_utf8(compact).unwrap_or_default();
            prop_assert!(CertificateNumber::parse(&typo).is_err(), "{} accepted as {}", typo, number);
        }

        #[test]
        fn swapping_two_different_neighbours_is_caught(random in any::<[u8; 7]>(), at in 6usize..15) {
            let number = CertificateNumber::new(2026, random);
            let mut compact: Vec<u8> = number.as_str().bytes().filter(|b| *b != b'-').collect();
            prop_assume!(compact[at] != compact[at + 1]);
            // Luhn mod N misses exactly one pair of values; that blind spot is documented.
            let values = [compact[at], compact[at + 1]].map(|b| ALPHABET.iter().position(|a| *a == b));
            prop_assume!(values != [Some(0), Some(31)] && values != [Some(31), Some(0)]);
            compact.swap(at, at + 1);
            let swapped = String::from_utf8(compact).unwrap_or_default();
            prop_assert!(CertificateNumber::parse(&swapped).is_err());
        }
    }

    #[test]
    fn status_indices_are_a_permutation_of_the_whole_list() {
        let seed = [7u8; 32];
        let mut seen = vec![false; STATUS_LIST_SIZE as usize];
        for position in 0..STATUS_LIST_SIZE {
            let index = status_index(&seed, position) as usize;
            assert!(!seen[index], "index {index} allocated twice");
            seen[index] = true;
        }
        let first: Vec<u32> = (0..5).map(|p| status_index(&seed, p)).collect();
        assert_ne!(first, vec![0, 1, 2, 3, 4], "indices must not follow issue order");
        assert_ne!(status_index(&[8u8; 32], 0), status_index(&seed, 0));
    }

    #[test]
    fn outcome_and_reason_forms_round_trip() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::from_stored(outcome.as_str()), Some(*outcome));
        }
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::from_stored(reason.as_str()), Some(*reason));
        }
        assert_eq!(RevocationReason::from_stored("lost"), None);
    }

    #[test]
    fn a_corrected_completion_is_superseded_whatever_its_certificates() {
        assert_eq!(CompletionStatus::of(true, false), CompletionStatus::Superseded);
        assert_eq!(CompletionStatus::of(true, true), CompletionStatus::Superseded);
        assert_eq!(CompletionStatus::of(false, true), CompletionStatus::Live);
        assert_eq!(CompletionStatus::of(false, false), CompletionStatus::Revoked);
    }
}
