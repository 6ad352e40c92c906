//! The decoder on the committed sample of camera-like frames (`tests/frames`, four frames of
//! each of `gen_gate_frames.py`'s buckets, seed 7): the still-image chain and the live path
//! must read at least what they read when the chain was chosen, and never read a wrong text
//! or a code in a frame without one.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::expect_used)]

#[path = "support/frame_set.rs"]
mod frame_set;

use xiaoge_gate::decode::{FrameDecoder, decode};

fn check(read: Option<&str>, frame: &frame_set::Frame, how: &str) -> bool {
    match (read, frame.expected.as_deref()) {
        (None, _) => false,
        (Some(text), Some(expected)) => {
            assert_eq!(text, expected, "{} misread by {how}", frame.path.display());
            true
        }
        (Some(text), None) => panic!(
            "{} has no code, but {how} read {text:?}",
            frame.path.display()
        ),
    }
}

#[test]
fn the_chain_reads_the_sample_of_camera_frames_and_never_misreads() {
    let frames = frame_set::frames(&frame_set::sample_dir());
    assert_eq!(frames.len(), 72, "the sample is 18 buckets of 4 frames");
    let with_code = frames.iter().filter(|f| f.expected.is_some()).count();
    assert_eq!(with_code, 64);
    let mut read = 0;
    for frame in &frames {
        let decoded = decode(&frame.image);
        let how = decoded
            .as_ref()
            .map_or_else(String::new, |d| d.attempt.to_string());
        read += usize::from(check(
            decoded.as_ref().map(|d| d.text.as_str()),
            frame,
            &how,
        ));
    }
    assert!(read >= MIN_STILL, "the chain read {read} of {with_code}");
}

#[test]
fn the_live_path_reads_a_code_held_in_view_within_three_frames() {
    let frames = frame_set::frames(&frame_set::sample_dir());
    let mut read = 0;
    for frame in &frames {
        let mut decoder = FrameDecoder::default();
        let first = (0..3).find_map(|_| decoder.next_frame(&frame.image));
        read += usize::from(check(
            first.as_ref().map(|d| d.text.as_str()),
            frame,
            "the live path",
        ));
    }
    assert!(read >= MIN_LIVE, "the live path read {read} of 64");
}

/// What the still-image chain read of the sample when it was chosen (`--bench frames`).
const MIN_STILL: usize = 59;

/// What the live path read of the sample within three frames when it was chosen.
const MIN_LIVE: usize = 59;
