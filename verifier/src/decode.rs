//! Reading QR codes out of camera frames and photos.
//!
//! One decoder is not enough for real cameras: plain rqrr reads 68 of the 110 photos in
//! tests/photos, rxing (ZXing's reader in Rust) 91. The pipeline tries a short chain of
//! attempts — rxing on the frame and on a few prepared versions of it, and rqrr — cheapest
//! and most successful first, and stops at the first that reads a code. rqrr is known to panic on some real
//! photos, so every attempt is isolated: a panic is a frame without a code, never a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use image::GrayImage;
use image::imageops::{self, FilterType};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::QRCodeReader;
use rxing::{BinaryBitmap, DecodeHints, Luma8Source, Reader};

/// One way of looking for a code in a grey image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attempt {
    /// rxing with local (hybrid) thresholding: the standard reader.
    Rxing,
    /// rxing with one global threshold on the frame sharpened: soft focus, small codes.
    RxingSharpened,
    /// rxing on the frame darkened (gamma 2): washed-out, overexposed screens and prints.
    RxingDarkened,
    /// rqrr on the frame as it is: reads some frames the others miss.
    Rqrr,
    /// rxing on a small frame enlarged 1.5× and darkened.
    RxingEnlargedDarkened,
    /// rxing on a small frame enlarged 2×, sharpened and darkened: the last resort.
    RxingEnlargedSharpened,
}

/// The attempts in the order the pipeline makes them: each reads photos the ones before it
/// miss (measured on tests/photos with `cargo bench -p xiaoge-gate --bench photos`), cheapest
/// first.
pub const CHAIN: [Attempt; 6] = [
    Attempt::Rxing,
    Attempt::RxingSharpened,
    Attempt::RxingDarkened,
    Attempt::Rqrr,
    Attempt::RxingEnlargedDarkened,
    Attempt::RxingEnlargedSharpened,
];

/// Frames whose shorter side is at least this many pixels are never enlarged: a code a
/// camera frame shows that large already has enough pixels per module.
const ENLARGE_BELOW: u32 = 480;

impl Attempt {
    /// A short name for logs and reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Attempt::Rxing => "rxing",
            Attempt::RxingSharpened => "rxing-sharpened",
            Attempt::RxingDarkened => "rxing-darkened",
            Attempt::Rqrr => "rqrr",
            Attempt::RxingEnlargedDarkened => "rxing-enlarged-darkened",
            Attempt::RxingEnlargedSharpened => "rxing-enlarged-sharpened",
        }
    }

    /// Whether this attempt is worth making on an image of this size.
    #[must_use]
    pub fn suits(self, image: &GrayImage) -> bool {
        let enlarges = matches!(
            self,
            Attempt::RxingEnlargedDarkened | Attempt::RxingEnlargedSharpened
        );
        !enlarges || image.width().min(image.height()) < ENLARGE_BELOW
    }

    /// Runs this attempt; the code's text if it reads one.
    #[must_use]
    pub fn run(self, image: &GrayImage) -> Option<String> {
        isolated(|| match self {
            Attempt::Rxing => rxing(image, Binarizer::Hybrid),
            Attempt::RxingSharpened => rxing(&sharpen(image, 2.0), Binarizer::Global),
            Attempt::RxingDarkened => rxing(&darken(image), Binarizer::Hybrid),
            Attempt::Rqrr => rqrr(image),
            Attempt::RxingEnlargedDarkened => rxing(
                &darken(&enlarge(image, 1.5, FilterType::CatmullRom)),
                Binarizer::Global,
            ),
            Attempt::RxingEnlargedSharpened => rxing(
                &darken(&sharpen(&enlarge(image, 2.0, FilterType::CatmullRom), 1.5)),
                Binarizer::Hybrid,
            ),
        })
    }
}

/// A code read from an image, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The code's text.
    pub text: String,
    /// The attempt that read it.
    pub attempt: Attempt,
}

/// Reads the code in a still image, trying every suitable attempt of the chain in order.
#[must_use]
pub fn decode(image: &GrayImage) -> Option<Decoded> {
    CHAIN
        .iter()
        .filter(|a| a.suits(image))
        .find_map(|&attempt| attempt.run(image).map(|text| Decoded { text, attempt }))
}

/// Reads codes from a stream of frames within a per-frame budget.
///
/// A code stays in view for many frames, so instead of running the whole chain on every
/// frame (and on every frame without a code), each frame gets the standard reader plus one
/// more attempt, taken in turn from the rest of the chain.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    turn: usize,
}

impl FrameDecoder {
    /// Reads the code in the next frame, if this frame's attempts find one.
    pub fn next_frame(&mut self, frame: &GrayImage) -> Option<Decoded> {
        if let Some(text) = Attempt::Rxing.run(frame) {
            return Some(Decoded {
                text,
                attempt: Attempt::Rxing,
            });
        }
        let rest: Vec<Attempt> = CHAIN[1..]
            .iter()
            .copied()
            .filter(|a| a.suits(frame))
            .collect();
        if rest.is_empty() {
            return None;
        }
        let attempt = rest[self.turn % rest.len()];
        self.turn = self.turn.wrapping_add(1);
        attempt.run(frame).map(|text| Decoded { text, attempt })
    }
}

/// How long an attempt took, for reports.
#[must_use]
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64() * 1000.0)
}

fn isolated(f: impl FnOnce() -> Option<String>) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f)).ok().flatten()
}

#[derive(Clone, Copy)]
enum Binarizer {
    Hybrid,
    Global,
}

fn rxing(image: &GrayImage, binarizer: Binarizer) -> Option<String> {
    let (w, h) = image.dimensions();
    let source = Luma8Source::new_with_slice(image.as_raw(), w, h).ok()?;
    let hints = DecodeHints {
        TryHarder: Some(true),
        // Byte-mode payloads come back as ISO-8859-1 text; a Xiaoge code is alphanumeric
        // anyway, but a UTF-8 hint keeps other codes readable in `xiaoge-gate decode`.
        CharacterSet: Some("UTF-8".to_owned()),
        ..DecodeHints::default()
    };
    let mut reader = QRCodeReader::new();
    let result = match binarizer {
        Binarizer::Hybrid => {
            reader.decode_with_hints(&mut BinaryBitmap::new(HybridBinarizer::new(source)), &hints)
        }
        Binarizer::Global => reader.decode_with_hints(
            &mut BinaryBitmap::new(GlobalHistogramBinarizer::new(source)),
            &hints,
        ),
    };
    result.ok().map(|r| r.getText().to_owned())
}

fn rqrr(image: &GrayImage) -> Option<String> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    prepared.detect_grids().into_iter().find_map(|grid| {
        let mut bytes = Vec::new();
        grid.decode_to(&mut bytes).ok()?;
        String::from_utf8(bytes).ok()
    })
}

/// The image enlarged by `factor`.
fn enlarge(image: &GrayImage, factor: f32, filter: FilterType) -> GrayImage {
    let (w, h) = image.dimensions();
    imageops::resize(
        image,
        (w as f32 * factor) as u32,
        (h as f32 * factor) as u32,
        filter,
    )
}

/// The image darkened with gamma 2, which widens the gap between grey and white.
fn darken(image: &GrayImage) -> GrayImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        let v = u32::from(p.0[0]);
        p.0[0] = (v * v / 255) as u8;
    }
    out
}

/// The image sharpened with an unsharp mask of radius `sigma`.
fn sharpen(image: &GrayImage, sigma: f32) -> GrayImage {
    imageops::unsharpen(image, sigma, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_without_a_code_reads_nothing_and_a_blank_image_does_not_panic() {
        assert_eq!(
            decode(&GrayImage::from_pixel(64, 48, image::Luma([200]))),
            None
        );
        assert_eq!(decode(&GrayImage::new(1, 1)), None);
        let mut frames = FrameDecoder::default();
        for _ in 0..CHAIN.len() * 2 {
            assert_eq!(
                frames.next_frame(&GrayImage::from_pixel(32, 32, image::Luma([0]))),
                None
            );
        }
    }
}
