//! A camera simulator for the demo, the tests and the benchmarks: a rider's phone showing the
//! rider page with its QR, photographed by a gate tablet's camera.
//!
//! It follows the team's Python generator of benchmark frames (`gen_gate_frames.py` in the
//! shared gate-frames folder): the same conditions, each a distribution of shots, with the
//! same parameter ranges. A shot's parameters are drawn from a seed, and the same parameters
//! always render the same frame. The model, in the order light takes:
//! [`scene`] draws the phone (body, fingers, page, glare and the LCD's pixel grid) and the
//! cluttered background; [`camera`] poses the phone (a true projective pose), looks through a
//! barrel lens, integrates supersampled pixels, blurs in linear light (defocus, motion) before
//! the sensor clips, adds shot and read noise, runs the ISP (tone curve, black level, noise
//! reduction, sharpening) and the MJPEG encoder. Frames are the luma plane, 1280×720 or
//! 1920×1080.

mod camera;
mod scene;

use std::fmt;
use std::str::FromStr;

use image::GrayImage;
use xiaoge_pass::qr_image::{self, QrError};

pub use xiaoge_pass::qr_image::SCREEN_QUIET_ZONE;

/// Modules across a rider code's symbol (QR version 9), for scenes with no code to size by.
const RIDER_CODE_SIDE: usize = 53;

/// A kind of shot: the Python generator's buckets, one distribution of parameters each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// Close, nearly square-on, sharp, clean.
    Easy,
    /// What a gate sees most: any roll, some tilt, blur, glare, compression.
    Medium,
    /// A medium shot with two or three of the one-problem conditions at once.
    Hard,
    /// Far away: under 2.6 pixels a module.
    Small,
    /// Tilted 35–50°.
    Tilt,
    /// Out of focus.
    Blur,
    /// A moving hand: 3–10 pixels of motion blur.
    Motion,
    /// The screen far brighter than the sensor's white.
    Overexposed,
    /// A dim screen in the dark: noisy and denoised.
    Dim,
    /// A lamp's highlight on the glass over part of the code.
    Glare,
    /// The LCD's pixel grid aliasing into moiré, in sharp focus.
    Moire,
    /// Heavy MJPEG compression (quality 40–50).
    Jpeg,
    /// Strong barrel distortion, the code near the frame's side.
    Lens,
    /// Strong sensor noise, weak noise reduction.
    Noise,
    /// Dark mode: light modules on a dark page.
    DarkMode,
    /// A 1920×1080 camera.
    Hd1080,
    /// No code: another page, another app, QR-like textures, no phone, or the screen off.
    NoCode,
    /// No code, at 1920×1080.
    NoCode1080,
}

impl Condition {
    /// Every condition, in the Python generator's order.
    pub const ALL: [Condition; 18] = [
        Condition::Easy,
        Condition::Medium,
        Condition::Hard,
        Condition::Small,
        Condition::Tilt,
        Condition::Blur,
        Condition::Motion,
        Condition::Overexposed,
        Condition::Dim,
        Condition::Glare,
        Condition::Moire,
        Condition::Jpeg,
        Condition::Lens,
        Condition::Noise,
        Condition::DarkMode,
        Condition::Hd1080,
        Condition::NoCode,
        Condition::NoCode1080,
    ];

    /// The bucket name the Python generator uses (`easy`, …, `nocode1080`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Condition::Easy => "easy",
            Condition::Medium => "medium",
            Condition::Hard => "hard",
            Condition::Small => "small",
            Condition::Tilt => "tilt",
            Condition::Blur => "blur",
            Condition::Motion => "motion",
            Condition::Overexposed => "overexposed",
            Condition::Dim => "dim",
            Condition::Glare => "glare",
            Condition::Moire => "moire",
            Condition::Jpeg => "jpeg",
            Condition::Lens => "lens",
            Condition::Noise => "noise",
            Condition::DarkMode => "darkmode",
            Condition::Hd1080 => "hd1080",
            Condition::NoCode => "nocode",
            Condition::NoCode1080 => "nocode1080",
        }
    }

    /// Whether frames of this condition show a code.
    #[must_use]
    pub const fn shows_code(self) -> bool {
        !matches!(self, Condition::NoCode | Condition::NoCode1080)
    }

    /// The frame's width and height.
    #[must_use]
    pub const fn size(self) -> (u32, u32) {
        match self {
            Condition::Hd1080 | Condition::NoCode1080 => (1920, 1080),
            _ => (1280, 720),
        }
    }

    /// The parameters of one shot of this condition, drawn from `seed`: the same seed always
    /// gives the same shot.
    #[must_use]
    pub fn sample(self, seed: u64) -> ShotParams {
        sample(self, &mut Rng::new(mix(seed, self as u64)))
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no condition's.
#[derive(Debug, thiserror::Error)]
#[error("no camera condition is called {0:?}")]
pub struct UnknownCondition(pub String);

impl FromStr for Condition {
    type Err = UnknownCondition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Condition::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCondition(s.to_owned()))
    }
}

/// What the phone shows, or whether there is a phone at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scene {
    /// The rider page with the code.
    Code,
    /// The rider page saying the code has expired: no QR.
    ExpiredPage,
    /// Another app: a list of messages.
    OtherApp,
    /// QR-like textures: a checkerboard, two finder-like squares, a barcode.
    Texture,
    /// No phone: the background alone.
    NoPhone,
    /// The phone with its screen off.
    ScreenOff,
}

/// Everything random about one shot; [`render`] turns it into a frame. Lengths on the phone
/// are in millimetres, in the frame in pixels; angles in degrees; light relative to the
/// sensor's saturation.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotParams {
    /// The condition the shot was drawn from.
    pub condition: Condition,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// What the phone shows.
    pub scene: Scene,
    /// Pixels per module: the square root of the symbol's projected area over its modules.
    pub ppm: f32,
    /// Tilt of the phone away from square-on.
    pub tilt: f32,
    /// Direction in the phone's plane of the axis it is tilted about.
    pub tilt_axis: f32,
    /// Rotation of the phone in its own plane.
    pub roll: f32,
    /// The camera's horizontal field of view.
    pub hfov: f32,
    /// Where the code's centre is wanted, −1..1 on each axis, scaled by `spread`.
    pub pos: [f32; 2],
    /// How far from the frame's centre the code may be, 0..1.
    pub spread: f32,
    /// Whether the code sits near the frame's left or right edge (where the lens bends most).
    pub edge: bool,
    /// Defocus blur, sigma in pixels.
    pub sigma: f32,
    /// Motion blur length in pixels (none under half a pixel).
    pub motion: f32,
    /// Motion direction.
    pub motion_angle: f32,
    /// Barrel distortion coefficient at the frame's corner.
    pub lens_k: f32,
    /// Light lost towards the corners, 0..1.
    pub vignette: f32,
    /// The screen's white on the sensor (1: just saturated).
    pub white: f32,
    /// Ambient light on the scene and the phone's body.
    pub ambient: f32,
    /// Light reflected evenly by the glass (a veil over the screen), relative to its white.
    pub veil: f32,
    /// Peak of the glare highlight relative to the screen's white (0: none).
    pub glare: f32,
    /// The glare's centre on the phone, in modules from the code's centre.
    pub glare_pos: [f32; 2],
    /// The glare's radius in modules.
    pub glare_radius: f32,
    /// How elongated the glare is.
    pub glare_aspect: f32,
    /// The glare's direction.
    pub glare_angle: f32,
    /// Depth of the LCD's screen-door grid, 0..1 (0: none).
    pub moire: f32,
    /// The grid's pitch in millimetres.
    pub door_pitch: f32,
    /// The lit share of each grid cell along each axis.
    pub door_duty: f32,
    /// The grid's angle on the screen.
    pub door_angle: f32,
    /// Sensor noise, sigma in 8-bit levels at mid grey.
    pub noise: f32,
    /// Gaussian denoising on the raw signal (dim scenes), sigma in pixels (0: none).
    pub denoise: f32,
    /// Strength of the ISP's edge-preserving noise reduction (0: none).
    pub nr: f32,
    /// The ISP's gamma.
    pub gamma: f32,
    /// The ISP's black level, 0..1.
    pub black: f32,
    /// Unsharp-mask amount (0: none).
    pub sharpen: f32,
    /// MJPEG quality, 1..100.
    pub jpeg: u8,
    /// Dark mode: light modules on a dark page.
    pub inverted: bool,
    /// The QR with its quiet zone as a share of the screen's width.
    pub qr_frac: f32,
    /// Phone width in millimetres.
    pub phone_w: f32,
    /// Phone height in millimetres.
    pub phone_h: f32,
    /// Fingers over the phone's right edge (a thumb on the left too when any).
    pub fingers: u8,
    /// Grey of the page's header bar, 0..1.
    pub ui_color: f32,
    /// Blur of the background, sigma in pixels at 1280 wide.
    pub bg_blur: f32,
    /// The one-problem conditions a hard shot combines.
    pub stress: Vec<Condition>,
    /// Seed of the phone's layout (colours, fingers, page) and of placement retries.
    pub layout_seed: u64,
    /// Seed of the background scene.
    pub bg_seed: u64,
    /// Seed of the sensor noise.
    pub noise_seed: u64,
}

/// A QR symbol's modules without its quiet zone: what the phone's screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrModules {
    side: usize,
    dark: Vec<bool>,
}

impl QrModules {
    /// The modules of `text`, encoded as the issuer encodes a code (ECC M).
    ///
    /// # Errors
    /// When no QR code holds the text.
    pub fn of_text(text: &str) -> Result<Self, QrError> {
        let qr = qr_image::render_scaled(text, 1)?;
        let q = qr_image::QUIET_ZONE as usize;
        let side = qr.modules;
        let dark = (0..side * side)
            .map(|i| {
                qr.image
                    .get_pixel((q + i % side) as u32, (q + i / side) as u32)
                    .0[0]
                    < 128
            })
            .collect();
        Ok(Self { side, dark })
    }

    /// The modules of a crisp QR image (dark on light, any quiet zone) drawn `module_pixels`
    /// to a module; `None` if it has no dark module.
    #[must_use]
    pub fn from_image(image: &GrayImage, module_pixels: u32) -> Option<Self> {
        let mp = module_pixels.max(1);
        let cells = (image.width().min(image.height()) / mp) as usize;
        let dark_at = |x: usize, y: usize| {
            let (px, py) = (x as u32 * mp + mp / 2, y as u32 * mp + mp / 2);
            image.get_pixel(px, py).0[0] < 128
        };
        // The top-left finder's corner is the first dark module on the diagonal.
        let quiet = (0..cells).find(|&i| dark_at(i, i))?;
        let side = cells.checked_sub(2 * quiet).filter(|&s| s > 0)?;
        let dark = (0..side * side)
            .map(|i| dark_at(quiet + i % side, quiet + i / side))
            .collect();
        Some(Self { side, dark })
    }

    /// Modules per side.
    #[must_use]
    pub fn side(&self) -> usize {
        self.side
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.side && y < self.side && self.dark[y * self.side + x]
    }
}

/// Renders one frame of `params`: the phone showing `code` (drawn only when the scene is
/// [`Scene::Code`]) photographed by the gate's camera, as the luma plane the camera's MJPEG
/// decodes to.
#[must_use]
pub fn render(code: Option<&QrModules>, params: &ShotParams) -> GrayImage {
    let p = params;
    let (w, h) = (p.width as usize, p.height as usize);
    let code = code.filter(|_| p.scene == Scene::Code);
    let side = code.map_or(RIDER_CODE_SIDE, QrModules::side);
    let module_mm = (p.phone_w - 6.0) * p.qr_frac / (side + 2 * SCREEN_QUIET_ZONE) as f32;
    let mut layout = Rng::new(p.layout_seed);
    let lens = camera::Lens::new(p.width, p.height, p.lens_k);
    let pose = camera::place(p, &lens, module_mm, side, &mut layout);
    // The texture a little finer than the samples that read it, within reason.
    let texels_per_mm = (p.ppm * 2.0 / module_mm).clamp(4.0, 8.0);
    let phone = scene::Phone::new(p, code, side, module_mm, texels_per_mm, &mut layout);
    let (mut light, cover) = match &pose {
        Some(pose) => camera::expose(&phone, pose, &lens, w, h),
        None => (
            camera::Plane {
                width: w,
                height: h,
                px: vec![0.0; w * h],
            },
            camera::Plane {
                width: w,
                height: h,
                px: vec![0.0; w * h],
            },
        ),
    };
    let background = scene::background(p, &mut Rng::new(p.bg_seed));
    for (i, (px, c)) in light.px.iter_mut().zip(&cover.px).enumerate() {
        if *c < 1.0 {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            *px += (1.0 - c) * background.bilinear((x + 0.5) / 2.0 - 0.5, (y + 0.5) / 2.0 - 0.5);
        }
    }
    camera::develop(light, p)
}

/// The conditions the shots of a synthetic stream are filmed in: each shot's drawn by weight
/// from a seed.
#[derive(Clone, Debug)]
pub struct ConditionMix {
    seed: u64,
    weights: Vec<(Condition, u32)>,
}

impl ConditionMix {
    /// Mostly easy shots, some medium and some in dark mode: a stream the demo reads within a
    /// second of each shot.
    #[must_use]
    pub fn demo(seed: u64) -> Self {
        Self {
            seed,
            weights: vec![
                (Condition::Easy, 4),
                (Condition::Medium, 1),
                (Condition::DarkMode, 1),
            ],
        }
    }

    /// Every shot with a code in `condition`.
    #[must_use]
    pub fn only(condition: Condition, seed: u64) -> Self {
        Self {
            seed,
            weights: vec![(condition, 1)],
        }
    }

    /// The seed everything else in a stream is drawn from.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The condition of shot number `shot` when it shows a code.
    #[must_use]
    pub fn condition(&self, shot: u64) -> Condition {
        let total: u32 = self.weights.iter().map(|w| w.1).sum();
        let mut pick = Rng::new(mix(self.seed, shot)).below(total.max(1));
        for &(condition, weight) in &self.weights {
            if pick < weight {
                return condition;
            }
            pick -= weight;
        }
        Condition::Easy
    }
}

/// One number from two: a seed for a sub-stream (a bucket, a frame) of a seeded stream.
#[must_use]
pub fn mix(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// SplitMix64: seeded, fast and well mixed; a few lines rather than a dependency.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [a, b).
    pub(crate) fn range(&mut self, a: f32, b: f32) -> f32 {
        a + (b - a) * self.unit()
    }

    /// Uniform in 0..n.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// Roughly standard normal: the sum of four uniforms (Irwin–Hall) from one draw, close
    /// enough for sensor grain and far cheaper than Box–Muller.
    pub(crate) fn normal(&mut self) -> f32 {
        let r = self.next_u64();
        let sum: u64 = (0..4).map(|i| (r >> (16 * i)) & 0xFFFF).sum();
        (sum as f32 - 131_070.0) / 37_837.0
    }
}

/// The baselines the conditions start from (the Python generator's levels).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Easy,
    Medium,
    Hard,
    Clean,
}

/// A level's ranges: `(lo, hi)` uniform; `(p, lo, hi)` present with probability p; a single
/// number is the top of a range from 0 (roll: ± that).
struct Baseline {
    ppm: (f32, f32),
    tilt: (f32, f32),
    roll: f32,
    sigma: (f32, f32),
    motion: (f32, f32, f32),
    white: (f32, f32),
    ambient: (f32, f32),
    veil: (f32, f32),
    glare: (f32, f32, f32),
    moire: f32,
    noise: (f32, f32),
    jpeg: (u32, u32),
    lens_k: f32,
    spread: f32,
}

impl Level {
    /// The Python generator's ranges for this level.
    const fn baseline(self) -> Baseline {
        match self {
            Level::Easy => Baseline {
                ppm: (4.0, 8.0),
                tilt: (0.0, 20.0),
                roll: 25.0,
                sigma: (0.5, 1.0),
                motion: (0.3, 0.0, 1.5),
                white: (0.6, 1.0),
                ambient: (0.3, 0.9),
                veil: (0.01, 0.03),
                glare: (0.15, 0.2, 0.5),
                moire: 0.15,
                noise: (1.5, 3.0),
                jpeg: (75, 90),
                lens_k: 0.03,
                spread: 0.25,
            },
            Level::Medium => Baseline {
                ppm: (2.6, 5.0),
                tilt: (0.0, 35.0),
                roll: 180.0,
                sigma: (0.7, 1.6),
                motion: (0.4, 1.0, 3.0),
                white: (0.5, 1.6),
                ambient: (0.2, 1.0),
                veil: (0.01, 0.06),
                glare: (0.3, 0.3, 1.0),
                moire: 0.3,
                noise: (2.0, 5.0),
                jpeg: (55, 90),
                lens_k: 0.06,
                spread: 0.35,
            },
            // A medium shot before its two or three problems are added.
            Level::Hard => Baseline {
                ppm: (2.6, 4.5),
                tilt: (5.0, 35.0),
                roll: 180.0,
                sigma: (0.7, 1.1),
                motion: (0.3, 1.0, 2.0),
                white: (0.5, 1.3),
                ambient: (0.2, 1.0),
                veil: (0.01, 0.05),
                glare: (0.0, 0.0, 0.0),
                moire: 0.25,
                noise: (2.0, 4.0),
                jpeg: (55, 88),
                lens_k: 0.05,
                spread: 0.4,
            },
            // The one-problem conditions' baseline, before their problem.
            Level::Clean => Baseline {
                ppm: (3.5, 6.0),
                tilt: (0.0, 25.0),
                roll: 180.0,
                sigma: (0.6, 1.0),
                motion: (0.0, 0.0, 0.0),
                white: (0.6, 1.0),
                ambient: (0.3, 0.8),
                veil: (0.01, 0.03),
                glare: (0.0, 0.0, 0.0),
                moire: 0.1,
                noise: (2.0, 3.0),
                jpeg: (70, 88),
                lens_k: 0.03,
                spread: 0.35,
            },
        }
    }
}

/// Draws a shot of `condition`: its level's baseline, the common parameters, then for a hard
/// shot two or three problems at once, and for a one-problem condition its problem.
#[allow(clippy::too_many_lines)] // One table of ranges, read against the Python generator's.
fn sample(condition: Condition, r: &mut Rng) -> ShotParams {
    use Condition as C;
    let level = match condition {
        C::Easy => Level::Easy,
        C::Hard => Level::Hard,
        C::Medium | C::DarkMode | C::Hd1080 | C::NoCode | C::NoCode1080 => Level::Medium,
        _ => Level::Clean,
    };
    let (width, height) = condition.size();
    let mut p = ShotParams {
        condition,
        width,
        height,
        scene: Scene::Code,
        ppm: 0.0,
        tilt: 0.0,
        tilt_axis: 0.0,
        roll: 0.0,
        hfov: 0.0,
        pos: [0.0; 2],
        spread: 0.35,
        edge: false,
        sigma: 0.0,
        motion: 0.0,
        motion_angle: 0.0,
        lens_k: 0.0,
        vignette: 0.0,
        white: 0.0,
        ambient: 0.0,
        veil: 0.0,
        glare: 0.0,
        glare_pos: [0.0; 2],
        glare_radius: 0.0,
        glare_aspect: 1.0,
        glare_angle: 0.0,
        moire: 0.0,
        door_pitch: 0.06,
        door_duty: 0.7,
        door_angle: 0.0,
        noise: 0.0,
        denoise: 0.0,
        nr: 0.0,
        gamma: 2.2,
        black: 0.0,
        sharpen: 0.0,
        jpeg: 80,
        inverted: false,
        qr_frac: 0.78,
        phone_w: 72.0,
        phone_h: 155.0,
        fingers: 0,
        ui_color: 0.4,
        bg_blur: 1.0,
        stress: Vec::new(),
        layout_seed: 0,
        bg_seed: 0,
        noise_seed: 0,
    };
    let jpeg = |r: &mut Rng, lo: u32, hi: u32| (lo + r.below(hi - lo + 1)) as u8;
    let base = level.baseline();
    let sometimes = |r: &mut Rng, (p, lo, hi): (f32, f32, f32)| {
        if r.chance(p) { r.range(lo, hi) } else { 0.0 }
    };
    p.ppm = r.range(base.ppm.0, base.ppm.1);
    p.tilt = r.range(base.tilt.0, base.tilt.1);
    p.roll = r.range(-base.roll, base.roll);
    p.sigma = r.range(base.sigma.0, base.sigma.1);
    p.motion = sometimes(r, base.motion);
    p.white = r.range(base.white.0, base.white.1);
    p.ambient = r.range(base.ambient.0, base.ambient.1);
    p.veil = r.range(base.veil.0, base.veil.1);
    p.glare = sometimes(r, base.glare);
    p.moire = r.range(0.0, base.moire);
    p.noise = r.range(base.noise.0, base.noise.1);
    p.jpeg = jpeg(r, base.jpeg.0, base.jpeg.1);
    p.lens_k = r.range(0.0, base.lens_k);
    p.spread = base.spread;
    p.tilt_axis = r.range(0.0, 360.0);
    p.hfov = r.range(60.0, 78.0);
    p.motion_angle = r.range(0.0, 180.0);
    p.gamma = r.range(2.0, 2.4);
    p.black = r.range(0.0, 0.04);
    p.vignette = r.range(0.0, 0.3);
    p.sharpen = if r.chance(0.5) {
        r.range(0.2, 0.8)
    } else {
        0.0
    };
    p.nr = r.range(0.6, 1.2);
    p.glare_pos = [r.range(-18.0, 18.0), r.range(-18.0, 18.0)];
    p.glare_radius = r.range(4.0, 12.0);
    p.glare_aspect = r.range(1.0, 3.0);
    p.glare_angle = r.range(0.0, 180.0);
    p.door_pitch = r.range(0.045, 0.09);
    p.door_duty = r.range(0.55, 0.85);
    p.door_angle = if r.chance(0.5) { 0.0 } else { 45.0 };
    p.pos = [r.range(-1.0, 1.0), r.range(-1.0, 1.0)];
    p.bg_blur = r.range(0.8, 3.0);
    p.qr_frac = r.range(0.74, 0.82);
    p.phone_w = r.range(68.0, 78.0);
    p.phone_h = r.range(145.0, 165.0);
    p.fingers = r.below(4) as u8;
    p.ui_color = r.range(0.25, 0.6);
    p.layout_seed = r.next_u64();
    p.bg_seed = r.next_u64();
    p.noise_seed = r.next_u64();
    if level == Level::Hard {
        stress(&mut p, r);
    }
    match condition {
        C::Small => {
            p.ppm = r.range(1.8, 2.6);
            p.sigma = p.sigma.min(0.45 * p.ppm);
        }
        C::Tilt => {
            p.tilt = r.range(35.0, 50.0);
            p.ppm = r.range(3.0, 5.0);
        }
        C::Blur => {
            p.ppm = r.range(3.5, 7.0);
            p.sigma = r.range(1.2, 2.5).min(0.55 * p.ppm);
        }
        C::Motion => p.motion = r.range(3.0, 10.0),
        C::Overexposed => {
            p.white = r.range(1.8, 4.0);
            p.veil = r.range(0.05, 0.15);
            p.ambient = r.range(0.2, 0.6);
        }
        C::Dim => {
            p.white = r.range(0.06, 0.2);
            p.ambient = r.range(0.02, 0.15);
            p.noise = r.range(5.0, 9.0);
            p.denoise = r.range(0.5, 0.9);
        }
        C::Glare => {
            p.glare = r.range(0.8, 3.0);
            p.glare_radius = r.range(5.0, 15.0);
            p.glare_pos = [r.range(-12.0, 12.0), r.range(-12.0, 12.0)];
        }
        C::Moire => {
            p.moire = r.range(0.4, 0.7);
            p.sigma = r.range(0.5, 0.8);
            p.ppm = r.range(3.0, 8.0);
        }
        C::Jpeg => {
            p.jpeg = jpeg(r, 40, 50);
            p.ppm = r.range(2.5, 4.0);
        }
        C::Lens => {
            p.lens_k = r.range(0.10, 0.20);
            p.spread = 1.0;
            p.edge = true;
        }
        C::Noise => {
            p.noise = r.range(7.0, 12.0);
            p.nr = r.range(0.2, 0.5);
        }
        C::DarkMode => p.inverted = true,
        C::Hd1080 => {
            p.ppm = r.range(2.7, 9.0);
            p.tilt = r.range(0.0, 40.0);
            p.sigma = r.range(0.8, 2.4).min(0.5 * p.ppm);
        }
        C::NoCode | C::NoCode1080 => {
            p.scene = [
                Scene::ExpiredPage,
                Scene::OtherApp,
                Scene::Texture,
                Scene::NoPhone,
                Scene::ScreenOff,
            ][r.below(5) as usize];
            p.bg_blur = r.range(0.3, 1.5);
        }
        C::Easy | C::Medium | C::Hard => {}
    }
    p
}

/// A hard shot's two (70%) or three problems, never blur with moiré nor dim with overexposed.
fn stress(p: &mut ShotParams, r: &mut Rng) {
    use Condition as C;
    const POOL: [Condition; 11] = [
        C::Small,
        C::Tilt,
        C::Blur,
        C::Motion,
        C::Overexposed,
        C::Dim,
        C::Glare,
        C::Moire,
        C::Jpeg,
        C::Noise,
        C::Lens,
    ];
    let clash = |a: Condition, b: Condition| {
        matches!(
            (a, b),
            (C::Blur, C::Moire)
                | (C::Moire, C::Blur)
                | (C::Dim, C::Overexposed)
                | (C::Overexposed, C::Dim)
        )
    };
    let count = if r.chance(0.7) { 2 } else { 3 };
    for _ in 0..count {
        let open: Vec<Condition> = POOL
            .into_iter()
            .filter(|&c| !p.stress.contains(&c) && !p.stress.iter().any(|&s| clash(s, c)))
            .collect();
        let problem = open[r.below(open.len() as u32) as usize];
        p.stress.push(problem);
        match problem {
            C::Small => p.ppm = r.range(2.0, 2.6),
            C::Tilt => p.tilt = r.range(35.0, 48.0),
            C::Blur => p.sigma = r.range(1.2, 1.7),
            C::Motion => p.motion = r.range(2.5, 5.0),
            C::Overexposed => {
                p.white = r.range(1.5, 2.5);
                p.veil = r.range(0.04, 0.1);
            }
            C::Dim => {
                p.white = r.range(0.06, 0.2);
                p.ambient = r.range(0.02, 0.15);
                p.noise = r.range(5.0, 8.0);
                p.denoise = r.range(0.5, 0.8);
            }
            C::Glare => {
                p.glare = r.range(0.8, 2.0);
                p.glare_radius = r.range(5.0, 12.0);
                p.glare_pos = [r.range(-12.0, 12.0), r.range(-12.0, 12.0)];
            }
            C::Moire => {
                p.moire = r.range(0.35, 0.6);
                p.sigma = p.sigma.min(r.range(0.5, 0.8));
            }
            C::Jpeg => p.jpeg = (40 + r.below(11)) as u8,
            C::Noise => {
                p.noise = r.range(7.0, 10.0);
                p.nr = r.range(0.2, 0.5);
            }
            C::Lens => {
                p.lens_k = r.range(0.10, 0.18);
                p.spread = 1.0;
                p.edge = true;
            }
            _ => {}
        }
    }
    p.sigma = p.sigma.min(0.45 * p.ppm);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    fn code() -> (String, QrModules) {
        // As long as a rider code (244–247 characters): the same QR version 9.
        let text = "XG1:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:".repeat(5);
        let modules = QrModules::of_text(&text).unwrap();
        (text, modules)
    }

    #[test]
    fn the_same_seed_renders_the_same_frame_and_another_seed_another() {
        let (_, modules) = code();
        let a = render(Some(&modules), &Condition::Medium.sample(5));
        let b = render(Some(&modules), &Condition::Medium.sample(5));
        let c = render(Some(&modules), &Condition::Medium.sample(6));
        assert_eq!(a.as_raw(), b.as_raw());
        assert_ne!(a.as_raw(), c.as_raw());
    }

    #[test]
    fn conditions_have_their_names_and_frame_sizes() {
        for c in Condition::ALL {
            assert_eq!(c.name().parse::<Condition>().unwrap(), c);
            let p = c.sample(1);
            assert_eq!((p.width, p.height), c.size());
            assert_eq!(p.scene == Scene::Code, c.shows_code(), "{c}");
        }
        assert!("blurry".parse::<Condition>().is_err());
        let (_, modules) = code();
        for c in [Condition::Easy, Condition::Hd1080, Condition::NoCode1080] {
            let frame = render(Some(&modules), &c.sample(3));
            assert_eq!(frame.dimensions(), c.size(), "{c}");
        }
    }

    #[test]
    fn modules_read_from_an_image_are_those_of_the_text() {
        let (text, modules) = code();
        assert_eq!(modules.side(), 53);
        let qr = qr_image::render(&text).unwrap();
        let read = QrModules::from_image(&qr.image, qr_image::MODULE_PIXELS).unwrap();
        assert_eq!(read, modules);
    }

    /// The mean luma over the middle of the code and over the page above it, in a square-on
    /// shot with the code centred.
    fn code_and_page_luma(inverted: bool) -> (f32, f32) {
        let (_, modules) = code();
        let mut p = Condition::Easy.sample(2);
        (p.tilt, p.roll, p.pos, p.lens_k, p.glare, p.inverted) =
            (0.0, 0.0, [0.0, 0.0], 0.0, 0.0, inverted);
        p.ppm = 5.0;
        let frame = render(Some(&modules), &p);
        let (cx, cy) = (640i64, 360i64);
        let mean = |x0: i64, y0: i64, x1: i64, y1: i64| {
            let mut sum = 0.0;
            for y in y0..y1 {
                for x in x0..x1 {
                    sum += f32::from(frame.get_pixel(x as u32, y as u32).0[0]);
                }
            }
            sum / ((x1 - x0) * (y1 - y0)) as f32
        };
        // The symbol spans ±26.5 modules of 5 pixels; its quiet zone and the plain page just
        // above it, up to the text 31 modules above the centre, are page.
        let code = mean(cx - 100, cy - 100, cx + 100, cy + 100);
        let page = mean(cx - 100, cy - 31 * 5, cx + 100, cy - 27 * 5);
        (code, page)
    }

    #[test]
    fn dark_mode_shows_light_modules_on_a_dark_page() {
        let (code, page) = code_and_page_luma(false);
        assert!(page > code + 30.0, "light page {page}, code {code}");
        let (code, page) = code_and_page_luma(true);
        assert!(code > page + 30.0, "dark page {page}, code {code}");
    }

    #[test]
    fn frames_without_a_code_read_as_none() {
        let (_, modules) = code();
        for seed in 0..4 {
            let p = Condition::NoCode.sample(seed);
            let frame = render(Some(&modules), &p);
            assert_eq!(decode(&frame), None, "{:?}", p.scene);
        }
    }

    #[test]
    fn easy_frames_read_nine_times_in_ten() {
        let (text, modules) = code();
        let read = (0..10)
            .filter(|&seed| {
                let frame = render(Some(&modules), &Condition::Easy.sample(seed));
                decode(&frame).is_some_and(|d| d.text == text)
            })
            .count();
        assert!(read >= 9, "read {read} of 10");
    }
}
