//! Field-level validation that reports every problem of an input at once.
//!
//! An institution posting a class of 300 wants to fix all the mistakes of a row in one round
//! trip, so parsing collects violations per field instead of stopping at the first.

use std::fmt;

use unicode_normalization::char::is_combining_mark;

use crate::characters::{CharacterError, no_control_characters, single_script};
use crate::codes::CodeError;
use crate::{CertificateNumberError, DateError, NameError, NationalIdError};

/// Why one field of an input was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The national ID number is not consistent with the person.
    #[error(transparent)]
    NationalId(#[from] NationalIdError),
    /// A person's name cannot be a name.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A date or a span of dates is not possible.
    #[error(transparent)]
    Date(#[from] DateError),
    /// A code (institution, category, programme, rank, agency) is malformed.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A certificate number is malformed or mistyped.
    #[error(transparent)]
    CertificateNumber(#[from] CertificateNumberError),
    /// A free-text field is empty or too long.
    #[error("must be between 1 and {max} characters")]
    TextLength {
        /// The longest accepted value, in characters.
        max: usize,
    },
    /// A text holds characters no text of the registry may hold.
    #[error(transparent)]
    Characters(#[from] CharacterError),
    /// A number is outside its range.
    #[error("must be between {min} and {max}")]
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// The institution's kind can never deliver this category (DOMAIN.md §11a).
    #[error("an institution of kind {} cannot deliver this category", kind.as_str())]
    KindCannotDeliver {
        /// The institution's kind.
        kind: crate::InstitutionKind,
    },
    /// A completion names neither a class nor a programme with its dates, or both.
    #[error("give class_id, or program_code with started_on and ended_on (not both)")]
    EitherClassOrProgram,
    /// The district level was abolished on 2025-07-01 (two-level local government).
    #[error("the district level no longer exists for periods starting on or after 2025-07-01")]
    DistrictLevelAbolished,
    /// Training that starts before the official's 15th birthday (as the registry has it).
    #[error("the training must not start before the official's 15th birthday")]
    BeforeMinimumAge,
    /// Training whose last day is after today: a completion is posted once it has ended.
    #[error("the training must have ended by today")]
    TrainingNotEnded,
    /// An agency named as its own parent.
    #[error("must not be the agency itself")]
    OwnParent,
    /// A webhook URL that is malformed or leads where webhooks may not go.
    #[error(transparent)]
    WebhookUrl(#[from] crate::webhooks::WebhookUrlError),
    /// More training days than the calendar days from the first to the last day.
    #[error("must not exceed the {days} calendar days from the first to the last day")]
    DurationBeyondSpan {
        /// Calendar days of the training, both ends included.
        days: i64,
    },
}

impl Violation {
    /// A stable, machine-readable code for scripts (`problem.errors[].code`).
    pub fn code(&self) -> &'static str {
        match self {
            Violation::NationalId(_) => "national-id-invalid",
            Violation::Characters(error) | Violation::Name(NameError::Characters(error)) => {
                error.code()
            }
            Violation::Name(_) => "name-invalid",
            Violation::Date(_) => "date-invalid",
            Violation::Code(_) => "code-invalid",
            Violation::CertificateNumber(_) => "certificate-number-invalid",
            Violation::TextLength { .. } => "text-length",
            Violation::OutOfRange { .. } => "out-of-range",
            Violation::KindCannotDeliver { .. } => "kind-cannot-deliver",
            Violation::DistrictLevelAbolished => "district-level-abolished",
            Violation::EitherClassOrProgram => "class-or-program",
            Violation::BeforeMinimumAge => "before-minimum-age",
            Violation::TrainingNotEnded => "training-not-ended",
            Violation::DurationBeyondSpan { .. } => "duration-beyond-span",
            Violation::OwnParent => "own-parent",
            Violation::WebhookUrl(error) => error.code(),
        }
    }
}

/// One rejected field: where it is (a JSON-pointer-like dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the input, such as `employment.valid_from`.
    pub field: String,
    /// What is wrong with it.
    pub violation: Violation,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.violation)
    }
}

/// An input with one or more invalid fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, violation: impl Into<Violation>) -> Self {
        Invalid(vec![FieldError { field: field.into(), violation: violation.into() }])
    }
}

/// Collects the outcome of parsing each field of an input.
///
/// ```
/// use hocba_domain::{PersonName, Validator};
/// let mut v = Validator::default();
/// let name = v.check("full_name", PersonName::parse("  Nguyễn   Văn An "));
/// let Some(name) = name else { return Err(v.into_invalid()) };
/// assert_eq!(v.finish(name)?.as_str(), "Nguyễn Văn An");
/// # Ok::<(), hocba_domain::Invalid>(())
/// ```
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
    prefix: String,
}

impl Validator {
    /// A validator whose field paths start with `prefix.` (for nested objects and batch rows).
    pub fn nested(prefix: impl Into<String>) -> Self {
        Validator { errors: Vec::new(), prefix: prefix.into() }
    }

    /// Records the error of `result`, if any, against `field`; returns the value if it parsed.
    pub fn check<T, E: Into<Violation>>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.reject(field, error);
                None
            }
        }
    }

    /// Like [`Validator::check`] for a field that may be absent.
    pub fn check_optional<R, T, E: Into<Violation>>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, E>,
    ) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    /// Records a violation against `field`.
    pub fn reject(&mut self, field: &str, violation: impl Into<Violation>) {
        let field = if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        };
        self.errors.push(FieldError { field, violation: violation.into() });
    }

    /// Merges the errors of a nested input.
    pub fn absorb(&mut self, nested: Invalid) {
        self.errors.extend(nested.0);
    }

    /// All the violations recorded so far.
    ///
    /// Call it when a field that a later check needs did not parse: the field's own
    /// violation is among them.
    pub fn into_invalid(self) -> Invalid {
        Invalid(self.errors)
    }

    /// `value` when no field was rejected, otherwise every violation.
    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() { Ok(value) } else { Err(Invalid(self.errors)) }
    }
}

/// The one rule for free text (agency and institution names, titles, places, decisions, notes,
/// labels): no control or bidirectional control characters; NFC, trimmed, inner whitespace
/// collapsed; 1 to `max` characters; and no word mixing scripts.
///
/// A word is a run of letters and marks, so a bilingual name ("Kyiv/Київ") passes while a
/// Latin word with a Cyrillic letter in it does not.
pub fn text(raw: &str, max: usize) -> Result<String, Violation> {
    no_control_characters(raw)?;
    let normalized = crate::name::normalize_spaces(raw);
    let length = normalized.chars().count();
    if length == 0 || length > max {
        return Err(Violation::TextLength { max });
    }
    let letter = |c: char| c.is_alphabetic() || is_combining_mark(c);
    for word in normalized.split(|c: char| !letter(c)).filter(|word| !word.is_empty()) {
        single_script(word)?;
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(raw: &str) -> Option<&'static str> {
        text(raw, 200).err().map(|violation| violation.code())
    }

    #[test]
    fn free_text_is_normalized() {
        assert_eq!(text("  Sở Nội vụ\t\r\n Hà  Nội ", 200).unwrap(), "Sở Nội vụ Hà Nội");
    }

    #[test]
    fn refuses_control_characters() {
        for raw in ["Trường\u{0}A", "a\u{7}b", "a\u{b}b", "a\u{7f}b", "a\u{85}b", "a\u{9f}b"] {
            assert_eq!(refusal(raw), Some("control-character"), "{raw:?}");
        }
    }

    #[test]
    fn refuses_bidirectional_controls() {
        for c in ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{61C}']
        {
            let raw = format!("Trường Chính trị {c}ma");
            assert_eq!(refusal(&raw), Some("bidi-control"), "{c:?}");
        }
    }

    #[test]
    fn refuses_words_mixing_scripts_but_not_bilingual_texts() {
        assert_eq!(refusal("Học viện Chính trị Quốc gia Hồ Chí Minh"), None);
        assert_eq!(refusal("Đại học Kyiv/Київ"), None);
        assert_eq!(refusal("東京大学 とうきょう"), None);
        assert_eq!(refusal("Quyết định 123/QĐ-BNV ngày 01/02/2024"), None);
        assert_eq!(refusal("Hоc viện"), Some("mixed-script")); // Cyrillic о
        assert_eq!(refusal("Trường Αlpha"), Some("mixed-script")); // Greek Α
    }

    #[test]
    fn empty_and_long_texts_are_refused_by_length() {
        assert_eq!(refusal(" \t "), Some("text-length"));
        assert_eq!(text(&"ă".repeat(11), 10), Err(Violation::TextLength { max: 10 }));
    }
}
