//! Date rules shared by employment periods, classes and completions.

use time::Date;
use time::macros::date;

use crate::Validator;

/// Why a date or a span of dates is impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The span ends before it starts.
    #[error("must not be before the start date")]
    EndBeforeStart,
    /// A fact that has already happened is dated after today.
    #[error("must not be in the future")]
    InFuture,
    /// Earlier than any record the registry can hold.
    #[error("must not be before 1900-01-01")]
    TooEarly,
    /// A day something is to begin on, already past.
    #[error("must not be before today")]
    InPast,
    /// A day too far ahead for what it ends.
    #[error("must be at most {days} days after today")]
    TooFarAhead {
        /// How many days after today it may be at most.
        days: i64,
    },
}

/// The earliest date the registry accepts for any fact.
pub const EARLIEST: Date = date!(1900 - 01 - 01);

/// A closed span of calendar days, `start ..= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpan {
    start: Date,
    end: Date,
}

impl DateSpan {
    /// A span whose end is on or after its start; [`DateError::EndBeforeStart`] otherwise.
    pub fn new(start: Date, end: Date) -> Result<Self, DateError> {
        let start = on_record(start)?;
        if end < start {
            return Err(DateError::EndBeforeStart);
        }
        Ok(DateSpan { start, end })
    }

    /// Checks a draft's first and last days into `v`, naming the field at fault: a start
    /// before 1900 is the start's, an end before the start the end's.
    pub fn check_fields(
        v: &mut Validator,
        (start_field, start): (&str, Date),
        (end_field, end): (&str, Date),
    ) -> Option<Self> {
        v.check(start_field, on_record(start))?;
        v.check(end_field, Self::new(start, end))
    }

    /// A span that has already ended by `today` (a completed course, for instance).
    pub fn completed(start: Date, end: Date, today: Date) -> Result<Self, DateError> {
        let span = Self::new(start, end)?;
        past(end, today)?;
        Ok(span)
    }

    /// First day.
    pub fn start(&self) -> Date {
        self.start
    }

    /// Last day.
    pub fn end(&self) -> Date {
        self.end
    }

    /// Number of calendar days, both ends included.
    pub fn calendar_days(&self) -> i64 {
        (self.end - self.start).whole_days() + 1
    }

    /// Whether `day` falls inside the span.
    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }
}

/// A day written `YYYY-MM-DD`: RFC 3339's full-date, which the API's `format: date` fields, a
/// browser's date field and every page's query use alike (no week or ordinal dates).
pub fn parse(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `day` if the registry can hold it, from 1900 on: what a query or a form may ask about
/// (`time` also reads `-9999-01-01`, a day PostgreSQL does not hold).
pub fn held(day: Date) -> Option<Date> {
    on_record(day).ok()
}

/// `day` if it is not before 1900, the earliest fact the registry records.
pub fn on_record(day: Date) -> Result<Date, DateError> {
    if day < EARLIEST { Err(DateError::TooEarly) } else { Ok(day) }
}

/// `day` if it is on or before `today` and not before 1900.
pub fn past(day: Date, today: Date) -> Result<Date, DateError> {
    let day = on_record(day)?;
    if day > today { Err(DateError::InFuture) } else { Ok(day) }
}

/// A period that may still be open: `start ..` or `start ..= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First day in force.
    pub from: Date,
    /// Last day in force; `None` while open-ended.
    pub to: Option<Date>,
}

impl Validity {
    /// A period whose end, if any, is on or after its start.
    pub fn new(from: Date, to: Option<Date>) -> Result<Self, DateError> {
        match to {
            Some(to) => DateSpan::new(from, to)
                .map(|span| Validity { from: span.start, to: Some(span.end) }),
            None => on_record(from).map(|from| Validity { from, to: None }),
        }
    }

    /// Checks a draft's `valid_from` and `valid_to` into `v`, naming the field at fault: a
    /// start before 1900 is `valid_from`'s, an end before the start `valid_to`'s.
    pub fn check_fields(v: &mut Validator, from: Date, to: Option<Date>) -> Option<Self> {
        v.check("valid_from", on_record(from))?;
        v.check("valid_to", Self::new(from, to))
    }

    /// Whether the period is in force on `day`.
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }

    /// Whether `inner` lies wholly within this period (an open `inner` only within an open one).
    pub fn encloses(&self, inner: &Validity) -> bool {
        let ends_in_time = match (self.to, inner.to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(end), Some(inner_end)) => inner_end <= end,
        };
        self.from <= inner.from && ends_in_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_day_course_lasts_one_calendar_day() {
        let span = DateSpan::new(date!(2025 - 03 - 10), date!(2025 - 03 - 10)).unwrap();
        assert_eq!(span.calendar_days(), 1);
    }

    #[test]
    fn rejects_an_end_before_the_start() {
        assert_eq!(
            DateSpan::new(date!(2025 - 03 - 10), date!(2025 - 03 - 09)),
            Err(DateError::EndBeforeStart)
        );
    }

    #[test]
    fn a_completion_cannot_end_in_the_future() {
        let today = date!(2026 - 11 - 23);
        assert!(DateSpan::completed(date!(2026 - 11 - 01), today, today).is_ok());
        assert_eq!(
            DateSpan::completed(date!(2026 - 11 - 01), date!(2026 - 11 - 24), today),
            Err(DateError::InFuture)
        );
    }

    #[test]
    fn a_day_is_read_as_a_date_field_sends_it_and_in_no_other_form() {
        assert_eq!(parse("2026-12-07"), Some(date!(2026 - 12 - 07)));
        // ISO 8601's week and ordinal dates name the same day; a form never sends them, and one
        // page reading them while the others refused them was the inconsistency.
        let others =
            ["2026-W50-1", "2026-341", "20261207", "07/12/2026", "2026-12-7", "2026-02-30"];
        for other in others {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn rejects_dates_before_1900() {
        assert_eq!(past(date!(1899 - 12 - 31), date!(2026 - 01 - 01)), Err(DateError::TooEarly));
    }

    /// A draft's error names the day at fault: a start too early is the start's, not the end's.
    #[test]
    fn a_drafts_days_are_checked_field_by_field() {
        let fields = |from, to| {
            let mut v = Validator::default();
            let checked = Validity::check_fields(&mut v, from, to);
            let invalid = v.finish(()).err().map(|invalid| invalid.0);
            (checked, invalid.unwrap_or_default())
        };
        let signed_year = Date::from_calendar_date(-9999, time::Month::January, 1).unwrap();
        let (checked, errors) = fields(signed_year, Some(date!(2025 - 01 - 01)));
        assert_eq!(checked, None);
        assert_eq!(errors[0].field, "valid_from");
        assert_eq!(errors[0].violation, DateError::TooEarly.into());
        let (_, errors) = fields(date!(2025 - 01 - 01), Some(date!(2024 - 12 - 31)));
        assert_eq!(errors[0].field, "valid_to");
        let (checked, errors) = fields(date!(1900 - 01 - 01), None);
        assert_eq!((checked.map(|v| v.from), errors.len()), (Some(date!(1900 - 01 - 01)), 0));

        let mut v = Validator::default();
        let span =
            DateSpan::check_fields(&mut v, ("starts_on", signed_year), ("ends_on", signed_year));
        assert_eq!(span, None);
        assert_eq!(v.finish(()).unwrap_err().0[0].field, "starts_on");
    }

    #[test]
    fn an_open_validity_covers_every_later_day() {
        let open = Validity::new(date!(2024 - 01 - 01), None).unwrap();
        assert!(open.covers(date!(2099 - 01 - 01)));
        assert!(!open.covers(date!(2023 - 12 - 31)));
        let closed = Validity::new(date!(2024 - 01 - 01), Some(date!(2024 - 12 - 31))).unwrap();
        assert!(closed.covers(date!(2024 - 12 - 31)));
        assert!(!closed.covers(date!(2025 - 01 - 01)));
    }
}
