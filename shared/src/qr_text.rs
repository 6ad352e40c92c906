//! The text a QR code carries: a version prefix and Base45 (RFC 9285) of the COSE bytes.
//!
//! Base45 keeps to QR alphanumeric mode, which other scanners do not transcode; the prefix
//! lets a later format (`XG2:`) live beside this one, as the EU certificate's `HC1:` does.

use crate::error::FormatError;

/// The prefix of format v1.
pub const PREFIX: &str = "XG1:";

/// Longest text accepted: a v1 code is about 270 characters; this bounds work on junk.
pub const MAX_TEXT_LEN: usize = 1024;

/// The QR text for tagged COSE bytes.
#[must_use]
pub fn encode(cose: &[u8]) -> String {
    let mut text = String::with_capacity(PREFIX.len() + cose.len() * 3 / 2 + 2);
    text.push_str(PREFIX);
    text.push_str(&base45::encode(cose));
    text
}

/// The COSE bytes inside a v1 QR text.
pub fn decode(text: &str) -> Result<Vec<u8>, FormatError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(FormatError::TooLong {
            len: text.len(),
            max: MAX_TEXT_LEN,
        });
    }
    let Some(body) = text.strip_prefix(PREFIX) else {
        return Err(match version_prefix(text) {
            Some(prefix) => FormatError::UnsupportedVersion {
                prefix: prefix.to_owned(),
            },
            None => FormatError::MissingPrefix,
        });
    };
    base45::decode(body).map_err(|_| FormatError::Base45)
}

/// The `XG<digits>:` prefix of `text`, if it has one.
fn version_prefix(text: &str) -> Option<&str> {
    let digits = text
        .strip_prefix("XG")?
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let end = 2 + digits;
    (digits > 0 && digits <= 4 && text.as_bytes().get(end) == Some(&b':')).then(|| &text[..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bytes() {
        let bytes = [0xd2, 0x84, 0x00, 0xff, 0x10];
        let text = encode(&bytes);
        assert!(text.starts_with("XG1:"));
        assert_eq!(decode(&text).unwrap(), bytes);
    }

    #[test]
    fn tells_a_later_version_from_junk() {
        assert_eq!(
            decode("XG2:ABC"),
            Err(FormatError::UnsupportedVersion {
                prefix: "XG2:".into()
            })
        );
        assert_eq!(
            decode("XG12:ABC"),
            Err(FormatError::UnsupportedVersion {
                prefix: "XG12:".into()
            })
        );
        assert_eq!(decode("HC1:ABC"), Err(FormatError::MissingPrefix));
        assert_eq!(decode("XG:ABC"), Err(FormatError::MissingPrefix));
        assert_eq!(decode("XG1"), Err(FormatError::MissingPrefix));
        assert_eq!(decode("XG1:abc"), Err(FormatError::Base45));
    }

    #[test]
    fn refuses_overlong_text_before_decoding_it() {
        let text = format!("XG1:{}", "0".repeat(MAX_TEXT_LEN));
        assert!(matches!(decode(&text), Err(FormatError::TooLong { .. })));
    }
}
