//! Training institutions and what they are accredited to certify.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{CodeError, code};
use crate::{CategoryCode, Validity};

/// An institution's short code, unique in the registry (`HVCTQG`, `TCT-HN`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstitutionCode(String);

impl InstitutionCode {
    /// Parses an institution code.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        code(raw, 2, 32).map(InstitutionCode)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of body an institution is; decides which categories it can ever certify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// Ho Chi Minh National Academy of Politics (with NAPA inside it since December 2024).
    NationalAcademy,
    /// A regional academy of politics.
    RegionalAcademy,
    /// A provincial political school (Regulation 393-QĐ/TW).
    ProvincialPoliticalSchool,
    /// A commune political centre (Regulation 360-QĐ/TW).
    CommunePoliticalCentre,
    /// A ministry's or central agency's training school.
    MinistrySchool,
    /// A university entrusted with training.
    University,
    /// The National Defence Academy or the Ministry of Defence's Political Academy.
    DefenceAcademy,
    /// A military region's school or a provincial military command.
    MilitarySchool,
    /// A foreign partner for training abroad.
    ForeignPartner,
    /// An approved testing centre (languages, IT).
    TestingCentre,
}

impl InstitutionKind {
    /// Every kind, for parsing the stored form.
    pub const ALL: [InstitutionKind; 10] = [
        InstitutionKind::NationalAcademy,
        InstitutionKind::RegionalAcademy,
        InstitutionKind::ProvincialPoliticalSchool,
        InstitutionKind::CommunePoliticalCentre,
        InstitutionKind::MinistrySchool,
        InstitutionKind::University,
        InstitutionKind::DefenceAcademy,
        InstitutionKind::MilitarySchool,
        InstitutionKind::ForeignPartner,
        InstitutionKind::TestingCentre,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::NationalAcademy => "national_academy",
            InstitutionKind::RegionalAcademy => "regional_academy",
            InstitutionKind::ProvincialPoliticalSchool => "provincial_political_school",
            InstitutionKind::CommunePoliticalCentre => "commune_political_centre",
            InstitutionKind::MinistrySchool => "ministry_school",
            InstitutionKind::University => "university",
            InstitutionKind::DefenceAcademy => "defence_academy",
            InstitutionKind::MilitarySchool => "military_school",
            InstitutionKind::ForeignPartner => "foreign_partner",
            InstitutionKind::TestingCentre => "testing_centre",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// Whether an institution may post anything at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstitutionStatus {
    /// May post within its scopes.
    Active,
    /// Suspended by the operator: posts nothing, its past certificates stay valid.
    Suspended,
}

impl InstitutionStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionStatus::Active => "active",
            InstitutionStatus::Suspended => "suspended",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        [InstitutionStatus::Active, InstitutionStatus::Suspended]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// An accreditation scope: one category an institution may certify, during a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The category.
    pub category: CategoryCode,
    /// When the accreditation is in force.
    pub validity: Validity,
}

/// The answer to "may this institution certify this category on this day?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeDecision {
    /// A scope covers it.
    Accredited {
        /// The period of the scope in force that day (a certificate states it).
        validity: Validity,
    },
    /// The institution's kind can never deliver the category (DOMAIN.md §11a).
    KindCannotDeliver,
    /// No scope names the category.
    NotInScope,
    /// A scope names the category but is not in force on that day.
    OutsideValidity {
        /// The period of the closest scope for the category.
        validity: Validity,
    },
    /// The institution is suspended.
    Suspended,
}

/// Decides whether an institution may certify `category` on `day`. `scopes` are plain scopes or
/// scopes with their decisions ([`NewScope`]).
pub fn accreditation(
    kind: InstitutionKind,
    status: InstitutionStatus,
    scopes: &[impl AsRef<Scope>],
    category: &CategoryCode,
    day: Date,
) -> ScopeDecision {
    if status == InstitutionStatus::Suspended {
        return ScopeDecision::Suspended;
    }
    if !category.deliverable_by(kind) {
        return ScopeDecision::KindCannotDeliver;
    }
    if let Some(covering) = covering_scope(scopes, category, day) {
        return ScopeDecision::Accredited { validity: covering.as_ref().validity };
    }
    match scopes.iter().map(AsRef::as_ref).find(|scope| &scope.category == category) {
        Some(first) => ScopeDecision::OutsideValidity { validity: first.validity },
        None => ScopeDecision::NotInScope,
    }
}

/// The scope that names `category` and is in force on `day`, whatever the institution's state
/// today: what a certificate for a completion on that day was issued under.
pub fn covering_scope<'a, S: AsRef<Scope>>(
    scopes: &'a [S],
    category: &CategoryCode,
    day: Date,
) -> Option<&'a S> {
    scopes.iter().find(|granted| {
        let scope = granted.as_ref();
        &scope.category == category && scope.validity.covers(day)
    })
}

impl AsRef<Scope> for Scope {
    fn as_ref(&self) -> &Scope {
        self
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn scope(category: &str, from: Date, to: Option<Date>) -> Scope {
        Scope {
            category: CategoryCode::parse(category).unwrap(),
            validity: Validity::new(from, to).unwrap(),
        }
    }

    #[test]
    fn a_scope_in_force_accredits() {
        let scopes = [
            scope("QLNN-CV", date!(2019 - 01 - 01), Some(date!(2023 - 12 - 31))),
            scope("QLNN-CV", date!(2024 - 01 - 01), None),
        ];
        let category = CategoryCode::parse("QLNN-CV").unwrap();
        let decision = accreditation(
            InstitutionKind::ProvincialPoliticalSchool,
            InstitutionStatus::Active,
            &scopes,
            &category,
            date!(2025 - 05 - 05),
        );
        assert_eq!(decision, ScopeDecision::Accredited { validity: scopes[1].validity });
    }

    #[test]
    fn an_expired_scope_does_not() {
        let scopes = [scope("QLNN-CV", date!(2020 - 01 - 01), Some(date!(2023 - 12 - 31)))];
        let category = CategoryCode::parse("QLNN-CV").unwrap();
        let decision = accreditation(
            InstitutionKind::MinistrySchool,
            InstitutionStatus::Active,
            &scopes,
            &category,
            date!(2024 - 02 - 01),
        );
        assert!(matches!(decision, ScopeDecision::OutsideValidity { .. }));
    }

    #[test]
    fn a_category_outside_every_scope_is_refused() {
        let scopes = [scope("QLNN-CV", date!(2020 - 01 - 01), None)];
        let category = CategoryCode::parse("QLNN-CVC").unwrap();
        let decision = accreditation(
            InstitutionKind::MinistrySchool,
            InstitutionStatus::Active,
            &scopes,
            &category,
            date!(2024 - 02 - 01),
        );
        assert_eq!(decision, ScopeDecision::NotInScope);
    }

    #[test]
    fn a_suspended_institution_certifies_nothing() {
        let scopes = [scope("PL", date!(2020 - 01 - 01), None)];
        let category = CategoryCode::parse("PL").unwrap();
        let decision = accreditation(
            InstitutionKind::MinistrySchool,
            InstitutionStatus::Suspended,
            &scopes,
            &category,
            date!(2024 - 02 - 01),
        );
        assert_eq!(decision, ScopeDecision::Suspended);
    }

    #[test]
    fn the_kind_rule_wins_over_a_mistaken_scope() {
        let scopes = [scope("QPAN-3", date!(2020 - 01 - 01), None)];
        let category = CategoryCode::parse("QPAN-3").unwrap();
        let decision = accreditation(
            InstitutionKind::ProvincialPoliticalSchool,
            InstitutionStatus::Active,
            &scopes,
            &category,
            date!(2024 - 02 - 01),
        );
        assert_eq!(decision, ScopeDecision::KindCannotDeliver);
    }

    #[test]
    fn stored_forms_round_trip() {
        for kind in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::from_stored(kind.as_str()), Some(kind));
        }
    }
}

/// A new institution, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstitution {
    /// Unique short code.
    pub code: InstitutionCode,
    /// Official name.
    pub name: String,
    /// Kind of body.
    pub kind: InstitutionKind,
    /// The authority it reports to (Ministry of Home Affairs, a provincial Party committee…).
    pub parent_authority: Option<String>,
}

/// An institution as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstitutionDraft {
    /// Unique short code, upper case.
    #[cfg_attr(feature = "openapi", schema(example = "TCT-HN"))]
    pub code: String,
    /// Official name.
    #[cfg_attr(feature = "openapi", schema(example = "Trường Chính trị tỉnh Hà Nam"))]
    pub name: String,
    /// Kind of body.
    pub kind: InstitutionKind,
    /// The authority it reports to.
    pub parent_authority: Option<String>,
}

impl InstitutionDraft {
    /// Validates every field.
    pub fn parse(self) -> Result<NewInstitution, crate::Invalid> {
        let mut v = crate::Validator::default();
        let code = v.check("code", InstitutionCode::parse(&self.code));
        let name = v.check("name", crate::validation::text(&self.name, 200));
        let parent_authority =
            v.check_optional("parent_authority", self.parent_authority.as_deref(), |raw| {
                crate::validation::text(raw, 200)
            });
        let (Some(code), Some(name), Some(parent_authority)) = (code, name, parent_authority)
        else {
            return Err(v.into_invalid());
        };
        v.finish(NewInstitution { code, name, kind: self.kind, parent_authority })
    }
}

/// An accreditation scope as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScopeDraft {
    /// Programme category the institution may certify.
    #[cfg_attr(feature = "openapi", schema(example = "QLNN-CV"))]
    pub category_code: String,
    /// First day of the accreditation.
    pub valid_from: Date,
    /// Last day, if the accreditation is time-limited.
    pub valid_to: Option<Date>,
    /// The accrediting decision (number and date), for the audit trail.
    #[cfg_attr(feature = "openapi", schema(example = "Quyết định 123/QĐ-BNV ngày 01/02/2024"))]
    pub decision: Option<String>,
}

/// An accreditation scope with the decision that grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScope {
    /// What and when.
    pub scope: Scope,
    /// The accrediting decision.
    pub decision: Option<String>,
}

impl AsRef<Scope> for NewScope {
    fn as_ref(&self) -> &Scope {
        &self.scope
    }
}

impl ScopeDraft {
    /// Validates the scope and checks that an institution of `kind` could ever deliver it.
    pub fn parse(self, kind: InstitutionKind) -> Result<NewScope, crate::Invalid> {
        let mut v = crate::Validator::default();
        let category = v.check("category_code", CategoryCode::parse(&self.category_code));
        if let Some(category) = &category
            && !category.deliverable_by(kind)
        {
            v.reject("category_code", crate::Violation::KindCannotDeliver { kind });
        }
        let validity = Validity::check_fields(&mut v, self.valid_from, self.valid_to);
        let decision = v.check_optional("decision", self.decision.as_deref(), |raw| {
            crate::validation::text(raw, 300)
        });
        let (Some(category), Some(validity), Some(decision)) = (category, validity, decision)
        else {
            return Err(v.into_invalid());
        };
        v.finish(NewScope { scope: Scope { category, validity }, decision })
    }
}
