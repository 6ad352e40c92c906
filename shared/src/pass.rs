//! The claims of a rider code: a CWT claims set (RFC 8392) with one private claim.

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind};
use crate::error::FormatError;
use crate::ids::{CODE_ID_LEN, CodeId, KeyId, RiderId, SiteId};
use crate::keys::KeyPair;
use crate::qr_text;
use crate::time::UnixTime;

/// CWT claim keys (RFC 8392 §4, and RFC 8747 for `cnf`).
pub(crate) mod claim {
    pub const ISS: i64 = 1;
    pub const SUB: i64 = 2;
    pub const EXP: i64 = 4;
    pub const NBF: i64 = 5;
    pub const IAT: i64 = 6;
    pub const CTI: i64 = 7;
    /// Reserved for the holder-bound mode; a v1 reader refuses a code that has it.
    pub const CNF: i64 = 8;
    /// The private claim (private-use range, below -65536) holding the rider fields.
    pub const RIDER: i64 = -65537;
}

/// Keys inside the private rider claim.
mod rider_key {
    pub const NAME: i64 = 1;
    pub const PLATFORM: i64 = 2;
    pub const STATUS_INDEX: i64 = 3;
    pub const SITE: i64 = 4;
}

/// Longest issuer name, in bytes.
pub const ISSUER_MAX_LEN: usize = 64;
/// Longest masked display name, in bytes (16 CJK characters).
pub const NAME_MAX_LEN: usize = 48;
/// Longest platform name, in bytes.
pub const PLATFORM_MAX_LEN: usize = 48;
/// Default lifetime of a code, in seconds.
pub const DEFAULT_LIFETIME: i64 = 120;

/// What a rider code says: who, from which platform, for which site, and when it is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    /// The issuer's name (`iss`), the same as in the trust list.
    pub issuer: String,
    /// The rider's pseudonym (`sub`).
    pub rider: RiderId,
    /// The masked display name, such as 黄**.
    pub name: String,
    /// The delivery platform's display name.
    pub platform: String,
    /// The rider's index in the revocation status list.
    pub status_index: u32,
    /// The site the code is bound to, if it was minted for one.
    pub site: Option<SiteId>,
    /// When the code was signed (`iat`).
    pub issued_at: UnixTime,
    /// Start of validity (`nbf`).
    pub not_before: UnixTime,
    /// End of validity (`exp`): the code is refused from this second on.
    pub expires_at: UnixTime,
    /// The code's unique id (`cti`).
    pub code_id: CodeId,
}

impl Pass {
    /// Signs this pass with `key` and returns the QR text.
    pub fn mint(&self, key: &KeyPair) -> Result<String, FormatError> {
        self.check()?;
        let cose = envelope::seal(Kind::Code, key, self.to_claims());
        Ok(qr_text::encode(&cose))
    }

    fn check(&self) -> Result<(), FormatError> {
        let too_long = |field, len, max| {
            (len == 0 || len > max).then_some(FormatError::Invalid {
                field,
                expected: "a non-empty text string of bounded length",
            })
        };
        if let Some(e) = too_long("iss", self.issuer.len(), ISSUER_MAX_LEN)
            .or_else(|| too_long("name", self.name.len(), NAME_MAX_LEN))
            .or_else(|| too_long("platform", self.platform.len(), PLATFORM_MAX_LEN))
        {
            return Err(e);
        }
        if self.not_before < self.issued_at || self.expires_at <= self.not_before {
            return Err(FormatError::Invalid {
                field: "iat, nbf, exp",
                expected: "iat <= nbf < exp",
            });
        }
        Ok(())
    }

    fn to_claims(&self) -> Vec<u8> {
        let mut rider = vec![
            (cbor::int(rider_key::NAME), Value::Text(self.name.clone())),
            (
                cbor::int(rider_key::PLATFORM),
                Value::Text(self.platform.clone()),
            ),
            (
                cbor::int(rider_key::STATUS_INDEX),
                cbor::int(self.status_index),
            ),
        ];
        if let Some(site) = self.site {
            rider.push((cbor::int(rider_key::SITE), cbor::int(site.0)));
        }
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text(self.issuer.clone())),
            (
                cbor::int(claim::SUB),
                Value::Text(self.rider.as_str().to_owned()),
            ),
            (cbor::int(claim::EXP), cbor::int(self.expires_at.0)),
            (cbor::int(claim::NBF), cbor::int(self.not_before.0)),
            (cbor::int(claim::IAT), cbor::int(self.issued_at.0)),
            (cbor::int(claim::CTI), Value::Bytes(self.code_id.0.to_vec())),
            (cbor::int(claim::RIDER), Value::Map(rider)),
        ]);
        cbor::to_vec(&claims)
    }

    fn from_claims(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut claims = IntMap::read(cbor::from_slice(bytes)?, "claims set")?;
        if claims.take(claim::CNF).is_some() {
            return Err(FormatError::HolderBound);
        }
        let issuer = cbor::text(claims.require(claim::ISS, "iss")?, "iss", ISSUER_MAX_LEN)?;
        let rider = match claims.require(claim::SUB, "sub")? {
            Value::Text(t) => RiderId::try_from(t)?,
            _ => {
                return Err(FormatError::Invalid {
                    field: "sub",
                    expected: "a text string",
                });
            }
        };
        let expires_at = cbor::time(claims.require(claim::EXP, "exp")?, "exp")?;
        let not_before = cbor::time(claims.require(claim::NBF, "nbf")?, "nbf")?;
        let issued_at = cbor::time(claims.require(claim::IAT, "iat")?, "iat")?;
        let code_id = CodeId(cbor::bytes_exact::<CODE_ID_LEN>(
            claims.require(claim::CTI, "cti")?,
            "cti",
        )?);
        let mut fields = IntMap::read(
            claims.require(claim::RIDER, "rider claim (-65537)")?,
            "rider claim (-65537)",
        )?;
        claims.finish()?;
        let name = cbor::text(
            fields.require(rider_key::NAME, "name")?,
            "name",
            NAME_MAX_LEN,
        )?;
        let platform = cbor::text(
            fields.require(rider_key::PLATFORM, "platform")?,
            "platform",
            PLATFORM_MAX_LEN,
        )?;
        let status_index = u32::try_from(cbor::uint(
            fields.require(rider_key::STATUS_INDEX, "status index")?,
            "status index",
        )?)
        .map_err(|_| FormatError::Invalid {
            field: "status index",
            expected: "an unsigned integer below 2^32",
        })?;
        let site = fields
            .take(rider_key::SITE)
            .map(|v| cbor::uint(v, "site").map(SiteId))
            .transpose()?;
        fields.finish()?;
        let pass = Self {
            issuer,
            rider,
            name,
            platform,
            status_index,
            site,
            issued_at,
            not_before,
            expires_at,
            code_id,
        };
        pass.check()?;
        Ok(pass)
    }
}

/// A code read from its QR text whose signature is not checked yet.
#[derive(Debug)]
pub(crate) struct UncheckedCode {
    envelope: envelope::Envelope,
}

impl UncheckedCode {
    /// Reads the QR text down to the COSE envelope.
    pub fn read(text: &str) -> Result<Self, FormatError> {
        let bytes = qr_text::decode(text)?;
        Ok(Self {
            envelope: envelope::open(&bytes, Kind::Code)?,
        })
    }

    /// The key id the code claims to be signed with.
    pub fn kid(&self) -> KeyId {
        self.envelope.kid
    }

    /// Whether the signature verifies with `key`.
    pub fn signed_by(&self, key: &ed25519_dalek::VerifyingKey) -> bool {
        self.envelope.signed_by(key)
    }

    /// The claims; call only after the signature has been checked.
    pub fn claims(&self) -> Result<Pass, FormatError> {
        Pass::from_claims(&self.envelope.payload)
    }
}

/// Reads what a code says without checking its signature: for diagnostics, never for a
/// verdict.
pub fn inspect(text: &str) -> Result<(KeyId, Pass), FormatError> {
    let code = UncheckedCode::read(text)?;
    Ok((code.kid(), code.claims()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Pass {
        Pass {
            issuer: "xg".into(),
            rider: RiderId::try_from("R1".to_owned()).unwrap(),
            name: "黄**".into(),
            platform: "饿了么".into(),
            status_index: 7,
            site: Some(SiteId(3)),
            issued_at: UnixTime(1_000),
            not_before: UnixTime(1_000),
            expires_at: UnixTime(1_120),
            code_id: CodeId([9; CODE_ID_LEN]),
        }
    }

    /// Re-signs `sample()` after `edit` changes its claims map.
    fn resigned(edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> String {
        let key = KeyPair::from_seed([7; 32]);
        let Value::Map(mut claims) = cbor::from_slice(&sample().to_claims()).unwrap() else {
            unreachable!("claims are a map")
        };
        edit(&mut claims);
        let cose = envelope::seal(Kind::Code, &key, cbor::to_vec(&Value::Map(claims)));
        qr_text::encode(&cose)
    }

    #[test]
    fn a_holder_bound_code_is_refused_by_v1() {
        let text = resigned(|claims| {
            claims.push((cbor::int(claim::CNF), Value::Map(vec![])));
        });
        assert_eq!(inspect(&text).unwrap_err(), FormatError::HolderBound);
    }

    #[test]
    fn an_unknown_claim_is_refused() {
        let text = resigned(|claims| claims.push((cbor::int(3), Value::Text("aud".into()))));
        assert!(matches!(inspect(&text), Err(FormatError::Unexpected(_))));
    }

    #[test]
    fn a_duplicate_claim_is_refused() {
        let text =
            resigned(|claims| claims.push((cbor::int(claim::ISS), Value::Text("xg".into()))));
        assert!(matches!(inspect(&text), Err(FormatError::Cbor(_))));
    }

    #[test]
    fn a_code_ending_before_it_starts_is_refused() {
        let bad = Pass {
            expires_at: UnixTime(999),
            ..sample()
        };
        assert!(bad.mint(&KeyPair::from_seed([7; 32])).is_err());
    }

    #[test]
    fn trailing_bytes_after_the_envelope_are_refused() {
        let text = sample().mint(&KeyPair::from_seed([7; 32])).unwrap();
        let mut cose = qr_text::decode(&text).unwrap();
        cose.push(0);
        assert!(matches!(
            UncheckedCode::read(&qr_text::encode(&cose)),
            Err(FormatError::Cbor(_))
        ));
    }
}
