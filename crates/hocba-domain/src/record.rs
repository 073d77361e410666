//! An official's lifelong training record: the training days it adds up to.
//!
//! Only completions that stand count: a completion whose certificates were all revoked, or that
//! a correction replaced, is shown in the record but adds nothing (the correction counts in its
//! place).

use std::collections::BTreeMap;

use time::Date;

use crate::{CategoryCode, CompletionStatus};

/// One completion of the record, as far as its training days go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainedDays<'a> {
    /// The category of the programme.
    pub category: &'a CategoryCode,
    /// Last day of study: the days count in that day's year.
    pub ended_on: Date,
    /// Training days.
    pub days: u32,
    /// Where the completion stands.
    pub status: CompletionStatus,
}

/// Training days of a record: in all, per calendar year and per category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingDays {
    /// Every live completion's days.
    pub total: u32,
    /// Per calendar year of the last day of study, earliest first.
    pub by_year: BTreeMap<i32, u32>,
    /// Per programme category, in code order.
    pub by_category: BTreeMap<CategoryCode, u32>,
}

/// The training days of `completions`, counting live ones only. A completion counts whole in the
/// year it ended, even when it started the year before.
pub fn training_days<'a>(completions: impl IntoIterator<Item = TrainedDays<'a>>) -> TrainingDays {
    let mut days = TrainingDays::default();
    for completion in completions {
        if completion.status != CompletionStatus::Live {
            continue;
        }
        days.total = days.total.saturating_add(completion.days);
        let year = days.by_year.entry(completion.ended_on.year()).or_default();
        *year = year.saturating_add(completion.days);
        let category = days.by_category.entry(completion.category.clone()).or_default();
        *category = category.saturating_add(completion.days);
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn code(raw: &str) -> CategoryCode {
        CategoryCode::parse(raw).unwrap()
    }

    #[test]
    fn days_add_up_per_year_and_per_category() {
        let (state, defence) = (code("QLNN-CV"), code("QPAN-3"));
        let entries = [
            (&state, date!(2024 - 12 - 20), 10),
            (&state, date!(2025 - 03 - 01), 5),
            (&defence, date!(2025 - 06 - 30), 4),
        ]
        .map(|(category, ended_on, days)| TrainedDays {
            category,
            ended_on,
            days,
            status: CompletionStatus::Live,
        });
        let days = training_days(entries);
        assert_eq!(days.total, 19);
        assert_eq!(days.by_year, BTreeMap::from([(2024, 10), (2025, 9)]));
        assert_eq!(days.by_category, BTreeMap::from([(defence, 4), (state, 15)]));
    }

    #[test]
    fn revoked_and_superseded_completions_count_for_nothing() {
        let state = code("QLNN-CV");
        let entry = |status, days| TrainedDays {
            category: &state,
            ended_on: date!(2025 - 01 - 10),
            days,
            status,
        };
        let days = training_days([
            entry(CompletionStatus::Revoked, 7),
            entry(CompletionStatus::Superseded, 3),
            entry(CompletionStatus::Live, 2),
        ]);
        assert_eq!(days.total, 2);
        assert_eq!(days.by_year, BTreeMap::from([(2025, 2)]));
        assert_eq!(days.by_category, BTreeMap::from([(state, 2)]));
    }

    #[test]
    fn a_completion_across_new_year_counts_in_the_year_it_ended() {
        let state = code("QLNN-CV");
        let days = training_days([TrainedDays {
            category: &state,
            ended_on: date!(2026 - 01 - 05),
            days: 12,
            status: CompletionStatus::Live,
        }]);
        assert_eq!(days.by_year, BTreeMap::from([(2026, 12)]));
    }

    #[test]
    fn an_empty_record_has_no_days() {
        assert_eq!(training_days([]), TrainingDays::default());
    }
}
