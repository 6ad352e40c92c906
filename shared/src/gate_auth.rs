//! How a gate signs its requests to the issuer, so that no gate can act as another.
//!
//! The gate signs, with the Ed25519 key it registered at enrollment, a fixed text made of
//! the method, the path with its query, the time, a fresh nonce and the SHA-256 of the body.
//! The issuer checks the signature, refuses a time far from its own and refuses a nonce it
//! has seen, so a captured request cannot be replayed.

use sha2::{Digest, Sha256};

/// Header naming the gate id.
pub const GATE_HEADER: &str = "x-xg-gate";
/// Header with the request time, in seconds since 1970.
pub const TIME_HEADER: &str = "x-xg-time";
/// Header with a fresh random nonce: 32 hexadecimal digits.
pub const NONCE_HEADER: &str = "x-xg-nonce";
/// Header with the Ed25519 signature, in hexadecimal.
pub const SIGNATURE_HEADER: &str = "x-xg-signature";
/// How far, in seconds, a request's time may be from the issuer's clock.
pub const MAX_REQUEST_AGE: i64 = 300;

/// The bytes a gate signs for one request.
#[must_use]
pub fn signing_input(
    method: &str,
    path_and_query: &str,
    time: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let body_hash = Sha256::digest(body);
    let mut input =
        format!("XG-GATE-REQUEST-1\n{method}\n{path_and_query}\n{time}\n{nonce}\n").into_bytes();
    for b in body_hash {
        input.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    input
}

/// Whether `nonce` has the required form: 32 lowercase hexadecimal digits.
#[must_use]
pub fn nonce_well_formed(nonce: &str) -> bool {
    nonce.len() == 32
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The four signature headers of a gate request, read into what they mean.
///
/// [`GateAuthHeaders::parse`] is the one reader of these headers, so that every route of the
/// issuer refuses the same malformed values with the same words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateAuthHeaders {
    /// The gate id ([`GATE_HEADER`]).
    pub gate: u64,
    /// The request time in seconds since 1970 ([`TIME_HEADER`]).
    pub time: i64,
    /// The request's nonce ([`NONCE_HEADER`]).
    pub nonce: Nonce,
    /// The Ed25519 signature over [`signing_input`] ([`SIGNATURE_HEADER`]).
    pub signature: [u8; 64],
}

/// A request nonce: 32 lowercase hexadecimal digits, the form [`nonce_well_formed`] checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nonce(String);

/// A signature header that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GateAuthError {
    /// The header is absent.
    #[error("header {header} is missing")]
    Missing {
        /// The header's name.
        header: &'static str,
    },
    /// The header is present but its value is not of the form the format requires.
    #[error("header {header} is {value:?}: expected {expected}")]
    Malformed {
        /// The header's name.
        header: &'static str,
        /// The value received, cut to its first 80 characters.
        value: String,
        /// What the format requires.
        expected: &'static str,
    },
}

// What each header must hold, in the words of the errors.
const GATE_FORM: &str = "a gate id in decimal digits";
const TIME_FORM: &str = "whole seconds since 1970 in decimal digits";
const NONCE_FORM: &str = "32 lowercase hexadecimal digits";
const SIGNATURE_FORM: &str = "an Ed25519 signature in 128 hexadecimal digits";

/// How much of a malformed value an error repeats: enough to recognise it, while a header
/// of kilobytes does not make an answer or a log line of kilobytes.
const SHOWN_VALUE_CHARS: usize = 80;

impl Nonce {
    /// Reads a nonce, refusing anything but 32 lowercase hexadecimal digits.
    pub fn parse(text: &str) -> Result<Self, GateAuthError> {
        if nonce_well_formed(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(malformed(NONCE_HEADER, text.as_bytes(), NONCE_FORM))
        }
    }

    /// The nonce of 16 random bytes, as the gate makes one for each request.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(lower_hex(&bytes))
    }

    /// The nonce's 32 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl GateAuthHeaders {
    /// Reads the four headers, each looked up by name through `header` as the raw bytes of
    /// its value; the first one absent or malformed is named in the error.
    pub fn parse<'a>(
        header: impl Fn(&'static str) -> Option<&'a [u8]>,
    ) -> Result<Self, GateAuthError> {
        let text = |name: &'static str, expected: &'static str| {
            let bytes = header(name).ok_or(GateAuthError::Missing { header: name })?;
            std::str::from_utf8(bytes).map_err(|_| malformed(name, bytes, expected))
        };
        let gate = text(GATE_HEADER, GATE_FORM)?;
        let gate = gate
            .parse()
            .map_err(|_| malformed(GATE_HEADER, gate.as_bytes(), GATE_FORM))?;
        let time = text(TIME_HEADER, TIME_FORM)?;
        let time = time
            .parse()
            .map_err(|_| malformed(TIME_HEADER, time.as_bytes(), TIME_FORM))?;
        let nonce = Nonce::parse(text(NONCE_HEADER, NONCE_FORM)?)?;
        let signature = text(SIGNATURE_HEADER, SIGNATURE_FORM)?;
        let signature = decode_signature(signature)
            .ok_or_else(|| malformed(SIGNATURE_HEADER, signature.as_bytes(), SIGNATURE_FORM))?;
        Ok(Self {
            gate,
            time,
            nonce,
            signature,
        })
    }

    /// The four headers as a gate sends them, which [`GateAuthHeaders::parse`] reads back.
    #[must_use]
    pub fn values(&self) -> [(&'static str, String); 4] {
        [
            (GATE_HEADER, self.gate.to_string()),
            (TIME_HEADER, self.time.to_string()),
            (NONCE_HEADER, self.nonce.to_string()),
            (SIGNATURE_HEADER, lower_hex(&self.signature)),
        ]
    }
}

/// Bytes as lowercase hexadecimal digits, the form of the nonce and signature headers.
fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn malformed(header: &'static str, value: &[u8], expected: &'static str) -> GateAuthError {
    GateAuthError::Malformed {
        header,
        value: String::from_utf8_lossy(value)
            .chars()
            .take(SHOWN_VALUE_CHARS)
            .collect(),
        expected,
    }
}

/// 64 bytes from 128 hexadecimal digits of either case.
fn decode_signature(text: &str) -> Option<[u8; 64]> {
    let digits = text.as_bytes();
    // `from_str_radix` alone would also take a sign: only digits are the format.
    if digits.len() != 128 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 64];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// A one-time enrollment token: `xge1_<secret>_<root fingerprint>`, each 32 hex digits.
///
/// The fingerprint lets a new gate check that the issuer it reached holds the root key the
/// operator meant, before it pins that key.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentToken {
    /// The secret the issuer stores only as a hash.
    pub secret: String,
    /// [`root_fingerprint`] of the issuer's root key.
    pub root_fingerprint: String,
}

impl std::fmt::Debug for EnrollmentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentToken")
            .field("root_fingerprint", &self.root_fingerprint)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for EnrollmentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "xge1_{}_{}", self.secret, self.root_fingerprint)
    }
}

impl std::str::FromStr for EnrollmentToken {
    type Err = crate::FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex32 = |p: &str| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit());
        let mut parts = s.trim().split('_');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("xge1"), Some(secret), Some(fp), None) if hex32(secret) && hex32(fp) => {
                Ok(Self {
                    secret: secret.to_owned(),
                    root_fingerprint: fp.to_ascii_lowercase(),
                })
            }
            _ => Err(crate::FormatError::Invalid {
                field: "enrollment token",
                expected: "xge1_<32 hex digits>_<32 hex digits>",
            }),
        }
    }
}

/// The fingerprint of a root key: the first 16 bytes of SHA-256 of its raw bytes, in hex.
#[must_use]
pub fn root_fingerprint(root: &crate::keys::VerifyingKey) -> String {
    let digest = Sha256::digest(root.as_bytes());
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A lookup over `values`, as the issuer's extractor looks up a request's headers.
    fn lookup<'a>(
        values: &'a [(&'static str, Vec<u8>)],
    ) -> impl Fn(&'static str) -> Option<&'a [u8]> {
        move |name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_slice())
        }
    }

    fn sent(headers: &GateAuthHeaders) -> Vec<(&'static str, Vec<u8>)> {
        headers
            .values()
            .into_iter()
            .map(|(n, v)| (n, v.into_bytes()))
            .collect()
    }

    fn sample() -> GateAuthHeaders {
        GateAuthHeaders {
            gate: 7,
            time: 1_780_000_000,
            nonce: Nonce::parse(&"0a".repeat(16)).unwrap(),
            signature: [0xab; 64],
        }
    }

    #[test]
    fn headers_read_back_what_a_gate_sends() {
        let headers = sample();
        let values = sent(&headers);
        assert_eq!(values[3].1, "ab".repeat(64).into_bytes());
        assert_eq!(GateAuthHeaders::parse(lookup(&values)), Ok(headers));
        // Hexadecimal of either case is a signature; a nonce is lowercase only.
        let mut upper = values.clone();
        upper[3].1 = "AB".repeat(64).into_bytes();
        assert_eq!(GateAuthHeaders::parse(lookup(&upper)), Ok(sample()));
    }

    #[test]
    fn a_missing_header_is_named() {
        for skipped in [GATE_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER] {
            let mut values = sent(&sample());
            values.retain(|(n, _)| *n != skipped);
            let error = GateAuthHeaders::parse(lookup(&values)).unwrap_err();
            assert_eq!(error, GateAuthError::Missing { header: skipped });
            assert_eq!(error.to_string(), format!("header {skipped} is missing"));
        }
    }

    #[test]
    fn a_malformed_header_is_named_with_its_value_and_what_was_expected() {
        let long = "9".repeat(500);
        for (header, value, expected) in [
            (GATE_HEADER, "east", GATE_FORM),
            (GATE_HEADER, "-1", GATE_FORM),
            (GATE_HEADER, "18446744073709551616", GATE_FORM),
            (TIME_HEADER, "1.5", TIME_FORM),
            (TIME_HEADER, "", TIME_FORM),
            (TIME_HEADER, &long, TIME_FORM),
            (NONCE_HEADER, &"0A".repeat(16), NONCE_FORM),
            (NONCE_HEADER, &"0a".repeat(15), NONCE_FORM),
            (SIGNATURE_HEADER, &"ab".repeat(63), SIGNATURE_FORM),
            (SIGNATURE_HEADER, &"+f".repeat(64), SIGNATURE_FORM),
            (SIGNATURE_HEADER, &"zz".repeat(64), SIGNATURE_FORM),
        ] {
            let mut values = sent(&sample());
            for (n, v) in &mut values {
                if *n == header {
                    *v = value.as_bytes().to_vec();
                }
            }
            let error = GateAuthHeaders::parse(lookup(&values)).unwrap_err();
            let shown: String = value.chars().take(80).collect();
            assert_eq!(
                error,
                GateAuthError::Malformed {
                    header,
                    value: shown.clone(),
                    expected
                },
                "{header}: {value}"
            );
            assert_eq!(
                error.to_string(),
                format!("header {header} is {shown:?}: expected {expected}")
            );
        }
    }

    #[test]
    fn a_value_that_is_not_utf8_is_malformed_not_missing() {
        let mut values = sent(&sample());
        values[0].1 = vec![b'7', 0xff];
        let error = GateAuthHeaders::parse(lookup(&values)).unwrap_err();
        assert!(
            matches!(&error, GateAuthError::Malformed { header: GATE_HEADER, value, .. } if value == "7\u{fffd}"),
            "{error:?}"
        );
    }

    proptest! {
        #[test]
        fn parsing_any_values_never_panics_and_what_it_reads_is_sent_back_the_same(
            values in proptest::collection::vec(
                (
                    prop::sample::select(vec![GATE_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER]),
                    prop_oneof![
                        proptest::collection::vec(any::<u8>(), 0..200),
                        "[0-9a-fA-F+-]{0,130}".prop_map(String::into_bytes),
                    ],
                ),
                0..6,
            )
        ) {
            if let Ok(headers) = GateAuthHeaders::parse(lookup(&values)) {
                prop_assert_eq!(GateAuthHeaders::parse(lookup(&sent(&headers))), Ok(headers));
            }
        }

        #[test]
        fn every_request_a_gate_can_sign_reads_back(
            gate in any::<u64>(),
            time in any::<i64>(),
            nonce in any::<[u8; 16]>(),
            signature in proptest::collection::vec(any::<u8>(), 64),
        ) {
            let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
            let headers = GateAuthHeaders {
                gate,
                time,
                nonce: Nonce::parse(&nonce).unwrap(),
                signature: signature.try_into().unwrap(),
            };
            prop_assert_eq!(GateAuthHeaders::parse(lookup(&sent(&headers))), Ok(headers));
        }
    }

    #[test]
    fn tokens_read_back_and_refuse_other_shapes() {
        let token = EnrollmentToken {
            secret: "01".repeat(16),
            root_fingerprint: "ab".repeat(16),
        };
        assert_eq!(token.to_string().parse::<EnrollmentToken>().unwrap(), token);
        for bad in [
            "",
            "xge1_short_x",
            "xge2_0101_abab",
            &format!("{token}_extra"),
        ] {
            assert!(bad.parse::<EnrollmentToken>().is_err(), "{bad}");
        }
    }
}
