//! QR images of codes, as a phone screen or a printed test card shows them: the one
//! renderer the issuer's pages and posters and the gate's synthetic frames all draw with.

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode, Version};
use thiserror::Error;

/// A text no QR code holds.
#[derive(Debug, Error)]
#[error("text of {len} bytes fits no QR code at error correction level M: {reason}")]
pub struct QrError {
    /// The text's length in bytes.
    pub len: usize,
    /// What the encoder said.
    pub reason: String,
}

type Result<T> = std::result::Result<T, QrError>;

/// Pixels per QR module in rendered images.
pub const MODULE_PIXELS: u32 = 8;
/// Light modules around the symbol, as the QR standard requires.
pub const QUIET_ZONE: u32 = 4;
/// White modules around the QR on a phone screen. Two, not four: the page around it is white
/// too, and every module saved goes to bigger modules, which a tablet camera reads from
/// further away.
pub const SCREEN_QUIET_ZONE: usize = 2;

/// A rendered code and what it took.
#[derive(Debug)]
pub struct QrImage {
    /// The picture: black modules on white, with the quiet zone.
    pub image: GrayImage,
    /// The QR version (1–40).
    pub version: i16,
    /// Modules per side.
    pub modules: usize,
}

/// The modules of `text` as a QR code at error correction level M: (version, modules per
/// side, dark or not row by row).
fn modules(text: &str) -> Result<(i16, usize, Vec<bool>)> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| QrError {
            len: text.len(),
            reason: e.to_string(),
        })?;
    let version = match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((version, code.width(), dark))
}

/// Renders `text` as a QR code at error correction level M.
pub fn render(text: &str) -> Result<QrImage> {
    render_scaled(text, MODULE_PIXELS)
}

/// Renders `text` as a QR code at error correction level M, `module_pixels` per module.
pub fn render_scaled(text: &str, module_pixels: u32) -> Result<QrImage> {
    let (version, modules, dark) = modules(text)?;
    let side = u32::try_from(modules).unwrap_or(u32::MAX);
    let size = (side + 2 * QUIET_ZONE) * module_pixels;
    let image = GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x / module_pixels, y / module_pixels);
        let inside = (QUIET_ZONE..QUIET_ZONE + side).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + side).contains(&my);
        let is_dark = inside && dark[((my - QUIET_ZONE) * side + (mx - QUIET_ZONE)) as usize];
        Luma([if is_dark { 0 } else { 255 }])
    });
    Ok(QrImage {
        image,
        version,
        modules,
    })
}

/// `text` as a QR code in SVG, one unit per module with the quiet zone, black on white: it
/// scales to any size and stays sharp on any screen.
pub fn svg(text: &str) -> Result<String> {
    let (_, modules, dark) = modules(text)?;
    let q = SCREEN_QUIET_ZONE;
    let side = modules + 2 * q;
    let mut path = String::with_capacity(modules * modules * 2);
    // One rectangle per horizontal run of dark modules: a third of the bytes of one per module.
    for (y, row) in dark.chunks(modules).enumerate() {
        let mut x = 0;
        while x < modules {
            if !row[x] {
                x += 1;
                continue;
            }
            let run = row[x..].iter().take_while(|d| **d).count();
            path.push_str(&format!("M{} {}h{run}v1h-{run}z", x + q, y + q));
            x += run;
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_too_long_for_any_qr_code_is_refused_by_its_length() {
        let error = render(&"A".repeat(8_000)).unwrap_err();
        assert_eq!(error.len, 8_000);
        assert!(error.to_string().contains("8000 bytes"), "{error}");
    }

    #[test]
    fn the_svg_and_the_image_draw_the_same_modules() {
        let qr = render_scaled("XG1:HELLO", 1).unwrap();
        let svg = svg("XG1:HELLO").unwrap();
        let side = qr.modules + 2 * SCREEN_QUIET_ZONE;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        assert_eq!(
            qr.image.width() as usize,
            qr.modules + 2 * QUIET_ZONE as usize
        );
    }
}
