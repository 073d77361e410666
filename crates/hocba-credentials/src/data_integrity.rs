//! Data Integrity proofs (W3C "Verifiable Credential Data Integrity 1.0") with the two
//! cryptosuites of "Data Integrity EdDSA Cryptosuites v1.0": `eddsa-rdfc-2022` (§3.2: JSON-LD
//! to RDF, canonicalized with RDFC-1.0), which the education wallets and verifiers check, and
//! `eddsa-jcs-2022` (§3.3: JCS, RFC 8785), simple for an offline verifier. Both sign
//! SHA-256(canonical proof configuration) ‖ SHA-256(canonical document) with Ed25519.

use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::contexts::{DATA_INTEGRITY, VC_V2};
use crate::keys::Signer;
use crate::memo::{self, Digest32, Memo};
use crate::{CredentialError, jsonld, multikey};

/// The `eddsa-jcs-2022` cryptosuite's name.
pub const EDDSA_JCS_2022: &str = "eddsa-jcs-2022";
/// The `eddsa-rdfc-2022` cryptosuite's name.
pub const EDDSA_RDFC_2022: &str = "eddsa-rdfc-2022";

/// A cryptosuite this registry signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`.
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`.
    EddsaJcs2022,
}

impl Cryptosuite {
    /// Every suite, in the order a proof set lists them.
    pub const ALL: &'static [Cryptosuite] =
        &[Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022];

    /// The suite's registered name.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => EDDSA_RDFC_2022,
            Cryptosuite::EddsaJcs2022 => EDDSA_JCS_2022,
        }
    }

    /// Parses a suite name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|suite| suite.name() == name)
    }

    /// SHA-256(canonical configuration) ‖ SHA-256(canonical document): what is signed.
    fn hash_data(
        self,
        document: &Unsecured<'_>,
        config: &Unsecured<'_>,
    ) -> Result<[u8; 64], CredentialError> {
        let digest = |object: &Unsecured<'_>| match self {
            Cryptosuite::EddsaJcs2022 => Ok(Sha256::digest(jcs(object)?).into()),
            Cryptosuite::EddsaRdfc2022 => rdfc_digest(object),
        };
        let mut hash = [0u8; 64];
        hash[..32].copy_from_slice(&digest(config)?);
        hash[32..].copy_from_slice(&digest(document)?);
        Ok(hash)
    }
}

/// How many documents' canonical RDF digests are kept (64 bytes each with their key).
const RDFC_MEMO_CAPACITY: usize = 16_384;

/// SHA-256 of a document's RDFC-1.0 canonical N-Quads, by the digest of its JSON text.
static RDFC_DIGESTS: Memo<Digest32> = Memo::new(RDFC_MEMO_CAPACITY);

/// SHA-256 of `object`'s canonical N-Quads. The JSON text decides them (the contexts are
/// bundled, never fetched), so a document seen before, byte for byte, takes the digest kept for
/// it instead of being canonicalized again: an issued certificate is immutable, and showing or
/// verifying it again (its `/v/{number}` page) costs a hash of its text instead of about a
/// millisecond of JSON-LD processing. Another byte anywhere is another document.
fn rdfc_digest(object: &Unsecured<'_>) -> Result<Digest32, CredentialError> {
    let unreadable = |_| CredentialError::malformed("the document cannot be read as JSON-LD");
    let text = serde_json::to_vec(object).map_err(unreadable)?;
    RDFC_DIGESTS.get_or_try(memo::digest(&[&text]), || {
        let object = serde_json::to_value(object).map_err(unreadable)?;
        Ok(Sha256::digest(jsonld::canonical_nquads(&object)?).into())
    })
}

/// What a proof is for: credentials are asserted, presentations authenticate their holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofPurpose {
    /// `assertionMethod`.
    Assertion,
    /// `authentication`.
    Authentication,
}

impl ProofPurpose {
    /// The purpose's name in a proof.
    pub fn as_str(self) -> &'static str {
        match self {
            ProofPurpose::Assertion => "assertionMethod",
            ProofPurpose::Authentication => "authentication",
        }
    }
}

/// How to make a proof: suite, time and purpose; for a presentation the verifier's domain and
/// challenge; for a proof chain, the proof's own `id` and the proof it follows.
#[derive(Debug, Clone, Copy)]
pub struct ProofOptions<'a> {
    /// The cryptosuite.
    pub suite: Cryptosuite,
    /// The proof's `created`.
    pub created: OffsetDateTime,
    /// The proof's purpose.
    pub purpose: ProofPurpose,
    /// `domain`, for a presentation.
    pub domain: Option<&'a str>,
    /// `challenge`, for a presentation.
    pub challenge: Option<&'a str>,
    /// The proof's `id`, so that a later proof can chain to it.
    pub id: Option<&'a str>,
    /// `previousProof`: the `id` of a proof of the document that this one signs over too.
    pub previous_proof: Option<&'a str>,
}

impl ProofOptions<'_> {
    /// An issuer's proof (`assertionMethod`).
    pub fn assertion(suite: Cryptosuite, created: OffsetDateTime) -> Self {
        ProofOptions {
            suite,
            created,
            purpose: ProofPurpose::Assertion,
            domain: None,
            challenge: None,
            id: None,
            previous_proof: None,
        }
    }
}

/// Adds the Data Integrity context to a document whose contexts do not define a proof's terms,
/// as the Recommendation asks before a proof is added (VC Data Integrity §4.2, "Add Proof").
pub fn ensure_proof_context(document: &mut Map<String, Value>) {
    let Some(Value::Array(contexts)) = document.get_mut("@context") else { return };
    let defines_proofs =
        |context: &Value| context.as_str().is_some_and(|url| url == VC_V2 || url == DATA_INTEGRITY);
    if !contexts.iter().any(defines_proofs) {
        contexts.push(DATA_INTEGRITY.into());
    }
}

/// Signs `document` and returns the proof object. The document's own proofs are not signed
/// over, except the one `options.previous_proof` names (a proof chain).
pub fn create_proof(
    document: &Map<String, Value>,
    signer: &Signer,
    options: &ProofOptions<'_>,
) -> Result<Value, CredentialError> {
    let mut proof = Map::new();
    if let Some(id) = options.id {
        proof.insert("id".into(), id.into());
    }
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), options.suite.name().into());
    proof.insert("created".into(), xsd_date_time(options.created).into());
    proof.insert("verificationMethod".into(), signer.method().into());
    proof.insert("proofPurpose".into(), options.purpose.as_str().into());
    let members = [
        ("domain", options.domain),
        ("challenge", options.challenge),
        ("previousProof", options.previous_proof),
    ];
    for (member, value) in members {
        if let Some(value) = value {
            proof.insert(member.into(), value.into());
        }
    }
    let document_context = document.get("@context");
    // The JCS proof carries the document's @context, so that it survives being moved into a
    // proof set or chain (§3.3.1 Create Proof, step 2).
    if let (Cryptosuite::EddsaJcs2022, Some(context)) = (options.suite, document_context) {
        proof.insert("@context".into(), context.clone());
    }
    let mut config = Unsecured::new(&proof, None);
    // The RDFC configuration is read in the document's @context without carrying it (§3.2.5).
    if options.suite == Cryptosuite::EddsaRdfc2022 {
        config.context = document_context;
    }
    let previous = previous_proofs(document, &proof)?;
    let mut unsecured = Unsecured::new(document, Some("proof"));
    unsecured.proof = previous.as_ref();
    let hash = options.suite.hash_data(&unsecured, &config)?;
    let signature = signer.sign(&hash);
    proof.insert("proofValue".into(), multikey::signature_base58btc(&signature).into());
    Ok(Value::Object(proof))
}

/// Checks one proof of a secured document against `key`: its shape, its cryptosuite, the
/// proofs it chains to (`previousProof`), and its signature.
///
/// `document` is the secured document with all its proofs; `proof` one of them. Whose key it
/// is, and whether the purpose fits, is the caller's question.
///
/// A proof that held is remembered by the digest of the document, the proof and the key (see
/// `VERIFIED_PROOFS`): checking the same bytes again with the same key gives the same answer,
/// so it is not worked out again. A failure is worked out each time.
pub fn verify_proof(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    key: &VerifyingKey,
) -> Result<(), CredentialError> {
    let (Ok(document_text), Ok(proof_text)) =
        (serde_json::to_vec(document), serde_json::to_vec(proof))
    else {
        return verify_proof_afresh(document, proof, key);
    };
    let seen = memo::digest(&[&document_text, &proof_text, key.as_bytes()]);
    if VERIFIED_PROOFS.get(&seen).is_some() {
        return Ok(());
    }
    verify_proof_afresh(document, proof, key)?;
    VERIFIED_PROOFS.keep(seen, ());
    Ok(())
}

/// How many proofs that held are remembered (32 bytes each).
const VERIFIED_PROOFS_CAPACITY: usize = 65_536;

/// The proofs that held, by the digest of (document, proof, public key) as JSON text and bytes.
/// Only the signature's arithmetic is remembered: whether the key is still trusted, the status
/// and the dates are the verifier's to check every time.
static VERIFIED_PROOFS: Memo<()> = Memo::new(VERIFIED_PROOFS_CAPACITY);

fn verify_proof_afresh(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    key: &VerifyingKey,
) -> Result<(), CredentialError> {
    let suite = check_proof_shape(proof)?;
    let signature = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or_else(|| CredentialError::invalid_proof("proofValue is missing"))
        .and_then(multikey::signature_from_base58btc)?;
    let previous = previous_proofs(document, proof)?;
    let mut unsecured = Unsecured::new(document, Some("proof"));
    unsecured.proof = previous.as_ref();
    let mut config = Unsecured::new(proof, Some("proofValue"));
    match suite {
        Cryptosuite::EddsaJcs2022 => {
            if let Some(context) = proof.get("@context") {
                // The proof may carry its own @context only as a prefix of the document's.
                let prefix =
                    context.as_array().map_or(std::slice::from_ref(context), Vec::as_slice);
                let document_context = document.get("@context").and_then(Value::as_array);
                if !document_context.is_some_and(|full| full.starts_with(prefix)) {
                    return Err(CredentialError::invalid_proof(
                        "the proof's @context is not a prefix of the document's",
                    ));
                }
                unsecured.context = Some(context);
            }
        }
        Cryptosuite::EddsaRdfc2022 => config.context = document.get("@context"),
    }
    let hash = suite.hash_data(&unsecured, &config)?;
    if crate::keys::signature_holds(key, &hash, &signature) {
        Ok(())
    } else {
        Err(CredentialError::invalid_proof("the signature does not match the document"))
    }
}

/// The proofs a chained proof signed over (Data Integrity §4.3, step 4): every `id` that
/// `previousProof` names must be another proof of the document.
fn previous_proofs(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
) -> Result<Option<Value>, CredentialError> {
    let Some(previous) = proof.get("previousProof") else { return Ok(None) };
    let ids: Vec<&str> = match previous {
        Value::String(id) => vec![id.as_str()],
        Value::Array(ids) => ids.iter().map(Value::as_str).collect::<Option<_>>().ok_or(
            CredentialError::invalid_proof("previousProof must be a string or a list of strings"),
        )?,
        _ => {
            return Err(CredentialError::invalid_proof(
                "previousProof must be a string or a list of strings",
            ));
        }
    };
    let all = crate::model::as_list(document.get("proof"));
    let matching = ids
        .iter()
        .map(|id| {
            all.iter()
                .find(|other| other.get("id").and_then(Value::as_str) == Some(id))
                .cloned()
                .ok_or(CredentialError::invalid_proof(
                    "previousProof names a proof the document does not carry",
                ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(match <[Value; 1]>::try_from(matching) {
        Ok([single]) => single,
        Err(several) => Value::Array(several),
    }))
}

fn check_proof_shape(proof: &Map<String, Value>) -> Result<Cryptosuite, CredentialError> {
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof") {
        return Err(CredentialError::invalid_proof("type must be DataIntegrityProof"));
    }
    let suite =
        proof.get("cryptosuite").and_then(Value::as_str).and_then(Cryptosuite::from_name).ok_or(
            CredentialError::invalid_proof("cryptosuite must be eddsa-rdfc-2022 or eddsa-jcs-2022"),
        )?;
    if let Some(created) = proof.get("created") {
        let valid = created.as_str().is_some_and(|at| OffsetDateTime::parse(at, &Rfc3339).is_ok());
        if !valid {
            return Err(CredentialError::invalid_proof("created is not an XML Schema dateTime"));
        }
    }
    for member in ["verificationMethod", "proofPurpose"] {
        if !proof.get(member).is_some_and(Value::is_string) {
            return Err(CredentialError::invalid_proof(match member {
                "verificationMethod" => "verificationMethod is missing",
                _ => "proofPurpose is missing",
            }));
        }
    }
    Ok(suite)
}

/// A document seen without one member (`proof`, or a proof's `proofValue`) and, optionally,
/// with another `@context` or with the proofs a chained proof covers as its `proof`: what the
/// algorithms hash, without copying the document.
struct Unsecured<'a> {
    object: &'a Map<String, Value>,
    without: Option<&'static str>,
    context: Option<&'a Value>,
    proof: Option<&'a Value>,
}

impl<'a> Unsecured<'a> {
    fn new(object: &'a Map<String, Value>, without: Option<&'static str>) -> Self {
        Unsecured { object, without, context: None, proof: None }
    }

    /// The members, in the order they are written.
    fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        let added_context = self.context.filter(|_| !self.object.contains_key("@context"));
        let own =
            self.object.iter().filter_map(|(key, value)| match (key.as_str(), self.context) {
                (key, _) if Some(key) == self.without => None,
                ("@context", Some(context)) => Some(("@context", context)),
                (key, _) => Some((key, value)),
            });
        let added = |key, value: Option<&'a Value>| value.map(|value| (key, value));
        added("@context", added_context).into_iter().chain(own).chain(added("proof", self.proof))
    }

    /// Whether serde_json writes this document as RFC 8785 does, so that it need not be
    /// canonicalized again: members in JCS order, and [`written_canonically`] each.
    fn written_canonically(&self) -> bool {
        let mut previous: Option<&str> = None;
        self.members().all(|(key, value)| {
            let ascending = previous.is_none_or(|previous| previous < key);
            previous = Some(key);
            ascending && key.is_ascii() && written_canonically(value)
        })
    }
}

impl serde::Serialize for Unsecured<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.members() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Whether serde_json writes `value` exactly as RFC 8785 does. It does when every object key is
/// ASCII (serde_json's maps are sorted by UTF-8 bytes, which for ASCII is JCS's UTF-16 order)
/// and every number is one both write alike; strings it already escapes as JCS does.
fn written_canonically(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.iter().all(|(key, value)| key.is_ascii() && written_canonically(value))
        }
        Value::Array(items) => items.iter().all(written_canonically),
        Value::Number(number) => number_written_canonically(number),
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

/// Integers a double holds exactly are written alike. A fraction is when serde_json writes it
/// in plain notation (JCS, as ECMAScript, writes `8` for `8.0` and `1e+21`) with at most 15
/// significant digits: both write the shortest digits that read back as the same double, and
/// up to 15 digits there is only one such string (longer, the two may round the last digit
/// differently).
fn number_written_canonically(number: &serde_json::Number) -> bool {
    const EXACT: u64 = 1 << 53;
    if let Some(integer) = number.as_i64() {
        return integer.unsigned_abs() <= EXACT;
    }
    if number.is_u64() {
        return false; // beyond i64, so beyond a double's integers
    }
    let written = number.to_string();
    let digits = written.trim_start_matches(['-', '0', '.']).bytes().filter(u8::is_ascii_digit);
    !written.contains(['e', 'E']) && !written.ends_with(".0") && digits.count() <= 15
}

/// RFC 8785 bytes of `document`. What Hocba signs is nearly always in canonical form as
/// serde_json writes it (see [`Unsecured::written_canonically`]), and then it is written as it
/// is, at a seventh of the cost. Anything else goes through `canon-json`, a `serde_json`
/// formatter that sorts each object's members as it writes them.
fn jcs(document: &Unsecured<'_>) -> Result<Vec<u8>, CredentialError> {
    use serde::Serialize as _;
    let mut canonical = Vec::with_capacity(4096);
    let written = if document.written_canonically() {
        serde_json::to_writer(&mut canonical, document)
    } else {
        let formatter = canon_json::CanonicalFormatter::new();
        document.serialize(&mut serde_json::Serializer::with_formatter(&mut canonical, formatter))
    };
    written.map_err(|_| {
        CredentialError::malformed("the document cannot be canonicalized (RFC 8785)")
    })?;
    Ok(canonical)
}

/// An XML Schema `dateTime` in UTC to the second, as proofs and `validFrom` carry it.
pub fn xsd_date_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize as _;
    use serde_json::json;

    /// `document` through `canon-json` alone, the reference for the shortcut.
    fn canonicalized(document: &Unsecured<'_>) -> Vec<u8> {
        let mut canonical = Vec::new();
        let formatter = canon_json::CanonicalFormatter::new();
        document
            .serialize(&mut serde_json::Serializer::with_formatter(&mut canonical, formatter))
            .unwrap();
        canonical
    }

    fn assert_jcs_as_reference(document: &Unsecured<'_>) {
        let ours = jcs(document).unwrap();
        let reference = canonicalized(document);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&reference));
    }

    /// A proof that held once is remembered for those bytes and that key only: another byte in
    /// the document, or another key, is checked afresh and fails.
    #[test]
    fn a_remembered_proof_holds_only_for_the_same_document_and_key() {
        let signer = Signer::new(crate::keys::generate(), "did:web:hocba.gov.vn#k1");
        let other = Signer::new(crate::keys::generate(), "did:web:hocba.gov.vn#k2");
        let Value::Object(mut document) = json!({
            "@context": [VC_V2],
            "type": ["VerifiableCredential"],
            "issuer": "did:web:hocba.gov.vn",
            "credentialSubject": { "name": "Nguyễn Văn An" },
        }) else {
            unreachable!()
        };
        for suite in Cryptosuite::ALL {
            let options = ProofOptions::assertion(*suite, OffsetDateTime::UNIX_EPOCH);
            let Value::Object(proof) = create_proof(&document, &signer, &options).unwrap() else {
                unreachable!()
            };
            document.insert("proof".into(), Value::Object(proof.clone()));
            for _ in 0..2 {
                verify_proof(&document, &proof, &signer.public_key()).unwrap();
            }
            assert!(verify_proof(&document, &proof, &other.public_key()).is_err());
            let mut tampered = document.clone();
            tampered["credentialSubject"]["name"] = json!("Nguyễn Văn Anh");
            assert!(verify_proof(&tampered, &proof, &signer.public_key()).is_err());
            verify_proof(&document, &proof, &signer.public_key()).unwrap();
        }
    }

    #[test]
    fn documents_written_as_they_are_are_canonical() {
        let certificate = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "credentialSubject": {
                "name": "Nguyễn Văn An \u{1F393} \"quoted\" \\ \u{7} \u{1f} \u{7f} tab\t/",
                "result": [{ "score": 8.5, "value": "passed" }],
                "trainingDays": 20,
            },
            "id": "urn:uuid:0193a4a0-0000-7000-8000-000000000000",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
        });
        let Value::Object(certificate) = certificate else { unreachable!() };
        assert!(Unsecured::new(&certificate, None).written_canonically());
        assert_jcs_as_reference(&Unsecured::new(&certificate, None));
        assert_jcs_as_reference(&Unsecured::new(&certificate, Some("type")));
        // Another @context in place, a @context added in front, and proofs appended after
        // members that sort later: the last is out of order and takes the long way.
        let context = json!(["https://www.w3.org/ns/credentials/v2", { "é": "urn:x" }]);
        let mut shortcut = Unsecured::new(&certificate, None);
        shortcut.context = Some(&context);
        assert_jcs_as_reference(&shortcut);
        let mut without_context = certificate.clone();
        without_context.remove("@context");
        let mut added = Unsecured::new(&without_context, None);
        added.context = Some(&context);
        assert_jcs_as_reference(&added);
        let proofs = json!([{ "type": "DataIntegrityProof" }]);
        let mut chained = Unsecured::new(&certificate, None);
        chained.proof = Some(&proofs);
        assert!(!chained.written_canonically());
        assert_jcs_as_reference(&chained);
    }

    #[test]
    fn keys_beyond_ascii_and_numbers_written_otherwise_take_the_long_way() {
        for (document, shortcut) in [
            (json!({ "é": 1, "z": 2, "\u{1F393}": 3, "\u{FB01}": 4 }), false),
            (json!({ "n": { "ñ": true } }), false),
            (json!({ "big": 9_007_199_254_740_993_u64 }), false),
            (json!({ "big": u64::MAX }), false),
            (json!({ "edge": 9_007_199_254_740_992_i64, "neg": -9_007_199_254_740_992_i64 }), true),
            (json!({ "whole": 8.0 }), false),
            (json!({ "huge": 1e21, "tiny": 1e-7 }), false),
            (json!({ "long": 1658206780088562.2 }), false),
            (json!({ "plain": [0.1, 8.5, -2.25, 123456.789, 0.00125] }), true),
        ] {
            let Value::Object(document) = document else { unreachable!() };
            let unsecured = Unsecured::new(&document, None);
            assert_eq!(unsecured.written_canonically(), shortcut, "{document:?}");
            assert_jcs_as_reference(&unsecured);
        }
    }

    #[test]
    fn every_kind_of_double_is_canonical_either_way() {
        // A fixed pseudo-random walk over bit patterns, and the decimals scores are made of.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut doubles: Vec<f64> = (0..20_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                f64::from_bits(state)
            })
            .filter(|double| double.is_finite())
            .collect();
        doubles.extend((0..2_000).map(|tenths| f64::from(tenths) / 100.0));
        doubles.extend((-30..30).map(|exponent| 1.5 * 10f64.powi(exponent)));
        for double in doubles {
            let document = Map::from_iter([("n".to_owned(), json!(double))]);
            assert_jcs_as_reference(&Unsecured::new(&document, None));
        }
    }

    /// The eddsa-jcs-2022 test vector of the W3C Recommendation (vc-di-eddsa `TestVectors/`
    /// `signedJCS.json`): the published key, credential, proof and signature.
    fn spec_vector() -> (Map<String, Value>, VerifyingKey) {
        let credential = json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2"
            ],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:abcdefgh",
                "alumniOf": "The School of Examples"
            },
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "created": "2023-02-24T23:36:38Z",
                "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                "proofPurpose": "assertionMethod",
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://www.w3.org/ns/credentials/examples/v2"
                ],
                "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
            }
        });
        let key =
            multikey::from_did_key("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
                .expect("spec key");
        match credential {
            Value::Object(map) => (map, key),
            _ => unreachable!(),
        }
    }

    fn proof_of(document: &Map<String, Value>) -> Map<String, Value> {
        document["proof"].as_object().cloned().expect("proof object")
    }

    #[test]
    fn the_recommendations_example_verifies() {
        let (document, key) = spec_vector();
        verify_proof(&document, &proof_of(&document), &key).expect("spec example verifies");
    }

    #[test]
    fn signing_the_example_reproduces_its_proof_byte_for_byte() {
        // The vector's secret key: multicodec ed25519-priv (0x8026) and 32 bytes.
        let secret = multikey::from_base58btc("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
            .expect("secret key");
        let secret: [u8; 32] = secret[2..].try_into().expect("32 bytes");
        let (mut document, _) = spec_vector();
        let expected = document.remove("proof").expect("proof");
        let signer = Signer::new(
            ed25519_dalek::SigningKey::from_bytes(&secret),
            expected["verificationMethod"].as_str().expect("method"),
        );
        let created = OffsetDateTime::parse("2023-02-24T23:36:38Z", &Rfc3339).expect("date");
        let proof = create_proof(
            &document,
            &signer,
            &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, created),
        )
        .expect("signs");
        assert_eq!(proof, expected);
    }

    #[test]
    fn changing_any_member_breaks_the_example() {
        let (document, key) = spec_vector();
        for (path, value) in [
            ("/credentialSubject/alumniOf", json!("The School of Samples")),
            ("/validFrom", json!("2023-01-02T00:00:00Z")),
            ("/proof/created", json!("2023-02-24T23:36:39Z")),
            ("/proof/proofPurpose", json!("authentication")),
        ] {
            let mut tampered = Value::Object(document.clone());
            *tampered.pointer_mut(path).expect("path exists") = value;
            let tampered = tampered.as_object().cloned().expect("object");
            assert!(
                verify_proof(&tampered, &proof_of(&tampered), &key).is_err(),
                "{path} changed, still verifies"
            );
        }
    }

    #[test]
    fn what_we_sign_verifies_and_is_deterministic_in_its_inputs() {
        let key = crate::keys::generate();
        let signer = Signer::new(key.clone(), multikey::did_key_method(&key.verifying_key()));
        let (mut document, _) = spec_vector();
        document.remove("proof");
        let options =
            ProofOptions::assertion(Cryptosuite::EddsaJcs2022, OffsetDateTime::UNIX_EPOCH);
        let proof = create_proof(&document, &signer, &options).expect("signs");
        assert_eq!(proof["created"], "1970-01-01T00:00:00Z");
        let proof = proof.as_object().cloned().expect("object");
        verify_proof(&document, &proof, &key.verifying_key()).expect("verifies");
        let other = crate::keys::generate().verifying_key();
        assert!(verify_proof(&document, &proof, &other).is_err());
    }

    /// The eddsa-rdfc-2022 test vector of the Recommendation (vc-di-eddsa `TestVectors/`
    /// `eddsa-rdfc-2022`), as `interop/vectors` keeps it for both implementations.
    mod rdfc_vector {
        use super::*;

        fn vector(name: &str) -> Value {
            let text = match name {
                "unsigned" => include_str!("../../../interop/vectors/unsigned.json"),
                "signed" => include_str!("../../../interop/vectors/signedDataInt.json"),
                "config" => include_str!("../../../interop/vectors/proofConfigDataInt.json"),
                _ => include_str!("../../../interop/vectors/intermediatesDataInt.json"),
            };
            serde_json::from_str(text).expect("vector is JSON")
        }

        fn intermediate(name: &str) -> String {
            vector("intermediates")[name].as_str().expect("intermediate").to_owned()
        }

        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|byte| format!("{byte:02x}")).collect()
        }

        #[test]
        fn canonicalization_and_hashes_match_the_recommendation_byte_for_byte() {
            let document = crate::jsonld::canonical_nquads(&vector("unsigned")).expect("canon");
            assert_eq!(document, intermediate("canonDocDataInt"));
            assert_eq!(hex(&Sha256::digest(&document)), intermediate("docHashDataInt"));
            let config = crate::jsonld::canonical_nquads(&vector("config")).expect("canon");
            assert_eq!(config, intermediate("proofCanonDataInt"));
            assert_eq!(hex(&Sha256::digest(&config)), intermediate("proofHashDataInt"));
        }

        #[test]
        fn signing_the_example_reproduces_its_proof_byte_for_byte() {
            let secret =
                multikey::from_base58btc("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
                    .expect("secret key");
            let secret: [u8; 32] = secret[2..].try_into().expect("32 bytes");
            let expected = vector("signed")["proof"].clone();
            let signer = Signer::new(
                ed25519_dalek::SigningKey::from_bytes(&secret),
                expected["verificationMethod"].as_str().expect("method"),
            );
            let created = OffsetDateTime::parse("2023-02-24T23:36:38Z", &Rfc3339).expect("date");
            let unsigned = vector("unsigned").as_object().cloned().expect("object");
            let options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, created);
            let proof = create_proof(&unsigned, &signer, &options).expect("signs");
            assert_eq!(proof, expected);
            assert_eq!(proof["proofValue"], intermediate("sigBTC58DataInt"));
        }

        #[test]
        fn the_signed_example_verifies_and_a_changed_one_does_not() {
            let signed = vector("signed").as_object().cloned().expect("object");
            let key =
                multikey::from_did_key("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
                    .expect("spec key");
            let proof = signed["proof"].as_object().cloned().expect("proof");
            verify_proof(&signed, &proof, &key).expect("the Recommendation's example verifies");
            let mut changed = signed.clone();
            changed["credentialSubject"]["alumniOf"] = json!("The School of Samples");
            assert!(verify_proof(&changed, &proof, &key).is_err());
        }
    }

    #[test]
    fn a_proof_chain_verifies_link_by_link_and_breaks_without_its_first_link() {
        let witness = crate::keys::generate();
        let issuer = crate::keys::generate();
        let signer = |key: &ed25519_dalek::SigningKey| {
            Signer::new(key.clone(), multikey::did_key_method(&key.verifying_key()))
        };
        let (mut document, _) = spec_vector();
        document.remove("proof");
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let created = OffsetDateTime::UNIX_EPOCH;
            let first = ProofOptions {
                id: Some("urn:uuid:first"),
                ..ProofOptions::assertion(suite, created)
            };
            let first = create_proof(&document, &signer(&witness), &first).expect("signs");
            let mut chained = document.clone();
            chained.insert("proof".into(), json!([first]));
            let second = ProofOptions {
                previous_proof: Some("urn:uuid:first"),
                ..ProofOptions::assertion(suite, created)
            };
            let second = create_proof(&chained, &signer(&issuer), &second).expect("signs");
            chained.insert("proof".into(), json!([first, second]));
            let proof = |index: usize| chained["proof"][index].as_object().cloned().expect("proof");
            verify_proof(&chained, &proof(0), &witness.verifying_key()).expect("first link");
            verify_proof(&chained, &proof(1), &issuer.verifying_key()).expect("second link");

            // The second link signed over the first: changing the first breaks it too.
            let mut altered = chained.clone();
            altered["proof"][0]["created"] = json!("1970-01-02T00:00:00Z");
            assert!(verify_proof(&altered, &proof(1), &issuer.verifying_key()).is_err());
            // Without the first link, the chain does not resolve.
            let mut cut = chained.clone();
            cut.insert("proof".into(), json!([chained["proof"][1]]));
            let error = verify_proof(&cut, &proof(1), &issuer.verifying_key()).expect_err("cut");
            assert!(error.to_string().contains("previousProof"), "{error}");
        }
    }
}
