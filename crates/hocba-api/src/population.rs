//! `hocba demo generate`: a synthetic civil service worth reporting on, written straight into
//! the registry's database.
//!
//! Every person is made up (names put together from common Vietnamese names, national ID
//! numbers valid in form but built from a serial), and everything is drawn from a random
//! generator seeded by `--seed` and the official's position, so the same seed gives the same
//! people, posts and training whatever the size of the transactions. What the registry makes
//! itself (ids, certificate numbers, signatures, timestamps) it makes as it always does.
//!
//! # Proportions
//!
//! Tags as in DOMAIN.md: [M] a published figure from memory, not re-read; [A] our choice.
//!
//! | what | drawn as | source |
//! |---|---|---|
//! | administrative level | central 12 %, provincial 38 %, commune 50 % | [A] commune staff are the largest body of cadres and civil servants since the 2025 reform |
//! | province | Hà Nội 10 %, Hồ Chí Minh City 12 %, the other 32 provinces alike | [A] |
//! | communes | up to 100 per province (3,400 at 1,000,000 officials; 3,321 in law since 2025-07-01) | [M] Resolution 1211/2016 and the 2025 resolutions on commune units |
//! | sex | women 45 % | [M] MOHA reports women at about 40-50 % of cadres, civil servants and public employees |
//! | ethnicity | Kinh 85 %, minorities 13 % (Tày, Thái, Mường, Khmer, Hmông, Nùng, Dao, Hoa, Gia Rai, Ê Đê), unknown 2 % | [M] 2019 census: Kinh 85.3 % of the population |
//! | age | 23-62, most between 30 and 55 (bands of 12, 14, 16, 16, 15, 14, 13 % from 23) | [A]; retirement at 62 (men) and 60 (women) by 2028, Decree 135/2020 [M] |
//! | rank | cán sự 8 %, chuyên viên 62 %, chuyên viên chính 25 %, chuyên viên cao cấp 5 % (leaders a rank higher); 10 % of commune staff elected, without a rank | [A] |
//! | leadership | division 15 % (central and provincial staff), ministry department 3 % (central), provincial department 1.5 % (provincial), Deputy Minister 0.05 % (central), commune leaders 6 % (commune) | [A] |
//! | Regulation 145 group | Deputy Ministers N2, every other leader N3 | DOMAIN.md §2 [R] |
//! | training | the certificates of the rank and of the post, most before or within a year of appointment (85-90 %), the Regulation 145 refresher of the term (70 %), then legal updates, digital skills, IT and languages, about `--completions` a person over ten years | [A] from DOMAIN.md §3-6 |
//! | certificates | 0.5 % revoked (issued in error, fraud, withdrawn), 1 % corrected by the institution (superseded) | [A] |

use std::collections::HashSet;

use crate::AppState;
use futures_util::{StreamExt, stream};
use hocba_domain::{
    AdministrativeLevel, Agency, AgencyCode, EmploymentDraft, Gender, InstitutionDraft,
    InstitutionId, InstitutionKind, LeadershipGroup, LeadershipLevel, NationalId, OfficialDraft,
    Outcome, ProgramDraft, ProgramId, RevocationReason, ScopeDraft, Validity,
};
use hocba_store::{
    Actor, AgencyQuery, Fate, GeneratedCompletion, GeneratedOfficial, PageRequest, StoreError,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::macros::date;
use time::{Date, Duration};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many officials.
    pub officials: u32,
    /// The seed: the same seed gives the same population.
    pub seed: u64,
    /// Completions a person on average, over ten years.
    pub completions: u32,
    /// The day the population is as of: its ten years end the day before.
    pub today: Date,
    /// Officials written per transaction.
    pub batch: usize,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Officials.
    pub officials: u64,
    /// Employment periods.
    pub employments: u64,
    /// Completions (corrections included).
    pub completions: u64,
    /// Certificates.
    pub certificates: u64,
    /// Revocations.
    pub revocations: u64,
    /// Communes added to the directory.
    pub communes: u64,
    /// The officials' ids, in the order generated.
    pub ids: Vec<hocba_domain::OfficialId>,
}

/// An institution of the generated catalogue: code, name, kind, parent authority, categories.
type InstitutionSpec = (String, String, InstitutionKind, &'static str, &'static [&'static str]);

const HCMA: &[&str] = &[
    "LLCT-CAO",
    "LLCT-TRUNG",
    "QLNN-CVC",
    "QLNN-CVCC",
    "TBN-SO",
    "TBN-VU",
    "TBN-TT",
    "CNKT-145-N1",
    "CNKT-145-N2",
    "CNKT-145-N3",
    "CNKT-164-D1",
    "CNKT-164-D2",
    "CNKT-164-D3",
];
const REGIONAL: &[&str] = &["LLCT-CAO", "LLCT-TRUNG", "CNKT-145-N3", "CNKT-164-D3"];
const PROVINCIAL: &[&str] = &[
    "LLCT-SO",
    "LLCT-TRUNG",
    "QLNN-CV",
    "QLNN-CVC",
    "TBN-PHONG",
    "TBN-XA",
    "TBN-SO",
    "CNKT-145-N3",
    "CNKT-164-D3",
    "CNKT-164-D4",
    "PL",
    "KHCN-CDS",
];
const MINISTRY_SCHOOL: &[&str] =
    &["QLNN-CV", "QLNN-CVC", "QLNN-CVCC", "TBN-PHONG", "PL", "KHCN-CDS"];
const DEFENCE: &[&str] = &["QPAN-1", "QPAN-2"];
const MILITARY: &[&str] = &["QPAN-2", "QPAN-3", "QPAN-4"];
const TESTING: &[&str] = &["NN-B1", "NN-B2", "NN-B3", "TH-CB", "TH-NC"];
const REGIONAL_ACADEMIES: [&str; 4] = ["HVCTKV1", "HVCTKV2", "HVCTKV3", "HVCTKV4"];
const MILITARY_SCHOOLS: [&str; 4] = ["TQS-QK1", "TQS-QK4", "TQS-QK7", "TQS-BTLTD"];
const TESTING_CENTRES: [&str; 2] = ["TTKT-DHQGHN", "TTKT-DHQGHCM"];

/// (category, fewest days, most days): the programme's minimum is the fewest (DOMAIN.md §3-6
/// and §11a: durations of Decree 89/2021 and of the classes cited there).
const DURATIONS: &[(&str, u16, u16)] = &[
    ("LLCT-SO", 20, 30),
    ("LLCT-TRUNG", 120, 160),
    ("LLCT-CAO", 200, 240),
    ("QLNN-CV", 15, 20),
    ("QLNN-CVC", 25, 30),
    ("QLNN-CVCC", 35, 40),
    ("TBN-XA", 5, 7),
    ("TBN-PHONG", 10, 20),
    ("TBN-SO", 10, 15),
    ("TBN-VU", 10, 15),
    ("TBN-TT", 10, 15),
    ("QPAN-1", 30, 35),
    ("QPAN-2", 20, 25),
    ("QPAN-3", 12, 12),
    ("QPAN-4", 5, 7),
    ("CNKT-145-N1", 3, 5),
    ("CNKT-145-N2", 5, 7),
    ("CNKT-145-N3", 7, 10),
    ("CNKT-164-D1", 5, 10),
    ("CNKT-164-D2", 5, 10),
    ("CNKT-164-D3", 5, 10),
    ("CNKT-164-D4", 5, 10),
    ("NN-B1", 20, 40),
    ("NN-B2", 20, 40),
    ("NN-B3", 30, 60),
    ("TH-CB", 5, 10),
    ("TH-NC", 10, 15),
    ("PL", 1, 3),
    ("KHCN-CDS", 2, 5),
];

/// Family names with their share in ‰ ([M] the commonly cited shares: Nguyễn 38 %, Trần 11 %…).
const FAMILY: [(&str, u32); 14] = [
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 51),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 30),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
];
const MIDDLE_MALE: [&str; 8] = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Công", "Xuân"];
const MIDDLE_FEMALE: [&str; 8] = ["Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Kim", "Phương"];
const GIVEN_MALE: [&str; 16] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong",
    "Quân", "Sơn", "Thắng", "Tuấn",
];
const GIVEN_FEMALE: [&str; 16] = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
    "Nhung", "Phương", "Thảo", "Trang",
];
/// Ethnic groups of the GSO list other than Kinh (01), with their weight among minorities.
const MINORITIES: [(u8, u32); 10] =
    [(2, 18), (3, 18), (6, 14), (5, 12), (8, 10), (7, 9), (9, 7), (4, 5), (10, 4), (11, 3)];
/// Provinces of birth registration (DOMAIN.md §7), without 001 and 035: the demo's own
/// officials and the documentation's examples use those, and generated numbers must not clash.
const BIRTH_PROVINCES: [u16; 18] =
    [2, 4, 8, 19, 22, 24, 26, 27, 30, 31, 33, 36, 38, 40, 42, 79, 82, 92];
/// A national ID number's serial has six digits, so each million officials of a seed is born
/// in provinces of its own (every second province for two million, every third for three...).
const SERIALS: u32 = 1_000_000;
/// The most officials a seed can have: a million for each province of birth.
pub const MAX_OFFICIALS: u32 = SERIALS * BIRTH_PROVINCES.len() as u32;

/// Where official `n` of `officials` may be born: each million has provinces of its own, so
/// that officials with the same serial never share a number.
fn birth_provinces(officials: u32, n: u32) -> Vec<u16> {
    let millions = officials.div_ceil(SERIALS).max(1) as usize;
    BIRTH_PROVINCES.iter().copied().skip((n / SERIALS) as usize).step_by(millions).collect()
}

/// The last six digits of official `n`'s national ID number: a bijection of each million.
fn serial(seed: u64, n: u32) -> u64 {
    (u64::from(n % SERIALS) * 7919 + seed % u64::from(SERIALS)) % u64::from(SERIALS)
}

/// The registry's directory as the generator uses it.
struct Directory {
    central: Vec<Agency>,
    /// Provinces in force on `today`, each with its departments.
    provinces: Vec<(Agency, Vec<Agency>)>,
    /// Provinces (and departments) of any time, for earlier periods.
    all_provincial: Vec<Agency>,
    /// Communes of each province, in the order of `provinces`.
    communes: Vec<Vec<Agency>>,
}

/// The catalogue as the generator uses it: per category, its programme and the institutions
/// that may teach it (by code).
struct Catalogue {
    programs: Vec<(String, ProgramId, u16, u16, Validity)>,
    institutions: Vec<(String, InstitutionId)>,
}

impl Catalogue {
    fn program(&self, category: &str) -> Option<&(String, ProgramId, u16, u16, Validity)> {
        self.programs.iter().find(|(code, ..)| code == category)
    }

    fn institution(&self, code: &str) -> Option<InstitutionId> {
        self.institutions.iter().find(|(known, _)| known == code).map(|(_, id)| *id)
    }
}

/// Why a population could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The registry refused a write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A generated value, or the registry's directory or catalogue, did not fit (a bug of the
    /// generator, or a registry it was not made for).
    #[error("{0}")]
    Refused(String),
}

fn refused(error: impl std::fmt::Debug) -> GenerateError {
    GenerateError::Refused(format!("{error:?}"))
}

/// Writes the population, calling `on_written` with the number of officials written after
/// each transaction; returns what was written.
pub async fn generate(
    app: &AppState,
    options: &Options,
    mut on_written: impl FnMut(u64),
) -> Result<Summary, GenerateError> {
    if options.officials > MAX_OFFICIALS {
        return Err(GenerateError::Refused(format!(
            "at most {MAX_OFFICIALS} officials a seed (their national ID numbers are built from a serial)"
        )));
    }
    let mut summary = Summary::default();
    let directory = directory(app, options, &mut summary).await?;
    let catalogue = catalogue(app, &directory).await?;
    // On PostgreSQL one batch's rows are inserted while the next one's certificates are signed.
    let at_once = if app.store.writes_side_by_side() { 2 } else { 1 };
    let batches = (0..options.officials)
        .step_by(options.batch.max(1))
        .map(|start| start..options.officials.min(start.saturating_add(options.batch as u32)));
    let (directory, catalogue) = (&directory, &catalogue);
    let mut writes = stream::iter(batches)
        .map(|batch| async move {
            let people = batch
                .clone()
                .map(|n| official(options, n, directory, catalogue))
                .collect::<Result<Vec<_>, GenerateError>>()?;
            let written = crate::write_population(app, &Actor::System, &people)
                .await
                .map_err(|error| GenerateError::Refused(error.to_string()))?;
            Ok::<_, GenerateError>((batch.end, written))
        })
        .buffered(at_once);
    while let Some(outcome) = writes.next().await {
        let (end, written) = outcome?;
        summary.officials += written.officials.len() as u64;
        summary.employments += written.employments;
        summary.completions += written.completions;
        summary.certificates += written.certificates;
        summary.revocations += written.revocations;
        summary.ids.extend(written.officials);
        on_written(u64::from(end));
    }
    Ok(summary)
}

/// Whether the population of `options` is already in the registry (its first official is).
pub async fn already_generated(app: &AppState, options: &Options) -> Result<bool, GenerateError> {
    let (draft, _) = person(options, 0);
    let national_id = NationalId::parse_format(&draft.national_id).map_err(refused)?;
    Ok(app.store.official_id_by_national_id(&national_id).await?.is_some())
}

/// Reads the directory, adding the communes the population needs: up to 100 per province.
async fn directory(
    app: &AppState,
    options: &Options,
    summary: &mut Summary,
) -> Result<Directory, GenerateError> {
    let store = &app.store;
    let all = store.agencies(&AgencyQuery::default()).await?;
    let today = options.today;
    let in_force = |agency: &&Agency| agency.validity.covers(today);
    let central: Vec<Agency> = all
        .iter()
        .filter(|a| a.level == AdministrativeLevel::Central && a.parent.is_none())
        .cloned()
        .collect();
    let top_provinces: Vec<Agency> = all
        .iter()
        .filter(|a| a.level == AdministrativeLevel::Province && a.parent.is_none())
        .filter(in_force)
        .cloned()
        .collect();
    let all_provincial: Vec<Agency> =
        all.iter().filter(|a| a.level == AdministrativeLevel::Province).cloned().collect();
    let per_province = (options.officials / 10_000).clamp(1, 100);
    let mut provinces = Vec::new();
    let mut communes = Vec::new();
    for province in top_provinces {
        let departments: Vec<Agency> = all
            .iter()
            .filter(|a| a.level == AdministrativeLevel::Province)
            .filter(|a| is_below(&all, a, &province.code))
            .filter(in_force)
            .cloned()
            .collect();
        let mut own = Vec::new();
        for k in 1..=per_province {
            let code = AgencyCode::parse(&format!("{}.X{k:03}", province.code.as_str()))
                .map_err(refused)?;
            let place = province.name.trim_start_matches("Ủy ban nhân dân ");
            let commune = Agency {
                code: code.clone(),
                name: format!("Ủy ban nhân dân xã mẫu số {k} ({place})"),
                parent: Some(province.code.clone()),
                level: AdministrativeLevel::Commune,
                validity: Validity::new(date!(2025 - 07 - 01), None).map_err(refused)?,
            };
            match all.iter().find(|a| a.code == code) {
                Some(known) => own.push(known.clone()),
                None => {
                    own.push(store.create_agency(&Actor::System, commune).await?);
                    summary.communes += 1;
                }
            }
        }
        provinces.push((province, departments));
        communes.push(own);
    }
    if provinces.is_empty() || central.is_empty() {
        return Err(GenerateError::Refused(
            "the agency directory holds no provinces or no central agencies".to_owned(),
        ));
    }
    Ok(Directory { central, provinces, all_provincial, communes })
}

/// Whether `agency` is `root` or below it.
fn is_below(all: &[Agency], agency: &Agency, root: &AgencyCode) -> bool {
    let mut current = Some(agency);
    for _ in 0..16 {
        match current {
            Some(a) if a.code == *root => return true,
            Some(a) => current = a.parent.as_ref().and_then(|p| all.iter().find(|x| &x.code == p)),
            None => return false,
        }
    }
    false
}

/// The institutions and programmes the population is trained by, created when missing (an
/// institution already registered gets the scopes it lacks).
async fn catalogue(app: &AppState, directory: &Directory) -> Result<Catalogue, GenerateError> {
    let store = &app.store;
    let actor = Actor::System;
    let mut specs: Vec<InstitutionSpec> = vec![
        (
            "HVCTQG".into(),
            "Học viện Chính trị quốc gia Hồ Chí Minh".into(),
            InstitutionKind::NationalAcademy,
            "Ban Chấp hành Trung ương",
            HCMA,
        ),
        (
            "TBD-BNV".into(),
            "Trường Bồi dưỡng cán bộ, công chức Bộ Nội vụ".into(),
            InstitutionKind::MinistrySchool,
            "Bộ Nội vụ",
            MINISTRY_SCHOOL,
        ),
        (
            "HVQP".into(),
            "Học viện Quốc phòng".into(),
            InstitutionKind::DefenceAcademy,
            "Bộ Quốc phòng",
            DEFENCE,
        ),
    ];
    for (k, code) in REGIONAL_ACADEMIES.iter().enumerate() {
        let name = format!("Học viện Chính trị khu vực {}", ["I", "II", "III", "IV"][k]);
        specs.push((
            (*code).into(),
            name,
            InstitutionKind::RegionalAcademy,
            "Học viện Chính trị quốc gia Hồ Chí Minh",
            REGIONAL,
        ));
    }
    for (code, name) in MILITARY_SCHOOLS.iter().zip([
        "Trường Quân sự Quân khu 1",
        "Trường Quân sự Quân khu 4",
        "Trường Quân sự Quân khu 7",
        "Trường Quân sự Bộ Tư lệnh Thủ đô Hà Nội",
    ]) {
        specs.push((
            (*code).into(),
            name.into(),
            InstitutionKind::MilitarySchool,
            "Bộ Quốc phòng",
            MILITARY,
        ));
    }
    for (code, name) in TESTING_CENTRES.iter().zip([
        "Trung tâm Khảo thí, Đại học Quốc gia Hà Nội",
        "Trung tâm Khảo thí, Đại học Quốc gia Thành phố Hồ Chí Minh",
    ]) {
        specs.push((
            (*code).into(),
            name.into(),
            InstitutionKind::TestingCentre,
            "Bộ Giáo dục và Đào tạo",
            TESTING,
        ));
    }
    for (province, _) in &directory.provinces {
        let place = province.name.trim_start_matches("Ủy ban nhân dân ");
        specs.push((
            school_of(province),
            format!("Trường Chính trị {place}"),
            InstitutionKind::ProvincialPoliticalSchool,
            "Tỉnh ủy",
            PROVINCIAL,
        ));
    }
    let mut existing = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_institutions(PageRequest { after, limit: 500 }).await?;
        existing.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut institutions = Vec::new();
    for (code, name, kind, parent, categories) in specs {
        let institution = match existing.iter().find(|i| i.code.as_str() == code) {
            Some(found) => found.clone(),
            None => {
                let draft = InstitutionDraft {
                    code: code.clone(),
                    name,
                    kind,
                    parent_authority: Some(parent.to_owned()),
                };
                store.create_institution(&actor, draft.parse().map_err(refused)?).await?
            }
        };
        for category in categories {
            let held = institution.scopes.iter().any(|s| s.scope.category.as_str() == *category);
            if held {
                continue;
            }
            let scope = ScopeDraft {
                category_code: (*category).to_owned(),
                valid_from: date!(2015 - 01 - 01),
                valid_to: None,
                decision: Some("Quyết định công nhận (dữ liệu mẫu)".to_owned()),
            };
            store
                .add_scope(&actor, institution.id, scope.parse(institution.kind).map_err(refused)?)
                .await?;
        }
        institutions.push((code, institution.id));
    }
    let categories = store.categories().await?;
    let mut programs = Vec::new();
    let mut known = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_programs(None, PageRequest { after, limit: 500 }).await?;
        known.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for (category, fewest, most) in DURATIONS {
        let Some(found) = categories.iter().find(|c| c.code.as_str() == *category) else {
            continue;
        };
        let code = format!("{category}-CT");
        let id = match known.iter().find(|p| p.program.code.as_str() == code) {
            Some(program) => program.id,
            None => {
                let draft = ProgramDraft {
                    code,
                    title_vi: found.title_vi.clone(),
                    title_en: Some(found.title_en.clone()),
                    category_code: (*category).to_owned(),
                    min_days: *fewest,
                    min_periods: None,
                    periods_per_day: Some(8),
                };
                match store.create_program(&actor, draft.parse().map_err(refused)?).await {
                    Ok(program) => program.id,
                    Err(StoreError::Conflict { .. }) => {
                        return Err(GenerateError::Refused(format!(
                            "programme {category}-CT exists twice"
                        )));
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        };
        programs.push(((*category).to_owned(), id, *fewest, *most, found.validity));
    }
    Ok(Catalogue { programs, institutions })
}

fn school_of(province: &Agency) -> String {
    format!("TCT-{}", province.code.as_str())
}

/// Picks an index by weights.
fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, weight)| weight).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if pick < *weight {
            return *item;
        }
        pick -= weight;
    }
    items[0].0
}

fn chance(rng: &mut StdRng, per_mille: u32) -> bool {
    rng.random_range(0..1000) < per_mille
}

fn day_between(rng: &mut StdRng, from: Date, to: Date) -> Date {
    let days = (to - from).whole_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

/// The random generator of official `n`: independent of the others, so a population is the
/// same whatever the batch size.
fn rng_of(seed: u64, n: u32) -> StdRng {
    // SplitMix64 of (seed, n): neighbouring officials get unrelated streams.
    let mut z = seed ^ (u64::from(n).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// Who official `n` is: name, birth, sex, ethnicity and national ID (employment left to
/// [`official`]), with the generator positioned after them.
fn person(options: &Options, n: u32) -> (OfficialDraft, StdRng) {
    let mut rng = rng_of(options.seed, n);
    let gender = if chance(&mut rng, 450) { Gender::Female } else { Gender::Male };
    let family = weighted(&mut rng, &FAMILY);
    let (middle, given) = match gender {
        Gender::Female => (MIDDLE_FEMALE, GIVEN_FEMALE),
        _ => (MIDDLE_MALE, GIVEN_MALE),
    };
    let full_name = format!(
        "{family} {} {}",
        middle[rng.random_range(0..middle.len())],
        given[rng.random_range(0..given.len())]
    );
    let band = weighted(
        &mut rng,
        &[
            ((23, 29), 12),
            ((30, 34), 14),
            ((35, 39), 16),
            ((40, 44), 16),
            ((45, 49), 15),
            ((50, 54), 14),
            ((55, 59), 13),
        ],
    );
    let retirement = if gender == Gender::Female { 59 } else { 61 };
    let age = rng.random_range(band.0..=band.1.min(retirement));
    let born_by = options.today - Duration::days(365 * i64::from(age));
    let date_of_birth = day_between(&mut rng, born_by - Duration::days(364), born_by);
    let ethnicity_code = match rng.random_range(0..100) {
        0..85 => Some(1),
        85..98 => Some(weighted(&mut rng, &MINORITIES)),
        _ => None,
    };
    let provinces = birth_provinces(options.officials, n);
    let province = provinces[rng.random_range(0..provinces.len())];
    let year = date_of_birth.year();
    let century_sex = (year - 1900) / 100 * 2 + i32::from(gender == Gender::Female);
    let serial = serial(options.seed, n);
    let national_id = format!("{province:03}{century_sex}{:02}{serial:06}", year % 100);
    let placeholder = EmploymentDraft {
        agency_code: String::new(),
        agency_name: String::new(),
        level: AdministrativeLevel::Central,
        rank_code: None,
        position_title: None,
        leadership_level: None,
        leadership_group: None,
        valid_from: options.today,
        valid_to: None,
    };
    let draft = OfficialDraft {
        national_id,
        full_name,
        date_of_birth,
        gender,
        ethnicity_code,
        employment: placeholder,
    };
    (draft, rng)
}

/// Where an official works now.
struct Post {
    agency: Agency,
    /// Index of the home province in the directory.
    province: usize,
    rank: Option<&'static str>,
    leadership: Option<(LeadershipLevel, &'static str)>,
}

fn post(rng: &mut StdRng, directory: &Directory) -> Post {
    let provinces = directory.provinces.len();
    let province = match rng.random_range(0..100) {
        0..10 => directory.provinces.iter().position(|(p, _)| p.code.as_str() == "T01"),
        10..22 => directory.provinces.iter().position(|(p, _)| p.code.as_str() == "T79"),
        _ => None,
    }
    .unwrap_or_else(|| rng.random_range(0..provinces));
    let level = match rng.random_range(0..100) {
        0..12 => AdministrativeLevel::Central,
        12..50 => AdministrativeLevel::Province,
        _ => AdministrativeLevel::Commune,
    };
    let (agency, leadership) = match level {
        AdministrativeLevel::Central => {
            let in_force: Vec<&Agency> =
                directory.central.iter().filter(|a| a.validity.to.is_none()).collect();
            let agency = in_force[rng.random_range(0..in_force.len())].clone();
            let leadership = match rng.random_range(0..10_000) {
                0..5 => Some((LeadershipLevel::DeputyMinister, "Thứ trưởng")),
                5..305 => Some((LeadershipLevel::MinistryDepartment, "Vụ trưởng")),
                305..1805 => Some((LeadershipLevel::Division, "Trưởng phòng")),
                _ => None,
            };
            (agency, leadership)
        }
        AdministrativeLevel::Province => {
            let (top, departments) = &directory.provinces[province];
            let agency = if !departments.is_empty() && chance(rng, 700) {
                departments[rng.random_range(0..departments.len())].clone()
            } else {
                top.clone()
            };
            let leadership = match rng.random_range(0..1000) {
                0..15 => Some((LeadershipLevel::ProvincialDepartment, "Giám đốc Sở")),
                15..165 => Some((LeadershipLevel::Division, "Trưởng phòng")),
                _ => None,
            };
            (agency, leadership)
        }
        _ => {
            let communes = &directory.communes[province];
            let agency = communes[rng.random_range(0..communes.len())].clone();
            let leadership = chance(rng, 60)
                .then_some((LeadershipLevel::Commune, "Chủ tịch Ủy ban nhân dân xã"));
            (agency, leadership)
        }
    };
    let deputy = chance(rng, 600);
    let leadership = leadership.map(|(level, title)| {
        let title = match (deputy, title) {
            (true, "Thứ trưởng") => "Thứ trưởng",
            (true, "Vụ trưởng") => "Phó Vụ trưởng",
            (true, "Trưởng phòng") => "Phó Trưởng phòng",
            (true, "Giám đốc Sở") => "Phó Giám đốc Sở",
            (true, _) => "Phó Chủ tịch Ủy ban nhân dân xã",
            (false, title) => title,
        };
        (level, title)
    });
    let elected = level == AdministrativeLevel::Commune && chance(rng, 100);
    let rank = if elected {
        None
    } else {
        let mut rank = weighted(rng, &[(0usize, 80), (1, 620), (2, 250), (3, 50)]);
        if leadership.is_some() {
            rank = (rank + 1).min(3);
        }
        if matches!(
            leadership,
            Some((LeadershipLevel::DeputyMinister | LeadershipLevel::MinistryDepartment, _))
        ) {
            rank = 3;
        }
        Some(["01.004", "01.003", "01.002", "01.001"][rank])
    };
    Post { agency, province, rank, leadership }
}

fn employment(
    agency: &Agency,
    post: &Post,
    from: Date,
    to: Option<Date>,
    lead: bool,
) -> EmploymentDraft {
    let leadership = post.leadership.filter(|_| lead);
    EmploymentDraft {
        agency_code: agency.code.as_str().to_owned(),
        agency_name: agency.name.clone(),
        level: agency.level,
        rank_code: post.rank.map(str::to_owned),
        position_title: leadership.map(|(_, title)| title.to_owned()),
        leadership_level: leadership.map(|(level, _)| level),
        leadership_group: leadership.map(|(level, _)| match level {
            LeadershipLevel::DeputyMinister => LeadershipGroup::N2,
            _ => LeadershipGroup::N3,
        }),
        valid_from: from,
        valid_to: to,
    }
}

/// Official `n`: the person, their periods and their training.
fn official(
    options: &Options,
    n: u32,
    directory: &Directory,
    catalogue: &Catalogue,
) -> Result<GeneratedOfficial, GenerateError> {
    let (mut draft, mut rng) = person(options, n);
    let today = options.today;
    let post = post(&mut rng, directory);
    // Entered the service at 22-30, not before the directory's agencies existed.
    let entered = (draft.date_of_birth + Duration::days(365 * rng.random_range(22..=30)))
        .max(date!(1990 - 01 - 01))
        .min(today - Duration::days(60));
    let current_from = if post.agency.level == AdministrativeLevel::Commune {
        post.agency.validity.from.max(entered)
    } else {
        let earliest = entered.max(today - Duration::days(365 * 12)).max(post.agency.validity.from);
        day_between(&mut rng, earliest, today - Duration::days(30))
    };
    let mut earlier = Vec::new();
    if current_from - entered > Duration::days(365) {
        let span =
            Validity::new(entered, Some(current_from - Duration::days(1))).map_err(refused)?;
        let candidates: Vec<&Agency> = match post.agency.level {
            AdministrativeLevel::Central => directory.central.iter().collect(),
            _ => directory.all_provincial.iter().collect(),
        };
        let fitting: Vec<&&Agency> = candidates
            .iter()
            .filter(|a| a.in_force_throughout(&span) && a.code != post.agency.code)
            .collect();
        if !fitting.is_empty() {
            let agency = fitting[rng.random_range(0..fitting.len())];
            let lower = Post {
                agency: (*agency).clone(),
                province: post.province,
                rank: post.rank.map(|rank| match rank {
                    "01.001" => "01.002",
                    "01.002" => "01.003",
                    other => other,
                }),
                leadership: None,
            };
            earlier.push(
                employment(agency, &lower, span.from, span.to, false).parse().map_err(
                    |invalid| GenerateError::Refused(format!("official {n}: {invalid:?}")),
                )?,
            );
        }
    }
    draft.employment = employment(&post.agency, &post, current_from, None, true);
    let new = draft
        .parse(today)
        .map_err(|invalid| GenerateError::Refused(format!("official {n}: {invalid:?}")))?;
    let completions = training(&mut rng, options, &post, entered, current_from, catalogue);
    Ok(GeneratedOfficial { official: new, earlier, completions })
}

/// The training of an official over the ten years before `today`.
fn training(
    rng: &mut StdRng,
    options: &Options,
    post: &Post,
    entered: Date,
    appointed: Date,
    catalogue: &Catalogue,
) -> Vec<GeneratedCompletion> {
    let today = options.today;
    let window = (today - Duration::days(3652)).max(entered);
    let last = today - Duration::days(1);
    let province = &directory_school(post);
    let regional = REGIONAL_ACADEMIES[post.province % REGIONAL_ACADEMIES.len()];
    let military = MILITARY_SCHOOLS[post.province % MILITARY_SCHOOLS.len()];
    let testing = TESTING_CENTRES[post.province % TESTING_CENTRES.len()];
    let central = post.agency.level == AdministrativeLevel::Central;
    let school = if central { "TBD-BNV" } else { province.as_str() };
    // (category, institution, earliest end, latest end)
    let mut wanted: Vec<(&str, String, Date, Date)> = Vec::new();
    if let Some(rank) = post.rank {
        let category = match rank {
            "01.001" => "QLNN-CVCC",
            "01.002" => "QLNN-CVC",
            _ => "QLNN-CV",
        };
        let institution = if category == "QLNN-CVCC" { "HVCTQG" } else { school };
        if chance(rng, 900) {
            wanted.push((category, institution.to_owned(), window, last));
        }
        if rank == "01.001" && chance(rng, 850) {
            wanted.push(("LLCT-CAO", regional.to_owned(), window, last));
        }
    }
    if let Some((level, _)) = post.leadership {
        let around = (appointed - Duration::days(365)).max(window);
        let within = (appointed + Duration::days(330)).min(last);
        let (programme, institution, theory, defence) = match level {
            LeadershipLevel::DeputyMinister => {
                ("TBN-TT", "HVCTQG", "LLCT-CAO", Some(("QPAN-1", "HVQP")))
            }
            LeadershipLevel::MinistryDepartment => {
                ("TBN-VU", "HVCTQG", "LLCT-CAO", Some(("QPAN-2", "HVQP")))
            }
            LeadershipLevel::ProvincialDepartment => {
                ("TBN-SO", school, "LLCT-CAO", Some(("QPAN-2", military)))
            }
            LeadershipLevel::Division => {
                ("TBN-PHONG", school, "LLCT-TRUNG", Some(("QPAN-3", military)))
            }
            _ => ("TBN-XA", province.as_str(), "LLCT-TRUNG", Some(("QPAN-3", military))),
        };
        if chance(rng, 850) && around <= within {
            wanted.push((programme, institution.to_owned(), around, within));
        }
        if chance(rng, 880) {
            let at = if theory == "LLCT-CAO" { regional } else { province.as_str() };
            wanted.push((theory, at.to_owned(), window, last));
        }
        if let Some((category, at)) = defence
            && chance(rng, 800)
        {
            wanted.push((category, at.to_owned(), window, last));
        }
        // Regulation 145: this term's refresher (from 2025-01-01), and Regulation 164's before.
        let (refresher, refresher_at) = match level {
            LeadershipLevel::DeputyMinister => ("CNKT-145-N2", "HVCTQG"),
            _ => ("CNKT-145-N3", regional),
        };
        if chance(rng, 700) {
            wanted.push((
                refresher,
                refresher_at.to_owned(),
                date!(2025 - 01 - 01).max(window),
                last,
            ));
        }
        if chance(rng, 600) {
            wanted.push(("CNKT-164-D3", regional.to_owned(), window, date!(2024 - 05 - 09)));
        }
    }
    let required = wanted.len() as u32;
    // The rest: legal updates most, then digital skills, IT and languages.
    let extra_mean = options.completions.saturating_sub(required.min(options.completions));
    let extra = if extra_mean == 0 { 0 } else { rng.random_range(0..=extra_mean * 2) };
    for _ in 0..extra {
        let (category, institution) = weighted(
            rng,
            &[
                (("PL", school), 70),
                (("KHCN-CDS", school), 15),
                (("TH-CB", testing), 5),
                (("TH-NC", testing), 3),
                (("NN-B2", testing), 4),
                (("NN-B3", testing), 3),
            ],
        );
        wanted.push((category, institution.to_owned(), window, last));
    }
    let mut seen = HashSet::new();
    let mut completions = Vec::new();
    for (category, institution, from, to) in wanted {
        let (Some((_, program_id, fewest, most, validity)), Some(institution_id)) =
            (catalogue.program(category), catalogue.institution(&institution))
        else {
            continue;
        };
        // Within the category's validity and the window; refreshers of a programme of 164
        // end before 145 began, and so on.
        let from = from.max(validity.from);
        let to = validity.to.map_or(to, |end| end.min(to));
        if from > to {
            continue;
        }
        let ended_on = day_between(rng, from, to);
        let days = rng.random_range(*fewest..=*most);
        let started_on = ended_on - Duration::days(i64::from(days) * 7 / 5);
        if !seen.insert((*program_id, started_on)) {
            continue;
        }
        let outcome = weighted(
            rng,
            &[
                (Outcome::Excellent, 15),
                (Outcome::Good, 45),
                (Outcome::Fair, 30),
                (Outcome::Passed, 10),
            ],
        );
        let mut completion = GeneratedCompletion {
            program_id: *program_id,
            institution_id,
            started_on,
            ended_on,
            duration_days: days,
            outcome,
            score: None,
            fate: Fate::Standing,
        };
        match rng.random_range(0..1000) {
            0..5 => {
                completion.fate = Fate::Revoked(weighted(
                    rng,
                    &[
                        (RevocationReason::IssuedInError, 6),
                        (RevocationReason::Fraud, 2),
                        (RevocationReason::Withdrawn, 2),
                    ],
                ));
            }
            5..15 => {
                // The institution corrects the result it posted.
                let mut corrected = completion.clone();
                corrected.outcome = weighted(
                    rng,
                    &[
                        (Outcome::Excellent, 1),
                        (Outcome::Good, 1),
                        (Outcome::Fair, 1),
                        (Outcome::Passed, 1),
                    ],
                );
                corrected.duration_days = (days + 1).min(*most).max(*fewest);
                completion.fate = Fate::Corrected(Box::new(corrected));
            }
            _ => {}
        }
        completions.push(completion);
    }
    completions
}

fn directory_school(post: &Post) -> String {
    // The home province's school: the agency's own province code, as `school_of` names it.
    let code = post.agency.code.as_str();
    let province = code.split('.').next().unwrap_or(code);
    let province = if province.starts_with('T') { province } else { "T01" };
    format!("TCT-{province}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_id_serials_are_distinct_within_each_million() {
        for million in [0, 2] {
            let seen: HashSet<u64> =
                (million * SERIALS..(million + 1) * SERIALS).map(|n| serial(42, n)).collect();
            assert_eq!(seen.len(), SERIALS as usize);
        }
    }

    #[test]
    fn each_million_is_born_in_provinces_of_its_own() {
        // Up to a million, everyone may be born anywhere: populations made before stay the same.
        assert_eq!(birth_provinces(1_000_000, 999_999), BIRTH_PROVINCES);
        let officials = 2_500_000;
        let millions: Vec<Vec<u16>> =
            [0, 1_000_000, 2_000_000].map(|n| birth_provinces(officials, n)).into();
        assert_eq!(birth_provinces(officials, 1_999_999), millions[1]);
        assert_eq!(millions.concat().len(), BIRTH_PROVINCES.len());
        let all: HashSet<u16> = millions.concat().into_iter().collect();
        assert_eq!(all.len(), BIRTH_PROVINCES.len(), "the millions' provinces overlap");
        assert!(birth_provinces(MAX_OFFICIALS, MAX_OFFICIALS - 1).len() == 1);
    }

    #[test]
    fn a_person_depends_on_the_seed_and_position_only() {
        let options = Options {
            officials: 10,
            seed: 7,
            completions: 5,
            today: date!(2026 - 12 - 05),
            batch: 3,
        };
        let (a, _) = person(&options, 4);
        let (b, _) = person(&options, 4);
        assert_eq!((a.national_id, a.full_name), (b.national_id, b.full_name));
    }
}
