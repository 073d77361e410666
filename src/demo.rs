//! `hocba serve --demo`: a small, realistic registry to try the API on.
//!
//! Synthetic people only: the names are common Vietnamese names put together at random, the
//! national ID numbers are built to be valid but belong to no one.

use anyhow::Context;
use hocba_api::AppState;
use hocba_domain::{
    AdministrativeLevel, Agency, ClassDraft, CompletionPostDraft, EmploymentDraft, Gender,
    InstitutionDraft, InstitutionKind, LeadershipGroup, LeadershipLevel, NationalId, OfficialDraft,
    Outcome, ProgramDraft, ScopeDraft, StudyMode,
};
use hocba_store::{Actor, AgencyQuery, ClassQuery, PageRequest, StoreError};
use time::macros::date;
use time::{Date, Month, OffsetDateTime};

const FAMILY: [&str; 10] =
    ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Đặng", "Bùi", "Đỗ"];
const MIDDLE_MALE: [&str; 5] = ["Văn", "Đức", "Minh", "Quốc", "Hữu"];
const MIDDLE_FEMALE: [&str; 5] = ["Thị", "Ngọc", "Thu", "Thanh", "Hồng"];
const GIVEN: [&str; 10] =
    ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Lan", "Long", "Tuyết"];
/// The agencies the demo officials work at, from the directory the registry ships
/// (`crates/hocba-domain/data/agencies.csv`), which gives their names and levels.
const AGENCIES: [&str; 5] = ["G01.H29", "G01.H29.03", "G09", "G01.H29.01", "G01.H29.07"];

struct DemoInstitution {
    code: &'static str,
    name: &'static str,
    kind: InstitutionKind,
    parent: &'static str,
    categories: &'static [&'static str],
}

const INSTITUTIONS: [DemoInstitution; 2] = [
    DemoInstitution {
        code: "HVCTQG",
        name: "Học viện Chính trị quốc gia Hồ Chí Minh",
        kind: InstitutionKind::NationalAcademy,
        parent: "Ban Chấp hành Trung ương",
        categories: &["LLCT-CAO", "QLNN-CVCC", "TBN-VU", "CNKT-145-N2", "CNKT-145-N3"],
    },
    DemoInstitution {
        code: "TCT-HANAM",
        name: "Trường Chính trị tỉnh Hà Nam",
        kind: InstitutionKind::ProvincialPoliticalSchool,
        parent: "Tỉnh ủy Hà Nam",
        categories: &["LLCT-TRUNG", "QLNN-CV", "QLNN-CVC", "TBN-PHONG", "CNKT-145-N3", "PL"],
    },
];

/// (code, title, category, minimum days, periods per day)
const PROGRAMS: [(&str, &str, &str, u16, u8); 6] = [
    ("QLNN-CV-2024", "Bồi dưỡng kiến thức QLNN ngạch chuyên viên", "QLNN-CV", 20, 8),
    ("QLNN-CVC-2024", "Bồi dưỡng kiến thức QLNN ngạch chuyên viên chính", "QLNN-CVC", 30, 8),
    ("TBN-PHONG-2025", "Bồi dưỡng lãnh đạo, quản lý cấp phòng", "TBN-PHONG", 20, 8),
    ("LLCT-TRUNG-2024", "Trung cấp lý luận chính trị", "LLCT-TRUNG", 120, 10),
    ("LLCT-CAO-2024", "Cao cấp lý luận chính trị", "LLCT-CAO", 200, 10),
    ("CNKT-145-N3-2025", "Cập nhật kiến thức, kỹ năng cán bộ nhóm 3", "CNKT-145-N3", 7, 10),
];

/// Officials of the generated population `serve --demo` adds (`hocba demo generate`, seed 1).
const GENERATED_OFFICIALS: u32 = 300;

/// The demo's records the examples in README.md and docs/ name, by the variable names they use.
pub struct DemoFacts {
    /// `INSTITUTION_ID`: the provincial school, which taught the first class.
    pub institution_id: String,
    /// `CLASS_ID`: its first class (QLNN-CV, March 2025), where the examples post.
    pub class_id: String,
    /// `OFFICIAL_ID`: the first demo official, who finished that class.
    pub official_id: String,
    /// `NATIONAL_ID`: their national ID number.
    pub national_id: String,
    /// `NUMBER`: their certificate's number.
    pub number: String,
}

/// The file `serve --demo` writes in its working directory, for the examples to `source`.
pub const ENV_FILE: &str = "hocba-demo.env";

/// The examples' variables, as shell assignments.
pub fn env_file(api: &str, admin_token: &str, facts: &DemoFacts) -> String {
    let DemoFacts { institution_id, class_id, official_id, national_id, number } = facts;
    format!(
        "# Written by `hocba serve --demo`: the variables the examples in README.md and docs/ use.\n\
         API={api}\n\
         ADMIN_TOKEN={admin_token}\n\
         INSTITUTION_ID={institution_id}\n\
         CLASS_ID={class_id}\n\
         OFFICIAL_ID={official_id}\n\
         NATIONAL_ID={national_id}\n\
         NUMBER={number}\n"
    )
}

/// Two officials the examples post completions for (with no completions in the demo):
/// (national ID, full name, date of birth, gender).
const NAMED: [(&str, &str, Date, Gender); 2] = [
    ("001085012345", "Nguyễn Văn An", date!(1985 - 03 - 14), Gender::Male),
    ("001190054321", "Trần Thị Bình", date!(1990 - 07 - 02), Gender::Female),
];

/// The demo's first class, where the first dozen officials finished and the examples post.
async fn first_class(store: &hocba_store::Store) -> anyhow::Result<hocba_store::Class> {
    store
        .list_classes(ClassQuery::default(), PageRequest { after: None, limit: 1 })
        .await?
        .items
        .into_iter()
        .next()
        .context("demo class missing")
}

/// Loads the demo data unless it is already there; returns what the examples name.
pub async fn seed(app: &AppState) -> anyhow::Result<DemoFacts> {
    load(app).await?;
    // Beside the named records, a small generated civil service for the reports to count.
    let options = hocba_api::population::Options {
        officials: GENERATED_OFFICIALS,
        seed: 1,
        completions: 6,
        today: hocba_domain::vietnam_day(OffsetDateTime::now_utc()),
        batch: 500,
    };
    if !hocba_api::population::already_generated(app, &options).await? {
        let summary = hocba_api::population::generate(app, &options, |_| {}).await?;
        eprintln!(
            "demo population generated: {} officials, {} completions with their certificates",
            summary.officials, summary.completions
        );
    }
    let store = &app.store;
    let first_class = first_class(store).await?;
    let national_id = demo_official(0, &[]).national_id; // the number needs no agency
    let official_id = store
        .official_id_by_national_id(&NationalId::parse_format(&national_id)?)
        .await?
        .context("demo official missing")?;
    let certificate = store
        .certificates_of(&Actor::System, "demo: the certificate the examples verify", official_id)
        .await?
        .into_iter()
        .next()
        .context("demo certificate missing")?;
    Ok(DemoFacts {
        institution_id: first_class.institution_id.to_string(),
        class_id: first_class.id.to_string(),
        official_id: official_id.to_string(),
        national_id,
        number: certificate.number.to_string(),
    })
}

async fn load(app: &AppState) -> anyhow::Result<()> {
    let store = &app.store;
    let actor = Actor::System;
    let mut institutions = Vec::new();
    for demo in &INSTITUTIONS {
        let draft = InstitutionDraft {
            code: demo.code.to_owned(),
            name: demo.name.to_owned(),
            kind: demo.kind,
            parent_authority: Some(demo.parent.to_owned()),
        };
        let institution = match store.create_institution(&actor, draft.parse()?).await {
            Err(StoreError::Conflict { .. }) => {
                eprintln!("demo data already loaded");
                return Ok(());
            }
            other => other?,
        };
        for category in demo.categories {
            let scope = ScopeDraft {
                category_code: (*category).to_owned(),
                valid_from: date!(2020 - 01 - 01),
                valid_to: None,
                decision: Some("Quyết định công nhận (dữ liệu mẫu)".to_owned()),
            };
            store.add_scope(&actor, institution.id, scope.parse(demo.kind)?).await?;
        }
        institutions.push(institution);
    }
    let mut programs = Vec::new();
    for (code, title, category, min_days, periods_per_day) in PROGRAMS {
        let draft = ProgramDraft {
            code: code.to_owned(),
            title_vi: title.to_owned(),
            title_en: None,
            category_code: category.to_owned(),
            min_days,
            min_periods: None,
            periods_per_day: Some(periods_per_day),
        };
        programs.push(store.create_program(&actor, draft.parse()?).await?);
    }
    let [academy, school] = institutions.as_slice() else {
        anyhow::bail!("two demo institutions expected")
    };
    let classes = [
        (school, "QLNN-CV-2024", "CV-K15", date!(2025 - 03 - 03), date!(2025 - 03 - 28)),
        (school, "TBN-PHONG-2025", "PHONG-K02", date!(2025 - 09 - 08), date!(2025 - 10 - 03)),
        (academy, "CNKT-145-N3-2025", "N3-2025-01", date!(2025 - 11 - 10), date!(2025 - 11 - 18)),
    ];
    for (institution, program_code, class_code, starts_on, ends_on) in classes {
        let program = programs
            .iter()
            .find(|program| program.program.code.as_str() == program_code)
            .context("demo programme missing")?;
        let draft = ClassDraft {
            institution_id: institution.id,
            program_id: program.id,
            code: class_code.to_owned(),
            starts_on,
            ends_on,
            place: Some("Phủ Lý, Hà Nam".to_owned()),
            mode: StudyMode::InPerson,
            seats: Some(60),
        };
        store.create_class(&actor, institution.id, program.id, draft.parse()?).await?;
    }
    let first_class = first_class(store).await?;
    let today = hocba_domain::vietnam_day(OffsetDateTime::now_utc());
    let outcomes = [Outcome::Excellent, Outcome::Good, Outcome::Fair, Outcome::Passed];
    let directory = store.agencies(&AgencyQuery::default()).await?;
    for n in 0..50 {
        let draft = demo_official(n, &directory);
        let (national_id, full_name, date_of_birth) =
            (draft.national_id.clone(), draft.full_name.clone(), draft.date_of_birth);
        store.create_official(&actor, draft.parse(today)?).await?;
        if n < 12 {
            // The first dozen finished the first class, and hold its certificate.
            let posted = CompletionPostDraft {
                national_id,
                full_name,
                date_of_birth,
                class_id: Some(first_class.id),
                program_code: None,
                started_on: None,
                ended_on: None,
                duration_days: 20,
                outcome: outcomes[n % outcomes.len()],
                score: None,
            };
            hocba_api::post_completion(
                app,
                &actor,
                first_class.institution_id,
                &posted.parse(today)?,
                None,
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        }
    }
    for (national_id, full_name, date_of_birth, gender) in NAMED {
        let mut draft = demo_official(0, &directory);
        draft.national_id = national_id.to_owned();
        draft.full_name = full_name.to_owned();
        draft.date_of_birth = date_of_birth;
        draft.gender = gender;
        store.create_official(&actor, draft.parse(today)?).await?;
    }
    eprintln!(
        "demo data loaded: 2 institutions, {} programmes, 3 classes, {} officials, 12 certificates",
        PROGRAMS.len(),
        50 + NAMED.len()
    );
    Ok(())
}

/// Whom the development identity provider offers to sign in as: the first six demo officials
/// (who hold certificates), then the two the examples name.
pub fn sign_in_people() -> Vec<hocba_api::dev_idp::DemoPerson> {
    let holders = (0..6)
        .map(|n| demo_official(n, &[]))
        .map(|official| (official.full_name, official.national_id));
    let named =
        NAMED.iter().map(|(national_id, name, ..)| ((*name).to_owned(), (*national_id).to_owned()));
    holders
        .chain(named)
        .map(|(name, national_id)| hocba_api::dev_idp::DemoPerson { name, national_id })
        .collect()
}

fn demo_official(n: usize, directory: &[Agency]) -> OfficialDraft {
    let gender = if n.is_multiple_of(2) { Gender::Male } else { Gender::Female };
    let middle = if gender == Gender::Male { MIDDLE_MALE } else { MIDDLE_FEMALE };
    let full_name = format!(
        "{} {} {}",
        FAMILY[n % 10],
        middle[(n / 2 + n / 10) % 5],
        GIVEN[(n * 3 + n / 10) % 10]
    );
    let year = 1965 + (n * 3) as i32 % 35;
    let date_of_birth =
        Date::from_calendar_date(year, Month::January.nth_next((n % 12) as u8), 1 + (n % 28) as u8)
            .unwrap_or(date!(1980 - 01 - 01));
    let century_sex = (year - 1900) / 100 * 2 + i32::from(gender == Gender::Female);
    // Province 035 (Hà Nam); digits 7-12 are a serial, as the real ones are random.
    let national_id = format!("035{century_sex}{:02}{:06}", year % 100, 100_000 + n);
    let agency_code = AGENCIES[n % AGENCIES.len()];
    let (agency_name, level) = directory
        .iter()
        .find(|agency| agency.code.as_str() == agency_code)
        .map_or((agency_code.to_owned(), AdministrativeLevel::Province), |agency| {
            (agency.name.clone(), agency.level)
        });
    let leader = n.is_multiple_of(5);
    OfficialDraft {
        national_id,
        full_name,
        date_of_birth,
        gender,
        ethnicity_code: Some(1),
        employment: EmploymentDraft {
            agency_code: agency_code.to_owned(),
            agency_name,
            level,
            rank_code: Some(if leader { "01.002" } else { "01.003" }.to_owned()),
            position_title: leader.then(|| "Trưởng phòng".to_owned()),
            leadership_level: leader.then_some(LeadershipLevel::Division),
            leadership_group: leader.then_some(LeadershipGroup::N3),
            valid_from: date!(2025 - 07 - 01),
            valid_to: None,
        },
    }
}
