//! Programme categories and programmes: what can be taught and certified.
//!
//! The taxonomy follows DOMAIN.md §11a. Every category carries the dates it is in force and its
//! legal basis, because the 2024–2026 reform retires categories (district leaders after the
//! two-level local government of 2025-07-01, the Regulation 164 refresher after Regulation 145):
//! a rule is always evaluated "as of" a date.

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use crate::InstitutionKind;
use crate::codes::{CodeError, code};

/// The families of programmes, which decide who may deliver them and which standards they meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CategoryFamily {
    /// Lý luận chính trị (LLCT-*), Regulation 57-QĐ/TW.
    PoliticalTheory,
    /// Bồi dưỡng quản lý nhà nước by rank (QLNN-*).
    StateManagement,
    /// Leadership-position training (TBN-*).
    LeadershipPosition,
    /// Job-position training (VTVL-*).
    JobPosition,
    /// Professional-title training for public employees (CDNN-*).
    ProfessionalTitle,
    /// Quốc phòng – an ninh, objects 1–4 (QPAN-*).
    DefenceSecurity,
    /// Leaders' refresher under Regulation 145-QĐ/TW (CNKT-145-*).
    LeadersRefresher,
    /// Leaders' refresher under the repealed Regulation 164-QĐ/TW (CNKT-164-*).
    LeadersRefresherLegacy,
    /// Foreign language, levels 1–6 (NN-*).
    ForeignLanguage,
    /// Information technology (TH-*).
    InformationTechnology,
    /// Ethnic-minority language (TDTTS-*).
    EthnicMinorityLanguage,
    /// Legal updates (PL).
    LegalUpdate,
    /// Science, technology, innovation and digital skills (KHCN-CDS), Decree 171/2025.
    DigitalSkills,
    /// Training abroad (OVS-*), Conclusion 39-KL/TW.
    Overseas,
}

impl CategoryFamily {
    /// The family a category code belongs to, by its prefix.
    fn of(code: &str) -> Option<Self> {
        use CategoryFamily::*;
        const PREFIXES: [(&str, CategoryFamily); 14] = [
            ("LLCT-", PoliticalTheory),
            ("QLNN-", StateManagement),
            ("TBN-", LeadershipPosition),
            ("VTVL-", JobPosition),
            ("CDNN-", ProfessionalTitle),
            ("QPAN-", DefenceSecurity),
            ("CNKT-145-", LeadersRefresher),
            ("CNKT-164-", LeadersRefresherLegacy),
            ("NN-", ForeignLanguage),
            ("TH-", InformationTechnology),
            ("TDTTS-", EthnicMinorityLanguage),
            ("OVS-", Overseas),
            ("PL", LegalUpdate),
            ("KHCN-CDS", DigitalSkills),
        ];
        PREFIXES.iter().find_map(|(prefix, family)| {
            let matches = if prefix.ends_with('-') {
                code.len() > prefix.len() && code.starts_with(prefix)
            } else {
                code == *prefix
            };
            matches.then_some(*family)
        })
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        use CategoryFamily::*;
        match self {
            PoliticalTheory => "political_theory",
            StateManagement => "state_management",
            LeadershipPosition => "leadership_position",
            JobPosition => "job_position",
            ProfessionalTitle => "professional_title",
            DefenceSecurity => "defence_security",
            LeadersRefresher => "leaders_refresher",
            LeadersRefresherLegacy => "leaders_refresher_legacy",
            ForeignLanguage => "foreign_language",
            InformationTechnology => "information_technology",
            EthnicMinorityLanguage => "ethnic_minority_language",
            LegalUpdate => "legal_update",
            DigitalSkills => "digital_skills",
            Overseas => "overseas",
        }
    }
}

/// A programme category code from the national taxonomy, such as `QLNN-CV` or `QPAN-3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryCode(String);

impl CategoryCode {
    /// Parses a code and checks that its prefix names a known family.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let code = code(raw, 2, 32)?;
        CategoryFamily::of(&code).ok_or(CodeError::UnknownCategoryFamily)?;
        Ok(CategoryCode(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family, from the prefix.
    pub fn family(&self) -> CategoryFamily {
        // `parse` is the only constructor and it rejects codes of no family.
        CategoryFamily::of(&self.0).unwrap_or(CategoryFamily::LegalUpdate)
    }

    /// Whether an institution of `kind` may deliver and certify programmes of this category.
    ///
    /// DOMAIN.md §3–§6: political theory belongs to the academies and the Party's schools at the
    /// matching level; defence and security to the military; Regulation 145 groups 1–2 are
    /// organised centrally; training abroad to foreign partners. Where the regulations name no
    /// deliverer (legal updates, digital skills), any kind may.
    pub fn deliverable_by(&self, kind: InstitutionKind) -> bool {
        use InstitutionKind::*;
        let allowed: &[InstitutionKind] = match (self.family(), self.0.as_str()) {
            (CategoryFamily::PoliticalTheory, "LLCT-SO") => {
                &[CommunePoliticalCentre, ProvincialPoliticalSchool]
            }
            (CategoryFamily::PoliticalTheory, "LLCT-TRUNG") => {
                &[ProvincialPoliticalSchool, NationalAcademy, RegionalAcademy]
            }
            (CategoryFamily::PoliticalTheory, _) => &[NationalAcademy, RegionalAcademy],
            (CategoryFamily::StateManagement, _) => {
                &[NationalAcademy, ProvincialPoliticalSchool, MinistrySchool, University]
            }
            (CategoryFamily::LeadershipPosition, "TBN-VU" | "TBN-TT") => &[NationalAcademy],
            (CategoryFamily::LeadershipPosition, _) => {
                &[NationalAcademy, ProvincialPoliticalSchool, MinistrySchool, University]
            }
            (CategoryFamily::JobPosition | CategoryFamily::ProfessionalTitle, _) => {
                &[MinistrySchool, University, NationalAcademy, ProvincialPoliticalSchool]
            }
            (CategoryFamily::DefenceSecurity, "QPAN-1") => &[DefenceAcademy],
            (CategoryFamily::DefenceSecurity, _) => &[DefenceAcademy, MilitarySchool],
            (CategoryFamily::LeadersRefresher, "CNKT-145-N1" | "CNKT-145-N2") => &[NationalAcademy],
            (CategoryFamily::LeadersRefresher | CategoryFamily::LeadersRefresherLegacy, _) => &[
                NationalAcademy,
                RegionalAcademy,
                ProvincialPoliticalSchool,
                CommunePoliticalCentre,
            ],
            (CategoryFamily::ForeignLanguage | CategoryFamily::InformationTechnology, _) => {
                &[TestingCentre, University]
            }
            (CategoryFamily::EthnicMinorityLanguage, _) => &[ProvincialPoliticalSchool, University],
            (CategoryFamily::Overseas, _) => &[ForeignPartner],
            (CategoryFamily::LegalUpdate | CategoryFamily::DigitalSkills, _) => {
                return kind != ForeignPartner;
            }
        };
        allowed.contains(&kind)
    }
}

/// A programme code, unique in the catalogue (`QLNN-CV-2024`, `TBN-PHONG-BNV-01`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProgramCode(String);

impl ProgramCode {
    /// Parses a programme code.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        code(raw, 2, 40).map(ProgramCode)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a class is taught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StudyMode {
    /// Tập trung: full-time, in person.
    InPerson,
    /// Không tập trung: part-time, alongside work.
    PartTime,
    /// Trực tuyến.
    Online,
    /// In person combined with online (Regulation 145 Art. 6).
    Blended,
    /// Abroad, with a foreign partner.
    Abroad,
}

impl StudyMode {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            StudyMode::InPerson => "in_person",
            StudyMode::PartTime => "part_time",
            StudyMode::Online => "online",
            StudyMode::Blended => "blended",
            StudyMode::Abroad => "abroad",
        }
    }

    /// Parses the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        use StudyMode::*;
        [InPerson, PartTime, Online, Blended, Abroad]
            .into_iter()
            .find(|mode| mode.as_str() == value)
    }
}

/// One category of the national taxonomy, as seeded into the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategorySeed {
    /// Category code.
    pub code: &'static str,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// First day programmes of this category may be completed.
    pub valid_from: Date,
    /// Last day, for categories the reform retired.
    pub valid_to: Option<Date>,
    /// The instrument that defines the category.
    pub legal_basis: &'static str,
}

const fn seed(
    code: &'static str,
    title_vi: &'static str,
    title_en: &'static str,
    valid_to: Option<Date>,
    legal_basis: &'static str,
) -> CategorySeed {
    CategorySeed {
        code,
        title_vi,
        title_en,
        valid_from: date!(1990 - 01 - 01),
        valid_to,
        legal_basis,
    }
}

/// The day before the two-level local government (no district level) took effect.
const LAST_DAY_OF_DISTRICTS: Option<Date> = Some(date!(2025 - 06 - 30));

/// The national taxonomy of fixed categories (DOMAIN.md §11a). Families with a free suffix
/// (`VTVL-‹field›`, `CDNN-‹sector›-H‹n›`, `TDTTS-‹language›`) are added by the operator as
/// programmes need them.
pub const TAXONOMY: &[CategorySeed] = &[
    seed(
        "LLCT-SO",
        "Sơ cấp lý luận chính trị",
        "Elementary political theory",
        None,
        "Regulation 57-QĐ/TW",
    ),
    seed(
        "LLCT-TRUNG",
        "Trung cấp lý luận chính trị",
        "Intermediate political theory",
        None,
        "Regulation 57-QĐ/TW",
    ),
    seed(
        "LLCT-CAO",
        "Cao cấp lý luận chính trị",
        "Advanced political theory",
        None,
        "Regulation 57-QĐ/TW",
    ),
    seed(
        "LLCT-CAO-HC",
        "Cao cấp lý luận chính trị – hành chính",
        "Advanced political theory and administration (legacy)",
        Some(date!(2014 - 12 - 31)),
        "HCMA programme before 2014",
    ),
    seed("LLCT-CN", "Cử nhân chính trị", "Bachelor of politics", None, "HCMA degree programme"),
    seed(
        "QLNN-CS",
        "Bồi dưỡng QLNN ngạch cán sự",
        "State management, officer rank (legacy)",
        LAST_DAY_OF_DISTRICTS,
        "Decree 101/2017/NĐ-CP",
    ),
    seed(
        "QLNN-CV",
        "Bồi dưỡng QLNN ngạch chuyên viên",
        "State management, specialist rank",
        None,
        "Decree 101/2017/NĐ-CP; Decree 89/2021/NĐ-CP",
    ),
    seed(
        "QLNN-CVC",
        "Bồi dưỡng QLNN ngạch chuyên viên chính",
        "State management, principal specialist rank",
        None,
        "Decree 101/2017/NĐ-CP; Decree 89/2021/NĐ-CP",
    ),
    seed(
        "QLNN-CVCC",
        "Bồi dưỡng QLNN ngạch chuyên viên cao cấp",
        "State management, senior specialist rank",
        None,
        "Decree 101/2017/NĐ-CP; Decree 89/2021/NĐ-CP",
    ),
    seed("TBN-XA", "Bồi dưỡng lãnh đạo cấp xã", "Commune leaders", None, "Decree 89/2021/NĐ-CP"),
    seed(
        "TBN-PHONG",
        "Bồi dưỡng lãnh đạo, quản lý cấp phòng",
        "Division leaders",
        None,
        "Decree 171/2025/NĐ-CP",
    ),
    seed(
        "TBN-HUYEN",
        "Bồi dưỡng lãnh đạo, quản lý cấp huyện",
        "District leaders (legacy)",
        LAST_DAY_OF_DISTRICTS,
        "Decree 89/2021/NĐ-CP",
    ),
    seed(
        "TBN-SO",
        "Bồi dưỡng lãnh đạo, quản lý cấp sở",
        "Provincial-department leaders",
        None,
        "Decree 89/2021/NĐ-CP",
    ),
    seed(
        "TBN-VU",
        "Bồi dưỡng lãnh đạo, quản lý cấp vụ",
        "Ministry-department leaders",
        None,
        "Decree 89/2021/NĐ-CP",
    ),
    seed(
        "TBN-TT",
        "Bồi dưỡng Thứ trưởng và tương đương",
        "Deputy Ministers",
        None,
        "Decree 101/2017/NĐ-CP",
    ),
    seed(
        "QPAN-1",
        "Bồi dưỡng kiến thức QPAN đối tượng 1",
        "Defence and security, object 1",
        None,
        "Decree 13/2014/NĐ-CP; Decree 139/2020/NĐ-CP",
    ),
    seed(
        "QPAN-2",
        "Bồi dưỡng kiến thức QPAN đối tượng 2",
        "Defence and security, object 2",
        None,
        "Decree 13/2014/NĐ-CP; Decree 139/2020/NĐ-CP",
    ),
    seed(
        "QPAN-3",
        "Bồi dưỡng kiến thức QPAN đối tượng 3",
        "Defence and security, object 3",
        None,
        "Decree 13/2014/NĐ-CP; Decree 139/2020/NĐ-CP",
    ),
    seed(
        "QPAN-4",
        "Bồi dưỡng kiến thức QPAN đối tượng 4",
        "Defence and security, object 4",
        LAST_DAY_OF_DISTRICTS,
        "Decree 13/2014/NĐ-CP; Decree 139/2020/NĐ-CP",
    ),
    seed(
        "CNKT-145-N1",
        "Bồi dưỡng, cập nhật kiến thức, kỹ năng nhóm 1",
        "Leaders' refresher, group 1",
        None,
        "Regulation 145-QĐ/TW",
    ),
    seed(
        "CNKT-145-N2",
        "Bồi dưỡng, cập nhật kiến thức, kỹ năng nhóm 2",
        "Leaders' refresher, group 2",
        None,
        "Regulation 145-QĐ/TW",
    ),
    seed(
        "CNKT-145-N3",
        "Bồi dưỡng, cập nhật kiến thức, kỹ năng nhóm 3",
        "Leaders' refresher, group 3",
        None,
        "Regulation 145-QĐ/TW",
    ),
    seed(
        "CNKT-164-D1",
        "Bồi dưỡng cập nhật kiến thức đối tượng 1 (QĐ 164)",
        "Leaders' refresher, object 1 (legacy)",
        Some(date!(2024 - 05 - 09)),
        "Regulation 164-QĐ/TW",
    ),
    seed(
        "CNKT-164-D2",
        "Bồi dưỡng cập nhật kiến thức đối tượng 2 (QĐ 164)",
        "Leaders' refresher, object 2 (legacy)",
        Some(date!(2024 - 05 - 09)),
        "Regulation 164-QĐ/TW",
    ),
    seed(
        "CNKT-164-D3",
        "Bồi dưỡng cập nhật kiến thức đối tượng 3 (QĐ 164)",
        "Leaders' refresher, object 3 (legacy)",
        Some(date!(2024 - 05 - 09)),
        "Regulation 164-QĐ/TW",
    ),
    seed(
        "CNKT-164-D4",
        "Bồi dưỡng cập nhật kiến thức đối tượng 4 (QĐ 164)",
        "Leaders' refresher, object 4 (legacy)",
        Some(date!(2024 - 05 - 09)),
        "Regulation 164-QĐ/TW",
    ),
    seed(
        "NN-B1",
        "Ngoại ngữ bậc 1",
        "Foreign language, level 1",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed(
        "NN-B2",
        "Ngoại ngữ bậc 2",
        "Foreign language, level 2",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed(
        "NN-B3",
        "Ngoại ngữ bậc 3",
        "Foreign language, level 3",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed(
        "NN-B4",
        "Ngoại ngữ bậc 4",
        "Foreign language, level 4",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed(
        "NN-B5",
        "Ngoại ngữ bậc 5",
        "Foreign language, level 5",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed(
        "NN-B6",
        "Ngoại ngữ bậc 6",
        "Foreign language, level 6",
        None,
        "Circular 01/2014/TT-BGDĐT",
    ),
    seed("TH-CB", "Tin học cơ bản", "Basic IT skills", None, "Circular 03/2014/TT-BTTTT"),
    seed("TH-NC", "Tin học nâng cao", "Advanced IT skills", None, "Circular 03/2014/TT-BTTTT"),
    seed("PL", "Cập nhật kiến thức pháp luật", "Legal update", None, "Decree 171/2025/NĐ-CP"),
    seed(
        "KHCN-CDS",
        "Khoa học công nghệ, đổi mới sáng tạo, kỹ năng số",
        "Science, technology, innovation and digital skills",
        None,
        "Decree 171/2025/NĐ-CP",
    ),
    seed(
        "OVS-SHORT",
        "Bồi dưỡng ở nước ngoài ngắn hạn",
        "Overseas training, short-term",
        None,
        "Conclusion 39-KL/TW",
    ),
    seed(
        "OVS-MID",
        "Bồi dưỡng ở nước ngoài trung hạn",
        "Overseas training, mid-term",
        None,
        "Conclusion 39-KL/TW",
    ),
    seed(
        "OVS-LANG",
        "Bồi dưỡng ngoại ngữ ở nước ngoài",
        "Overseas language training",
        None,
        "Conclusion 39-KL/TW",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_taxonomy_code_parses_into_its_family() {
        for seed in TAXONOMY {
            let code = CategoryCode::parse(seed.code).unwrap();
            assert_eq!(code.as_str(), seed.code);
        }
        assert_eq!(
            CategoryCode::parse("QPAN-3").unwrap().family(),
            CategoryFamily::DefenceSecurity
        );
        assert_eq!(CategoryCode::parse("VTVL-CNTT").unwrap().family(), CategoryFamily::JobPosition);
        assert_eq!(
            CategoryCode::parse("CNKT-145-N3").unwrap().family(),
            CategoryFamily::LeadersRefresher
        );
    }

    #[test]
    fn rejects_codes_of_no_family() {
        assert_eq!(CategoryCode::parse("XYZ-1"), Err(CodeError::UnknownCategoryFamily));
        assert_eq!(CategoryCode::parse("VTVL-"), Err(CodeError::UnknownCategoryFamily));
        assert_eq!(CategoryCode::parse("PLX"), Err(CodeError::UnknownCategoryFamily));
    }

    #[test]
    fn rejects_malformed_codes() {
        for raw in ["", "q", "qlnn-cv", "QLNN CV", "-QLNN", &"A".repeat(33)] {
            assert!(
                matches!(CategoryCode::parse(raw), Err(CodeError::Malformed { .. })),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn only_the_military_certifies_defence_and_security() {
        let qpan3 = CategoryCode::parse("QPAN-3").unwrap();
        assert!(qpan3.deliverable_by(InstitutionKind::MilitarySchool));
        assert!(!qpan3.deliverable_by(InstitutionKind::ProvincialPoliticalSchool));
        let qpan1 = CategoryCode::parse("QPAN-1").unwrap();
        assert!(!qpan1.deliverable_by(InstitutionKind::MilitarySchool));
        assert!(qpan1.deliverable_by(InstitutionKind::DefenceAcademy));
    }

    #[test]
    fn advanced_political_theory_belongs_to_the_academies() {
        let advanced = CategoryCode::parse("LLCT-CAO").unwrap();
        assert!(advanced.deliverable_by(InstitutionKind::NationalAcademy));
        assert!(!advanced.deliverable_by(InstitutionKind::ProvincialPoliticalSchool));
        let intermediate = CategoryCode::parse("LLCT-TRUNG").unwrap();
        assert!(intermediate.deliverable_by(InstitutionKind::ProvincialPoliticalSchool));
    }

    #[test]
    fn regulation_145_groups_one_and_two_are_organised_centrally() {
        let n2 = CategoryCode::parse("CNKT-145-N2").unwrap();
        assert!(!n2.deliverable_by(InstitutionKind::ProvincialPoliticalSchool));
        let n3 = CategoryCode::parse("CNKT-145-N3").unwrap();
        assert!(n3.deliverable_by(InstitutionKind::ProvincialPoliticalSchool));
    }

    #[test]
    fn legal_updates_may_come_from_any_domestic_institution() {
        let law = CategoryCode::parse("PL").unwrap();
        assert!(law.deliverable_by(InstitutionKind::MinistrySchool));
        assert!(!law.deliverable_by(InstitutionKind::ForeignPartner));
    }

    #[test]
    fn retired_categories_end_before_the_reform() {
        let district = TAXONOMY.iter().find(|seed| seed.code == "TBN-HUYEN").unwrap();
        assert_eq!(district.valid_to, Some(date!(2025 - 06 - 30)));
    }
}

/// A new programme, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgram {
    /// Unique code.
    pub code: ProgramCode,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: Option<String>,
    /// Category in the national taxonomy.
    pub category: CategoryCode,
    /// Minimum duration in days that a completion must reach.
    pub min_days: u16,
    /// Minimum number of periods (tiết), if the programme counts them.
    pub min_periods: Option<u16>,
    /// Periods per day: 8 for state programmes (Decree 101/2017), 10 for Party programmes
    /// (two sessions of 5, Guidance 61-HD/BTGTW).
    pub periods_per_day: u8,
}

/// A programme as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgramDraft {
    /// Unique code, upper case.
    #[cfg_attr(feature = "openapi", schema(example = "QLNN-CV-2024"))]
    pub code: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: Option<String>,
    /// Category code from the national taxonomy.
    #[cfg_attr(feature = "openapi", schema(example = "QLNN-CV"))]
    pub category_code: String,
    /// Minimum duration in days, 0–1500.
    pub min_days: u16,
    /// Minimum number of periods, if counted.
    pub min_periods: Option<u16>,
    /// Periods per day, 1–12; 8 when absent.
    pub periods_per_day: Option<u8>,
}

impl ProgramDraft {
    /// Validates every field.
    pub fn parse(self) -> Result<NewProgram, crate::Invalid> {
        use crate::Violation;
        let mut v = crate::Validator::default();
        let code = v.check("code", ProgramCode::parse(&self.code));
        let title_vi = v.check("title_vi", crate::validation::text(&self.title_vi, 300));
        let title_en = v.check_optional("title_en", self.title_en.as_deref(), |raw| {
            crate::validation::text(raw, 300)
        });
        let category = v.check("category_code", CategoryCode::parse(&self.category_code));
        if self.min_days > 1500 {
            v.reject("min_days", Violation::OutOfRange { min: 0, max: 1500 });
        }
        if self.min_periods.is_some_and(|periods| periods > 12_000) {
            v.reject("min_periods", Violation::OutOfRange { min: 0, max: 12_000 });
        }
        let periods_per_day = self.periods_per_day.unwrap_or(8);
        if !(1..=12).contains(&periods_per_day) {
            v.reject("periods_per_day", Violation::OutOfRange { min: 1, max: 12 });
        }
        let (Some(code), Some(title_vi), Some(title_en), Some(category)) =
            (code, title_vi, title_en, category)
        else {
            return Err(v.into_invalid());
        };
        v.finish(NewProgram {
            code,
            title_vi,
            title_en,
            category,
            min_days: self.min_days,
            min_periods: self.min_periods,
            periods_per_day,
        })
    }
}

/// A new class, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClass {
    /// The institution's own code for the class, unique per institution.
    pub code: ProgramCode,
    /// First and last day of teaching.
    pub span: crate::DateSpan,
    /// Where it is taught.
    pub place: Option<String>,
    /// How it is taught.
    pub mode: StudyMode,
    /// Number of seats.
    pub seats: Option<u16>,
}

/// A class as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClassDraft {
    /// The institution that teaches it.
    pub institution_id: crate::InstitutionId,
    /// The programme taught.
    pub program_id: crate::ProgramId,
    /// The institution's own code for the class.
    #[cfg_attr(feature = "openapi", schema(example = "K12-2025"))]
    pub code: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Where it is taught.
    pub place: Option<String>,
    /// How it is taught.
    pub mode: StudyMode,
    /// Number of seats, 1–5000.
    pub seats: Option<u16>,
}

impl ClassDraft {
    /// Validates every field.
    pub fn parse(&self) -> Result<NewClass, crate::Invalid> {
        let mut v = crate::Validator::default();
        let code = v.check("code", ProgramCode::parse(&self.code));
        let span = crate::DateSpan::check_fields(
            &mut v,
            ("starts_on", self.starts_on),
            ("ends_on", self.ends_on),
        );
        let place = v.check_optional("place", self.place.as_deref(), |raw| {
            crate::validation::text(raw, 200)
        });
        if self.seats.is_some_and(|seats| !(1..=5000).contains(&seats)) {
            v.reject("seats", crate::Violation::OutOfRange { min: 1, max: 5000 });
        }
        let (Some(code), Some(span), Some(place)) = (code, span, place) else {
            return Err(v.into_invalid());
        };
        v.finish(NewClass { code, span, place, mode: self.mode, seats: self.seats })
    }
}
