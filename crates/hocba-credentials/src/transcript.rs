//! The official's whole record as one credential: a 1EdTech Comprehensive Learner Record 2.0
//! `ClrCredential` whose `ClrSubject` embeds the official's certificates, each the signed
//! `OpenBadgeCredential` the registry issued, unchanged. It is signed as a certificate is
//! ([`certificate::secure`], both proofs); the embedded credentials keep their own proofs, which
//! the transcript's proofs cover whole.

use hocba_domain::TranscriptFacts;
use serde_json::{Map, Value, json};

use crate::certificate::{self, Registry};
use crate::contexts;
use crate::data_integrity::{Cryptosuite, xsd_date_time};
use crate::keys::Signer;
use crate::model;
use crate::status::StatusEntry;
use crate::{CredentialError, Presented};

/// The type that makes a credential a transcript.
pub const CLR_CREDENTIAL: &str = "ClrCredential";

impl Registry {
    /// The unsigned transcript stating `facts`, embedding `certificates` (secured credentials,
    /// as served) in the order given.
    pub fn transcript(
        &self,
        facts: &TranscriptFacts,
        certificates: Vec<Map<String, Value>>,
    ) -> Map<String, Value> {
        let embedded: Vec<Value> = certificates.into_iter().map(Value::Object).collect();
        let transcript = json!({
            // CLR 2.0.1 §B.1: VC 2.0, then CLR, then OB 3.0 (whose terms the embedded
            // achievements and the identity objects use).
            "@context": [contexts::VC_V2, contexts::CLR_V2, contexts::OB_V3],
            "id": format!("urn:uuid:{}", facts.transcript_id),
            "type": ["VerifiableCredential", CLR_CREDENTIAL],
            "name": "Học bạ đào tạo, bồi dưỡng (Training record)",
            "description": "Every certificate standing in the Hocba national registry for this official when the transcript was issued.",
            "issuer": self.profile(),
            "validFrom": xsd_date_time(facts.issued_at),
            "credentialSubject": {
                "type": ["ClrSubject"],
                "identifier": certificate::holder_identifiers(
                    &facts.holder_name,
                    &facts.identity_hash,
                    &facts.identity_salt,
                ),
                "verifiableCredential": embedded,
            },
            "credentialStatus": StatusEntry {
                list: self.status_list_url(facts.status_list),
                index: facts.status_index as usize,
            }
            .to_json(),
        });
        match transcript {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// Signs a transcript with both proofs, `created` at its issuance.
pub fn issue(
    transcript: Map<String, Value>,
    signer: &Signer,
    created: time::OffsetDateTime,
) -> Result<Map<String, Value>, CredentialError> {
    certificate::secure(transcript, signer, Cryptosuite::ALL, created)
}

/// Whether `credential` is a transcript.
pub fn is_transcript(credential: &Map<String, Value>) -> bool {
    model::as_list(credential.get("type")).iter().any(|kind| kind == CLR_CREDENTIAL)
}

/// The credentials a transcript embeds (its `ClrSubject`'s `verifiableCredential`), each to be
/// verified on its own; nothing for another credential.
pub fn embedded(credential: &Map<String, Value>) -> Vec<Result<Presented, String>> {
    if !is_transcript(credential) {
        return Vec::new();
    }
    let subjects = model::as_list(credential.get("credentialSubject"));
    subjects
        .iter()
        .flat_map(|subject| model::as_list(subject.get("verifiableCredential")))
        .map(|entry| match entry {
            Value::Object(embedded) => Ok(Presented::Credential(embedded.clone())),
            _ => Err("is not an object".to_owned()),
        })
        .collect()
}
