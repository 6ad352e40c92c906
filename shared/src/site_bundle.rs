//! The site bundle: what a gate needs to know of its own site, chiefly the riders the site
//! has banned, and the buildings and platforms its guard picks from when registering a rider
//! by hand; signed by an issuer key like the status list.

use crate::cbor::{self, IntMap, Value};
use crate::envelope::{self, Kind, Signed};
use crate::error::{FormatError, ListError};
use crate::ids::{RiderId, SiteId};
use crate::keys::KeyPair;
use crate::pass::{ISSUER_MAX_LEN, PLATFORM_MAX_LEN, claim};
use crate::time::UnixTime;
use crate::trust_list::{IssuerSigned, TrustList};

/// The private claim (private-use range) holding the site.
const SITE_CLAIM: i64 = -65539;

/// Keys inside the site claim.
mod site_key {
    pub const ID: i64 = 1;
    pub const NAME: i64 = 2;
    pub const BANNED: i64 = 3;
    pub const BUILDINGS: i64 = 4;
    pub const PLATFORMS: i64 = 5;
}

/// Most bans one bundle may carry.
pub const MAX_BANS: usize = 100_000;
/// Largest signed bundle accepted, in bytes.
pub const MAX_SITE_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// Longest site name, in bytes.
pub const SITE_NAME_MAX_LEN: usize = 200;
/// Most buildings one bundle may carry: the most one site's building guide holds.
pub const MAX_BUILDINGS: usize = 500;
/// Longest building name, in bytes.
pub const BUILDING_NAME_MAX_LEN: usize = 60;
/// Most platforms one bundle may carry: far past the province's dozen delivery platforms,
/// it only bounds what a gate reads.
pub const MAX_PLATFORMS: usize = 1_000;

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
    /// The site's buildings as riders and guards name them (such as 15幢), in the issuer's
    /// order; empty in a bundle signed before buildings were carried.
    pub buildings: Vec<String>,
    /// The display names of the platforms the issuer knows (such as 美团), in the order it
    /// added them; empty in a bundle signed before platforms were carried.
    pub platforms: Vec<String>,
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
        let mut site = vec![
            (cbor::int(site_key::ID), cbor::int(self.site.0)),
            (cbor::int(site_key::NAME), Value::Text(self.name.clone())),
            (cbor::int(site_key::BANNED), Value::Array(banned)),
        ];
        // An empty list is left out rather than written empty: the bundle of a site with
        // neither is then the bytes an older issuer wrote, which an older gate still reads.
        for (key, names) in [
            (site_key::BUILDINGS, &self.buildings),
            (site_key::PLATFORMS, &self.platforms),
        ] {
            if !names.is_empty() {
                let names = names.iter().map(|n| Value::Text(n.clone())).collect();
                site.push((cbor::int(key), Value::Array(names)));
            }
        }
        let site = Value::Map(site);
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
        let buildings = names(
            site.take(site_key::BUILDINGS),
            Names {
                field: "buildings",
                item: "building name",
                max_items: MAX_BUILDINGS,
                max_len: BUILDING_NAME_MAX_LEN,
                expected: "an array of at most 500 building names",
            },
        )?;
        let platforms = names(
            site.take(site_key::PLATFORMS),
            Names {
                field: "platforms",
                item: "platform name",
                max_items: MAX_PLATFORMS,
                max_len: PLATFORM_MAX_LEN,
                expected: "an array of at most 1000 platform names",
            },
        )?;
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
            buildings,
            platforms,
        })
    }
}

/// How one optional list of names in the site map is bounded and named in errors.
struct Names {
    field: &'static str,
    item: &'static str,
    max_items: usize,
    max_len: usize,
    expected: &'static str,
}

/// Reads an optional array of names. Absent is empty: bundles signed before the key existed
/// carry none, and must still open.
fn names(value: Option<Value>, rule: Names) -> Result<Vec<String>, FormatError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let invalid = FormatError::Invalid {
        field: rule.field,
        expected: rule.expected,
    };
    let Value::Array(list) = value else {
        return Err(invalid);
    };
    if list.len() > rule.max_items {
        return Err(invalid);
    }
    list.into_iter()
        .map(|v| cbor::text(v, rule.item, rule.max_len))
        .collect()
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
            buildings: vec!["1幢".into(), "15幢".into()],
            platforms: vec!["美团".into(), "饿了么".into()],
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

    fn trust(key: &KeyPair) -> TrustList {
        TrustList {
            issuer: "xg".into(),
            issued_at: UnixTime(0),
            keys: vec![IssuerKey::new(key.public(), UnixTime(0), UnixTime(10_000))],
        }
    }

    /// The site map of claims signed at 5,000 with `extra` after the bans, sealed by `key`.
    fn sealed_with(key: &KeyPair, extra: Vec<(Value, Value)>) -> Vec<u8> {
        let mut site = vec![
            (cbor::int(site_key::ID), cbor::int(12)),
            (cbor::int(site_key::NAME), Value::Text("翠苑一区".into())),
            (
                cbor::int(site_key::BANNED),
                Value::Array(vec![Value::Text("R1".into())]),
            ),
        ];
        site.extend(extra);
        let claims = Value::Map(vec![
            (cbor::int(claim::ISS), Value::Text("xg".into())),
            (cbor::int(claim::IAT), cbor::int(5_000)),
            (cbor::int(SITE_CLAIM), Value::Map(site)),
        ]);
        envelope::seal(Kind::SiteBundle, key, cbor::to_vec(&claims))
    }

    fn texts(names: &[&str]) -> Value {
        Value::Array(names.iter().map(|n| Value::Text((*n).into())).collect())
    }

    #[test]
    fn a_bundle_from_before_buildings_and_platforms_opens_with_empty_lists() {
        let key = KeyPair::from_seed([2; 32]);
        let old = SiteBundle::open(&sealed_with(&key, Vec::new()), &trust(&key)).unwrap();
        assert_eq!(old.banned, vec!["R1".parse::<RiderId>().unwrap()]);
        assert!(old.buildings.is_empty() && old.platforms.is_empty());
        // And a bundle with neither is written as those older bytes, so older gates read it.
        assert_eq!(old.sign(&key), sealed_with(&key, Vec::new()));
        let written_empty = vec![
            (cbor::int(site_key::BUILDINGS), texts(&[])),
            (cbor::int(site_key::PLATFORMS), texts(&[])),
        ];
        let empty = SiteBundle::open(&sealed_with(&key, written_empty), &trust(&key)).unwrap();
        assert_eq!(empty, old);
    }

    #[test]
    fn buildings_and_platforms_of_the_wrong_shape_are_refused_by_name() {
        let key = KeyPair::from_seed([2; 32]);
        let invalid =
            |field, expected| Err(ListError::Format(FormatError::Invalid { field, expected }));
        let long = "幢".repeat(BUILDING_NAME_MAX_LEN / 3 + 1);
        let many_buildings = Value::Array(vec![Value::Text("1幢".into()); MAX_BUILDINGS + 1]);
        let many_platforms = Value::Array(vec![Value::Text("美团".into()); MAX_PLATFORMS + 1]);
        let cases: Vec<(i64, Value, Result<SiteBundle, ListError>)> = vec![
            (
                site_key::BUILDINGS,
                Value::Text("15幢".into()),
                invalid("buildings", "an array of at most 500 building names"),
            ),
            (
                site_key::BUILDINGS,
                many_buildings,
                invalid("buildings", "an array of at most 500 building names"),
            ),
            (
                site_key::BUILDINGS,
                Value::Array(vec![cbor::int(15)]),
                invalid("building name", "a non-empty text string of bounded length"),
            ),
            (
                site_key::BUILDINGS,
                texts(&[""]),
                invalid("building name", "a non-empty text string of bounded length"),
            ),
            (
                site_key::BUILDINGS,
                texts(&[&long]),
                invalid("building name", "a non-empty text string of bounded length"),
            ),
            (
                site_key::PLATFORMS,
                Value::Map(Vec::new()),
                invalid("platforms", "an array of at most 1000 platform names"),
            ),
            (
                site_key::PLATFORMS,
                many_platforms,
                invalid("platforms", "an array of at most 1000 platform names"),
            ),
            (
                site_key::PLATFORMS,
                Value::Array(vec![Value::Bytes(b"meituan".to_vec())]),
                invalid("platform name", "a non-empty text string of bounded length"),
            ),
        ];
        for (key_number, value, expected) in cases {
            let bytes = sealed_with(&key, vec![(cbor::int(key_number), value.clone())]);
            assert_eq!(
                SiteBundle::open(&bytes, &trust(&key)),
                expected,
                "key {key_number}: {value:?}"
            );
        }
        // The bounds the messages quote are the bounds enforced.
        assert_eq!((MAX_BUILDINGS, MAX_PLATFORMS), (500, 1_000));
    }
}
