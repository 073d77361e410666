//! How the pages write what a certificate states ([`hocba_credentials::stated::Stated`], read
//! from its credential once for the pages and the printed certificate): days and moments as a
//! Vietnamese reader writes them.

use time::macros::offset;
use time::{Date, OffsetDateTime};

/// A day written for a Vietnamese reader (the templates call it on the days a certificate
/// states).
pub(crate) trait Vietnamese {
    /// `dd/mm/yyyy`.
    fn vietnamese(&self) -> String;
}

impl Vietnamese for Date {
    fn vietnamese(&self) -> String {
        vietnamese_day(*self)
    }
}

/// `dd/mm/yyyy`.
pub(crate) fn vietnamese_day(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), u8::from(date.month()), date.year())
}

/// A moment as `dd/mm/yyyy hh:mm` in Vietnam's time.
pub(crate) fn vietnamese_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(offset!(+7));
    format!("{} {:02}:{:02}", vietnamese_day(at.date()), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn days_and_moments_are_written_as_in_vietnam() {
        assert_eq!(date!(2025 - 04 - 05).vietnamese(), "05/04/2025");
        assert_eq!(vietnamese_time(datetime!(2025-04-24 17:30 UTC)), "25/04/2025 00:30");
    }
}
