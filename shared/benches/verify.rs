//! How long the pure `verify` takes on one code text, next to its two biggest parts.
//!
//! Run with `cargo bench -p xiaoge-pass --bench verify`; criterion prints the median.

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{Fixture, GATE_SITE, T0};
use criterion::{Criterion, criterion_group, criterion_main};
use xiaoge_pass::{GateContext, TrustState, pass, qr_text, verify};

fn bench_verify(c: &mut Criterion) {
    let fx = Fixture::new();
    let text = fx.pass(T0).mint(&fx.current).unwrap();
    let trust = TrustState {
        trust_list: fx.trust_list.clone(),
        status_list: Some(fx.status_list.clone()),
    };
    let gate = GateContext::new(GATE_SITE);
    let now = T0.plus(10);
    assert!(verify(&text, &trust, &gate, now).is_ok());

    let mut group = c.benchmark_group("code");
    group.bench_function("verify (decode, signature, all checks)", |b| {
        b.iter(|| verify(black_box(&text), &trust, &gate, now));
    });
    group.bench_function("read only (Base45, COSE, claims; no signature)", |b| {
        b.iter(|| pass::inspect(black_box(&text)));
    });
    group.bench_function("Base45 decode only", |b| {
        b.iter(|| qr_text::decode(black_box(&text)));
    });
    group.bench_function("mint (claims, COSE, Ed25519 sign, Base45)", |b| {
        let p = fx.pass(T0);
        b.iter(|| black_box(&p).mint(&fx.current));
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
