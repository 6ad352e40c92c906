//! Where frames come from: a camera, a folder of images, or synthetic phone-screen frames.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use image::GrayImage;
use thiserror::Error;

use crate::synthetic::{self, Condition, ConditionMix, QrModules, ShotParams};

/// One greyscale frame and what to call it in output.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The image.
    pub image: GrayImage,
    /// A file name, or a frame number.
    pub label: String,
}

/// Whether frames are stills, each worth every effort, or a live stream where the next frame
/// is a few milliseconds away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Separate images: each gets the whole decoding chain.
    Stills,
    /// A stream: each frame gets a budget, and a code in view is read across frames.
    Live,
}

/// Why a frame could not be had.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SourceError {
    /// An image file could not be read; the next one may be fine.
    #[error("cannot read image {path}: {reason}")]
    Image {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An image file has more pixels than the gate decodes: a few hundred kilobytes of PNG
    /// can claim gigabytes of pixels.
    #[error(
        "image {path} is {width}×{height} pixels ({pixels} in all); at most {limit} pixels \
         ({MAX_IMAGE_MEGAPIXELS} megapixels) are decoded"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its width in pixels, from its header.
        width: u32,
        /// Its height in pixels, from its header.
        height: u32,
        /// Width times height.
        pixels: u64,
        /// The most pixels decoded.
        limit: u64,
    },
    /// A folder could not be listed.
    #[error("cannot list {dir}: {source}")]
    Listing {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The camera failed or went away; reopening it may work.
    #[error("camera: {0}")]
    Camera(String),
}

/// A source of frames.
pub trait FrameSource {
    /// Stills or a live stream.
    fn kind(&self) -> SourceKind;

    /// The next frame; `Ok(None)` when the source has no more.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;
}

/// Image files, read in order.
#[derive(Debug)]
pub struct ImageFiles {
    queue: VecDeque<PathBuf>,
}

/// File endings read as images.
const IMAGE_ENDINGS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

impl ImageFiles {
    /// Every image in `dir`, in name order.
    pub fn from_dir(dir: &Path) -> Result<Self, SourceError> {
        let listing = |source| SourceError::Listing {
            dir: dir.to_owned(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(listing)? {
            let path = entry.map_err(listing)?.path();
            let is_image = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_ENDINGS.contains(&e.to_ascii_lowercase().as_str()));
            if is_image && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(Self::from_paths(paths))
    }

    /// These files, in this order.
    #[must_use]
    pub fn from_paths(paths: Vec<PathBuf>) -> Self {
        Self {
            queue: paths.into(),
        }
    }

    /// How many files are left.
    #[must_use]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no file is left.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// Most megapixels an image file may have: four times a 10 MP phone photo, far more than a
/// QR code needs.
pub const MAX_IMAGE_MEGAPIXELS: u64 = 40;

/// Most bytes the image decoder may allocate at once: a 40 MP image with four 16-bit
/// channels.
pub const MAX_IMAGE_ALLOC: u64 = MAX_IMAGE_MEGAPIXELS * 1_000_000 * 8;

/// Reads an image file as greyscale.
///
/// The size in its header is checked before anything is decoded, and the decoder runs
/// under an allocation limit, so a small file claiming a huge image is refused, not
/// decoded into gigabytes.
pub fn read_image(path: &Path) -> Result<GrayImage, SourceError> {
    let unreadable = |e: &dyn std::fmt::Display| SourceError::Image {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let reader = || {
        image::ImageReader::open(path)
            .and_then(image::ImageReader::with_guessed_format)
            .map_err(|e| unreadable(&e))
    };
    let (width, height) = reader()?.into_dimensions().map_err(|e| unreadable(&e))?;
    let pixels = u64::from(width) * u64::from(height);
    let limit = MAX_IMAGE_MEGAPIXELS * 1_000_000;
    if pixels > limit {
        return Err(SourceError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            pixels,
            limit,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    let mut decoder = reader()?;
    decoder.limits(limits);
    decoder
        .decode()
        .map(|i| i.to_luma8())
        .map_err(|e| unreadable(&e))
}

impl FrameSource for ImageFiles {
    fn kind(&self) -> SourceKind {
        SourceKind::Stills
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(path) = self.queue.pop_front() else {
            return Ok(None);
        };
        Ok(Some(Frame {
            image: read_image(&path)?,
            label: path.display().to_string(),
        }))
    }
}

/// One rider in front of a synthetic camera: a code (or nobody) for a number of frames.
#[derive(Clone, Debug)]
pub struct Shot {
    /// The code's text, or `None` for an empty scene.
    pub text: Option<String>,
    /// Frames the shot lasts.
    pub frames: u32,
}

/// More shots for a synthetic stream that has played all it had.
pub type Refill = Box<dyn FnMut() -> Vec<Shot> + Send>;

/// Frames a rider holds the phone still for before moving it: the pose is drawn again this
/// often, the sensor noise every frame.
const POSE_FRAMES: u32 = 5;

/// Synthetic camera frames from the camera simulator ([`synthetic`]): each shot's code on the
/// rider's phone in a condition drawn from the conditions, the rider re-posing the phone every
/// few frames; shots without a code show a scene with no code.
pub struct Synthetic {
    shots: VecDeque<Shot>,
    current: Option<Filming>,
    shot_no: u64,
    frame_no: u64,
    conditions: ConditionMix,
    refill: Option<Refill>,
}

/// The shot being filmed.
struct Filming {
    code: Option<QrModules>,
    condition: Condition,
    /// Frames filmed so far and frames left.
    done: u32,
    left: u32,
    /// The seed of the shot's poses.
    seed: u64,
    params: ShotParams,
    /// The last frame of a shot without a code, shown again until the next pose.
    still: Option<GrayImage>,
}

impl std::fmt::Debug for Synthetic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synthetic")
            .field("shots", &self.shots.len())
            .field("frame_no", &self.frame_no)
            .finish_non_exhaustive()
    }
}

impl Synthetic {
    /// A stream playing `shots` in order, each in the condition `conditions` gives it.
    #[must_use]
    pub fn new(shots: Vec<Shot>, conditions: ConditionMix) -> Self {
        Self {
            shots: shots.into(),
            current: None,
            shot_no: 0,
            frame_no: 0,
            conditions,
            refill: None,
        }
    }

    /// A stream that asks `refill` for more shots whenever it runs out: it never ends.
    #[must_use]
    pub fn endless(conditions: ConditionMix, refill: Refill) -> Self {
        Self {
            refill: Some(refill),
            ..Self::new(Vec::new(), conditions)
        }
    }

    /// Adds a shot at the end.
    pub fn push(&mut self, shot: Shot) {
        self.shots.push_back(shot);
    }
}

impl FrameSource for Synthetic {
    fn kind(&self) -> SourceKind {
        SourceKind::Live
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        loop {
            if let Some(shot) = self.current.as_mut()
                && shot.left > 0
            {
                let new_pose = shot.done % POSE_FRAMES == 0;
                if shot.done > 0 && new_pose {
                    let pose = u64::from(shot.done / POSE_FRAMES);
                    shot.params = shot.condition.sample(synthetic::mix(shot.seed, pose));
                }
                let image = match (&shot.code, &shot.still) {
                    // A scene with no code is rendered once a pose and shown for all of its
                    // frames: the gaps between riders are most of a stream's frames, and
                    // nothing in them is to be read.
                    (None, Some(still)) if !new_pose => still.clone(),
                    (code, _) => {
                        let mut params = shot.params.clone();
                        // A hand is never quite still: a little roll and fresh grain a frame.
                        params.roll += (shot.done % POSE_FRAMES) as f32 * 0.4;
                        params.noise_seed = synthetic::mix(params.noise_seed, u64::from(shot.done));
                        let image = synthetic::render(code.as_ref(), &params);
                        if code.is_none() {
                            shot.still = Some(image.clone());
                        }
                        image
                    }
                };
                shot.done += 1;
                shot.left -= 1;
                self.frame_no += 1;
                return Ok(Some(Frame {
                    image,
                    label: format!("frame {} ({})", self.frame_no, shot.condition),
                }));
            }
            if self.shots.is_empty()
                && let Some(refill) = self.refill.as_mut()
            {
                self.shots.extend(refill());
            }
            let Some(shot) = self.shots.pop_front() else {
                return Ok(None);
            };
            self.shot_no += 1;
            let (code, condition) = match &shot.text {
                Some(text) => (
                    Some(QrModules::of_text(text).map_err(|e| SourceError::Camera(e.to_string()))?),
                    self.conditions.condition(self.shot_no),
                ),
                None => (None, Condition::NoCode),
            };
            let seed = synthetic::mix(self.conditions.seed(), self.shot_no);
            self.current = Some(Filming {
                code,
                condition,
                done: 0,
                left: shot.frames,
                seed,
                params: condition.sample(synthetic::mix(seed, 0)),
                still: None,
            });
        }
    }
}

/// A camera through nokhwa (V4L2 on Linux), asked for 1280×720 greyscale frames.
///
/// A camera that fails or is unplugged is closed; the next frame asked for opens it again,
/// so a caller that keeps asking (after a pause) gets the camera back when it returns.
#[cfg(feature = "camera")]
pub struct Camera {
    index: u32,
    camera: Option<nokhwa::Camera>,
    frame_no: u64,
}

#[cfg(feature = "camera")]
impl Camera {
    /// The camera at `index` (0 is the first); opened on the first frame.
    #[must_use]
    pub fn new(index: u32) -> Self {
        Self {
            index,
            camera: None,
            frame_no: 0,
        }
    }

    fn connected(&mut self) -> Result<&mut nokhwa::Camera, SourceError> {
        use nokhwa::pixel_format::LumaFormat;
        use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType, Resolution};
        if self.camera.is_none() {
            let format = RequestedFormat::new::<LumaFormat>(
                RequestedFormatType::HighestResolution(Resolution::new(1280, 720)),
            );
            let mut camera = nokhwa::Camera::new(CameraIndex::Index(self.index), format)
                .map_err(|e| SourceError::Camera(format!("camera {}: {e}", self.index)))?;
            camera
                .open_stream()
                .map_err(|e| SourceError::Camera(format!("camera {}: {e}", self.index)))?;
            self.camera = Some(camera);
        }
        self.camera
            .as_mut()
            .ok_or_else(|| SourceError::Camera("camera is not open".into()))
    }
}

#[cfg(feature = "camera")]
impl FrameSource for Camera {
    fn kind(&self) -> SourceKind {
        SourceKind::Live
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let index = self.index;
        let frame = self
            .connected()?
            .frame()
            .and_then(|buffer| buffer.decode_image::<nokhwa::pixel_format::LumaFormat>());
        match frame {
            Ok(image) => {
                self.frame_no += 1;
                Ok(Some(Frame {
                    image,
                    label: format!("camera {index} frame {}", self.frame_no),
                }))
            }
            Err(e) => {
                // Close it: the next call reopens the camera, if it is back.
                self.camera = None;
                Err(SourceError::Camera(format!("camera {index}: {e}")))
            }
        }
    }
}

/// The cameras the system offers, as (index, name).
#[cfg(feature = "camera")]
pub fn cameras() -> Result<Vec<(u32, String)>, SourceError> {
    let found = nokhwa::query(nokhwa::utils::ApiBackend::Auto)
        .map_err(|e| SourceError::Camera(e.to_string()))?;
    Ok(found
        .into_iter()
        .filter_map(|c| match c.index() {
            nokhwa::utils::CameraIndex::Index(i) => Some((*i, c.human_name())),
            nokhwa::utils::CameraIndex::String(_) => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// CRC-32 as PNG chunks carry it (ISO 3309), bit by bit: enough for a test header.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }

    /// A PNG file whose header claims `width`×`height` greyscale pixels, with no pixel data.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        chunk(&mut png, b"IHDR", &ihdr);
        // An empty zlib stream: the header is all a reader may look at.
        chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn an_image_claiming_too_many_pixels_is_refused_before_decoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.png");
        std::fs::write(&path, png_header(20_000, 20_000)).unwrap();
        let err = read_image(&path).unwrap_err();
        assert!(matches!(err, SourceError::TooLarge { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("20000×20000") && message.contains("40 megapixels"),
            "{message}"
        );
    }

    #[test]
    fn an_ordinary_image_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.png");
        GrayImage::from_pixel(640, 480, image::Luma([200]))
            .save(&path)
            .unwrap();
        let image = read_image(&path).unwrap();
        assert_eq!(image.dimensions(), (640, 480));
        let junk = dir.path().join("junk.png");
        std::fs::write(&junk, b"not a picture").unwrap();
        assert!(matches!(read_image(&junk), Err(SourceError::Image { .. })));
    }
}
