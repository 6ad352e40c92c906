//! The site bundle: what a gate needs to know of its own site, chiefly the riders the site
//! has banned, signed by an issuer key like the status list.

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind, Signed};
use crate::error::{FormatError, ListError};
use crate::ids::{RiderId, SiteId};
use crate::keys::KeyPair;
use crate::pass::{ISSUER_MAX_LEN, claim};
use crate::time::UnixTime;
use crate::trust_list::{IssuerSigned, TrustList};

/// The private claim (private-use range) holding the site.
const SITE_CLAIM: i64 = -65539;

/// Keys inside the site claim.
mod site_key {
    pub const ID: i64 = 1;
    pub const NAME: i64 = 2;
    pub const BANNED: i64 = 3;
}

/// Most bans one bundle may carry.
pub const MAX_BANS: usize = 100_000;
/// Largest signed bundle accepted, in bytes.
pub const MAX_SITE_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// Longest site name, in bytes.
pub const SITE_NAME_MAX_LEN: usize = 200;

/// A site as its gates see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteBundle {
    /// The issuer's name (`iss`).
    pub issuer: String,
    /// When it was signed (`iat`).
    pub issued_at: UnixTime,
    /// The site.
    pub site: SiteId,
    /// The site's name.
    pub name: String,
    /// Riders the site has banned.
    pub banned: Vec<RiderId>,
}

impl SiteBundle {
    /// Signs the bundle with an issuer key into tagged COSE_Sign1 bytes.
    #[must_use]
    pub fn sign(&self, key: &KeyPair) -> Vec<u8> {
        let banned = self
            .banned
            .iter()
            .map(|r| Value::Text(r.as_str().to_owned()))
            .collect();
        let site = Value::Map(vec![
            (cbor::int(site_key::ID), cbor::int(self.site.0)),
            (cbor::int(site_key::NAME), Value::Text(self.name.clone())),
            (cbor::int(site_key::BANNED), Value::Array(banned)),
        ]);
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text(self.issuer.clone())),
            (cbor::int(claim::IAT), cbor::int(self.issued_at.0)),
            (cbor::int(SITE_CLAIM), site),
        ]);
        envelope::seal(Kind::SiteBundle, key, cbor::to_vec(&claims))
    }

    /// Reads and checks a bundle signed by a key of `trust`, valid when it was issued.
    pub fn open(bytes: &[u8], trust: &TrustList) -> Result<Self, ListError> {
        trust.open_signed(bytes)
    }
}

impl IssuerSigned for SiteBundle {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
}

impl Signed for SiteBundle {
    const KIND: Kind = Kind::SiteBundle;
    const MAX_BYTES: usize = MAX_SITE_BUNDLE_BYTES;

    fn from_claims(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut claims = IntMap::read(cbor::from_slice(bytes)?, "site bundle claims")?;
        let issuer = cbor::text(claims.require(claim::ISS, "iss")?, "iss", ISSUER_MAX_LEN)?;
        let issued_at = cbor::time(claims.require(claim::IAT, "iat")?, "iat")?;
        let mut site = IntMap::read(claims.require(SITE_CLAIM, "site")?, "site")?;
        claims.finish()?;
        let id = SiteId(cbor::uint(
            site.require(site_key::ID, "site id")?,
            "site id",
        )?);
        let name = cbor::text(
            site.require(site_key::NAME, "site name")?,
            "site name",
            SITE_NAME_MAX_LEN,
        )?;
        let Value::Array(list) = site.require(site_key::BANNED, "banned")? else {
            return Err(FormatError::Invalid {
                field: "banned",
                expected: "an array of rider ids",
            });
        };
        site.finish()?;
        if list.len() > MAX_BANS {
            return Err(FormatError::Invalid {
                field: "banned",
                expected: "at most 100000 rider ids",
            });
        }
        let banned = list
            .into_iter()
            .map(|v| match v {
                Value::Text(t) => RiderId::try_from(t),
                _ => Err(FormatError::Invalid {
                    field: "banned",
                    expected: "rider ids as text",
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            issuer,
            issued_at,
            site: id,
            name,
            banned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IssuerKey;

    #[test]
    fn a_bundle_reads_back_and_only_with_a_listed_key() {
        let key = KeyPair::from_seed([2; 32]);
        let trust = TrustList {
            issuer: "xg".into(),
            issued_at: UnixTime(0),
            keys: vec![IssuerKey::new(key.public(), UnixTime(0), UnixTime(10_000))],
        };
        let bundle = SiteBundle {
            issuer: "xg".into(),
            issued_at: UnixTime(5_000),
            site: SiteId(12),
            name: "翠苑一区".into(),
            banned: vec!["R1".parse().unwrap(), "R2".parse().unwrap()],
        };
        let bytes = bundle.sign(&key);
        assert_eq!(SiteBundle::open(&bytes, &trust).unwrap(), bundle);
        let other = KeyPair::from_seed([3; 32]);
        assert!(matches!(
            SiteBundle::open(&bundle.sign(&other), &trust),
            Err(ListError::UnknownKey { .. })
        ));
        let late = SiteBundle {
            issued_at: UnixTime(20_000),
            ..bundle
        };
        assert!(matches!(
            SiteBundle::open(&late.sign(&key), &trust),
            Err(ListError::KeyNotValidAtTime { .. })
        ));
    }
}
