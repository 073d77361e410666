//! Date rules shared by employment periods, classes and completions.

use time::Date;
use time::macros::date;

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
        if start < EARLIEST {
            return Err(DateError::TooEarly);
        }
        if end < start {
            return Err(DateError::EndBeforeStart);
        }
        Ok(DateSpan { start, end })
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

/// `day` if the registry can hold it, from 1900 on: what a query or a form may ask about
/// (`time` also reads `-9999-01-01`, a day PostgreSQL does not hold).
pub fn held(day: Date) -> Option<Date> {
    (day >= EARLIEST).then_some(day)
}

/// `day` if it is on or before `today` and not before 1900.
pub fn past(day: Date, today: Date) -> Result<Date, DateError> {
    if day < EARLIEST {
        Err(DateError::TooEarly)
    } else if day > today {
        Err(DateError::InFuture)
    } else {
        Ok(day)
    }
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
            None if from < EARLIEST => Err(DateError::TooEarly),
            None => Ok(Validity { from, to: None }),
        }
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
    fn rejects_dates_before_1900() {
        assert_eq!(past(date!(1899 - 12 - 31), date!(2026 - 01 - 01)), Err(DateError::TooEarly));
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
