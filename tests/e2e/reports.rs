//! Coverage reports: the database's counts equal, cell by cell, the sum of what the domain's
//! evaluation says of each official; small cells are suppressed; HR sees its subtree only; the
//! missing lists are logged for each official listed.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use hocba_domain::reports::{Breakdown, ReportId, age_band, ethnicity_group, indicators};
use hocba_domain::{AdministrativeLevel, AgencyCode, OfficialId, RequirementStatus};
use hocba_store::{Actor, ReportScope};
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::agencies::agency_key;
use crate::helpers::TestApp;

/// An official to register: national ID digits, name, sex, birth, ethnic group, first period.
struct Person {
    n: u32,
    name: &'static str,
    female: bool,
    born: &'static str,
    ethnicity: Option<u8>,
    employment: Value,
}

fn post(agency: &str, level: &str, from: &str, extra: Value) -> Value {
    let mut employment = json!({ "agency_code": agency, "agency_name": format!("Cơ quan {agency}"),
                                 "level": level, "valid_from": from });
    for (key, value) in extra.as_object().unwrap() {
        employment[key] = value.clone();
    }
    employment
}

impl Person {
    fn national_id(&self) -> String {
        let year: u32 = self.born[..4].parse().unwrap();
        let century = if year >= 2000 { 2 } else { 0 };
        format!("001{}{:02}{:06}", century + u32::from(self.female), year % 100, self.n)
    }

    fn body(&self) -> Value {
        json!({ "national_id": self.national_id(), "full_name": self.name, "date_of_birth": self.born,
                "gender": if self.female { "female" } else { "male" },
                "ethnicity_code": self.ethnicity, "employment": self.employment })
    }

    fn completion(&self, program: &str, ended_on: &str, days: u32) -> Value {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let ended = Date::parse(ended_on, &format).unwrap();
        let started_on = ended - time::Duration::days(i64::from(days) * 2);
        json!({ "national_id": self.national_id(), "full_name": self.name,
                "date_of_birth": self.born, "program_code": program, "started_on": started_on.to_string(),
                "ended_on": ended_on, "duration_days": days, "outcome": "passed" })
    }
}

/// A registry of officials in varied posts, with completions met, short, revoked and missing.
/// Returns the ids of those registered.
pub(crate) async fn registry(app: &TestApp) -> Vec<OfficialId> {
    let categories = ["CNKT-145-N2", "CNKT-145-N3", "TBN-PHONG", "LLCT-CAO", "QLNN-CV", "PL"];
    let school = app.accredited_institution("HVCTQG", "national_academy", &categories).await;
    let defence = ["QPAN-1", "QPAN-3"];
    let academy = app.accredited_institution("HVQP", "defence_academy", &defence).await;
    for category in categories.iter().chain(&defence) {
        app.program(&format!("{category}-P"), category).await;
    }
    let token = app.institution_token(school["id"].as_str().unwrap()).await;
    let defence_token = app.institution_token(academy["id"].as_str().unwrap()).await;
    let n3 =
        json!({ "rank_code": "01.003", "leadership_group": "N3", "leadership_level": "division" });
    let people = [
        Person {
            n: 1,
            name: "Nguyễn Văn An",
            female: false,
            born: "1985-03-14",
            ethnicity: Some(1),
            employment: post("G01.H29", "province", "2020-01-01", n3.clone()),
        },
        Person {
            n: 2,
            name: "Lò Thị Bình",
            female: true,
            born: "1990-06-01",
            ethnicity: Some(5),
            employment: post(
                "G01.H29.01",
                "province",
                "2022-01-01",
                json!({ "rank_code": "01.003", "leadership_group": "N3" }),
            ),
        },
        Person {
            n: 3,
            name: "Trần Thị Cúc",
            female: true,
            born: "1995-02-10",
            ethnicity: Some(1),
            employment: post(
                "G01.H29.03",
                "province",
                "2021-09-01",
                json!({ "rank_code": "01.002" }),
            ),
        },
        Person {
            n: 4,
            name: "Phạm Văn Dũng",
            female: false,
            born: "1970-11-20",
            ethnicity: Some(1),
            employment: post(
                "G01.H30",
                "province",
                "2021-01-01",
                json!({ "rank_code": "01.001", "leadership_group": "N2", "leadership_level": "provincial_department" }),
            ),
        },
        Person {
            n: 5,
            name: "Vũ Thị Giang",
            female: true,
            born: "1988-08-08",
            ethnicity: None,
            employment: post(
                "G01.H29",
                "province",
                "2026-03-01",
                json!({ "leadership_level": "division" }),
            ),
        },
        Person {
            n: 6,
            name: "Hoàng Văn Hải",
            female: false,
            born: "1980-01-15",
            ethnicity: Some(12),
            employment: post(
                "G01.H29.07",
                "province",
                "2025-08-01",
                json!({ "leadership_level": "division", "valid_to": "2026-01-31" }),
            ),
        },
        Person {
            n: 7,
            name: "Đỗ Thị Khánh",
            female: true,
            born: "1975-05-05",
            ethnicity: Some(1),
            employment: post(
                "G01.H29",
                "province",
                "2019-01-01",
                json!({ "leadership_group": "N3" }),
            ),
        },
        Person {
            n: 8,
            name: "Bùi Văn Long",
            female: false,
            born: "1992-12-12",
            ethnicity: Some(1),
            employment: post("G09", "central", "2018-01-01", n3.clone()),
        },
        Person {
            n: 9,
            name: "Đặng Văn Minh",
            female: false,
            born: "1965-07-07",
            ethnicity: Some(1),
            employment: post(
                "G09",
                "central",
                "2020-06-01",
                json!({ "leadership_group": "N2", "leadership_level": "deputy_minister" }),
            ),
        },
        Person {
            n: 10,
            name: "Ngô Thị Oanh",
            female: true,
            born: "2000-04-04",
            ethnicity: Some(20),
            employment: post("G01.H29", "province", "2023-01-01", json!({ "rank_code": "01.003" })),
        },
        Person {
            n: 11,
            name: "Lý Văn Phúc",
            female: false,
            born: "1983-09-09",
            ethnicity: Some(1),
            employment: post(
                "G01.H35",
                "province",
                "2015-01-01",
                json!({ "rank_code": "01.003", "valid_to": "2024-12-31" }),
            ),
        },
    ];
    let mut ids = Vec::new();
    for person in &people {
        let official = app.register_official(&person.body()).await;
        ids.push(OfficialId::from_uuid(official["id"].as_str().unwrap().parse().unwrap()));
    }
    let completions = [
        (0, "CNKT-145-N3-P", "2025-06-01", 7),
        (0, "TBN-PHONG-P", "2020-06-01", 20),
        (0, "PL-P", "2026-03-01", 5),
        (1, "CNKT-145-N3-P", "2026-03-01", 5),
        (1, "QLNN-CV-P", "2023-05-01", 30),
        (3, "LLCT-CAO-P", "2021-06-01", 200),
        (3, "CNKT-145-N2-P", "2025-10-01", 5),
        (3, "PL-P", "2025-04-01", 5),
        (5, "QPAN-3-P", "2024-01-10", 12),
        (6, "CNKT-145-N3-P", "2025-03-01", 10),
        (7, "CNKT-145-N3-P", "2026-05-01", 5),
        (7, "QLNN-CV-P", "2026-07-01", 30),
        (8, "QPAN-1-P", "2021-03-01", 30),
        (8, "CNKT-145-N2-P", "2024-11-01", 5),
        (9, "QLNN-CV-P", "2024-11-15", 30),
        (9, "PL-P", "2026-01-10", 5),
    ];
    let mut numbers = Vec::new();
    for (who, program, ended_on, days) in completions {
        let body = people[who].completion(program, ended_on, days);
        let poster = if program.starts_with("QPAN") { &defence_token } else { &token };
        let posted = app.post_as(poster, "/api/v1/completions", &body).await;
        assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
        numbers.push(posted.body["certificate"]["number"].as_str().unwrap().to_owned());
        if (who, program) == (1, "CNKT-145-N3-P") {
            // Bình's refresher is corrected: only the correction counts, its days once.
            let mut corrected = body.clone();
            corrected["outcome"] = json!("excellent");
            let id = posted.body["completion"]["id"].as_str().unwrap();
            let uri = format!("/api/v1/completions/{id}/correct");
            let answer = app.post_as(poster, &uri, &corrected).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
        }
    }
    // Khánh's refresher is revoked: it never counts.
    app.revoke(&numbers[9], json!({ "reason": "fraud" })).await;
    // Hải moves at the same level: the run of division posts started on 2025-08-01.
    let moved = app
        .post(
            &format!("/api/v1/officials/{}/employments", ids[5]),
            &post("G01.H29", "province", "2026-02-01", json!({ "leadership_level": "division" })),
        )
        .await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
    ids
}

/// Requirement, group and status (as its debug form: the map needs an order).
type Key = (Option<String>, Option<String>, String);

/// What the evaluation says, official by official, summed as a report counts it.
async fn evaluated(
    app: &TestApp,
    officials: &[OfficialId],
    report: ReportId,
    as_of: Date,
    scope: &ReportScope,
    breakdown: Option<Breakdown>,
) -> BTreeMap<Key, (u64, u64)> {
    let stored = app.store.rules().await.unwrap();
    let counted = report.rules(&stored, &indicators(), as_of);
    let counted_ids: Vec<&str> = counted.iter().map(|rule| rule.id.as_str()).collect();
    let mut sums = BTreeMap::new();
    for id in officials {
        let rules = (!report.applies_exclusions()).then_some(counted.as_slice());
        let compliance =
            app.store.compliance_with(&Actor::System, "test", *id, rules, as_of).await.unwrap();
        let official = &compliance.official;
        let in_scope = official.employments.iter().any(|record| {
            let period = &record.employment;
            period.validity.covers(as_of)
                && scope.agencies.as_ref().is_none_or(|codes| codes.contains(&period.agency_code))
                && scope.level.is_none_or(|level| level == period.level)
        });
        if !in_scope {
            continue;
        }
        let group = breakdown.map(|breakdown| {
            match breakdown {
                Breakdown::Gender => official.gender.as_str(),
                Breakdown::Ethnicity => ethnicity_group(official.ethnicity_code),
                Breakdown::AgeBand => age_band(official.date_of_birth, as_of),
            }
            .to_owned()
        });
        let requirements: Vec<_> = compliance
            .requirements
            .iter()
            .filter(|requirement| counted_ids.contains(&requirement.rule.id.as_str()))
            .collect();
        for requirement in &requirements {
            let key = (
                Some(requirement.rule.id.clone()),
                group.clone(),
                format!("{:?}", requirement.status),
            );
            let entry = sums.entry(key).or_insert((0, 0));
            entry.0 += 1;
            entry.1 += u64::from(requirement.days_counted);
        }
        if report.has_all_row() {
            let statuses = || requirements.iter().map(|requirement| requirement.status);
            let all = if statuses().any(|s| s == RequirementStatus::Missing) {
                RequirementStatus::Missing
            } else if statuses().any(|s| s == RequirementStatus::Due) {
                RequirementStatus::Due
            } else {
                RequirementStatus::Met
            };
            sums.entry((None, group.clone(), format!("{all:?}"))).or_insert((0, 0)).0 += 1;
        }
    }
    sums
}

async fn report_counts_equal_the_evaluation_of_each_official(app: TestApp) {
    let officials = registry(&app).await;
    // An's post was recorded in the wrong leadership group: the corrected period supersedes
    // it, and only the correction's rules apply to him.
    let an = app.get_as_admin(&format!("/api/v1/officials/{}", officials[0])).await;
    let period = an.body["employments"][0]["id"].as_str().unwrap();
    let n2 =
        json!({ "rank_code": "01.003", "leadership_group": "N2", "leadership_level": "division" });
    let uri = format!("/api/v1/officials/{}/employments/{period}/correct", officials[0]);
    let corrected = app.post(&uri, &post("G01.H29", "province", "2020-01-01", n2)).await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{:#}", corrected.body);
    let hanoi_home = AgencyCode::parse("G01.H29").unwrap();
    let scopes = [
        ReportScope::default(),
        ReportScope {
            agencies: Some(app.store.agencies_reached(&hanoi_home, true).await.unwrap()),
            level: None,
        },
        ReportScope { agencies: None, level: Some(AdministrativeLevel::Central) },
    ];
    let breakdowns = [Breakdown::Gender, Breakdown::Ethnicity, Breakdown::AgeBand];
    let mut compared = 0;
    for as_of in [date!(2025 - 05 - 01), date!(2026 - 12 - 05)] {
        for report in ReportId::ALL {
            for scope in &scopes {
                let counts =
                    app.store.report_counts(report, as_of, scope, &breakdowns).await.unwrap();
                for (breakdown, tallies) in &counts.tallies {
                    let counted: BTreeMap<Key, (u64, u64)> = tallies
                        .iter()
                        .map(|tally| {
                            let key = (
                                tally.requirement.clone(),
                                tally.group.clone(),
                                format!("{:?}", tally.status),
                            );
                            (key, (tally.officials, tally.days))
                        })
                        .collect();
                    let expected =
                        evaluated(&app, &officials, report, as_of, scope, *breakdown).await;
                    assert_eq!(
                        counted,
                        expected,
                        "{} on {as_of}, {scope:?}, by {breakdown:?}",
                        report.as_str()
                    );
                    compared += counted.len();
                }
            }
        }
    }
    // The registry is varied enough that the comparison is not of empty tables.
    assert!(compared > 300, "{compared} cells compared");
    let std = app
        .store
        .report_counts(ReportId::Standards, date!(2026 - 12 - 05), &ReportScope::default(), &[])
        .await
        .unwrap();
    let statuses: Vec<RequirementStatus> = std.tallies[0].1.iter().map(|t| t.status).collect();
    for status in [RequirementStatus::Met, RequirementStatus::Due, RequirementStatus::Missing] {
        assert!(statuses.contains(&status), "{status:?} is counted somewhere");
    }
}

async fn get_with(
    app: &TestApp,
    uri: &str,
    token: &str,
    accept: &str,
) -> crate::helpers::TestResponse {
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

async fn a_report_suppresses_small_cells_and_comes_as_json_csv_or_xlsx(app: TestApp) {
    registry(&app).await;
    let uri = "/api/v1/reports/RPT-STD?as_of=2026-12-05&breakdown=gender";
    let report = app.get_as_admin(uri).await;
    assert_eq!(report.status, StatusCode::OK, "{:#}", report.body);
    let rows = report.body["rows"].as_array().unwrap();
    // The first row is everyone: ten officials hold a post on the day.
    assert_eq!(rows[0]["requirement"], Value::Null);
    assert_eq!(rows[0]["officials"], json!({ "value": 10, "suppressed": false }));
    for row in rows {
        for cell in ["officials", "met", "due", "missing"] {
            let value = row[cell]["value"].as_u64();
            assert!(!matches!(value, Some(1..=4)), "a cell under 5 is shown: {row:#}");
            assert_eq!(row[cell]["suppressed"], value.is_none(), "{row:#}");
        }
    }
    let r145 = rows.iter().find(|row| row["requirement"] == "R145-N3" && row["group"].is_null());
    let link = r145.unwrap()["missing_list"].as_str().unwrap();
    assert_eq!(link, "/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=2026-12-05");
    assert!(report.body["suppression"]["rule"].as_str().unwrap().contains("secondary"));

    let csv = get_with(&app, uri, &app.admin_token, "text/csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert!(csv.raw.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 byte order mark comes first");
    let text = String::from_utf8(csv.raw[3..].to_vec()).unwrap();
    assert!(text.starts_with("report,as_of,requirement,breakdown,group,officials,met,"), "{text}");
    assert!(text.contains("\nRPT-STD,2026-12-05,ALL,,,10,"), "{text}");
    let xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let xlsx = get_with(&app, uri, &app.admin_token, xlsx_type).await;
    assert_eq!((xlsx.status, xlsx.content_type.as_str()), (StatusCode::OK, xlsx_type));
    assert!(xlsx.raw.starts_with(b"PK"), "an XLSX workbook is a zip archive");

    let r145 = app.get_as_admin("/api/v1/reports/RPT-145?as_of=2026-12-05").await;
    let n3 =
        r145.body["rows"].as_array().unwrap().iter().find(|row| row["requirement"] == "R145-N3");
    let n3 = n3.unwrap();
    assert_eq!(
        (&n3["minimum_days"], &n3["period_from"], &n3["period_to"]),
        (&json!(7), &json!("2025-01-01"), &json!("2029-12-31"))
    );
    // Four officials of group 3 hold a post that day: the row is suppressed whole.
    assert_eq!(n3["officials"]["suppressed"], true);
    assert_eq!((&n3["days_counted"]["value"], &n3["days_required"]), (&Value::Null, &Value::Null));

    let bad = app.get_as_admin("/api/v1/reports/RPT-STD?as_of=May").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:#}", bad.body);
    let unknown = app.get_as_admin("/api/v1/reports/RPT-STD?agency_code=G99").await;
    unknown.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(unknown.problem_fields(), ["agency_code"]);
    let not_served = app.get_as_admin("/api/v1/reports/RPT-OVS").await;
    assert_eq!(not_served.status, StatusCode::BAD_REQUEST, "{:#}", not_served.body);
    let index = app.get_as_admin("/api/v1/reports").await;
    assert!(index.body["not_served"].as_array().unwrap().iter().any(|r| r["id"] == "RPT-OVS"));
}

async fn hr_reads_reports_of_its_subtree_and_each_listed_official_logs_the_read(app: TestApp) {
    let officials = registry(&app).await;
    let (_, department) = agency_key(&app, "G01.H29").await;
    let report = "/api/v1/reports/RPT-STD?as_of=2026-12-05";
    let own = app.request(Method::GET, report, Some(&department), None).await;
    assert_eq!(own.status, StatusCode::OK, "{:#}", own.body);
    // A key for the department alone counts its five officials, not its units' two.
    assert_eq!(own.body["rows"][0]["officials"]["value"], 5, "{:#}", own.body);
    let unit = "/api/v1/reports/RPT-STD?agency_code=G01.H29.01";
    let refused = app.request(Method::GET, unit, Some(&department), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = app
        .post("/api/v1/agencies/G01.H29/keys", &json!({ "label": "HR", "include_subunits": true }))
        .await;
    let hr = created.body["token"].as_str().unwrap().to_owned();
    let subtree = app.request(Method::GET, report, Some(&hr), None).await;
    assert_eq!(subtree.body["rows"][0]["officials"]["value"], 7, "{:#}", subtree.body);
    let sub = "/api/v1/reports/RPT-STD?agency_code=G01.H29.01";
    assert_eq!(app.request(Method::GET, sub, Some(&hr), None).await.status, StatusCode::OK);
    let other = "/api/v1/reports/RPT-STD?agency_code=G01.H30";
    assert_eq!(
        app.request(Method::GET, other, Some(&hr), None).await.status,
        StatusCode::FORBIDDEN
    );
    let school = app.accredited_institution("TCT-HANAM", "provincial_political_school", &[]).await;
    let institution = app.institution_token(school["id"].as_str().unwrap()).await;
    let refused =
        app.request(Method::GET, "/api/v1/reports/RPT-STD", Some(&institution), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.request(Method::GET, "/api/v1/reports/RPT-STD", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Group 3 in Hà Nội's home affairs department: An met, Bình and Khánh not.
    let missing = "/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=2026-12-05&limit=1";
    let first = app.request(Method::GET, missing, Some(&hr), None).await;
    assert_eq!(first.status, StatusCode::OK, "{:#}", first.body);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second =
        app.request(Method::GET, &format!("{missing}&cursor={cursor}"), Some(&hr), None).await;
    assert_eq!(second.body["next_cursor"], Value::Null, "{:#}", second.body);
    let mut names: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|page| page.body["items"].as_array().unwrap().clone())
        .map(|item| item["full_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Lò Thị Bình", "Đỗ Thị Khánh"]);
    let item = &first.body["items"][0];
    assert_eq!(item["status"], "due");
    // Bùi Văn Long, short of days too, is at a ministry: the operator sees him, HR does not.
    let all = app.get_as_admin(&missing.replace("&limit=1", "")).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3, "{:#}", all.body);

    for (index, id) in [(1, officials[1]), (6, officials[6])] {
        let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await;
        let logged = reads
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|read| read["purpose"] == "GET /api/v1/reports/{report}/missing");
        assert_eq!(logged.count(), 2, "official {index}: the HR's read and the operator's");
    }
    let unknown = app.get_as_admin("/api/v1/reports/RPT-STD/missing?requirement=NOPE").await;
    assert!(unknown.problem_fields().contains(&"requirement".to_owned()), "{:#}", unknown.body);
}

/// A list for another day than today names, for HR, only those still on its staff: an HR
/// department reads the records of its staff of today, and a list of names is such a read.
async fn hr_lists_for_a_past_day_only_the_officials_still_on_its_staff(app: TestApp) {
    let officials = registry(&app).await;
    // Lò Thị Bình, short of group 3's days in a unit of Hà Nội's department, moves today to
    // the finance department, which the department's key does not reach.
    let binh = officials[1];
    let record = app.get_as_admin(&format!("/api/v1/officials/{binh}")).await;
    let period = record.body["employments"][0]["id"].as_str().unwrap();
    let today = hocba_domain::vietnam_day(time::OffsetDateTime::now_utc()).to_string();
    let moved_to = post("G01.H30", "province", &today, json!({ "rank_code": "01.003" }));
    let transfer = json!({ "employment_id": period, "employment": moved_to });
    let moved = app.post(&format!("/api/v1/officials/{binh}/transfers"), &transfer).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);

    let created = app
        .post("/api/v1/agencies/G01.H29/keys", &json!({ "label": "HR", "include_subunits": true }))
        .await;
    let hr = created.body["token"].as_str().unwrap().to_owned();
    // On 5 December she was still there: the report counts her, as before.
    let report = "/api/v1/reports/RPT-STD?as_of=2026-12-05";
    let counted = app.request(Method::GET, report, Some(&hr), None).await;
    assert_eq!(counted.body["rows"][0]["officials"]["value"], 7, "{:#}", counted.body);

    let names = |page: &crate::helpers::TestResponse| -> Vec<String> {
        let items = page.body["items"].as_array().unwrap();
        let mut names: Vec<String> =
            items.iter().map(|item| item["full_name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    let missing = "/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=2026-12-05";
    let listed = app.request(Method::GET, missing, Some(&hr), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{:#}", listed.body);
    assert_eq!(names(&listed), ["Đỗ Thị Khánh"], "the department no longer reads Bình's record");
    // The operator reads everyone's: the list of that day is whole.
    let whole = app.get_as_admin(missing).await;
    assert_eq!(names(&whole), ["Bùi Văn Long", "Lò Thị Bình", "Đỗ Thị Khánh"]);

    let reads = app.get_as_admin(&format!("/api/v1/officials/{binh}/reads")).await;
    let listings: Vec<&Value> = reads.body.as_array().unwrap().iter().collect();
    let by_lists = listings
        .iter()
        .filter(|read| read["purpose"] == "GET /api/v1/reports/{report}/missing")
        .count();
    assert_eq!(by_lists, 1, "only the operator's list named her: {listings:#?}");
}

on_both_backends!(
    report_counts_equal_the_evaluation_of_each_official,
    a_report_suppresses_small_cells_and_comes_as_json_csv_or_xlsx,
    hr_reads_reports_of_its_subtree_and_each_listed_official_logs_the_read,
    hr_lists_for_a_past_day_only_the_officials_still_on_its_staff,
);
