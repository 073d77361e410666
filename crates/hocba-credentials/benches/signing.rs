//! Sign and verify a typical certificate, beside raw Ed25519 over bytes of the same size, to
//! show what the credential layer (JCS canonicalization, hashing, encoding) costs on top.
//!
//! `cargo bench -p hocba-credentials --bench signing`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, Verifier as _};
use hocba_credentials::certificate::{self, Cryptosuite, Registry};
use hocba_credentials::verify::{Presented, Trust, Verifier};
use hocba_credentials::{
    Bitstring, KeySet, KeyStatus, PublishedKey, Signer, data_integrity, keys, multikey,
};
use hocba_domain::{
    AccreditationFacts, CertificateFacts, CertificateNumber, CompletionId, InstitutionFacts,
    InstitutionId, Outcome, ProgramFacts, ProgramId, Validity,
};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::date;
use uuid::Uuid;

fn typical_certificate(registry: &Registry) -> serde_json::Map<String, Value> {
    let facts = CertificateFacts {
        certificate_id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
        number: CertificateNumber::new(2026, [1, 2, 3, 4, 5, 6, 7]),
        issued_at: OffsetDateTime::UNIX_EPOCH,
        holder_name: "Nguyễn Thị Phương Thảo".into(),
        identity_hash: format!("sha256${}", "ab".repeat(32)),
        identity_salt: "0123456789abcdef0123456789abcdef".into(),
        completion_id: CompletionId::from_uuid(Uuid::from_u128(2)),
        started_on: date!(2025 - 03 - 03),
        ended_on: date!(2025 - 04 - 25),
        duration_days: 40,
        outcome: Outcome::Good,
        score: Some(8.25),
        program: ProgramFacts {
            id: ProgramId::from_uuid(Uuid::from_u128(3)),
            code: "QLNN-CV-2024".into(),
            title_vi: "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên".into(),
            title_en: Some("State management, specialist level".into()),
            category: "QLNN-CV".into(),
            min_days: 40,
        },
        institution: InstitutionFacts {
            id: InstitutionId::from_uuid(Uuid::from_u128(4)),
            code: "TCT-HANAM".into(),
            name: "Trường Chính trị tỉnh Hà Nam".into(),
        },
        accreditation: AccreditationFacts {
            category: "QLNN-CV".into(),
            validity: Validity { from: date!(2020 - 01 - 01), to: Some(date!(2029 - 12 - 31)) },
            decision: Some("Quyết định 123/QĐ-BNV ngày 01/02/2020".into()),
        },
        status_list: 1,
        status_index: 94_567,
    };
    registry.certificate(&facts)
}

fn signing(c: &mut Criterion) {
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let key = keys::generate();
    let kid = multikey::jwk_thumbprint(&key.verifying_key());
    let signer = Signer::new(key.clone(), format!("{}#{kid}", registry.did));
    let unsigned = typical_certificate(&registry);
    let bytes = serde_json::to_vec(&unsigned).unwrap();
    let now = OffsetDateTime::UNIX_EPOCH;
    let signed = certificate::secure(unsigned.clone(), &signer, Cryptosuite::ALL, now).unwrap();
    let proof = signed["proof"].as_object().unwrap().clone();
    let raw_signature = key.sign(&bytes);
    let keyset = KeySet {
        did: registry.did.clone(),
        keys: vec![PublishedKey {
            kid,
            public_key: key.verifying_key(),
            status: KeyStatus::Active,
            created_at: now,
            revoked_at: None,
        }],
    };
    let mut lists = HashMap::new();
    lists.insert(registry.status_list_url(1), Bitstring::new(131_072));

    eprintln!("typical certificate: {} bytes of JSON", bytes.len());
    c.bench_function("raw ed25519 sign (certificate bytes)", |b| {
        b.iter(|| key.sign(black_box(&bytes)))
    });
    c.bench_function("raw ed25519 verify (certificate bytes)", |b| {
        b.iter(|| key.verifying_key().verify(black_box(&bytes), &raw_signature).unwrap())
    });
    c.bench_function("certificate sign (eddsa-jcs-2022)", |b| {
        b.iter_batched(
            || unsigned.clone(),
            |unsigned| {
                certificate::secure(black_box(unsigned), &signer, Cryptosuite::ALL, now).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("JCS of the certificate alone", |b| {
        b.iter(|| {
            let mut canonical = Vec::with_capacity(4096);
            let formatter = canon_json::CanonicalFormatter::new();
            let mut serializer = serde_json::Serializer::with_formatter(&mut canonical, formatter);
            serde::Serialize::serialize(black_box(&unsigned), &mut serializer).unwrap();
            canonical
        })
    });
    c.bench_function("certificate verify (eddsa-jcs-2022 proof)", |b| {
        b.iter(|| {
            data_integrity::verify_proof(black_box(&signed), &proof, &key.verifying_key()).unwrap()
        })
    });
    c.bench_function("certificate verify (every check, offline)", |b| {
        let verifier = Verifier { keys: &keyset, status: &lists, now, trust: Trust::RegistryOnly };
        let presented = Presented::Credential(signed.clone());
        b.iter(|| assert!(verifier.verify(black_box(&presented)).verified))
    });
}

criterion_group!(benches, signing);
criterion_main!(benches);
