//! The 12-digit personal identification number (số định danh cá nhân, the CCCD number).
//!
//! Structure (Decree 137/2015/NĐ-CP Art. 13; Circular 07/2016/TT-BCA Art. 7):
//!
//! | digits | meaning |
//! |---|---|
//! | 1–3 | province where the birth was registered |
//! | 4 | century and sex: 1900s male 0 / female 1, 2000s 2 / 3, … 2300s 8 / 9 |
//! | 5–6 | last two digits of the year of birth |
//! | 7–12 | random: there is no check digit, so typos here cannot be detected |
//!
//! The number is personal data under Law 91/2025/QH15: it never appears in `Debug` output, in
//! error messages or in URLs.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

/// Sex as recorded on the identity card; the national ID number encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Gender {
    /// The stored form (`male`, `female`).
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        match value {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        }
    }
}

/// Why a national ID number was rejected. Messages never repeat the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NationalIdError {
    /// Not exactly twelve ASCII digits.
    #[error("must be exactly 12 digits")]
    Format,
    /// Digits 1–3 are not the code of a province.
    #[error("digits 1-3 are not a province code")]
    UnknownProvince,
    /// Digit 4 does not match the century of the date of birth and the sex.
    #[error("digit 4 does not match the century of birth and the sex")]
    CenturyOrSexMismatch,
    /// Digits 5–6 are not the last two digits of the year of birth.
    #[error("digits 5-6 do not match the year of birth")]
    BirthYearMismatch,
    /// The date of birth is outside the centuries the number can encode (1900–2399).
    #[error("the year of birth cannot be encoded in a national ID number")]
    BirthYearOutOfRange,
}

/// Province codes of birth registration (GSO codes, as used in digits 1–3).
///
/// Numbers are lifelong: the 2025 merger of provinces does not change them, so the legacy
/// 63-province list stays valid.
const PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A national ID number that is consistent with its holder's date of birth and sex.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId(String);

impl NationalId {
    /// Parses `raw` (surrounding spaces ignored) and checks it against the holder's birth facts.
    pub fn parse(raw: &str, date_of_birth: Date, gender: Gender) -> Result<Self, NationalIdError> {
        let digits = Self::digits(raw)?;
        let [p1, p2, p3, century_sex, y1, y2, ..] = digits;
        let province = u16::from(p1) * 100 + u16::from(p2) * 10 + u16::from(p3);
        if !PROVINCE_CODES.contains(&province) {
            return Err(NationalIdError::UnknownProvince);
        }
        let year = date_of_birth.year();
        let century_index = (year - 1900).div_euclid(100);
        if !(0..=4).contains(&century_index) {
            return Err(NationalIdError::BirthYearOutOfRange);
        }
        let expected = century_index * 2 + i32::from(gender == Gender::Female);
        if i32::from(century_sex) != expected {
            return Err(NationalIdError::CenturyOrSexMismatch);
        }
        if i32::from(y1) * 10 + i32::from(y2) != year.rem_euclid(100) {
            return Err(NationalIdError::BirthYearMismatch);
        }
        Ok(NationalId(raw.trim().to_owned()))
    }

    /// Checks only the shape (twelve digits), for looking a number up without birth facts.
    pub fn parse_format(raw: &str) -> Result<Self, NationalIdError> {
        Self::digits(raw)?;
        Ok(NationalId(raw.trim().to_owned()))
    }

    fn digits(raw: &str) -> Result<[u8; 12], NationalIdError> {
        let bytes = raw.trim().as_bytes();
        let mut digits = [0u8; 12];
        if bytes.len() != digits.len() {
            return Err(NationalIdError::Format);
        }
        for (digit, byte) in digits.iter_mut().zip(bytes) {
            if !byte.is_ascii_digit() {
                return Err(NationalIdError::Format);
            }
            *digit = byte - b'0';
        }
        Ok(digits)
    }

    /// The number itself. Callers must keep it out of logs and URLs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NationalId(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    #[test]
    fn accepts_a_hanoi_man_born_in_1985() {
        let id = NationalId::parse("001085012345", date!(1985 - 03 - 14), Gender::Male).unwrap();
        assert_eq!(id.expose(), "001085012345");
    }

    #[test]
    fn accepts_a_woman_born_in_2001_in_ho_chi_minh_city() {
        assert!(NationalId::parse("079301000001", date!(2001 - 12 - 31), Gender::Female).is_ok());
    }

    #[test]
    fn ignores_surrounding_spaces() {
        let id = NationalId::parse(" 001085012345 ", date!(1985 - 03 - 14), Gender::Male).unwrap();
        assert_eq!(id.expose(), "001085012345");
    }

    #[test]
    fn rejects_wrong_length_and_non_digits() {
        let dob = date!(1985 - 03 - 14);
        for raw in
            ["", "00108501234", "0010850123456", "00108501234a", "00108501234５", "001 85012345"]
        {
            assert_eq!(
                NationalId::parse(raw, dob, Gender::Male),
                Err(NationalIdError::Format),
                "{raw}"
            );
        }
    }

    #[test]
    fn rejects_a_code_that_is_no_province() {
        // 003 and 099 are not GSO province codes.
        for raw in ["003085012345", "099085012345", "000085012345"] {
            assert_eq!(
                NationalId::parse(raw, date!(1985 - 03 - 14), Gender::Male),
                Err(NationalIdError::UnknownProvince)
            );
        }
    }

    #[test]
    fn rejects_century_digit_of_wrong_sex() {
        assert_eq!(
            NationalId::parse("001185012345", date!(1985 - 03 - 14), Gender::Male),
            Err(NationalIdError::CenturyOrSexMismatch)
        );
    }

    #[test]
    fn rejects_century_digit_of_wrong_century() {
        // A woman born in 1985 has digit 4 = 1, not 3 (which is 2000s).
        assert_eq!(
            NationalId::parse("001385012345", date!(1985 - 03 - 14), Gender::Female),
            Err(NationalIdError::CenturyOrSexMismatch)
        );
    }

    #[test]
    fn rejects_year_digits_that_differ_from_the_birth_year() {
        assert_eq!(
            NationalId::parse("001086012345", date!(1985 - 03 - 14), Gender::Male),
            Err(NationalIdError::BirthYearMismatch)
        );
    }

    #[test]
    fn rejects_births_before_1900() {
        assert_eq!(
            NationalId::parse("001099012345", date!(1899 - 01 - 01), Gender::Male),
            Err(NationalIdError::BirthYearOutOfRange)
        );
    }

    #[test]
    fn debug_output_hides_the_number() {
        let id = NationalId::parse_format("001085012345").unwrap();
        assert!(!format!("{id:?}").contains("0850"));
    }

    #[test]
    fn errors_never_repeat_the_number() {
        let error =
            NationalId::parse("001185012345", date!(1985 - 03 - 14), Gender::Male).unwrap_err();
        assert!(!error.to_string().contains("001185"));
    }

    fn arb_birth() -> impl Strategy<Value = (Date, Gender, u16)> {
        (
            1900i32..2100,
            1u8..=12,
            1u8..=28,
            any::<bool>(),
            prop::sample::select(PROVINCE_CODES.to_vec()),
        )
            .prop_map(|(year, month, day, female, province)| {
                let month = time::Month::try_from(month).unwrap();
                let gender = if female { Gender::Female } else { Gender::Male };
                (Date::from_calendar_date(year, month, day).unwrap(), gender, province)
            })
    }

    fn prefix(dob: Date, gender: Gender, province: u16) -> String {
        let century_sex = (dob.year() - 1900) / 100 * 2 + i32::from(gender == Gender::Female);
        format!("{province:03}{century_sex}{:02}", dob.year() % 100)
    }

    proptest! {
        #[test]
        fn ids_built_from_birth_facts_parse((dob, gender, province) in arb_birth(), tail in "[0-9]{6}") {
            let raw = prefix(dob, gender, province) + &tail;
            prop_assert!(NationalId::parse(&raw, dob, gender).is_ok());
        }

        #[test]
        fn the_other_sex_never_parses((dob, gender, province) in arb_birth(), tail in "[0-9]{6}") {
            let raw = prefix(dob, gender, province) + &tail;
            let other = if gender == Gender::Male { Gender::Female } else { Gender::Male };
            prop_assert_eq!(NationalId::parse(&raw, dob, other), Err(NationalIdError::CenturyOrSexMismatch));
        }

        #[test]
        fn arbitrary_text_never_panics(raw in ".{0,20}") {
            let _ = NationalId::parse(&raw, Date::MIN, Gender::Male);
        }
    }
}
