//! The signed time token: the issuer's clock, signed and bound to the nonce of the gate's
//! request, so that a gate can trust it (it is fresh and it is the issuer's) and set a floor
//! under its own clock.

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind, Signed};
use crate::error::{FormatError, ListError};
use crate::keys::KeyPair;
use crate::pass::{ISSUER_MAX_LEN, claim};
use crate::time::UnixTime;
use crate::trust_list::{IssuerSigned, TrustList};

/// Length of the nonce a token echoes.
pub const NONCE_LEN: usize = 16;
/// Largest token accepted, in bytes.
pub const MAX_TIME_TOKEN_BYTES: usize = 1024;

/// The issuer's clock at the moment it answered a gate's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeToken {
    /// The issuer's name (`iss`).
    pub issuer: String,
    /// The issuer's clock (`iat`).
    pub time: UnixTime,
    /// The nonce of the gate's request (`cti`).
    pub nonce: [u8; NONCE_LEN],
}

impl TimeToken {
    /// Signs the token with an issuer key into tagged COSE_Sign1 bytes.
    #[must_use]
    pub fn sign(&self, key: &KeyPair) -> Vec<u8> {
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text(self.issuer.clone())),
            (cbor::int(claim::IAT), cbor::int(self.time.0)),
            (cbor::int(claim::CTI), Value::Bytes(self.nonce.to_vec())),
        ]);
        envelope::seal(Kind::TimeToken, key, cbor::to_vec(&claims))
    }

    /// Reads and checks a token signed by a key of `trust` that may sign at the token's time.
    pub fn open(bytes: &[u8], trust: &TrustList) -> Result<Self, ListError> {
        trust.open_signed(bytes)
    }
}

impl IssuerSigned for TimeToken {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn issued_at(&self) -> UnixTime {
        self.time
    }
}

impl Signed for TimeToken {
    const KIND: Kind = Kind::TimeToken;
    const MAX_BYTES: usize = MAX_TIME_TOKEN_BYTES;

    fn from_claims(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut claims = IntMap::read(cbor::from_slice(bytes)?, "time token claims")?;
        let issuer = cbor::text(claims.require(claim::ISS, "iss")?, "iss", ISSUER_MAX_LEN)?;
        let time = cbor::time(claims.require(claim::IAT, "iat")?, "iat")?;
        let nonce = cbor::bytes_exact::<NONCE_LEN>(claims.require(claim::CTI, "cti")?, "cti")?;
        claims.finish()?;
        Ok(Self {
            issuer,
            time,
            nonce,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IssuerKey;

    #[test]
    fn a_token_reads_back_only_with_a_listed_key_and_is_not_a_list() {
        let key = KeyPair::from_seed([2; 32]);
        let trust = TrustList {
            issuer: "xg".into(),
            issued_at: UnixTime(0),
            keys: vec![IssuerKey::new(key.public(), UnixTime(0), UnixTime(10_000))],
        };
        let token = TimeToken {
            issuer: "xg".into(),
            time: UnixTime(5_000),
            nonce: [9; NONCE_LEN],
        };
        let bytes = token.sign(&key);
        assert_eq!(TimeToken::open(&bytes, &trust).unwrap(), token);
        assert!(crate::StatusList::open(&bytes, &trust).is_err());
        let other = KeyPair::from_seed([3; 32]);
        assert!(TimeToken::open(&token.sign(&other), &trust).is_err());
    }
}
