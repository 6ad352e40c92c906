//! Fresh random values: key seeds, tokens, pseudonyms and code ids.

use sha2::{Digest, Sha256};

use crate::error::{IssuerError, Result};

/// Crockford's base32 alphabet: no I, L, O or U, so ids read aloud without confusion.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| IssuerError::Random(e.to_string()))?;
    Ok(out)
}

/// A new rider pseudonym: 12 Crockford base32 characters (60 random bits).
pub fn rider_pseudonym() -> Result<String> {
    let bytes = random_bytes::<12>()?;
    Ok(bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b & 31)]))
        .collect())
}

/// A new secret as 32 hex digits (128 random bits).
pub fn secret_hex() -> Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// What the database keeps of a secret: its SHA-256, so a stolen database grants nothing.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}
