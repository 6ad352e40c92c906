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
    use super::*;

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
