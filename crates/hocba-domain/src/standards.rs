//! The training standards (tiêu chuẩn): which programmes an official must have completed for the
//! posts they hold, as rules read from a versioned data file, never written in code.
//!
//! The rules ship as `data/rules-2026-01.csv` (described at its top, explained in
//! docs/standards.md). Only the *kinds* of rule are code ([`RuleKind`]); their figures, the posts
//! they apply to, the categories that satisfy them and their legal basis are data, each with the
//! dates it is in force, so that a change of law is a new line and an evaluation as of an earlier
//! date still uses the rules then in force.

use serde::Serialize;
use time::Date;
use time::macros::format_description;

use crate::dates::Validity;
use crate::official::{AdministrativeLevel, Employment, LeadershipGroup, LeadershipLevel};
use crate::stored::stored_forms;

/// The rules as shipped: the file `data/rules-2026-01.csv`.
pub const RULES_FILE: &str = include_str!("../data/rules-2026-01.csv");

/// What a rule asks of an official.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// At least a number of days of training in every period (Regulation 145's refresher).
    Refresher,
    /// One completion, once: the standard of a rank or post.
    Standard,
    /// One completion by the day of appointment to a post, plus a grace.
    Appointment,
    /// Completions of some categories never count toward rules of another kind.
    Exclusion,
}

stored_forms!(RuleKind {
    Refresher => "refresher",
    Standard => "standard",
    Appointment => "appointment",
    Exclusion => "exclusion",
});

/// One condition on the employment period in effect: the rule applies when all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The Regulation 145 leadership group is one of these.
    Group(Vec<LeadershipGroup>),
    /// The rank (or professional title) code is one of these.
    Rank(Vec<String>),
    /// The leadership level is one of these.
    Leadership(Vec<LeadershipLevel>),
    /// The agency's administrative level is one of these.
    Level(Vec<AdministrativeLevel>),
    /// (Exclusions only) the kind of rule the exclusion applies to.
    Kind(RuleKind),
}

impl Condition {
    fn holds(&self, employment: &Employment) -> bool {
        match self {
            Condition::Group(groups) => {
                employment.leadership_group.is_some_and(|group| groups.contains(&group))
            }
            Condition::Rank(ranks) => employment
                .rank
                .as_ref()
                .is_some_and(|rank| ranks.iter().any(|wanted| wanted == rank.as_str())),
            Condition::Leadership(levels) => {
                employment.leadership_level.is_some_and(|level| levels.contains(&level))
            }
            Condition::Level(levels) => levels.contains(&employment.level),
            Condition::Kind(_) => false,
        }
    }
}

/// When a rule must be met again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Once and for all.
    Once,
    /// Periods of `years` years counted from `anchor` (a term, or a year).
    Every {
        /// Length in years.
        years: u8,
        /// First day of one of the periods.
        anchor: Date,
    },
    /// By the day of appointment plus `grace_days`.
    Appointment {
        /// Days allowed after the appointment (0: before it).
        grace_days: u16,
    },
    /// An exclusion has no period.
    None,
}

/// A category pattern: a code, or a family prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryPattern(String);

impl CategoryPattern {
    /// A pattern as written in a rules file.
    pub fn new(raw: &str) -> Self {
        CategoryPattern(raw.to_owned())
    }

    /// Whether `category` (a category code) matches.
    pub fn matches(&self, category: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => category.starts_with(prefix),
            None => category == self.0,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A requirement rule, with the law it comes from and the dates it is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, such as `R145-N2`; a changed rule gets a new id.
    pub id: String,
    /// What it asks.
    pub kind: RuleKind,
    /// The conditions on the employment period, as written (`group:N2`).
    pub applies_to: String,
    /// The same, parsed.
    pub conditions: Vec<Condition>,
    /// Categories whose completions satisfy it (for an exclusion: the excluded ones).
    pub any_of: Vec<CategoryPattern>,
    /// Days needed per period (refresher rules only; 0 = taking part suffices).
    pub minimum_days: Option<u32>,
    /// When it must be met, as written (`5y@2025-01-01`, `once`, `before`, `within:365`).
    pub period_text: String,
    /// The same, parsed.
    pub period: Period,
    /// When it is in force.
    pub validity: Validity,
    /// The instrument and article it comes from.
    pub legal_basis: String,
}

impl Rule {
    /// The categories of `any_of`, space-separated, as written.
    pub fn any_of_text(&self) -> String {
        let codes: Vec<&str> = self.any_of.iter().map(CategoryPattern::as_str).collect();
        codes.join(" ")
    }

    /// Whether the rule is in force on `day` and applies to `employment`.
    pub fn applies(&self, employment: &Employment, day: Date) -> bool {
        self.kind != RuleKind::Exclusion
            && self.validity.covers(day)
            && self.conditions.iter().all(|condition| condition.holds(employment))
    }

    /// Whether a completion of `category` satisfies the rule (exclusions aside).
    pub fn accepts(&self, category: &str) -> bool {
        self.any_of.iter().any(|pattern| pattern.matches(category))
    }

    /// Whether this exclusion, in force on `day`, keeps `category` from counting toward `rule`.
    pub fn excludes(&self, rule: &Rule, category: &str, day: Date) -> bool {
        self.kind == RuleKind::Exclusion
            && self.validity.covers(day)
            && self.conditions.contains(&Condition::Kind(rule.kind))
            && self.accepts(category)
    }
}

/// A line of a rules file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules file, line {line}: {reason}")]
pub struct RulesError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

const COLUMNS: &str =
    "id,kind,applies_to,any_of,minimum_days,period,valid_from,valid_to,legal_basis";

/// Reads a rules file: `id,kind,applies_to,any_of,minimum_days,period,valid_from,valid_to,
/// legal_basis` lines, `#` comments. Ids are unique.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, RulesError> {
    let mut rules: Vec<Rule> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let rule = parse_line(line).map_err(|reason| RulesError { line: index + 1, reason })?;
        if rules.iter().any(|known| known.id == rule.id) {
            return Err(RulesError {
                line: index + 1,
                reason: format!("{} is listed twice", rule.id),
            });
        }
        rules.push(rule);
    }
    Ok(rules)
}

fn parse_line(line: &str) -> Result<Rule, String> {
    let fields: Vec<&str> = line.splitn(9, ',').map(str::trim).collect();
    parse_rule(&fields)
}

/// Reads one rule from its nine fields, in the order of a rules file's columns (the store keeps
/// them in columns of the same names).
pub fn parse_rule(fields: &[&str]) -> Result<Rule, String> {
    let [id, kind, applies_to, any_of, minimum, period, from, to, basis] = fields else {
        return Err(format!("expected {COLUMNS}"));
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("`{id}` is not a rule id (letters, digits and -)"));
    }
    let kind = RuleKind::from_stored(kind).ok_or_else(|| format!("`{kind}` is not a rule kind"))?;
    let conditions: Vec<Condition> =
        applies_to.split_whitespace().map(parse_condition).collect::<Result<_, _>>()?;
    let any_of: Vec<CategoryPattern> =
        any_of.split_whitespace().map(|code| CategoryPattern(code.to_owned())).collect();
    if any_of.is_empty() {
        return Err("any_of names no category".to_owned());
    }
    let minimum_days = match (kind, *minimum) {
        (RuleKind::Refresher, raw) => {
            Some(raw.parse::<u32>().map_err(|_| format!("`{raw}` is not a number of days"))?)
        }
        (_, "") => None,
        (_, _) => return Err("only refresher rules have minimum_days".to_owned()),
    };
    let names_kind = |condition: &Condition| matches!(condition, Condition::Kind(_));
    let exclusion = kind == RuleKind::Exclusion;
    if exclusion != conditions.iter().any(names_kind)
        || (exclusion && !conditions.iter().all(names_kind))
    {
        return Err("an exclusion, and only an exclusion, applies to `kind:` alone".to_owned());
    }
    let period_parsed = parse_period(kind, period)?;
    let valid_from = parse_date(from)?;
    let valid_to = if to.is_empty() { None } else { Some(parse_date(to)?) };
    let validity = Validity::new(valid_from, valid_to)
        .map_err(|_| "valid_to is before valid_from".to_owned())?;
    if basis.is_empty() {
        return Err("legal_basis is empty".to_owned());
    }
    Ok(Rule {
        id: (*id).to_owned(),
        kind,
        applies_to: (*applies_to).to_owned(),
        conditions,
        any_of,
        minimum_days,
        period_text: (*period).to_owned(),
        period: period_parsed,
        validity,
        legal_basis: (*basis).to_owned(),
    })
}

fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("`{raw}` is not a date (YYYY-MM-DD)"))
}

fn parse_condition(raw: &str) -> Result<Condition, String> {
    let (key, values) = raw.split_once(':').ok_or_else(|| format!("`{raw}` is not key:value"))?;
    fn each<T>(values: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
        values.split('|').map(|value| parse(value).ok_or_else(|| format!("`{value}`"))).collect()
    }
    let unknown = |value: String| format!("{value} is not a known {key}");
    match key {
        "group" => each(values, LeadershipGroup::from_stored).map(Condition::Group),
        "leadership" => each(values, LeadershipLevel::from_stored).map(Condition::Leadership),
        "level" => each(values, AdministrativeLevel::from_stored).map(Condition::Level),
        "rank" => Ok(Condition::Rank(values.split('|').map(str::to_owned).collect())),
        "kind" => {
            RuleKind::from_stored(values).map(Condition::Kind).ok_or_else(|| format!("`{values}`"))
        }
        _ => return Err(format!("`{key}` is not a condition (group, rank, leadership, level)")),
    }
    .map_err(unknown)
}

fn parse_period(kind: RuleKind, raw: &str) -> Result<Period, String> {
    let refuse = || format!("`{raw}` is not a period for a {} rule", kind.as_str());
    match kind {
        RuleKind::Refresher => {
            let (years, anchor) = raw.split_once("y@").ok_or_else(refuse)?;
            let years = years.parse::<u8>().ok().filter(|years| *years > 0).ok_or_else(refuse)?;
            Ok(Period::Every { years, anchor: parse_date(anchor)? })
        }
        RuleKind::Standard if raw == "once" => Ok(Period::Once),
        RuleKind::Appointment if raw == "before" => Ok(Period::Appointment { grace_days: 0 }),
        RuleKind::Appointment => {
            let days = raw.strip_prefix("within:").and_then(|days| days.parse().ok());
            days.map(|grace_days| Period::Appointment { grace_days }).ok_or_else(refuse)
        }
        RuleKind::Exclusion if raw.is_empty() => Ok(Period::None),
        _ => Err(refuse()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let rules = parse_rules(RULES_FILE).unwrap();
        let r145 = rules.iter().find(|rule| rule.id == "R145-N3").unwrap();
        assert_eq!(r145.minimum_days, Some(7));
        assert!(rules.iter().all(|rule| !rule.legal_basis.is_empty()));
    }

    #[test]
    fn refuses_a_repeated_id_naming_the_line() {
        let line = "A,standard,rank:01.003,QLNN-CV,,once,2021-08-01,,Basis\n";
        let error = parse_rules(&format!("{line}{line}")).unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn refuses_an_unknown_group_or_a_period_of_the_wrong_kind() {
        let bad_group = "A,refresher,group:N9,CNKT-145-N2,5,5y@2025-01-01,2024-05-10,,B";
        assert!(parse_rules(bad_group).unwrap_err().reason.contains("N9"));
        let bad_period = "A,standard,rank:01.003,QLNN-CV,,before,2021-08-01,,B";
        assert!(parse_rules(bad_period).is_err());
    }

    #[test]
    fn only_an_exclusion_names_a_kind_of_rule() {
        let refresher = "A,refresher,kind:standard,CNKT-145-N2,5,5y@2025-01-01,2024-05-10,,B";
        assert!(parse_rules(refresher).unwrap_err().reason.contains("exclusion"));
        let exclusion = "X,exclusion,group:N2,QLNN-*,,,2024-05-10,,B";
        assert!(parse_rules(exclusion).unwrap_err().reason.contains("exclusion"));
    }

    #[test]
    fn a_family_pattern_matches_its_members_only() {
        let pattern = CategoryPattern("QLNN-*".to_owned());
        assert!(pattern.matches("QLNN-CVC"));
        assert!(!pattern.matches("CNKT-145-N2"));
    }
}
