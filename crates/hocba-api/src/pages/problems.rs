//! A form's refused fields, said in Vietnamese first and in English beside it.

use hocba_domain::{DateError, FieldError, Invalid, NameError, Violation};

/// A field a form got wrong, and why: each reason completes the field's name ("Mục đích phải
/// có từ 1 đến 200 ký tự", "The purpose must be between 1 and 200 characters").
#[derive(Debug, Clone)]
pub(super) struct FieldProblem {
    pub field: String,
    /// Why, in Vietnamese.
    pub vi: String,
    /// Why, in English, as the API's problem document says it.
    pub en: String,
}

impl FieldProblem {
    pub(super) fn new(field: &str, vi: &str, en: impl Into<String>) -> Self {
        FieldProblem { field: field.to_owned(), vi: vi.to_owned(), en: en.into() }
    }

    /// A field the domain refused.
    pub(super) fn of(error: FieldError) -> Self {
        let vi = in_vietnamese(&error.violation);
        FieldProblem { field: error.field, vi, en: error.violation.to_string() }
    }

    /// Each field the domain refused.
    pub(super) fn each(invalid: Invalid) -> Vec<Self> {
        invalid.0.into_iter().map(Self::of).collect()
    }

    /// A date field whose text is not a date.
    pub(super) fn not_a_date(field: &str) -> Self {
        Self::new(field, "phải là một ngày (năm-tháng-ngày)", "must be a date (YYYY-MM-DD)")
    }
}

/// `field`'s problem among `problems`, if it has one.
pub(super) fn problem<'a>(problems: &'a [FieldProblem], field: &str) -> Option<&'a FieldProblem> {
    problems.iter().find(|problem| problem.field == field)
}

/// What a person filling in a form can be told in Vietnamese of a violation; the few a form
/// of these pages cannot cause are said generally.
fn in_vietnamese(violation: &Violation) -> String {
    match violation {
        Violation::TextLength { max } => format!("phải có từ 1 đến {max} ký tự"),
        Violation::OutOfRange { min, max } => format!("phải từ {min} đến {max}"),
        Violation::Characters(_) | Violation::Name(NameError::Characters(_)) => {
            "chứa ký tự không được dùng (ký tự điều khiển, hoặc chữ của nhiều bảng chữ cái lẫn nhau)"
                .to_owned()
        }
        Violation::Date(date) => match date {
            DateError::EndBeforeStart => "không được trước ngày bắt đầu".to_owned(),
            DateError::InFuture => "không được sau hôm nay".to_owned(),
            DateError::TooEarly => "không được trước ngày 01/01/1900".to_owned(),
            DateError::InPast => "không được trước hôm nay".to_owned(),
            DateError::TooFarAhead { days } => format!("không được quá {days} ngày sau hôm nay"),
            _ => "không phải một ngày hợp lệ".to_owned(),
        },
        _ => "không hợp lệ".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each reason a consent or share form can be refused for is said in Vietnamese, with the
    /// bounds the English gives.
    #[test]
    fn a_refusal_says_in_vietnamese_what_it_says_in_english() {
        let said = |violation: Violation| {
            let problem = FieldProblem::of(FieldError { field: "f".to_owned(), violation });
            (problem.vi, problem.en)
        };
        assert_eq!(
            said(Violation::TextLength { max: 200 }),
            (
                "phải có từ 1 đến 200 ký tự".to_owned(),
                "must be between 1 and 200 characters".to_owned()
            )
        );
        let (vi, en) = said(DateError::TooFarAhead { days: 365 }.into());
        assert_eq!(vi, "không được quá 365 ngày sau hôm nay");
        assert!(en.contains("365"), "{en}");
        let (vi, _) = said(Violation::OutOfRange { min: 1, max: 90 });
        assert_eq!(vi, "phải từ 1 đến 90");
        let (vi, _) = said(DateError::InPast.into());
        assert_eq!(vi, "không được trước hôm nay");
    }
}
