//! Both documents render from plain data (the end-to-end tests read them back with poppler and
//! zbar: tests/e2e/pdf.rs). With `HOCBA_PDF_OUT=DIR` the files are kept there to look at.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocba_domain::RevocationReason;

mod support {
    pub mod sheets;
}
use support::sheets;

fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("HOCBA_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

/// The number of pages, as the page tree counts them.
fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type/Page").count() - text.matches("/Type/Pages").count()
}

#[test]
fn a_certificate_is_one_a4_page_with_the_font_subset_embedded_even_with_long_texts() {
    let pdf = hocba_pdf::certificate(&sheets::certificate(None)).unwrap();
    keep("certificate.pdf", &pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(pages(&pdf), 1);
    // Subset: the whole regular and bold faces are a megabyte.
    assert!(pdf.len() < 120_000, "{} bytes", pdf.len());
    let revoked =
        hocba_pdf::certificate(&sheets::certificate(Some(RevocationReason::Fraud))).unwrap();
    keep("certificate-revoked.pdf", &revoked);
    assert_eq!(pages(&revoked), 1);
    let mut long = sheets::certificate(Some(RevocationReason::Superseded));
    long.holder_name = "Tôn Nữ Thị Hoàng Phương Quỳnh Như Nguyệt Ánh Dương Khánh Linh".to_owned();
    long.program_title = "Bồi dưỡng ".repeat(30);
    long.program_title_en = Some("State management ".repeat(20));
    long.accreditation.decision = Some("Quyết định ".repeat(12));
    long.institution = "Trường ".repeat(30);
    let long = hocba_pdf::certificate(&long).unwrap();
    keep("certificate-long.pdf", &long);
    assert_eq!(pages(&long), 1);
}

#[test]
fn a_long_transcript_runs_over_several_pages_and_an_empty_one_fits_on_one() {
    let pdf = hocba_pdf::transcript(&sheets::transcript(60)).unwrap();
    keep("transcript.pdf", &pdf);
    assert!(pages(&pdf) >= 3, "{} pages", pages(&pdf));
    assert_eq!(pages(&hocba_pdf::transcript(&sheets::transcript(0)).unwrap()), 1);
}
