//! Whether an official meets the training standards of their posts as of a date: every rule
//! that applies, met, missing or due, with the completions that satisfy it.
//!
//! Pure and deterministic: the rules, the official's employment periods, their completions and
//! the date are arguments. Only facts known on the date count (periods in effect on it,
//! completions that ended by it), and a revoked or superseded completion never counts.

use serde::Serialize;
use time::{Date, Duration, Month};

use crate::CompletionId;
use crate::certificate::CompletionStatus;
use crate::official::Employment;
use crate::standards::{Period, Rule};

/// A completion as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionFact {
    /// Its id.
    pub id: CompletionId,
    /// The category code of its programme.
    pub category: String,
    /// First day of the training.
    pub started_on: Date,
    /// Last day of the training.
    pub ended_on: Date,
    /// Days of training.
    pub days: u32,
    /// Whether its certificate stands.
    pub status: CompletionStatus,
}

/// Where a requirement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequirementStatus {
    /// Satisfied.
    Met,
    /// Not satisfied, and its deadline has passed (or it has none).
    Missing,
    /// Not satisfied yet, with time left until the deadline.
    Due,
}

/// One applicable rule and how the official stands against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The rule.
    pub rule: Rule,
    /// Where it stands.
    pub status: RequirementStatus,
    /// Last day to satisfy it, when there is one (end of the period, or appointment + grace).
    pub deadline: Option<Date>,
    /// The period it is counted over (refresher rules).
    pub period: Option<(Date, Date)>,
    /// The completions that count toward it, earliest first.
    pub satisfied_by: Vec<CompletionId>,
    /// Days of those completions.
    pub days_counted: u32,
    /// Days still needed (refresher rules).
    pub days_needed: Option<u32>,
}

/// Every requirement that applies to the official on `as_of`, in the order of the rules.
///
/// The periods given are the official's employment periods in effect (not those replaced by a
/// correction); those that do not cover `as_of` only tell when a post was taken up.
pub fn evaluate(
    rules: &[Rule],
    employments: &[Employment],
    completions: &[CompletionFact],
    as_of: Date,
) -> Vec<Requirement> {
    let current: Vec<&Employment> =
        employments.iter().filter(|period| period.validity.covers(as_of)).collect();
    let counting: Vec<&CompletionFact> = completions
        .iter()
        .filter(|completion| completion.status == CompletionStatus::Live)
        .filter(|completion| completion.ended_on <= as_of)
        .collect();
    rules
        .iter()
        .filter_map(|rule| {
            let held = current.iter().find(|period| rule.applies(period, as_of))?;
            let eligible: Vec<&CompletionFact> = counting
                .iter()
                .copied()
                .filter(|completion| rule.accepts(&completion.category))
                .filter(|completion| {
                    !rules.iter().any(|other| other.excludes(rule, &completion.category, as_of))
                })
                .collect();
            Some(requirement(rule, held, employments, &eligible, as_of))
        })
        .collect()
}

fn requirement(
    rule: &Rule,
    held: &Employment,
    employments: &[Employment],
    eligible: &[&CompletionFact],
    as_of: Date,
) -> Requirement {
    let mut counted: Vec<&CompletionFact> = match rule.period {
        Period::Every { years, anchor } => {
            let (start, _) = period_around(anchor, years, as_of);
            eligible.iter().copied().filter(|completion| completion.ended_on >= start).collect()
        }
        _ => eligible.to_vec(),
    };
    counted.sort_by_key(|completion| (completion.ended_on, completion.id.as_uuid()));
    let days_counted = counted.iter().map(|completion| completion.days).sum::<u32>();
    let satisfied_by = counted.iter().map(|completion| completion.id).collect();
    let met = !counted.is_empty();
    let (status, deadline, period, days_needed) = match rule.period {
        Period::Every { years, anchor } => {
            let (start, end) = period_around(anchor, years, as_of);
            let minimum = rule.minimum_days.unwrap_or(0);
            let needed = minimum.saturating_sub(days_counted);
            let status =
                if met && needed == 0 { RequirementStatus::Met } else { RequirementStatus::Due };
            (status, Some(end), Some((start, end)), Some(needed))
        }
        Period::Appointment { grace_days } => {
            let deadline = appointed_on(held, employments, as_of)
                .saturating_add(Duration::days(i64::from(grace_days)));
            let status = match (met, as_of <= deadline) {
                (true, _) => RequirementStatus::Met,
                (false, true) => RequirementStatus::Due,
                (false, false) => RequirementStatus::Missing,
            };
            (status, Some(deadline), None, None)
        }
        Period::Once | Period::None => {
            let status = if met { RequirementStatus::Met } else { RequirementStatus::Missing };
            (status, None, None, None)
        }
    };
    Requirement {
        rule: rule.clone(),
        status,
        deadline,
        period,
        satisfied_by,
        days_counted,
        days_needed,
    }
}

/// The period of `years` years, counted from `anchor`, that holds `day`: first and last day
/// (the reports' SQL counts a refresher's completions from the same first day).
pub fn period_around(anchor: Date, years: u8, day: Date) -> (Date, Date) {
    let years = i32::from(years);
    let offset = (day.year() - anchor.year()).div_euclid(years) * years;
    let mut start = shift_years(anchor, offset);
    if start > day {
        start = shift_years(start, -years);
    }
    let next = shift_years(start, years);
    (start, next.previous_day().unwrap_or(next))
}

fn shift_years(day: Date, years: i32) -> Date {
    let year = day.year() + years;
    Date::from_calendar_date(year, day.month(), day.day())
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1)) // 29 February
        .unwrap_or(day)
}

/// The day the official took up the leadership post of `held`: the start of the unbroken run
/// of periods, ending with `held`, at the same leadership level (a transfer at the same level is
/// not a new appointment).
fn appointed_on(held: &Employment, employments: &[Employment], as_of: Date) -> Date {
    let mut start = held.validity.from;
    loop {
        let before = employments.iter().find(|period| {
            period.leadership_level == held.leadership_level
                && period.validity.from < start
                && period.validity.from <= as_of
                && period.validity.to.and_then(Date::next_day).is_some_and(|next| next >= start)
        });
        match before {
            Some(period) => start = period.validity.from,
            None => return start,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;
    use uuid::Uuid;

    use super::*;
    use crate::dates::Validity;
    use crate::official::{
        AdministrativeLevel, AgencyCode, LeadershipGroup, LeadershipLevel, RankCode,
    };
    use crate::standards::{RULES_FILE, parse_rules};

    fn rules() -> Vec<Rule> {
        parse_rules(RULES_FILE).unwrap()
    }

    fn leader(from: Date) -> Employment {
        Employment {
            agency_code: AgencyCode::parse("G01.H29").unwrap(),
            agency_name: "Sở Nội vụ".into(),
            level: AdministrativeLevel::Province,
            rank: Some(RankCode::parse("01.002").unwrap()),
            position_title: None,
            leadership_level: Some(LeadershipLevel::Division),
            leadership_group: Some(LeadershipGroup::N3),
            validity: Validity::new(from, None).unwrap(),
        }
    }

    fn completion(n: u128, category: &str, ended_on: Date, days: u32) -> CompletionFact {
        CompletionFact {
            id: CompletionId::from_uuid(Uuid::from_u128(n)),
            category: category.to_owned(),
            started_on: ended_on,
            ended_on,
            days,
            status: CompletionStatus::Live,
        }
    }

    fn find<'a>(requirements: &'a [Requirement], id: &str) -> &'a Requirement {
        requirements.iter().find(|requirement| requirement.rule.id == id).unwrap()
    }

    const AS_OF: Date = date!(2026 - 12 - 05);

    #[test]
    fn group_3_is_due_until_seven_days_of_its_refresher_in_the_term() {
        let employments = [leader(date!(2024 - 01 - 01))];
        let five = [completion(1, "CNKT-145-N3", date!(2026 - 03 - 01), 5)];
        let result = evaluate(&rules(), &employments, &five, AS_OF);
        let r145 = find(&result, "R145-N3");
        assert_eq!(r145.status, RequirementStatus::Due);
        assert_eq!((r145.days_counted, r145.days_needed), (5, Some(2)));
        assert_eq!(r145.period, Some((date!(2025 - 01 - 01), date!(2029 - 12 - 31))));
        assert_eq!(r145.deadline, Some(date!(2029 - 12 - 31)));
        let seven = [five[0].clone(), completion(2, "CNKT-145-N3", date!(2026 - 06 - 01), 2)];
        let result = evaluate(&rules(), &employments, &seven, AS_OF);
        assert_eq!(find(&result, "R145-N3").status, RequirementStatus::Met);
    }

    #[test]
    fn a_state_management_course_never_counts_toward_the_145_refresher() {
        let mut rules = rules();
        // Even if someone lists it by mistake, Art. 3(1)'s exclusion keeps it out.
        let r145 = rules.iter_mut().find(|rule| rule.id == "R145-N3").unwrap();
        r145.any_of.push(crate::standards::CategoryPattern::new("QLNN-CVC"));
        let courses = [completion(1, "QLNN-CVC", date!(2026 - 03 - 01), 30)];
        let result = evaluate(&rules, &[leader(date!(2024 - 01 - 01))], &courses, AS_OF);
        assert_eq!(find(&result, "R145-N3").days_counted, 0);
    }

    #[test]
    fn a_division_head_appointed_under_decree_171_has_a_year_for_the_programme() {
        let employments = [leader(date!(2026 - 03 - 01))];
        let result = evaluate(&rules(), &employments, &[], AS_OF);
        let post = find(&result, "POS-PHONG-171");
        assert_eq!(
            (post.status, post.deadline),
            (RequirementStatus::Due, Some(date!(2027 - 03 - 01)))
        );
        let late = evaluate(&rules(), &employments, &[], date!(2027 - 03 - 02));
        assert_eq!(find(&late, "POS-PHONG-171").status, RequirementStatus::Missing);
    }

    #[test]
    fn rules_no_longer_in_force_do_not_apply_and_earlier_dates_use_the_rules_then() {
        let employments = [leader(date!(2022 - 01 - 01))];
        let now = evaluate(&rules(), &employments, &[], AS_OF);
        assert!(now.iter().all(|requirement| requirement.rule.id != "RANK-CVC"));
        let then = evaluate(&rules(), &employments, &[], date!(2023 - 01 - 01));
        assert_eq!(find(&then, "RANK-CVC").status, RequirementStatus::Missing);
        assert!(then.iter().all(|requirement| requirement.rule.id != "R145-N3"));
    }

    #[test]
    fn a_course_of_a_higher_defence_object_counts_for_a_lower_one() {
        let employments = [leader(date!(2020 - 01 - 01))];
        let result = evaluate(&rules(), &employments, &[], AS_OF);
        assert_eq!(find(&result, "QPAN-OBJ3").status, RequirementStatus::Missing);
        let object_2 = [completion(1, "QPAN-2", date!(2021 - 05 - 01), 20)];
        let result = evaluate(&rules(), &employments, &object_2, AS_OF);
        assert_eq!(find(&result, "QPAN-OBJ3").status, RequirementStatus::Met);
        assert_eq!(find(&result, "QPAN-OBJ3").days_counted, 20);
    }

    #[test]
    fn a_transfer_at_the_same_leadership_level_is_not_a_new_appointment() {
        let mut first = leader(date!(2025 - 08 - 01));
        first.validity = Validity::new(date!(2025 - 08 - 01), Some(date!(2026 - 01 - 31))).unwrap();
        let second = leader(date!(2026 - 02 - 01));
        let result = evaluate(&rules(), &[first, second], &[], AS_OF);
        assert_eq!(find(&result, "POS-PHONG-171").deadline, Some(date!(2026 - 08 - 01)));
    }

    fn arb_completion() -> impl Strategy<Value = CompletionFact> {
        let categories = prop::sample::select(vec![
            "CNKT-145-N3",
            "TBN-PHONG",
            "LLCT-TRUNG",
            "QLNN-CVC",
            "QLNN-CV",
            "PL",
        ]);
        let statuses = prop::sample::select(vec![
            CompletionStatus::Live,
            CompletionStatus::Revoked,
            CompletionStatus::Superseded,
        ]);
        (any::<u128>(), categories, 0i64..4000, 1u32..40, statuses).prop_map(
            |(id, category, offset, days, status)| CompletionFact {
                status,
                ..completion(id, category, date!(2018 - 01 - 01) + Duration::days(offset), days)
            },
        )
    }

    fn arb_date() -> impl Strategy<Value = Date> {
        (0i64..4000).prop_map(|offset| date!(2018 - 01 - 01) + Duration::days(offset))
    }

    proptest! {
        #[test]
        fn adding_a_completion_never_turns_met_into_missing(
            completions in prop::collection::vec(arb_completion(), 0..8),
            extra in arb_completion(),
            appointed in arb_date(),
            as_of in arb_date(),
        ) {
            let employments = [leader(appointed)];
            let before = evaluate(&rules(), &employments, &completions, as_of);
            let mut more = completions.clone();
            more.push(extra);
            let after = evaluate(&rules(), &employments, &more, as_of);
            for requirement in before.iter().filter(|r| r.status == RequirementStatus::Met) {
                prop_assert_eq!(find(&after, &requirement.rule.id).status, RequirementStatus::Met);
            }
        }

        #[test]
        fn facts_after_the_date_never_change_the_answer(
            completions in prop::collection::vec(arb_completion(), 0..8),
            later in prop::collection::vec(arb_completion(), 0..4),
            as_of in arb_date(),
        ) {
            let employments = [leader(date!(2018 - 01 - 01))];
            let before = evaluate(&rules(), &employments, &completions, as_of);
            let mut more = completions.clone();
            more.extend(later.into_iter().filter(|completion| completion.ended_on > as_of));
            let mut next_post = leader(as_of.next_day().unwrap());
            next_post.leadership_level = Some(LeadershipLevel::DeputyMinister);
            let mut history = employments.to_vec();
            history[0].validity = Validity::new(date!(2018 - 01 - 01), Some(as_of)).unwrap();
            history.push(next_post);
            prop_assert_eq!(evaluate(&rules(), &history, &more, as_of), before);
        }

        #[test]
        fn the_period_around_a_day_holds_it_and_lasts_its_years(
            day in arb_date(), anchor in arb_date(), years in 1u8..6,
        ) {
            let (start, end) = period_around(anchor, years, day);
            prop_assert!(start <= day && day <= end);
            prop_assert_eq!(end.next_day().unwrap().year() - start.year(), i32::from(years));
        }

        #[test]
        fn a_revoked_or_superseded_certificate_never_counts(
            completions in prop::collection::vec(arb_completion(), 0..8),
            as_of in arb_date(),
        ) {
            let employments = [leader(date!(2018 - 01 - 01))];
            let result = evaluate(&rules(), &employments, &completions, as_of);
            let live = |id: &CompletionId| completions.iter().any(|completion| {
                completion.id == *id && completion.status == CompletionStatus::Live
            });
            for requirement in &result {
                prop_assert!(requirement.satisfied_by.iter().all(live));
            }
        }
    }
}
