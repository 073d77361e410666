//! Sign and verify a typical certificate, beside raw Ed25519 over bytes of the same size, to
//! show what the credential layer costs on top: JCS or JSON-LD + RDFC-1.0 canonicalization,
//! hashing, encoding.
//!
//! `cargo bench -p hocba-credentials --bench signing`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, Verifier as _};
use hocba_credentials::certificate::{self, Registry};
use hocba_credentials::data_integrity::{Cryptosuite, ProofOptions};
use hocba_credentials::verify::{Presented, Trust, Verifier};
use hocba_credentials::{
    Bitstring, KeySet, KeyStatus, PublishedKey, Signer, data_integrity, keys, multikey,
};
use time::OffsetDateTime;

#[path = "support/typical.rs"]
mod typical;
use typical::typical_certificate;

fn signing(c: &mut Criterion) {
    let registry = Registry::new("https://hocba.gov.vn", "Hocba");
    let key = keys::generate();
    let kid = multikey::jwk_thumbprint(&key.verifying_key());
    let signer = Signer::new(key.clone(), format!("{}#{kid}", registry.did));
    let now = OffsetDateTime::UNIX_EPOCH;
    let mut unsigned = typical_certificate(&registry);
    certificate::sign_endorsements(&mut unsigned, &signer, now).unwrap();
    let bytes = serde_json::to_vec(&unsigned).unwrap();
    let signed = certificate::secure(unsigned.clone(), &signer, Cryptosuite::ALL, now).unwrap();
    let proof_of = |suite: Cryptosuite| {
        let proofs = signed["proof"].as_array().unwrap();
        let proof = proofs.iter().find(|proof| proof["cryptosuite"] == suite.name()).unwrap();
        proof.as_object().unwrap().clone()
    };
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
    for &suite in Cryptosuite::ALL {
        let options = ProofOptions::assertion(suite, now);
        c.bench_function(&format!("certificate sign ({})", suite.name()), |b| {
            b.iter(|| {
                data_integrity::create_proof(black_box(&unsigned), &signer, &options).unwrap()
            })
        });
        let proof = proof_of(suite);
        c.bench_function(&format!("certificate verify ({} proof)", suite.name()), |b| {
            b.iter(|| {
                let key = key.verifying_key();
                data_integrity::verify_proof(black_box(&signed), &proof, &key).unwrap()
            })
        });
    }
    c.bench_function("JCS of the certificate alone", |b| {
        b.iter(|| {
            let mut canonical = Vec::with_capacity(4096);
            let formatter = canon_json::CanonicalFormatter::new();
            let mut serializer = serde_json::Serializer::with_formatter(&mut canonical, formatter);
            serde::Serialize::serialize(black_box(&unsigned), &mut serializer).unwrap();
            canonical
        })
    });
    c.bench_function("certificate verify (both proofs and every check, offline)", |b| {
        let verifier = Verifier { keys: &keyset, status: &lists, now, trust: Trust::RegistryOnly };
        let presented = Presented::Credential(signed.clone());
        b.iter(|| assert!(verifier.verify(black_box(&presented)).verified))
    });
}

criterion_group!(benches, signing);
criterion_main!(benches);
