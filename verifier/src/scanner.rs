//! The frame pipeline: frame → decode → verify → durable log → verdict.
//!
//! The scanner hands events to its caller (the CLI prints them, the kiosk shows them); it
//! never prints. A code that stays in view is verified once, not on every frame: the same
//! text seen again within the debounce window is a repeat; a new code is verified at once.

use std::time::{Duration, Instant};

use image::GrayImage;

use crate::clock::ClockReading;
use crate::decode::{self, Decoded, FrameDecoder};
use crate::error::Result;
use crate::frames::SourceKind;
use crate::gate::{Gate, Verdict};

/// How long a code must be out of view before it is verified again.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(3);

/// What one frame gave.
#[derive(Clone, Debug, PartialEq)]
pub enum ScanEvent {
    /// No code was read in the frame.
    NoCode,
    /// The code verified a moment ago is still in view.
    Repeat {
        /// Its text.
        text: String,
    },
    /// A code was read, verified and logged.
    Verdict(Box<Verdict>),
}

/// What became of a frame that gave no verdict, as the CLI prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameEvent {
    /// No code was read in the frame.
    NoCode,
    /// The code verified a moment ago is still in view.
    Repeat,
    /// The frame could not be read as an image.
    Unreadable,
}

/// How long a frame took, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScanTiming {
    /// Decoding.
    pub decode_ms: f64,
    /// Verifying and logging durably (zero when no code was verified).
    pub check_ms: f64,
}

/// The pipeline's state between frames.
#[derive(Debug)]
pub struct Scanner {
    decoder: FrameDecoder,
    last: Option<(String, Instant)>,
    debounce: Duration,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new(DEFAULT_DEBOUNCE)
    }
}

impl Scanner {
    /// A scanner that verifies a code again only after `debounce` out of view.
    #[must_use]
    pub fn new(debounce: Duration) -> Self {
        Self {
            decoder: FrameDecoder::default(),
            last: None,
            debounce,
        }
    }

    /// Runs one frame, captured at `seen_at`, through the pipeline.
    pub fn scan(
        &mut self,
        gate: &mut Gate,
        frame: &GrayImage,
        kind: SourceKind,
        reading: &ClockReading,
        seen_at: Instant,
    ) -> Result<(ScanEvent, ScanTiming)> {
        let started = Instant::now();
        let decoded: Option<Decoded> = match kind {
            SourceKind::Stills => decode::decode(frame),
            SourceKind::Live => self.decoder.next_frame(frame),
        };
        let decode_ms = started.elapsed().as_secs_f64() * 1000.0;
        let Some(decoded) = decoded else {
            return Ok((
                ScanEvent::NoCode,
                ScanTiming {
                    decode_ms,
                    check_ms: 0.0,
                },
            ));
        };
        let repeat = self.last.as_ref().is_some_and(|(text, at)| {
            *text == decoded.text && seen_at.saturating_duration_since(*at) < self.debounce
        });
        self.last = Some((decoded.text.clone(), seen_at));
        if repeat {
            return Ok((
                ScanEvent::Repeat { text: decoded.text },
                ScanTiming {
                    decode_ms,
                    check_ms: 0.0,
                },
            ));
        }
        let checked = Instant::now();
        let verdict = gate.check(&decoded.text, reading)?;
        Ok((
            ScanEvent::Verdict(Box::new(verdict)),
            ScanTiming {
                decode_ms,
                check_ms: checked.elapsed().as_secs_f64() * 1000.0,
            },
        ))
    }
}
