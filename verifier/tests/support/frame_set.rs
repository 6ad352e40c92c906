//! Camera-like frames of real codes in buckets (`BUCKET/NAME.jpg`, with `NAME.txt` holding the
//! expected text; no `.txt` for frames without a code), as `gen_gate_frames.py` writes them:
//! the committed sample in `tests/frames` or a full set elsewhere.

use std::path::{Path, PathBuf};

/// One frame of a set.
pub struct Frame {
    /// The bucket (the directory) it belongs to.
    #[allow(dead_code, reason = "the benchmark groups by it; the test does not")]
    pub bucket: String,
    /// Its file.
    #[allow(
        dead_code,
        reason = "the test names failing frames by it; the benchmark does not"
    )]
    pub path: PathBuf,
    /// The text it shows, or `None` for a frame without a code.
    pub expected: Option<String>,
    /// The frame in grey.
    pub image: image::GrayImage,
}

/// The committed sample of realistic frames.
#[must_use]
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/frames")
}

/// Every frame under `root`, bucket by bucket in name order.
///
/// # Panics
/// If the directory or a frame is unreadable: a set is read whole or not at all.
#[must_use]
pub fn frames(root: &Path) -> Vec<Frame> {
    let mut buckets: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    buckets.sort();
    let mut out = Vec::new();
    for dir in buckets {
        let bucket = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
            .collect();
        files.sort();
        for path in files {
            let expected = std::fs::read_to_string(path.with_extension("txt")).ok();
            let image = image::open(&path)
                .unwrap_or_else(|e| panic!("{}: unreadable: {e}", path.display()))
                .to_luma8();
            out.push(Frame {
                bucket: bucket.clone(),
                path,
                expected,
                image,
            });
        }
    }
    out
}
