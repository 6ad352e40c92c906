//! QR decode + verify of one 1280×720 camera-like frame, next to decode alone and to the
//! durable log write that follows a verdict at a real gate.
//!
//! Run with `cargo bench -p xiaoge-gate --bench frame`; criterion prints the median.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use xiaoge_gate::decode::decode;
use xiaoge_gate::synthetic::{FrameStyle, camera_frame};
use xiaoge_issuer::qr_image;
use xiaoge_pass::{
    CodeId, GateContext, IssuerKey, KeyPair, Pass, RiderId, RiderStatus, SiteId, StatusBits,
    StatusList, TrustList, TrustState, UnixTime, verify,
};

const NOW: UnixTime = UnixTime(1_767_225_600);

fn trust_and_code() -> (TrustState, String) {
    let key = KeyPair::from_seed([2; 32]);
    let trust_list = TrustList {
        issuer: "xg-bench".into(),
        issued_at: NOW.plus(-3600),
        keys: vec![IssuerKey::new(
            key.public(),
            NOW.plus(-86_400),
            NOW.plus(86_400),
        )],
    };
    let mut bits = StatusBits::new(1_000_000);
    for i in (0..1_000_000).step_by(100) {
        bits.set(i, RiderStatus::Revoked);
    }
    let status_list = StatusList {
        issuer: "xg-bench".into(),
        uri: "http://localhost/v1/status-list".into(),
        issued_at: NOW.plus(-600),
        ttl: 300,
        bits,
    };
    let pass = Pass {
        issuer: "xg-bench".into(),
        rider: RiderId::try_from("R7K2M9QX4T5W".to_owned()).unwrap_or_else(|e| panic!("{e}")),
        name: "黄**".into(),
        platform: "美团".into(),
        status_index: 123_457,
        site: Some(SiteId(12)),
        issued_at: NOW,
        not_before: NOW,
        expires_at: NOW.plus(120),
        code_id: CodeId([7; 8]),
    };
    let text = pass.mint(&key).unwrap_or_else(|e| panic!("{e}"));
    (
        TrustState {
            trust_list,
            status_list: Some(status_list),
        },
        text,
    )
}

fn bench_frame(c: &mut Criterion) {
    let (trust, text) = trust_and_code();
    let gate = GateContext::new(SiteId(12));
    let qr = qr_image::render(&text).unwrap_or_else(|e| panic!("{e}"));
    // The first seed whose frame rqrr reads: this measures a frame that yields a verdict.
    let frame = (1..100)
        .map(|seed| {
            let style = FrameStyle {
                seed,
                ..FrameStyle::default()
            };
            camera_frame(&qr.image, qr_image::MODULE_PIXELS, &style)
        })
        .find(|f| decode(f).is_some_and(|d| d.text == text))
        .unwrap_or_else(|| panic!("rqrr reads none of 99 synthetic frames"));
    let empty = FrameStyle {
        module_pixels: 0.2,
        ..FrameStyle::default()
    };
    let no_code = camera_frame(&qr.image, qr_image::MODULE_PIXELS, &empty);

    let mut group = c.benchmark_group("frame 1280x720");
    group.sample_size(30);
    group.bench_function("decode + verify", |b| {
        b.iter(|| {
            let text = decode(black_box(&frame))
                .map(|d| d.text)
                .unwrap_or_default();
            verify(&text, &trust, &gate, NOW.plus(10))
        });
    });
    group.bench_function("decode only", |b| b.iter(|| decode(black_box(&frame))));
    group.bench_function("decode, frame without a readable code", |b| {
        b.iter(|| decode(black_box(&no_code)));
    });
    group.finish();
}

criterion_group!(benches, bench_frame);
criterion_main!(benches);
