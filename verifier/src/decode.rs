//! Reading QR codes out of camera frames and photos.
//!
//! A gate camera sees a phone screen tilted, blurred, overexposed, behind moiré and MJPEG,
//! sometimes in dark mode (light modules on a dark page). No single reading copes with all
//! of it, so a still image goes through a short chain of [`Attempt`]s — a detector on a
//! prepared version of the image — cheapest and most successful first, stopping at the first
//! that reads a code. The chain was chosen by measurement on camera-like frames
//! (`cargo bench -p xiaoge-gate --bench frames`) and checked on real photos
//! (`--bench photos`); the closing notes of issue 12 hold the figures.
//!
//! Every attempt with zxing-cpp's detector (rxing's `cpp_port`) reads both polarities from
//! one binarization: the black matrix is flipped in place and searched again, so a dark-mode
//! code costs a finder search, not a second pass over the pixels.
//!
//! The live path, [`FrameDecoder`], uses the stream: a cheap full-frame pass while nothing
//! is tracked, and the expensive attempts only on the region where the last code or the last
//! finder patterns were, so a frame without a code costs little and a code in view is read
//! within a frame or two. rqrr is known to panic on some real photos, so every attempt is
//! isolated: a panic is a frame without a code, never a crash.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use image::GrayImage;
use image::imageops::{self, FilterType};
use rxing::common::DetectorRXingResult;
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, Reader};

/// Which detector an attempt uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detector {
    /// zxing-cpp's detector (rxing `cpp_port`), local thresholding, both polarities.
    Cpp,
    /// zxing-cpp's detector with one global threshold, both polarities.
    CppGlobal,
    /// ZXing-Java's detector (rxing `QRCodeReader`), local thresholding, dark on light only.
    Java,
    /// ZXing-Java's detector with one global threshold.
    JavaGlobal,
    /// rqrr (quirc's algorithm).
    Rqrr,
}

/// How the image is prepared before the detector sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Look {
    /// The image as it is.
    AsIs,
    /// Darkened with gamma 2, which widens the gap between grey and white: washed-out screens.
    Darkened,
    /// Sharpened with a 3×3 kernel: soft focus, motion.
    Sharpened,
    /// Darkened, then sharpened.
    DarkenedSharpened,
    /// Halved by averaging 2×2 pixels: smooths moiré, noise and MJPEG blocks of large codes.
    Halved,
    /// Sharpened with an unsharp mask of radius 2: soft photos (12 ms at 720p, so late).
    Unsharpened,
    /// Enlarged 1.5× and darkened (small images only): codes of few pixels per module.
    Enlarged,
    /// Enlarged 2×, unsharp-masked and darkened (small images only): the last resort for
    /// photos.
    EnlargedSharpened,
    /// Cropped to where finder patterns are and, if small, enlarged 2×: a code of few pixels
    /// per module in a large frame, which the finder search sees but cannot sample.
    Zoomed,
}

/// One way of looking for a code in a grey image: a detector on a prepared image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attempt {
    /// The detector.
    pub detector: Detector,
    /// The preparation.
    pub look: Look,
}

const fn attempt(detector: Detector, look: Look) -> Attempt {
    Attempt { detector, look }
}

/// The attempts in the order the still-image chain makes them: each reads frames the ones
/// before it miss, cheapest first (the greedy order `cargo bench -p xiaoge-gate --bench
/// frames` prints, on a full set of camera-like frames), then the attempts that read photos
/// of tests/photos the others miss (`--bench photos`). rqrr is not in it: after these it
/// reads no frame and no photo more.
pub const CHAIN: [Attempt; 13] = [
    attempt(Detector::CppGlobal, Look::Halved),
    attempt(Detector::Cpp, Look::Zoomed),
    attempt(Detector::CppGlobal, Look::Sharpened),
    attempt(Detector::Cpp, Look::DarkenedSharpened),
    attempt(Detector::CppGlobal, Look::AsIs),
    attempt(Detector::Cpp, Look::Halved),
    attempt(Detector::CppGlobal, Look::Darkened),
    attempt(Detector::JavaGlobal, Look::DarkenedSharpened),
    attempt(Detector::Java, Look::AsIs),
    attempt(Detector::JavaGlobal, Look::Unsharpened),
    attempt(Detector::Java, Look::Darkened),
    attempt(Detector::JavaGlobal, Look::Enlarged),
    attempt(Detector::Java, Look::EnlargedSharpened),
];

/// Every attempt the benchmarks compare, the chain's and the rest.
pub const CANDIDATES: [Attempt; 27] = [
    attempt(Detector::Cpp, Look::AsIs),
    attempt(Detector::Cpp, Look::Halved),
    attempt(Detector::Cpp, Look::Darkened),
    attempt(Detector::Cpp, Look::Sharpened),
    attempt(Detector::Cpp, Look::DarkenedSharpened),
    attempt(Detector::Cpp, Look::Enlarged),
    attempt(Detector::Cpp, Look::EnlargedSharpened),
    attempt(Detector::Cpp, Look::Zoomed),
    attempt(Detector::CppGlobal, Look::AsIs),
    attempt(Detector::CppGlobal, Look::Halved),
    attempt(Detector::CppGlobal, Look::Darkened),
    attempt(Detector::CppGlobal, Look::Sharpened),
    attempt(Detector::CppGlobal, Look::Zoomed),
    attempt(Detector::Java, Look::AsIs),
    attempt(Detector::Java, Look::Halved),
    attempt(Detector::Java, Look::Darkened),
    attempt(Detector::Java, Look::Sharpened),
    attempt(Detector::Java, Look::Enlarged),
    attempt(Detector::Java, Look::EnlargedSharpened),
    attempt(Detector::Java, Look::Zoomed),
    attempt(Detector::JavaGlobal, Look::AsIs),
    attempt(Detector::JavaGlobal, Look::Sharpened),
    attempt(Detector::JavaGlobal, Look::DarkenedSharpened),
    attempt(Detector::JavaGlobal, Look::Unsharpened),
    attempt(Detector::JavaGlobal, Look::Enlarged),
    attempt(Detector::Rqrr, Look::AsIs),
    attempt(Detector::Rqrr, Look::Halved),
];

/// The chain the gate used before issue 12 (ZXing-Java's detector with a UTF-8 hint, then
/// rqrr), kept so that the benchmarks compare against it in the same run.
pub const PREVIOUS_CHAIN: [Attempt; 6] = [
    attempt(Detector::Java, Look::AsIs),
    attempt(Detector::JavaGlobal, Look::Unsharpened),
    attempt(Detector::Java, Look::Darkened),
    attempt(Detector::Rqrr, Look::AsIs),
    attempt(Detector::JavaGlobal, Look::Enlarged),
    attempt(Detector::Java, Look::EnlargedSharpened),
];

/// Images whose shorter side is at least this many pixels are never enlarged: a code a
/// camera frame shows that large already has enough pixels per module.
const ENLARGE_BELOW: u32 = 480;

/// Images whose shorter side is below this are never halved: a halved code would keep too
/// few pixels per module (rxing needs about 3).
const HALVE_FROM: u32 = 600;

impl Attempt {
    /// Whether this attempt is worth making on an image of this size.
    #[must_use]
    pub fn suits(self, image: &GrayImage) -> bool {
        let short = image.width().min(image.height());
        match self.look {
            Look::Enlarged | Look::EnlargedSharpened => short < ENLARGE_BELOW,
            Look::Halved => short >= HALVE_FROM,
            Look::AsIs
            | Look::Darkened
            | Look::Sharpened
            | Look::DarkenedSharpened
            | Look::Unsharpened
            | Look::Zoomed => true,
        }
    }

    /// Runs this attempt; the code it reads, if any, in the image's coordinates.
    #[must_use]
    pub fn run(self, image: &GrayImage) -> Option<Read> {
        isolated(|| {
            let (prepared, scale) = match self.look {
                Look::AsIs => return detect(self.detector, image),
                Look::Darkened => (darken(image), 1.0),
                Look::Sharpened => (sharpen(image), 1.0),
                Look::DarkenedSharpened => (sharpen(&darken(image)), 1.0),
                Look::Halved => (halve(image), 2.0),
                Look::Unsharpened => (imageops::unsharpen(image, 2.0, 2), 1.0),
                Look::Enlarged => (darken(&enlarge(image, 1.5)), 1.0 / 1.5),
                Look::EnlargedSharpened => (
                    darken(&imageops::unsharpen(&enlarge(image, 2.0), 1.5, 2)),
                    0.5,
                ),
                Look::Zoomed => return zoomed(self.detector, image),
            };
            detect(self.detector, &prepared).map(|read| read.scaled(scale))
        })
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detector = match self.detector {
            Detector::Cpp => "cpp",
            Detector::CppGlobal => "cpp-global",
            Detector::Java => "java",
            Detector::JavaGlobal => "java-global",
            Detector::Rqrr => "rqrr",
        };
        let look = match self.look {
            Look::AsIs => "",
            Look::Darkened => "-darkened",
            Look::Sharpened => "-sharpened",
            Look::DarkenedSharpened => "-darkened-sharpened",
            Look::Halved => "-halved",
            Look::Unsharpened => "-unsharpened",
            Look::Enlarged => "-enlarged",
            Look::EnlargedSharpened => "-enlarged-sharpened",
            Look::Zoomed => "-zoomed",
        };
        write!(f, "{detector}{look}")
    }
}

/// A code found in an image: its text and where it lies.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    /// The code's text.
    pub text: String,
    /// The points the detector reports (finder pattern centres or corners), in pixels.
    pub points: Vec<(f32, f32)>,
}

impl Read {
    fn scaled(mut self, scale: f32) -> Self {
        for p in &mut self.points {
            *p = (p.0 * scale, p.1 * scale);
        }
        self
    }

    fn offset(mut self, dx: u32, dy: u32) -> Self {
        for p in &mut self.points {
            *p = (p.0 + dx as f32, p.1 + dy as f32);
        }
        self
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
    decode_with(&CHAIN, image)
}

/// Reads the code in a still image with the given chain of attempts.
#[must_use]
pub fn decode_with(chain: &[Attempt], image: &GrayImage) -> Option<Decoded> {
    chain
        .iter()
        .filter(|a| a.suits(image))
        .find_map(|&attempt| {
            attempt.run(image).map(|read| Decoded {
                text: read.text,
                attempt,
            })
        })
}

/// A rectangle of a frame, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Region {
    /// The box around `points`, grown by `margin` times its larger side on every edge and
    /// clipped to a `width`×`height` frame; `None` for no points.
    fn around(points: &[(f32, f32)], margin: f32, width: u32, height: u32) -> Option<Self> {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in points {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if points.is_empty() || !(x0 <= x1 && y0 <= y1) {
            return None;
        }
        let grow = (x1 - x0).max(y1 - y0).max(16.0) * margin;
        let clip = |v: f32, max: u32| v.clamp(0.0, max as f32) as u32;
        let (left, top) = (clip(x0 - grow, width), clip(y0 - grow, height));
        let (right, bottom) = (clip(x1 + grow, width), clip(y1 + grow, height));
        (right > left + 8 && bottom > top + 8).then(|| Self {
            x: left,
            y: top,
            width: right - left,
            height: bottom - top,
        })
    }

    fn crop(self, frame: &GrayImage) -> GrayImage {
        imageops::crop_imm(frame, self.x, self.y, self.width, self.height).to_image()
    }
}

/// Frames taller than this get their full-frame pass on a copy scaled down to this height:
/// at 1080p a code that can be read at all has pixels to spare, and the pass costs a third
/// (`--bench frames` compares); the tracked region is still searched at full resolution.
const PASS_HEIGHT: u32 = 720;

/// How many frames a region stays tracked after the last sign of a code in it.
const TRACK_FRAMES: u32 = 6;

/// How far a tracked region extends past the points that placed it, as a share of its size:
/// the phone moves between frames and the points are finder centres, not corners.
const TRACK_MARGIN: f32 = 0.45;

/// How far a region placed by finder patterns alone extends past them: two finders of a
/// code may be its two top ones, with the rest of the code as far again below them.
const FINDER_MARGIN: f32 = 1.3;

/// How many of the expensive attempts a frame makes on a region where a code was read.
const REGION_ATTEMPTS_PER_FRAME: usize = 3;

/// How many a frame makes on a region where only finder patterns were seen: a poster, a
/// tiled floor or a payment code behind the phone must not cost every frame dearly.
const SUSPECT_ATTEMPTS_PER_FRAME: usize = 2;

/// After a region of finder patterns alone has read nothing for [`TRACK_FRAMES`], finder
/// patterns are ignored for this many frames, so the same false pattern does not keep every
/// frame expensive.
const REST_FRAMES: u32 = 6;

/// The attempts made on a tracked region, in turn, after the cheap pass.
const REGION_CHAIN: [Attempt; 6] = [
    attempt(Detector::Cpp, Look::DarkenedSharpened),
    attempt(Detector::Cpp, Look::Enlarged),
    attempt(Detector::CppGlobal, Look::AsIs),
    attempt(Detector::Cpp, Look::Sharpened),
    attempt(Detector::CppGlobal, Look::Sharpened),
    attempt(Detector::Java, Look::Darkened),
];

/// Reads codes from a stream of frames within a per-frame budget.
///
/// A code stays in view for many frames. While nothing is tracked, a frame gets one cheap
/// full-frame pass (zxing-cpp's detector, both polarities), which also reports finder
/// patterns when it cannot read a code; the region around a read code or around finder
/// patterns is then tracked, and each following frame spends a few expensive attempts on that
/// region only, in turn, until a code reads or the region has shown nothing for a while.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    region: Option<Region>,
    /// Whether a code was read in the region, rather than only finder patterns seen.
    confirmed: bool,
    /// Frames since the region last showed a code.
    idle: u32,
    /// Frames left before finder patterns alone may start tracking again.
    rest: u32,
    turn: usize,
}

impl FrameDecoder {
    /// Reads the code in the next frame, if this frame's attempts find one.
    pub fn next_frame(&mut self, frame: &GrayImage) -> Option<Decoded> {
        let (width, height) = frame.dimensions();
        let mut pass = if height > PASS_HEIGHT {
            let scale = height as f32 / PASS_HEIGHT as f32;
            isolated_pass(&shrink(frame, scale)).scaled(scale)
        } else {
            isolated_pass(frame)
        };
        if let Some(read) = pass.read.take() {
            self.track(Region::around(&read.points, TRACK_MARGIN, width, height));
            return Some(Decoded {
                text: read.text,
                attempt: FULL_FRAME,
            });
        }
        if self.region.is_none() && self.rest == 0 {
            self.region = Region::around(&pass.finders, FINDER_MARGIN, width, height);
            self.confirmed = false;
            self.idle = 0;
        }
        self.rest = self.rest.saturating_sub(1);
        let region = self.region?;
        let crop = region.crop(frame);
        let suitable: Vec<Attempt> = REGION_CHAIN
            .iter()
            .copied()
            .filter(|a| a.suits(&crop))
            .collect();
        let per_frame = if self.confirmed {
            REGION_ATTEMPTS_PER_FRAME
        } else {
            SUSPECT_ATTEMPTS_PER_FRAME
        };
        for _ in 0..per_frame.min(suitable.len()) {
            let attempt = suitable[self.turn % suitable.len()];
            self.turn = self.turn.wrapping_add(1);
            if let Some(read) = attempt.run(&crop) {
                let read = read.offset(region.x, region.y);
                self.track(Region::around(&read.points, TRACK_MARGIN, width, height));
                return Some(Decoded {
                    text: read.text,
                    attempt,
                });
            }
        }
        self.idle += 1;
        if self.idle >= TRACK_FRAMES {
            self.region = None;
            self.rest = REST_FRAMES;
        }
        None
    }

    /// The region being searched, if any: for diagnostics and tests.
    #[must_use]
    pub fn tracked(&self) -> Option<Region> {
        self.region
    }

    fn track(&mut self, region: Option<Region>) {
        if region.is_some() {
            self.region = region;
            self.confirmed = true;
            self.idle = 0;
        }
    }
}

/// The attempt a full-frame pass counts as: on camera frames it reads all that zxing-cpp's
/// detector reads on the frame as it is, and more, at the same cost.
const FULL_FRAME: Attempt = attempt(Detector::Cpp, Look::Darkened);

/// What zxing-cpp's detector found in an image: a code, or else the finder patterns it saw.
#[derive(Default)]
struct Found {
    read: Option<Read>,
    finders: Vec<(f32, f32)>,
}

impl Found {
    fn scaled(self, scale: f32) -> Self {
        Self {
            read: self.read.map(|read| read.scaled(scale)),
            finders: self
                .finders
                .into_iter()
                .map(|(x, y)| (x * scale, y * scale))
                .collect(),
        }
    }
}

/// The live path's full-frame pass, [`FULL_FRAME`], with what it saw when it read nothing.
fn isolated_pass(frame: &GrayImage) -> Found {
    catch_unwind(AssertUnwindSafe(|| cpp(&darken(frame), Threshold::Local))).unwrap_or_default()
}

/// How a detector turns grey into black and white.
#[derive(Clone, Copy)]
enum Threshold {
    /// rxing's hybrid binarizer: a threshold per 8×8 block from its neighbourhood.
    Local,
    /// One threshold for the whole image, from its histogram.
    Global,
}

/// zxing-cpp's detector on the image in both polarities.
fn cpp(image: &GrayImage, threshold: Threshold) -> Found {
    let (w, h) = image.dimensions();
    let Ok(source) = Luma8Source::new_with_slice(image.as_raw(), w, h) else {
        return Found::default();
    };
    match threshold {
        Threshold::Local => cpp_both(&mut BinaryBitmap::new(HybridBinarizer::new(source))),
        Threshold::Global => cpp_both(&mut BinaryBitmap::new(GlobalHistogramBinarizer::new(
            source,
        ))),
    }
}

/// zxing-cpp's detector on the bitmap's black matrix, then on the matrix flipped (light
/// modules on a dark screen): one binarization for both polarities. When neither reads, the
/// finder patterns of a plausible code, so that the caller can look there harder.
fn cpp_both<B: Binarizer>(bitmap: &mut BinaryBitmap<B>) -> Found {
    let mut finders = Vec::new();
    for polarity in 0..2 {
        if polarity == 1 {
            bitmap.get_black_matrix_mut().flip_self();
        }
        let matrix = bitmap.get_black_matrix();
        let mut patterns = FindFinderPatterns(matrix, true, 0);
        finders.extend(plausible_finders(&patterns));
        for set in GenerateFinderPatternSets(&mut patterns) {
            let Ok(sampled) = SampleQR(matrix, &set) else {
                continue;
            };
            match Decode(sampled.getBits()) {
                Ok(decoded) if decoded.isValid() => {
                    let read = Read {
                        text: decoded.text(),
                        points: sampled.getPoints().iter().map(|p| (p.x, p.y)).collect(),
                    };
                    return Found {
                        read: Some(read),
                        finders: Vec::new(),
                    };
                }
                _ => {}
            }
        }
    }
    Found {
        read: None,
        finders,
    }
}

/// The centres of finder patterns that have a partner of similar size: one pattern alone is
/// as likely a window or a letter as a code.
fn plausible_finders(
    patterns: &[rxing::common::cpp_essentials::ConcentricPattern],
) -> Vec<(f32, f32)> {
    patterns
        .iter()
        .filter(|a| {
            patterns.iter().any(|b| {
                !std::ptr::eq(*a, b)
                    && b.size > 0
                    && a.size > 0
                    && (a.size.max(b.size) as f32) < 1.6 * a.size.min(b.size) as f32
                    && distance(a.p, b.p) < FINDER_SPREAD * a.size.max(b.size) as f32
            })
        })
        .map(|p| (p.p.x, p.p.y))
        .collect()
}

/// How far apart, in finder-pattern sizes, two finders of one code can be: a version-9 code's
/// finders are 6.6 sizes apart, and a tilt shortens one side and lengthens none.
const FINDER_SPREAD: f32 = 10.0;

fn distance(a: rxing::Point, b: rxing::Point) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// The detector on the region around the frame's finder patterns, enlarged 2× and darkened
/// when the region is small.
fn zoomed(detector: Detector, image: &GrayImage) -> Option<Read> {
    let (w, h) = image.dimensions();
    let found = isolated_pass(image);
    if found.read.is_some() {
        return found.read;
    }
    let region = Region::around(&found.finders, FINDER_MARGIN, w, h)?;
    let crop = region.crop(image);
    let (prepared, scale) = if crop.width().min(crop.height()) < ENLARGE_BELOW {
        (darken(&enlarge(&crop, 2.0)), 0.5)
    } else {
        (darken(&crop), 1.0)
    };
    detect(detector, &prepared).map(|read| read.scaled(scale).offset(region.x, region.y))
}

/// How long something took, in milliseconds, for reports.
#[must_use]
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64() * 1000.0)
}

fn isolated(f: impl FnOnce() -> Option<Read>) -> Option<Read> {
    catch_unwind(AssertUnwindSafe(f)).ok().flatten()
}

fn detect(detector: Detector, image: &GrayImage) -> Option<Read> {
    match detector {
        Detector::Cpp => cpp(image, Threshold::Local).read,
        Detector::CppGlobal => cpp(image, Threshold::Global).read,
        Detector::Java => java(image, Threshold::Local),
        Detector::JavaGlobal => java(image, Threshold::Global),
        Detector::Rqrr => rqrr(image),
    }
}

fn qr_hints() -> DecodeHints {
    // No character-set hint: rxing guesses byte-mode text (UTF-8, Shift-JIS, ISO-8859-1)
    // the way zxing does, and a fixed UTF-8 hint empties every Shift-JIS code.
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some([BarcodeFormat::QR_CODE].into_iter().collect()),
        ..DecodeHints::default()
    }
}

fn to_read(result: &rxing::RXingResult) -> Read {
    Read {
        text: result.getText().to_owned(),
        points: result.getPoints().iter().map(|p| (p.x, p.y)).collect(),
    }
}

/// ZXing-Java's detector on the image, dark modules on light only.
fn java(image: &GrayImage, threshold: Threshold) -> Option<Read> {
    let (w, h) = image.dimensions();
    let source = Luma8Source::new_with_slice(image.as_raw(), w, h).ok()?;
    let (mut reader, hints) = (QRCodeReader::new(), qr_hints());
    let result = match threshold {
        Threshold::Local => {
            reader.decode_with_hints(&mut BinaryBitmap::new(HybridBinarizer::new(source)), &hints)
        }
        Threshold::Global => reader.decode_with_hints(
            &mut BinaryBitmap::new(GlobalHistogramBinarizer::new(source)),
            &hints,
        ),
    };
    result.ok().map(|r| to_read(&r))
}

fn rqrr(image: &GrayImage) -> Option<Read> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    prepared.detect_grids().into_iter().find_map(|grid| {
        let mut bytes = Vec::new();
        grid.decode_to(&mut bytes).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let points = grid
            .bounds
            .iter()
            .map(|p| (p.x as f32, p.y as f32))
            .collect();
        Some(Read { text, points })
    })
}

/// The image enlarged by `factor`.
fn enlarge(image: &GrayImage, factor: f32) -> GrayImage {
    let (w, h) = image.dimensions();
    imageops::resize(
        image,
        (w as f32 * factor) as u32,
        (h as f32 * factor) as u32,
        FilterType::CatmullRom,
    )
}

/// The image shrunk by `scale` (> 1) with bilinear sampling in fixed point: about 1 ms for
/// 1080p to 720p, where `imageops::thumbnail` takes 10.
fn shrink(image: &GrayImage, scale: f32) -> GrayImage {
    let (sw, sh) = (image.width() as usize, image.height() as usize);
    let (w, h) = ((sw as f32 / scale) as u32, (sh as f32 / scale) as u32);
    let src = image.as_raw();
    // Source position of each output column: whole pixel and a fraction in 1/256.
    let step = |i: u32, max: usize| {
        let at = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
        let whole = (at as usize).min(max.saturating_sub(2));
        let frac = (((at - whole as f32) * 256.0) as u32).min(256);
        (whole, frac)
    };
    let columns: Vec<(usize, u32)> = (0..w).map(|x| step(x, sw)).collect();
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h {
        let (y0, fy) = step(y, sh);
        let (top, bottom) = (&src[y0 * sw..], &src[(y0 + 1).min(sh - 1) * sw..]);
        for &(x0, fx) in &columns {
            let x1 = (x0 + 1).min(sw - 1);
            let mix = |row: &[u8]| u32::from(row[x0]) * (256 - fx) + u32::from(row[x1]) * fx;
            let v = (mix(top) * (256 - fy) + mix(bottom) * fy + (1 << 15)) >> 16;
            out.push(v as u8);
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| image.clone())
}

/// The image at half size, each pixel the mean of a 2×2 block.
fn halve(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    let src = image.as_raw();
    let stride = image.width() as usize;
    GrayImage::from_fn(w, h, |x, y| {
        let (x, y) = (2 * x as usize, 2 * y as usize);
        let at = |dx: usize, dy: usize| u16::from(src[(y + dy) * stride + x + dx]);
        image::Luma([((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) / 4) as u8])
    })
}

/// The image darkened with gamma 2, which widens the gap between grey and white.
fn darken(image: &GrayImage) -> GrayImage {
    let lut: [u8; 256] = std::array::from_fn(|v| (v * v / 255) as u8);
    let mut out = image.clone();
    for p in out.pixels_mut() {
        p.0[0] = lut[usize::from(p.0[0])];
    }
    out
}

/// The image sharpened with the 3×3 kernel (0 −1 0, −1 5 −1, 0 −1 0), edges left as they are:
/// integer arithmetic, about 1 ms at 720p where `imageops::filter3x3` takes 20.
fn sharpen(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    let mut out = src.clone();
    for y in 1..h.saturating_sub(1) {
        let row = y * w;
        for x in 1..w.saturating_sub(1) {
            let at = |i: usize| i32::from(src[i]);
            let i = row + x;
            let v = 5 * at(i) - at(i - 1) - at(i + 1) - at(i - w) - at(i + w);
            out[i] = v.clamp(0, 255) as u8;
        }
    }
    GrayImage::from_raw(image.width(), image.height(), out).unwrap_or_else(|| image.clone())
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
        for attempt in CANDIDATES {
            assert_eq!(attempt.run(&GrayImage::new(1, 1)), None, "{attempt}");
        }
        let mut frames = FrameDecoder::default();
        for _ in 0..CHAIN.len() * 2 {
            assert_eq!(
                frames.next_frame(&GrayImage::from_pixel(32, 32, image::Luma([0]))),
                None
            );
        }
        assert_eq!(frames.tracked(), None);
    }

    /// A crisp version-3 code of `bytes` in byte mode, 4 pixels a module with a 4-module quiet
    /// zone.
    fn code_image(bytes: &[u8], dark: u8, light: u8) -> GrayImage {
        // Byte mode, as a phone app writes text; left to itself the qrcode crate would put
        // Shift-JIS into Kanji mode, which readers decode whatever their hints.
        let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(3));
        bits.push_byte_data(bytes).expect("a small payload fits");
        bits.push_terminator(qrcode::EcLevel::M)
            .expect("room for the terminator");
        let code = qrcode::QrCode::with_bits(bits, qrcode::EcLevel::M).expect("a version-3 code");
        let side = code.width();
        let colors = code.to_colors();
        let px = 4;
        let total = (side + 8) * px;
        GrayImage::from_fn(total as u32, total as u32, |x, y| {
            let (mx, my) = (
                (x as usize / px).wrapping_sub(4),
                (y as usize / px).wrapping_sub(4),
            );
            let on = mx < side && my < side && colors[my * side + mx] == qrcode::Color::Dark;
            image::Luma([if on { dark } else { light }])
        })
    }

    #[test]
    fn a_shift_jis_code_reads_as_its_text() {
        // 日本テスト in Shift-JIS: a UTF-8 character-set hint used to empty such codes.
        let sjis = b"\x93\xfa\x96\x7b\x83\x65\x83\x58\x83\x67";
        let decoded = decode(&code_image(sjis, 0, 255)).expect("the code reads");
        assert_eq!(decoded.text, "日本テスト");
        let utf8 = "小哥码 东门".as_bytes();
        assert_eq!(
            decode(&code_image(utf8, 0, 255)).map(|d| d.text),
            Some("小哥码 东门".to_owned())
        );
    }

    #[test]
    fn a_dark_mode_code_reads_inverted_in_the_still_chain_and_the_live_path() {
        let image = code_image(b"XG1:DARK MODE PHONE", 230, 20);
        assert_eq!(
            decode(&image).map(|d| d.text),
            Some("XG1:DARK MODE PHONE".to_owned())
        );
        let mut frames = FrameDecoder::default();
        assert_eq!(
            frames.next_frame(&image).map(|d| d.text),
            Some("XG1:DARK MODE PHONE".to_owned())
        );
        assert!(frames.tracked().is_some(), "a read code is tracked");
    }

    #[test]
    fn false_finder_patterns_are_tried_for_a_few_frames_and_then_given_a_rest() {
        // Three finder-like squares and no code: the live path suspects a code, tries, and
        // gives the spot up after a few frames instead of trying it on every frame.
        let mut image = GrayImage::from_pixel(400, 300, image::Luma([220]));
        for (cx, cy) in [(100u32, 80u32), (220, 80), (100, 200)] {
            for y in 0..28u32 {
                for x in 0..28u32 {
                    let ring = x.min(y).min(27 - x).min(27 - y) / 4;
                    let dark = ring != 1;
                    if dark {
                        image.put_pixel(cx - 14 + x, cy - 14 + y, image::Luma([20]));
                    }
                }
            }
        }
        let mut frames = FrameDecoder::default();
        let mut tracked = Vec::new();
        for _ in 0..(TRACK_FRAMES + REST_FRAMES + 2) {
            assert_eq!(frames.next_frame(&image), None);
            tracked.push(frames.tracked().is_some());
        }
        assert!(tracked[0], "finder patterns start a region");
        assert!(
            tracked.contains(&false),
            "a region that reads nothing is given up: {tracked:?}"
        );
    }

    #[test]
    fn attempt_names_are_distinct() {
        let names: std::collections::HashSet<String> =
            CANDIDATES.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), CANDIDATES.len());
        for a in CHAIN.iter().chain(&PREVIOUS_CHAIN).chain(&REGION_CHAIN) {
            assert!(CANDIDATES.contains(a), "{a} is not among the candidates");
        }
    }

    #[test]
    fn a_region_grows_around_its_points_and_stays_inside_the_frame() {
        let r = Region::around(&[(100.0, 100.0), (200.0, 150.0)], 0.5, 1280, 720);
        assert_eq!(
            r,
            Some(Region {
                x: 50,
                y: 50,
                width: 200,
                height: 150
            })
        );
        let edge = Region::around(&[(0.0, 0.0), (50.0, 50.0)], 1.0, 60, 60);
        assert_eq!(
            edge,
            Some(Region {
                x: 0,
                y: 0,
                width: 60,
                height: 60
            })
        );
        assert_eq!(Region::around(&[], 0.5, 100, 100), None);
        assert_eq!(Region::around(&[(f32::NAN, 1.0)], 0.5, 100, 100), None);
    }
}
