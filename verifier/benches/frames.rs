//! Decode rate and cost on camera-like frames of real codes (`gen_gate_frames.py`'s buckets):
//! every candidate attempt alone, the still-image chain beside the previous one, and the live
//! path, side by side in one run.
//!
//! `cargo bench -p xiaoge-gate --bench frames` reads the committed sample in `tests/frames`;
//! `XIAOGE_FRAMES=DIR` reads a full set (`gen_gate_frames.py --out DIR`) instead.

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/frame_set.rs"]
mod frame_set;

use std::collections::BTreeMap;
use std::path::PathBuf;

use frame_set::Frame;
use image::GrayImage;
use image::imageops::{self, FilterType};
use xiaoge_gate::decode::{
    self, Attempt, CANDIDATES, CHAIN, Decoded, FrameDecoder, PREVIOUS_CHAIN, decode_with, timed,
};
use xiaoge_gate::frames::{FrameSource, Shot, Synthetic};
use xiaoge_gate::synthetic::{Condition, ConditionMix};

fn median(ms: &[f64]) -> f64 {
    percentile(ms, 0.5)
}

fn percentile(ms: &[f64], q: f64) -> f64 {
    let mut ms = ms.to_vec();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return 0.0;
    }
    ms[((ms.len() - 1) as f64 * q).round() as usize]
}

/// What a decoder made of each frame: read right, read wrong (a false read), or nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Right,
    Wrong,
    Nothing,
}

fn outcome(frame: &Frame, text: Option<&str>) -> Outcome {
    match (text, frame.expected.as_deref()) {
        (None, _) => Outcome::Nothing,
        (Some(t), Some(e)) if t == e => Outcome::Right,
        _ => Outcome::Wrong,
    }
}

struct Row {
    name: String,
    outcomes: Vec<Outcome>,
    ms: Vec<f64>,
}

fn measure(
    name: String,
    frames: &[Frame],
    mut read: impl FnMut(&GrayImage) -> Option<String>,
) -> Row {
    let mut outcomes = Vec::new();
    let mut ms = Vec::new();
    for frame in frames {
        let (text, t) = timed(|| read(&frame.image));
        outcomes.push(outcome(frame, text.as_deref()));
        ms.push(t);
    }
    Row { name, outcomes, ms }
}

fn buckets(frames: &[Frame]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in frames {
        if !out.contains(&f.bucket) {
            out.push(f.bucket.clone());
        }
    }
    out
}

fn print_header(buckets: &[String]) {
    print!("{:<28}", "");
    for b in buckets {
        print!(" {:>7}", b.chars().take(7).collect::<String>());
    }
    println!(
        "  {:>9} {:>5} {:>9} {:>9}",
        "all", "false", "ms code", "ms none"
    );
}

fn print_row(row: &Row, frames: &[Frame], buckets: &[String]) {
    print!("{:<28}", row.name);
    for b in buckets {
        let idx: Vec<usize> = (0..frames.len())
            .filter(|&i| &frames[i].bucket == b)
            .collect();
        let with_code = idx
            .iter()
            .filter(|&&i| frames[i].expected.is_some())
            .count();
        let right = idx
            .iter()
            .filter(|&&i| row.outcomes[i] == Outcome::Right)
            .count();
        if with_code == 0 {
            print!(" {:>7}", "-");
        } else {
            print!(" {:>7}", format!("{right}/{with_code}"));
        }
    }
    let with_code: Vec<usize> = (0..frames.len())
        .filter(|&i| frames[i].expected.is_some())
        .collect();
    let right = row
        .outcomes
        .iter()
        .filter(|&&o| o == Outcome::Right)
        .count();
    let wrong = row
        .outcomes
        .iter()
        .filter(|&&o| o == Outcome::Wrong)
        .count();
    let ms_code: Vec<f64> = with_code.iter().map(|&i| row.ms[i]).collect();
    let ms_none: Vec<f64> = (0..frames.len())
        .filter(|&i| frames[i].expected.is_none() && frames[i].image.width() == 1280)
        .map(|i| row.ms[i])
        .collect();
    println!(
        "  {:>9} {:>5} {:>9.2} {:>9.2}",
        format!(
            "{right} {:.1}%",
            100.0 * right as f64 / with_code.len().max(1) as f64
        ),
        wrong,
        median(&ms_code),
        median(&ms_none)
    );
}

/// The chain a greedy choice makes from the attempts' outcomes: at each step the attempt that
/// adds the most reads per millisecond on the frames still unread.
fn greedy_chain(rows: &[(Attempt, Row)], frames: &[Frame]) -> Vec<Attempt> {
    let mut read = vec![false; frames.len()];
    let mut chain = Vec::new();
    loop {
        let best = rows
            .iter()
            .filter(|(a, _)| !chain.contains(a))
            .map(|(a, row)| {
                let gain = (0..frames.len())
                    .filter(|&i| !read[i] && row.outcomes[i] == Outcome::Right)
                    .count();
                let cost = median(&row.ms).max(0.05);
                (*a, gain, gain as f64 / cost, row)
            })
            .filter(|&(_, gain, _, row)| gain > 0 && !row.outcomes.contains(&Outcome::Wrong))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((attempt, _, _, row)) = best else {
            return chain;
        };
        for (i, r) in read.iter_mut().enumerate() {
            *r |= row.outcomes[i] == Outcome::Right;
        }
        chain.push(attempt);
    }
}

/// The live path on each frame held still in view: the frame of the first read, if one of
/// the first `limit` reads.
fn live(frames: &[Frame], limit: usize) -> Vec<Option<usize>> {
    frames
        .iter()
        .map(|frame| {
            let mut decoder = FrameDecoder::default();
            (1..=limit).find(|_| decoder.next_frame(&frame.image).is_some())
        })
        .collect()
}

/// The live path the gate had before issue 12: ZXing-Java's reader on every frame, plus one
/// more attempt of the previous chain in turn.
#[derive(Default)]
struct PreviousFrameDecoder {
    turn: usize,
}

impl PreviousFrameDecoder {
    fn next_frame(&mut self, frame: &GrayImage) -> Option<Decoded> {
        decode_with(&PREVIOUS_CHAIN[..1], frame).or_else(|| {
            let rest: Vec<Attempt> = PREVIOUS_CHAIN[1..]
                .iter()
                .copied()
                .filter(|a| a.suits(frame))
                .collect();
            let attempt = rest[self.turn % rest.len()];
            self.turn += 1;
            decode_with(&[attempt], frame)
        })
    }
}

/// Views of a code held in front of the camera simulator (`synthetic`): per condition,
/// `views` riders each holding the phone for three frames (a little roll and fresh sensor
/// noise a frame), read by this build's live path and by the previous one side by side.
fn simulated_views(texts: &[String], views: usize) {
    println!(
        "\nLive path on simulated views ({views} per condition, 3 frames each; \
         frames to first read, this build | previous):"
    );
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>10} {:>8} {:>10}",
        "condition", "frame 1", "by 2", "by 3", "ms median", "by 3", "ms median"
    );
    let (mut all, mut all_previous, mut total) = (0, 0, 0);
    for (k, condition) in Condition::ALL
        .into_iter()
        .filter(|c| c.shows_code())
        .enumerate()
    {
        let shots = (0..views)
            .map(|v| Shot {
                text: Some(texts[(k + v) % texts.len()].clone()),
                frames: 3,
            })
            .collect();
        let mut source = Synthetic::new(shots, ConditionMix::only(condition, 1000 + k as u64));
        let (mut by, mut previous_by3) = ([0usize; 3], 0);
        let (mut ms, mut ms_previous) = (Vec::new(), Vec::new());
        for _ in 0..views {
            let mut live = FrameDecoder::default();
            let mut previous = PreviousFrameDecoder::default();
            let (mut first, mut previous_first) = (None, None);
            for n in 0..3 {
                let frame = source.next_frame().unwrap().expect("a frame of the view");
                let (read, t) = timed(|| live.next_frame(&frame.image));
                ms.push(t);
                if read.is_some() && first.is_none() {
                    first = Some(n);
                }
                let (read, t) = timed(|| previous.next_frame(&frame.image));
                ms_previous.push(t);
                if read.is_some() && previous_first.is_none() {
                    previous_first = Some(n);
                }
            }
            if let Some(n) = first {
                for b in &mut by[n..] {
                    *b += 1;
                }
            }
            previous_by3 += usize::from(previous_first.is_some());
        }
        println!(
            "{:<12} {:>8} {:>8} {:>8} {:>10.2} {:>8} {:>10.2}",
            condition.name(),
            by[0],
            by[1],
            by[2],
            median(&ms),
            previous_by3,
            median(&ms_previous)
        );
        all += by[2];
        all_previous += previous_by3;
        total += views;
    }
    println!(
        "{:<12} within 3 frames: this build {all} of {total} ({:.1}%), previous {all_previous} ({:.1}%)",
        "all",
        100.0 * all as f64 / total.max(1) as f64,
        100.0 * all_previous as f64 / total.max(1) as f64
    );
}

fn to_720p(image: &GrayImage) -> GrayImage {
    if image.height() <= 720 {
        return image.clone();
    }
    let w = image.width() * 720 / image.height();
    imageops::resize(image, w, 720, FilterType::Triangle)
}

fn main() {
    let dir = std::env::var_os("XIAOGE_FRAMES").map_or_else(frame_set::sample_dir, PathBuf::from);
    let frames = frame_set::frames(&dir);
    let with_code = frames.iter().filter(|f| f.expected.is_some()).count();
    println!(
        "{}: {} frames, {with_code} with a code",
        dir.display(),
        frames.len()
    );
    let buckets = buckets(&frames);

    println!("\nStill images, each attempt alone (reads per bucket; ms = median per frame):");
    print_header(&buckets);
    let mut rows = Vec::new();
    for attempt in CANDIDATES {
        let row = measure(attempt.to_string(), &frames, |image| {
            attempt
                .suits(image)
                .then(|| attempt.run(image))
                .flatten()
                .map(|r| r.text)
        });
        print_row(&row, &frames, &buckets);
        rows.push((attempt, row));
    }
    let any = (0..frames.len())
        .filter(|&i| rows.iter().any(|(_, r)| r.outcomes[i] == Outcome::Right))
        .count();
    println!("any attempt: {any} of {with_code}");
    let greedy = greedy_chain(&rows, &frames);
    println!(
        "greedy chain by reads per ms: {}",
        greedy
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!("\nStill images, chains:");
    print_header(&buckets);
    let chains: [(&str, &[Attempt]); 3] = [
        ("chain (this build)", &CHAIN),
        ("previous chain", &PREVIOUS_CHAIN),
        ("greedy chain", &greedy),
    ];
    for (name, chain) in chains {
        let row = measure(name.to_owned(), &frames, |image| {
            decode_with(chain, image).map(|d| d.text)
        });
        print_row(&row, &frames, &buckets);
    }
    let row = measure("chain on 1080p at 720p".to_owned(), &frames, |image| {
        decode::decode(&to_720p(image)).map(|d| d.text)
    });
    print_row(&row, &frames, &buckets);

    println!("\nLive path (FrameDecoder), each frame held still for up to 3 frames:");
    let to_first = live(&frames, 3);
    let mut by_bucket: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    for (frame, first) in frames.iter().zip(&to_first) {
        let e = by_bucket.entry(frame.bucket.as_str()).or_default();
        if frame.expected.is_some() {
            e[0] += 1;
            match first {
                Some(1) => e[1] += 1,
                Some(2) => e[2] += 1,
                Some(_) => e[3] += 1,
                None => {}
            }
        } else if first.is_some() {
            e[4] += 1;
        }
    }
    println!(
        "{:<12} {:>6} {:>8} {:>8} {:>8} {:>6}",
        "bucket", "codes", "frame 1", "by 2", "by 3", "false"
    );
    let mut total = [0usize; 5];
    for (bucket, e) in &by_bucket {
        println!(
            "{bucket:<12} {:>6} {:>8} {:>8} {:>8} {:>6}",
            e[0],
            e[1],
            e[1] + e[2],
            e[1] + e[2] + e[3],
            e[4]
        );
        for k in 0..5 {
            total[k] += e[k];
        }
    }
    println!(
        "{:<12} {:>6} {:>8} {:>8} {:>8} {:>6}  ({:.1}% within 3 frames)",
        "all",
        total[0],
        total[1],
        total[1] + total[2],
        total[1] + total[2] + total[3],
        total[4],
        100.0 * (total[1] + total[2] + total[3]) as f64 / total[0].max(1) as f64
    );
    let texts: Vec<String> = frames.iter().filter_map(|f| f.expected.clone()).collect();
    let views = std::env::var("XIAOGE_VIEWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    if !texts.is_empty() && views > 0 {
        simulated_views(&texts, views);
    }
    for (label, width) in [("720p", 1280), ("1080p", 1920)] {
        let mut none = Vec::new();
        let mut code = Vec::new();
        for frame in frames.iter().filter(|f| f.image.width() == width) {
            let mut decoder = FrameDecoder::default();
            // A scene without a code stays in view long: past the live path's rest period.
            let frames = if frame.expected.is_some() { 3 } else { 24 };
            for _ in 0..frames {
                let (_, t) = timed(|| decoder.next_frame(&frame.image));
                if frame.expected.is_some() {
                    code.push(t);
                } else {
                    none.push(t);
                }
            }
        }
        println!(
            "live {label}: frame without a code median {:.2} ms p95 {:.2} ms ({} frames); \
             with a code median {:.2} ms p95 {:.2} ms",
            median(&none),
            percentile(&none, 0.95),
            none.len(),
            median(&code),
            percentile(&code, 0.95)
        );
    }
}
