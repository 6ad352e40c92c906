//! The frame pipeline on 1280×720 synthetic camera frames: a real issuer on loopback, a gate
//! enrolled over HTTP, riders' codes on phone screens in front of the camera one after the
//! other with empty frames between them, each frame through the scanner (decode → verify →
//! durable log). Prints frames per second, the share of frames read, and median times; then
//! the same frames through rqrr alone and rxing alone, side by side.
//!
//! Run with `cargo bench -p xiaoge-gate --bench pipeline` (`PIPELINE_RIDERS` sets how many).

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use xiaoge_gate::clock;
use xiaoge_gate::decode::{Attempt, Detector, Look, timed};
use xiaoge_gate::frames::{FrameSource, Shot, Synthetic};
use xiaoge_gate::scanner::{ScanEvent, Scanner};
use xiaoge_gate::sync::{self, DEFAULT_TIMEOUT};
use xiaoge_gate::synthetic::ConditionMix;
use xiaoge_issuer::http::{self, Background};
use xiaoge_issuer::model::{SiteInput, SiteKind};
use xiaoge_issuer::{InitOptions, Issuer};
use xiaoge_pass::{GateContext, StatusList, TrustList, TrustState, verify};

const FRAMES_PER_RIDER: u32 = 12;
const EMPTY_FRAMES_BETWEEN: u32 = 4;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let riders = std::env::var("PIPELINE_RIDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40usize);
    let tmp = tempfile::tempdir().unwrap();
    let now = http::now();
    let issuer =
        Arc::new(Issuer::init(&tmp.path().join("issuer"), &InitOptions::default(), now).unwrap());
    issuer.add_platform("美团", now).unwrap();
    let site = issuer
        .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
        .unwrap();
    let (_, token) = issuer.add_gate(site, "东门", now).unwrap();
    let server = Background::start(&issuer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let mut gate = sync::enroll(
        &tmp.path().join("gate"),
        &server.url(),
        &token,
        DEFAULT_TIMEOUT,
        now,
    )
    .unwrap();

    let mut texts = Vec::new();
    let mut shots = Vec::new();
    for i in 0..riders {
        let rider = issuer
            .add_rider("美团", &format!("mt-{i}"), "黄小明", now)
            .unwrap();
        let (_, text) = issuer.mint(&rider.id, Some(site), now).unwrap();
        texts.push(text.clone());
        shots.push(Shot {
            text: Some(text),
            frames: FRAMES_PER_RIDER,
        });
        shots.push(Shot {
            text: None,
            frames: EMPTY_FRAMES_BETWEEN,
        });
    }
    let trust_list =
        TrustList::open(&issuer.trust_list().unwrap().bytes, &issuer.root_public()).unwrap();
    let status_list =
        StatusList::open(&issuer.status_list(now).unwrap().bytes, &trust_list).unwrap();
    let trust = TrustState {
        trust_list,
        status_list: Some(status_list),
    };

    // The pipeline as the kiosk runs it, frame after frame.
    let mut source = Synthetic::new(shots.clone(), ConditionMix::demo(1));
    let mut scanner = Scanner::default();
    let (mut frames, mut read, mut verdicts, mut allowed) = (0usize, 0usize, 0usize, 0usize);
    let (mut decode_ms, mut to_verdict_ms, mut decode_verify_ms) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut pipeline_seconds = 0.0;
    let gate_context = GateContext::new(site);
    let mut kept = Vec::new();
    while let Some(frame) = source.next_frame().unwrap() {
        frames += 1;
        let started = Instant::now();
        let (event, timing) = scanner
            .scan(
                &mut gate,
                &frame.image,
                source.kind(),
                &clock::read(),
                Instant::now(),
            )
            .unwrap();
        pipeline_seconds += started.elapsed().as_secs_f64();
        decode_ms.push(timing.decode_ms);
        match event {
            ScanEvent::NoCode => {}
            ScanEvent::Repeat { .. } => read += 1,
            ScanEvent::Verdict(v) => {
                read += 1;
                verdicts += 1;
                allowed += usize::from(v.reason.is_none());
                to_verdict_ms.push(timing.decode_ms + timing.check_ms);
                let code = v.code_id.clone().unwrap_or_default();
                let text = texts
                    .iter()
                    .find(|t| {
                        xiaoge_pass::pass::inspect(t)
                            .is_ok_and(|(_, p)| p.code_id.to_string() == code)
                    })
                    .cloned()
                    .unwrap_or_default();
                let (_, verify_ms) =
                    timed(|| verify(&text, &trust, &gate_context, clock::read().wall));
                decode_verify_ms.push(timing.decode_ms + verify_ms);
            }
        }
        if kept.len() < 200 {
            kept.push(frame.image);
        }
    }
    let with_code = riders * FRAMES_PER_RIDER as usize;
    println!("pipeline: {frames} frames of 1280x720 ({with_code} showing a code), {riders} riders");
    println!(
        "  frames per second            {:.0}",
        frames as f64 / pipeline_seconds
    );
    println!(
        "  frames read                  {read} of {with_code} showing a code ({:.0}%)",
        read as f64 * 100.0 / with_code as f64
    );
    println!("  riders verified              {verdicts} of {riders} ({allowed} allowed)");
    println!("  decode, median per frame     {:.2} ms", median(decode_ms));
    println!(
        "  decode + verify, median      {:.2} ms",
        median(decode_verify_ms)
    );
    println!(
        "  frame to durably logged verdict, median {:.2} ms",
        median(to_verdict_ms)
    );

    // The same kind of frames through one decoder at a time.
    let rqrr = Attempt {
        detector: Detector::Rqrr,
        look: Look::AsIs,
    };
    for attempt in [xiaoge_gate::decode::CHAIN[0], rqrr] {
        let mut ms = Vec::new();
        let mut ok = 0;
        for image in &kept {
            let (text, t) = timed(|| attempt.run(image));
            ms.push(t);
            ok += usize::from(text.is_some());
        }
        println!(
            "  {:<8} alone: {ok} of {} frames read, median {:.2} ms",
            attempt.to_string(),
            kept.len(),
            median(ms)
        );
    }
    drop(server);
}
