//! A typical certificate, shared by the signing benchmark and the JSON-LD tests.

use hocba_credentials::Registry;
use hocba_domain::{
    AccreditationFacts, CertificateFacts, CertificateNumber, CompletionId, InstitutionFacts,
    InstitutionId, Outcome, ProgramFacts, ProgramId, Validity,
};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::date;
use uuid::Uuid;

/// The unsigned certificate of a 40-day state-management course, every optional member set.
pub fn typical_certificate(registry: &Registry) -> serde_json::Map<String, Value> {
    let facts = CertificateFacts {
        certificate_id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
        number: CertificateNumber::new(2026, [1, 2, 3, 4, 5, 6, 7]),
        issued_at: OffsetDateTime::UNIX_EPOCH,
        holder_name: "Nguyễn Thị Phương Thảo".into(),
        identity_hash: format!("sha256${}", "ab".repeat(32)),
        identity_salt: "0123456789abcdef0123456789abcdef".into(),
        completion_id: CompletionId::from_uuid(Uuid::from_u128(2)),
        started_on: date!(2025 - 03 - 03),
        ended_on: date!(2025 - 04 - 25),
        duration_days: 40,
        outcome: Outcome::Good,
        score: Some(8.25),
        program: ProgramFacts {
            id: ProgramId::from_uuid(Uuid::from_u128(3)),
            code: "QLNN-CV-2024".into(),
            title_vi: "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên".into(),
            title_en: Some("State management, specialist level".into()),
            category: "QLNN-CV".into(),
            min_days: 40,
        },
        institution: InstitutionFacts {
            id: InstitutionId::from_uuid(Uuid::from_u128(4)),
            code: "TCT-HANAM".into(),
            name: "Trường Chính trị tỉnh Hà Nam".into(),
        },
        accreditation: AccreditationFacts {
            category: "QLNN-CV".into(),
            validity: Validity { from: date!(2020 - 01 - 01), to: Some(date!(2029 - 12 - 31)) },
            decision: Some("Quyết định 123/QĐ-BNV ngày 01/02/2020".into()),
        },
        status_list: 1,
        status_index: 94_567,
    };
    registry.certificate(&facts)
}
