//! Characters no text of the registry may hold: what PostgreSQL cannot store or a reader cannot
//! see, what reorders the text shown, and letters that pass for others. Names and every free-text
//! field share these rules.

use unicode_security::MixedScript;

/// Why the characters of a text were refused: characters that PostgreSQL cannot store or that
/// a reader cannot see, characters that reorder what is shown, and letters that pass for others.
/// Messages never repeat the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CharacterError {
    /// A C0 or C1 control character (U+0000–U+001F, U+007F–U+009F), other than the tab, line
    /// feed and carriage return that whitespace collapsing turns into a space.
    #[error("must not contain control characters")]
    Control,
    /// A bidirectional control character, which can make a text read differently from what it
    /// holds (CVE-2021-42574, "Trojan Source").
    #[error(
        "must not contain bidirectional control characters (U+061C, U+200E, U+200F, \
         U+202A-U+202E, U+2066-U+2069)"
    )]
    Bidi,
    /// Letters of scripts that never mix, such as a Cyrillic "у" among Latin letters
    /// (Unicode TR 39 mixed-script detection).
    #[error("must not mix letters of different scripts (such as Latin with Cyrillic or Greek)")]
    MixedScript,
}

impl CharacterError {
    /// A stable, machine-readable code for scripts (`problem.errors[].code`).
    pub fn code(self) -> &'static str {
        match self {
            CharacterError::Control => "control-character",
            CharacterError::Bidi => "bidi-control",
            CharacterError::MixedScript => "mixed-script",
        }
    }
}

/// Refuses control and bidirectional control characters. Tab, line feed and carriage return
/// pass: every text is stored with its whitespace collapsed to single spaces, so they are never
/// stored (a note pasted over several lines becomes one line).
pub(crate) fn no_control_characters(raw: &str) -> Result<(), CharacterError> {
    let bidi = |c: char| matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    match raw.chars().find(|&c| bidi(c) || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))) {
        None => Ok(()),
        Some(c) if bidi(c) => Err(CharacterError::Bidi),
        Some(_) => Err(CharacterError::Control),
    }
}

/// Refuses a text whose letters belong to no single script (TR 39 §5.1, with its augmented
/// script sets, so Japanese kanji and kana count as one). Vietnamese is Latin with combining
/// marks, and marks, digits and punctuation belong to every script.
pub(crate) fn single_script(text: &str) -> Result<(), CharacterError> {
    if text.is_single_script() { Ok(()) } else { Err(CharacterError::MixedScript) }
}
