//! A completion: an official finished a class of a programme, with a result.

use serde::Deserialize;
use time::Date;

use crate::{ClassId, DateSpan, Invalid, NationalId, Outcome, PersonName, ProgramCode, Violation};

/// The youngest age at which training counts: the minimum working age (Labour Code 2019,
/// Art. 143). Training dated before it is a typo in a year, not a record.
pub const MINIMUM_AGE_YEARS: i32 = 15;

/// What an institution states about a completion, parsed: who (identified three ways, so that a
/// typo in the ID number cannot land on someone else), what, when, and the result.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedCompletion {
    /// The official's national ID number.
    pub national_id: NationalId,
    /// The name as the institution has it (checked against the registry, accent-insensitively).
    pub full_name: PersonName,
    /// The date of birth as the institution has it (checked against the registry).
    pub date_of_birth: Date,
    /// Where it was taught: a class of the institution, or a programme and dates.
    pub taught: Taught,
    /// Training days attended.
    pub duration_days: u16,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10.
    pub score: Option<f64>,
}

/// Where a posted completion was taught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taught {
    /// In one of the institution's registered classes (programme and dates come from it).
    Class(ClassId),
    /// In a programme on these dates (individual study, a course without a registered class).
    Program {
        /// The programme.
        code: ProgramCode,
        /// First and last day.
        span: DateSpan,
    },
}

impl PostedCompletion {
    /// Checks the training against facts only the registry holds: the official's date of birth
    /// as registered, and the first and last day of the training (`span`: the class's, or the
    /// posted ones). The training starts on or after the official's 15th birthday, has ended by
    /// `today`, and lasts no more days than the calendar days it spans.
    pub fn check_training(
        &self,
        registered_birth: Date,
        span: DateSpan,
        today: Date,
    ) -> Result<(), Invalid> {
        // A class's dates are the class's: the fault is the class posted, not a date field.
        let (start_field, end_field) = match self.taught {
            Taught::Class(_) => ("class_id", "class_id"),
            Taught::Program { .. } => ("started_on", "ended_on"),
        };
        let mut v = crate::Validator::default();
        if span.start() < birthday(registered_birth, MINIMUM_AGE_YEARS) {
            v.reject(start_field, Violation::BeforeMinimumAge);
        }
        if span.end() > today {
            v.reject(end_field, Violation::TrainingNotEnded);
        }
        let days = span.calendar_days();
        if i64::from(self.duration_days) > days {
            v.reject("duration_days", Violation::DurationBeyondSpan { days });
        }
        v.finish(())
    }
}

/// The day someone born on `birth` turns `years` old; born on 29 February, on 1 March of a
/// common year.
fn birthday(birth: Date, years: i32) -> Date {
    let year = birth.year() + years;
    birth.replace_year(year).unwrap_or_else(|_| {
        Date::from_calendar_date(year, time::Month::March, 1).unwrap_or(Date::MAX)
    })
}

impl Taught {
    /// The class, if any.
    pub fn class_id(&self) -> Option<ClassId> {
        match self {
            Taught::Class(id) => Some(*id),
            Taught::Program { .. } => None,
        }
    }
}

/// The request body an institution posts for one completion (also one row of a batch).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompletionPostDraft {
    /// The official's 12-digit national ID number.
    #[cfg_attr(feature = "openapi", schema(example = "001085012345"))]
    pub national_id: String,
    /// Full name, as on the ID card (diacritics and case are not compared).
    #[cfg_attr(feature = "openapi", schema(example = "Nguyễn Văn An"))]
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// The class completed; or give `program_code`, `started_on` and `ended_on`.
    pub class_id: Option<ClassId>,
    /// The programme, when there is no registered class.
    pub program_code: Option<String>,
    /// First day of study, when there is no registered class (on or after the official's 15th
    /// birthday).
    pub started_on: Option<Date>,
    /// Last day of study, when there is no registered class.
    pub ended_on: Option<Date>,
    /// Training days attended, 1–3650; at least the programme's minimum, and at most the
    /// calendar days from the first to the last day of the class (or of the dates given).
    pub duration_days: u16,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10.
    pub score: Option<f64>,
}

impl CompletionPostDraft {
    /// Validates every field that needs no stored fact; `today` bounds the dates.
    pub fn parse(&self, today: Date) -> Result<PostedCompletion, crate::Invalid> {
        let mut v = crate::Validator::default();
        let national_id = v.check("national_id", NationalId::parse_format(&self.national_id));
        let full_name = v.check("full_name", PersonName::parse(&self.full_name));
        let date_of_birth = v.check("date_of_birth", crate::dates::past(self.date_of_birth, today));
        let taught = match (self.class_id, &self.program_code, self.started_on, self.ended_on) {
            (Some(class), None, None, None) => Some(Taught::Class(class)),
            (None, Some(code), Some(start), Some(end)) => {
                let code = v.check("program_code", ProgramCode::parse(code));
                let ended = v.check("ended_on", crate::dates::past(end, today));
                let span = ended.and_then(|_| {
                    DateSpan::check_fields(&mut v, ("started_on", start), ("ended_on", end))
                });
                code.zip(span).map(|(code, span)| Taught::Program { code, span })
            }
            _ => {
                v.reject("class_id", Violation::EitherClassOrProgram);
                None
            }
        };
        if !(1..=3650).contains(&self.duration_days) {
            v.reject("duration_days", Violation::OutOfRange { min: 1, max: 3650 });
        }
        if self.score.is_some_and(|score| !(0.0..=10.0).contains(&score)) {
            v.reject("score", Violation::OutOfRange { min: 0, max: 10 });
        }
        let (Some(national_id), Some(full_name), Some(date_of_birth), Some(taught)) =
            (national_id, full_name, date_of_birth, taught)
        else {
            return Err(v.into_invalid());
        };
        v.finish(PostedCompletion {
            national_id,
            full_name,
            date_of_birth,
            taught,
            duration_days: self.duration_days,
            outcome: self.outcome,
            score: self.score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn posted(class_id: Option<ClassId>, program_code: Option<&str>) -> CompletionPostDraft {
        CompletionPostDraft {
            national_id: "001085012345".into(),
            full_name: "Nguyễn Văn An".into(),
            date_of_birth: time::macros::date!(1985 - 03 - 14),
            class_id,
            program_code: program_code.map(str::to_owned),
            started_on: program_code.map(|_| time::macros::date!(2025 - 03 - 03)),
            ended_on: program_code.map(|_| time::macros::date!(2025 - 04 - 25)),
            duration_days: 40,
            outcome: Outcome::Passed,
            score: None,
        }
    }

    #[test]
    fn a_posted_completion_names_a_class_or_a_programme_with_dates() {
        let today = time::macros::date!(2026 - 11 - 23);
        let by_class =
            posted(Some(ClassId::from_uuid(Uuid::nil())), None).parse(today).expect("valid");
        assert_eq!(by_class.taught, Taught::Class(ClassId::from_uuid(Uuid::nil())));
        assert!(posted(None, Some("QLNN-CV-2024")).parse(today).is_ok());
        let neither = posted(None, None).parse(today).expect_err("invalid");
        assert_eq!(neither.0[0].field, "class_id");
        let mut future = posted(None, Some("QLNN-CV-2024"));
        future.ended_on = Some(time::macros::date!(2027 - 01 - 01));
        assert_eq!(future.parse(today).expect_err("invalid").0[0].field, "ended_on");
    }

    fn program_row(started_on: Date, ended_on: Date, duration_days: u16) -> PostedCompletion {
        let mut draft = posted(None, Some("QLNN-CV-2024"));
        draft.started_on = Some(started_on);
        draft.ended_on = Some(ended_on);
        draft.duration_days = duration_days;
        draft.parse(time::macros::date!(2026 - 11 - 23)).expect("valid")
    }

    fn refused(
        posted: &PostedCompletion,
        birth: Date,
        span: (Date, Date),
        today: Date,
    ) -> Vec<(String, &'static str)> {
        let span = DateSpan::new(span.0, span.1).expect("span");
        match posted.check_training(birth, span, today) {
            Ok(()) => Vec::new(),
            Err(invalid) => invalid.0.into_iter().map(|e| (e.field, e.violation.code())).collect(),
        }
    }

    #[test]
    fn training_starts_on_or_after_the_fifteenth_birthday() {
        use time::macros::date;
        let today = date!(2026 - 11 - 23);
        let birth = date!(1985 - 03 - 14);
        // The completion of the issue: programme dates from 1925 for an official born in 1985.
        let nonsense = program_row(date!(1925 - 01 - 01), date!(2025 - 01 - 01), 3650);
        let span = (date!(1925 - 01 - 01), date!(2025 - 01 - 01));
        assert_eq!(
            refused(&nonsense, birth, span, today),
            [("started_on".to_owned(), "before-minimum-age")]
        );
        let young = program_row(date!(2000 - 03 - 13), date!(2000 - 03 - 20), 5);
        let span = (date!(2000 - 03 - 13), date!(2000 - 03 - 20));
        assert_eq!(refused(&young, birth, span, today)[0].1, "before-minimum-age");
        let span = (date!(2000 - 03 - 14), date!(2000 - 03 - 20));
        assert!(refused(&young, birth, span, today).is_empty());
        // Born on 29 February: 15 on 1 March.
        let leap = date!(1996 - 02 - 29);
        let span = (date!(2011 - 02 - 28), date!(2011 - 03 - 05));
        assert_eq!(refused(&young, leap, span, today)[0].1, "before-minimum-age");
        let span = (date!(2011 - 03 - 01), date!(2011 - 03 - 05));
        assert!(refused(&young, leap, span, today).is_empty());
    }

    #[test]
    fn a_class_must_have_ended_and_its_days_fit_in_it() {
        use time::macros::date;
        let today = date!(2026 - 11 - 23);
        let birth = date!(1985 - 03 - 14);
        let mut in_class =
            posted(Some(ClassId::from_uuid(Uuid::nil())), None).parse(today).unwrap();
        // An import posted 400 days for a 26-day class.
        in_class.duration_days = 400;
        let span = (date!(2025 - 03 - 03), date!(2025 - 03 - 28));
        assert_eq!(
            refused(&in_class, birth, span, today),
            [("duration_days".to_owned(), "duration-beyond-span")]
        );
        in_class.duration_days = 26;
        assert!(refused(&in_class, birth, span, today).is_empty());
        let not_over = (date!(2026 - 11 - 02), date!(2026 - 11 - 27));
        assert_eq!(
            refused(&in_class, birth, not_over, today),
            [("class_id".to_owned(), "training-not-ended")]
        );
    }

    #[test]
    fn days_and_score_are_bounded() {
        let mut draft = posted(Some(ClassId::from_uuid(Uuid::nil())), None);
        draft.duration_days = 0;
        draft.score = Some(10.5);
        let today = time::macros::date!(2026 - 11 - 23);
        let fields: Vec<String> = draft
            .parse(today)
            .expect_err("invalid")
            .0
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(fields, ["duration_days", "score"]);
    }
}
