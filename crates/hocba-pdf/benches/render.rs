//! Printing a certificate and a 60-completion transcript, to check both stay well above what a
//! registry serves (targets per core: 200 certificates a second, 50 transcripts a second).
//!
//! `cargo bench -p hocba-pdf --bench render`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/support/sheets.rs"]
mod sheets;

fn render(c: &mut Criterion) {
    let certificate = sheets::certificate(None);
    let transcript = sheets::transcript(60);
    eprintln!(
        "certificate: {} bytes; 60-completion transcript: {} bytes",
        hocba_pdf::certificate(&certificate).unwrap().len(),
        hocba_pdf::transcript(&transcript).unwrap().len()
    );
    c.bench_function("certificate PDF", |b| {
        b.iter(|| hocba_pdf::certificate(black_box(&certificate)).unwrap())
    });
    c.bench_function("transcript PDF (60 completions)", |b| {
        b.iter(|| hocba_pdf::transcript(black_box(&transcript)).unwrap())
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
