//! An official's consent (sự đồng ý): the official lets one machine client (the National Public
//! Service Portal, a ministry's HR system) read their record, for a purpose they state, from one
//! day to another, until they withdraw it.
//!
//! Decree 13/2023 asks consent to be explicit and withdrawable, and silence is not consent: a
//! client without a consent in force reads nothing (unless the law's own basis, its agency's HR
//! rule, lets it). Days are calendar days in Vietnam (UTC+7), as officials count them.

use time::macros::offset;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::validation::{self, Invalid, Validator};
use crate::{DateError, DateSpan};

/// The offset of the calendar consents are given in.
pub const VIETNAM: UtcOffset = offset!(+7);

/// How far after the day it is given a consent may last, in days: a year at most, so that an
/// official who forgets a consent is not read for ever; they grant it again if they wish.
pub const MAX_CONSENT_DAYS: i64 = 365;

/// The longest purpose, in characters.
pub const MAX_PURPOSE: usize = 200;

/// The calendar day in Vietnam at `at`.
pub fn vietnam_day(at: OffsetDateTime) -> Date {
    at.to_offset(VIETNAM).date()
}

/// A consent as asked for, before its rules are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDraft {
    /// Why the client may read (`Hồ sơ xin cấp phép hành nghề`), as the official states it.
    pub purpose: String,
    /// The first day it is in force; `None`: today.
    pub valid_from: Option<Date>,
    /// The last day it is in force.
    pub valid_until: Date,
}

/// A consent's checked terms: a purpose in the registry's one form of text, and a period from
/// today or later that ends at most [`MAX_CONSENT_DAYS`] after today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentTerms {
    purpose: String,
    period: DateSpan,
}

impl ConsentTerms {
    /// Why the client may read.
    pub fn purpose(&self) -> &str {
        &self.purpose
    }

    /// The first day in force.
    pub fn valid_from(&self) -> Date {
        self.period.start()
    }

    /// The last day in force.
    pub fn valid_until(&self) -> Date {
        self.period.end()
    }
}

impl ConsentDraft {
    /// The terms, or every field at fault: a purpose that is no text, a first day before
    /// `today`, a last day before the first or more than [`MAX_CONSENT_DAYS`] after `today`.
    pub fn parse(self, today: Date) -> Result<ConsentTerms, Invalid> {
        let mut validator = Validator::default();
        let purpose = validator.check("purpose", validation::text(&self.purpose, MAX_PURPOSE));
        let from = self.valid_from.unwrap_or(today);
        let from = validator
            .check("valid_from", if from < today { Err(DateError::InPast) } else { Ok(from) });
        let latest = today + Duration::days(MAX_CONSENT_DAYS);
        let until = if self.valid_until > latest {
            validator.reject("valid_until", DateError::TooFarAhead { days: MAX_CONSENT_DAYS });
            None
        } else {
            Some(self.valid_until)
        };
        let (Some(purpose), Some(from), Some(until)) = (purpose, from, until) else {
            return Err(validator.into_invalid());
        };
        let period = validator.check("valid_until", DateSpan::new(from, until));
        let Some(period) = period else { return Err(validator.into_invalid()) };
        validator.finish(ConsentTerms { purpose, period })
    }
}

/// Where a consent stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    /// Its first day has not come.
    Pending,
    /// The client may read under it.
    Live,
    /// Its last day is over.
    Expired,
    /// The official withdrew it (whether or not its period is over).
    Withdrawn,
}

impl ConsentState {
    /// The form shown (`pending`, `live`, `expired`, `withdrawn`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Pending => "pending",
            ConsentState::Live => "live",
            ConsentState::Expired => "expired",
            ConsentState::Withdrawn => "withdrawn",
        }
    }
}

/// The facts of a stored consent that decide where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentStanding {
    /// The first day in force.
    pub valid_from: Date,
    /// The last day in force.
    pub valid_until: Date,
    /// When the official gave it.
    pub granted_at: OffsetDateTime,
    /// When the official withdrew it, if they did.
    pub withdrawn_at: Option<OffsetDateTime>,
}

impl ConsentStanding {
    /// Where it stands at `now`: a withdrawal counts from the moment it is recorded, the period
    /// by Vietnam's calendar day.
    pub fn state(&self, now: OffsetDateTime) -> ConsentState {
        let today = vietnam_day(now);
        if self.withdrawn_at.is_some() {
            ConsentState::Withdrawn
        } else if today < self.valid_from {
            ConsentState::Pending
        } else if today > self.valid_until {
            ConsentState::Expired
        } else {
            ConsentState::Live
        }
    }
}

/// Why a client may not read an official's record on consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsentRefusal {
    /// The official never gave this client a consent, or its period has not begun.
    #[error("the official has given this client no consent to read their record")]
    Missing,
    /// The official's latest consent to this client has ended.
    #[error("the official's consent to this client has expired")]
    Expired,
    /// The official withdrew their latest consent to this client.
    #[error("the official has withdrawn their consent to this client")]
    Withdrawn,
}

impl ConsentRefusal {
    /// A stable, machine-readable code (`consent-missing`, `consent-expired`,
    /// `consent-withdrawn`).
    pub fn code(self) -> &'static str {
        match self {
            ConsentRefusal::Missing => "consent-missing",
            ConsentRefusal::Expired => "consent-expired",
            ConsentRefusal::Withdrawn => "consent-withdrawn",
        }
    }
}

/// Which of the consents one official gave one client lets it read at `now`: the latest
/// granted of those live. When none is, the refusal says what became of the latest granted
/// (withdrawn, expired, or not begun: missing), which is what the official last decided.
pub fn consent_in_force(
    consents: &[ConsentStanding],
    now: OffsetDateTime,
) -> Result<usize, ConsentRefusal> {
    let latest = |states: &mut dyn Iterator<Item = (usize, &ConsentStanding)>| {
        states.max_by_key(|(_, consent)| consent.granted_at).map(|(index, _)| index)
    };
    let mut live =
        consents.iter().enumerate().filter(|(_, consent)| consent.state(now) == ConsentState::Live);
    if let Some(index) = latest(&mut live) {
        return Ok(index);
    }
    let last = latest(&mut consents.iter().enumerate()).and_then(|index| consents.get(index));
    Err(match last.map(|consent| consent.state(now)) {
        Some(ConsentState::Withdrawn) => ConsentRefusal::Withdrawn,
        Some(ConsentState::Expired) => ConsentRefusal::Expired,
        Some(ConsentState::Pending | ConsentState::Live) | None => ConsentRefusal::Missing,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    const TODAY: Date = date!(2026 - 12 - 06);

    fn draft(purpose: &str, from: Option<Date>, until: Date) -> ConsentDraft {
        ConsentDraft { purpose: purpose.to_owned(), valid_from: from, valid_until: until }
    }

    fn fields(invalid: Invalid) -> Vec<String> {
        invalid.0.into_iter().map(|error| error.field).collect()
    }

    fn standing(from: Date, until: Date, granted: OffsetDateTime) -> ConsentStanding {
        ConsentStanding {
            valid_from: from,
            valid_until: until,
            granted_at: granted,
            withdrawn_at: None,
        }
    }

    #[test]
    fn a_consent_starts_today_unless_told_otherwise() {
        let terms =
            draft("  Hồ sơ   dịch vụ công ", None, date!(2027 - 03 - 06)).parse(TODAY).unwrap();
        assert_eq!(terms.purpose(), "Hồ sơ dịch vụ công");
        assert_eq!((terms.valid_from(), terms.valid_until()), (TODAY, date!(2027 - 03 - 06)));
    }

    #[test]
    fn a_consent_lasts_a_year_at_most() {
        let a_year_on = TODAY + Duration::days(MAX_CONSENT_DAYS);
        assert!(draft("HR", None, a_year_on).parse(TODAY).is_ok());
        let refused = draft("HR", None, a_year_on.next_day().unwrap()).parse(TODAY).unwrap_err();
        assert_eq!(fields(refused), ["valid_until"]);
    }

    #[test]
    fn rejects_every_field_at_fault_at_once() {
        let yesterday = TODAY.previous_day().unwrap();
        let refused = draft("", Some(yesterday), date!(2099 - 01 - 01)).parse(TODAY).unwrap_err();
        assert_eq!(fields(refused), ["purpose", "valid_from", "valid_until"]);
        let refused = draft("HR", Some(date!(2027 - 01 - 10)), date!(2027 - 01 - 09))
            .parse(TODAY)
            .unwrap_err();
        assert_eq!(fields(refused), ["valid_until"]);
    }

    #[test]
    fn a_consent_is_live_from_its_first_to_its_last_day_in_vietnam() {
        let consent =
            standing(date!(2026 - 12 - 07), date!(2026 - 12 - 31), datetime!(2026-12-06 03:00 UTC));
        // 16:59 UTC on the 6th is 23:59 in Hà Nội; 17:00 UTC is midnight of the 7th.
        assert_eq!(consent.state(datetime!(2026-12-06 16:59 UTC)), ConsentState::Pending);
        assert_eq!(consent.state(datetime!(2026-12-06 17:00 UTC)), ConsentState::Live);
        assert_eq!(consent.state(datetime!(2026-12-31 16:59 UTC)), ConsentState::Live);
        assert_eq!(consent.state(datetime!(2026-12-31 17:00 UTC)), ConsentState::Expired);
    }

    #[test]
    fn a_withdrawn_consent_stays_withdrawn_whatever_its_period() {
        let mut consent = standing(TODAY, date!(2026 - 12 - 31), datetime!(2026-12-06 03:00 UTC));
        consent.withdrawn_at = Some(datetime!(2026-12-06 04:00 UTC));
        assert_eq!(consent.state(datetime!(2026-12-06 04:00 UTC)), ConsentState::Withdrawn);
        assert_eq!(consent.state(datetime!(2027-06-01 00:00 UTC)), ConsentState::Withdrawn);
    }

    #[test]
    fn no_consent_is_missing_consent() {
        assert_eq!(
            consent_in_force(&[], datetime!(2026-12-06 03:00 UTC)),
            Err(ConsentRefusal::Missing)
        );
    }

    #[test]
    fn any_live_consent_lets_the_client_read_the_latest_granted_one_counts() {
        let now = datetime!(2026-12-06 05:00 UTC);
        let older = standing(TODAY, date!(2026 - 12 - 31), datetime!(2026-12-01 03:00 UTC));
        let newer = standing(TODAY, date!(2027 - 01 - 31), datetime!(2026-12-02 03:00 UTC));
        let mut withdrawn = standing(TODAY, date!(2027 - 01 - 31), datetime!(2026-12-03 03:00 UTC));
        withdrawn.withdrawn_at = Some(datetime!(2026-12-04 03:00 UTC));
        assert_eq!(consent_in_force(&[older, newer, withdrawn], now), Ok(1));
    }

    #[test]
    fn without_a_live_consent_the_latest_decision_is_the_reason() {
        let now = datetime!(2026-12-06 05:00 UTC);
        let expired =
            standing(date!(2026 - 11 - 01), date!(2026 - 11 - 30), datetime!(2026-11-01 03:00 UTC));
        let mut withdrawn = standing(TODAY, date!(2026 - 12 - 31), datetime!(2026-12-05 03:00 UTC));
        withdrawn.withdrawn_at = Some(datetime!(2026-12-05 04:00 UTC));
        let pending =
            standing(date!(2027 - 01 - 01), date!(2027 - 01 - 31), datetime!(2026-12-06 01:00 UTC));
        assert_eq!(consent_in_force(&[expired], now), Err(ConsentRefusal::Expired));
        assert_eq!(consent_in_force(&[expired, withdrawn], now), Err(ConsentRefusal::Withdrawn));
        assert_eq!(consent_in_force(&[withdrawn, expired], now), Err(ConsentRefusal::Withdrawn));
        assert_eq!(
            consent_in_force(&[expired, withdrawn, pending], now),
            Err(ConsentRefusal::Missing)
        );
    }
}
