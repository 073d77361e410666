//! A completion: an official finished a class of a programme, with a result.

use serde::Deserialize;

use crate::{ClassId, OfficialId, Outcome, Violation};

/// A completion as recorded (the class fixes the programme, institution and dates).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCompletion {
    /// Who completed it.
    pub official_id: OfficialId,
    /// Which class.
    pub class_id: ClassId,
    /// Training days attended.
    pub duration_days: u16,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10, if graded by score.
    pub score: Option<f64>,
}

/// The request body that records a completion.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompletionDraft {
    /// The official (Hocba id).
    pub official_id: OfficialId,
    /// The class completed.
    pub class_id: ClassId,
    /// Training days attended, 1–3650; at least the programme's minimum.
    pub duration_days: u16,
    /// The result.
    pub outcome: Outcome,
    /// Score out of 10, with at most two decimals.
    pub score: Option<f64>,
}

impl CompletionDraft {
    /// Validates every field that needs no stored fact.
    pub fn parse(&self) -> Result<NewCompletion, crate::Invalid> {
        let mut v = crate::Validator::default();
        if !(1..=3650).contains(&self.duration_days) {
            v.reject("duration_days", Violation::OutOfRange { min: 1, max: 3650 });
        }
        if self.score.is_some_and(|score| !(0.0..=10.0).contains(&score)) {
            v.reject("score", Violation::OutOfRange { min: 0, max: 10 });
        }
        v.finish(NewCompletion {
            official_id: self.official_id,
            class_id: self.class_id,
            duration_days: self.duration_days,
            outcome: self.outcome,
            score: self.score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn days_and_score_are_bounded() {
        let draft = CompletionDraft {
            official_id: OfficialId::from_uuid(Uuid::nil()),
            class_id: ClassId::from_uuid(Uuid::nil()),
            duration_days: 0,
            outcome: Outcome::Good,
            score: Some(10.5),
        };
        let fields: Vec<String> =
            draft.parse().expect_err("invalid").0.into_iter().map(|error| error.field).collect();
        assert_eq!(fields, ["duration_days", "score"]);
    }
}
