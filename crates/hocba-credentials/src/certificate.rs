//! The certificate as a W3C Verifiable Credential 2.0 that is also an Open Badges 3.0
//! `OpenBadgeCredential` (DESIGN.md §4), and the issuer that signs it.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use hocba_domain::{AccreditationFacts, CertificateFacts, NationalId, identity_hash};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::CredentialError;
use crate::contexts;
use crate::data_integrity::{self, Cryptosuite, ProofOptions, xsd_date_time};
use crate::jose;
use crate::keys::Signer;
use crate::status::StatusEntry;

/// The registry as issuer: its public URL, DID and name.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Public base URL, without a trailing slash (`https://hocba.gov.vn`).
    pub base_url: String,
    /// Its `did:web` DID.
    pub did: String,
    /// Its display name.
    pub name: String,
}

impl Registry {
    /// A registry at `base_url`.
    pub fn new(base_url: &str, name: impl Into<String>) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        Registry { did: crate::KeySet::did_for(&base_url), base_url, name: name.into() }
    }

    /// URL of status list `list`.
    pub fn status_list_url(&self, list: i32) -> String {
        format!("{}/status-lists/{list}", self.base_url)
    }

    /// The number of one of this registry's status lists, from its URL.
    pub fn status_list_number(&self, url: &str) -> Option<i32> {
        url.strip_prefix(&self.base_url)?.strip_prefix("/status-lists/")?.parse().ok()
    }

    /// The issuer `Profile`.
    pub fn profile(&self) -> Value {
        json!({ "id": self.did, "type": ["Profile"], "name": self.name, "url": self.base_url })
    }

    /// The unsigned credential stating `facts`, in Open Badges 3.0 terms alone (the mapping is
    /// in docs/hr-verification.md): it names only the VC 2.0 and OB 3.0 contexts, so any OB 3.0
    /// verifier reads it without a context of ours.
    pub fn certificate(&self, facts: &CertificateFacts) -> Map<String, Value> {
        let program = &facts.program;
        let institution = &facts.institution;
        let achievement_id = format!("{}/api/v1/programs/{}", self.base_url, program.id);
        let institution_id = format!("{}/api/v1/institutions/{}", self.base_url, institution.id);
        let described = |measure: &str| format!("{achievement_id}#{measure}");
        let mut descriptions = vec![
            json!({
                "id": described(CLASSIFICATION),
                "type": ["ResultDescription"],
                "name": "Classification (excellent, good, fair, passed)",
                "resultType": "LetterGrade",
            }),
            json!({
                "id": described(TRAINING_DAYS),
                "type": ["ResultDescription"],
                "name": "Training days",
                "resultType": TRAINING_DAYS_TYPE,
                "valueMin": program.min_days.to_string(),
            }),
        ];
        let mut results = vec![
            json!({
                "type": ["Result"],
                "resultDescription": described(CLASSIFICATION),
                "value": facts.outcome.as_str(),
                "status": "Completed",
            }),
            json!({
                "type": ["Result"],
                "resultDescription": described(TRAINING_DAYS),
                "value": facts.duration_days.to_string(),
            }),
        ];
        if let Some(score) = facts.score {
            descriptions.push(json!({
                "id": described(SCORE),
                "type": ["ResultDescription"],
                "name": "Score out of 10",
                "resultType": "RawScore",
                "valueMin": "0",
                "valueMax": "10",
            }));
            results.push(json!({
                "type": ["Result"],
                "resultDescription": described(SCORE),
                "value": score.to_string(),
            }));
        }
        let credential = json!({
            "@context": [contexts::VC_V2, contexts::OB_V3],
            "id": format!("urn:uuid:{}", facts.certificate_id),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": program.title_vi,
            "issuer": self.profile(),
            "validFrom": xsd_date_time(facts.issued_at),
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier":
                    holder_identifiers(&facts.holder_name, &facts.identity_hash, &facts.identity_salt),
                "licenseNumber": facts.number.as_str(),
                "achievement": {
                    "id": achievement_id,
                    "type": ["Achievement"],
                    "achievementType": "Certificate",
                    "humanCode": program.code,
                    "name": program.title_vi,
                    "description": program.title_en.as_deref().unwrap_or(&program.title_vi),
                    "criteria": {
                        "narrative": format!(
                            "Completed the programme {} ({} training days at least).",
                            program.code, program.min_days
                        )
                    },
                    "alignment": [
                        self.category_alignment(&program.category, "The programme's category")
                    ],
                    "resultDescription": descriptions,
                    "creator": {
                        "id": institution_id,
                        "type": ["Profile"],
                        "name": institution.name,
                        "otherIdentifier": [{
                            "type": "IdentifierEntry",
                            "identifier": institution.code,
                            "identifierType": INSTITUTION_CODE_TYPE,
                        }],
                        "endorsement": [self.accreditation(&institution_id, &facts.accreditation)],
                    },
                },
                "activityStartDate": day_start(facts.started_on),
                "activityEndDate": day_end(facts.ended_on),
                "result": results,
            },
            "credentialStatus": StatusEntry {
                list: self.status_list_url(facts.status_list),
                index: facts.status_index as usize,
            }
            .to_json(),
        });
        match credential {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// A category as an alignment to the national training taxonomy, `described` (what the
    /// category is of: the programme, or what an accreditation covers). The description also
    /// keeps the achievement's and the endorsement's alignments apart in RDF: two blank nodes
    /// with the same statements make RDFC-1.0 run its costly N-degree hashing.
    fn category_alignment(&self, category: &str, described: &str) -> Value {
        json!({
            "type": ["Alignment"],
            "targetType": CATEGORY_TYPE,
            "targetCode": category,
            "targetName": category,
            "targetDescription": described,
            "targetFramework": "Hocba national training taxonomy",
            "targetUrl": format!("{}/api/v1/categories#{category}", self.base_url),
        })
    }

    /// The institution's accreditation for the programme's category, as the certificate states
    /// it: an `EndorsementCredential` by the registry (which keeps the accreditation register)
    /// about the institution, valid for the accreditation's days, aligned to the category. It
    /// is signed when the certificate is ([`secure`]).
    fn accreditation(&self, institution_id: &str, facts: &AccreditationFacts) -> Value {
        let category = &facts.category;
        let mut comment = format!("Accredited to certify programmes of category {category}");
        if let Some(decision) = &facts.decision {
            comment.push_str(&format!("{DECISION_OPENS}{decision})"));
        }
        let mut endorsement = json!({
            "@context": [contexts::VC_V2, contexts::OB_V3],
            "id": format!("{institution_id}#accreditation-{category}-{}", facts.validity.from),
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": format!("Accreditation for {category}"),
            "issuer": { "id": self.did, "type": ["Profile"], "name": self.name },
            "validFrom": day_start(facts.validity.from),
            "credentialSubject": {
                "id": institution_id,
                "type": ["EndorsementSubject"],
                "endorsementComment": comment,
                "alignment": [
                    self.category_alignment(category, "The category the accreditation covers")
                ],
            },
        });
        if let Some(until) = facts.validity.to {
            endorsement["validUntil"] = json!(day_end(until));
        }
        endorsement
    }
}

/// Fragments of the achievement's `resultDescription`s, which its results name.
const CLASSIFICATION: &str = "classification";
const TRAINING_DAYS: &str = "training-days";
const SCORE: &str = "score";

/// The `resultType` of training days (OB 3.0's extensible `ResultType`).
pub const TRAINING_DAYS_TYPE: &str = "ext:TrainingDays";
/// The `targetType` of the alignment naming the programme's category.
pub const CATEGORY_TYPE: &str = "ext:TrainingCategory";
/// The `identifierType` of the institution's code in its profile's `otherIdentifier`.
pub const INSTITUTION_CODE_TYPE: &str = "ext:InstitutionCode";

/// What opens the accrediting decision in an endorsement's comment, closed by `)`:
/// `Accredited to certify programmes of category QLNN-CV (decision 123/QĐ-BNV)`.
pub(crate) const DECISION_OPENS: &str = " (decision ";

/// Vietnam's offset from UTC (no daylight saving): a certificate's days are Vietnamese days.
const VIETNAM: &str = "+07:00";

/// The first second of `day` in Vietnam, as an `xsd:dateTime`.
fn day_start(day: time::Date) -> String {
    format!("{day}T00:00:00{VIETNAM}")
}

/// The last second of `day` in Vietnam, as an `xsd:dateTime`.
fn day_end(day: time::Date) -> String {
    format!("{day}T23:59:59{VIETNAM}")
}

/// Who a credential is about, as its subject's `identifier`s (Open Badges `IdentityObject`s):
/// the name in clear, and the national ID number only as its salted hash, which
/// [`holder_matches`] checks.
pub(crate) fn holder_identifiers(name: &str, hash: &str, salt: &str) -> Value {
    json!([
        { "type": "IdentityObject", "identityType": "name", "hashed": false, "identityHash": name },
        {
            "type": "IdentityObject",
            "identityType": "nationalIdentityNumber",
            "hashed": true,
            "identityHash": hash,
            "salt": salt,
        }
    ])
}

/// The certificate's number: `credentialSubject.licenseNumber`, or `certificateNumber` in
/// certificates issued before Hocba used Open Badges terms alone.
pub fn number_of(credential: &Map<String, Value>) -> Option<&str> {
    let subject = credential.get("credentialSubject");
    subject
        .and_then(|subject| subject.get("licenseNumber"))
        .or_else(|| credential.get("certificateNumber"))
        .and_then(Value::as_str)
}

/// Whether `national_id` is the number whose salted hash the credential's subject carries (its
/// `nationalIdentityNumber` `IdentityObject`): `None` when it carries no such hash. The number
/// is hashed with the credential's salt and compared; it is kept nowhere.
pub fn holder_matches(credential: &Map<String, Value>, national_id: &NationalId) -> Option<bool> {
    HolderHash::of(credential).map(|holder| holder.matches(national_id))
}

/// The salted hash of its holder's national ID number that a credential's subject carries, kept
/// apart from the credential to answer "is this the holder?" again without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderHash {
    hash: String,
    salt: String,
}

impl HolderHash {
    /// The hash `credential`'s subject carries (its `nationalIdentityNumber` `IdentityObject`),
    /// if any.
    pub fn of(credential: &Map<String, Value>) -> Option<Self> {
        let identifiers = credential.get("credentialSubject")?.get("identifier")?.as_array()?;
        let hashed = identifiers.iter().find(|identifier| {
            identifier.get("identityType").and_then(Value::as_str) == Some("nationalIdentityNumber")
                && identifier.get("hashed").and_then(Value::as_bool) == Some(true)
        })?;
        Some(HolderHash {
            hash: hashed.get("identityHash")?.as_str()?.to_owned(),
            salt: hashed.get("salt").and_then(Value::as_str).unwrap_or_default().to_owned(),
        })
    }

    /// Whether `national_id`, hashed with the credential's salt, is the holder's.
    pub fn matches(&self, national_id: &NationalId) -> bool {
        identity_hash(national_id, &self.salt) == self.hash
    }
}

/// Which signed forms of a certificate are made when it is issued. Whatever is left is made
/// from the stored credential when the certificate is served ([`complete_proof_set`],
/// [`jose::sign`]), by the key that signed it and with the same `created`: Ed25519 is
/// deterministic, so it comes out the same every time, and as it would have at issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signing {
    /// The Data Integrity proofs made now.
    pub suites: &'static [Cryptosuite],
    /// Whether the JWS is made now.
    pub jws: bool,
}

/// Every form at once: a single post, a correction, a re-issue.
pub const SIGNED_IN_FULL: Signing = Signing { suites: Cryptosuite::ALL, jws: true };

/// A class posted as a batch: the `eddsa-jcs-2022` proof alone, because posting must stay fast,
/// and JCS costs a fraction of JSON-LD processing while the JWS would double the bytes written.
pub const SIGNED_IN_BATCHES: Signing = Signing { suites: &[Cryptosuite::EddsaJcs2022], jws: false };

/// A credential as issued: with its proof set, and the same credential as a JWS if made.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The credential with `proof`.
    pub credential: Map<String, Value>,
    /// The VC-JOSE compact JWS of the same credential, when [`Signing::jws`] asked for it.
    pub jws: Option<String>,
}

/// Attaches a proof set to an unsigned credential, one proof per suite, each over the document
/// without the others.
pub fn secure(
    mut credential: Map<String, Value>,
    signer: &Signer,
    suites: &[Cryptosuite],
    created: OffsetDateTime,
) -> Result<Map<String, Value>, CredentialError> {
    credential.remove("proof");
    data_integrity::ensure_proof_context(&mut credential);
    complete_proof_set(&mut credential, signer, suites, created)?;
    Ok(credential)
}

/// Adds to a secured credential the proofs of `suites` it lacks, each over the document without
/// the others and `created` at `created`, and orders the set as [`Cryptosuite::ALL`] does.
/// A proof of another suite, or another signer's, is kept as it is.
pub fn complete_proof_set(
    credential: &mut Map<String, Value>,
    signer: &Signer,
    suites: &[Cryptosuite],
    created: OffsetDateTime,
) -> Result<(), CredentialError> {
    let mut proofs = match credential.remove("proof") {
        Some(Value::Array(proofs)) => proofs,
        Some(proof) => vec![proof],
        None => Vec::new(),
    };
    let suite_of = |proof: &Value| {
        proof.get("cryptosuite").and_then(Value::as_str).and_then(Cryptosuite::from_name)
    };
    for &suite in suites {
        if !proofs.iter().any(|proof| suite_of(proof) == Some(suite)) {
            let options = ProofOptions::assertion(suite, created);
            proofs.push(data_integrity::create_proof(credential, signer, &options)?);
        }
    }
    let rank = |proof: &Value| {
        suite_of(proof)
            .and_then(|suite| Cryptosuite::ALL.iter().position(|&known| known == suite))
            .unwrap_or(Cryptosuite::ALL.len())
    };
    proofs.sort_by_key(rank);
    let proof = match <[Value; 1]>::try_from(proofs) {
        Ok([single]) => single,
        Err(proofs) => Value::Array(proofs),
    };
    credential.insert("proof".into(), proof);
    Ok(())
}

/// Whether a secured credential lacks a proof of one of `suites`.
pub fn lacks_proofs(credential: &Map<String, Value>, suites: &[Cryptosuite]) -> bool {
    let proofs = crate::model::as_list(credential.get("proof"));
    let has = |suite: &Cryptosuite| {
        proofs.iter().any(|proof| proof.get("cryptosuite") == Some(&Value::from(suite.name())))
    };
    !suites.iter().all(has)
}

/// Signs a certificate in the forms `signing` asks for now, and first the endorsement that
/// states its accreditation.
pub fn issue(
    mut credential: Map<String, Value>,
    signer: &Signer,
    signing: Signing,
    created: OffsetDateTime,
) -> Result<Issued, CredentialError> {
    sign_endorsements(&mut credential, signer, created)?;
    let credential = secure(credential, signer, signing.suites, created)?;
    // From the secured credential, as it is stored: a JWS made later from the stored one is
    // this one.
    let jws = signing.jws.then(|| jose::sign(&credential, signer)).transpose()?;
    Ok(Issued { credential, jws })
}

/// Gives each endorsement of the certificate's institution (its accreditation) that has none a
/// proof by the registry: an `EndorsementCredential` is a credential of its own and must carry
/// one. `eddsa-rdfc-2022`, the suite Open Badges verifiers check: an `eddsa-jcs-2022` proof
/// repeats the `@context` inside the proof, which openbadgeslib refuses below an embedded
/// credential's top level. The certificate's proofs cover it whole. [`issue`] does this first.
///
/// Every certificate an institution issues under one accreditation embeds the same
/// endorsement, so it is signed once (at the first certificate's `created`) and the signed one
/// is reused: a class posted as a batch does not pay a JSON-LD signature per row.
pub fn sign_endorsements(
    credential: &mut Map<String, Value>,
    signer: &Signer,
    created: OffsetDateTime,
) -> Result<(), CredentialError> {
    let endorsements = credential
        .get_mut("credentialSubject")
        .and_then(|subject| subject.get_mut("achievement"))
        .and_then(|achievement| achievement.get_mut("creator"))
        .and_then(|creator| creator.get_mut("endorsement"))
        .and_then(Value::as_array_mut);
    for endorsement in endorsements.into_iter().flatten() {
        let Value::Object(unsigned) = endorsement else { continue };
        if unsigned.contains_key("proof") {
            continue;
        }
        let key = format!("{}\n{}", signer.method(), Value::Object(unsigned.clone()));
        let known = SIGNED_ENDORSEMENTS.lock().ok().and_then(|signed| signed.get(&key).cloned());
        let proof = match known {
            Some(proof) => proof,
            None => {
                let options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, created);
                let proof = data_integrity::create_proof(unsigned, signer, &options)?;
                if let Ok(mut signed) = SIGNED_ENDORSEMENTS.lock() {
                    if signed.len() >= MAX_SIGNED_ENDORSEMENTS {
                        signed.clear();
                    }
                    signed.insert(key, proof.clone());
                }
                proof
            }
        };
        unsigned.insert("proof".into(), proof);
    }
    Ok(())
}

/// How many signed endorsements are kept (each a few hundred bytes); past it, the cache starts
/// again.
const MAX_SIGNED_ENDORSEMENTS: usize = 4_096;

/// Endorsement proofs by signing method and unsigned endorsement (as JSON text).
static SIGNED_ENDORSEMENTS: LazyLock<Mutex<HashMap<String, Value>>> = LazyLock::new(Mutex::default);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endorsement_is_signed_once_and_reused() {
        let registry = Registry::new("https://hocba.gov.vn", "Hocba");
        let signer = Signer::new(crate::keys::generate(), "did:web:hocba.gov.vn#k1");
        let endorsement = |credential: &Map<String, Value>| {
            credential["credentialSubject"]["achievement"]["creator"]["endorsement"][0].clone()
        };
        let facts = |year| AccreditationFacts {
            category: "QLNN-CV".into(),
            validity: hocba_domain::Validity {
                from: time::Date::from_calendar_date(year, time::Month::January, 1).unwrap(),
                to: None,
            },
            decision: None,
        };
        let unsigned = |year| {
            let mut credential = Map::new();
            let endorsement = registry.accreditation("https://hocba.gov.vn/i/1", &facts(year));
            let creator = json!({ "endorsement": [endorsement] });
            credential.insert(
                "credentialSubject".into(),
                json!({ "achievement": { "creator": creator } }),
            );
            credential
        };
        let signed = |year, created| {
            let mut credential = unsigned(year);
            sign_endorsements(&mut credential, &signer, created).unwrap();
            endorsement(&credential)
        };
        let first = signed(2020, OffsetDateTime::UNIX_EPOCH);
        let later = signed(2020, OffsetDateTime::UNIX_EPOCH + time::Duration::days(1));
        assert_eq!(first["proof"], later["proof"]);
        let other = signed(2021, OffsetDateTime::UNIX_EPOCH + time::Duration::days(1));
        assert_ne!(first["proof"]["proofValue"], other["proof"]["proofValue"]);
        let proof = first["proof"].as_object().unwrap();
        let key = signer.public_key();
        let Value::Object(document) = first.clone() else { unreachable!() };
        data_integrity::verify_proof(&document, proof, &key).unwrap();
    }

    fn presented(identifier: Value) -> Map<String, Value> {
        let credential = json!({ "credentialSubject": { "identifier": identifier } });
        let Value::Object(credential) = credential else { unreachable!() };
        credential
    }

    #[test]
    fn the_holder_matches_only_the_number_hashed_with_the_credential_salt() {
        let number = NationalId::parse_format("001085012345").unwrap();
        let other = NationalId::parse_format("001085054321").unwrap();
        let credential = presented(json!([
            { "type": "IdentityObject", "identityType": "name", "hashed": false,
              "identityHash": "Nguyễn Văn An" },
            { "type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": true,
              "identityHash": identity_hash(&number, "5a1t"), "salt": "5a1t" }
        ]));
        assert_eq!(holder_matches(&credential, &number), Some(true));
        assert_eq!(holder_matches(&credential, &other), Some(false));
    }

    #[test]
    fn a_credential_without_a_hashed_national_id_answers_nothing() {
        let number = NationalId::parse_format("001085012345").unwrap();
        let unhashed = presented(json!([
            { "type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": false,
              "identityHash": "001085012345" }
        ]));
        assert_eq!(holder_matches(&unhashed, &number), None);
        assert_eq!(holder_matches(&presented(json!([])), &number), None);
        assert_eq!(holder_matches(&Map::new(), &number), None);
    }

    #[test]
    fn a_status_list_url_names_its_number_only_on_this_registry() {
        let registry = Registry::new("https://hocba.gov.vn/", "Hocba");
        assert_eq!(registry.status_list_number(&registry.status_list_url(12)), Some(12));
        assert_eq!(registry.status_list_number("https://elsewhere.example/status-lists/12"), None);
        assert_eq!(registry.status_list_number("https://hocba.gov.vn/status-lists/x"), None);
    }
}
