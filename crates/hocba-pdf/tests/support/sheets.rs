//! Sheets like the registry's, for the benchmark and the tests.

use hocba_domain::{CompletionStatus, Outcome, RevocationReason};
use hocba_pdf::{
    Accreditation, CertificateSheet, RevocationFacts, SignatureFacts, TranscriptRow,
    TranscriptSheet,
};
use time::macros::{date, datetime};

const KEY: &str = "did:web:hocba.gov.vn#3rXy2BXP1Hq6aQnGmR8b0pYtKpD5v5iN8uHcCqvQx1k";

fn signature() -> SignatureFacts {
    SignatureFacts {
        key_id: KEY.to_owned(),
        proof_types: vec![
            "eddsa-rdfc-2022".into(),
            "eddsa-jcs-2022".into(),
            "JWS (VC-JOSE)".into(),
        ],
        issued_at: datetime!(2025-04-28 09:30 UTC),
    }
}

/// A typical certificate, revoked with `revoked`.
pub fn certificate(revoked: Option<RevocationReason>) -> CertificateSheet {
    CertificateSheet {
        number: "HB-2025-7K3M9-QFD2A-X".to_owned(),
        holder_name: "Nguyễn Thị Phượng Hằng".to_owned(),
        program_code: "QLNN-CV-2024".to_owned(),
        program_title: "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên".to_owned(),
        program_title_en: Some("State management for specialists".to_owned()),
        institution: "Trường Chính trị tỉnh Hà Nam (TCT-HANAM)".to_owned(),
        accreditation: Accreditation {
            category: "QLNN-CV".to_owned(),
            from: date!(2024 - 01 - 01),
            until: Some(date!(2028 - 12 - 31)),
            decision: Some("123/QĐ-BNV, 15/12/2023".to_owned()),
        },
        started_on: date!(2025 - 03 - 03),
        ended_on: date!(2025 - 04 - 25),
        training_days: 40,
        outcome: Outcome::Good,
        score: Some("8.5".to_owned()),
        verification_url: "https://hocba.gov.vn/v/HB-2025-7K3M9-QFD2A-X".to_owned(),
        signature: signature(),
        revocation: revoked.map(|reason| RevocationFacts {
            reason,
            note: Some("sai lớp / wrong class".to_owned()),
            revoked_at: datetime!(2025-05-02 14:00 UTC),
        }),
    }
}

/// A transcript of `count` completions over the years, a few revoked or corrected.
pub fn transcript(count: usize) -> TranscriptSheet {
    let categories = ["LLCT-TC", "NN", "PL", "QLNN-CV", "QP-AN", "TH"];
    let mut rows = Vec::new();
    for n in 0..count {
        let year = 2000 + (n / 3) as i32;
        let status = match n % 17 {
            5 => CompletionStatus::Revoked,
            11 => CompletionStatus::Superseded,
            _ => CompletionStatus::Live,
        };
        let revocation = (status != CompletionStatus::Live).then(|| RevocationFacts {
            reason: if status == CompletionStatus::Revoked {
                RevocationReason::IssuedInError
            } else {
                RevocationReason::Superseded
            },
            note: None,
            revoked_at: datetime!(2025-05-02 14:00 UTC),
        });
        rows.push(TranscriptRow {
            category: categories[n % categories.len()].to_owned(),
            program_code: format!("P-{n:03}"),
            program_title: "Bồi dưỡng cập nhật kiến thức pháp luật cho cán bộ, công chức cấp xã"
                .to_owned(),
            institution: Some("Học viện Chính trị quốc gia Hồ Chí Minh".to_owned()),
            started_on: time::Date::from_calendar_date(year, time::Month::March, 2).unwrap(),
            ended_on: time::Date::from_calendar_date(year, time::Month::March, 20).unwrap(),
            training_days: 15,
            outcome: Outcome::Fair,
            status,
            certificates: vec![(format!("HB-{year}-7K3M9-QFD2A-{}", n % 10), revocation)],
            successor_certificate: (status == CompletionStatus::Superseded)
                .then(|| format!("HB-{year}-8K3M9-QFD2A-X")),
        });
    }
    TranscriptSheet {
        full_name: "Nguyễn Thị Phượng Hằng".to_owned(),
        official_id: "0190a3c4-0000-7000-8000-000000000000".to_owned(),
        generated_at: datetime!(2026-12-05 10:00 UTC),
        verification_base: "https://hocba.gov.vn/v/".to_owned(),
        rows,
        total_days: 15 * count as u32,
        days_by_year: vec![(2024, 30), (2025, 45)],
        days_by_category: categories.iter().map(|code| (code.to_string(), 150)).collect(),
        signatures: vec![(signature(), count)],
    }
}
