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
    let mut input = format!("XG-GATE-REQUEST-1\n{method}\n{path_and_query}\n{time}\n{nonce}\n")
        .into_bytes();
    for b in body_hash {
        input.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    input
}

/// Whether `nonce` has the required form: 32 lowercase hexadecimal digits.
#[must_use]
pub fn nonce_well_formed(nonce: &str) -> bool {
    nonce.len() == 32 && nonce.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
