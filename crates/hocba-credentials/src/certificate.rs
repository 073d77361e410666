//! The certificate as a W3C Verifiable Credential 2.0 that is also an Open Badges 3.0
//! `OpenBadgeCredential` (DESIGN.md §4), and the issuer that signs it.

use hocba_domain::{AccreditationFacts, CertificateFacts};
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

    /// The unsigned credential stating `facts`.
    pub fn certificate(&self, facts: &CertificateFacts) -> Map<String, Value> {
        let program = &facts.program;
        let institution = &facts.institution;
        let mut result = json!({ "type": ["Result"], "value": facts.outcome.as_str() });
        if let Some(score) = facts.score {
            result["score"] = json!(score);
        }
        let credential = json!({
            "@context": [contexts::VC_V2, contexts::OB_V3, contexts::HOCBA],
            "id": format!("urn:uuid:{}", facts.certificate_id),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": program.title_vi,
            "issuer": self.profile(),
            "validFrom": xsd_date_time(facts.issued_at),
            "certificateNumber": facts.number.as_str(),
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityType": "name",
                        "hashed": false,
                        "identityHash": facts.holder_name,
                    },
                    {
                        "type": "IdentityObject",
                        "identityType": "nationalIdentityNumber",
                        "hashed": true,
                        "identityHash": facts.identity_hash,
                        "salt": facts.identity_salt,
                    }
                ],
                "achievement": {
                    "id": format!("{}/api/v1/programs/{}", self.base_url, program.id),
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
                    "trainingCategory": program.category,
                    "creator": {
                        "id": format!("{}/api/v1/institutions/{}", self.base_url, institution.id),
                        "type": ["Profile"],
                        "name": institution.name,
                        "institutionCode": institution.code,
                        "accreditation": accreditation(&facts.accreditation),
                    },
                },
                "activityStartDate": facts.started_on.to_string(),
                "activityEndDate": facts.ended_on.to_string(),
                "trainingDays": facts.duration_days,
                "result": [result],
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
}

/// The institution's accreditation for the programme's category, as the certificate states it.
fn accreditation(facts: &AccreditationFacts) -> Value {
    let mut accreditation = json!({
        "type": ["Accreditation"],
        "trainingCategory": facts.category,
        "accreditedFrom": facts.validity.from.to_string(),
    });
    if let Some(until) = facts.validity.to {
        accreditation["accreditedUntil"] = json!(until.to_string());
    }
    if let Some(decision) = &facts.decision {
        accreditation["accreditationDecision"] = json!(decision);
    }
    accreditation
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

/// Signs a certificate in the forms `signing` asks for now.
pub fn issue(
    credential: Map<String, Value>,
    signer: &Signer,
    signing: Signing,
    created: OffsetDateTime,
) -> Result<Issued, CredentialError> {
    let credential = secure(credential, signer, signing.suites, created)?;
    // From the secured credential, as it is stored: a JWS made later from the stored one is
    // this one.
    let jws = signing.jws.then(|| jose::sign(&credential, signer)).transpose()?;
    Ok(Issued { credential, jws })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_list_url_names_its_number_only_on_this_registry() {
        let registry = Registry::new("https://hocba.gov.vn/", "Hocba");
        assert_eq!(registry.status_list_number(&registry.status_list_url(12)), Some(12));
        assert_eq!(registry.status_list_number("https://elsewhere.example/status-lists/12"), None);
        assert_eq!(registry.status_list_number("https://hocba.gov.vn/status-lists/x"), None);
    }
}
