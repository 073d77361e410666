//! The reports' dashboard (`/reports`) over HTTP: it shows, cell by cell, what the reports API
//! computes for the same reader and filters, a suppressed cell as suppressed; HR sees its
//! subtree only; the date changes the figures; the downloads are the API's files; the missing
//! lists name only HR's own staff. The browser tests (`browser.rs`) use the same pages.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hocba_api::auth::hash_token;
use hocba_domain::OfficialId;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};
use crate::reports::registry;
use crate::sessions::{COOKIE, get_with_cookie, location, sign_in_with_key};

/// Someone signed in to the pages with their key (the operator, or an agency's HR department),
/// holding the session cookie as a browser does.
pub(crate) struct Visitor {
    key: String,
    cookie: String,
}

impl Visitor {
    pub(crate) async fn with_key(app: &TestApp, key: String) -> Visitor {
        let cookie = sign_in_with_key(app, &key).await;
        Visitor { key, cookie }
    }

    pub(crate) async fn operator(app: &TestApp) -> Visitor {
        Visitor::with_key(app, app.admin_token.clone()).await
    }

    /// A new key for the HR department of `agency` that reaches its units too.
    pub(crate) async fn hr_key(app: &TestApp, agency: &str) -> String {
        let created = app
            .post(
                &format!("/api/v1/agencies/{agency}/keys"),
                &json!({ "label": "HR", "include_subunits": true }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        created.body["token"].as_str().unwrap().to_owned()
    }

    /// The HR department of `agency`, signed in with a key that reaches its units too.
    pub(crate) async fn hr(app: &TestApp, agency: &str) -> Visitor {
        let key = Visitor::hr_key(app, agency).await;
        Visitor::with_key(app, key).await
    }

    /// A signed-in official (as after the identity provider's sign-in).
    pub(crate) async fn official(app: &TestApp, official_id: OfficialId) -> Visitor {
        let secret = "an-official-s-session-secret";
        let principal = hocba_store::Principal::signed_in(official_id);
        app.store.start_web_session(&principal, &hash_token(secret)).await.unwrap();
        Visitor { key: String::new(), cookie: format!("{COOKIE}={secret}") }
    }

    /// `GET uri` with the session cookie, as the browser asks for a page or a download.
    async fn get(&self, app: &TestApp, uri: &str) -> TestResponse {
        get_with_cookie(app, uri, &self.cookie).await
    }

    /// `GET uri` of the API with the key, as an HR system asks.
    async fn api(&self, app: &TestApp, uri: &str, accept: &str) -> TestResponse {
        let request = Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap();
        app.send(request).await
    }

    /// A page of the dashboard, as HTML with its status.
    async fn page(&self, app: &TestApp, uri: &str) -> (StatusCode, String) {
        let response = self.get(app, uri).await;
        assert_eq!(response.content_type, "text/html; charset=utf-8", "{uri}");
        let html = String::from_utf8(response.raw).unwrap();
        assert!(!html.contains("<script"), "pages run no script");
        // Links as a browser reads them: `&` is escaped in the HTML.
        (response.status, html.replace("&#38;", "&"))
    }
}

/// The page's line of the table for `requirement` (`ALL`: every requirement) and `group`
/// (empty: the totals).
fn line<'a>(html: &'a str, requirement: &str, group: &str) -> &'a str {
    let opening = format!("<tr data-requirement=\"{requirement}\" data-group=\"{group}\">");
    let start = html.find(&opening).unwrap_or_else(|| panic!("no line {opening} in\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The cell `name` of a line: its text, and whether it is marked suppressed.
fn cell(line: &str, name: &str) -> (String, bool) {
    let opening = format!("<td data-cell=\"{name}\"");
    let start = line.find(&opening).unwrap_or_else(|| panic!("no cell {name} in {line}"));
    let rest = &line[start + opening.len()..];
    let suppressed = rest.starts_with(" class=\"suppressed\"");
    let text = &rest[rest.find('>').unwrap() + 1..rest.find("</td>").unwrap()];
    (text.to_owned(), suppressed)
}

/// A percentage as the page writes it (`62,5 %`), as a share.
fn share_of(text: &str) -> Option<f64> {
    let number = text.strip_suffix(" %")?.replace(',', ".");
    number.parse::<f64>().ok().map(|percent| percent / 100.0)
}

/// Asserts that the page shows every row of the API's report, cell by cell.
#[track_caller]
fn shows_the_report(html: &str, report: &Value) {
    let rows = report["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let requirement = row["requirement"].as_str().unwrap_or("ALL");
        let group = row["group"].as_str().unwrap_or_default();
        let line = line(html, requirement, group);
        for name in ["officials", "met", "due", "missing"] {
            let (text, suppressed) = cell(line, name);
            assert_eq!(suppressed, row[name]["suppressed"] == true, "{name} of {row:#}");
            match row[name]["value"].as_u64() {
                Some(value) => assert_eq!(text, value.to_string(), "{name} of {row:#}"),
                None => assert!(text.starts_with("ẩn"), "a suppressed {name} shows as {text}"),
            }
        }
        let (text, _) = cell(line, "share");
        match row["met_share"].as_f64() {
            Some(share) => {
                let shown = share_of(&text).unwrap_or_else(|| panic!("{text} is not a share"));
                assert!((shown - share).abs() < 0.0006, "{text} for {share}");
            }
            None => assert!(share_of(&text).is_none(), "{text} for no share in {row:#}"),
        }
    }
}

async fn the_dashboard_shows_cell_by_cell_what_the_api_computes(app: TestApp) {
    registry(&app).await;
    let operator = Visitor::operator(&app).await;
    for (page, api) in [
        ("/reports?as_of=2026-12-05", "/api/v1/reports/RPT-STD?as_of=2026-12-05&breakdown=gender"),
        (
            "/reports?report=RPT-STD&as_of=2025-05-01&breakdown=age_band&level=province",
            "/api/v1/reports/RPT-STD?as_of=2025-05-01&level=province&breakdown=age_band",
        ),
        (
            "/reports?report=RPT-145&as_of=2026-12-05&breakdown=none",
            "/api/v1/reports/RPT-145?as_of=2026-12-05",
        ),
        (
            "/reports?report=RPT-PRIORITY&as_of=2026-12-05",
            "/api/v1/reports/RPT-PRIORITY?as_of=2026-12-05",
        ),
        (
            "/reports?report=RPT-LAW&as_of=2026-12-05&agency_code=G01.H29&breakdown=ethnicity",
            "/api/v1/reports/RPT-LAW?as_of=2026-12-05&agency_code=G01.H29&include_subunits=true&breakdown=ethnicity",
        ),
    ] {
        let (status, html) = operator.page(&app, page).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        let report = app.get_as_admin(api).await;
        assert_eq!(report.status, StatusCode::OK, "{:#}", report.body);
        shows_the_report(&html, &report.body);
        // The page names the same call for programs.
        assert!(html.contains(&format!("GET {api}")), "{api} in {html}");
    }
    // Small cells exist in this registry, and the page says so rather than showing 0.
    let (_, html) = operator.page(&app, "/reports?report=RPT-145&as_of=2026-12-05").await;
    assert!(html.contains("class=\"suppressed\""));
    assert!(html.contains("suppressed (fewer than 5)"), "the chart marks it too");

    let (_, html) = operator.page(&app, "/reports?as_of=2026-12-05").await;
    assert!(html.contains("<strong data-agency=\"\">Toàn quốc</strong>"), "{html}");
    // Every chart has a text alternative and a table of its figures.
    let charts = html.matches("<svg class=\"chart\"").count();
    assert!(charts >= 2, "{charts} charts");
    assert_eq!(html.matches("role=\"img\" aria-labelledby=").count(), charts);
    assert_eq!(html.matches("<table").count(), charts);
}

async fn hr_sees_its_own_subtree_and_nothing_beyond(app: TestApp) {
    registry(&app).await;
    let hr = Visitor::hr(&app, "G01.H29").await;
    let (status, html) = hr.page(&app, "/reports?as_of=2026-12-05").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-agency=\"G01.H29\""), "{html}");
    // The department and its units: seven officials, as the API counts for the same key.
    assert_eq!(cell(line(&html, "ALL", ""), "officials").0, "7");
    let api = "/api/v1/reports/RPT-STD?as_of=2026-12-05&breakdown=gender";
    let api = hr.api(&app, api, "application/json").await;
    shows_the_report(&html, &api.body);
    // It may pick one of its units (offered in the form), not another agency.
    assert!(html.contains("<option value=\"G01.H29.01\">"), "{html}");
    assert!(!html.contains("<option value=\"G01.H30\">"));
    let (status, html) = hr.page(&app, "/reports?as_of=2026-12-05&agency_code=G01.H29.01").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-agency=\"G01.H29.01\""));
    let (status, html) = hr.page(&app, "/reports?as_of=2026-12-05&agency_code=G01.H30").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("data-error=\"agency_code\""), "{html}");
    assert!(!html.contains("data-requirement="), "no figures outside its scope");
    let (status, html) = hr.page(&app, "/reports?agency_code=G99").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let (status, _) = hr.page(&app, "/reports?as_of=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn changing_the_date_changes_the_figures(app: TestApp) {
    registry(&app).await;
    let operator = Visitor::operator(&app).await;
    let (_, now) = operator.page(&app, "/reports?as_of=2026-12-05&breakdown=none").await;
    let (_, then) = operator.page(&app, "/reports?as_of=2025-05-01&breakdown=none").await;
    // Ten officials hold a post on 5 December 2026; fewer on 1 May 2025.
    assert_eq!(cell(line(&now, "ALL", ""), "officials").0, "10");
    assert_ne!(cell(line(&then, "ALL", ""), "officials"), cell(line(&now, "ALL", ""), "officials"));
    assert!(then.contains("<time id=\"as-of\" datetime=\"2025-05-01\">01/05/2025</time>"));
    assert!(then.contains("type=\"date\" value=\"2025-05-01\""), "the picker keeps the day");
}

async fn the_downloads_are_the_api_files_for_the_same_filters(app: TestApp) {
    registry(&app).await;
    let hr = Visitor::hr(&app, "G01.H29").await;
    let (_, html) = hr.page(&app, "/reports?report=RPT-145&as_of=2026-12-05&level=province").await;
    let query = "report=RPT-145&as_of=2026-12-05&level=province&breakdown=gender";
    let csv_link = format!("/reports/download.csv?{query}");
    assert!(html.contains(&format!("href=\"{csv_link}\"")), "{html}");
    let csv = hr.get(&app, &csv_link).await;
    assert_eq!(
        (csv.status, csv.content_type.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert_eq!(disposition, "attachment; filename=\"RPT-145-2026-12-05.csv\"");
    let api = "/api/v1/reports/RPT-145?as_of=2026-12-05&level=province&breakdown=gender";
    let api = hr.api(&app, api, "text/csv").await;
    assert_eq!(csv.raw, api.raw, "the page's CSV is the API's");
    let xlsx = hr.get(&app, &format!("/reports/download.xlsx?{query}")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.raw.starts_with(b"PK"), "an XLSX workbook is a zip archive");
    let outside = hr.get(&app, "/reports/download.csv?agency_code=G01.H30").await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert!(!outside.content_type.starts_with("text/csv"));
}

/// The `href` of the page's link to the missing list of `requirement`.
fn missing_link(html: &str, requirement: &str) -> String {
    let line = line(html, requirement, "");
    let start = line.find("class=\"missing-list\" href=\"").unwrap() + 27;
    let end = start + line[start..].find('"').unwrap();
    line[start..end].to_owned()
}

/// The names a missing list shows.
fn names(html: &str) -> Vec<String> {
    let mut names: Vec<String> = html
        .split("<tr data-official=\"")
        .skip(1)
        .map(|line| {
            let start = line.find("<th scope=\"row\">").unwrap() + 16;
            line[start..start + line[start..].find("</th>").unwrap()].to_owned()
        })
        .collect();
    names.sort();
    names
}

async fn the_missing_list_names_only_hr_s_own_staff(app: TestApp) {
    let officials = registry(&app).await;
    let hr = Visitor::hr(&app, "G01.H29").await;
    let (_, html) = hr.page(&app, "/reports?as_of=2026-12-05").await;
    let link = missing_link(&html, "R145-N3");
    assert_eq!(link, "/reports/missing?report=RPT-STD&requirement=R145-N3&as_of=2026-12-05");
    let (status, list) = hr.page(&app, &link).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), ["Lò Thị Bình", "Đỗ Thị Khánh"]);
    assert!(list.contains("data-status=\"due\""));
    // A past day's list says it names HR's staff of today only (the API's test moves someone).
    assert!(list.contains("id=\"staff-only\""), "{list}");
    // The operator's list of the same link holds the ministry's official too, and everyone.
    let (_, list) = Visitor::operator(&app).await.page(&app, &link).await;
    assert_eq!(names(&list), ["Bùi Văn Long", "Lò Thị Bình", "Đỗ Thị Khánh"]);
    assert!(!list.contains("id=\"staff-only\""));
    // The reads are logged for each official listed (Bình: HR's and the operator's).
    let reads = app.get_as_admin(&format!("/api/v1/officials/{}/reads", officials[1])).await;
    let logged = reads
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|read| read["purpose"] == "GET /reports/missing");
    assert_eq!(logged.count(), 2, "{:#}", reads.body);
    let (status, _) = hr.page(&app, "/reports/missing?report=RPT-STD&requirement=NOPE").await;
    assert!(status.is_client_error());
    let outside = "/reports/missing?report=RPT-STD&requirement=R145-N3&agency_code=G09";
    assert_eq!(hr.page(&app, outside).await.0, StatusCode::FORBIDDEN);
}

async fn only_the_operator_and_hr_departments_see_the_dashboard(app: TestApp) {
    let officials = registry(&app).await;
    // Without a session: to the sign-in page, and back to the same view after it.
    let anonymous = app.get("/reports?report=RPT-145&as_of=2026-12-05").await;
    assert_eq!(
        location(&anonymous),
        "/sign-in?next=%2Freports%3Freport%3DRPT-145%26as_of%3D2026-12-05"
    );
    for uri in ["/reports/download.csv", "/reports/missing?requirement=R145-N3"] {
        assert_eq!(app.get(uri).await.status, StatusCode::SEE_OTHER, "{uri}");
    }
    // An official's session is refused: the reports are about other people.
    let official = Visitor::official(&app, officials[0]).await;
    let (status, html) = official.page(&app, "/reports").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("data-error=\"not-for-readers\""), "{html}");
    assert!(!html.contains("data-requirement="));
    for uri in ["/reports/download.csv", "/reports/missing?requirement=R145-N3"] {
        let refused = official.get(&app, uri).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(refused.content_type, "text/html; charset=utf-8");
    }
    // HR finds the dashboard in its menu; an official is not offered it.
    let hr = Visitor::hr(&app, "G01.H29").await;
    assert_eq!(hr.page(&app, "/reports").await.0, StatusCode::OK);
    let (_, menu) = hr.page(&app, "/verify").await;
    assert!(menu.contains("href=\"/reports\""), "HR finds the reports in the menu");
    let (_, menu) = official.page(&app, "/verify").await;
    assert!(!menu.contains("href=\"/reports\""), "an official is not offered them");
}

on_both_backends!(
    the_dashboard_shows_cell_by_cell_what_the_api_computes,
    hr_sees_its_own_subtree_and_nothing_beyond,
    changing_the_date_changes_the_figures,
    the_downloads_are_the_api_files_for_the_same_filters,
    the_missing_list_names_only_hr_s_own_staff,
    only_the_operator_and_hr_departments_see_the_dashboard,
);
