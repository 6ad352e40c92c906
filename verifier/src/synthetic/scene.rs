//! What stands in front of the camera: the rider's phone (body, fingers, the rider page on its
//! screen, the glass's glare and pixel grid) as radiance on the phone's plane, and the
//! cluttered scene behind it.
//!
//! The phone's plane is measured in millimetres with its origin at the QR's centre. Everything
//! but the QR is drawn once per frame into a texture a little finer than the camera's samples;
//! the QR is looked up module by module at every sample, so its edges stay exact however the
//! phone is posed.

use super::camera::Plane;
use super::{QrModules, Rng, SCREEN_QUIET_ZONE, Scene, ShotParams};

/// sRGB grey level → linear light, as the screens and prints of the scene emit it.
pub(super) fn srgb_to_linear(level: u8) -> f32 {
    (f32::from(level) / 255.0).powf(2.2)
}

/// A 256-entry table of [`srgb_to_linear`]: texture lookups convert every texel.
fn linear_table() -> [f32; 256] {
    std::array::from_fn(|i| srgb_to_linear(i as u8))
}

/// A shape to fill, in the pixel coordinates of the canvas it is drawn on.
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape {
    /// An axis-aligned box `[x0, y0, x1, y1]`.
    Rect([f32; 4]),
    /// A box with corners rounded to a radius.
    Rounded([f32; 4], f32),
    /// The ellipse inscribed in a box.
    Ellipse([f32; 4]),
    /// A segment from `(x0, y0)` to `(x1, y1)`, of a width.
    Line([f32; 4], f32),
}

impl Shape {
    fn bounds(&self) -> [f32; 4] {
        match *self {
            Shape::Rect(b) | Shape::Rounded(b, _) | Shape::Ellipse(b) => b,
            Shape::Line([x0, y0, x1, y1], width) => {
                let r = width / 2.0;
                [
                    x0.min(x1) - r,
                    y0.min(y1) - r,
                    x0.max(x1) + r,
                    y0.max(y1) + r,
                ]
            }
        }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        match (self.row_span(y), *self) {
            (Some(span), _) => span.is_some_and(|(a, b)| (a..=b).contains(&x)),
            (None, Shape::Line([x0, y0, x1, y1], width)) => {
                let (ex, ey) = (x1 - x0, y1 - y0);
                let t = (((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey).max(1e-6))
                    .clamp(0.0, 1.0);
                let (dx, dy) = (x - x0 - t * ex, y - y0 - t * ey);
                dx * dx + dy * dy <= width * width / 4.0
            }
            (None, _) => false,
        }
    }

    /// The run `[a, b]` of x that the shape covers on row `y`: `None` if the shape has no
    /// such rule (test each point), `Some(None)` if the row misses it.
    fn row_span(&self, y: f32) -> Option<Option<(f32, f32)>> {
        let span = |x0: f32, x1: f32, y0: f32, y1: f32, r: f32| {
            if y < y0 || y > y1 {
                return None;
            }
            let dy = (y0 + r - y).max(y - (y1 - r)).max(0.0);
            let inset = r - (r * r - dy * dy).max(0.0).sqrt();
            Some((x0 + inset, x1 - inset))
        };
        match *self {
            Shape::Rect([x0, y0, x1, y1]) => Some(span(x0, x1, y0, y1, 0.0)),
            Shape::Rounded([x0, y0, x1, y1], r) => {
                let r = r.min((x1 - x0) / 2.0).min((y1 - y0) / 2.0).max(0.0);
                Some(span(x0, x1, y0, y1, r))
            }
            Shape::Ellipse([x0, y0, x1, y1]) => {
                let (rx, ry) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
                let dy = (y - y0 - ry) / ry;
                Some((dy.abs() <= 1.0).then(|| {
                    let half = rx * (1.0 - dy * dy).sqrt();
                    (x0 + rx - half, x0 + rx + half)
                }))
            }
            Shape::Line(..) => None,
        }
    }

    /// The same shape in another unit: `(p - origin) * scale` on both axes.
    fn mapped(self, origin: (f32, f32), scale: f32) -> Shape {
        let map = |[x0, y0, x1, y1]: [f32; 4]| {
            [
                (x0 - origin.0) * scale,
                (y0 - origin.1) * scale,
                (x1 - origin.0) * scale,
                (y1 - origin.1) * scale,
            ]
        };
        match self {
            Shape::Rect(b) => Shape::Rect(map(b)),
            Shape::Rounded(b, r) => Shape::Rounded(map(b), r * scale),
            Shape::Ellipse(b) => Shape::Ellipse(map(b)),
            Shape::Line(b, w) => Shape::Line(map(b), w * scale),
        }
    }
}

/// A layer of pixels to draw on: no anti-aliasing, as the texture is finer than the samples
/// that read it, and their averaging smooths its edges.
struct Canvas<T> {
    width: usize,
    height: usize,
    px: Vec<T>,
}

impl<T: Copy> Canvas<T> {
    fn new(width: usize, height: usize, value: T) -> Self {
        Self {
            width,
            height,
            px: vec![value; width * height],
        }
    }

    /// Sets every pixel whose centre lies in `shape` to `value`.
    fn fill(&mut self, shape: &Shape, value: T) {
        self.fill_with(shape, |_, p| *p = value);
    }

    /// Changes every pixel whose centre lies in `shape` with `paint` (given its index too).
    fn fill_with(&mut self, shape: &Shape, mut paint: impl FnMut(usize, &mut T)) {
        let [x0, y0, x1, y1] = shape.bounds();
        let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n);
        let (xa, xb) = (clamp(x0.floor(), self.width), clamp(x1.ceil(), self.width));
        let (ya, yb) = (
            clamp(y0.floor(), self.height),
            clamp(y1.ceil(), self.height),
        );
        if xa >= xb {
            return;
        }
        for y in ya..yb {
            let cy = y as f32 + 0.5;
            // Boxes, rounded boxes and ellipses cover one run of each row: found once a row,
            // not tested texel by texel (the phone's texture has millions).
            let span = shape.row_span(cy);
            let (from, to) = match span {
                Some(Some((a, b))) => (
                    clamp((a - 0.5).ceil(), xb).max(xa),
                    clamp((b - 0.5).floor() + 1.0, xb),
                ),
                Some(None) => continue,
                None => (xa, xb),
            };
            for x in from..to {
                if span.is_some() || shape.contains(x as f32 + 0.5, cy) {
                    let i = y * self.width + x;
                    paint(i, &mut self.px[i]);
                }
            }
        }
    }
}

/// The channels of a phone texel: emission and reflectance as sRGB levels, coverage and
/// glass as 0–255.
const EMIT: usize = 0;
const REFLECT: usize = 1;
const COVER: usize = 2;
const GLASS: usize = 3;

/// A run of pseudo-characters at `(x, y)` (the top of the line), `size` high: a few strokes
/// per character cell. At a camera's resolution text is texture, not words, and this needs no
/// font file.
fn glyphs(x: f32, y: f32, size: f32, count: usize, wide: bool, rng: &mut Rng) -> Vec<Shape> {
    let advance = if wide { 1.0 } else { 0.6 } * size;
    let stroke = 0.1 * size;
    let mut out = Vec::new();
    for i in 0..count {
        let (cx0, cy0) = (x + i as f32 * advance + 0.08 * size, y + 0.2 * size);
        let (cw, ch) = (advance - 0.16 * size, 0.75 * size);
        for _ in 0..2 + rng.below(if wide { 4 } else { 2 }) {
            let (a, b) = (rng.range(0.0, 0.5), rng.range(0.5, 1.0));
            let at = rng.range(0.0, 1.0);
            out.push(if rng.chance(0.55) {
                let yy = cy0 + at * ch;
                Shape::Rect([cx0 + a * cw, yy, cx0 + b * cw, yy + stroke])
            } else {
                let xx = cx0 + at * cw;
                Shape::Rect([xx, cy0 + a * ch, xx + stroke, cy0 + b * ch])
            });
        }
    }
    out
}

/// The phone as the camera sees it: a texture of its body, fingers and screen page, and the
/// QR and the glass's effects computed where they are sampled.
pub(super) struct Phone<'a> {
    /// Texels: see [`EMIT`], [`REFLECT`], [`COVER`], [`GLASS`].
    texels: Vec<[u8; 4]>,
    /// Whether there is a phone at all.
    present: bool,
    width: usize,
    height: usize,
    /// The texture's top-left corner on the phone's plane, millimetres.
    origin: (f32, f32),
    /// Texels per millimetre.
    scale: f32,
    /// Where the phone and the hand holding it lie on its plane, `[u0, v0, u1, v1]` mm.
    reach: [f32; 4],
    linear: [f32; 256],
    code: Option<&'a QrModules>,
    module_mm: f32,
    /// Modules across the QR with its quiet zone.
    span: f32,
    /// Linear emission of the QR's dark and light modules (swapped in dark mode).
    dark: f32,
    light: f32,
    white: f32,
    ambient: f32,
    veil: f32,
    /// The screen door: depth, (cos, sin) of its angle over its pitch, duty.
    door: Option<(f32, (f32, f32), f32)>,
    glare: Option<Glare>,
}

impl<'a> Phone<'a> {
    /// Draws the phone of `p` with texture resolution `scale` (texels per mm); `code` is the
    /// QR its screen shows, if any.
    pub(super) fn new(
        p: &ShotParams,
        code: Option<&'a QrModules>,
        side: usize,
        module_mm: f32,
        scale: f32,
        rng: &mut Rng,
    ) -> Self {
        let span = (side + 2 * SCREEN_QUIET_ZONE) as f32;
        let qside = span * module_mm;
        let (pw, ph) = (p.phone_w, p.phone_h);
        let bezel = 3.0;
        let (sw, sh) = (pw - 2.0 * bezel, ph - 2.0 * bezel - 6.0);
        // The QR is centred across the screen with 30 mm of page above it.
        let screen = (-sw / 2.0, -(30.0 + qside / 2.0));
        let body = (screen.0 - bezel, screen.1 - bezel - 3.0);
        // Room for the fingers beside the phone; none needed above or below it.
        let origin = (body.0 - 30.0, body.1 - 2.0);
        let width = ((pw + 60.0) * scale).ceil() as usize;
        let height = ((ph + 4.0) * scale).ceil() as usize;
        let mut tex = Canvas::new(width, height, [0u8; 4]);
        let px = |s: Shape| s.mapped(origin, scale);
        let present = p.scene != Scene::NoPhone;
        if present {
            let outline = px(Shape::Rounded(
                [body.0, body.1, body.0 + pw, body.1 + ph],
                9.0,
            ));
            let inner = px(Shape::Rounded(
                [
                    body.0 + 0.6,
                    body.1 + 0.6,
                    body.0 + pw - 0.6,
                    body.1 + ph - 0.6,
                ],
                8.4,
            ));
            let rim = 60 + rng.below(80) as u8;
            tex.fill_with(&outline, |_, t| (t[COVER], t[REFLECT]) = (255, rim));
            let case = 8 + rng.below(22) as u8;
            tex.fill_with(&inner, |_, t| t[REFLECT] = case);
            // The page is drawn on a canvas of its own, then laid behind the glass.
            let glass = px(Shape::Rounded(
                [screen.0, screen.1, screen.0 + sw, screen.1 + sh],
                6.0,
            ));
            let mut page = Canvas::new(width, height, 0u8);
            if p.scene != Scene::ScreenOff {
                for (shape, value) in Page::new(p).draw(p.scene, sw, qside, rng) {
                    page.fill(&px(shape.mapped((-screen.0, -screen.1), 1.0)), value);
                }
            }
            tex.fill_with(&glass, |i, t| (t[EMIT], t[GLASS]) = (page.px[i], 255));
            // Fingers over the right edge and a thumb over the left, low on the phone: they
            // cover the glass, so they emit nothing.
            let skin = 110 + rng.below(80) as u8;
            let bottom = body.1 + ph;
            let mut hold = |shape: Shape, tone: u8| tex.fill(&shape, [0, tone, 255, 0]);
            if p.fingers > 0 {
                for i in 0..p.fingers {
                    let fy = bottom - (20.0 + 16.0 * f32::from(i) + rng.range(0.0, 6.0));
                    let finger = [body.0 + pw - 6.0, fy, body.0 + pw + 28.0, fy + 13.0];
                    hold(px(Shape::Rounded(finger, 6.0)), skin - 15 * i);
                }
                let thumb = [body.0 - 26.0, bottom - 40.0, body.0 + 7.0, bottom - 24.0];
                hold(px(Shape::Rounded(thumb, 8.0)), skin + 10);
            }
        }
        let (dark, light) = if p.inverted {
            (0.73, 0.006)
        } else {
            (0.0008, 1.0)
        };
        let door = (p.moire > 0.0).then(|| {
            let (sin, cos) = p.door_angle.to_radians().sin_cos();
            (
                p.moire,
                (cos / p.door_pitch, sin / p.door_pitch),
                p.door_duty,
            )
        });
        let glare = (p.glare > 0.0).then(|| {
            let (sin, cos) = p.glare_angle.to_radians().sin_cos();
            let r = p.glare_radius * module_mm;
            Glare {
                peak: p.glare * p.white,
                centre: (p.glare_pos[0] * module_mm, p.glare_pos[1] * module_mm),
                direction: (cos, sin),
                aspect: p.glare_aspect,
                falloff: 1.0 / (2.0 * r * r),
            }
        });
        let hand = if p.fingers > 0 { 28.0 } else { 0.0 };
        let reach = [body.0 - hand, body.1, body.0 + pw + hand, body.1 + ph];
        Self {
            reach,
            texels: tex.px,
            present,
            width,
            height,
            origin,
            scale,
            linear: linear_table(),
            code,
            module_mm,
            span,
            dark,
            light,
            white: p.white,
            ambient: p.ambient,
            veil: p.veil * p.white.max(0.3),
            door,
            glare,
        }
    }

    /// The corners of the phone and the hand holding it on its plane (mm): nothing outside
    /// them shows.
    pub(super) fn extent(&self) -> [(f32, f32); 4] {
        let [u0, v0, u1, v1] = self.reach;
        [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
    }

    /// Whether any of the phone is drawn at all.
    pub(super) fn is_present(&self) -> bool {
        self.present
    }

    /// Linear (emission, reflectance, coverage, glass) at a point: the nearest texel, as the
    /// camera's supersamples average what lies between.
    fn texture(&self, u: f32, v: f32) -> [f32; 4] {
        let tx = (u - self.origin.0) * self.scale;
        let ty = (v - self.origin.1) * self.scale;
        if !(tx >= 0.0 && ty >= 0.0 && tx < self.width as f32 && ty < self.height as f32) {
            return [0.0; 4];
        }
        let t = self.texels[ty as usize * self.width + tx as usize];
        [
            self.linear[usize::from(t[EMIT])],
            self.linear[usize::from(t[REFLECT])],
            f32::from(t[COVER]) / 255.0,
            f32::from(t[GLASS]) / 255.0,
        ]
    }

    /// Radiance times coverage, and coverage, of the phone at `(u, v)` mm.
    pub(super) fn radiance(&self, u: f32, v: f32) -> (f32, f32) {
        let [mut emis, refl, alpha, screen] = self.texture(u, v);
        if alpha <= 0.0 {
            return (0.0, 0.0);
        }
        if let Some(code) = self.code
            && screen > 0.5
        {
            let half = self.span / 2.0;
            let (mu, mv) = (u / self.module_mm + half, v / self.module_mm + half);
            if (0.0..self.span).contains(&mu) && (0.0..self.span).contains(&mv) {
                let (cx, cy) = (mu as usize, mv as usize);
                let q = SCREEN_QUIET_ZONE;
                let dark = cx >= q && cy >= q && code.is_dark(cx - q, cy - q);
                emis = if dark { self.dark } else { self.light };
            }
        }
        if let Some((depth, (cu, cv), duty)) = self.door {
            // The LCD's pixel grid, tens of microns a cell: far finer than the camera's
            // samples, so it aliases into moiré.
            let (pu, pv) = (u * cu + v * cv, -u * cv + v * cu);
            let lit = pu - pu.floor() < duty && pv - pv.floor() < duty;
            let gain = if lit { 1.0 / (duty * duty) } else { 0.0 };
            emis *= (1.0 - depth) + depth * gain;
        }
        let mut value = self.ambient * refl + self.white * emis + screen * self.veil;
        if let Some(g) = &self.glare {
            // A lamp's highlight on the glass, moving with the phone.
            let (du, dv) = (u - g.centre.0, v - g.centre.1);
            let (c, s) = g.direction;
            let (a1, a2) = (du * c + dv * s, (-du * s + dv * c) * g.aspect);
            value += g.peak * (-(a1 * a1 + a2 * a2) * g.falloff).exp() * screen;
        }
        (alpha * value, alpha)
    }
}

/// A lamp's highlight on the glass: an elongated Gaussian spot.
struct Glare {
    /// Peak radiance.
    peak: f32,
    /// Centre on the phone, mm.
    centre: (f32, f32),
    /// (cos, sin) of its long axis.
    direction: (f32, f32),
    /// How much shorter the short axis is.
    aspect: f32,
    /// 1 / (2 r²), r in mm.
    falloff: f32,
}

/// The rider page's colours: light page, dark mode, and what lies between.
struct Page {
    background: u8,
    ink: u8,
    muted: u8,
    header: u8,
}

impl Page {
    fn new(p: &ShotParams) -> Self {
        if p.inverted {
            Self {
                background: 18,
                ink: 230,
                muted: 150,
                header: 40,
            }
        } else {
            Self {
                background: 255,
                ink: 25,
                muted: 120,
                header: (p.ui_color * 255.0).round() as u8,
            }
        }
    }

    /// The screen's content in screen millimetres (origin at its top-left), `sw` wide, with
    /// `qside` mm left for the QR below 30 mm of page. The QR itself is not drawn here.
    fn draw(&self, scene: Scene, sw: f32, qside: f32, rng: &mut Rng) -> Vec<(Shape, u8)> {
        let mut out = vec![(Shape::Rect([0.0, 0.0, sw, 400.0]), self.background)];
        let text = |out: &mut Vec<(Shape, u8)>, x, y, size, n, wide, value, rng: &mut Rng| {
            out.extend(
                glyphs(x, y, size, n, wide, rng)
                    .into_iter()
                    .map(|g| (g, value)),
            );
        };
        // Status bar, header with the rider's name, rider number: every page has them.
        text(&mut out, 4.0, 1.2, 2.6, 5, false, self.ink, rng);
        for i in 0..3 {
            let x = sw - (14.0 - 3.2 * i as f32);
            out.push((Shape::Rect([x, 1.8, x + 2.0, 4.2]), self.ink));
        }
        out.push((Shape::Rect([0.0, 6.0, sw, 16.0]), self.header));
        let on_header = if self.header < 150 { 255 } else { 20 };
        text(&mut out, 4.0, 8.2, 3.6, 6, true, on_header, rng);
        text(&mut out, sw - 11.0, 8.8, 3.0, 2, false, on_header, rng);
        text(&mut out, 4.0, 18.0, 2.8, 4, true, self.muted, rng);
        text(&mut out, 15.5, 18.0, 2.8, 8, false, self.muted, rng);
        match scene {
            Scene::Code => {
                text(&mut out, 4.0, 23.0, 3.6, 6, true, self.ink, rng);
                let y = 30.0 + qside + 3.0;
                let mid = sw / 2.0;
                text(&mut out, mid - 16.0, y, 5.0, 5, true, self.ink, rng);
                text(&mut out, mid - 8.0, y + 8.0, 3.0, 4, true, self.muted, rng);
                text(
                    &mut out,
                    mid - 22.0,
                    y + 13.0,
                    3.0,
                    11,
                    true,
                    self.muted,
                    rng,
                );
                let by = y + 20.0;
                let button = [mid - 18.0, by, mid + 18.0, by + 9.0];
                out.push((Shape::Rounded(button, 3.0), self.ink));
                let inner = [button[0] + 0.4, by + 0.4, button[2] - 0.4, by + 8.6];
                out.push((Shape::Rounded(inner, 2.6), self.background));
                text(&mut out, mid - 4.0, by + 2.0, 3.6, 2, true, self.ink, rng);
            }
            Scene::ExpiredPage => {
                text(&mut out, 4.0, 30.0, 5.0, 10, true, self.ink, rng);
                text(&mut out, 4.0, 40.0, 3.2, 12, true, self.muted, rng);
                for i in 0..6 {
                    let y = 50.0 + 7.0 * i as f32;
                    let x1 = 20.0 + rng.range(10.0, 40.0);
                    out.push((Shape::Rect([4.0, y, x1, y + 2.5]), self.muted));
                }
            }
            Scene::OtherApp => {
                for i in 0..9 {
                    let y = 22.0 + 13.0 * i as f32;
                    let avatar = 60 + rng.below(140) as u8;
                    out.push((Shape::Ellipse([4.0, y, 13.0, y + 9.0]), avatar));
                    text(&mut out, 16.0, y, 3.2, 8, true, self.ink, rng);
                    text(&mut out, 16.0, y + 5.0, 2.6, 14, false, self.muted, rng);
                }
            }
            Scene::Texture => {
                // QR-like distractors: a checkerboard, two finder-like squares, a barcode.
                let cell = rng.range(0.8, 2.0);
                let mut y = 30.0;
                while y < 80.0 {
                    let row = ((y - 30.0) / cell).round() as usize;
                    let mut x = (row % 2) as f32 * cell;
                    while x < sw {
                        out.push((Shape::Rect([x, y, x + cell, y + cell]), self.ink));
                        x += 2.0 * cell;
                    }
                    y += cell;
                }
                for i in 0..2 {
                    let fx = 8.0 + 30.0 * i as f32;
                    for (inset, value) in [(0.0, self.ink), (2.0, self.background), (4.0, self.ink)]
                    {
                        let b = [fx + inset, 90.0 + inset, fx + 14.0 - inset, 104.0 - inset];
                        out.push((Shape::Rect(b), value));
                    }
                }
                let mut x = 6.0;
                while x < sw - 6.0 {
                    let bar = rng.range(0.25, 1.0);
                    out.push((Shape::Rect([x, 110.0, x + bar, 125.0]), self.ink));
                    x += bar + rng.range(0.25, 1.0);
                }
            }
            Scene::NoPhone | Scene::ScreenOff => {}
        }
        out
    }
}

/// The cluttered, out-of-focus scene behind the phone, as linear radiance. It is drawn at
/// half the frame's resolution (it is blurred anyway) and enlarged when it is composited.
pub(super) fn background(p: &ShotParams, rng: &mut Rng) -> Plane {
    let (w, h) = (p.width as usize / 2, p.height as usize / 2);
    let (wf, hf) = (w as f32, h as f32);
    let scale = wf / 640.0;
    let (top, bottom) = (rng.range(40.0, 200.0), rng.range(40.0, 200.0));
    let mut canvas = Canvas::new(w, h, 0);
    for (y, row) in canvas.px.chunks_mut(w).enumerate() {
        row.fill((top + (bottom - top) * y as f32 / hf) as u8);
    }
    for _ in 0..25 + rng.below(45) {
        let kind = rng.unit();
        let (x0, y0) = (rng.range(-0.1, 1.0) * wf, rng.range(-0.1, 1.0) * hf);
        let (bw, bh) = (rng.range(0.02, 0.35) * wf, rng.range(0.02, 0.35) * hf);
        let value = rng.below(256) as u8;
        let b = [x0, y0, x0 + bw, y0 + bh];
        if kind < 0.45 {
            canvas.fill(&Shape::Rect(b), value);
        } else if kind < 0.65 {
            canvas.fill(&Shape::Ellipse(b), value);
        } else if kind < 0.75 {
            let (x1, y1) = (
                x0 + rng.range(-0.5, 0.5) * wf,
                y0 + rng.range(-0.5, 0.5) * hf,
            );
            let width = rng.range(1.0, 7.0) * scale;
            canvas.fill(&Shape::Line([x0, y0, x1, y1], width), value);
        } else if kind < 0.87 {
            // Signs and notices.
            let size = rng.range(6.0, 30.0) * scale;
            let n = 3 + rng.below(9) as usize;
            for g in glyphs(x0, y0, size, n, rng.chance(0.6), rng) {
                canvas.fill(&g, value);
            }
        } else {
            // Railings, blinds, tiles.
            let period = rng.range(2.0, 10.0) * scale;
            for k in 0..(bw / period) as usize {
                let x = x0 + k as f32 * period;
                canvas.fill(&Shape::Rect([x, y0, x + period * 0.4, y0 + bh]), value);
            }
        }
    }
    if rng.chance(0.3) {
        // A window or a lamp: as bright as the sensor's white or brighter.
        let (x0, y0) = (rng.range(0.0, 0.8) * wf, rng.range(0.0, 0.5) * hf);
        let b = [
            x0,
            y0,
            x0 + rng.range(0.1, 0.3) * wf,
            y0 + rng.range(0.1, 0.3) * hf,
        ];
        canvas.fill(&Shape::Rect(b), 255);
    }
    let linear = linear_table();
    let plane = Plane {
        width: w,
        height: h,
        px: canvas
            .px
            .iter()
            .map(|&v| linear[usize::from(v)] * p.ambient)
            .collect(),
    };
    plane.gaussian(p.bg_blur * p.width as f32 / 1280.0 / 2.0)
}
