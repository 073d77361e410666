//! The words the documents print for the registry's codes, Vietnamese first, English beside.

use hocba_domain::{CompletionStatus, Outcome, RevocationReason};

/// A result's classification (xếp loại).
pub(crate) fn outcome(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Excellent => ("Xuất sắc", "Excellent"),
        Outcome::Good => ("Giỏi", "Good"),
        Outcome::Fair => ("Khá", "Fair"),
        Outcome::Passed => ("Đạt", "Passed"),
    }
}

/// Why a certificate was revoked.
pub(crate) fn reason(reason: RevocationReason) -> (&'static str, &'static str) {
    match reason {
        RevocationReason::Superseded => {
            ("thay thế bằng bản đính chính", "superseded by a correction")
        }
        RevocationReason::IssuedInError => ("cấp nhầm", "issued in error"),
        RevocationReason::Fraud => ("gian lận", "fraud"),
        RevocationReason::Withdrawn => {
            ("cơ sở đào tạo rút lại kết quả", "withdrawn by the institution")
        }
        RevocationReason::KeyCompromise => ("khóa ký bị lộ", "signing key compromised"),
    }
}

/// Where a completion stands.
pub(crate) fn status(status: CompletionStatus) -> (&'static str, &'static str) {
    match status {
        CompletionStatus::Live => ("Hiệu lực", "Valid"),
        CompletionStatus::Revoked => ("Đã thu hồi", "Revoked"),
        CompletionStatus::Superseded => ("Đã đính chính", "Superseded"),
    }
}
