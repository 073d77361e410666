//! Printed certificates and records, read back as a person and a phone would: the text with
//! poppler's `pdftotext` (the name keeps its diacritics), the page rasterized at 150 dpi with
//! `pdftoppm` and its QR code decoded with zbar's `zbarimg`, the link it holds followed.
//!
//! Needs poppler-utils and zbar-tools (Debian); without them these tests are skipped, unless
//! `HOCBA_REQUIRE_PDFTOOLS` is set, as it is in CI.

use std::path::Path;
use std::process::Command;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::agencies::agency_key;
use crate::completions::{completion, program_completion, setting};
use crate::helpers::{BASE_URL, TestApp, TestResponse};
use crate::signin::id_token;

/// Whether poppler and zbar are installed; with `HOCBA_REQUIRE_PDFTOOLS` set, missing is a
/// failure.
fn pdf_tools() -> bool {
    let installed = ["pdftotext", "pdftoppm", "pdfinfo", "zbarimg"]
        .iter()
        .all(|tool| Command::new(tool).arg("-v").output().is_ok());
    if !installed {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_PDFTOOLS").is_none(),
            "HOCBA_REQUIRE_PDFTOOLS is set but poppler-utils or zbar-tools is not installed"
        );
        eprintln!("skipped: pdftotext, pdftoppm, pdfinfo or zbarimg is not installed");
    }
    installed
}

/// A PDF answer, kept in a temporary folder for the tools to read.
struct Printed {
    dir: tempfile::TempDir,
}

impl Printed {
    fn new(answer: &TestResponse) -> Printed {
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        assert_eq!(answer.content_type, "application/pdf");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("printed.pdf"), &answer.raw).unwrap();
        Printed { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let output = Command::new(tool).current_dir(self.dir.path()).args(args).output().unwrap();
        assert!(output.status.success(), "{tool}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text of `page` (all pages: `None`).
    fn text(&self, page: Option<usize>) -> String {
        let page = page.map(|page| page.to_string());
        let mut args = vec!["-enc", "UTF-8"];
        if let Some(page) = &page {
            args.extend(["-f", page, "-l", page]);
        }
        args.extend(["printed.pdf", "-"]);
        self.run("pdftotext", &args)
    }

    fn pages(&self) -> usize {
        let info = self.run("pdfinfo", &["printed.pdf"]);
        let pages = info.lines().find_map(|line| line.strip_prefix("Pages:")).unwrap();
        pages.trim().parse().unwrap()
    }

    /// What the QR code on the first page says, as a phone reads it from the printed page.
    fn qr_code(&self) -> String {
        self.run(
            "pdftoppm",
            &["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "printed.pdf", "page"],
        );
        assert!(Path::new(&self.path("page.png")).exists());
        self.run("zbarimg", &["--quiet", "--raw", "page.png"]).trim().to_owned()
    }
}

async fn a_certificate_prints_with_the_holders_name_and_a_qr_code_of_its_verification_link(
    app: TestApp,
) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();

    // Anyone holding the number may print it, as anyone may read it.
    let answer = app.get(&format!("/api/v1/certificates/{number}/pdf")).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.content_type, "application/pdf");
    app.get("/api/v1/certificates/HB-2026-00000-00000/pdf")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    if !pdf_tools() {
        return;
    }
    let printed = Printed::new(&answer);
    assert_eq!(printed.pages(), 1);
    let text = printed.text(None);
    for expected in
        ["Nguyễn Văn An", "GIẤY CHỨNG NHẬN", "CERTIFICATE", "Chương trình QLNN-CV-2024", &number]
    {
        assert!(text.contains(expected), "{expected:?} is not in the text:\n{text}");
    }
    assert!(!text.contains("REVOKED"), "{text}");

    let link = printed.qr_code();
    assert_eq!(link, format!("{BASE_URL}/v/{number}"));
    assert!(text.contains(&link), "the link is printed under the code:\n{text}");
    // Follow it, as a phone that scanned the code would: the verification page for this
    // certificate, which finds it valid.
    let path = link.strip_prefix(BASE_URL).unwrap();
    let page = app.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.raw).unwrap();
    assert!(html.contains(&number), "the page names the certificate:\n{html}");
    assert!(html.contains("data-verdict=\"valid\""), "the page finds it valid:\n{html}");
}

async fn a_revoked_certificate_prints_marked_revoked_with_its_reason(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = posted.body["certificate"]["number"].as_str().unwrap().to_owned();
    app.revoke_as(&s.token, &number, json!({ "reason": "issued_in_error", "note": "sai lớp" }))
        .await;
    let answer = app.get(&format!("/api/v1/certificates/{number}/pdf")).await;
    if !pdf_tools() {
        return;
    }
    let printed = Printed::new(&answer);
    let text = printed.text(None);
    for expected in
        ["ĐÃ THU HỒI / REVOKED", "cấp nhầm / issued in error", "sai lớp", "Nguyễn Văn An"]
    {
        assert!(text.contains(expected), "{expected:?} is not in the text:\n{text}");
    }
    assert_eq!(printed.qr_code(), format!("{BASE_URL}/v/{number}"));
}

/// `count` completions of the setting's programme, a month apart from January 2020.
fn completions(count: usize) -> Vec<Value> {
    let first = time::macros::date!(2020 - 01 - 06);
    (0..count)
        .map(|n| {
            let started_on = first + time::Duration::days(30 * n as i64);
            let ended_on = started_on + time::Duration::days(9);
            let mut row =
                program_completion("QLNN-CV-2024", &started_on.to_string(), &ended_on.to_string());
            row["duration_days"] = json!(8);
            row
        })
        .collect()
}

async fn a_record_of_sixty_completions_prints_across_pages_with_the_header_on_each(app: TestApp) {
    let s = setting(&app).await;
    let official_id = s.official["id"].as_str().unwrap();
    let rows = completions(60);
    let batch = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    assert_eq!(batch.status, StatusCode::OK, "{:#}", batch.body);
    assert_eq!(batch.body["accepted"], 60, "{:#}", batch.body);
    let first_number = batch.body["rows"][0]["certificate_number"].as_str().unwrap().to_owned();
    app.revoke_as(&s.token, &first_number, json!({ "reason": "withdrawn" })).await;

    let answer = app.get_as_admin(&format!("/api/v1/officials/{official_id}/record/pdf")).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    if !pdf_tools() {
        return;
    }
    let printed = Printed::new(&answer);
    let pages = printed.pages();
    assert!(pages > 1, "60 completions fit on {pages} page");
    for page in 1..=pages {
        let text = printed.text(Some(page));
        assert!(
            text.contains("Chương trình") && text.contains("Certificate"),
            "page {page}:\n{text}"
        );
        let numbering = format!("Trang {page}/{pages} · Page {page} of {pages}");
        assert!(text.contains(&numbering), "page {page} lacks {numbering:?}:\n{text}");
        assert!(text.contains("Nguyễn Văn An"), "page {page}:\n{text}");
    }
    let text = printed.text(None);
    assert!(text.contains(&first_number), "{text}");
    assert!(text.contains("Trường TCT-HANAM"), "a row names its institution:\n{text}");
    assert!(text.contains("Đã thu hồi / Revoked"), "{text}");
    // 59 live completions of 8 days.
    assert!(text.contains("Tổng cộng / Total"), "{text}");
    assert!(text.contains("472"), "{text}");
    assert!(text.contains("Chữ ký số · Digital signatures"), "{text}");
    assert!(text.contains("eddsa-jcs-2022"), "{text}");
}

async fn the_printed_record_has_the_records_readers_and_each_print_is_logged(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let official_id = s.official["id"].as_str().unwrap();
    let uri = format!("/api/v1/officials/{official_id}/record/pdf");
    let (_, own_hr) = agency_key(&app, "G01.H29").await;
    let (_, other_hr) = agency_key(&app, "G01.H30").await;
    for token in [id_token("001085012345"), own_hr, app.admin_token.clone()] {
        let answer = app.request(Method::GET, &uri, Some(&token), None).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        assert_eq!(answer.content_type, "application/pdf");
        assert_eq!(answer.headers["cache-control"], "private, no-store");
    }
    app.request(Method::GET, &uri, Some(&other_hr), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.request(Method::GET, &uri, Some(&s.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get(&uri).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    let reads = app.get_as_admin(&format!("/api/v1/officials/{official_id}/reads")).await;
    let kinds: Vec<&Value> = reads
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|read| read["purpose"] == "GET /api/v1/officials/{id}/record/pdf")
        .map(|read| &read["reader_kind"])
        .collect();
    assert_eq!(kinds, [&json!("official"), &json!("agency"), &json!("operator")]);
}

on_both_backends!(
    a_certificate_prints_with_the_holders_name_and_a_qr_code_of_its_verification_link,
    a_revoked_certificate_prints_marked_revoked_with_its_reason,
    a_record_of_sixty_completions_prints_across_pages_with_the_header_on_each,
    the_printed_record_has_the_records_readers_and_each_print_is_logged,
);
