//! Codes of the registry's vocabularies (institutions, categories, programmes, ranks, agencies):
//! one spelling rule for all of them.

/// Why a code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// Not made of the allowed characters, or of the wrong length.
    #[error(
        "must be {min}-{max} characters of A-Z, 0-9, '-' and '.', starting with a letter or digit"
    )]
    Malformed {
        /// Shortest accepted length.
        min: usize,
        /// Longest accepted length.
        max: usize,
    },
    /// A category code whose prefix names no family of DOMAIN.md §11a.
    #[error("is not a programme category of the national taxonomy")]
    UnknownCategoryFamily,
}

/// Checks an upper-case code made of `A-Z 0-9 - .` (institution, programme, rank, agency codes).
pub(crate) fn code(raw: &str, min: usize, max: usize) -> Result<String, CodeError> {
    let code = raw.trim();
    let well_formed = (min..=max).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if well_formed { Ok(code.to_owned()) } else { Err(CodeError::Malformed { min, max }) }
}
