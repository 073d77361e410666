//! What a certificate states, read from its credential for people: who, what, which institution
//! under which accreditation, when. Only read, never trusted here: the page shows it beside the
//! verifier's checks, which say whether to believe it.

use hocba_credentials::certificate::{self, CATEGORY_TYPE, TRAINING_DAYS_TYPE};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime};

/// A certificate's (or a transcript's) statements, each absent when the credential does not make it.
#[derive(Debug, Default)]
pub(crate) struct Stated {
    pub number: Option<String>,
    pub holder: Option<String>,
    pub title: Option<String>,
    /// The programme's English title, when it has one.
    pub title_en: Option<String>,
    pub program_code: Option<String>,
    pub category: Option<String>,
    /// `excellent`, `good`, `fair` or `passed`.
    pub outcome: Option<String>,
    pub training_days: Option<String>,
    pub score: Option<String>,
    pub institution: Option<String>,
    pub institution_code: Option<String>,
    pub accreditation: Option<StatedAccreditation>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub issued: Option<String>,
    pub valid_until: Option<String>,
    pub issuer: Option<String>,
    /// The certificates a transcript (a CLR `ClrCredential`) embeds, in its order; empty for a
    /// certificate.
    pub embedded: Vec<Stated>,
}

/// The accreditation the certificate states for its institution.
#[derive(Debug, Default)]
pub(crate) struct StatedAccreditation {
    pub category: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// The registry's words about it (the decision, when known), in English.
    pub comment: Option<String>,
}

impl Stated {
    /// Reads `credential` (an Open Badges 3.0 certificate as Hocba issues it).
    pub fn of(credential: &Map<String, Value>) -> Stated {
        let subject = credential.get("credentialSubject");
        let achievement = subject.and_then(|subject| subject.get("achievement"));
        let creator = achievement.and_then(|achievement| achievement.get("creator"));
        let text = |node: Option<&Value>, member: &str| {
            node.and_then(|node| node.get(member)).and_then(Value::as_str).map(str::to_owned)
        };
        let own = |member: &str| credential.get(member).and_then(Value::as_str).map(str::to_owned);
        let title = text(achievement, "name");
        let title_en =
            text(achievement, "description").filter(|english| Some(english) != title.as_ref());
        let results = list(subject.and_then(|subject| subject.get("result")));
        let result = |fragment: &str| {
            results.iter().find_map(|result| {
                let described = result.get("resultDescription").and_then(Value::as_str)?;
                described.ends_with(&format!("#{fragment}")).then(|| text(Some(result), "value"))?
            })
        };
        let institution_code = list(creator.and_then(|creator| creator.get("otherIdentifier")))
            .iter()
            .find(|entry| {
                entry.get("identifierType").and_then(Value::as_str)
                    == Some(certificate::INSTITUTION_CODE_TYPE)
            })
            .and_then(|entry| text(Some(entry), "identifier"));
        let is_endorsement = |endorsement: &&&Value| {
            list(endorsement.get("type"))
                .iter()
                .any(|kind| kind.as_str() == Some("EndorsementCredential"))
        };
        let accreditation = list(creator.and_then(|creator| creator.get("endorsement")))
            .iter()
            .find(is_endorsement)
            .map(|endorsement| {
                let subject = endorsement.get("credentialSubject");
                StatedAccreditation {
                    category: subject.and_then(category_of),
                    from: day(text(Some(endorsement), "validFrom")),
                    until: day(text(Some(endorsement), "validUntil")),
                    comment: text(subject, "endorsementComment"),
                }
            });
        let issuer = match credential.get("issuer") {
            Some(Value::Object(profile)) => {
                profile.get("name").and_then(Value::as_str).map(str::to_owned)
            }
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        };
        Stated {
            number: certificate::number_of(credential).map(str::to_owned),
            holder: list(subject.and_then(|subject| subject.get("identifier")))
                .iter()
                .find(|identifier| {
                    identifier.get("identityType").and_then(Value::as_str) == Some("name")
                        && identifier.get("hashed").and_then(Value::as_bool) == Some(false)
                })
                .and_then(|identifier| text(Some(identifier), "identityHash")),
            title,
            title_en,
            program_code: text(achievement, "humanCode"),
            category: achievement.and_then(category_of),
            outcome: result("classification"),
            training_days: result("training-days").or_else(|| {
                results.iter().find_map(|result| {
                    let kind = result.get("resultType").and_then(Value::as_str);
                    (kind == Some(TRAINING_DAYS_TYPE)).then(|| text(Some(result), "value"))?
                })
            }),
            score: result("score"),
            institution: text(creator, "name"),
            institution_code,
            accreditation,
            started: day(text(subject, "activityStartDate")),
            ended: day(text(subject, "activityEndDate")),
            issued: day(own("validFrom")),
            valid_until: day(own("validUntil")),
            issuer,
            embedded: list(subject.and_then(|subject| subject.get("verifiableCredential")))
                .into_iter()
                .filter_map(Value::as_object)
                .map(Stated::of)
                .collect(),
        }
    }

    /// Whether this is a transcript: a credential embedding certificates.
    pub fn is_transcript(&self) -> bool {
        !self.embedded.is_empty()
    }
}

/// A member that may be one value or a list of them, as a list.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(values)) => values.iter().collect(),
        Some(value) => vec![value],
        None => Vec::new(),
    }
}

/// The training category an achievement or an endorsement is aligned to.
fn category_of(node: &Value) -> Option<String> {
    list(node.get("alignment")).into_iter().find_map(|alignment| {
        let kind = alignment.get("targetType").and_then(Value::as_str);
        (kind == Some(CATEGORY_TYPE))
            .then(|| alignment.get("targetCode").and_then(Value::as_str).map(str::to_owned))?
    })
}

/// A date or date-time as a Vietnamese reader writes the day: `25/04/2025`, in Vietnam's time
/// (UTC+7, where a certificate's days are).
fn day(text: Option<String>) -> Option<String> {
    let text = text?;
    let date = OffsetDateTime::parse(&text, &Rfc3339)
        .map(|at| at.to_offset(offset!(+7)).date())
        .or_else(|_| Date::parse(&text, format_description!("[year]-[month]-[day]")))
        .ok()?;
    Some(vietnamese_day(date))
}

/// `dd/mm/yyyy`.
pub(crate) fn vietnamese_day(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), u8::from(date.month()), date.year())
}

/// A moment as `dd/mm/yyyy hh:mm` in Vietnam's time.
pub(crate) fn vietnamese_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(offset!(+7));
    format!("{} {:02}:{:02}", vietnamese_day(at.date()), at.hour(), at.minute())
}
