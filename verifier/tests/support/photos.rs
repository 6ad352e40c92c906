//! The real photos the decoder is measured on (ZXing's QR blackbox sets, 110 photos with
//! their expected texts), loaded once for the decode test and the photos bench.

use std::path::{Path, PathBuf};

/// Every photo, in a fixed order: its path, the text it holds, and the image in grey.
///
/// # Panics
/// If a photo or its text is missing or unreadable: the set ships with the crate.
#[must_use]
pub fn photos() -> Vec<(PathBuf, String, image::GrayImage)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/photos");
    let mut out = Vec::new();
    for set in ["qrcode-1", "qrcode-3", "qrcode-4"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(set))
            .expect("the photo sets ship with the crate")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        for png in files {
            let text = std::fs::read_to_string(png.with_extension("txt"))
                .unwrap_or_else(|e| panic!("{}: no expected text: {e}", png.display()));
            let image = image::open(&png)
                .unwrap_or_else(|e| panic!("{}: unreadable: {e}", png.display()))
                .to_luma8();
            out.push((png, text, image));
        }
    }
    out
}
