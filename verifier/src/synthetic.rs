//! Camera-like frames of a code, for the demo, the tests and the benchmarks: a phone screen
//! showing the QR, tilted, scaled to a few pixels per module, softened and noisy, in a
//! 1280×720 greyscale frame.

use image::{GrayImage, Luma};

/// How a synthetic frame looks.
#[derive(Clone, Copy, Debug)]
pub struct FrameStyle {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frame pixels per QR module.
    pub module_pixels: f32,
    /// Rotation of the phone, in degrees.
    pub angle_degrees: f32,
    /// Amplitude of the sensor noise, in grey levels.
    pub noise: u8,
    /// Seed of the noise, so that frames are reproducible.
    pub seed: u64,
}

impl Default for FrameStyle {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            module_pixels: 4.5,
            angle_degrees: 7.0,
            noise: 12,
            seed: 1,
        }
    }
}

/// Renders `qr` (a crisp QR image with its quiet zone, `qr_module_pixels` per module) into a
/// camera-like frame.
#[must_use]
pub fn camera_frame(qr: &GrayImage, qr_module_pixels: u32, style: &FrameStyle) -> GrayImage {
    let (w, h) = (style.width, style.height);
    let scale = qr_module_pixels as f32 / style.module_pixels;
    let (sin, cos) = style.angle_degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (qcx, qcy) = (qr.width() as f32 / 2.0, qr.height() as f32 / 2.0);
    // The phone's bright screen extends a little past the QR's quiet zone.
    let screen = qr.width() as f32 * 0.62;
    let mut frame = GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (u, v) = (
            (dx * cos + dy * sin) * scale,
            (-dx * sin + dy * cos) * scale,
        );
        let value = if u.abs() < qcx && v.abs() < qcy {
            bilinear(qr, u + qcx, v + qcy)
        } else if u.abs() < screen && v.abs() < screen * 1.8 {
            235.0
        } else {
            // A dim scene: a vertical gradient behind the phone.
            70.0 + 60.0 * (y as f32 / h as f32)
        };
        // A screen's black is grey, and its white not paper white.
        Luma([(35.0 + value * 0.78) as u8])
    });
    soften(&mut frame);
    add_noise(&mut frame, style.noise, style.seed);
    frame
}

/// A frame of the same scene with no phone in it.
#[must_use]
pub fn empty_frame(style: &FrameStyle) -> GrayImage {
    let (w, h) = (style.width, style.height);
    let mut frame = GrayImage::from_fn(w, h, |_, y| {
        Luma([(35.0 + (70.0 + 60.0 * (y as f32 / h as f32)) * 0.78) as u8])
    });
    add_noise(&mut frame, style.noise, style.seed);
    frame
}

fn bilinear(img: &GrayImage, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor().max(0.0) as u32, y.floor().max(0.0) as u32);
    let (x1, y1) = (
        (x0 + 1).min(img.width() - 1),
        (y0 + 1).min(img.height() - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| f32::from(img.get_pixel(x, y).0[0]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// A 3×3 box blur: the lens is never perfectly in focus.
fn soften(img: &mut GrayImage) {
    let src = img.clone();
    let (w, h) = (img.width(), img.height());
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let mut sum = 0u32;
            for dy in 0..3 {
                for dx in 0..3 {
                    sum += u32::from(src.get_pixel(x + dx - 1, y + dy - 1).0[0]);
                }
            }
            img.put_pixel(x, y, Luma([(sum / 9) as u8]));
        }
    }
}

fn add_noise(img: &mut GrayImage, amplitude: u8, seed: u64) {
    if amplitude == 0 {
        return;
    }
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let span = i32::from(amplitude) * 2 + 1;
    for p in img.pixels_mut() {
        // xorshift64: cheap, reproducible, good enough for sensor grain.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delta = (state % span as u64) as i32 - i32::from(amplitude);
        p.0[0] = (i32::from(p.0[0]) + delta).clamp(0, 255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use xiaoge_pass::qr_image;

    #[test]
    fn rqrr_reads_a_default_synthetic_frame() {
        let text = "XG1:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:".repeat(5);
        let qr = qr_image::render(&text).unwrap();
        let frame = camera_frame(&qr.image, qr_image::MODULE_PIXELS, &FrameStyle::default());
        assert_eq!(frame.dimensions(), (1280, 720));
        assert_eq!(decode(&frame).map(|d| d.text), Some(text));
    }
}
