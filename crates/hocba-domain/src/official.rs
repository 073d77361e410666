//! Officials (cán bộ, công chức, viên chức) and their employment history.

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use crate::codes::{CodeError, code};
use crate::dates::{self, Validity};
use crate::validation::{self, Invalid, Validator, Violation};
use crate::{EmploymentId, Gender, NationalId, PersonName};

/// First day of the two-level local government: districts no longer exist (Resolution
/// 202/2025/QH15, in force 2025-07-01).
pub const DISTRICTS_ABOLISHED_ON: Date = date!(2025 - 07 - 01);

/// The administrative level (cấp) of the agency an official works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdministrativeLevel {
    /// Trung ương.
    Central,
    /// Tỉnh.
    Province,
    /// Huyện: only for periods that started before 2025-07-01.
    District,
    /// Xã.
    Commune,
}

impl AdministrativeLevel {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            AdministrativeLevel::Central => "central",
            AdministrativeLevel::Province => "province",
            AdministrativeLevel::District => "district",
            AdministrativeLevel::Commune => "commune",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        use AdministrativeLevel::*;
        [Central, Province, District, Commune].into_iter().find(|level| level.as_str() == value)
    }
}

/// The leadership group under Regulation 145-QĐ/TW (2024), which sets the refresher minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LeadershipGroup {
    /// Key and senior leaders of the Party, State and Fatherland Front.
    N1,
    /// Cadres managed by the Politburo and the Secretariat.
    N2,
    /// Cadres managed by Party committees, organisations and heads of agencies.
    N3,
}

impl LeadershipGroup {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadershipGroup::N1 => "N1",
            LeadershipGroup::N2 => "N2",
            LeadershipGroup::N3 => "N3",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        use LeadershipGroup::*;
        [N1, N2, N3].into_iter().find(|group| group.as_str() == value)
    }
}

/// The level of a leadership post, which decides the leadership-position training it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadershipLevel {
    /// Commune leaders.
    Commune,
    /// Heads and deputies of divisions (cấp phòng) and equivalent.
    Division,
    /// District leaders: only for periods that started before 2025-07-01.
    District,
    /// Provincial-department leaders (cấp sở).
    ProvincialDepartment,
    /// Ministry-department leaders (cấp vụ).
    MinistryDepartment,
    /// Deputy Ministers and equivalent.
    DeputyMinister,
}

impl LeadershipLevel {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadershipLevel::Commune => "commune",
            LeadershipLevel::Division => "division",
            LeadershipLevel::District => "district",
            LeadershipLevel::ProvincialDepartment => "provincial_department",
            LeadershipLevel::MinistryDepartment => "ministry_department",
            LeadershipLevel::DeputyMinister => "deputy_minister",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        use LeadershipLevel::*;
        [Commune, Division, District, ProvincialDepartment, MinistryDepartment, DeputyMinister]
            .into_iter()
            .find(|level| level.as_str() == value)
    }
}

/// The code of a civil-service rank (ngạch, such as `01.003` for chuyên viên) or of a public
/// employee's professional title (chức danh nghề nghiệp, such as `V.07.01.03`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RankCode(String);

impl RankCode {
    /// Parses a rank or professional-title code.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        code(raw, 2, 20).map(RankCode)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The code of an agency in the national organisation tree (Decision 356/QĐ-BNV).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Parses an agency code.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        code(raw, 2, 32).map(AgencyCode)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One period of an official's employment: where, at what level, in which rank and post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employment {
    /// The agency's code.
    pub agency_code: AgencyCode,
    /// The agency's name as it was during the period.
    pub agency_name: String,
    /// Administrative level of the agency.
    pub level: AdministrativeLevel,
    /// Rank or professional title, if any (elected cadres have none).
    pub rank: Option<RankCode>,
    /// Title of the leadership post, if any (Trưởng phòng, Phó Giám đốc Sở…).
    pub position_title: Option<String>,
    /// Level of the leadership post, if any.
    pub leadership_level: Option<LeadershipLevel>,
    /// Regulation 145 group, if the official is a leader it covers.
    pub leadership_group: Option<LeadershipGroup>,
    /// When the period is in force.
    pub validity: Validity,
}

impl Employment {
    /// Whether this period places the official at `agency` on `day`.
    pub fn places_at(&self, agency: &AgencyCode, day: Date) -> bool {
        self.agency_code == *agency && self.validity.covers(day)
    }

    /// This period ended on `last_day`, its last day at the post: the fact stored in its place.
    ///
    /// A period that already ends on or before `last_day` is refused: moving an end later, or
    /// repeating the same end, is a correction, not an ending. An earlier end is accepted (a
    /// fixed term cut short by a transfer or a dismissal).
    pub fn ended_on(&self, last_day: Date) -> Result<Employment, ChangeError> {
        if self.validity.to.is_some_and(|end| end <= last_day) {
            return Err(ChangeError::AlreadyEnds);
        }
        if last_day < self.validity.from {
            return Err(ChangeError::EndsBeforeStart);
        }
        let validity = Validity { from: self.validity.from, to: Some(last_day) };
        Ok(Employment { validity, ..self.clone() })
    }

    /// A change of post from this period to `next`: this one ends on `last_day`, or, if none is
    /// given, on the day before `next` starts; `next` must start after that day.
    pub fn transfer(
        &self,
        last_day: Option<Date>,
        next: Employment,
    ) -> Result<Transfer, RefusedChange> {
        let (last_day, field) = match last_day {
            Some(day) => (day, "valid_to"),
            // Never `None`: a period starts in 1900 at the earliest.
            None => {
                (next.validity.from.previous_day().unwrap_or(Date::MIN), "employment.valid_from")
            }
        };
        let ended = self.ended_on(last_day).map_err(|reason| RefusedChange { field, reason })?;
        if next.validity.from <= last_day {
            return Err(RefusedChange {
                field: "employment.valid_from",
                reason: ChangeError::StartsBeforePreviousEnds,
            });
        }
        Ok(Transfer { ended, started: next })
    }
}

/// Why a change to a stored employment period was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The last day given is before the period's first day.
    #[error("must not be before the first day of the period")]
    EndsBeforeStart,
    /// The period already ends on or before the last day given.
    #[error("the period already ends on or before this day; a correction changes its end")]
    AlreadyEnds,
    /// The new period of a transfer starts before the period left ends.
    #[error("must be after the last day of the period left")]
    StartsBeforePreviousEnds,
}

/// A refused change to an employment period, with the input field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RefusedChange {
    /// Path of the field in the request (`valid_to`, `employment.valid_from`).
    pub field: &'static str,
    /// Why.
    pub reason: ChangeError,
}

/// A change of post (điều động, luân chuyển, a new appointment): the period left, now ended,
/// and the period that starts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The period left, with its last day.
    pub ended: Employment,
    /// The next period.
    pub started: Employment,
}

/// Whether an official with these employment periods is on the staff of one of `agencies` on
/// `day`: what lets an HR department read their record. `agencies` is the key's agency, with
/// its sub-units if the key covers them ([`crate::with_subunits`]). (An official between two
/// periods, or transferred away, is nobody's staff for that agency.)
pub fn on_staff_of<'a>(
    periods: impl IntoIterator<Item = &'a Employment>,
    agencies: &[AgencyCode],
    day: Date,
) -> bool {
    periods.into_iter().any(|period| agencies.iter().any(|agency| period.places_at(agency, day)))
}

/// An employment period as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmploymentDraft {
    /// Agency code in the national organisation tree.
    #[cfg_attr(feature = "openapi", schema(example = "G01.H29"))]
    pub agency_code: String,
    /// Agency name.
    #[cfg_attr(feature = "openapi", schema(example = "Sở Nội vụ Hà Nội"))]
    pub agency_name: String,
    /// Administrative level.
    pub level: AdministrativeLevel,
    /// Rank (ngạch) or professional-title code.
    #[cfg_attr(feature = "openapi", schema(example = "01.003"))]
    pub rank_code: Option<String>,
    /// Title of the leadership post.
    pub position_title: Option<String>,
    /// Level of the leadership post.
    pub leadership_level: Option<LeadershipLevel>,
    /// Regulation 145 leadership group.
    pub leadership_group: Option<LeadershipGroup>,
    /// First day (the appointment or recruitment decision's effective date).
    pub valid_from: Date,
    /// Last day, if the period has ended.
    pub valid_to: Option<Date>,
}

impl EmploymentDraft {
    /// Validates the period.
    pub fn parse(self) -> Result<Employment, Invalid> {
        let mut v = Validator::default();
        match self.parse_into(&mut v) {
            Some(employment) => v.finish(employment),
            None => Err(v.into_invalid()),
        }
    }

    fn parse_into(self, v: &mut Validator) -> Option<Employment> {
        let agency_code = v.check("agency_code", AgencyCode::parse(&self.agency_code));
        let agency_name = v.check("agency_name", validation::text(&self.agency_name, 200));
        let rank = v.check_optional("rank_code", self.rank_code.as_deref(), RankCode::parse);
        let position_title =
            v.check_optional("position_title", self.position_title.as_deref(), |raw| {
                validation::text(raw, 200)
            });
        let validity = Validity::check_fields(v, self.valid_from, self.valid_to);
        let starts_after_districts = self.valid_from >= DISTRICTS_ABOLISHED_ON;
        if starts_after_districts && self.level == AdministrativeLevel::District {
            v.reject("level", Violation::DistrictLevelAbolished);
        }
        if starts_after_districts && self.leadership_level == Some(LeadershipLevel::District) {
            v.reject("leadership_level", Violation::DistrictLevelAbolished);
        }
        Some(Employment {
            agency_code: agency_code?,
            agency_name: agency_name?,
            level: self.level,
            rank: rank?,
            position_title: position_title?,
            leadership_level: self.leadership_level,
            leadership_group: self.leadership_group,
            validity: validity?,
        })
    }
}

/// A change of post as submitted: the period left and the next period, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferDraft {
    /// The period in effect that the official leaves.
    pub employment_id: EmploymentId,
    /// Last day of the period left; the day before `employment.valid_from` when absent.
    pub valid_to: Option<Date>,
    /// The next period.
    pub employment: EmploymentDraft,
}

/// A change of post, validated on its own; [`Employment::transfer`] checks it against the
/// period left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The period left.
    pub from: EmploymentId,
    /// Its last day, if given.
    pub last_day: Option<Date>,
    /// The next period.
    pub next: Employment,
}

impl TransferDraft {
    /// Validates the next period (its field paths start with `employment.`).
    pub fn parse(self) -> Result<TransferRequest, Invalid> {
        let mut v = Validator::nested("employment");
        let next = self.employment.parse_into(&mut v);
        match next {
            Some(next) => v.finish(TransferRequest {
                from: self.employment_id,
                last_day: self.valid_to,
                next,
            }),
            None => Err(v.into_invalid()),
        }
    }
}

/// A new official to register, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfficial {
    /// The personal identification number.
    pub national_id: NationalId,
    /// Full name.
    pub full_name: PersonName,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex.
    pub gender: Gender,
    /// Ethnic group code (01–54, GSO list); sensitive personal data.
    pub ethnicity_code: Option<u8>,
    /// The current employment period.
    pub employment: Employment,
}

/// An official as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfficialDraft {
    /// The 12-digit personal identification number.
    #[cfg_attr(feature = "openapi", schema(example = "001085012345"))]
    pub national_id: String,
    /// Full name, as on the identity card.
    #[cfg_attr(feature = "openapi", schema(example = "Nguyễn Văn An"))]
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex, as on the identity card.
    pub gender: Gender,
    /// Ethnic group code, 1–54 (GSO list).
    pub ethnicity_code: Option<u8>,
    /// The current employment period.
    pub employment: EmploymentDraft,
}

impl OfficialDraft {
    /// Validates every field; `today` bounds the date of birth.
    pub fn parse(self, today: Date) -> Result<NewOfficial, Invalid> {
        let mut v = Validator::default();
        let full_name = v.check("full_name", PersonName::parse(&self.full_name));
        let date_of_birth = v.check("date_of_birth", dates::past(self.date_of_birth, today));
        let national_id = date_of_birth.and_then(|dob| {
            v.check("national_id", NationalId::parse(&self.national_id, dob, self.gender))
        });
        let ethnicity_code = v.check_optional("ethnicity_code", self.ethnicity_code, |code| {
            if (1..=54).contains(&code) {
                Ok(code)
            } else {
                Err(Violation::OutOfRange { min: 1, max: 54 })
            }
        });
        let mut employment_errors = Validator::nested("employment");
        let employment = self.employment.parse_into(&mut employment_errors);
        v.absorb(employment_errors.into_invalid());
        let (
            Some(full_name),
            Some(date_of_birth),
            Some(national_id),
            Some(ethnicity_code),
            Some(employment),
        ) = (full_name, date_of_birth, national_id, ethnicity_code, employment)
        else {
            return Err(v.into_invalid());
        };
        v.finish(NewOfficial {
            national_id,
            full_name,
            date_of_birth,
            gender: self.gender,
            ethnicity_code,
            employment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agency_has_on_its_staff_only_those_it_employs_that_day() {
        let agency = AgencyCode::parse("G01.H29").expect("code");
        let other = AgencyCode::parse("G01.H30").expect("code");
        let ended = Employment {
            validity: Validity::new(date!(2015 - 01 - 01), Some(date!(2019 - 12 - 31)))
                .expect("period"),
            ..employment().parse().expect("valid")
        };
        let current = Employment { agency_code: other.clone(), ..ended.clone() };
        let current = Employment {
            validity: Validity::new(date!(2020 - 01 - 01), None).expect("period"),
            ..current
        };
        let periods = [ended, current];
        let (agency, other) = ([agency], [other]);
        assert!(on_staff_of(&periods, &agency, date!(2019 - 12 - 31)));
        assert!(!on_staff_of(&periods, &agency, date!(2020 - 01 - 01)));
        assert!(on_staff_of(&periods, &other, date!(2026 - 12 - 01)));
        assert!(!on_staff_of(&periods, &other, date!(2014 - 06 - 01)));
        assert!(!on_staff_of(&[], &agency, date!(2026 - 12 - 01)));
        let parent_and_unit = [agency[0].clone(), other[0].clone()];
        assert!(on_staff_of(&periods, &parent_and_unit, date!(2026 - 12 - 01)));
    }

    fn period(from: Date, to: Option<Date>) -> Employment {
        let validity = Validity::new(from, to).expect("period");
        Employment { validity, ..employment().parse().expect("valid") }
    }

    #[test]
    fn an_open_period_ends_on_or_after_its_first_day() {
        let open = period(date!(2020 - 01 - 01), None);
        let ended = open.ended_on(date!(2020 - 01 - 01)).expect("a one-day period");
        assert_eq!(ended.validity.to, Some(date!(2020 - 01 - 01)));
        assert_eq!(Employment { validity: open.validity, ..ended }, open, "only the end changes");
        assert_eq!(open.ended_on(date!(2019 - 12 - 31)), Err(ChangeError::EndsBeforeStart));
    }

    #[test]
    fn an_end_moves_only_earlier() {
        let term = period(date!(2020 - 01 - 01), Some(date!(2025 - 12 - 31)));
        assert!(term.ended_on(date!(2024 - 06 - 30)).is_ok(), "a term cut short");
        assert_eq!(term.ended_on(date!(2025 - 12 - 31)), Err(ChangeError::AlreadyEnds));
        assert_eq!(term.ended_on(date!(2026 - 01 - 31)), Err(ChangeError::AlreadyEnds));
    }

    #[test]
    fn a_transfer_ends_the_old_post_the_day_before_the_new_one_starts() {
        let old = period(date!(2020 - 01 - 01), None);
        let new = Employment {
            agency_code: AgencyCode::parse("G01.H30").expect("code"),
            ..period(date!(2024 - 03 - 01), None)
        };
        let transfer = old.transfer(None, new.clone()).expect("transfer");
        assert_eq!(transfer.ended.validity.to, Some(date!(2024 - 02 - 29)));
        assert_eq!(transfer.started, new);

        let with_a_gap = old.transfer(Some(date!(2023 - 12 - 31)), new.clone()).expect("gap");
        assert_eq!(with_a_gap.ended.validity.to, Some(date!(2023 - 12 - 31)));

        let overlapping = old.transfer(Some(date!(2024 - 03 - 01)), new.clone()).unwrap_err();
        assert_eq!(
            (overlapping.field, overlapping.reason),
            ("employment.valid_from", ChangeError::StartsBeforePreviousEnds)
        );
        let too_early = old.transfer(Some(date!(2019 - 01 - 01)), new.clone()).unwrap_err();
        assert_eq!((too_early.field, too_early.reason), ("valid_to", ChangeError::EndsBeforeStart));
        let before_old_started =
            Employment { validity: Validity::new(date!(2020 - 01 - 01), None).unwrap(), ..new };
        let refused = old.transfer(None, before_old_started).unwrap_err();
        assert_eq!(
            (refused.field, refused.reason),
            ("employment.valid_from", ChangeError::EndsBeforeStart)
        );
    }

    fn employment() -> EmploymentDraft {
        EmploymentDraft {
            agency_code: "G01.H29".into(),
            agency_name: "Sở Nội vụ  Hà Nội".into(),
            level: AdministrativeLevel::Province,
            rank_code: Some("01.003".into()),
            position_title: None,
            leadership_level: None,
            leadership_group: None,
            valid_from: date!(2020 - 01 - 01),
            valid_to: None,
        }
    }

    fn official() -> OfficialDraft {
        OfficialDraft {
            national_id: "001085012345".into(),
            full_name: "Nguyễn  Văn An".into(),
            date_of_birth: date!(1985 - 03 - 14),
            gender: Gender::Male,
            ethnicity_code: Some(1),
            employment: employment(),
        }
    }

    const TODAY: Date = date!(2026 - 11 - 23);

    fn fields(invalid: Invalid) -> Vec<String> {
        invalid.0.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn a_complete_draft_parses_normalized() {
        let official = official().parse(TODAY).unwrap();
        assert_eq!(official.full_name.as_str(), "Nguyễn Văn An");
        assert_eq!(official.employment.agency_name, "Sở Nội vụ Hà Nội");
    }

    #[test]
    fn reports_every_invalid_field_at_once() {
        let mut draft = official();
        draft.full_name = "  ".into();
        draft.ethnicity_code = Some(60);
        draft.employment.agency_code = "bad code".into();
        draft.employment.valid_to = Some(date!(2019 - 01 - 01));
        assert_eq!(
            fields(draft.parse(TODAY).unwrap_err()),
            ["full_name", "ethnicity_code", "employment.agency_code", "employment.valid_to"]
        );
    }

    #[test]
    fn a_national_id_of_the_wrong_sex_is_rejected() {
        let mut draft = official();
        draft.gender = Gender::Female;
        let invalid = draft.parse(TODAY).unwrap_err();
        assert_eq!(fields(invalid.clone()), ["national_id"]);
        assert_eq!(invalid.0[0].violation.code(), "national-id-invalid");
    }

    #[test]
    fn a_birth_date_in_the_future_is_rejected() {
        let mut draft = official();
        draft.date_of_birth = date!(2027 - 01 - 01);
        assert_eq!(fields(draft.parse(TODAY).unwrap_err()), ["date_of_birth"]);
    }

    #[test]
    fn no_district_period_starts_after_the_2025_reform() {
        let mut draft = employment();
        draft.level = AdministrativeLevel::District;
        draft.valid_from = date!(2025 - 07 - 01);
        let invalid = draft.parse().unwrap_err();
        assert_eq!(invalid.0[0].violation, Violation::DistrictLevelAbolished);

        let mut legacy = employment();
        legacy.level = AdministrativeLevel::District;
        legacy.valid_from = date!(2025 - 06 - 30);
        assert!(legacy.parse().is_ok());
    }

    #[test]
    fn stored_forms_round_trip() {
        for level in ["central", "province", "district", "commune"] {
            assert_eq!(AdministrativeLevel::from_stored(level).unwrap().as_str(), level);
        }
        for group in ["N1", "N2", "N3"] {
            assert_eq!(LeadershipGroup::from_stored(group).unwrap().as_str(), group);
        }
    }
}
