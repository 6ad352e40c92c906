//! Building and signing the status list for a million riders, 1% of them revoked at random,
//! next to reading it back as a gate does. Prints the signed size once.
//!
//! Run with `cargo bench -p xiaoge-pass --bench status_list`; criterion prints the median.

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use xiaoge_pass::{IssuerKey, KeyPair, RiderStatus, StatusBits, StatusList, TrustList, UnixTime};

const RIDERS: u32 = 1_000_000;

/// The indexes of the revoked riders: 1% of them, spread at random.
fn revoked() -> Vec<u32> {
    let mut dice = 0x9E37_79B9_7F4A_7C15_u64;
    (0..RIDERS)
        .filter(|_| {
            dice ^= dice << 13;
            dice ^= dice >> 7;
            dice ^= dice << 17;
            dice.is_multiple_of(100)
        })
        .collect()
}

fn build(revoked: &[u32], key: &KeyPair) -> Vec<u8> {
    let mut bits = StatusBits::new(RIDERS as usize);
    for &i in revoked {
        bits.set(i, RiderStatus::Revoked);
    }
    StatusList {
        issuer: "xg-bench".into(),
        uri: "https://xg.example/v1/status-list".into(),
        issued_at: UnixTime(1_767_225_600),
        ttl: 300,
        bits,
    }
    .sign(key)
}

fn bench_status_list(c: &mut Criterion) {
    let key = KeyPair::from_seed([2; 32]);
    let trust = TrustList {
        issuer: "xg-bench".into(),
        issued_at: UnixTime(0),
        keys: vec![IssuerKey::new(
            key.public(),
            UnixTime(0),
            UnixTime(i64::MAX / 2),
        )],
    };
    let revoked = revoked();
    let signed = build(&revoked, &key);
    println!(
        "status list: {RIDERS} riders, {} revoked, {} bytes signed",
        revoked.len(),
        signed.len()
    );
    let mut group = c.benchmark_group("status list 1M riders 1% revoked");
    group.sample_size(20);
    group.bench_function("build, compress and sign", |b| {
        b.iter(|| build(black_box(&revoked), &key));
    });
    group.bench_function("verify and inflate (a gate's sync)", |b| {
        b.iter(|| StatusList::open(black_box(&signed), &trust).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench_status_list);
criterion_main!(benches);
