//! Ed25519 key pairs and the issuer's published keys.

use std::fmt;

pub use ed25519_dalek::VerifyingKey;
use ed25519_dalek::{Signature, Signer, SigningKey};

use crate::error::FormatError;
use crate::ids::KeyId;
use crate::time::UnixTime;

/// An Ed25519 key pair (RFC 8032) with its derived key id.
///
/// The seed comes from the caller: this crate never draws randomness itself.
pub struct KeyPair {
    signing: SigningKey,
    kid: KeyId,
}

impl KeyPair {
    /// The key pair whose secret seed is `seed`.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let kid = KeyId::of(&signing.verifying_key());
        Self { signing, kid }
    }

    /// The secret seed, for storing the key pair.
    #[must_use]
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The key id of the public half.
    #[must_use]
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// The public half.
    #[must_use]
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Signs `message` (Ed25519 is deterministic: the same message gives the same signature).
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Reads a raw 32-byte Ed25519 public key, rejecting points that are not valid keys.
pub fn public_key_from_bytes(bytes: &[u8]) -> Result<VerifyingKey, FormatError> {
    let invalid = FormatError::Invalid {
        field: "public key",
        expected: "32 bytes of a valid Ed25519 point",
    };
    let raw: [u8; 32] = bytes.try_into().map_err(|_| invalid.clone())?;
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| invalid.clone())?;
    if key.is_weak() {
        return Err(invalid);
    }
    Ok(key)
}

/// Checks an Ed25519 signature strictly: no malleable signatures, no small-order keys.
#[must_use]
pub fn signature_valid(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(raw) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&raw))
        .is_ok()
}

/// An issuer signing key as the trust list publishes it.
///
/// A key signs codes and status lists issued from `valid_from` to `valid_until`, both
/// inclusive; it is published before `valid_from` so that every gate has it in time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKey {
    /// Key id, derived from `public`.
    pub kid: KeyId,
    /// The Ed25519 public key.
    pub public: VerifyingKey,
    /// First second at which the key may sign.
    pub valid_from: UnixTime,
    /// Last second at which the key may sign.
    pub valid_until: UnixTime,
}

impl IssuerKey {
    /// The published form of `key` with its signing window.
    #[must_use]
    pub fn new(public: VerifyingKey, valid_from: UnixTime, valid_until: UnixTime) -> Self {
        Self {
            kid: KeyId::of(&public),
            public,
            valid_from,
            valid_until,
        }
    }

    /// Whether something issued at `at` falls in this key's signing window.
    #[must_use]
    pub fn may_sign_at(&self, at: UnixTime) -> bool {
        self.valid_from <= at && at <= self.valid_until
    }
}
