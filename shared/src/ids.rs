//! Identifiers that travel in codes and lists.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::FormatError;

/// Length in bytes of a [`KeyId`].
pub const KEY_ID_LEN: usize = 8;
/// Length in bytes of a [`CodeId`].
pub const CODE_ID_LEN: usize = 8;
/// Longest rider pseudonym the format carries, in bytes.
pub const RIDER_ID_MAX_LEN: usize = 32;

/// Names a public key: the first 8 bytes of SHA-256 over its 32 raw bytes.
///
/// Derived rather than assigned, so that a list can be checked for a key id that does not
/// match its key, and two issuer processes never hand out the same id for different keys.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// The key id of `key`.
    #[must_use]
    pub fn of(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self(id)
    }

    /// Reads a key id from its bytes, as found in a COSE `kid` header.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, FormatError> {
        let id = bytes.try_into().map_err(|_| FormatError::Invalid {
            field: "kid",
            expected: "8 bytes",
        })?;
        Ok(Self(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The unique id of one minted code (the CWT `cti` claim): what a gate remembers to refuse
/// the same code twice.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodeId(pub [u8; CODE_ID_LEN]);

impl fmt::Display for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeId({self})")
    }
}

impl FromStr for CodeId {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = FormatError::Invalid {
            field: "code id",
            expected: "16 hexadecimal digits",
        };
        if s.len() != CODE_ID_LEN * 2 || !s.is_ascii() {
            return Err(invalid);
        }
        let mut id = [0u8; CODE_ID_LEN];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).map_err(|_| invalid.clone())?;
        }
        Ok(Self(id))
    }
}

/// A rider's stable pseudonym: the CWT `sub` claim, never the platform's own rider id.
///
/// One to 32 characters from `0-9`, `A-Z` and `-`, so that it reads aloud and prints safely.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RiderId(String);

impl RiderId {
    /// The pseudonym as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RiderId {
    type Error = FormatError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = !s.is_empty()
            && s.len() <= RIDER_ID_MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(FormatError::Invalid {
                field: "rider id",
                expected: "1 to 32 characters from 0-9, A-Z and -",
            })
        }
    }
}

impl FromStr for RiderId {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<RiderId> for String {
    fn from(id: RiderId) -> Self {
        id.0
    }
}

impl fmt::Display for RiderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RiderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RiderId({})", self.0)
    }
}

/// A site (小区, 商圈, 楼宇 or 园区) as the issuer numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub u64);

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}
