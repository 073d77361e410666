//! What a certificate states, read from its credential once for whoever shows it to people (the
//! verification page, the printed certificate): who, what, which institution under which
//! accreditation, when.
//!
//! Only read, never trusted here: whether to believe it is the verifier's answer. Every
//! statement is absent when the credential does not make it, so a caller decides what it cannot
//! do without (the printed certificate needs them all; the page shows a dash).

use hocba_domain::Outcome;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime};

use crate::certificate::{self, CATEGORY_TYPE, INSTITUTION_CODE_TYPE, TRAINING_DAYS_TYPE};
use crate::model::as_list;

/// A certificate's (or a transcript's) statements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stated {
    /// The certificate number (`licenseNumber`).
    pub number: Option<String>,
    /// The holder's name, as the subject's unhashed `name` identifier gives it.
    pub holder_name: Option<String>,
    /// The programme's title (Vietnamese).
    pub program_title: Option<String>,
    /// The programme's English title, when it has one other than the title.
    pub program_title_en: Option<String>,
    /// The programme's code (`humanCode`).
    pub program_code: Option<String>,
    /// The programme's training category.
    pub category: Option<String>,
    /// The classification as written (`excellent`, `good`, `fair` or `passed` in Hocba's);
    /// [`Stated::grade`] reads it.
    pub outcome: Option<String>,
    /// The training days completed.
    pub training_days: Option<u32>,
    /// The score out of 10, as written.
    pub score: Option<String>,
    /// The institution's name.
    pub institution: Option<String>,
    /// The institution's code.
    pub institution_code: Option<String>,
    /// The accreditation stated for the institution.
    pub accreditation: Option<StatedAccreditation>,
    /// The first day of study.
    pub started: Option<Date>,
    /// The last day of study.
    pub ended: Option<Date>,
    /// The day it was issued (`validFrom`).
    pub issued: Option<Date>,
    /// The last day it is valid (`validUntil`), when it has one.
    pub valid_until: Option<Date>,
    /// The issuer's name (its id when the issuer is only an id).
    pub issuer: Option<String>,
    /// The certificates a transcript (a CLR `ClrCredential`) embeds, in its order; empty for a
    /// certificate.
    pub embedded: Vec<Stated>,
}

/// The accreditation a certificate states for its institution: an `EndorsementCredential`
/// about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatedAccreditation {
    /// The category it covers.
    pub category: Option<String>,
    /// Its first day.
    pub from: Option<Date>,
    /// Its last day, when it ends.
    pub until: Option<Date>,
    /// The registry's words about it (`endorsementComment`, English).
    pub comment: Option<String>,
    /// The accrediting decision, where a certificate of the earlier layout states it on its
    /// own (`accreditationDecision`); [`StatedAccreditation::decision`] reads either.
    pub stated_decision: Option<String>,
}

impl StatedAccreditation {
    /// The accrediting decision, as the comment names it: `… (decision 123/QĐ-BNV …)`.
    pub fn decision(&self) -> Option<&str> {
        if let Some(decision) = &self.stated_decision {
            return Some(decision);
        }
        let (_, rest) = self.comment.as_deref()?.split_once(certificate::DECISION_OPENS)?;
        rest.strip_suffix(')')
    }
}

impl Stated {
    /// Reads `credential`: an Open Badges 3.0 certificate, or a CLR transcript embedding them.
    pub fn of(credential: &Map<String, Value>) -> Stated {
        let subject = credential.get("credentialSubject");
        let achievement = subject.and_then(|subject| subject.get("achievement"));
        let creator = achievement.and_then(|achievement| achievement.get("creator"));
        let program_title = text(achievement, "name");
        let program_title_en = text(achievement, "description")
            .filter(|english| Some(english) != program_title.as_ref());
        let results = as_list(subject.and_then(|subject| subject.get("result")));
        let result = |fragment: &str| {
            let wanted = format!("#{fragment}");
            results.iter().find_map(|result| {
                let described = result.get("resultDescription").and_then(Value::as_str)?;
                described.ends_with(&wanted).then(|| text(Some(result), "value"))?
            })
        };
        let training_days = result("training-days").or_else(|| {
            results.iter().find_map(|result| {
                let kind = result.get("resultType").and_then(Value::as_str);
                (kind == Some(TRAINING_DAYS_TYPE)).then(|| text(Some(result), "value"))?
            })
        });
        // Certificates issued before Hocba used Open Badges terms alone: one result, described
        // by nothing, its classification the value and its score a number; the days, the
        // category and the institution's code as terms of Hocba's own context.
        let earlier = results.iter().find(|result| {
            result.get("resultDescription").is_none() && result.get("resultType").is_none()
        });
        let earlier_days = subject
            .and_then(|subject| subject.get("trainingDays"))
            .and_then(Value::as_u64)
            .and_then(|days| u32::try_from(days).ok());
        let institution_code = as_list(creator.and_then(|creator| creator.get("otherIdentifier")))
            .iter()
            .find(|entry| {
                entry.get("identifierType").and_then(Value::as_str) == Some(INSTITUTION_CODE_TYPE)
            })
            .and_then(|entry| text(Some(entry), "identifier"))
            .or_else(|| text(creator, "institutionCode"));
        let issuer = match credential.get("issuer") {
            Some(Value::Object(profile)) => {
                profile.get("name").and_then(Value::as_str).map(str::to_owned)
            }
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        };
        Stated {
            number: certificate::number_of(credential).map(str::to_owned),
            holder_name: holder_name(subject),
            program_title,
            program_title_en,
            program_code: text(achievement, "humanCode"),
            category: achievement
                .and_then(category_of)
                .or_else(|| text(achievement, "trainingCategory")),
            outcome: result("classification").or_else(|| text(earlier, "value")),
            training_days: training_days.and_then(|days| days.trim().parse().ok()).or(earlier_days),
            score: result("score").or_else(|| {
                let score = earlier?.get("score")?;
                score
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| score.is_number().then(|| score.to_string()))
            }),
            institution: text(creator, "name"),
            institution_code,
            accreditation: creator.and_then(|creator| {
                accreditation(creator).or_else(|| earlier_accreditation(creator))
            }),
            started: day(subject, "activityStartDate"),
            ended: day(subject, "activityEndDate"),
            issued: credential.get("validFrom").and_then(Value::as_str).and_then(day_of),
            valid_until: credential.get("validUntil").and_then(Value::as_str).and_then(day_of),
            issuer,
            embedded: as_list(subject.and_then(|subject| subject.get("verifiableCredential")))
                .iter()
                .filter_map(Value::as_object)
                .map(Stated::of)
                .collect(),
        }
    }

    /// The classification as one of Hocba's grades, when it is one.
    pub fn grade(&self) -> Option<Outcome> {
        self.outcome.as_deref().and_then(Outcome::from_stored)
    }

    /// Whether this is a transcript: a credential embedding certificates.
    pub fn is_transcript(&self) -> bool {
        !self.embedded.is_empty()
    }
}

/// The holder's name: the subject's `name` identifier, written in clear.
fn holder_name(subject: Option<&Value>) -> Option<String> {
    as_list(subject.and_then(|subject| subject.get("identifier")))
        .iter()
        .find(|identifier| {
            identifier.get("identityType").and_then(Value::as_str) == Some("name")
                && identifier.get("hashed").and_then(Value::as_bool) == Some(false)
        })
        .and_then(|identifier| text(Some(identifier), "identityHash"))
}

/// The first endorsement of the institution (an `EndorsementCredential`).
fn accreditation(creator: &Value) -> Option<StatedAccreditation> {
    let endorsement = as_list(creator.get("endorsement")).iter().find(|endorsement| {
        as_list(endorsement.get("type"))
            .iter()
            .any(|kind| kind.as_str() == Some("EndorsementCredential"))
    })?;
    let subject = endorsement.get("credentialSubject");
    Some(StatedAccreditation {
        category: subject.and_then(category_of),
        from: day(Some(endorsement), "validFrom"),
        until: day(Some(endorsement), "validUntil"),
        comment: text(subject, "endorsementComment"),
        stated_decision: None,
    })
}

/// The accreditation a certificate of the earlier layout states in `creator.accreditation`.
fn earlier_accreditation(creator: &Value) -> Option<StatedAccreditation> {
    let stated = creator.get("accreditation")?;
    Some(StatedAccreditation {
        category: text(Some(stated), "trainingCategory"),
        from: day(Some(stated), "accreditedFrom"),
        until: day(Some(stated), "accreditedUntil"),
        comment: None,
        stated_decision: text(Some(stated), "accreditationDecision"),
    })
}

/// `node[member]` as text.
fn text(node: Option<&Value>, member: &str) -> Option<String> {
    node?.get(member)?.as_str().map(str::to_owned)
}

/// The training category an achievement or an endorsement's subject is aligned to.
fn category_of(node: &Value) -> Option<String> {
    as_list(node.get("alignment")).iter().find_map(|alignment| {
        let kind = alignment.get("targetType").and_then(Value::as_str);
        (kind == Some(CATEGORY_TYPE)).then(|| text(Some(alignment), "targetCode"))?
    })
}

fn day(node: Option<&Value>, member: &str) -> Option<Date> {
    node?.get(member)?.as_str().and_then(day_of)
}

/// The day of a date (`2025-04-25`) or a date-time, in Vietnam's time (UTC+7), where a
/// certificate's days are: `2025-04-24T17:00:00Z` is 25 April.
/// A moment past the last day of 9999 in Vietnam has none: a pasted credential may say so.
pub fn day_of(text: &str) -> Option<Date> {
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(at) => at.checked_to_offset(offset!(+7)).map(OffsetDateTime::date),
        Err(_) => Date::parse(text, format_description!("[year]-[month]-[day]")).ok(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    fn credential(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else { panic!("an object") };
        map
    }

    #[test]
    fn nothing_stated_reads_as_nothing() {
        assert_eq!(Stated::of(&Map::new()), Stated::default());
        let odd = credential(json!({
            "issuer": 7,
            "credentialSubject": { "result": [{ "resultDescription": "x#training-days",
                                                "value": "forty" }] },
        }));
        let stated = Stated::of(&odd);
        assert_eq!(stated.training_days, None);
        assert_eq!(stated.issuer, None);
    }

    #[test]
    fn days_are_vietnamese_days_whatever_the_offset_written() {
        assert_eq!(day_of("2025-04-25"), Some(date!(2025 - 04 - 25)));
        assert_eq!(day_of("2025-04-25T23:59:59+07:00"), Some(date!(2025 - 04 - 25)));
        assert_eq!(day_of("2025-04-24T17:00:00Z"), Some(date!(2025 - 04 - 25)));
        assert_eq!(day_of("25/04/2025"), None);
        // The last hour of 9999 in UTC is already 10000 in Vietnam: no day, and no panic.
        assert_eq!(day_of("9999-12-31T23:00:00Z"), None);
        assert_eq!(day_of("9999-12-31T16:59:59Z"), Some(date!(9999 - 12 - 31)));
    }

    #[test]
    fn the_holder_is_the_name_in_clear_and_single_values_count_as_lists() {
        let stated = Stated::of(&credential(json!({
            "issuer": "did:web:elsewhere.example",
            "credentialSubject": {
                "identifier": { "identityType": "name", "hashed": false,
                                "identityHash": "Trần Văn Bình" },
                "result": { "resultType": "ext:TrainingDays", "value": "12" },
                "achievement": { "name": "Tin học", "description": "Tin học" },
            },
        })));
        assert_eq!(stated.holder_name.as_deref(), Some("Trần Văn Bình"));
        assert_eq!(stated.training_days, Some(12));
        assert_eq!(stated.issuer.as_deref(), Some("did:web:elsewhere.example"));
        assert_eq!(stated.program_title_en, None, "an English title equal to the title is none");
        let hashed = Stated::of(&credential(json!({ "credentialSubject": { "identifier": [
            { "identityType": "name", "hashed": true, "identityHash": "sha256$00" }
        ] } })));
        assert_eq!(hashed.holder_name, None);
    }

    #[test]
    fn a_grade_is_read_only_from_hocbas_words() {
        let with = |outcome: &str| Stated { outcome: Some(outcome.into()), ..Stated::default() };
        assert_eq!(with("good").grade(), Some(Outcome::Good));
        assert_eq!(with("summa cum laude").grade(), None);
    }

    #[test]
    fn the_decision_is_read_from_the_comment_only_when_named() {
        let with = |comment: &str| StatedAccreditation {
            comment: Some(comment.into()),
            ..StatedAccreditation::default()
        };
        let named = with("Accredited to certify programmes of category X (decision 12/QĐ-BNV)");
        assert_eq!(named.decision(), Some("12/QĐ-BNV"));
        assert_eq!(with("Accredited to certify programmes of category X").decision(), None);
    }
}
