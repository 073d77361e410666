//! One verifier for every form of a certificate, online or offline: it reports each check with
//! pass or fail and why, so an HR officer knows what to trust and what went wrong.

use std::borrow::Cow;
use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::data_integrity::{self, Cryptosuite, ProofPurpose};
use crate::jose::Jws;
use crate::keys::{KeyLookup, KeySet, KeyStatus};
use crate::model::{self, parse_date_time};
use crate::status::{Bitstring, StatusEntry};
use crate::transcript;

/// What was presented for verification.
#[derive(Debug, Clone)]
pub enum Presented {
    /// A credential with Data Integrity proofs.
    Credential(Map<String, Value>),
    /// A VC-JOSE compact JWS.
    Jws(String),
}

impl Presented {
    /// The credentials a presentation carries, each read as [`Presented::from_presentation_entry`]
    /// does.
    pub fn in_presentation(
        presentation: &Map<String, Value>,
    ) -> impl Iterator<Item = Result<Self, String>> + '_ {
        let credentials = model::as_list(presentation.get("verifiableCredential"));
        credentials.iter().map(Presented::from_presentation_entry)
    }

    /// One entry of a presentation's `verifiableCredential`: a credential with its proofs, or
    /// an `EnvelopedVerifiableCredential` whose `id` is a `data:application/vc+jwt,` URL.
    fn from_presentation_entry(entry: &Value) -> Result<Self, String> {
        let Some(credential) = entry.as_object() else {
            return Err("is not an object".into());
        };
        let enveloped =
            credential.get("type").and_then(Value::as_str) == Some("EnvelopedVerifiableCredential");
        if !enveloped {
            return Ok(Presented::Credential(credential.clone()));
        }
        credential
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| id.strip_prefix("data:application/vc+jwt,"))
            .map(|compact| Presented::Jws(compact.to_owned()))
            .ok_or_else(|| "an enveloped credential must be a data:application/vc+jwt URL".into())
    }

    /// The revocation entries to look up before verifying, each with the certificate number
    /// its credential states ([`Presented::number`]): the presented credential's and, for a
    /// transcript, those of the credentials it embeds.
    pub fn status_entries(&self) -> Vec<(StatusEntry, Option<String>)> {
        // A JWS is decoded once for both.
        let document = self.document();
        let own = document.as_deref().and_then(|document| {
            let entry = StatusEntry::of(document).ok().flatten()?;
            Some((entry, crate::certificate::number_of(document).map(str::to_owned)))
        });
        let mut entries: Vec<_> = own.into_iter().collect();
        if let Presented::Credential(credential) = self {
            let inside = transcript::embedded(credential).into_iter().flatten();
            entries.extend(inside.flat_map(|embedded| embedded.status_entries()));
        }
        entries
    }

    /// The certificate number the presented credential states (for a JWS, its payload's), if
    /// any: which stored certificate it claims to be, before anything is verified.
    pub fn number(&self) -> Option<String> {
        crate::certificate::number_of(&*self.document()?).map(str::to_owned)
    }

    /// The revocation entry the presented credential carries (for a JWS, its payload's), so a
    /// caller can fetch that status before verifying. `None` when it has none or is unreadable.
    pub fn status_entry(&self) -> Option<StatusEntry> {
        StatusEntry::of(&*self.document()?).ok().flatten()
    }

    /// The credential itself, or a JWS's payload (`None` when the JWS cannot be decoded).
    fn document(&self) -> Option<Cow<'_, Map<String, Value>>> {
        match self {
            Presented::Credential(credential) => Some(Cow::Borrowed(credential)),
            Presented::Jws(compact) => Some(Cow::Owned(Jws::parse(compact).ok()?.payload)),
        }
    }
}

/// The answer about one status entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAnswer {
    /// Whether the revocation bit is set.
    pub revoked: bool,
    /// Why, when the registry knows (online).
    pub reason: Option<String>,
}

/// Where the verifier learns whether a certificate was revoked.
pub trait StatusSource {
    /// The status of `entry`, or why it cannot be known.
    fn status(&self, entry: &StatusEntry) -> Result<StatusAnswer, String>;
}

/// Offline: status lists downloaded beforehand, by URL (their proofs checked on loading).
impl StatusSource for HashMap<String, Bitstring> {
    fn status(&self, entry: &StatusEntry) -> Result<StatusAnswer, String> {
        let list = self
            .get(&entry.list)
            .ok_or_else(|| format!("status list {} was not provided", entry.list))?;
        let revoked = list
            .get(entry.index)
            .ok_or_else(|| format!("index {} is beyond the status list", entry.index))?;
        Ok(StatusAnswer { revoked, reason: None })
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// What was checked: `well_formed`, `proof …`, `key`, `issuer`, `accreditation`, `status`,
    /// `validity`.
    pub check: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why, in words.
    pub reason: String,
}

/// The warning on every answer about a presentation sent unsigned: its credentials were checked,
/// but not who presented them.
pub const UNSIGNED_PRESENTATION: &str = "no holder proof was checked: the presentation is \
    unsigned, so nothing shows who presented these credentials; each credential was verified \
    on its own";

/// The verifier's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// True when every check passed.
    pub verified: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Remarks that do not fail verification (a did:key the registry does not list, when any
    /// resolvable issuer is accepted).
    pub warnings: Vec<String>,
    /// The credential that was checked (the JWS payload for a JWS), when it could be read.
    #[serde(skip)]
    pub credential: Option<Map<String, Value>>,
    /// The first instant at which a validity check would answer otherwise (a `validFrom` still
    /// ahead, a `validUntil` not yet passed), if any: until then the time changes nothing here.
    #[serde(skip)]
    pub changes_at: Option<OffsetDateTime>,
    /// Whether the status source could not answer for some status entry (a list it does not
    /// hold): that answer may change without the source's facts changing, when the list
    /// appears.
    #[serde(skip)]
    pub status_unknown: bool,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            verified: true,
            checks: Vec::new(),
            warnings: Vec::new(),
            credential: None,
            changes_at: None,
            status_unknown: false,
        }
    }
}

impl Report {
    fn push(&mut self, check: &str, result: Result<String, String>) {
        let (passed, reason) = match result {
            Ok(reason) => (true, reason),
            Err(reason) => (false, reason),
        };
        self.verified &= passed;
        self.checks.push(Check { check: check.to_owned(), passed, reason });
    }

    fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Adds another report's checks and warnings under `prefix` (a presentation's credentials).
    fn absorb(&mut self, prefix: &str, other: Report) {
        self.verified &= other.verified;
        self.status_unknown |= other.status_unknown;
        if let Some(at) = other.changes_at {
            self.changes_by(at);
        }
        self.checks.extend(
            other
                .checks
                .into_iter()
                .map(|check| Check { check: format!("{prefix} {}", check.check), ..check }),
        );
        self.warnings
            .extend(other.warnings.into_iter().map(|warning| format!("{prefix}: {warning}")));
    }

    /// The failed checks' reasons.
    pub fn errors(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|check| !check.passed)
    }

    /// The id of the checked credential's issuer, when it could be read.
    pub fn issuer(&self) -> Option<&str> {
        issuer_id(self.credential.as_ref()?)
    }

    /// Notes that a check would answer otherwise from `at` on.
    fn changes_by(&mut self, at: OffsetDateTime) {
        self.changes_at = Some(self.changes_at.map_or(at, |earlier| earlier.min(at)));
    }
}

/// How strict to be about who signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The issuer must be this registry (an HR officer asking "is this a Hocba certificate?").
    RegistryOnly,
    /// Any issuer whose key resolves (did:key), trust reported but not required: the W3C VC
    /// API's question "is this proof valid?".
    AnyResolvableIssuer,
}

/// Verifies credentials against a registry's published keys and status.
pub struct Verifier<'a> {
    /// The registry's keys.
    pub keys: &'a KeySet,
    /// Where revocation is looked up.
    pub status: &'a dyn StatusSource,
    /// The time against which validity is checked.
    pub now: OffsetDateTime,
    /// Whose signatures count.
    pub trust: Trust,
}

impl Verifier<'_> {
    /// Runs every check on what was presented.
    pub fn verify(&self, presented: &Presented) -> Report {
        let mut report = Report::default();
        let (credential, jws) = match presented {
            Presented::Credential(credential) => (credential.clone(), None),
            Presented::Jws(compact) => match Jws::parse(compact) {
                Ok(jws) => (jws.payload.clone(), Some(jws)),
                Err(error) => {
                    report.push("well_formed", Err(error.to_string()));
                    return report;
                }
            },
        };
        if let Err(violation) = model::check_credential(&credential) {
            report.push("well_formed", Err(violation.to_string()));
            return report;
        }
        report.push("well_formed", Ok("a W3C Verifiable Credential 2.0".into()));

        let methods = match &jws {
            Some(jws) => self.check_jws(jws, &mut report),
            None => self.check_proofs(&credential, &Expected::ASSERTION, &mut report),
        };
        self.check_issuer(&credential, &methods, &mut report);
        self.check_accreditation(&credential, &mut report);
        self.check_status(&credential, &mut report);
        self.check_validity(&credential, &mut report);
        // A transcript vouches for the certificates it embeds only as far as each still holds.
        for (index, embedded) in transcript::embedded(&credential).into_iter().enumerate() {
            let prefix = format!("credentialSubject.verifiableCredential[{index}]");
            match embedded {
                Ok(presented) => report.absorb(&prefix, self.verify(&presented)),
                Err(reason) => report.push(&format!("{prefix} well_formed"), Err(reason)),
            }
        }
        report.credential = Some(credential);
        report
    }

    /// Verifies each proof of a proof set (or chain) and reports each; returns the verification
    /// methods whose signatures held.
    fn check_proofs(
        &self,
        document: &Map<String, Value>,
        expected: &Expected<'_>,
        report: &mut Report,
    ) -> Vec<String> {
        let proofs = model::as_list(document.get("proof"));
        if proofs.is_empty() {
            report.push("proof", Err("the document carries no proof".into()));
            return Vec::new();
        }
        let mut keys = Keys::default();
        let mut verified_methods = Vec::new();
        for proof in proofs {
            let Some(proof) = proof.as_object() else {
                report.push("proof", Err("a proof is not an object".into()));
                continue;
            };
            let suite = proof.get("cryptosuite").and_then(Value::as_str).unwrap_or("(none)");
            let check = format!("proof {suite}");
            if Cryptosuite::from_name(suite).is_none() {
                report.push(&check, Err(format!("cryptosuite {suite} is not supported")));
                continue;
            }
            if let Err(reason) = expected.matches(proof) {
                report.push(&check, Err(reason));
                continue;
            }
            let method =
                proof.get("verificationMethod").and_then(Value::as_str).unwrap_or_default();
            let Some(key) = keys.resolve(self, method, report) else {
                report.push(&check, Err(format!("the key {method} cannot be used")));
                continue;
            };
            match data_integrity::verify_proof(document, proof, &key) {
                Ok(()) => {
                    report.push(&check, Ok(format!("signature valid ({method})")));
                    verified_methods.push(method.to_owned());
                }
                Err(error) => report.push(&check, Err(error.to_string())),
            }
        }
        verified_methods
    }

    fn check_jws(&self, jws: &Jws<'_>, report: &mut Report) -> Vec<String> {
        let Some(method) = jws.kid() else {
            report.push("proof jws", Err("the JWS header has no kid".into()));
            return Vec::new();
        };
        let Some(key) = Keys::default().resolve(self, method, report) else { return Vec::new() };
        match jws.verify(&key) {
            Ok(()) => {
                report.push("proof jws", Ok(format!("EdDSA signature valid ({method})")));
                vec![method.to_owned()]
            }
            Err(error) => {
                report.push("proof jws", Err(error.to_string()));
                Vec::new()
            }
        }
    }

    /// Finds the key a verification method names, and reports two checks: `key` (it resolves
    /// and is not revoked) and `trust` (the registry's DID document lists it). A did:key the
    /// registry does not list fails `trust` for a registry certificate, and is a warning when
    /// any resolvable issuer is accepted.
    fn resolve(&self, method: &str, report: &mut Report) -> Option<VerifyingKey> {
        let (key, listed) = match self.keys.lookup(method) {
            KeyLookup::Registry(key) => (key.public_key, Some(key)),
            KeyLookup::DidKey { public_key, registry } => (public_key, registry),
            KeyLookup::Unknown => {
                report.push("key", Err(format!("{method} is not a key of this registry")));
                return None;
            }
        };
        let Some(published) = listed else {
            report.push("key", Ok("did:key resolved from the identifier itself".into()));
            let unlisted = format!("{method} is not listed in the registry's DID document");
            match self.trust {
                Trust::RegistryOnly => report.push("trust", Err(unlisted)),
                Trust::AnyResolvableIssuer => report.warn(unlisted),
            }
            return Some(key);
        };
        if published.status == KeyStatus::Revoked {
            let when = published
                .revoked_at
                .and_then(|at| at.format(&Rfc3339).ok())
                .unwrap_or_else(|| "an unknown date".into());
            report.push("key", Err(format!("key {} was revoked on {when}", published.kid)));
            return None;
        }
        let state = match published.status {
            KeyStatus::Active => "active",
            _ => "retired: it signs nothing new, and what it signed still verifies",
        };
        report.push("key", Ok(format!("registry key {} is {state}", published.kid)));
        report
            .push("trust", Ok(format!("the registry's DID document lists key {}", published.kid)));
        Some(key)
    }

    fn check_issuer(
        &self,
        credential: &Map<String, Value>,
        methods: &[String],
        report: &mut Report,
    ) {
        let issuer = issuer_id(credential).unwrap_or_default();
        if methods.is_empty() {
            report.push("issuer", Err("no valid signature to bind the issuer to".into()));
            return;
        }
        // Other proofs (a witness's link in a proof chain, say) may be by other keys; one by
        // the issuer binds it.
        let by_issuer = |method: &String| method.split('#').next() == Some(issuer);
        for other in methods.iter().filter(|method| !by_issuer(method)) {
            report.warn(format!("{other} also signed the credential; it is not the issuer's key"));
        }
        if !methods.iter().any(by_issuer) {
            report.push("issuer", Err(format!("the issuer {issuer} did not sign the credential")));
        } else if issuer == self.keys.did {
            report.push("issuer", Ok(format!("issued by this registry ({issuer})")));
        } else if self.trust == Trust::AnyResolvableIssuer {
            report.push("issuer", Ok(format!("{issuer} signed it (not this registry)")));
        } else {
            report.push("issuer", Err(format!("{issuer} is not this registry")));
        }
    }

    /// The institution was accredited for the programme's category on the completion's last
    /// day, as the certificate states: in an endorsement of the institution by this registry
    /// (or, in certificates issued before Hocba used Open Badges terms alone, in
    /// `creator.accreditation`). Credentials that certify no training achievement, and other
    /// issuers' that state no accreditation, have nothing to check here.
    fn check_accreditation(&self, credential: &Map<String, Value>, report: &mut Report) {
        let subject = credential.get("credentialSubject");
        let Some(achievement) = subject.and_then(|subject| subject.get("achievement")) else {
            return;
        };
        let issuer = issuer_id(credential);
        let stated = Accreditation::stated(achievement, issuer);
        if stated.is_empty() {
            if issuer == Some(self.keys.did.as_str()) {
                report.push("accreditation", Err("the certificate states no accreditation".into()));
            }
            return;
        }
        report.push("accreditation", accreditation_covers(subject, achievement, &stated));
    }

    fn check_status(&self, credential: &Map<String, Value>, report: &mut Report) {
        let result = match StatusEntry::of(credential) {
            Ok(None) => Ok("no revocation status entry".to_owned()),
            Ok(Some(entry)) => match self.status.status(&entry) {
                Ok(StatusAnswer { revoked: false, .. }) => Ok("not revoked".to_owned()),
                Ok(StatusAnswer { revoked: true, reason }) => Err(match reason {
                    Some(reason) => format!("revoked: {reason}"),
                    None => "revoked".to_owned(),
                }),
                Err(why) => {
                    report.status_unknown = true;
                    Err(format!("status could not be checked: {why}"))
                }
            },
            Err(error) => Err(error.to_string()),
        };
        report.push("status", result);
    }

    fn check_validity(&self, credential: &Map<String, Value>, report: &mut Report) {
        let at =
            |member: &str| credential.get(member).and_then(Value::as_str).and_then(parse_date_time);
        let (from, until) = match model::is_v1(credential) {
            true => ("issuanceDate", "expirationDate"),
            false => ("validFrom", "validUntil"),
        };
        let result = match (at(from), at(until)) {
            (Some(from), _) if from > self.now => {
                report.changes_by(from);
                Err(format!("not valid before {}", stamp(from)))
            }
            (_, Some(until)) if until < self.now => Err(format!("expired on {}", stamp(until))),
            (_, Some(until)) => {
                // At `until` itself it still holds; a kept answer is dropped a little early.
                report.changes_by(until);
                Ok(format!("valid until {}", stamp(until)))
            }
            _ => Ok("valid, with no end date".to_owned()),
        };
        report.push("validity", result);
    }
}

/// The keys met while checking one document, so that a proof set by one key reports its
/// `key` and `trust` checks once.
#[derive(Default)]
struct Keys(Vec<(String, Option<VerifyingKey>)>);

impl Keys {
    fn resolve(
        &mut self,
        verifier: &Verifier<'_>,
        method: &str,
        report: &mut Report,
    ) -> Option<VerifyingKey> {
        if let Some((_, key)) = self.0.iter().find(|(known, _)| known == method) {
            return *key;
        }
        let key = verifier.resolve(method, report);
        self.0.push((method.to_owned(), key));
        key
    }
}

/// What a proof must state for its purpose: `assertionMethod` for a credential;
/// `authentication`, with the verifier's domain and challenge, for a presentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected<'a> {
    /// The proof purpose; `None` means `assertionMethod`.
    pub purpose: Option<ProofPurpose>,
    /// The domain the proof must name, when the verifier gave one.
    pub domain: Option<&'a str>,
    /// The challenge the proof must answer, when the verifier gave one.
    pub challenge: Option<&'a str>,
}

impl Expected<'_> {
    const ASSERTION: Expected<'static> =
        Expected { purpose: Some(ProofPurpose::Assertion), domain: None, challenge: None };

    fn matches(&self, proof: &Map<String, Value>) -> Result<(), String> {
        let purpose = self.purpose.unwrap_or(ProofPurpose::Assertion).as_str();
        if proof.get("proofPurpose").and_then(Value::as_str) != Some(purpose) {
            return Err(format!("proofPurpose must be {purpose}"));
        }
        for (member, wanted) in [("domain", self.domain), ("challenge", self.challenge)] {
            let Some(wanted) = wanted else { continue };
            // A proof's domain may be one string or a list of them (Data Integrity §2.1).
            let stated = match proof.get(member) {
                Some(Value::String(value)) => value == wanted,
                Some(Value::Array(values)) => values.iter().any(|value| value == wanted),
                _ => false,
            };
            if !stated {
                return Err(format!("the proof's {member} is not the one the verifier expects"));
            }
        }
        Ok(())
    }
}

impl Verifier<'_> {
    /// Verifies a presentation: its own proofs (`authentication`, with `expected`'s domain and
    /// challenge), that its holder signed it, and each credential it carries, reported as
    /// `verifiableCredential[i] <check>`.
    pub fn verify_presentation(
        &self,
        presentation: &Map<String, Value>,
        expected: &Expected<'_>,
    ) -> Report {
        let mut report = Report::default();
        if let Err(violation) = model::check_presentation(presentation) {
            report.push("well_formed", Err(violation.to_string()));
            return report;
        }
        report.push("well_formed", Ok("a W3C Verifiable Presentation 2.0".into()));
        let expected = Expected { purpose: Some(ProofPurpose::Authentication), ..*expected };
        let methods = self.check_proofs(presentation, &expected, &mut report);
        let holder = match presentation.get("holder") {
            Some(Value::Object(holder)) => holder.get("id").and_then(Value::as_str),
            Some(holder) => holder.as_str(),
            None => None,
        };
        if let (Some(holder), false) = (holder, methods.is_empty()) {
            let signed = methods.iter().any(|method| method.split('#').next() == Some(holder));
            report.push(
                "holder",
                if signed {
                    Ok(format!("the holder {holder} signed the presentation"))
                } else {
                    Err(format!("the holder {holder} did not sign the presentation"))
                },
            );
        }
        self.verify_credentials_in(presentation, &mut report);
        report
    }

    /// Verifies a presentation sent without a proof (the VC API's `presentation` member): each
    /// credential inside, as `verifiableCredential[i] <check>`, and nothing about who presented
    /// them, which the answer says in a warning. One that carries a proof belongs in
    /// `verifiablePresentation`, and one without a credential has nothing to verify: both fail.
    pub fn verify_unsigned_presentation(&self, presentation: &Map<String, Value>) -> Report {
        let mut report = Report::default();
        if let Err(violation) = model::check_presentation(presentation) {
            report.push("well_formed", Err(violation.to_string()));
            return report;
        }
        report.push("well_formed", Ok("a W3C Verifiable Presentation 2.0".into()));
        if presentation.contains_key("proof") {
            report.push(
                "proof",
                Err("an unsigned presentation carries no proof: send a signed one as \
                     verifiablePresentation"
                    .into()),
            );
            return report;
        }
        report.warn(UNSIGNED_PRESENTATION.into());
        if Presented::in_presentation(presentation).next().is_none() {
            report.push(
                "verifiableCredential",
                Err("the presentation carries no credential to verify".into()),
            );
        }
        self.verify_credentials_in(presentation, &mut report);
        report
    }

    fn verify_credentials_in(&self, presentation: &Map<String, Value>, report: &mut Report) {
        for (index, presented) in Presented::in_presentation(presentation).enumerate() {
            let prefix = format!("verifiableCredential[{index}]");
            match presented {
                Ok(presented) => report.absorb(&prefix, self.verify(&presented)),
                Err(reason) => report.push(&format!("{prefix} well_formed"), Err(reason)),
            }
        }
    }
}

/// An accreditation a certificate states for its institution: a category and the days it
/// covers.
struct Accreditation {
    category: Option<String>,
    from: Result<Option<Date>, String>,
    until: Result<Option<Date>, String>,
}

impl Accreditation {
    /// Those stated as endorsements of the institution by the certificate's issuer, and the
    /// one stated in the old place.
    fn stated(achievement: &Value, issuer: Option<&str>) -> Vec<Accreditation> {
        let creator = achievement.get("creator");
        let mut stated = Vec::new();
        let endorsements = creator.map(|creator| model::as_list(creator.get("endorsement")));
        for endorsement in endorsements.unwrap_or_default() {
            let types = model::as_list(endorsement.get("type"));
            let endorsing = types.iter().any(|kind| kind.as_str() == Some("EndorsementCredential"));
            if !endorsing || endorsement.get("issuer").and_then(issuer_id_of) != issuer {
                continue;
            }
            let subject = endorsement.get("credentialSubject");
            stated.push(Accreditation {
                category: subject.and_then(category_of).map(str::to_owned),
                from: day_of(endorsement, "validFrom"),
                until: day_of(endorsement, "validUntil"),
            });
        }
        if let Some(old) = creator.and_then(|creator| creator.get("accreditation")) {
            stated.push(Accreditation {
                category: old.get("trainingCategory").and_then(Value::as_str).map(str::to_owned),
                from: day_of(old, "accreditedFrom"),
                until: day_of(old, "accreditedUntil"),
            });
        }
        stated
    }
}

/// Whether one of the `stated` accreditations names the achievement's category and covers the
/// completion date.
fn accreditation_covers(
    subject: Option<&Value>,
    achievement: &Value,
    stated: &[Accreditation],
) -> Result<String, String> {
    let institution = achievement
        .get("creator")
        .and_then(|creator| creator.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("the institution");
    let category = category_of(achievement).ok_or("the achievement names no training category")?;
    let completed = subject
        .map(|subject| day_of(subject, "activityEndDate"))
        .unwrap_or(Ok(None))?
        .ok_or("the completion date (activityEndDate) is missing")?;
    let mut same_category = stated.iter().filter(|it| it.category.as_deref() == Some(category));
    let Some(first) = same_category.next() else {
        return Err(format!("{institution} is accredited for another category than {category}"));
    };
    for accreditation in std::iter::once(first).chain(same_category) {
        let from = accreditation.from.clone()?.ok_or("the accreditation's first day is missing")?;
        let until = accreditation.until.clone()?;
        if from <= completed && until.is_none_or(|until| completed <= until) {
            return Ok(format!(
                "{institution} was accredited for {category} on {completed}, the completion date"
            ));
        }
    }
    Err(format!(
        "{institution} was not accredited for {category} on {completed}, the completion date"
    ))
}

/// The training category an achievement (or an endorsement's subject) is aligned to, or, in
/// certificates issued before Hocba used Open Badges terms alone, its `trainingCategory`.
fn category_of(node: &Value) -> Option<&str> {
    let aligned = model::as_list(node.get("alignment")).iter().find_map(|alignment| {
        let kind = alignment.get("targetType").and_then(Value::as_str);
        let category = kind == Some(crate::certificate::CATEGORY_TYPE);
        category.then(|| alignment.get("targetCode").and_then(Value::as_str)).flatten()
    });
    aligned.or_else(|| node.get("trainingCategory").and_then(Value::as_str))
}

/// The calendar day of `member`: a date (`YYYY-MM-DD`, as certificates issued before Hocba used
/// Open Badges terms alone wrote them) or a date-time, whose day is the one in its own offset.
fn day_of(node: &Value, member: &str) -> Result<Option<Date>, String> {
    let Some(text) = node.get(member).and_then(Value::as_str) else { return Ok(None) };
    let day = Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .ok()
        .or_else(|| OffsetDateTime::parse(text, &Rfc3339).ok().map(OffsetDateTime::date));
    day.map(Some).ok_or_else(|| format!("{member} is not a date"))
}

/// The issuer's id, whether `issuer` is a URL or a profile object.
fn issuer_id(credential: &Map<String, Value>) -> Option<&str> {
    issuer_id_of(credential.get("issuer")?)
}

fn issuer_id_of(issuer: &Value) -> Option<&str> {
    match issuer {
        Value::String(id) => Some(id),
        Value::Object(profile) => profile.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn stamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
