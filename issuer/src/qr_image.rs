//! QR images of codes, as a phone screen or a printed test card shows them.

use std::path::Path;

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::error::{IssuerError, Result};

/// Pixels per QR module in rendered images.
pub const MODULE_PIXELS: u32 = 8;
/// Light modules around the symbol, as the QR standard requires.
pub const QUIET_ZONE: u32 = 4;

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

/// Renders `text` as a QR code at error correction level M.
pub fn render(text: &str) -> Result<QrImage> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| {
        IssuerError::Invalid(format!("text of {} bytes fits no QR code: {e}", text.len()))
    })?;
    let version = match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    let modules = code.width();
    let side = u32::try_from(modules).unwrap_or(u32::MAX);
    let size = (side + 2 * QUIET_ZONE) * MODULE_PIXELS;
    let colors = code.to_colors();
    let image = GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x / MODULE_PIXELS, y / MODULE_PIXELS);
        let inside = (QUIET_ZONE..QUIET_ZONE + side).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + side).contains(&my);
        let dark = inside
            && colors[((my - QUIET_ZONE) * side + (mx - QUIET_ZONE)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    Ok(QrImage {
        image,
        version,
        modules,
    })
}

/// Writes `text` as a QR code PNG at `path`.
pub fn write_png(text: &str, path: &Path) -> Result<QrImage> {
    let qr = render(text)?;
    qr.image.save(path).map_err(|e| {
        IssuerError::io(
            format!("writing {}", path.display()),
            std::io::Error::other(e),
        )
    })?;
    Ok(qr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Issuer;
    use crate::model::{SiteInput, SiteKind};
    use crate::service::InitOptions;
    use xiaoge_pass::UnixTime;

    #[test]
    fn a_minted_code_is_qr_version_9_at_ecc_m_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixTime(1_767_225_600);
        let issuer = Issuer::init(&dir.path().join("i"), &InitOptions::default(), now).unwrap();
        issuer.add_platform("美团", now).unwrap();
        let site = issuer
            .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
            .unwrap();
        let rider = issuer.add_rider("美团", "mt-1", "黄小明", now).unwrap();
        let (_, text) = issuer.mint(&rider.id, Some(site), now).unwrap();

        let qr = render(&text).unwrap();
        assert_eq!(
            (qr.version, qr.modules),
            (9, 53),
            "{} characters",
            text.len()
        );

        let (w, h) = (qr.image.width() as usize, qr.image.height() as usize);
        let pixels = qr.image.as_raw();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = prepared.detect_grids();
        let mut bytes = Vec::new();
        grids[0].decode_to(&mut bytes).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), text);
    }
}
