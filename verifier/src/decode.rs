//! Reading QR codes out of images with rqrr.
//!
//! rqrr is known to panic on some real photos (an assertion in its geometry code), so every
//! call is isolated: a panic there is a frame without a code, never a crashed gate.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::GrayImage;

/// The texts of every QR code rqrr finds in `image`, in the order found.
///
/// Payloads that are not UTF-8 are skipped: a Xiaoge code is ASCII by construction.
#[must_use]
pub fn decode_gray(image: &GrayImage) -> Vec<String> {
    let found = catch_unwind(AssertUnwindSafe(|| {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let pixels = image.as_raw();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels[y * width + x]
        });
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| {
                let mut bytes = Vec::new();
                grid.decode_to(&mut bytes).ok()?;
                String::from_utf8(bytes).ok()
            })
            .collect::<Vec<_>>()
    }));
    found.unwrap_or_default()
}
