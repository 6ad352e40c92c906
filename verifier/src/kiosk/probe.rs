//! Measuring the kiosk: frame-to-verdict and frame-to-screen times, and resident memory, for
//! `demo --frames` and the benchmarks.

use std::time::{Duration, Instant};

use crate::scanner::ScanTiming;

/// Measures the kiosk for the benchmark: frame-to-verdict times, and when to stop.
pub struct Probe {
    /// Stop after this many frames (0: never).
    pub stop_after_frames: u64,
    frames: u64,
    to_verdict_ms: Vec<f64>,
    to_screen_ms: Vec<f64>,
    started: Option<Instant>,
}

/// How often a measuring run prints its progress, in frames.
const PROBE_EVERY: u64 = 10_000;

impl Probe {
    /// A probe that asks to stop after `stop_after_frames` (0: never).
    #[must_use]
    pub fn new(stop_after_frames: u64) -> Self {
        Self {
            stop_after_frames,
            frames: 0,
            to_verdict_ms: Vec::new(),
            to_screen_ms: Vec::new(),
            started: None,
        }
    }

    /// Counts a frame that reached the UI; `to_screen` is set when it carried a verdict.
    pub fn frame(&mut self, timing: ScanTiming, to_screen: Option<Duration>) {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.frames += 1;
        if let Some(to_screen) = to_screen {
            self.to_verdict_ms.push(timing.decode_ms + timing.check_ms);
            self.to_screen_ms.push(to_screen.as_secs_f64() * 1000.0);
        }
        if self.stop_after_frames > 0 && self.frames.is_multiple_of(PROBE_EVERY) {
            println!(
                "{} frames in {:.0} s, resident memory {}",
                self.frames,
                started.elapsed().as_secs_f64(),
                rss_text()
            );
        }
    }

    /// Whether the frames asked for have been seen.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.stop_after_frames > 0 && self.frames >= self.stop_after_frames
    }

    /// Medians and memory, as a line to print.
    #[must_use]
    pub fn report(&self) -> String {
        let (verdict_median, verdict_p95) = median_and_p95(&self.to_verdict_ms);
        let (screen_median, screen_p95) = median_and_p95(&self.to_screen_ms);
        format!(
            "{} frames, {} verdicts; frame to durably logged verdict median {verdict_median:.1} ms \
             (p95 {verdict_p95:.1}); frame to verdict on screen median {screen_median:.1} ms \
             (p95 {screen_p95:.1}); resident memory {}",
            self.frames,
            self.to_verdict_ms.len(),
            rss_text()
        )
    }
}

/// The median and 95th percentile of some timings (NaN when there are none).
#[must_use]
pub fn median_and_p95(ms: &[f64]) -> (f64, f64) {
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or(f64::NAN)
    };
    (at(0.5), at(0.95))
}

/// This process's resident memory, for a report line.
#[must_use]
pub fn rss_text() -> String {
    resident_mib().map_or_else(|| "unknown".to_owned(), |m| format!("{m:.1} MiB"))
}

/// This process's resident memory, from /proc (Linux).
#[must_use]
pub fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}
