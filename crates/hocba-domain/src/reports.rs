//! The coverage reports of DOMAIN.md §10: who meets the training standards, counted over a
//! population of officials, with small cells suppressed so that no breakdown singles anyone out.
//!
//! # Where the rule logic lives
//!
//! A report counts, per requirement, how many officials stand `met`, `due` or `missing`: the
//! statuses [`crate::compliance::evaluate`] gives each of them. The counting is done by the
//! database (the store turns each rule into SQL, see `hocba_store::reports`), never by loading
//! officials; this module decides only *which* rules a report counts ([`ReportId::rules`]), how
//! its population is broken down ([`Breakdown`]) and what may be shown ([`suppress`]).
//!
//! The reports that are not about a rule of the standards (RPT-LAW: a legal update in the year;
//! RPT-SKILL: a skills course; RPT-PRIORITY: any training) are *indicators* written as rules of
//! the same grammar ([`INDICATORS`]), so that the same evaluation and the same SQL count them and
//! a test can compare the two. Indicators are counted without the standards' exclusions: they
//! ask whether someone took a course, not whether it satisfies Regulation 145.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::compliance::RequirementStatus;
use crate::standards::{Condition, Period, Rule, RuleKind, parse_rules};

/// The indicators of §10 that are not rules of the standards, one a line, in the grammar of the
/// rules file. Their period is the calendar year; `*` matches every category.
pub const INDICATORS: &str = "\
IND-PL,refresher,,PL,0,1y@2000-01-01,2000-01-01,,DOMAIN §10 RPT-LAW: at least one legal update (PL) in the calendar year [A]
IND-SKILL,refresher,,VTVL-* TBN-* QLNN-*,0,1y@2000-01-01,2000-01-01,,DOMAIN §10 RPT-SKILL: at least one job-position, leadership or state-management course in the calendar year [A]
IND-ANY,refresher,,*,0,1y@2000-01-01,2000-01-01,,DOMAIN §10 RPT-PRIORITY: at least one course of any kind in the calendar year [A]
";

/// Cells counting fewer people than this (and more than none) are suppressed.
pub const SUPPRESSION_THRESHOLD: u64 = 5;

/// The rule by which cells are suppressed, as the reports state it.
pub const SUPPRESSION_RULE: &str = "A count of 1 to 4 officials is suppressed (primary). Then, \
     as long as a row (officials = met + due + missing) or a column (the total = the sum of the \
     breakdown's groups) has exactly one suppressed cell, its smallest other cell is suppressed \
     too (secondary), so no suppressed cell can be found by subtraction. A row's days and share \
     are suppressed with its officials. Zero is shown.";

/// A report of DOMAIN.md §10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportId {
    /// Share of officials meeting each requirement of the standards that applies to them.
    #[serde(rename = "RPT-STD")]
    Standards,
    /// Regulation 145's refresher, per leadership group and period: days done against required.
    #[serde(rename = "RPT-145")]
    Regulation145,
    /// Share of officials with at least one legal update in the year.
    #[serde(rename = "RPT-LAW")]
    Law,
    /// Share of officials with at least one skills course in the year.
    #[serde(rename = "RPT-SKILL")]
    Skill,
    /// Participation in training of women, ethnic minorities and young officials.
    #[serde(rename = "RPT-PRIORITY")]
    Priority,
}

impl ReportId {
    /// Every report served.
    pub const ALL: [ReportId; 5] = [
        ReportId::Standards,
        ReportId::Regulation145,
        ReportId::Law,
        ReportId::Skill,
        ReportId::Priority,
    ];

    /// The id as in DOMAIN.md §10 and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportId::Standards => "RPT-STD",
            ReportId::Regulation145 => "RPT-145",
            ReportId::Law => "RPT-LAW",
            ReportId::Skill => "RPT-SKILL",
            ReportId::Priority => "RPT-PRIORITY",
        }
    }

    /// The report named `id`, if served.
    pub fn parse(id: &str) -> Option<ReportId> {
        ReportId::ALL.into_iter().find(|report| report.as_str() == id)
    }

    /// Vietnamese and English titles.
    pub fn titles(self) -> (&'static str, &'static str) {
        match self {
            ReportId::Standards => (
                "Tỷ lệ cán bộ, công chức, viên chức đạt tiêu chuẩn bồi dưỡng",
                "Officials meeting the training standards of their posts",
            ),
            ReportId::Regulation145 => (
                "Bồi dưỡng, cập nhật kiến thức theo Quy định 145-QĐ/TW",
                "Regulation 145 refresher: days done against days required, by group and period",
            ),
            ReportId::Law => (
                "Cập nhật kiến thức pháp luật trong năm",
                "Officials with a legal update this year",
            ),
            ReportId::Skill => (
                "Bồi dưỡng kỹ năng, vị trí việc làm trong năm",
                "Officials with a skills, leadership or state-management course this year",
            ),
            ReportId::Priority => (
                "Tham gia bồi dưỡng của nữ, người dân tộc thiểu số, cán bộ trẻ",
                "Training of women, ethnic minorities and young officials this year",
            ),
        }
    }

    /// The rules the report counts as of `as_of`, in the order of its rows: `stored` are the
    /// standards' rules as loaded, `indicators` those of [`INDICATORS`].
    pub fn rules(self, stored: &[Rule], indicators: &[Rule], as_of: Date) -> Vec<Rule> {
        let in_force =
            |rule: &&Rule| rule.kind != RuleKind::Exclusion && rule.validity.covers(as_of);
        let indicator =
            |id: &str| indicators.iter().filter(|rule| rule.id == id).cloned().collect();
        match self {
            ReportId::Standards => stored.iter().filter(in_force).cloned().collect(),
            ReportId::Regulation145 => stored
                .iter()
                .filter(in_force)
                .filter(|rule| matches!(rule.period, Period::Every { .. }))
                .filter(|rule| rule.conditions.iter().any(|c| matches!(c, Condition::Group(_))))
                .cloned()
                .collect(),
            ReportId::Law => indicator("IND-PL"),
            ReportId::Skill => indicator("IND-SKILL"),
            ReportId::Priority => indicator("IND-ANY"),
        }
    }

    /// Whether the standards' exclusions apply to the report's counting (indicators: no).
    pub fn applies_exclusions(self) -> bool {
        matches!(self, ReportId::Standards | ReportId::Regulation145)
    }

    /// Whether the report has a row for officials meeting every requirement at once.
    pub fn has_all_row(self) -> bool {
        self == ReportId::Standards
    }

    /// The breakdowns shown when none is asked for: RPT-PRIORITY is about its three groups.
    pub fn default_breakdowns(self) -> Vec<Breakdown> {
        match self {
            ReportId::Priority => vec![Breakdown::Gender, Breakdown::Ethnicity, Breakdown::AgeBand],
            _ => Vec::new(),
        }
    }
}

/// The indicators, parsed.
pub fn indicators() -> Vec<Rule> {
    // The text is a constant that the tests parse: it cannot fail at run time.
    parse_rules(INDICATORS).unwrap_or_default()
}

/// What a report's population can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    /// Sex: `female`, `male`.
    Gender,
    /// `kinh` (code 1 of the list of ethnic groups), `minority` (codes 2–54), `unknown` (not
    /// recorded). Individual groups are not shown: most would be cells too small to show.
    Ethnicity,
    /// Age on the report's date: `under_35` (the young officials of RPT-PRIORITY [A]), `35_44`,
    /// `45_54`, `55_over`.
    AgeBand,
}

impl Breakdown {
    /// The form used in URLs and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Breakdown::Gender => "gender",
            Breakdown::Ethnicity => "ethnicity",
            Breakdown::AgeBand => "age_band",
        }
    }

    /// Every group, in the order shown.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            Breakdown::Gender => &["female", "male"],
            Breakdown::Ethnicity => &["kinh", "minority", "unknown"],
            Breakdown::AgeBand => &["under_35", "35_44", "45_54", "55_over"],
        }
    }
}

/// The lower ages of the age bands after the first, with their groups: someone is in the band
/// of the greatest age they have reached.
pub const AGE_BANDS: [(i32, &str); 3] = [(35, "35_44"), (45, "45_54"), (55, "55_over")];

/// The last birthday on which someone is `age` years old on `day` (the store compares dates of
/// birth with it: born on or before it, they have reached that age).
pub fn born_by(day: Date, age: i32) -> Date {
    let year = day.year() - age;
    Date::from_calendar_date(year, day.month(), day.day())
        // Born on 29 February: they come of age on 1 March of a common year.
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(day)
}

/// The age-band group of someone born on `born` on `day`.
pub fn age_band(born: Date, day: Date) -> &'static str {
    AGE_BANDS.iter().rev().find(|(age, _)| born <= born_by(day, *age)).map_or("under_35", |b| b.1)
}

/// The ethnicity group of an ethnic-group code (1 is Kinh).
pub fn ethnicity_group(code: Option<u8>) -> &'static str {
    match code {
        None => "unknown",
        Some(1) => "kinh",
        Some(_) => "minority",
    }
}

/// How many officials of a population stand `met`, `due` or `missing` against a requirement,
/// and the days of training counted for them, before suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Officials it applies to.
    pub officials: u64,
    /// Of those, met.
    pub met: u64,
    /// Not yet, with time left.
    pub due: u64,
    /// Not met, no time left.
    pub missing: u64,
    /// Days of training counted toward it, summed over the officials.
    pub days: u64,
}

impl Counts {
    /// Adds one official's status and days.
    pub fn add(&mut self, status: RequirementStatus, officials: u64, days: u64) {
        self.officials += officials;
        self.days += days;
        match status {
            RequirementStatus::Met => self.met += officials,
            RequirementStatus::Due => self.due += officials,
            RequirementStatus::Missing => self.missing += officials,
        }
    }

    fn cells(&self) -> [u64; 4] {
        [self.officials, self.met, self.due, self.missing]
    }
}

/// Which cells of a table of counts are shown: `[officials, met, due, missing]` per row.
pub type Shown = Vec<[bool; 4]>;

/// Suppresses small cells of a table whose first row is the total of the others (a table with
/// one row has no breakdown), by [`SUPPRESSION_RULE`]: `true` where a cell may be shown.
pub fn suppress(rows: &[Counts]) -> Shown {
    let values: Vec<[u64; 4]> = rows.iter().map(Counts::cells).collect();
    let mut hidden: Vec<[bool; 4]> = values
        .iter()
        .map(|row| row.map(|value| value > 0 && value < SUPPRESSION_THRESHOLD))
        .collect();
    // Each equation: the cell holding the sum, then its parts.
    let mut equations: Vec<Vec<(usize, usize)>> =
        (0..values.len()).map(|row| (0..4).map(|column| (row, column)).collect()).collect();
    if values.len() > 1 {
        for column in 0..4 {
            equations.push((0..values.len()).map(|row| (row, column)).collect());
        }
    }
    loop {
        let mut changed = false;
        for equation in &equations {
            let suppressed = equation.iter().filter(|&&(r, c)| hidden[r][c]).count();
            if suppressed != 1 {
                continue;
            }
            // The smallest part still shown, else the sum itself.
            let parts = equation[1..].iter().filter(|&&(r, c)| !hidden[r][c]);
            let pick =
                parts.min_by_key(|&&(r, c)| (values[r][c] == 0, values[r][c])).or(equation.first());
            if let Some(&(r, c)) = pick
                && !hidden[r][c]
            {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    hidden.into_iter().map(|row| row.map(|hide| !hide)).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    #[test]
    fn the_indicators_parse_and_each_report_has_rules() {
        let indicators = indicators();
        assert_eq!(indicators.len(), 3);
        let stored = parse_rules(crate::RULES_FILE).unwrap();
        for report in ReportId::ALL {
            assert!(!report.rules(&stored, &indicators, date!(2026 - 12 - 05)).is_empty());
            assert_eq!(ReportId::parse(report.as_str()), Some(report));
        }
        let r145 = ReportId::Regulation145.rules(&stored, &indicators, date!(2026 - 12 - 05));
        let ids: Vec<&str> = r145.iter().map(|rule| rule.id.as_str()).collect();
        assert_eq!(ids, ["R145-N1", "R145-N2", "R145-N3"]);
    }

    #[test]
    fn age_bands_turn_on_the_birthday() {
        let day = date!(2026 - 12 - 05);
        assert_eq!(age_band(date!(1991 - 12 - 06), day), "under_35");
        assert_eq!(age_band(date!(1991 - 12 - 05), day), "35_44");
        assert_eq!(age_band(date!(1971 - 12 - 05), day), "55_over");
        assert_eq!(born_by(date!(2024 - 02 - 29), 1), date!(2023 - 02 - 28));
    }

    fn counts(met: u64, due: u64, missing: u64) -> Counts {
        Counts { officials: met + due + missing, met, due, missing, days: 0 }
    }

    #[test]
    fn a_single_small_group_takes_a_second_one_with_it() {
        let rows = [counts(13, 0, 10), counts(3, 0, 0), counts(10, 0, 10)];
        let shown = suppress(&rows);
        // The group of 3 is hidden, and with it the other group's officials and met, which
        // would give it away by subtraction from the total.
        assert_eq!(shown[1], [false, false, true, true]);
        assert!(!shown[2][0] && !shown[2][1]);
        assert_eq!(shown[0], [true, true, true, true]);
    }

    fn sums(rows: &[Counts]) -> Vec<Counts> {
        let mut total = Counts::default();
        for row in rows {
            total.officials += row.officials;
            total.met += row.met;
            total.due += row.due;
            total.missing += row.missing;
        }
        std::iter::once(total).chain(rows.iter().copied()).collect()
    }

    proptest! {
        #[test]
        fn no_small_cell_is_shown_nor_found_by_one_subtraction(
            groups in prop::collection::vec((0u64..12, 0u64..12, 0u64..12), 1..5),
        ) {
            let rows = sums(&groups.iter().map(|&(m, d, x)| counts(m, d, x)).collect::<Vec<_>>());
            let shown = suppress(&rows);
            let values: Vec<[u64; 4]> = rows.iter().map(Counts::cells).collect();
            for (row, cells) in values.iter().enumerate() {
                for (column, value) in cells.iter().enumerate() {
                    if *value > 0 && *value < SUPPRESSION_THRESHOLD {
                        prop_assert!(!shown[row][column]);
                    }
                }
                // Row equation: never exactly one hidden cell.
                prop_assert_ne!(shown[row].iter().filter(|s| !**s).count(), 1);
            }
            if rows.len() > 1 {
                for column in 0..4 {
                    let hidden = shown.iter().filter(|row| !row[column]).count();
                    prop_assert_ne!(hidden, 1);
                }
            }
        }
    }
}
