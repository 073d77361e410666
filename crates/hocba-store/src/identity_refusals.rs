//! How many posted people may match no registered official, per institution and day.
//!
//! Posting answers one `identity-mismatch` whichever of the national ID number, name and date of
//! birth differs, so a refusal tells an institution only that its guess was wrong. Guesses are
//! still answered, one per row, and an all-or-nothing batch answers them without writing
//! anything: an institution that knows someone's number (which gives the birth year) and name
//! could try the year's days for their birth date, 366 guesses at most. After its day's
//! refusals, an institution has no person compared until the next day in Vietnam, so a right
//! guess is not told from a wrong one. That slows guessing to days per person and makes it
//! show (a metric and a warning); it cannot stop a patient insider, whom the refusals name.
//!
//! Counted in this process, as the rate limits are: several processes each allow the budget.
//! A school fixing a class of typos spends a few dozen.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use hocba_domain::consent::VIETNAM;
use hocba_domain::{InstitutionId, vietnam_day};
use time::{Date, OffsetDateTime, Time};

use crate::StoreError;

/// Refusals an institution may have in a day, by default: a few classes' worth of typos, and
/// under a third of one year's days tried for a birth date.
pub const DEFAULT_PER_DAY: u32 = 100;

/// The refusals of each institution on its latest day of them.
#[derive(Debug)]
pub struct IdentityRefusals {
    per_day: u32,
    spent: Mutex<HashMap<InstitutionId, (Date, u32)>>,
}

impl Default for IdentityRefusals {
    fn default() -> Self {
        IdentityRefusals::per_day(DEFAULT_PER_DAY)
    }
}

impl IdentityRefusals {
    /// A budget of `per_day` refusals per institution and day in Vietnam.
    pub fn per_day(per_day: u32) -> Self {
        IdentityRefusals { per_day, spent: Mutex::default() }
    }

    /// Counts a refusal of `institution` on the day of `now` before its person is compared,
    /// or refuses, until the next day, to compare one once it has spent the day's. Counted in
    /// advance, so that comparisons made at once cannot all slip under the limit; the person
    /// matching gives it back ([`IdentityRefusals::give_back`]).
    pub(crate) fn take(
        &self,
        institution: InstitutionId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let today = vietnam_day(now);
        // The lock is never held across a panic; were it poisoned, the counts are still sound.
        let mut spent = self.spent.lock().unwrap_or_else(PoisonError::into_inner);
        let (day, count) = spent.entry(institution).or_insert((today, 0));
        if *day != today {
            (*day, *count) = (today, 0);
        }
        if *count >= self.per_day {
            return Err(StoreError::IdentityRefusalsSpent {
                per_day: self.per_day,
                retry_after_seconds: seconds_to_tomorrow(now),
            });
        }
        *count += 1;
        Ok(())
    }

    /// Gives back the refusal taken at `now` for a person who matched.
    pub(crate) fn give_back(&self, institution: InstitutionId, now: OffsetDateTime) {
        let mut spent = self.spent.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((day, count)) = spent.get_mut(&institution)
            && *day == vietnam_day(now)
        {
            *count = count.saturating_sub(1);
        }
    }
}

/// Whole seconds from `now` to the next midnight in Vietnam, at least one.
fn seconds_to_tomorrow(now: OffsetDateTime) -> u64 {
    let here = now.to_offset(VIETNAM);
    let tomorrow =
        here.date().next_day().map(|day| day.with_time(Time::MIDNIGHT).assume_offset(VIETNAM));
    let seconds = tomorrow.map_or(1, |midnight| (midnight - here).whole_seconds());
    u64::try_from(seconds).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn an_institution_is_refused_after_its_day_s_refusals_until_the_next_day_in_vietnam() {
        let refusals = IdentityRefusals::per_day(2);
        let school = InstitutionId::from_uuid(uuid::Uuid::from_u128(1));
        let other = InstitutionId::from_uuid(uuid::Uuid::from_u128(2));
        // 23:00 in Vietnam on 7 December.
        let evening = datetime!(2026-12-07 16:00 UTC);
        for _ in 0..5 {
            refusals.take(school, evening).unwrap();
            refusals.give_back(school, evening); // a person who matched costs nothing
        }
        refusals.take(school, evening).unwrap();
        refusals.take(school, evening).unwrap();
        match refusals.take(school, evening) {
            Err(StoreError::IdentityRefusalsSpent { per_day: 2, retry_after_seconds: 3600 }) => {}
            other => panic!("expected the refusals spent until midnight, got {other:?}"),
        }
        assert!(refusals.take(other, evening).is_ok(), "each institution has its own");
        // 00:30 on 8 December in Vietnam, still the 7th in UTC: a new day.
        let after_midnight = datetime!(2026-12-07 17:30 UTC);
        refusals.take(school, after_midnight).unwrap();
        refusals.take(school, after_midnight).unwrap();
        assert!(refusals.take(school, after_midnight).is_err());
    }
}
