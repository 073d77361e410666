//! The verification pages as a person uses them: headless Chromium, driven over WebDriver
//! (chromedriver) against a registry served on a loopback port, with axe-core run in every page
//! visited (no serious or critical accessibility violation) and a screenshot of each step kept
//! in `$CARGO_TARGET_TMPDIR/screenshots`.
//!
//! Skipped when Chromium or chromedriver is missing (Debian's `chromium` and `chromium-driver`;
//! `HOCBA_CHROMIUM` and `HOCBA_CHROMEDRIVER` name other binaries), or when axe-core is not
//! installed (`npm ci --prefix interop`), unless `HOCBA_REQUIRE_BROWSER` is set, as in CI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::http::StatusCode;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::agencies::agency_key;
use crate::completions::{completion, setting};
use crate::consents::in_days;
use crate::helpers::{TestApp, official_body};
use crate::pages::{HOLDER, SOMEONE_ELSE};

/// axe-core, as `npm ci --prefix interop` installs it (pinned in interop/package.json).
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/node_modules/axe-core/axe.min.js");

/// A headless Chromium session on the registry at `base`.
struct Browser {
    client: Client,
    base: String,
    axe: String,
    /// Where this test's screenshots go, and their name's prefix.
    shots: PathBuf,
    prefix: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Fails when the browser is required, else says why the test is skipped.
fn missing(what: &str) -> Option<Browser> {
    assert!(
        std::env::var_os("HOCBA_REQUIRE_BROWSER").is_none(),
        "HOCBA_REQUIRE_BROWSER is set but {what}"
    );
    eprintln!("skipped: {what}");
    None
}

impl Browser {
    /// Serves `app` on a loopback port and opens a browser on it; `None` (skip) when no
    /// browser can run here.
    async fn open(app: &TestApp, test: &str) -> Option<Browser> {
        let address = app.serve(hocba_api::ConnectionLimits::default()).await;
        Browser::open_at(app, &format!("http://{address}"), test).await
    }

    /// Opens a browser on `app`, already served at `base`.
    async fn open_at(app: &TestApp, base: &str, test: &str) -> Option<Browser> {
        let chromium =
            std::env::var("HOCBA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let chromedriver =
            std::env::var("HOCBA_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        if !Path::new(&chromium).exists() {
            return missing(&format!("{chromium} is not installed"));
        }
        let Ok(axe) = std::fs::read_to_string(AXE) else {
            return missing(&format!("{AXE} is missing (npm ci --prefix interop)"));
        };
        // A free port for chromedriver: the kernel's choice, released just before it binds.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(&chromedriver);
        command.arg(format!("--port={port}")).stdout(Stdio::piped()).stderr(Stdio::null());
        // Its own process group, so that the browsers it starts go with it (see Drop).
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut driver = match command.spawn() {
            Ok(driver) => driver,
            Err(error) => return missing(&format!("{chromedriver} cannot start: {error}")),
        };
        // chromedriver says when it listens; wait for that line rather than for a while.
        let stdout = driver.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.contains("started successfully"))
        })
        .await
        .unwrap();
        assert!(ready, "chromedriver exited before it listened");

        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1000,1400",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        let backend = if app.sqlite_file().is_some() { "sqlite" } else { "postgres" };
        Some(Browser {
            client,
            base: base.to_owned(),
            axe,
            shots,
            prefix: format!("{test}-{backend}"),
            driver,
            _profile: profile,
        })
    }

    /// Opens `path` of the registry.
    async fn visit(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits for the element `css` (after a navigation, say) and returns it.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        // Chromedriver aborts a search that a navigation under way overtakes (a busy machine
        // makes that likelier); the new page is then searched again.
        for _ in 0..10 {
            match self.client.wait().for_element(Locator::Css(css)).await {
                Err(fantoccini::error::CmdError::NotW3C(Value::String(message)))
                    if message == "aborted by navigation" => {}
                found => return found.unwrap(),
            }
        }
        panic!("{css}: every search was aborted by a navigation")
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client.find(Locator::Css(css)).await.unwrap()
    }

    /// Types into the field `css`.
    async fn type_into(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    /// Puts `text` in the field `css` at once, as pasting does.
    async fn paste_into(&self, css: &str, text: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(text)],
            )
            .await
            .unwrap();
    }

    /// Presses the form's button and waits for the answer's element `css`.
    async fn submit_and_wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.find("form button[type=submit]").await.click().await.unwrap();
        self.wait_for(css).await
    }

    /// The verdict of the answer shown.
    async fn verdict(&self) -> String {
        let verdict = self.wait_for("#verdict").await;
        verdict.attr("data-verdict").await.unwrap().unwrap_or_default()
    }

    /// Runs axe-core in the page: no serious or critical violation of WCAG 2.x A/AA or of
    /// axe's best practices; keeps a screenshot of the page as `step`.
    async fn check_page(&self, step: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{}-{step}.png", self.prefix)), png).unwrap();
        self.client.execute(&format!("{}\nreturn typeof axe;", self.axe), vec![]).await.unwrap();
        let run = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(
              (results) => done(results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((node) => node.target.join(' ')) }))),
              (error) => done([{ id: 'axe-failed', impact: 'critical', help: String(error) }]));";
        let violations = self.client.execute_async(run, vec![]).await.unwrap();
        let violations = violations.as_array().unwrap();
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        for minor in violations.iter().filter(|v| !serious.contains(v)) {
            eprintln!("axe ({step}): {minor}");
        }
        assert!(serious.is_empty(), "axe on {step}: {serious:#?}");
    }

    async fn close(mut self) {
        self.client.clone().close().await.unwrap();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// A failed test does not leave chromedriver or its browser running.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver.wait();
    }
}

/// A certificate posted for Nguyễn Văn An.
async fn certificate(app: &TestApp) -> Value {
    let s = setting(app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    posted.body["certificate"].clone()
}

async fn an_hr_officer_verifies_a_good_certificate_by_number_pasted_and_uploaded(app: TestApp) {
    let certificate = certificate(&app).await;
    let Some(browser) = Browser::open(&app, "good").await else { return };
    let number = certificate["number"].as_str().unwrap();

    browser.visit("/verify").await;
    browser.wait_for("#number").await;
    browser.check_page("form").await;
    browser.type_into("#number", number).await;
    browser.submit_and_wait_for("#verdict").await;
    assert_eq!(browser.verdict().await, "valid");
    assert_eq!(browser.find("#holder-name").await.text().await.unwrap(), "Nguyễn Văn An");
    assert_eq!(browser.find("#certificate-number").await.text().await.unwrap(), number);
    assert!(browser.client.find_all(Locator::Css("tr.failed")).await.unwrap().is_empty());
    browser.check_page("valid-by-number").await;

    browser.visit("/verify").await;
    browser.wait_for("#credential").await;
    browser.paste_into("#credential", &certificate["credential"].to_string()).await;
    browser.submit_and_wait_for("#verdict").await;
    assert_eq!(browser.verdict().await, "valid");
    browser.check_page("valid-pasted").await;

    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), certificate["credential"].to_string()).unwrap();
    browser.visit("/verify").await;
    browser.wait_for("#file").await;
    browser.type_into("#file", &file.path().display().to_string()).await;
    browser.submit_and_wait_for("#verdict").await;
    assert_eq!(browser.verdict().await, "valid");
    browser.close().await;
}

async fn a_tampered_certificate_shows_which_check_failed(app: TestApp) {
    let certificate = certificate(&app).await;
    let Some(browser) = Browser::open(&app, "tampered").await else { return };
    let mut tampered = certificate["credential"].clone();
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = json!("Trần Thị Bình");

    browser.visit("/verify").await;
    browser.wait_for("#credential").await;
    browser.paste_into("#credential", &tampered.to_string()).await;
    browser.submit_and_wait_for("#verdict").await;
    assert_eq!(browser.verdict().await, "invalid");
    let summary = browser.find("#failed-checks").await.text().await.unwrap();
    assert!(summary.contains("Chữ ký số"), "{summary}");
    let signature = browser.find("tr.failed[data-check=signature]").await;
    assert!(signature.text().await.unwrap().contains("Không đạt"));
    let status = browser.find("tr[data-check=status]").await;
    assert_eq!(status.attr("class").await.unwrap().as_deref(), Some("passed"));
    browser.check_page("tampered").await;
    browser.close().await;
}

async fn the_qr_link_of_a_revoked_certificate_says_revoked_and_why(app: TestApp) {
    let certificate = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    app.revoke(number, json!({ "reason": "withdrawn", "note": "kết quả thi bị hủy" })).await;
    let Some(browser) = Browser::open(&app, "revoked").await else { return };

    browser.visit(&format!("/v/{number}")).await;
    assert_eq!(browser.verdict().await, "revoked");
    let revocation = browser.find("#revocation").await;
    let text = revocation.text().await.unwrap();
    assert!(text.contains("Cơ sở đào tạo rút lại kết quả"), "{text}");
    assert!(text.contains("kết quả thi bị hủy"), "{text}");
    assert_eq!(revocation.attr("data-reason").await.unwrap().as_deref(), Some("withdrawn"));
    browser.check_page("revoked").await;
    browser.close().await;
}

async fn is_this_the_person_in_front_of_me_yes_and_no(app: TestApp) {
    let certificate = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let Some(browser) = Browser::open(&app, "holder").await else { return };

    // At the desk, with the number typed in; then from the page the QR code opens.
    browser.visit("/verify").await;
    browser.wait_for("#number").await;
    browser.type_into("#number", number).await;
    browser.type_into("#national_id", HOLDER).await;
    let holder = browser.submit_and_wait_for("#holder").await;
    assert_eq!(holder.attr("data-holder").await.unwrap().as_deref(), Some("matches"));
    assert!(!browser.client.source().await.unwrap().contains(HOLDER));
    browser.check_page("holder-matches").await;

    browser.visit(&format!("/v/{number}")).await;
    browser.wait_for("#national_id").await;
    browser.check_page("link-asks-holder").await;
    browser.type_into("#national_id", SOMEONE_ELSE).await;
    let holder = browser.submit_and_wait_for("#holder").await;
    assert_eq!(holder.attr("data-holder").await.unwrap().as_deref(), Some("does-not-match"));
    assert!(!browser.client.source().await.unwrap().contains(SOMEONE_ELSE));
    browser.check_page("holder-does-not-match").await;

    // A mistyped ID number: the form again, the certificate number kept, the ID field empty.
    browser.visit("/verify").await;
    browser.wait_for("#number").await;
    browser.type_into("#number", number).await;
    browser.type_into("#national_id", "00108501234").await;
    browser.submit_and_wait_for("#form-error").await;
    let kept = browser.find("#number").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some(number));
    let emptied = browser.find("#national_id").await.prop("value").await.unwrap();
    assert_eq!(emptied.as_deref(), Some(""));
    assert!(!browser.client.source().await.unwrap().contains("00108501234"));
    browser.check_page("form-error").await;
    browser.close().await;
}

impl Browser {
    /// Opens `path`, which needs a session: signs in on the sign-in page it leads to with `key`
    /// (an HR key or operator token), as a person does, and waits for `css` on the page it
    /// comes back to.
    async fn sign_in_to(&self, path: &str, key: &str, css: &str) {
        self.visit(path).await;
        self.wait_for("#key").await;
        self.type_into("#key", key).await;
        let form = "form[action=\"/sign-in/key\"] button[type=submit]";
        self.find(form).await.click().await.unwrap();
        self.wait_for(css).await;
    }

    /// Opens `path`, which needs a session: signs in as Nguyễn Văn An at the development
    /// identity provider the sign-in page leads to, and waits for `css` on the page it comes
    /// back to.
    async fn sign_in_as_holder_to(&self, path: &str, css: &str) {
        self.visit(path).await;
        self.wait_for("#sign-in-provider").await.click().await.unwrap();
        self.wait_for("#development-only").await;
        self.find(&format!("input[value='{HOLDER}']")).await.click().await.unwrap();
        self.find("#dev-idp-sign-in").await.click().await.unwrap();
        self.wait_for(css).await;
    }

    /// The text of the element `css`.
    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Presses the dashboard's filter button and waits for the report of `as_of`.
    async fn show_report_of(&self, as_of: &str) {
        // The page before may show the same date: marked, it is told apart from the new one.
        let mark = "document.documentElement.dataset.before = 'submit'";
        self.client.execute(mark, Vec::new()).await.unwrap();
        self.find(".filters button[type=submit]").await.click().await.unwrap();
        self.wait_for(&format!("html:not([data-before]) time#as-of[datetime=\"{as_of}\"]")).await;
    }

    /// `GET` of the link `css` of the page with the browser's session cookie, as the browser
    /// fetches a download.
    async fn download(&self, app: &TestApp, css: &str) -> crate::helpers::TestResponse {
        let href = self.find(css).await.attr("href").await.unwrap().unwrap();
        let cookie = self.client.get_named_cookie(crate::sessions::COOKIE).await.unwrap();
        let path = href.strip_prefix(&self.base).unwrap_or(&href);
        let cookie = format!("{}={}", cookie.name(), cookie.value());
        crate::sessions::get_with_cookie(app, path, &cookie).await
    }
}

async fn hr_signs_in_and_reads_its_subtree_s_dashboard(app: TestApp) {
    crate::reports::registry(&app).await;
    let key = crate::dashboard::Visitor::hr_key(&app, "G01.H29").await;
    let Some(browser) = Browser::open(&app, "dashboard-hr").await else { return };

    browser.sign_in_to("/reports?as_of=2026-12-05", &key, "#headline").await;
    let scope = browser.find("#scope strong").await;
    assert_eq!(scope.attr("data-agency").await.unwrap().as_deref(), Some("G01.H29"));
    let everyone = "#totals tr[data-requirement=ALL] td[data-cell=officials]";
    assert_eq!(browser.text(everyone).await, "7", "the department and its units");
    // A suppressed cell says so; it is never shown as 0.
    let suppressed = browser.client.find_all(Locator::Css("td.suppressed")).await.unwrap();
    for cell in &suppressed {
        assert!(cell.text().await.unwrap().starts_with("ẩn"));
    }
    browser.check_page("dashboard").await;

    // The missing list of group 3's refresher: the department's own two, nobody else's.
    let link = "#totals tr[data-requirement=\"R145-N3\"] a.missing-list";
    browser.find(link).await.click().await.unwrap();
    browser.wait_for("#missing").await;
    let mut names = Vec::new();
    for row in browser.client.find_all(Locator::Css("#missing tbody th")).await.unwrap() {
        names.push(row.text().await.unwrap());
    }
    names.sort();
    assert_eq!(names, ["Lò Thị Bình", "Đỗ Thị Khánh"]);
    browser.check_page("missing-list").await;
    browser.find("#back").await.click().await.unwrap();
    browser.wait_for("#headline").await;

    // The downloads, with the browser's session.
    let csv = browser.download(&app, "#download-csv").await;
    assert_eq!(
        (csv.status, csv.content_type.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&csv.raw).contains("\nRPT-STD,2026-12-05,ALL,,,7,"));
    let xlsx = browser.download(&app, "#download-xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.raw.starts_with(b"PK"));

    // Another day, picked in the date field: other figures.
    browser.paste_into("#as_of", "2025-05-01").await;
    browser.show_report_of("2025-05-01").await;
    assert_ne!(browser.text(everyone).await, "7");
    browser.check_page("dashboard-earlier").await;
    browser.close().await;
}

async fn the_operator_sees_the_whole_country_by_any_report_and_group(app: TestApp) {
    crate::reports::registry(&app).await;
    let Some(browser) = Browser::open(&app, "dashboard-operator").await else { return };

    browser.sign_in_to("/reports?as_of=2026-12-05", &app.admin_token, "#headline").await;
    let scope = browser.find("#scope strong").await;
    assert_eq!(scope.attr("data-agency").await.unwrap().as_deref(), Some(""));
    assert_eq!(
        browser.text("#totals tr[data-requirement=ALL] td[data-cell=officials]").await,
        "10"
    );
    browser.find("#report").await.select_by_value("RPT-PRIORITY").await.unwrap();
    browser.find("#breakdown").await.select_by_value("none").await.unwrap();
    browser.show_report_of("2026-12-05").await;
    let sections = browser.client.find_all(Locator::Css("section.breakdown")).await.unwrap();
    let mut breakdowns = Vec::new();
    for section in &sections {
        breakdowns.push(section.attr("data-breakdown").await.unwrap().unwrap_or_default());
    }
    assert_eq!(breakdowns, ["gender", "ethnicity", "age_band"], "RPT-PRIORITY's three");
    // Every chart is an image with a text alternative, beside the table of its figures.
    let charts = browser.client.find_all(Locator::Css("svg.chart[role=img]")).await.unwrap();
    assert_eq!(charts.len(), sections.len() + 1);
    for chart in &charts {
        let title = chart.find(Locator::Css("title")).await.unwrap();
        assert!(title.html(true).await.unwrap().contains("Biểu đồ tỷ lệ đạt"));
    }
    browser.check_page("priority").await;
    browser.close().await;
}

/// Nguyễn Văn An signs in through the development identity provider and shares a certificate
/// on /me/shares; an HR officer opens the link in another browser, signed out; the opening is in
/// his read log; he revokes the link and the HR officer is refused.
async fn an_official_shares_a_certificate_then_revokes_the_link(app: TestApp, base: String) {
    let certificate = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let Some(official_browser) = Browser::open_at(&app, &base, "share-official").await else {
        return;
    };
    official_browser.sign_in_as_holder_to("/me/shares", "#shares").await;
    official_browser.check_page("shares-none-yet").await;
    official_browser.find("#certificate").await.select_by_value(number).await.unwrap();
    official_browser.find("#days").await.clear().await.unwrap();
    official_browser.type_into("#days", "2").await;
    official_browser.type_into("#label", "Vụ Tổ chức cán bộ").await;
    official_browser.find("form.panel button[type=submit]").await.click().await.unwrap();
    official_browser.wait_for("#new-link-qr svg").await;
    official_browser.check_page("share-made").await;
    let url = official_browser.find("#new-link").await.prop("value").await.unwrap().unwrap();
    let path = url.strip_prefix(&base).unwrap().to_owned();
    assert!(path.starts_with("/s/") && !path.contains(HOLDER), "{url}");

    let Some(hr_browser) = Browser::open_at(&app, &base, "share-hr").await else { return };
    hr_browser.visit(&path).await;
    assert_eq!(hr_browser.verdict().await, "valid");
    assert!(hr_browser.client.source().await.unwrap().contains(number));
    hr_browser.wait_for("#shared-notice").await;
    hr_browser.check_page("shared-certificate").await;

    official_browser.visit("/me").await;
    let log = official_browser.wait_for("#read-log").await.text().await.unwrap();
    assert!(log.contains("Opened through the share link “Vụ Tổ chức cán bộ”"), "{log}");
    official_browser.visit("/me/shares").await;
    official_browser.wait_for("#share-links button[type=submit]").await.click().await.unwrap();
    official_browser.wait_for(r#"#share-links tr[data-state="revoked"]"#).await;
    official_browser.check_page("share-revoked").await;
    hr_browser.visit(&path).await;
    let refused = hr_browser.wait_for("#error").await;
    assert_eq!(refused.attr("data-error").await.unwrap().as_deref(), Some("share-revoked"));
    hr_browser.check_page("shared-link-revoked").await;
    hr_browser.close().await;
    official_browser.close().await;
}

on_both_backends!(
    an_hr_officer_verifies_a_good_certificate_by_number_pasted_and_uploaded,
    a_tampered_certificate_shows_which_check_failed,
    the_qr_link_of_a_revoked_certificate_says_revoked_and_why,
    is_this_the_person_in_front_of_me_yes_and_no,
    hr_signs_in_and_reads_its_subtree_s_dashboard,
    the_operator_sees_the_whole_country_by_any_report_and_group,
);

/// An official signs in through the development identity provider, sees their record and who
/// read it, downloads the printed record and a certificate's JSON, and signs out.
async fn an_official_signs_in_sees_and_downloads_their_record_and_signs_out(
    app: TestApp,
    base: String,
) {
    let certificate = certificate(&app).await; // Nguyễn Văn An's
    let number = certificate["number"].as_str().unwrap();
    app.register_official(&official_body(SOMEONE_ELSE, "Trần Văn Bình")).await;
    let (_, key) = agency_key(&app, "G01.H29").await;
    let official_id = app
        .store
        .official_id_by_national_id(&hocba_domain::NationalId::parse_format(HOLDER).unwrap())
        .await;
    let uri = format!("/api/v1/officials/{}/record", official_id.unwrap().unwrap());
    let read = app.request(axum::http::Method::GET, &uri, Some(&key), None).await;
    assert_eq!(read.status, StatusCode::OK);

    let Some(browser) = Browser::open_at(&app, &base, "official").await else { return };
    browser.visit("/me").await;
    browser.wait_for("#sign-in-provider").await;
    browser.check_page("sign-in").await;
    browser.find("#sign-in-provider").await.click().await.unwrap();
    browser.wait_for("#development-only").await;
    browser.check_page("dev-idp").await;
    browser.find(&format!("input[value='{HOLDER}']")).await.click().await.unwrap();
    browser.find("#dev-idp-sign-in").await.click().await.unwrap();
    let name = browser.wait_for("#record-name").await.text().await.unwrap();
    assert_eq!(name, "Nguyễn Văn An");
    let signed_in_as = browser.find("#signed-in-as").await.text().await.unwrap();
    assert_eq!(signed_in_as, "Nguyễn Văn An");
    let page = browser.client.source().await.unwrap();
    assert!(page.contains(number) && !page.contains("Trần Văn Bình"));
    let log = browser.find("#read-log").await.text().await.unwrap();
    assert!(log.contains("HR department — Sở Nội vụ thành phố Hà Nội"), "{log}");
    browser.check_page("record").await;

    // The printed record, with the browser's own session cookie.
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let session = cookies.iter().find(|cookie| cookie.name() == "hocba_session").unwrap();
    assert_eq!(session.http_only(), Some(true));
    let href = browser.find("#download-record-pdf").await.attr("href").await.unwrap().unwrap();
    let cookie = format!("hocba_session={}", session.value());
    let pdf = crate::sessions::get_with_cookie(&app, &href, &cookie).await;
    assert_eq!((pdf.status, pdf.content_type.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.raw.starts_with(b"%PDF"));
    // A certificate's JSON, opened in the browser.
    let json_link = format!("a[aria-label='JSON {number}']");
    let href = browser.find(&json_link).await.attr("href").await.unwrap().unwrap();
    browser.visit(&href).await;
    let text = browser.wait_for("body").await.text().await.unwrap();
    let credential: Value = serde_json::from_str(&text).unwrap();
    assert!(
        credential["credentialSubject"].to_string().contains("Nguyễn Văn An")
            || text.contains(number)
    );

    // The certificate's own verification page (its QR code's link) still says who is signed in.
    browser.visit(&format!("/v/{number}")).await;
    let signed_in_as = browser.wait_for("#signed-in-as").await.text().await.unwrap();
    assert_eq!(signed_in_as, "Nguyễn Văn An");

    // The reports are about other people: not offered to an official, and refused if asked for.
    assert!(!page.contains("href=\"/reports\""));
    browser.visit("/reports").await;
    let refused = browser.wait_for("#error").await;
    assert_eq!(refused.attr("data-error").await.unwrap().as_deref(), Some("not-for-readers"));
    browser.check_page("reports-refused").await;

    browser.visit("/me").await;
    browser.wait_for("form.session button").await.click().await.unwrap();
    browser.wait_for("#key").await;
    browser.check_page("signed-out").await;
    browser.visit("/me").await;
    browser.wait_for("#sign-in-provider").await;
    assert!(browser.client.current_url().await.unwrap().as_str().contains("/sign-in?next=%2Fme"));
    browser.close().await;
}

/// Nguyễn Văn An follows the link on /me to where he stands against the standards of his rank:
/// met by the course the registry holds, as of a day after it; missing as of a day before it;
/// a day that is not a date is said so, beside its field.
async fn an_official_sees_where_they_stand_against_the_standards(app: TestApp, base: String) {
    let certificate = certificate(&app).await; // Nguyễn Văn An's, a chuyên viên's rank course
    let number = certificate["number"].as_str().unwrap();
    let Some(browser) = Browser::open_at(&app, &base, "standards").await else { return };
    browser.sign_in_as_holder_to("/me", "#standards-link").await;
    browser.find("#standards-link").await.click().await.unwrap();
    browser.wait_for("#standards").await;

    browser.paste_into("#as_of", "2025-05-01").await;
    browser.show_report_of("2025-05-01").await;
    let rank = browser.wait_for("#rule-RANK-CV").await;
    assert_eq!(rank.attr("data-status").await.unwrap().as_deref(), Some("met"));
    let row = rank.text().await.unwrap();
    assert!(row.contains("Met") && row.contains("40"), "{row}");
    assert!(browser.text("#summary").await.contains("every requirement is met"));
    // The legal basis carries the rules file's marks of certainty; the page says what they mean.
    let marks = browser.text("#legal-basis-marks").await;
    assert!(marks.contains("[A]") && marks.contains("assumption"), "{marks}");
    browser.check_page("standards-met").await;

    browser.visit("/me/standards?as_of=2025-04-01").await;
    let rank = browser.wait_for("#rule-RANK-CV").await;
    assert_eq!(rank.attr("data-status").await.unwrap().as_deref(), Some("missing"));
    assert!(browser.text("#summary").await.contains("not met yet"));

    browser.visit("/me/standards?as_of=May").await;
    let error = browser.wait_for("#form-error").await.text().await.unwrap();
    assert!(error.contains("not a date"), "{error}");
    browser.check_page("standards-bad-date").await;

    // Each evaluation is a read of the record, in the official's own log.
    browser.visit("/me").await;
    let log = browser.wait_for("#read-log").await.text().await.unwrap();
    assert!(log.contains("You"), "{log}");
    assert!(browser.client.source().await.unwrap().contains(number));
    browser.close().await;
}

/// Nguyễn Văn An signs in, lets the portal read his record on /me, sees its read in his log,
/// and withdraws the consent; the portal is refused at once.
async fn an_official_gives_then_withdraws_a_consent(app: TestApp, base: String) {
    certificate(&app).await;
    let holder = hocba_domain::NationalId::parse_format(HOLDER).unwrap();
    let official_id = app.store.official_id_by_national_id(&holder).await.unwrap().unwrap();
    let portal = app.machine_client(&["records:read"], None).await;
    let record = format!("/api/v1/officials/{official_id}/record");
    let portal_reads = || app.request(axum::http::Method::GET, &record, Some(&portal.token), None);
    let Some(browser) = Browser::open_at(&app, &base, "consent").await else { return };
    browser.sign_in_as_holder_to("/me", "#consent-form").await;
    browser.check_page("consents-none-yet").await;

    browser.find("#consent-client").await.select_by_value(&portal.client_id).await.unwrap();
    browser.type_into("#consent-purpose", "Hồ sơ xin cấp phép hành nghề").await;
    browser.paste_into("#consent-until", &in_days(60)).await;
    browser.find("#consent-grant").await.click().await.unwrap();
    browser.wait_for(r#"#consent-list tr[data-state="live"]"#).await;
    browser.check_page("consent-given").await;
    assert_eq!(portal_reads().await.status, StatusCode::OK);

    browser.visit("/me").await;
    let log = browser.wait_for("#read-log").await.text().await.unwrap();
    assert!(log.contains("under your consent, for “Hồ sơ xin cấp phép hành nghề”"), "{log}");
    browser.find("#consent-list button[type=submit]").await.click().await.unwrap();
    browser.wait_for(r#"#consent-list tr[data-state="withdrawn"]"#).await;
    browser.check_page("consent-withdrawn").await;
    portal_reads().await.assert_problem(StatusCode::FORBIDDEN, "consent-withdrawn");
    browser.close().await;
}

with_dev_idp!(
    dev_idp_sqlite, dev_idp_postgres:
    an_official_shares_a_certificate_then_revokes_the_link,
    an_official_signs_in_sees_and_downloads_their_record_and_signs_out,
    an_official_sees_where_they_stand_against_the_standards,
    an_official_gives_then_withdraws_a_consent,
);

/// Whom the development provider offers in the browser test.
const PEOPLE: [(&str, &str); 2] = [("Nguyễn Văn An", HOLDER), ("Trần Văn Bình", SOMEONE_ELSE)];
