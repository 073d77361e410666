//! Verdicts kept by what was verified, for an online verifier asked the same question again and
//! again (an HR system checking the same certificate, a QR code scanned twice).
//!
//! A verdict is a function of the bytes checked, the keys and statuses the verifier was given,
//! and the time. The key of a kept verdict covers the bytes (or a name that stands for them, such
//! as a certificate number the registry holds); the caller's *stamp* covers the keys and
//! statuses (for the registry, its verification epoch, which the database moves on with every
//! revocation and key change); the verdict's own time window covers the clock. A verdict is
//! given back only while all three still match, so a kept answer is never one the verifier
//! would not give now. One whose status could not be checked (a list the source does not hold
//! yet) is not kept: that answer can change without the stamp moving.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::memo::{self, Digest32, Memo};
use crate::verify::Report;

/// What a kept verdict is found by: the digest of what was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerdictKey(Digest32);

impl VerdictKey {
    /// The key of `parts` (say, the endpoint asked and the request's bytes), each told apart
    /// from the next, so that no two lists of parts share a key.
    pub fn of(parts: &[&[u8]]) -> Self {
        VerdictKey(memo::digest(parts))
    }
}

/// What a stamp is compared with: any number that changes whenever the keys or statuses a
/// verifier is given change.
pub type Stamp = i64;

#[derive(Debug)]
struct Kept<V> {
    stamp: Stamp,
    made_at: OffsetDateTime,
    changes_at: Option<OffsetDateTime>,
    answer: Arc<V>,
}

impl<V> Clone for Kept<V> {
    fn clone(&self) -> Self {
        Kept { answer: Arc::clone(&self.answer), ..*self }
    }
}

/// Answers drawn from verdicts (a whole response, or what the caller needs of a [`Report`]),
/// kept by [`VerdictKey`], at most `capacity` of them (past it, they are all forgotten: an
/// answer costs one more verification, never a wrong one).
pub struct Verdicts<V> {
    memo: Memo<Kept<V>>,
}

impl<V> Verdicts<V> {
    /// No verdicts yet, room for `capacity`.
    pub const fn new(capacity: usize) -> Self {
        Verdicts { memo: Memo::new(capacity) }
    }

    /// The answer kept for `key` if it was worked out under `stamp` and the time `now` is one at
    /// which the verifier would answer the same.
    pub fn get(&self, key: &VerdictKey, stamp: Stamp, now: OffsetDateTime) -> Option<Arc<V>> {
        let kept = self.memo.get(&key.0)?;
        let in_time = kept.made_at <= now && kept.changes_at.is_none_or(|at| now < at);
        (kept.stamp == stamp && in_time).then_some(kept.answer)
    }

    /// Keeps `answer`, drawn from `report`, which the verifier made at `now` with keys and
    /// statuses read under `stamp` (read before them), unless the report says it cannot be
    /// reused.
    pub fn keep(
        &self,
        key: VerdictKey,
        stamp: Stamp,
        now: OffsetDateTime,
        report: &Report,
        answer: Arc<V>,
    ) {
        if report.status_unknown {
            return;
        }
        let kept = Kept { stamp, made_at: now, changes_at: report.changes_at, answer };
        self.memo.keep(key.0, kept);
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-06 02:00 UTC);

    fn kept(report: &Report) -> (Verdicts<&'static str>, VerdictKey) {
        let verdicts = Verdicts::new(8);
        let key = VerdictKey::of(&[b"number", b"HB-1"]);
        verdicts.keep(key, 7, NOW, report, Arc::new("valid"));
        (verdicts, key)
    }

    #[test]
    fn a_verdict_is_given_back_only_under_the_stamp_it_was_made_with() {
        let (verdicts, key) = kept(&Report::default());
        assert_eq!(verdicts.get(&key, 7, NOW).as_deref(), Some(&"valid"));
        assert_eq!(verdicts.get(&key, 8, NOW), None, "a revocation or key change since");
        assert_eq!(verdicts.get(&VerdictKey::of(&[b"number", b"HB-2"]), 7, NOW), None);
        assert_eq!(verdicts.get(&VerdictKey::of(&[b"numberHB-1"]), 7, NOW), None);
    }

    #[test]
    fn a_verdict_is_given_back_only_while_the_time_changes_nothing() {
        let until = NOW + Duration::days(30);
        let (verdicts, key) = kept(&Report { changes_at: Some(until), ..Report::default() });
        assert!(verdicts.get(&key, 7, until - Duration::seconds(1)).is_some());
        assert_eq!(verdicts.get(&key, 7, until), None, "expired from then on");
        assert_eq!(verdicts.get(&key, 7, NOW - Duration::seconds(1)), None, "clock set back");
    }

    #[test]
    fn a_verdict_whose_status_was_unknown_is_not_kept() {
        let (verdicts, key) = kept(&Report { status_unknown: true, ..Report::default() });
        assert_eq!(verdicts.get(&key, 7, NOW), None);
    }
}
