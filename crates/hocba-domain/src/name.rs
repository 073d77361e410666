//! Vietnamese personal names: one stored form, and a key for accent-insensitive search.
//!
//! The same name arrives from different systems in different Unicode forms (precomposed "ễ" or
//! "e" + two combining marks) and with stray spaces. Names are stored in NFC with single spaces,
//! so equal names compare equal; searches use [`search_key`], so "nguyen van an" finds
//! "Nguyễn Văn An".

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a name was rejected. Messages never repeat the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing but whitespace.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_NAME_CHARS`].
    #[error("must be at most {MAX_NAME_CHARS} characters")]
    TooLong,
    /// Contains a digit or a symbol that no name has.
    #[error("may contain only letters, spaces, hyphens, apostrophes and periods")]
    InvalidCharacter,
    /// Contains a control or bidirectional control character, or mixes the letters of
    /// different scripts ("Nguуễn" with a Cyrillic "у").
    #[error(transparent)]
    Characters(#[from] crate::characters::CharacterError),
}

/// A person's full name (họ và tên): NFC, trimmed, single spaces.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Normalizes and checks a name.
    ///
    /// All its letters are of one script (Vietnamese, ethnic minority names included, is Latin
    /// with combining marks), so a name that looks like a registered one but is spelt with a
    /// Cyrillic or Greek look-alike letter is refused rather than signed.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        crate::characters::no_control_characters(raw)?;
        let name = normalize_spaces(raw);
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        // Names of some ethnic minorities carry apostrophes (H'Hen Niê) or hyphens.
        let allowed = |c: char| {
            c.is_alphabetic() || is_combining_mark(c) || matches!(c, ' ' | '-' | '\'' | '’' | '.')
        };
        if !name.chars().all(allowed) {
            return Err(NameError::InvalidCharacter);
        }
        crate::characters::single_script(&name)?;
        Ok(PersonName(name))
    }

    /// The name as stored and displayed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The accent-insensitive search key of this name.
    pub fn search_key(&self) -> String {
        search_key(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(<redacted>)")
    }
}

/// NFC, trimmed, every run of whitespace collapsed to one space.
pub fn normalize_spaces(raw: &str) -> String {
    let composed: String = raw.nfc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower case, without tone or vowel marks, "đ" as "d", single spaces.
///
/// Two spellings of a name that differ only in diacritics, case, Unicode form or spacing get the
/// same key.
pub fn search_key(raw: &str) -> String {
    // Lower-case first: lower-casing can itself produce combining marks (İ → i + dot above).
    let stripped: String = raw
        .to_lowercase()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn trims_and_collapses_spaces() {
        assert_eq!(PersonName::parse("  Nguyễn \t Văn   An ").unwrap().as_str(), "Nguyễn Văn An");
    }

    #[test]
    fn composes_decomposed_input() {
        let decomposed = "Nguye\u{302}\u{303}n Va\u{306}n An";
        assert_eq!(PersonName::parse(decomposed).unwrap().as_str(), "Nguyễn Văn An");
    }

    #[test]
    fn keeps_apostrophes_of_ethnic_minority_names() {
        assert_eq!(PersonName::parse("H'Hen Niê").unwrap().as_str(), "H'Hen Niê");
    }

    #[test]
    fn rejects_empty_names() {
        assert_eq!(PersonName::parse(" \n "), Err(NameError::Empty));
    }

    #[test]
    fn rejects_names_with_digits_or_symbols() {
        for raw in ["Nguyễn Văn 2", "Trần <b>"] {
            assert_eq!(PersonName::parse(raw), Err(NameError::InvalidCharacter), "{raw:?}");
        }
    }

    #[test]
    fn rejects_control_and_bidirectional_characters() {
        use crate::characters::CharacterError;
        assert_eq!(PersonName::parse("Lê\u{0}Thị"), Err(CharacterError::Control.into()));
        assert_eq!(PersonName::parse("Lê Thị\u{202E}"), Err(CharacterError::Bidi.into()));
    }

    #[test]
    fn rejects_names_mixing_scripts() {
        use crate::characters::CharacterError;
        // A Cyrillic "у" in a Latin name; a Greek "Α" opening one.
        for raw in ["Nguуễn Văn An", "Αn Văn Nguyễn", "Nguyễn Иван"] {
            assert_eq!(PersonName::parse(raw), Err(CharacterError::MixedScript.into()), "{raw:?}");
        }
        for raw in ["Nguyễn Văn An", "H'Hen Niê", "Ksor Y Phương", "Hoàng Thị Đức", "Иван Петров"]
        {
            assert!(PersonName::parse(raw).is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_over_long_names() {
        assert_eq!(PersonName::parse(&"A".repeat(MAX_NAME_CHARS + 1)), Err(NameError::TooLong));
        assert!(PersonName::parse(&"Ă".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn search_key_ignores_marks_case_and_d_stroke() {
        assert_eq!(search_key("Đặng Thị Ánh  Tuyết"), "dang thi anh tuyet");
        assert_eq!(search_key("ĐẶNG THỊ ÁNH TUYẾT"), search_key("dang thi anh tuyet"));
    }

    #[test]
    fn debug_output_hides_the_name() {
        assert!(!format!("{:?}", PersonName::parse("Nguyễn Văn An").unwrap()).contains("Nguy"));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(raw in "\\PC{0,40}") {
            if let Ok(name) = PersonName::parse(&raw) {
                prop_assert_eq!(PersonName::parse(name.as_str()).unwrap(), name);
            }
        }

        #[test]
        fn search_key_of_a_key_is_itself(raw in "\\PC{0,40}") {
            let key = search_key(&raw);
            prop_assert_eq!(search_key(&key), key);
        }
    }
}
