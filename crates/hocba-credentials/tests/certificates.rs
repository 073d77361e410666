//! Certificates in Open Badges 3.0 terms alone verify with every check, the accreditation
//! check reading the endorsement; certificates of the earlier shape (Hocba's own context and
//! terms) still verify as they did.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use hocba_credentials::certificate::{self, SIGNED_IN_FULL};
use hocba_credentials::stated::Stated;
use hocba_credentials::transcript;
use hocba_credentials::verify::{Presented, Report, Trust, Verifier};
use hocba_credentials::{Bitstring, KeySet, KeyStatus, PublishedKey, Registry, Signer};
use hocba_credentials::{keys, multikey};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::{date, datetime};

#[path = "../benches/support/typical.rs"]
mod typical;

struct Setup {
    registry: Registry,
    signer: Signer,
    keys: KeySet,
    lists: HashMap<String, Bitstring>,
}

fn setup() -> Setup {
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let key = keys::generate();
    let kid = multikey::jwk_thumbprint(&key.verifying_key());
    let signer = Signer::new(key.clone(), format!("{}#{kid}", registry.did));
    let keys = KeySet {
        did: registry.did.clone(),
        keys: vec![PublishedKey {
            kid,
            public_key: key.verifying_key(),
            status: KeyStatus::Active,
            created_at: OffsetDateTime::UNIX_EPOCH,
            revoked_at: None,
        }],
    };
    let mut lists = HashMap::new();
    lists.insert(registry.status_list_url(1), Bitstring::new(131_072));
    Setup { registry, signer, keys, lists }
}

impl Setup {
    fn issue(&self, unsigned: Map<String, Value>) -> Map<String, Value> {
        let issued_at = datetime!(2026-05-04 03:00 UTC);
        certificate::issue(unsigned, &self.signer, SIGNED_IN_FULL, issued_at).unwrap().credential
    }

    fn verify(&self, credential: &Map<String, Value>) -> Report {
        let verifier = Verifier {
            keys: &self.keys,
            status: &self.lists,
            now: datetime!(2026-06-01 00:00 UTC),
            trust: Trust::RegistryOnly,
        };
        verifier.verify(&Presented::Credential(credential.clone()))
    }
}

fn check<'a>(report: &'a Report, name: &str) -> &'a hocba_credentials::Check {
    report.checks.iter().find(|check| check.check == name).expect(name)
}

#[test]
fn a_certificate_needs_no_context_of_ours_and_verifies_with_every_check() {
    let setup = setup();
    let credential = setup.issue(typical::typical_certificate(&setup.registry));
    assert_eq!(
        credential["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["licenseNumber"], certificate::number_of(&credential).unwrap());
    // OB 3.0 types these as DateTime: Vietnamese days, from their first to their last second.
    assert_eq!(subject["activityStartDate"], "2025-03-03T00:00:00+07:00");
    assert_eq!(subject["activityEndDate"], "2025-04-25T23:59:59+07:00");
    let endorsement = &subject["achievement"]["creator"]["endorsement"][0];
    assert_eq!(endorsement["type"], json!(["VerifiableCredential", "EndorsementCredential"]));
    assert_eq!(endorsement["validFrom"], "2020-01-01T00:00:00+07:00");
    assert_eq!(endorsement["validUntil"], "2029-12-31T23:59:59+07:00");
    assert_eq!(endorsement["proof"]["cryptosuite"], "eddsa-rdfc-2022");

    let report = setup.verify(&credential);
    assert!(report.verified, "{:#?}", report.checks);
    let accreditation = check(&report, "accreditation");
    assert!(
        accreditation.reason.contains("accredited for QLNN-CV on 2025-04-25"),
        "{accreditation:?}"
    );
}

#[test]
fn the_accreditation_check_reads_the_endorsement() {
    let setup = setup();
    let base = typical::typical_certificate(&setup.registry);
    let endorsement = "/credentialSubject/achievement/creator/endorsement/0";
    let cases = [
        (
            "/validUntil",
            json!("2024-12-31T23:59:59+07:00"),
            "not accredited for QLNN-CV on 2025-04-25",
        ),
        (
            "/validFrom",
            json!("2025-04-26T00:00:00+07:00"),
            "not accredited for QLNN-CV on 2025-04-25",
        ),
        (
            "/credentialSubject/alignment/0/targetCode",
            json!("QLNN-CVC"),
            "accredited for another category than QLNN-CV",
        ),
        ("/issuer/id", json!("did:web:elsewhere.example"), "states no accreditation"),
    ];
    for (member, value, reason) in cases {
        let mut unsigned = Value::Object(base.clone());
        *unsigned.pointer_mut(&format!("{endorsement}{member}")).unwrap() = value;
        let Value::Object(unsigned) = unsigned else { unreachable!() };
        // Signed by the registry itself: every check but the accreditation passes.
        let report = setup.verify(&setup.issue(unsigned));
        let failed: Vec<_> = report.errors().collect();
        assert_eq!(failed.len(), 1, "{member}: {failed:#?}");
        assert_eq!(failed[0].check, "accreditation");
        assert!(failed[0].reason.contains(reason), "{member}: {:?}", failed[0].reason);
    }
}

/// A certificate as Hocba wrote them before it used Open Badges terms alone: its own context,
/// `certificateNumber`, `trainingDays`, `trainingCategory`, `institutionCode`, dates as dates
/// and the accreditation in `creator.accreditation`.
fn certificate_of_the_earlier_shape(registry: &Registry) -> Map<String, Value> {
    let base = &registry.base_url;
    let credential = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://hocba.gov.vn/contexts/v1.jsonld"
        ],
        "id": "urn:uuid:01930000-0000-7000-8000-000000000009",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên",
        "issuer": registry.profile(),
        "validFrom": "2025-05-02T03:00:00Z",
        "certificateNumber": "HB-2025-7K3M9-QFD2A-X",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject", "identityType": "name", "hashed": false,
                "identityHash": "Nguyễn Văn An"
            }],
            "achievement": {
                "id": format!("{base}/api/v1/programs/3"),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "humanCode": "QLNN-CV-2024",
                "name": "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên",
                "description": "State management, specialist level",
                "criteria": { "narrative": "Completed the programme QLNN-CV-2024." },
                "trainingCategory": "QLNN-CV",
                "creator": {
                    "id": format!("{base}/api/v1/institutions/4"),
                    "type": ["Profile"],
                    "name": "Trường Chính trị tỉnh Hà Nam",
                    "institutionCode": "TCT-HANAM",
                    "accreditation": {
                        "type": ["Accreditation"],
                        "trainingCategory": "QLNN-CV",
                        "accreditedFrom": "2020-01-01",
                        "accreditedUntil": "2029-12-31",
                        "accreditationDecision": "Quyết định 123/QĐ-BNV"
                    }
                }
            },
            "activityStartDate": "2025-03-03",
            "activityEndDate": "2025-04-25",
            "trainingDays": 40,
            "result": [{ "type": ["Result"], "value": "good", "score": 8.25 }]
        },
        "credentialStatus": {
            "id": format!("{base}/status-lists/1#94567"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": format!("{base}/status-lists/1")
        }
    });
    let Value::Object(credential) = credential else { unreachable!() };
    credential
}

#[test]
fn certificates_of_the_earlier_shape_still_verify() {
    let setup = setup();
    let credential = setup.issue(certificate_of_the_earlier_shape(&setup.registry));
    assert_eq!(certificate::number_of(&credential), Some("HB-2025-7K3M9-QFD2A-X"));
    let report = setup.verify(&credential);
    assert!(report.verified, "{:#?}", report.checks);
    for suite in ["proof eddsa-rdfc-2022", "proof eddsa-jcs-2022"] {
        assert!(check(&report, suite).passed);
    }
    let accreditation = check(&report, "accreditation");
    assert!(
        accreditation.reason.contains("accredited for QLNN-CV on 2025-04-25"),
        "{accreditation:?}"
    );

    let mut lapsed = certificate_of_the_earlier_shape(&setup.registry);
    lapsed["credentialSubject"]["achievement"]["creator"]["accreditation"]["accreditedUntil"] =
        json!("2021-12-31");
    let report = setup.verify(&setup.issue(lapsed));
    let failed: Vec<_> = report.errors().collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0].reason.contains("not accredited for QLNN-CV"), "{failed:?}");
}

/// What the verification page shows and the printed certificate needs, read from the earlier
/// layout too: without it, printing such a certificate failed for want of its accreditation.
#[test]
fn certificates_of_the_earlier_shape_state_what_a_printed_certificate_needs() {
    let setup = setup();
    let stated = Stated::of(&certificate_of_the_earlier_shape(&setup.registry));
    assert_eq!(stated.number.as_deref(), Some("HB-2025-7K3M9-QFD2A-X"));
    assert_eq!(stated.category.as_deref(), Some("QLNN-CV"));
    assert_eq!(stated.grade(), Some(hocba_domain::Outcome::Good));
    assert_eq!(stated.score.as_deref(), Some("8.25"));
    assert_eq!(stated.training_days, Some(40));
    assert_eq!(stated.institution_code.as_deref(), Some("TCT-HANAM"));
    let accreditation = stated.accreditation.expect("the accreditation in its old place");
    assert_eq!(accreditation.category.as_deref(), Some("QLNN-CV"));
    assert_eq!(accreditation.from, Some(date!(2020 - 01 - 01)));
    assert_eq!(accreditation.until, Some(date!(2029 - 12 - 31)));
    assert_eq!(accreditation.decision(), Some("Quyết định 123/QĐ-BNV"));
}

/// The facts of transcript `id` of the typical certificate's holder.
fn transcript_facts(id: u128) -> hocba_domain::TranscriptFacts {
    hocba_domain::TranscriptFacts {
        transcript_id: uuid::Uuid::from_u128(id),
        issued_at: datetime!(2026-05-05 03:00 UTC),
        holder_name: "Nguyễn Thị Phương Thảo".into(),
        identity_hash: format!("sha256${}", "cd".repeat(32)),
        identity_salt: "fedcba9876543210fedcba9876543210".into(),
        status_list: 1,
        status_index: 94_568,
    }
}

#[test]
fn a_transcript_embeds_signed_certificates_and_verifies_with_each_of_them() {
    let setup = setup();
    let certificate = setup.issue(typical::typical_certificate(&setup.registry));
    let facts = transcript_facts(9);
    let unsigned = setup.registry.transcript(&facts, vec![certificate.clone()]);
    let signed = transcript::issue(unsigned, &setup.signer, facts.issued_at).unwrap();
    assert_eq!(signed["credentialSubject"]["verifiableCredential"][0], Value::Object(certificate));

    let report = setup.verify(&signed);
    assert!(report.verified, "{:#?}", report.checks);
    for name in [
        "proof eddsa-rdfc-2022",
        "proof eddsa-jcs-2022",
        "status",
        "credentialSubject.verifiableCredential[0] proof eddsa-rdfc-2022",
        "credentialSubject.verifiableCredential[0] proof eddsa-jcs-2022",
        "credentialSubject.verifiableCredential[0] accreditation",
    ] {
        assert!(check(&report, name).passed, "{name}");
    }
    let mut revoked = setup.lists.clone();
    revoked.get_mut(&setup.registry.status_list_url(1)).unwrap().set(94_567).unwrap();
    let verifier = Verifier {
        keys: &setup.keys,
        status: &revoked,
        now: datetime!(2026-06-01 00:00 UTC),
        trust: Trust::RegistryOnly,
    };
    let report = verifier.verify(&Presented::Credential(signed));
    assert!(!report.verified);
    assert!(check(&report, "status").passed);
    assert!(!check(&report, "credentialSubject.verifiableCredential[0] status").passed);
}

/// Two certificates of one institution embed the same signed endorsement, whose proof becomes
/// two look-alike proof graphs of one node: RDFC-1.0 must tell them apart within its work bound
/// whichever order their hashes fall in (a new key each round gives new hashes).
#[test]
fn a_transcript_of_certificates_sharing_an_endorsement_canonicalizes_within_the_bound() {
    for round in 0..8u128 {
        let setup = setup();
        let certificates = (0..2u128)
            .map(|copy| {
                let mut unsigned = typical::typical_certificate(&setup.registry);
                let id = uuid::Uuid::from_u128(round << 8 | copy);
                unsigned.insert("id".into(), json!(format!("urn:uuid:{id}")));
                unsigned["credentialSubject"]["licenseNumber"] = json!(format!("N{copy}"));
                setup.issue(unsigned)
            })
            .collect();
        let facts = transcript_facts(round);
        let unsigned = setup.registry.transcript(&facts, certificates);
        let signed = transcript::issue(unsigned, &setup.signer, facts.issued_at).unwrap();
        let report = setup.verify(&signed);
        assert!(report.verified, "round {round}: {:#?}", report.checks);
    }
}
