//! The trust list: the issuer's signing keys, signed by the root key a gate pins at
//! enrollment.

use ed25519_dalek::VerifyingKey;

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind, Signed};
use crate::error::{FormatError, ListError};
use crate::ids::{KEY_ID_LEN, KeyId};
use crate::keys::{IssuerKey, KeyPair, public_key_from_bytes};
use crate::pass::{ISSUER_MAX_LEN, claim};
use crate::time::UnixTime;

/// The private claim (private-use range) holding the key entries.
const KEYS_CLAIM: i64 = -65538;

/// Keys of one key entry.
mod key_entry {
    pub const KID: i64 = 1;
    pub const PUBLIC: i64 = 2;
    pub const VALID_FROM: i64 = 3;
    pub const VALID_UNTIL: i64 = 4;
}

/// Most keys one trust list may hold.
pub const MAX_KEYS: usize = 64;
/// Largest trust list accepted, in bytes.
pub const MAX_TRUST_LIST_BYTES: usize = 16 * 1024;

/// The issuer's published signing keys at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustList {
    /// The issuer's name, as codes carry it in `iss`.
    pub issuer: String,
    /// When the list was signed.
    pub issued_at: UnixTime,
    /// Current, upcoming and recently retired signing keys.
    pub keys: Vec<IssuerKey>,
}

/// An object signed by an issuer key of a trust list: it names its issuer and the time it
/// was signed, which the key's signing window must cover.
pub(crate) trait IssuerSigned: Signed {
    /// The issuer it names (`iss`).
    fn issuer(&self) -> &str;
    /// When it was signed (`iat`).
    fn issued_at(&self) -> UnixTime;
}

impl TrustList {
    /// The key with id `kid`, if listed.
    #[must_use]
    pub fn key(&self, kid: KeyId) -> Option<&IssuerKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Signs the list with the root key into tagged COSE_Sign1 bytes.
    #[must_use]
    pub fn sign(&self, root: &KeyPair) -> Vec<u8> {
        let keys = self
            .keys
            .iter()
            .map(|k| {
                Value::Map(vec![
                    (cbor::int(key_entry::KID), Value::Bytes(k.kid.0.to_vec())),
                    (
                        cbor::int(key_entry::PUBLIC),
                        Value::Bytes(k.public.as_bytes().to_vec()),
                    ),
                    (cbor::int(key_entry::VALID_FROM), cbor::int(k.valid_from.0)),
                    (
                        cbor::int(key_entry::VALID_UNTIL),
                        cbor::int(k.valid_until.0),
                    ),
                ])
            })
            .collect();
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text(self.issuer.clone())),
            (cbor::int(claim::IAT), cbor::int(self.issued_at.0)),
            (cbor::int(KEYS_CLAIM), Value::Array(keys)),
        ]);
        envelope::seal(Kind::TrustList, root, cbor::to_vec(&claims))
    }

    /// Reads and checks a trust list signed by `root`.
    pub fn open(bytes: &[u8], root: &VerifyingKey) -> Result<Self, ListError> {
        let envelope = envelope::read::<Self>(bytes)?;
        if envelope.kid != KeyId::of(root) {
            return Err(ListError::UnknownKey { kid: envelope.kid });
        }
        if !envelope.signed_by(root) {
            return Err(ListError::BadSignature { kid: envelope.kid });
        }
        Ok(Self::from_claims(&envelope.payload)?)
    }

    /// Reads and checks an object signed by one of this list's keys: the key is listed, the
    /// signature verifies, the claims read, the key could sign at the object's own time, and
    /// the object names this list's issuer — in that order, for every kind of object.
    pub(crate) fn open_signed<T: IssuerSigned>(&self, bytes: &[u8]) -> Result<T, ListError> {
        let envelope = envelope::read::<T>(bytes)?;
        let key = self
            .key(envelope.kid)
            .ok_or(ListError::UnknownKey { kid: envelope.kid })?;
        if !envelope.signed_by(&key.public) {
            return Err(ListError::BadSignature { kid: envelope.kid });
        }
        let object = T::from_claims(&envelope.payload)?;
        if !key.may_sign_at(object.issued_at()) {
            return Err(ListError::KeyNotValidAtTime {
                kid: key.kid,
                issued_at: object.issued_at(),
            });
        }
        if object.issuer() != self.issuer {
            return Err(ListError::WrongIssuer {
                expected: self.issuer.clone(),
                found: object.issuer().to_owned(),
            });
        }
        Ok(object)
    }
}

impl Signed for TrustList {
    const KIND: Kind = Kind::TrustList;
    const MAX_BYTES: usize = MAX_TRUST_LIST_BYTES;

    fn from_claims(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut claims = IntMap::read(cbor::from_slice(bytes)?, "trust list claims")?;
        let issuer = cbor::text(claims.require(claim::ISS, "iss")?, "iss", ISSUER_MAX_LEN)?;
        let issued_at = cbor::time(claims.require(claim::IAT, "iat")?, "iat")?;
        let Value::Array(entries) = claims.require(KEYS_CLAIM, "keys")? else {
            return Err(FormatError::Invalid {
                field: "keys",
                expected: "an array of key entries",
            });
        };
        claims.finish()?;
        if entries.len() > MAX_KEYS {
            return Err(FormatError::Invalid {
                field: "keys",
                expected: "at most 64 key entries",
            });
        }
        let mut keys: Vec<IssuerKey> = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = read_key_entry(entry)?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(FormatError::Invalid {
                    field: "keys",
                    expected: "distinct key ids",
                });
            }
            keys.push(key);
        }
        Ok(Self {
            issuer,
            issued_at,
            keys,
        })
    }
}

fn read_key_entry(entry: Value) -> Result<IssuerKey, FormatError> {
    let mut fields = IntMap::read(entry, "key entry")?;
    let kid = KeyId(cbor::bytes_exact::<KEY_ID_LEN>(
        fields.require(key_entry::KID, "key entry kid")?,
        "key entry kid",
    )?);
    let public = public_key_from_bytes(&cbor::bytes_exact::<32>(
        fields.require(key_entry::PUBLIC, "key entry public key")?,
        "key entry public key",
    )?)?;
    let valid_from = cbor::time(
        fields.require(key_entry::VALID_FROM, "key entry valid-from")?,
        "key entry valid-from",
    )?;
    let valid_until = cbor::time(
        fields.require(key_entry::VALID_UNTIL, "key entry valid-until")?,
        "key entry valid-until",
    )?;
    fields.finish()?;
    if kid != KeyId::of(&public) {
        return Err(FormatError::Invalid {
            field: "key entry kid",
            expected: "the first 8 bytes of SHA-256 of the public key",
        });
    }
    if valid_until < valid_from {
        return Err(FormatError::Invalid {
            field: "key entry validity",
            expected: "valid-from <= valid-until",
        });
    }
    Ok(IssuerKey {
        kid,
        public,
        valid_from,
        valid_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RiderId, SiteBundle, SiteId, StatusList, TimeToken, status_list::StatusBits};

    const WINDOW: (UnixTime, UnixTime) = (UnixTime(1_000), UnixTime(2_000));

    /// How each issuer-signed kind is opened by `trust`, after signing at `at` as `iss`.
    type Opener = fn(&KeyPair, &str, UnixTime, &TrustList) -> Result<(), ListError>;

    fn openers() -> [(&'static str, Opener); 3] {
        [
            ("site bundle", |key, iss, at, trust| {
                let bundle = SiteBundle {
                    issuer: iss.into(),
                    issued_at: at,
                    site: SiteId(7),
                    name: "翠苑一区".into(),
                    banned: vec![RiderId::try_from("R1".to_owned()).unwrap()],
                    buildings: vec!["15幢".into()],
                    platforms: vec!["美团".into()],
                };
                SiteBundle::open(&bundle.sign(key), trust).map(drop)
            }),
            ("status list", |key, iss, at, trust| {
                let list = StatusList {
                    issuer: iss.into(),
                    uri: "https://xg.example/v1/status-list".into(),
                    issued_at: at,
                    ttl: 3_600,
                    bits: StatusBits::new(8),
                };
                StatusList::open(&list.sign(key), trust).map(drop)
            }),
            ("time token", |key, iss, at, trust| {
                let token = TimeToken {
                    issuer: iss.into(),
                    time: at,
                    nonce: [5; 16],
                };
                TimeToken::open(&token.sign(key), trust).map(drop)
            }),
        ]
    }

    #[test]
    fn every_issuer_signed_kind_is_refused_for_the_same_reasons_in_the_same_order() {
        let key = KeyPair::from_seed([4; 32]);
        let stranger = KeyPair::from_seed([5; 32]);
        let trust = TrustList {
            issuer: "xg".into(),
            issued_at: UnixTime(0),
            keys: vec![IssuerKey::new(key.public(), WINDOW.0, WINDOW.1)],
        };
        let inside = UnixTime(1_500);
        for (kind, open) in openers() {
            assert!(open(&key, "xg", inside, &trust).is_ok(), "{kind}");
            // An unknown key is named before the issuer or the time is looked at.
            assert!(
                matches!(
                    open(&stranger, "other", UnixTime(9_999), &trust),
                    Err(ListError::UnknownKey { kid }) if kid == stranger.kid()
                ),
                "{kind}"
            );
            // The key's window is checked before the issuer's name.
            assert!(
                matches!(
                    open(&key, "other", UnixTime(2_500), &trust),
                    Err(ListError::KeyNotValidAtTime { issued_at, .. }) if issued_at == UnixTime(2_500)
                ),
                "{kind}"
            );
            assert!(
                matches!(
                    open(&key, "other", inside, &trust),
                    Err(ListError::WrongIssuer { found, .. }) if found == "other"
                ),
                "{kind}"
            );
        }
    }
}
