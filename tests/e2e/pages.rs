//! The public verification pages over HTTP (`/verify`, `/v/{number}`, the stylesheet): what
//! they answer, with which status, and that the national ID number typed into them never comes
//! back. The browser tests (`browser.rs`) drive the same pages as a person would.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, TestResponse};

pub(crate) const HOLDER: &str = "001085012345";
pub(crate) const SOMEONE_ELSE: &str = "001085054321";

/// A `multipart/form-data` body as a browser sends the form; a field named `file` is a file.
pub(crate) fn form_body(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "----hocba-test-form-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\n"));
        if *name == "file" {
            body.push_str(
                "Content-Disposition: form-data; name=\"file\"; filename=\"certificate.json\"\r\n\
                 Content-Type: application/json\r\n\r\n",
            );
        } else {
            body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"));
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Submits the verification form with `fields`.
async fn submit(app: &TestApp, fields: &[(&str, &str)]) -> Page {
    let (content_type, body) = form_body(fields);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/verify")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    Page::of(app.send(request).await)
}

/// An HTML answer.
struct Page {
    status: StatusCode,
    html: String,
    response: TestResponse,
}

impl Page {
    fn of(response: TestResponse) -> Page {
        let html = String::from_utf8(response.raw.clone()).unwrap();
        Page { status: response.status, html, response }
    }

    async fn get(app: &TestApp, uri: &str) -> Page {
        Page::of(app.get(uri).await)
    }

    /// Asserts a page for people with `status` whose html contains each of `expected`.
    #[track_caller]
    fn assert(&self, status: StatusCode, expected: &[&str]) {
        assert_eq!(self.status, status, "{}", self.html);
        assert_eq!(self.response.content_type, "text/html; charset=utf-8");
        assert!(self.html.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"), "{}", self.html);
        for wanted in expected {
            assert!(self.html.contains(wanted), "{wanted} is missing from\n{}", self.html);
        }
        assert!(!self.html.contains("<script"), "pages run no script");
    }

    /// The verdict's heading (`<h1 id="verdict" …>…</h1>`).
    fn verdict_heading(&self) -> &str {
        let start = self.html.find("<h1 id=\"verdict\"").expect("a verdict heading");
        let length = self.html[start..].find("</h1>").expect("a closed heading");
        &self.html[start..start + length]
    }

    /// The first row of the checks' table about `check` (its `data-check`), up to its end.
    fn check_row(&self, check: &str) -> &str {
        let marker = format!("data-check=\"{check}\"");
        let start = self.html.find(&marker).unwrap_or_else(|| panic!("no {marker} row"));
        let length = self.html[start..].find("</tr>").expect("a closed row");
        &self.html[start..start + length]
    }

    /// The failed checks' `data-check` names, in order.
    fn failed_checks(&self) -> Vec<&str> {
        self.html
            .split("<tr class=\"failed\" data-check=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }
}

/// A posted completion's certificate (number, credential, JWS) and the setting.
async fn certificate(app: &TestApp) -> (crate::completions::Setting, Value) {
    let s = setting(app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let certificate = posted.body["certificate"].clone();
    (s, certificate)
}

async fn the_pages_share_a_layout_and_a_cached_stylesheet_and_stay_out_of_the_api(app: TestApp) {
    let form = Page::get(&app, "/verify").await;
    form.assert(
        StatusCode::OK,
        &[
            "<link rel=\"stylesheet\" href=\"/static/hocba.css\">",
            "<a class=\"skip\" href=\"#main\">",
            "<main id=\"main\"",
            "enctype=\"multipart/form-data\"",
            "<label for=\"national_id\">",
            "aria-current=\"page\"",
        ],
    );
    assert_eq!(form.html.matches("<h1").count(), 1);
    let policy = form.response.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'; style-src 'self'"), "{policy}");
    assert_eq!(form.response.headers[header::CACHE_CONTROL], "no-store");

    let css = app.get("/static/hocba.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.content_type, "text/css; charset=utf-8");
    assert_eq!(css.headers[header::CACHE_CONTROL], "public, max-age=86400");
    let etag = css.headers[header::ETAG].to_str().unwrap().to_owned();
    let revalidated = app
        .send(
            Request::get("/static/hocba.css")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.raw.is_empty());

    let spec = app.get("/openapi.json").await;
    let paths = spec.body["paths"].as_object().unwrap();
    assert!(paths.keys().all(|path| !path.starts_with("/verify") && !path.starts_with("/v/")));
}

async fn a_certificate_is_verified_by_number_link_paste_and_upload(app: TestApp) {
    let (s, certificate) = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let credential = certificate["credential"].to_string();
    let jws = certificate["jws"].as_str().unwrap();
    let program = "Chương trình QLNN-CV-2024";
    let institution = format!("Trường {}", s.school["code"].as_str().unwrap());
    let expected = [
        "data-verdict=\"valid\"",
        "Nguyễn Văn An",
        program,
        &institution,
        "03/03/2025",
        "25/04/2025",
        "QLNN-CV",
        number,
    ];
    let by_number = submit(&app, &[("number", number), ("national_id", "")]).await;
    by_number.assert(StatusCode::OK, &expected);
    assert!(by_number.failed_checks().is_empty());
    for check in ["signature", "key", "issuer", "accreditation", "status", "validity"] {
        let row = format!("<tr class=\"passed\" data-check=\"{check}\"");
        assert!(by_number.html.contains(&row), "{row} is missing");
    }
    // Each check says in Vietnamese what it found, beside the verifier's English.
    let signature = by_number.check_row("signature");
    assert!(signature.contains("Chữ ký số khớp với nội dung"), "{signature}");
    assert!(by_number.check_row("status").contains("Không có thông báo thu hồi."));
    assert!(!by_number.html.contains("data-holder"), "no ID number was asked about");
    let link = Page::get(&app, &format!("/v/{number}")).await;
    link.assert(StatusCode::OK, &expected);
    // The QR code's page asks about the person in front of me without the number retyped.
    let hidden = format!("<input type=\"hidden\" name=\"number\" value=\"{number}\">");
    assert!(link.html.contains(&hidden), "{}", link.html);
    submit(&app, &[("credential", &credential)]).await.assert(StatusCode::OK, &expected);
    submit(&app, &[("credential", jws)]).await.assert(StatusCode::OK, &expected);
    submit(&app, &[("file", &credential)]).await.assert(StatusCode::OK, &expected);
    // As the API serves it, with its number and JWS around the credential.
    submit(&app, &[("credential", &certificate.to_string())])
        .await
        .assert(StatusCode::OK, &expected);
}

async fn the_person_in_front_of_me_is_matched_and_their_number_never_shown(app: TestApp) {
    let (_, certificate) = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let credential = certificate["credential"].to_string();
    for presented in [("number", number), ("credential", &credential)] {
        let holder = submit(&app, &[presented, ("national_id", HOLDER)]).await;
        holder.assert(StatusCode::OK, &["data-holder=\"matches\"", "Khớp", "Matches"]);
        assert!(!holder.html.contains(HOLDER));
        let other = submit(&app, &[presented, ("national_id", SOMEONE_ELSE)]).await;
        other.assert(StatusCode::OK, &["data-holder=\"does-not-match\"", "Does not match"]);
        assert!(!other.html.contains(SOMEONE_ELSE));
    }
    // A malformed number comes back as a form error beside its field, with the certificate
    // number kept and the ID number's field empty.
    for malformed in ["00108501234X", "0010850123456", "10850 1234"] {
        let refused = submit(&app, &[("number", number), ("national_id", malformed)]).await;
        refused.assert(
            StatusCode::UNPROCESSABLE_ENTITY,
            &[&format!("value=\"{number}\""), "12 chữ số", "aria-invalid=\"true\""],
        );
        assert!(!refused.html.contains(malformed));
        assert!(refused.html.contains("name=\"national_id\" type=\"text\""));
        assert!(refused.html.contains("autocomplete=\"off\" value=\"\""));
    }
}

async fn bad_input_gets_a_clear_page_with_its_status_never_a_500(app: TestApp) {
    let (_, certificate) = certificate(&app).await;
    let credential = certificate["credential"].clone();
    let unknown = hocba_domain::CertificateNumber::new(2026, [7; 7]).to_string();

    let not_held = submit(&app, &[("number", &unknown), ("national_id", HOLDER)]).await;
    not_held.assert(StatusCode::NOT_FOUND, &["No certificate in the registry has this number"]);
    assert!(not_held.html.contains(&format!("value=\"{unknown}\"")), "the number is kept");
    assert!(!not_held.html.contains(HOLDER));
    Page::get(&app, &format!("/v/{unknown}"))
        .await
        .assert(StatusCode::NOT_FOUND, &["data-error=\"unknown-number\""]);
    Page::get(&app, "/v/HB-2026-NOT-A-NUMBER")
        .await
        .assert(StatusCode::BAD_REQUEST, &["data-error=\"bad-number\""]);

    let typo = submit(&app, &[("number", "HB-2026-7K3M9-QFD2A-Y")]).await;
    typo.assert(
        StatusCode::BAD_REQUEST,
        &["value=\"HB-2026-7K3M9-QFD2A-Y\"", "check each character"],
    );
    submit(&app, &[("number", "")])
        .await
        .assert(StatusCode::BAD_REQUEST, &["Enter a certificate number"]);
    let both = submit(&app, &[("number", &unknown), ("credential", "{}")]).await;
    both.assert(StatusCode::BAD_REQUEST, &["Use only one way"]);
    for garbage in ["not a credential", "{\"broken\": ", "[1, 2, 3]"] {
        let refused = submit(&app, &[("credential", garbage)]).await;
        refused.assert(StatusCode::BAD_REQUEST, &["is not a digital certificate"]);
    }

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = json!("Trần Thị Bình");
    let page = submit(&app, &[("credential", &tampered.to_string())]).await;
    page.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\"", "Trần Thị Bình"]);
    assert_eq!(page.failed_checks(), ["signature", "signature", "issuer"]);
    let signature = page.check_row("signature");
    assert!(signature.contains("chứng chỉ đã bị sửa"), "{signature}");

    // A moment in the last hour of 9999 (UTC) has no day in Vietnam's time: the page says the
    // certificate is not valid rather than dropping the connection.
    let mut far = credential.clone();
    far["validFrom"] = json!("9999-12-31T23:00:00Z");
    let page = submit(&app, &[("credential", &far.to_string())]).await;
    page.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\""]);

    let mut unknown_key = credential.clone();
    for proof in unknown_key["proof"].as_array_mut().unwrap() {
        let method = proof["verificationMethod"].as_str().unwrap();
        let registry = method.split('#').next().unwrap().to_owned();
        proof["verificationMethod"] = json!(format!("{registry}#not-a-key-of-ours"));
    }
    let page = submit(&app, &[("credential", &unknown_key.to_string())]).await;
    page.assert(
        StatusCode::UNPROCESSABLE_ENTITY,
        &["data-verdict=\"invalid\"", "is not a key of this registry"],
    );
    assert!(page.failed_checks().starts_with(&["key", "signature"]), "{:?}", page.failed_checks());

    let not_a_credential = submit(&app, &[("credential", "{\"name\": \"a diploma\"}")]).await;
    not_a_credential.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\""]);
    assert_eq!(not_a_credential.failed_checks(), ["well-formed"]);
    let bad_jws = submit(&app, &[("credential", "eyJhbGciOiJub25lIn0.e30.c2ln")]).await;
    bad_jws.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\""]);

    // Not a multipart form at all: still a page.
    let urlencoded = app.post_form("/verify", "number=HB", None).await;
    let page = Page::of(urlencoded);
    page.assert(StatusCode::BAD_REQUEST, &["data-error=\"bad-form\""]);
    let binary = submit(&app, &[("file", "\u{0}\u{1}")]).await;
    assert!(binary.status.is_client_error(), "{}", binary.html);
}

async fn a_revoked_certificate_says_why_and_a_superseded_one_links_its_successor(app: TestApp) {
    let (s, certificate) = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    app.revoke(number, json!({ "reason": "withdrawn", "note": "kết quả thi bị hủy" })).await;
    let page = Page::get(&app, &format!("/v/{number}")).await;
    page.assert(
        StatusCode::OK,
        &[
            "data-verdict=\"revoked\"",
            "data-reason=\"withdrawn\"",
            "Withdrawn by the institution",
            "kết quả thi bị hủy",
            "Nguyễn Văn An",
        ],
    );
    assert_eq!(page.failed_checks(), ["status"]);
    assert!(page.check_row("status").contains("Đã bị thu hồi"), "{}", page.check_row("status"));
    let pasted = submit(&app, &[("credential", &certificate["credential"].to_string())]).await;
    pasted.assert(StatusCode::OK, &["data-verdict=\"revoked\"", "kết quả thi bị hủy"]);

    let (old, new) = superseded(&app, &s).await;
    let old = old["number"].as_str().unwrap();
    let page = Page::get(&app, &format!("/v/{old}")).await;
    page.assert(
        StatusCode::OK,
        &["data-reason=\"superseded\"", &format!("<a id=\"successor\" href=\"/v/{new}\">")],
    );
    Page::get(&app, &format!("/v/{new}")).await.assert(StatusCode::OK, &["data-verdict=\"valid\""]);
}

/// A programme's completion posted by `s`'s school, then corrected: the first certificate,
/// revoked as superseded, and its successor's number.
async fn superseded(app: &TestApp, s: &crate::completions::Setting) -> (Value, String) {
    let mut program =
        crate::completions::program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    program["duration_days"] = json!(30);
    let first = app.post_as(&s.token, "/api/v1/completions", &program).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:#}", first.body);
    program["duration_days"] = json!(35);
    let id = first.body["completion"]["id"].as_str().unwrap();
    let corrected =
        app.post_as(&s.token, &format!("/api/v1/completions/{id}/correct"), &program).await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{:#}", corrected.body);
    let new = corrected.body["certificate"]["number"].as_str().unwrap().to_owned();
    (first.body["certificate"].clone(), new)
}

/// A credential made up to name another certificate's revocation slot learns the slot's bit,
/// which the public status list shows, never why it was set nor the number of the certificate
/// that replaced it (with it, anyone could read that certificate).
async fn a_credential_naming_another_s_revocation_slot_learns_only_its_bit(app: TestApp) {
    let (s, certificate) = certificate(&app).await;
    let (replaced, successor) = superseded(&app, &s).await;
    let mut forged = certificate["credential"].clone();
    forged["credentialStatus"] = replaced["credential"]["credentialStatus"].clone();

    let vc_api = app.post("/credentials/verify", &json!({ "verifiableCredential": forged })).await;
    let registry = app.post("/api/v1/verify", &json!({ "credential": forged })).await;
    for answer in [&vc_api.body, &registry.body] {
        let text = answer.to_string();
        assert!(text.contains("revoked"), "the bit is told: {answer:#}");
        assert!(!text.contains(&successor) && !text.contains("superseded"), "{answer:#}");
    }
    let page = submit(&app, &[("credential", &forged.to_string())]).await;
    assert!(!page.html.contains(&successor), "{}", page.html);
    assert!(!page.html.contains("id=\"revocation\""), "{}", page.html);

    // The replaced certificate itself still says why, and names its successor.
    let genuine = json!({ "verifiableCredential": replaced["credential"] });
    let answer = app.post("/credentials/verify", &genuine).await;
    assert!(answer.body.to_string().contains(&successor), "{:#}", answer.body);
}

async fn a_pasted_transcript_lists_its_certificates_each_checked(app: TestApp) {
    let (official_id, [first, second], revoked) =
        crate::transcript::an_official_with_a_record(&app).await;
    let transcript = crate::transcript::transcript(&app, &official_id).await;
    let page = submit(&app, &[("credential", &transcript.to_string())]).await;
    let links = [&first, &second].map(|number| format!("href=\"/v/{number}\""));
    page.assert(
        StatusCode::OK,
        &["data-verdict=\"valid\"", "data-kind=\"transcript\"", &links[0], &links[1]],
    );
    assert!(!page.html.contains(&revoked), "a transcript states only what stands");
    // Each certificate inside is checked on its own, and the page says which one a check is about.
    for within in [1, 2] {
        let named = format!("Chứng chỉ thứ {within} <span lang=\"en\">Certificate {within}</span>");
        assert!(page.html.contains(&named), "{named} is missing");
    }
    assert!(page.failed_checks().is_empty());
    // The verdict is about the transcript, in both languages, and never calls it a certificate.
    let heading = page.verdict_heading();
    assert!(heading.contains("Bảng tổng hợp hợp lệ <span lang=\"en\">Valid transcript</span>"));
    assert!(!heading.contains("Chứng chỉ") && !heading.contains("ertificate"), "{heading}");
    assert!(page.html.contains("<title>Kết quả kiểm tra bảng tổng hợp · Hocba</title>"));

    let mut tampered = transcript.clone();
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][1]["value"] =
        json!("400");
    let page = submit(&app, &[("credential", &tampered.to_string())]).await;
    page.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\""]);
    let heading = page.verdict_heading();
    assert!(
        heading.contains(
            "Bảng tổng hợp không hợp lệ <span lang=\"en\">This transcript is not valid</span>"
        ),
        "{heading}"
    );
    assert!(page.html.contains("Do not trust what this transcript says."));

    // A certificate keeps its own words.
    let page = Page::get(&app, &format!("/v/{first}")).await;
    assert!(
        page.verdict_heading().contains("Chứng chỉ hợp lệ <span lang=\"en\">Valid certificate")
    );
}

/// A certificate's page is asked for again and again (its QR code is printed): what it proves is
/// worked out each time all the same. Only a signature's arithmetic over bytes already checked
/// is remembered; the revocation and the keys are read as they are now.
async fn a_page_shown_before_says_revoked_at_once_and_fails_once_its_key_is_revoked(app: TestApp) {
    let (_, certificate) = certificate(&app).await;
    let number = certificate["number"].as_str().unwrap();
    let link = format!("/v/{number}");
    for _ in 0..3 {
        Page::get(&app, &link).await.assert(StatusCode::OK, &["data-verdict=\"valid\""]);
    }
    app.revoke(number, json!({ "reason": "fraud", "note": "gian lận" })).await;
    let page = Page::get(&app, &link).await;
    page.assert(StatusCode::OK, &["data-verdict=\"revoked\"", "data-reason=\"fraud\""]);
    assert_eq!(page.failed_checks(), ["status"]);
    let pasted = submit(&app, &[("credential", &certificate["credential"].to_string())]).await;
    pasted.assert(StatusCode::OK, &["data-verdict=\"revoked\""]);

    // The key revoked in the store, as `hocba keys` does from another process.
    app.revoke_first_signing_key().await;
    let page = Page::get(&app, &link).await;
    page.assert(StatusCode::UNPROCESSABLE_ENTITY, &["data-verdict=\"invalid\"", "was revoked on"]);
    assert!(page.failed_checks().contains(&"key"), "{:?}", page.failed_checks());
}

/// Anyone may send the form, so each source address may send only so many a second (as many
/// as a credential's API requests); beyond it, a page that says so, 429 and `Retry-After`.
async fn the_form_is_limited_per_source_address_with_a_page_and_retry_after(app: TestApp) {
    let app = app.with_rate_limit(1);
    for _ in 0..2 {
        submit(&app, &[("number", "")]).await.assert(StatusCode::BAD_REQUEST, &[]);
    }
    let page = submit(&app, &[("number", "")]).await;
    page.assert(
        StatusCode::TOO_MANY_REQUESTS,
        &["data-error=\"rate-limited\"", "Quá nhiều yêu cầu <span lang=\"en\">Too many requests"],
    );
    let retry_after = page.response.headers[header::RETRY_AFTER].to_str().unwrap();
    assert!(retry_after.parse::<u64>().unwrap() >= 1, "{retry_after}");
    // The empty form and the short links are not the form's to limit.
    Page::get(&app, "/verify").await.assert(StatusCode::OK, &[]);
}

on_both_backends!(
    the_form_is_limited_per_source_address_with_a_page_and_retry_after,
    a_page_shown_before_says_revoked_at_once_and_fails_once_its_key_is_revoked,
    the_pages_share_a_layout_and_a_cached_stylesheet_and_stay_out_of_the_api,
    a_certificate_is_verified_by_number_link_paste_and_upload,
    the_person_in_front_of_me_is_matched_and_their_number_never_shown,
    bad_input_gets_a_clear_page_with_its_status_never_a_500,
    a_revoked_certificate_says_why_and_a_superseded_one_links_its_successor,
    a_credential_naming_another_s_revocation_slot_learns_only_its_bit,
    a_pasted_transcript_lists_its_certificates_each_checked,
);
