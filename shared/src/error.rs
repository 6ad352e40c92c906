//! Errors in reading the wire format and the signed lists.

use thiserror::Error;

use crate::ids::KeyId;
use crate::time::UnixTime;

/// Bytes or text that do not follow the v1 wire format (docs/FORMAT.md).
///
/// Every variant means the same thing to a guard ("malformed"); the detail is for the log
/// and for whoever debugs the encoder that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The input is longer than any valid one can be.
    #[error("input is {len} bytes long, longer than the {max} bytes accepted")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// Longest accepted.
        max: usize,
    },
    /// The text does not start with a Xiaoge Pass prefix (`XG1:`).
    #[error("text does not start with the prefix XG1:")]
    MissingPrefix,
    /// The text names a format version this build does not read.
    #[error("format version prefix {prefix:?} is not supported; this gate reads XG1:")]
    UnsupportedVersion {
        /// The prefix found, such as `XG2:`.
        prefix: String,
    },
    /// The text after the prefix is not Base45 (RFC 9285).
    #[error("text after the prefix is not valid Base45")]
    Base45,
    /// The bytes are not the CBOR or COSE structure expected.
    #[error("CBOR structure is invalid: {0}")]
    Cbor(String),
    /// A field has the wrong type or an out-of-range value.
    #[error("{field} is invalid: expected {expected}")]
    Invalid {
        /// The field, as the format spec names it.
        field: &'static str,
        /// What the format requires there.
        expected: &'static str,
    },
    /// A required field is absent.
    #[error("required {0} is missing")]
    Missing(&'static str),
    /// A field v1 does not define is present.
    #[error("{0} is not part of format v1")]
    Unexpected(String),
    /// The code names a holder device key (`cnf`): a mode v1 reserves but does not verify.
    #[error("holder-bound codes (cnf claim) are reserved for a later format version")]
    HolderBound,
    /// The status list's compressed bits do not inflate within bounds.
    #[error("status list bits are invalid: {0}")]
    Compression(String),
}

impl From<coset::CoseError> for FormatError {
    fn from(e: coset::CoseError) -> Self {
        Self::Cbor(e.to_string())
    }
}

/// Why a signed list (trust list or status list) was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ListError {
    /// The bytes are not a v1 list.
    #[error("list is malformed: {0}")]
    Format(#[from] FormatError),
    /// The list is signed by a key the gate does not hold.
    #[error("list is signed by unknown key {kid}")]
    UnknownKey {
        /// The key id in the list's header.
        kid: KeyId,
    },
    /// The signature does not verify: the list was altered or forged.
    #[error("list signature does not verify with key {kid}")]
    BadSignature {
        /// The key id in the list's header.
        kid: KeyId,
    },
    /// The signing key was not in its signing window when the list was issued.
    #[error("key {kid} was not valid for signing at {issued_at}")]
    KeyNotValidAtTime {
        /// The key id in the list's header.
        kid: KeyId,
        /// The list's issued-at time.
        issued_at: UnixTime,
    },
    /// The list names another issuer than the one the gate is enrolled with.
    #[error("list is from issuer {found:?}, expected {expected:?}")]
    WrongIssuer {
        /// The issuer the gate trusts.
        expected: String,
        /// The issuer named in the list.
        found: String,
    },
    /// The list is older than the one already held: a replayed old list.
    #[error("list issued at {offered} is older than the one held, issued at {held}")]
    Rollback {
        /// Issued-at of the list offered.
        offered: UnixTime,
        /// Issued-at of the list held.
        held: UnixTime,
    },
}
