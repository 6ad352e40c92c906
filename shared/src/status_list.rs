//! The revocation list, in the shape of the IETF OAuth Token Status List
//! (draft-ietf-oauth-status-list): a signed CWT holding a zlib-compressed array of 2-bit
//! statuses, one per rider's status index.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind, Signed};
use crate::error::{FormatError, ListError};
use crate::pass::{ISSUER_MAX_LEN, claim};
use crate::time::UnixTime;
use crate::trust_list::{IssuerSigned, TrustList};

/// Claim keys the draft registers for CWTs.
mod list_claim {
    pub const STATUS_LIST: i64 = 65533;
    pub const TTL: i64 = 65534;
}

/// Bits per status in the lists this crate writes (the draft allows 1, 2, 4 or 8).
pub const BITS: u8 = 2;
/// Most statuses a list may hold once inflated: bounds memory against a zlib bomb.
pub const MAX_ENTRIES: usize = 1 << 24;
/// Largest signed status list accepted, in bytes.
pub const MAX_STATUS_LIST_BYTES: usize = 4 * 1024 * 1024;
/// Longest list URI, in bytes.
pub const URI_MAX_LEN: usize = 256;

/// A rider's status as the list records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiderStatus {
    /// 0: allowed.
    Valid,
    /// 1: revoked by the platform or the issuer; final.
    Revoked,
    /// 2: suspended; may be reinstated.
    Suspended,
}

impl RiderStatus {
    /// The value the list stores.
    #[must_use]
    pub const fn value(self) -> u8 {
        match self {
            RiderStatus::Valid => 0,
            RiderStatus::Revoked => 1,
            RiderStatus::Suspended => 2,
        }
    }

    /// Reads a stored value. 3 and above are unassigned in v1 and fail closed, as revoked.
    #[must_use]
    pub const fn from_value(value: u8) -> Self {
        match value {
            0 => RiderStatus::Valid,
            2 => RiderStatus::Suspended,
            _ => RiderStatus::Revoked,
        }
    }
}

/// A packed array of statuses: entry `i` sits at bit `(i * bits) % 8` of byte
/// `i * bits / 8`, least significant bits first, as the draft specifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusBits {
    bits: u8,
    bytes: Vec<u8>,
}

impl StatusBits {
    /// A list of `len` valid statuses (rounded up to whole bytes) at 2 bits each.
    #[must_use]
    pub fn new(len: usize) -> Self {
        let len = len.min(MAX_ENTRIES);
        Self {
            bits: BITS,
            bytes: vec![0; (len * usize::from(BITS)).div_ceil(8)],
        }
    }

    /// How many statuses the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / usize::from(self.bits)
    }

    /// Whether the list holds no status.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Sets the status at `index`, growing the list when needed; `false` if `index` is past
    /// [`MAX_ENTRIES`].
    pub fn set(&mut self, index: u32, status: RiderStatus) -> bool {
        let index = index as usize;
        if index >= MAX_ENTRIES {
            return false;
        }
        let bits = usize::from(self.bits);
        let byte = index * bits / 8;
        if byte >= self.bytes.len() {
            self.bytes.resize(byte + 1, 0);
        }
        let shift = (index * bits) % 8;
        let mask = ((1u16 << bits) - 1) as u8;
        self.bytes[byte] =
            (self.bytes[byte] & !(mask << shift)) | ((status.value() & mask) << shift);
        true
    }

    /// The status at `index`, or `None` for an index past the end of the list.
    ///
    /// The draft makes an index out of range an error, not "valid": the list may have been
    /// cut short, so nothing is known of that rider. The issuer pads the list so that riders
    /// registered since it was signed still fall inside it.
    #[must_use]
    pub fn status(&self, index: u32) -> Option<RiderStatus> {
        let bits = usize::from(self.bits);
        let index = index as usize;
        let byte = self.bytes.get(index * bits / 8)?;
        let shift = (index * bits) % 8;
        let mask = ((1u16 << bits) - 1) as u8;
        Some(RiderStatus::from_value((byte >> shift) & mask))
    }

    fn compress(&self) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        // Compressing into a Vec cannot fail: the only error source is the writer.
        encoder
            .write_all(&self.bytes)
            .and_then(|()| encoder.finish())
            .unwrap_or_else(|e| unreachable!("zlib into a Vec never fails: {e}"))
    }

    fn inflate(bits: u8, compressed: &[u8]) -> Result<Self, FormatError> {
        let max_bytes = MAX_ENTRIES * usize::from(bits) / 8;
        let mut bytes = Vec::new();
        ZlibDecoder::new(compressed)
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| FormatError::Compression(e.to_string()))?;
        if bytes.len() > max_bytes {
            return Err(FormatError::Compression(format!(
                "more than {MAX_ENTRIES} statuses"
            )));
        }
        Ok(Self { bits, bytes })
    }
}

/// A signed status list: who published it, where, when, and the statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusList {
    /// The issuer's name (`iss`).
    pub issuer: String,
    /// The URI the list is published at (`sub`), as the draft requires.
    pub uri: String,
    /// When the list was signed (`iat`): the gate's measure of how fresh it is.
    pub issued_at: UnixTime,
    /// How long, in seconds, a holder may use the list before fetching it again (`ttl`).
    pub ttl: u64,
    /// The statuses.
    pub bits: StatusBits,
}

impl StatusList {
    /// Signs the list with an issuer key into tagged COSE_Sign1 bytes.
    #[must_use]
    pub fn sign(&self, key: &crate::keys::KeyPair) -> Vec<u8> {
        let list = Value::Map(vec![
            (Value::Text("bits".into()), cbor::int(self.bits.bits)),
            (
                Value::Text("lst".into()),
                Value::Bytes(self.bits.compress()),
            ),
        ]);
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text(self.issuer.clone())),
            (cbor::int(claim::SUB), Value::Text(self.uri.clone())),
            (cbor::int(claim::IAT), cbor::int(self.issued_at.0)),
            (cbor::int(list_claim::STATUS_LIST), list),
            (cbor::int(list_claim::TTL), cbor::int(self.ttl)),
        ]);
        envelope::seal(Kind::StatusList, key, cbor::to_vec(&claims))
    }

    /// Reads and checks a status list signed by a key of `trust`, valid when it was issued.
    pub fn open(bytes: &[u8], trust: &TrustList) -> Result<Self, ListError> {
        trust.open_signed(bytes)
    }
}

impl IssuerSigned for StatusList {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
}

impl Signed for StatusList {
    const KIND: Kind = Kind::StatusList;
    const MAX_BYTES: usize = MAX_STATUS_LIST_BYTES;

    fn from_claims(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut claims = IntMap::read(cbor::from_slice(bytes)?, "status list claims")?;
        let issuer = cbor::text(claims.require(claim::ISS, "iss")?, "iss", ISSUER_MAX_LEN)?;
        let uri = cbor::text(claims.require(claim::SUB, "sub")?, "sub", URI_MAX_LEN)?;
        let issued_at = cbor::time(claims.require(claim::IAT, "iat")?, "iat")?;
        let ttl = cbor::uint(claims.require(list_claim::TTL, "ttl")?, "ttl")?;
        let list = claims.require(list_claim::STATUS_LIST, "status_list")?;
        claims.finish()?;
        let Value::Map(entries) = list else {
            return Err(FormatError::Invalid {
                field: "status_list",
                expected: "a map with bits and lst",
            });
        };
        let (mut bits, mut lst) = (None, None);
        for (key, value) in entries {
            match (key, value) {
                (Value::Text(k), v) if k == "bits" && bits.is_none() => bits = Some(v),
                (Value::Text(k), Value::Bytes(b)) if k == "lst" && lst.is_none() => lst = Some(b),
                _ => {
                    return Err(FormatError::Invalid {
                        field: "status_list",
                        expected: "exactly bits (1, 2, 4 or 8) and lst (bytes)",
                    });
                }
            }
        }
        let bits = match bits
            .map(|v| cbor::uint(v, "status_list bits"))
            .transpose()?
        {
            Some(b @ (1 | 2 | 4 | 8)) => b as u8,
            Some(_) => {
                return Err(FormatError::Invalid {
                    field: "status_list bits",
                    expected: "1, 2, 4 or 8",
                });
            }
            None => return Err(FormatError::Missing("status_list bits")),
        };
        let lst = lst.ok_or(FormatError::Missing("status_list lst"))?;
        Ok(Self {
            issuer,
            uri,
            issued_at,
            ttl,
            bits: StatusBits::inflate(bits, &lst)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_two_bit_statuses_least_significant_first() {
        let mut bits = StatusBits::new(8);
        assert!(bits.set(0, RiderStatus::Revoked));
        assert!(bits.set(3, RiderStatus::Suspended));
        assert!(bits.set(5, RiderStatus::Revoked));
        // Entries 0..4 in byte 0: 01 at bits 0-1 and 10 at bits 6-7.
        assert_eq!(bits.bytes, vec![0b1000_0001, 0b0000_0100]);
        assert_eq!(bits.status(0), Some(RiderStatus::Revoked));
        assert_eq!(bits.status(1), Some(RiderStatus::Valid));
        assert_eq!(bits.status(3), Some(RiderStatus::Suspended));
        assert_eq!(bits.status(5), Some(RiderStatus::Revoked));
        assert!(bits.set(5, RiderStatus::Valid));
        assert_eq!(bits.status(5), Some(RiderStatus::Valid));
    }

    #[test]
    fn an_index_past_the_end_is_unknown_not_valid() {
        let bits = StatusBits::new(4);
        assert_eq!(bits.status(3), Some(RiderStatus::Valid));
        assert_eq!(bits.status(4), None);
        assert_eq!(bits.status(1_000_000), None);
    }

    #[test]
    fn unassigned_values_fail_closed() {
        assert_eq!(RiderStatus::from_value(3), RiderStatus::Revoked);
    }

    #[test]
    fn refuses_a_zlib_bomb() {
        let huge = vec![0u8; MAX_ENTRIES / 4 + 10];
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&huge).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(matches!(
            StatusBits::inflate(2, &bomb),
            Err(FormatError::Compression(_))
        ));
    }
}
