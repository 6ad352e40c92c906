//! Place-code posters (场所码): an A4 sheet for a site's gate with the QR of its place URL and
//! what a rider does with it, in Chinese first. PNG at 150 dpi, or the same picture in a
//! one-page PDF for printers.

use std::io::Write as _;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};

use crate::error::{IssuerError, Result};
use xiaoge_pass::qr_image;

/// A4 at 150 dots per inch.
pub const WIDTH: u32 = 1240;
/// A4 at 150 dots per inch.
pub const HEIGHT: u32 = 1754;
/// A4 in PDF points.
const PDF_POINTS: (f64, f64) = (595.28, 841.89);

/// The font the posters' Chinese is set in: the same open CJK font the gate's kiosk ships.
/// It has no Latin letters, so those come from Ubuntu Light, the kiosk's Latin font too.
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// The words in the black band across the top.
const TITLE: &str = "小哥码 · 骑手场所码";

/// What a poster says.
pub struct Poster<'a> {
    /// The site's name.
    pub site: &'a str,
    /// The place URL the QR holds (and NFC tags carry).
    pub url: &'a str,
}

/// The poster's fonts, in the order a character is looked up in.
struct Fonts([FontRef<'static>; 2]);

impl Fonts {
    fn load() -> Result<Self> {
        let load = |bytes: &'static [u8], which: &str| {
            FontRef::try_from_slice(bytes).map_err(|e| {
                IssuerError::Invalid(format!(
                    "the bundled {which} poster font is unreadable: {e}"
                ))
            })
        };
        Ok(Self([
            load(epaint_default_fonts::UBUNTU_LIGHT, "Latin")?,
            load(CJK_FONT, "Chinese")?,
        ]))
    }

    /// The first font that has `c`, or the last one (which draws its "missing" box).
    fn for_char(&self, c: char) -> &FontRef<'static> {
        let [latin, cjk] = &self.0;
        if latin.glyph_id(c).0 != 0 { latin } else { cjk }
    }
}

/// Draws `text` centred on `y` (its baseline) at `size` pixels, black.
fn centred(canvas: &mut GrayImage, fonts: &Fonts, text: &str, size: f32, baseline: f32) {
    let scale = PxScale::from(size);
    let advance = |c: char| {
        let font = fonts.for_char(c).as_scaled(scale);
        font.h_advance(font.glyph_id(c))
    };
    let width: f32 = text.chars().map(advance).sum();
    let mut x = (canvas.width() as f32 - width) / 2.0;
    for c in text.chars() {
        let font = fonts.for_char(c);
        let glyph = font
            .glyph_id(c)
            .with_scale_and_position(scale, ab_glyph::point(x, baseline));
        x += advance(c);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let (px, py) = (
                bounds.min.x as i64 + i64::from(gx),
                bounds.min.y as i64 + i64::from(gy),
            );
            if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py))
                && px < canvas.width()
                && py < canvas.height()
            {
                let old = f32::from(canvas.get_pixel(px, py).0[0]);
                let ink = old * (1.0 - coverage.clamp(0.0, 1.0));
                canvas.put_pixel(px, py, Luma([ink as u8]));
            }
        });
    }
}

/// The poster as a 150 dpi A4 picture.
pub fn render(poster: &Poster<'_>) -> Result<GrayImage> {
    let font = Fonts::load()?;
    let mut canvas = GrayImage::from_pixel(WIDTH, HEIGHT, Luma([255]));
    // A black band across the top: the poster is found from across a gate.
    for y in 0..200 {
        for x in 0..WIDTH {
            canvas.put_pixel(x, y, Luma([0]));
        }
    }
    let mut band = GrayImage::from_pixel(WIDTH, 200, Luma([255]));
    centred(&mut band, &font, TITLE, 96.0, 135.0);
    for (x, y, p) in band.enumerate_pixels() {
        // White text on the black band.
        canvas.put_pixel(x, y, Luma([255 - p.0[0]]));
    }
    centred(&mut canvas, &font, poster.site, 110.0, 345.0);
    let qr = qr_image::render_scaled(poster.url, 1)?;
    let modules = qr.image.width();
    let scale = (820 / modules).max(1);
    let side = modules * scale;
    let left = (WIDTH - side) / 2;
    let top = 420;
    for (x, y, p) in qr.image.enumerate_pixels() {
        for dy in 0..scale {
            for dx in 0..scale {
                canvas.put_pixel(left + x * scale + dx, top + y * scale + dy, *p);
            }
        }
    }
    let below = (top + side) as f32;
    let mut y = below + 90.0;
    for (line, size) in instructions(poster) {
        centred(&mut canvas, &font, line, size, y);
        y += size * 1.6;
    }
    Ok(canvas)
}

/// The lines under the QR, with their sizes in pixels.
fn instructions<'a>(poster: &Poster<'a>) -> [(&'a str, f32); 6] {
    [
        ("1. 在配送平台 App 中打开小哥码", 58.0),
        ("2. 用手机扫描上方二维码（或手机碰一碰 NFC 标签）", 46.0),
        ("3. 查看楼栋指引和临时停车点，到门岗出示通行码", 46.0),
        ("Riders: open Xiaoge Pass in your platform's app,", 36.0),
        ("scan this code, then show your code at the gate.", 36.0),
        (poster.url, 34.0),
    ]
}

/// The poster as PNG bytes.
pub fn png(poster: &Poster<'_>) -> Result<Vec<u8>> {
    let image = render(poster)?;
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| IssuerError::Invalid(format!("encoding the poster as PNG: {e}")))?;
    Ok(out.into_inner())
}

/// The poster as a one-page A4 PDF: the picture, compressed, filling the page.
pub fn pdf(poster: &Poster<'_>) -> Result<Vec<u8>> {
    let image = render(poster)?;
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflate
        .write_all(image.as_raw())
        .and_then(|()| deflate.flush())
        .map_err(|e| IssuerError::io("compressing the poster", e))?;
    let pixels = deflate
        .finish()
        .map_err(|e| IssuerError::io("compressing the poster", e))?;
    let (w, h) = PDF_POINTS;
    let content = format!("q {w} 0 0 {h} 0 0 cm /P Do Q");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] \
             /Resources << /XObject << /P 5 0 R >> >> /Contents 4 0 R >>"
        )
        .into_bytes(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content.into_bytes(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        [
            format!(
                "<< /Type /XObject /Subtype /Image /Width {WIDTH} /Height {HEIGHT} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode \
                 /Length {} >>\nstream\n",
                pixels.len()
            )
            .into_bytes(),
            pixels,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    Ok(out)
}

/// An NFC Forum NDEF message holding `url` as one URI record (碰一碰), for tag writers.
#[must_use]
pub fn ndef_uri(url: &str) -> Vec<u8> {
    // URI identifier codes shorten the common prefixes.
    let (code, rest) = [
        ("https://www.", 0x02u8),
        ("http://www.", 0x01),
        ("https://", 0x04),
        ("http://", 0x03),
    ]
    .iter()
    .find_map(|(prefix, code)| url.strip_prefix(prefix).map(|rest| (*code, rest)))
    .unwrap_or((0x00, url));
    let payload_len = 1 + rest.len();
    let mut out = Vec::with_capacity(payload_len + 8);
    if let Ok(short) = u8::try_from(payload_len) {
        // MB, ME, SR; well-known type.
        out.extend_from_slice(&[0xD1, 0x01, short, b'U']);
    } else {
        out.extend_from_slice(&[0xC1, 0x01]);
        out.extend_from_slice(&u32::try_from(payload_len).unwrap_or(u32::MAX).to_be_bytes());
        out.push(b'U');
    }
    out.push(code);
    out.extend_from_slice(rest.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTER: Poster<'static> = Poster {
        site: "翠苑一区",
        url: "https://pass.example.cn/s/12",
    };

    #[test]
    fn the_poster_is_a4_and_its_qr_reads_back_the_place_url() {
        let image = render(&POSTER).unwrap();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let (w, h) = (image.width() as usize, image.height() as usize);
        let pixels = image.as_raw();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(text, POSTER.url);
        // The text is drawn: the title band and the lines below the QR hold ink.
        let inked = |y0: u32, y1: u32| {
            (y0..y1).any(|y| (0..WIDTH).any(|x| image.get_pixel(x, y).0[0] < 128))
        };
        assert!(inked(260, 360), "no site name");
        assert!(inked(HEIGHT - 400, HEIGHT - 100), "no instructions");
    }

    #[test]
    fn every_character_on_a_poster_has_a_glyph() {
        let fonts = Fonts::load().unwrap();
        let title = [(TITLE, 0.0), (POSTER.site, 0.0)];
        for (line, _) in title.into_iter().chain(instructions(&POSTER)) {
            for c in line.chars().filter(|c| !c.is_whitespace()) {
                assert_ne!(fonts.for_char(c).glyph_id(c).0, 0, "{c:?} in {line:?}");
            }
        }
    }

    #[test]
    fn the_pdf_is_one_a4_page_with_a_consistent_cross_reference_table() {
        let bytes = pdf(&POSTER).unwrap();
        assert!(bytes.starts_with(b"%PDF-1.4"));
        assert!(bytes.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/MediaBox [0 0 595.28 841.89]"));
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(bytes[start..].starts_with(b"xref\n0 6\n"));
        // Every object the table points at starts where it says.
        let table = String::from_utf8_lossy(&bytes[start..]);
        for (i, line) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                bytes[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
    }

    #[test]
    fn an_ndef_uri_record_abbreviates_https() {
        assert_eq!(
            ndef_uri("https://a.cn/s/1"),
            [&[0xD1, 0x01, 9, b'U', 0x04][..], b"a.cn/s/1"].concat()
        );
        assert_eq!(ndef_uri("xg:1")[4], 0x00);
    }

    #[test]
    fn the_format_spec_quotes_the_ndef_record_this_code_writes() {
        let spec = include_str!("../../docs/FORMAT.md");
        let record = ndef_uri("https://pass.example.cn/s/12");
        let hex: Vec<String> = record.iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            spec.contains(&hex.join(" ")),
            "docs/FORMAT.md is out of date"
        );
    }
}
