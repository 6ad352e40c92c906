//! The gate tablet's camera: its pose and lens (where each pixel looks on the phone's plane),
//! and the path of light from the lens to the JPEG: defocus and motion blur in linear light
//! before the sensor clips, vignetting, shot and read noise, the ISP's tone curve, noise
//! reduction and sharpening, and the MJPEG encoder.

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, GrayImage, ImageFormat};

use super::scene::Phone;
use super::{Rng, SCREEN_QUIET_ZONE, ShotParams};

/// Samples per pixel along each axis: pixels integrate light over their area, and a code a
/// few pixels per module depends on how its edges fall between pixels.
const SUPERSAMPLE: usize = 2;

/// A greyscale image of floats: linear light, or the ISP's tone values.
#[derive(Clone, Debug)]
pub(super) struct Plane {
    pub width: usize,
    pub height: usize,
    pub px: Vec<f32>,
}

impl Plane {
    fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            px: vec![0.0; width * height],
        }
    }

    /// The sum of shifted copies weighted by `taps` `(dx, dy, weight)`, edges repeated. Row by
    /// row, so that every pass stays in cache and the inner loops vectorise.
    fn convolve(&self, taps: &[(isize, isize, f32)]) -> Plane {
        let (w, h) = (self.width, self.height);
        let mut out = Plane::zeros(w, h);
        for (y, row) in out.px.chunks_mut(w).enumerate() {
            for &(dx, dy, k) in taps {
                let sy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                add_shifted(row, &self.px[sy * w..(sy + 1) * w], dx, k);
            }
        }
        out
    }

    /// A Gaussian blur of standard deviation `sigma` pixels (none below a tenth of a pixel).
    pub(super) fn gaussian(&self, sigma: f32) -> Plane {
        if sigma < 0.1 || self.px.is_empty() {
            return self.clone();
        }
        let radius = (3.0 * sigma).ceil() as isize;
        let weights: Vec<f32> = (-radius..=radius)
            .map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp())
            .collect();
        let total: f32 = weights.iter().sum();
        let along = |horizontal: bool| -> Vec<(isize, isize, f32)> {
            (-radius..=radius)
                .zip(&weights)
                .map(|(d, w)| {
                    if horizontal {
                        (d, 0, w / total)
                    } else {
                        (0, d, w / total)
                    }
                })
                .collect()
        };
        self.convolve(&along(true)).convolve(&along(false))
    }

    /// A straight motion blur `length` pixels long at `angle` degrees: the line's kernel
    /// splatted bilinearly onto the pixel grid.
    fn motion(&self, length: f32, angle: f32) -> Plane {
        let (sin, cos) = angle.to_radians().sin_cos();
        let steps = (8.0 * (length + 3.0)).ceil() as usize;
        let mut taps: Vec<(isize, isize, f32)> = Vec::new();
        for i in 0..steps {
            let t = length * (i as f32 / (steps - 1) as f32 - 0.5);
            let (x, y) = (t * cos, t * sin);
            let (ix, iy) = (x.floor(), y.floor());
            let (fx, fy) = (x - ix, y - iy);
            for (dx, dy, w) in [
                (0, 0, (1.0 - fx) * (1.0 - fy)),
                (1, 0, fx * (1.0 - fy)),
                (0, 1, (1.0 - fx) * fy),
                (1, 1, fx * fy),
            ] {
                let key = (ix as isize + dx, iy as isize + dy);
                match taps.iter_mut().find(|t| (t.0, t.1) == key) {
                    Some(tap) => tap.2 += w,
                    None => taps.push((key.0, key.1, w)),
                }
            }
        }
        let total: f32 = taps.iter().map(|t| t.2).sum();
        taps.retain(|t| t.2 > 1e-4 * total);
        let total: f32 = taps.iter().map(|t| t.2).sum();
        for tap in &mut taps {
            tap.2 /= total;
        }
        self.convolve(&taps)
    }

    /// The value at `(x, y)`, bilinearly interpolated, edges repeated.
    pub(super) fn bilinear(&self, x: f32, y: f32) -> f32 {
        let x = x.clamp(0.0, (self.width - 1) as f32);
        let y = y.clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (x as usize, y as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |x: usize, y: usize| self.px[y * self.width + x];
        let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
        let bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
        top + (bottom - top) * fy
    }
}

/// `out[x] += k * row[x + dx]`, with the row's end values beyond its ends.
fn add_shifted(out: &mut [f32], row: &[f32], dx: isize, k: f32) {
    let w = out.len() as isize;
    let lo = (-dx).clamp(0, w) as usize;
    let hi = (w - dx).clamp(0, w) as usize;
    let (first, last) = (row[0], row[row.len() - 1]);
    for o in &mut out[..lo] {
        *o += k * first;
    }
    if lo < hi {
        let src = &row[(lo as isize + dx) as usize..(hi as isize + dx) as usize];
        for (o, s) in out[lo..hi].iter_mut().zip(src) {
            *o += k * s;
        }
    }
    for o in &mut out[hi.max(lo)..] {
        *o += k * last;
    }
}

type Mat = [[f64; 3]; 3];

fn mat_mul(a: &Mat, b: &Mat) -> Mat {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn mat_inverse(m: &Mat) -> Option<Mat> {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det: f64 = (0..3).map(|j| m[0][j] * c(0, j)).sum();
    (det.abs() > 1e-12).then(|| std::array::from_fn(|i| std::array::from_fn(|j| c(j, i) / det)))
}

/// The rotation by `angle` radians about the unit `axis` (Rodrigues).
fn rotation(axis: [f64; 3], angle: f64) -> Mat {
    let [x, y, z] = axis;
    let k = [[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]];
    let k2 = mat_mul(&k, &k);
    let (s, c) = angle.sin_cos();
    std::array::from_fn(|i| {
        std::array::from_fn(|j| f64::from(u8::from(i == j)) + s * k[i][j] + (1.0 - c) * k2[i][j])
    })
}

/// A barrel lens: an ideal image point `u` is seen at `d` where `u = d (1 + k |d|²)`, radii
/// measured to the frame's corner.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lens {
    cx: f64,
    cy: f64,
    radius: f64,
    k: f64,
}

impl Lens {
    pub(super) fn new(width: u32, height: u32, k: f32) -> Self {
        let (cx, cy) = (f64::from(width - 1) / 2.0, f64::from(height - 1) / 2.0);
        Self {
            cx,
            cy,
            radius: cx.hypot(cy),
            k: f64::from(k),
        }
    }

    /// Where the lens shows the ideal image point `(x, y)` (the inverse of the lens model,
    /// found by fixed-point iteration; it converges fast for any barrel this mild).
    fn distort(&self, x: f64, y: f64) -> (f64, f64) {
        let (xu, yu) = ((x - self.cx) / self.radius, (y - self.cy) / self.radius);
        let (mut xd, mut yd) = (xu, yu);
        for _ in 0..30 {
            let g = 1.0 + self.k * (xd * xd + yd * yd);
            (xd, yd) = (xu / g, yu / g);
        }
        (self.cx + xd * self.radius, self.cy + yd * self.radius)
    }
}

/// The phone's pose in front of the camera: the homography from its plane (mm) to the ideal
/// image (pixels), and back.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pose {
    to_image: Mat,
    to_phone: Mat,
}

impl Pose {
    /// The pinhole camera of focal length `f` looking at the phone (tilted and rolled as `p`
    /// says) at distance `z` mm, its centre seen at `(x0, y0)`: `K [r1 r2 t]`.
    fn new(p: &ShotParams, lens: &Lens, f: f64, z: f64, x0: f64, y0: f64) -> Option<Self> {
        let axis = f64::from(p.tilt_axis).to_radians();
        let r = mat_mul(
            &rotation(
                [axis.cos(), axis.sin(), 0.0],
                f64::from(p.tilt).to_radians(),
            ),
            &rotation([0.0, 0.0, 1.0], f64::from(p.roll).to_radians()),
        );
        let t = [z * (x0 - lens.cx) / f, z * (y0 - lens.cy) / f, z];
        let k = [[f, 0.0, lens.cx], [0.0, f, lens.cy], [0.0, 0.0, 1.0]];
        let columns = [
            [r[0][0], r[0][1], t[0]],
            [r[1][0], r[1][1], t[1]],
            [r[2][0], r[2][1], t[2]],
        ];
        let to_image = mat_mul(&k, &columns);
        Some(Self {
            to_image,
            to_phone: mat_inverse(&to_image)?,
        })
    }

    /// The ideal image point of phone point `(u, v)`, if it is in front of the camera.
    fn project(&self, u: f64, v: f64) -> Option<(f64, f64)> {
        let m = &self.to_image;
        let w = m[2][0] * u + m[2][1] * v + m[2][2];
        (w > 1e-9).then(|| {
            (
                (m[0][0] * u + m[0][1] * v + m[0][2]) / w,
                (m[1][0] * u + m[1][1] * v + m[1][2]) / w,
            )
        })
    }
}

/// Poses the phone: the focal length from the field of view, the code's centre where `p`
/// puts it (or elsewhere, if the code would leave the frame), and the distance at which the
/// symbol's projected area is `ppm` pixels a module. A pose that keeps the code and its quiet
/// zone in the frame is tried 200 times, the code shrinking after 100; the last is kept.
pub(super) fn place(
    p: &ShotParams,
    lens: &Lens,
    module_mm: f32,
    side: usize,
    rng: &mut Rng,
) -> Option<Pose> {
    let (w, h) = (f64::from(p.width), f64::from(p.height));
    let f = (w / 2.0) / (f64::from(p.hfov).to_radians() / 2.0).tan();
    let module_mm = f64::from(module_mm);
    let n = side as f64;
    let quiet = (n / 2.0 + SCREEN_QUIET_ZONE as f64) * module_mm;
    let symbol = n / 2.0 * module_mm;
    let square = |s: f64| [(-s, -s), (s, -s), (s, s), (-s, s)];
    let mut ppm = f64::from(p.ppm);
    let mut last = None;
    for attempt in 0..200 {
        let (mut sx, sy) = if attempt == 0 {
            (f64::from(p.pos[0]), f64::from(p.pos[1]))
        } else {
            (
                f64::from(rng.range(-1.0, 1.0)),
                f64::from(rng.range(-1.0, 1.0)),
            )
        };
        if p.edge {
            let reach = if attempt == 0 {
                0.8
            } else {
                f64::from(rng.range(0.55, 0.95))
            };
            sx = reach.copysign(sx);
        }
        let spread = f64::from(p.spread);
        let (x0, y0) = (
            lens.cx + sx * spread * lens.cx,
            lens.cy + sy * spread * lens.cy,
        );
        let mut z = f * module_mm / ppm;
        for _ in 0..4 {
            let pose = Pose::new(p, lens, f, z, x0, y0)?;
            let q: Option<Vec<(f64, f64)>> = square(symbol)
                .iter()
                .map(|&(u, v)| pose.project(u, v))
                .collect();
            let q = q?;
            let area = (0..4)
                .map(|i| {
                    let (a, b) = (q[i], q[(i + 1) % 4]);
                    a.0 * b.1 - b.0 * a.1
                })
                .sum::<f64>()
                .abs()
                / 2.0;
            z *= area.sqrt() / n / ppm;
        }
        let pose = Pose::new(p, lens, f, z, x0, y0)?;
        let inside = square(quiet).iter().all(|&(u, v)| {
            pose.project(u, v).is_some_and(|(x, y)| {
                let (x, y) = lens.distort(x, y);
                x > 3.0 && y > 3.0 && x < w - 4.0 && y < h - 4.0
            })
        });
        if inside {
            return Some(pose);
        }
        last = Some(pose);
        if attempt > 100 {
            ppm *= 0.98;
        }
    }
    last
}

/// The frame's pixels that can see the phone: the bounding box of its textured area's
/// outline through pose and lens, or the whole frame if part of it is behind the camera.
fn footprint(phone: &Phone<'_>, pose: &Pose, lens: &Lens, w: usize, h: usize) -> [usize; 4] {
    let corners = phone.extent();
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for i in 0..4 {
        let (a, c) = (corners[i], corners[(i + 1) % 4]);
        for s in 0..=16 {
            let t = s as f32 / 16.0;
            let (u, v) = (a.0 + (c.0 - a.0) * t, a.1 + (c.1 - a.1) * t);
            let Some((x, y)) = pose.project(f64::from(u), f64::from(v)) else {
                return [0, 0, w, h];
            };
            let (x, y) = lens.distort(x, y);
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    let clamp = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
    [
        clamp(b[0] - 3.0, w),
        clamp(b[1] - 3.0, h),
        clamp(b[2] + 4.0, w),
        clamp(b[3] + 4.0, h),
    ]
}

/// The phone's light on the sensor, and the share of each pixel it covers: every pixel the
/// mean of SUPERSAMPLE² samples, each traced back through the lens and the pose to the phone.
/// The rows the phone can reach are split between the machine's cores: this is the costliest
/// step of a frame.
pub(super) fn expose(
    phone: &Phone<'_>,
    pose: &Pose,
    lens: &Lens,
    w: usize,
    h: usize,
) -> (Plane, Plane) {
    let mut light = Plane::zeros(w, h);
    let mut cover = Plane::zeros(w, h);
    if !phone.is_present() {
        return (light, cover);
    }
    let [x0, y0, x1, y1] = footprint(phone, pose, lens, w, h);
    if x0 >= x1 || y0 >= y1 {
        return (light, cover);
    }
    let film = Film {
        phone,
        to_phone: pose.to_phone.map(|row| row.map(|v| v as f32)),
        lens,
        columns: (x0, x1),
        width: w,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let band = (y1 - y0).div_ceil(2 * threads);
    // Bands of rows on a queue that this thread and its helpers work through: if no helper
    // can be started, this thread does them all.
    let queue: Vec<_> = light.px[y0 * w..y1 * w]
        .chunks_mut(band * w)
        .zip(cover.px[y0 * w..y1 * w].chunks_mut(band * w))
        .enumerate()
        .map(|(i, (light, cover))| (y0 + i * band, light, cover))
        .collect();
    let queue = std::sync::Mutex::new(queue);
    let work = || {
        loop {
            let next = queue.lock().ok().and_then(|mut q| q.pop());
            let Some((first, light, cover)) = next else {
                break;
            };
            film.rows(first, light, cover);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // A helper that cannot be started leaves its share to the others.
            let _ = std::thread::Builder::new()
                .name("gate-camsim".into())
                .spawn_scoped(scope, work);
        }
        work();
    });
    (light, cover)
}

/// What every band of an exposure needs.
struct Film<'a> {
    phone: &'a Phone<'a>,
    to_phone: [[f32; 3]; 3],
    lens: &'a Lens,
    columns: (usize, usize),
    width: usize,
}

impl Film<'_> {
    /// Exposes the rows from `first` on into `light` and `cover` (whole rows of the frame).
    fn rows(&self, first: usize, light: &mut [f32], cover: &mut [f32]) {
        let m = &self.to_phone;
        let (cx, cy) = (self.lens.cx as f32, self.lens.cy as f32);
        let k = self.lens.k as f32 / (self.lens.radius * self.lens.radius) as f32;
        let offsets: [f32; SUPERSAMPLE] =
            std::array::from_fn(|i| (i as f32 + 0.5) / SUPERSAMPLE as f32 - 0.5);
        let share = 1.0 / (SUPERSAMPLE * SUPERSAMPLE) as f32;
        let rows = light
            .chunks_mut(self.width)
            .zip(cover.chunks_mut(self.width));
        for (row, (light, cover)) in (first..).zip(rows) {
            for x in self.columns.0..self.columns.1 {
                let (mut sum, mut alpha) = (0.0, 0.0);
                for oy in offsets {
                    let dy = row as f32 + oy - cy;
                    for ox in offsets {
                        let dx = x as f32 + ox - cx;
                        let g = 1.0 + k * (dx * dx + dy * dy);
                        let (xu, yu) = (cx + dx * g, cy + dy * g);
                        let wq = m[2][0] * xu + m[2][1] * yu + m[2][2];
                        if wq <= 1e-6 {
                            continue;
                        }
                        let u = (m[0][0] * xu + m[0][1] * yu + m[0][2]) / wq;
                        let v = (m[1][0] * xu + m[1][1] * yu + m[1][2]) / wq;
                        let (value, a) = self.phone.radiance(u, v);
                        sum += value;
                        alpha += a;
                    }
                }
                light[x] = sum * share;
                cover[x] = alpha * share;
            }
        }
    }
}

/// From light on the lens to the camera's decoded MJPEG frame: optics, sensor, ISP, encoder.
pub(super) fn develop(radiance: Plane, p: &ShotParams) -> GrayImage {
    let (w, h) = (radiance.width, radiance.height);
    // Optics, in linear light and before the sensor clips, so that an overexposed white
    // bleeds into the dark modules.
    let mut light = radiance.gaussian(p.sigma);
    if p.motion > 0.5 {
        light = light.motion(p.motion, p.motion_angle);
    }
    let (cx, cy) = ((w - 1) as f32 / 2.0, (h - 1) as f32 / 2.0);
    let inv_r2 = 1.0 / (cx * cx + cy * cy);
    // Sensor: vignetting, saturation, shot noise growing with the signal and read noise
    // under it (`noise` is the sigma in 8-bit levels at mid grey).
    let gain = p.noise / 295.0 / 0.2f32.sqrt();
    let mut rng = Rng::new(p.noise_seed);
    for (i, px) in light.px.iter_mut().enumerate() {
        let (dx, dy) = ((i % w) as f32 - cx, (i / w) as f32 - cy);
        let x = (*px * (1.0 - p.vignette * (dx * dx + dy * dy) * inv_r2)).clamp(0.0, 1.0);
        *px = (x + rng.normal() * gain * (x + 0.02).sqrt()).clamp(0.0, 1.0);
    }
    if p.denoise > 0.0 {
        light = light.gaussian(p.denoise);
    }
    // ISP: tone curve and black level, edge-preserving noise reduction, sharpening.
    let tone = ToneCurve::new(p.gamma, p.black);
    for px in &mut light.px {
        *px = tone.apply(*px);
    }
    if p.nr > 0.0 {
        light = bilateral(&light, p.nr * 2.5 * p.noise / 255.0, 1.2);
    }
    if p.sharpen > 0.0 {
        let soft = light.gaussian(1.0);
        for (px, s) in light.px.iter_mut().zip(&soft.px) {
            *px += p.sharpen * (*px - s);
        }
    }
    let raw = light
        .px
        .iter()
        .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let frame = GrayImage::from_raw(w as u32, h as u32, raw).unwrap_or_default();
    mjpeg(frame, p.jpeg)
}

/// The ISP's tone curve `black + (1 - black) x^(1/gamma)` as a table: one `powf` per
/// pixel costs more than the rest of the sensor stage.
struct ToneCurve(Vec<f32>);

impl ToneCurve {
    const STEPS: usize = 1 << 14;

    fn new(gamma: f32, black: f32) -> Self {
        Self(
            (0..=Self::STEPS + 1)
                .map(|i| {
                    let x = (i as f32 / Self::STEPS as f32).min(1.0);
                    black + (1.0 - black) * x.powf(1.0 / gamma)
                })
                .collect(),
        )
    }

    fn apply(&self, x: f32) -> f32 {
        let t = x.clamp(0.0, 1.0) * Self::STEPS as f32;
        let i = t as usize;
        let f = t - i as f32;
        self.0[i] + (self.0[i + 1] - self.0[i]) * f
    }
}

/// A bilateral filter over a radius of 2 pixels (the ISP's noise reduction): neighbours
/// weighted by distance (`sigma_space`) and by likeness (`sigma_value`), so that the edges
/// of modules survive while flat areas are smoothed. The likeness weight `exp(-t)` is taken
/// as `1 / (1 + t + t²/2 + t³/6)`, which the compiler vectorises; its tail is a little
/// heavier, which a noise reducer does not mind.
fn bilateral(src: &Plane, sigma_value: f32, sigma_space: f32) -> Plane {
    if sigma_value <= 1e-4 {
        return src.clone();
    }
    const R: usize = 2;
    let (w, h) = (src.width, src.height);
    let pw = w + 2 * R;
    // The image with its edges repeated R pixels outwards, so the inner loop has no bounds.
    let mut pad = vec![0.0f32; pw * (h + 2 * R)];
    for (py, row) in pad.chunks_mut(pw).enumerate() {
        let sy = py.saturating_sub(R).min(h - 1);
        let line = &src.px[sy * w..(sy + 1) * w];
        row[R..R + w].copy_from_slice(line);
        row[..R].fill(line[0]);
        row[R + w..].fill(line[w - 1]);
    }
    let mut taps = Vec::new();
    for dy in 0..=2 * R {
        for dx in 0..=2 * R {
            let d2 = (dx as f32 - R as f32).powi(2) + (dy as f32 - R as f32).powi(2);
            if d2 <= (R * R) as f32 {
                taps.push((dx, dy, (-d2 / (2.0 * sigma_space * sigma_space)).exp()));
            }
        }
    }
    let half_inv = 0.5 / (sigma_value * sigma_value);
    let mut out = Plane::zeros(w, h);
    let mut weight = vec![0.0f32; w];
    for (y, row) in out.px.chunks_mut(w).enumerate() {
        weight.fill(0.0);
        let centre = &pad[(y + R) * pw + R..][..w];
        for &(dx, dy, space) in &taps {
            let near = &pad[(y + dy) * pw + dx..][..w];
            for (((o, k), &n), &c) in row.iter_mut().zip(&mut weight).zip(near).zip(centre) {
                let t = (n - c) * (n - c) * half_inv;
                let like = 1.0 / (1.0 + t * (1.0 + t * (0.5 + t * (1.0 / 6.0))));
                let wk = space * like;
                *o += wk * n;
                *k += wk;
            }
        }
        for (o, k) in row.iter_mut().zip(&weight) {
            *o /= *k;
        }
    }
    out
}

/// The camera's MJPEG encoder at `quality`, decoded again as the gate would decode it. A
/// frame the codec cannot take (none that this module makes) is returned as it was.
fn mjpeg(frame: GrayImage, quality: u8) -> GrayImage {
    let mut bytes = Vec::new();
    let encoded = JpegEncoder::new_with_quality(&mut bytes, quality).encode(
        frame.as_raw(),
        frame.width(),
        frame.height(),
        ExtendedColorType::L8,
    );
    match encoded
        .ok()
        .and_then(|()| image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).ok())
    {
        Some(decoded) => decoded.into_luma8(),
        None => frame,
    }
}
