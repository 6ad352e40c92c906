//! Signing keys and the signed lists: rotation, the trust list, the status list.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::pass::DEFAULT_LIFETIME;
use xiaoge_pass::{
    IssuerKey, KeyId, KeyPair, StatusBits, StatusList, TimeToken, TrustList, UnixTime,
};

use super::{Issuer, SignedList, lock};
use crate::error::{IssuerError, Result};
use crate::keyfile;
use crate::secrets;
use crate::store::SigningKeyRow;

/// Days a new key is announced in the trust list before it signs anything: a gate that syncs
/// at least weekly always holds the key before it meets a code signed with it.
pub const DEFAULT_ANNOUNCE_DAYS: i64 = 7;
/// The end of the signing window of a key no successor has been announced for yet.
pub(super) const OPEN_ENDED: UnixTime = UnixTime(i64::MAX / 2);
/// How long a status list is reused before it is signed again, in seconds. It is also the
/// list's `ttl`, and it bounds how stale a freshly synced gate's list can be.
pub const STATUS_LIST_REFRESH: i64 = 300;
/// How long the signing keys read from the database are reused.
const KEY_ROWS_TTL: Duration = Duration::from_secs(30);
/// A retired key stays in the trust list this long after its last code expired.
const RETIRED_KEY_GRACE: i64 = 86_400;

pub(super) struct CachedStatusList {
    epoch: i64,
    built_at: UnixTime,
    list: Arc<SignedList>,
}

/// A signing key as `keys list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyStatus {
    /// Key id.
    pub kid: String,
    /// First second it may sign.
    pub valid_from: UnixTime,
    /// Last second it may sign, if a successor has been announced.
    pub valid_until: Option<UnixTime>,
    /// `announced`, `signing`, `retiring` (codes it signed may still be shown) or `retired`.
    pub state: &'static str,
}

impl Issuer {
    pub(super) fn add_signing_key(
        &self,
        key: &KeyPair,
        valid_from: UnixTime,
        valid_until: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        keyfile::write_new(&self.key_path(key.kid()), key)?;
        self.store.insert_signing_key(
            &SigningKeyRow {
                kid: key.kid().to_string(),
                public_key: key.public().as_bytes().to_vec(),
                valid_from,
                valid_until,
            },
            now,
        )?;
        self.forget_key_rows();
        self.publish_trust_list(now)
    }

    /// The signing keys' rows, read from the database at most every [`KEY_ROWS_TTL`]: keys
    /// are announced days before they sign, so a rotation made by another process reaches a
    /// running server in time, and minting does not query them on every code.
    fn key_rows(&self) -> Result<Arc<Vec<SigningKeyRow>>> {
        let mut cache = lock(&self.key_rows);
        if let Some((read_at, rows)) = cache.as_ref()
            && read_at.elapsed() < KEY_ROWS_TTL
        {
            return Ok(Arc::clone(rows));
        }
        let rows = Arc::new(self.store.signing_keys()?);
        *cache = Some((Instant::now(), Arc::clone(&rows)));
        Ok(rows)
    }

    fn forget_key_rows(&self) {
        *lock(&self.key_rows) = None;
    }

    fn key_path(&self, kid: KeyId) -> std::path::PathBuf {
        self.dir
            .join(super::KEYS_DIR)
            .join(format!("signing-{kid}.key"))
    }

    /// Makes a new signing key that starts signing `announce_days` from `now`; every older key
    /// stops signing then, and stays in the trust list until its last code has expired.
    pub fn rotate_keys(&self, announce_days: i64, now: UnixTime) -> Result<KeyStatus> {
        if !(0..=365).contains(&announce_days) {
            return Err(IssuerError::Invalid(format!(
                "announce period {announce_days} days must be 0 to 365"
            )));
        }
        let starts = now.plus(announce_days * 86_400);
        for row in self.store.signing_keys()? {
            self.store.end_signing_window(&row.kid, starts)?;
        }
        self.forget_key_rows();
        let key = KeyPair::from_seed(secrets::random_bytes()?);
        self.add_signing_key(&key, starts, OPEN_ENDED, now)?;
        Ok(key_status(
            &SigningKeyRow {
                kid: key.kid().to_string(),
                public_key: key.public().as_bytes().to_vec(),
                valid_from: starts,
                valid_until: OPEN_ENDED,
            },
            now,
        ))
    }

    /// Every signing key and where it is in its life.
    pub fn keys(&self, now: UnixTime) -> Result<Vec<KeyStatus>> {
        Ok(self
            .store
            .signing_keys()?
            .iter()
            .map(|k| key_status(k, now))
            .collect())
    }

    fn publish_trust_list(&self, now: UnixTime) -> Result<()> {
        let keys = self
            .store
            .signing_keys()?
            .into_iter()
            .filter(|row| in_trust_list(row, now))
            .map(|row| {
                let public = public_key_from_bytes(&row.public_key)
                    .map_err(|e| IssuerError::Invalid(format!("signing key {}: {e}", row.kid)))?;
                Ok(IssuerKey::new(public, row.valid_from, row.valid_until))
            })
            .collect::<Result<Vec<_>>>()?;
        let list = TrustList {
            issuer: self.name.clone(),
            issued_at: now,
            keys,
        };
        self.store.set_trust_list(now, &list.sign(&self.root))
    }

    /// The signing key for something issued at `at`: of the keys whose window holds `at`,
    /// the newest.
    pub(super) fn signing_key(&self, at: UnixTime) -> Result<Arc<KeyPair>> {
        let rows = self.key_rows()?;
        let row = rows
            .iter()
            .filter(|k| k.valid_from <= at && at <= k.valid_until)
            .max_by_key(|k| k.valid_from)
            .ok_or(IssuerError::NoSigningKey(at.0))?;
        let public = public_key_from_bytes(&row.public_key)
            .map_err(|e| IssuerError::Invalid(format!("signing key {}: {e}", row.kid)))?;
        let kid = KeyId::of(&public);
        let mut cache = lock(&self.signing_keys);
        if let Some(key) = cache.get(&kid) {
            return Ok(Arc::clone(key));
        }
        let path = self.key_path(kid);
        let key = keyfile::read(&path)?;
        if key.kid() != kid {
            return Err(IssuerError::KeyFile {
                path,
                problem: format!("holds key {}, not {kid}", key.kid()),
            });
        }
        let key = Arc::new(key);
        cache.insert(kid, Arc::clone(&key));
        Ok(key)
    }

    /// The published trust list.
    pub fn trust_list(&self) -> Result<SignedList> {
        let bytes = self
            .store
            .trust_list()?
            .ok_or_else(|| IssuerError::NotReady("no trust list has been published".into()))?;
        Ok(SignedList::new(bytes))
    }

    /// The status list as of `now`: the cached one unless a status changed or it is older
    /// than [`STATUS_LIST_REFRESH`].
    pub fn status_list(&self, now: UnixTime) -> Result<Arc<SignedList>> {
        let epoch = self.store.status_epoch()?;
        let mut cache = lock(&self.status_list);
        if let Some(c) = cache.as_ref() {
            let age = now.since(c.built_at);
            if c.epoch == epoch && (0..STATUS_LIST_REFRESH).contains(&age) {
                return Ok(Arc::clone(&c.list));
            }
        }
        let bytes = self.build_status_list(now)?;
        let signed = Arc::new(SignedList::new(bytes));
        *cache = Some(CachedStatusList {
            epoch,
            built_at: now,
            list: Arc::clone(&signed),
        });
        Ok(signed)
    }

    /// The issuer's clock signed for a gate, echoing the nonce (32 hex digits) of its request.
    pub fn time_token(&self, nonce_hex: &str, now: UnixTime) -> Result<Vec<u8>> {
        let nonce = hex::decode(nonce_hex)
            .ok()
            .and_then(|b| <[u8; xiaoge_pass::time_token::NONCE_LEN]>::try_from(b).ok())
            .ok_or_else(|| {
                IssuerError::Invalid(format!("nonce {nonce_hex:?} is not 32 hex digits"))
            })?;
        let token = TimeToken {
            issuer: self.name.clone(),
            time: now,
            nonce,
        };
        Ok(token.sign(&*self.signing_key(now)?))
    }

    /// Builds and signs the status list from the database.
    pub fn build_status_list(&self, now: UnixTime) -> Result<Vec<u8>> {
        let snapshot = self.store.statuses()?;
        // Rounding the length up hides the exact number of riders.
        let len = snapshot
            .max_index
            .map_or(0, |m| m as usize + 1)
            .div_ceil(1024)
            * 1024;
        let mut bits = StatusBits::new(len);
        for (index, status) in snapshot.not_valid {
            bits.set(index, status);
        }
        let list = StatusList {
            issuer: self.name.clone(),
            uri: format!("{}/v1/status-list", self.public_url),
            issued_at: now,
            ttl: STATUS_LIST_REFRESH as u64,
            bits,
        };
        Ok(list.sign(&*self.signing_key(now)?))
    }
}

/// Whether a key still belongs in the trust list: it signs now or later, or a code it signed
/// may still be shown (plus a day's grace for clocks).
fn in_trust_list(row: &SigningKeyRow, now: UnixTime) -> bool {
    row.valid_until.plus(DEFAULT_LIFETIME + RETIRED_KEY_GRACE) >= now
}

fn key_status(row: &SigningKeyRow, now: UnixTime) -> KeyStatus {
    let state = if now < row.valid_from {
        "announced"
    } else if now <= row.valid_until {
        "signing"
    } else if in_trust_list(row, now) {
        "retiring"
    } else {
        "retired"
    };
    KeyStatus {
        kid: row.kid.clone(),
        valid_from: row.valid_from,
        valid_until: (row.valid_until != OPEN_ENDED).then_some(row.valid_until),
        state,
    }
}

#[cfg(test)]
mod tests {
    use xiaoge_pass::{RiderStatus, StatusList, TrustList};

    use super::*;
    use crate::model::{RosterRow, RosterStatus};
    use crate::service::InitOptions;

    #[test]
    fn the_status_list_carries_every_riders_status_from_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixTime(1_767_225_600);
        let issuer = Issuer::init(&dir.path().join("i"), &InitOptions::default(), now).unwrap();
        issuer.add_platform("美团", now).unwrap();
        let platform = issuer.platform("美团").unwrap();
        let rows: Vec<RosterRow> = (0..3000)
            .map(|i| RosterRow {
                platform_rider_id: format!("m-{i}"),
                name: "李**".into(),
                status: match i % 100 {
                    7 => RosterStatus::Revoked,
                    8 => RosterStatus::Suspended,
                    _ => RosterStatus::Active,
                },
            })
            .collect();
        let applied = issuer.upsert_roster(&platform, &rows, now).unwrap().results;

        let trust =
            TrustList::open(&issuer.trust_list().unwrap().bytes, &issuer.root_public()).unwrap();
        let list = StatusList::open(&issuer.build_status_list(now).unwrap(), &trust).unwrap();
        assert!(list.bits.len() >= 3000);
        for (i, result) in applied.iter().enumerate() {
            let index = issuer.rider(&result.rider_id).unwrap().status_index;
            let expected = match i % 100 {
                7 => RiderStatus::Revoked,
                8 => RiderStatus::Suspended,
                _ => RiderStatus::Valid,
            };
            assert_eq!(
                list.bits.status(index),
                expected,
                "rider {i} at index {index}"
            );
        }
    }
}
