//! Decode rate and speed on the real photos in `tests/photos` (ZXing's QR blackbox sets,
//! 110 photos with their expected texts): every attempt alone, side by side, and the
//! pipeline's chain. Run with `cargo bench -p xiaoge-gate --bench photos`.

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/photos.rs"]
mod photo_set;

use xiaoge_gate::decode::{self, CANDIDATES, timed};

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let photos = photo_set::photos();
    println!("{} photos", photos.len());
    let mut read_by: Vec<Vec<bool>> = Vec::new();
    for attempt in CANDIDATES {
        let mut ok = Vec::new();
        let mut times = Vec::new();
        for (_, expected, image) in &photos {
            let (text, ms) = timed(|| attempt.run(image));
            ok.push(text.is_some_and(|r| &r.text == expected));
            times.push(ms);
        }
        println!(
            "{:<24} {:>3}/{}  median {:.2} ms",
            attempt.to_string(),
            ok.iter().filter(|&&b| b).count(),
            photos.len(),
            median(times)
        );
        read_by.push(ok);
    }
    let union = (0..photos.len())
        .filter(|&i| read_by.iter().any(|r| r[i]))
        .count();
    println!("any attempt      {union:>3}/{}", photos.len());
    for (i, (path, _, _)) in photos.iter().enumerate() {
        if !read_by.iter().any(|r| r[i]) {
            println!("  read by none: {}", path.display());
        }
    }

    let mut ok = 0;
    let mut times = Vec::new();
    let mut by_attempt = std::collections::BTreeMap::new();
    for (_, expected, image) in &photos {
        let (decoded, ms) = timed(|| decode::decode(image));
        times.push(ms);
        if let Some(d) = decoded.filter(|d| &d.text == expected) {
            ok += 1;
            *by_attempt.entry(d.attempt.to_string()).or_insert(0) += 1;
        }
    }
    println!(
        "pipeline         {ok:>3}/{}  median {:.2} ms  ({by_attempt:?})",
        photos.len(),
        median(times)
    );
}
