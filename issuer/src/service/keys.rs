//! Signing keys and the signed lists: rotation, revocation, the trust list, the status list.
//!
//! A key's life: **announced** (in the trust list, not signing yet) → **signing** →
//! **retiring** (no longer signing, kept while codes it signed may still be shown) →
//! **retired** (out of the list). Two exits skip the rest: an emergency rotation
//! **supersedes** a key announced for later than the new key's start, and `keys revoke`
//! **revokes** a compromised key at once. Every list is opened as a gate would open it before
//! it is published, so the issuer never publishes what its own gates would refuse.

use std::sync::Arc;

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
use crate::store::{SigningKeyRow, Withdrawal};

/// Days a new key is announced in the trust list before it signs anything: a gate that syncs
/// at least weekly always holds the key before it meets a code signed with it.
pub const DEFAULT_ANNOUNCE_DAYS: i64 = 7;
/// The end of the signing window of a key no successor has been announced for yet.
pub(super) const OPEN_ENDED: UnixTime = UnixTime(i64::MAX / 2);
/// How long a status list is reused before it is signed again, in seconds. It is also the
/// list's `ttl`, and it bounds how stale a freshly synced gate's list can be.
pub const STATUS_LIST_REFRESH: i64 = 300;
/// Indexes the status list covers past the last one assigned (see `build_status_list`).
pub const STATUS_LIST_HEADROOM: usize = 65_536;
/// A retired key stays in the trust list this long after its last code expired.
const RETIRED_KEY_GRACE: i64 = 86_400;

pub(super) struct CachedStatusList {
    status_epoch: i64,
    keys_epoch: i64,
    built_at: UnixTime,
    list: Arc<SignedList>,
}

/// The signing keys' rows as last read, with the keys epoch they were read at.
pub(super) struct CachedKeyRows {
    epoch: i64,
    rows: Arc<Vec<SigningKeyRow>>,
}

/// Where a signing key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// In the trust list, signing only later.
    Announced,
    /// Signing now.
    Signing,
    /// No longer signing; kept while the codes it signed may still be shown.
    Retiring,
    /// Out of the trust list at the end of its life.
    Retired,
    /// Replaced by an emergency rotation before it ever signed.
    Superseded,
    /// Withdrawn as compromised: gates refuse what it signed after their next sync.
    Revoked,
}

impl KeyState {
    /// The word `keys list` prints.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Announced => "announced",
            KeyState::Signing => "signing",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
            KeyState::Superseded => "superseded",
            KeyState::Revoked => "revoked",
        }
    }
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
    /// Where it is in its life.
    pub state: KeyState,
    /// When it was superseded or revoked, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<UnixTime>,
}

/// What `keys revoke` did.
#[derive(Clone, Debug, Serialize)]
pub struct Revocation {
    /// The revoked key.
    pub revoked: KeyStatus,
    /// The key made to sign from now on, when the revoked one was signing.
    pub replacement: Option<KeyStatus>,
}

impl Issuer {
    /// Writes a new key's file and row, publishes the trust list with it, and says where the
    /// key is in its life.
    pub(super) fn add_signing_key(
        &self,
        key: &KeyPair,
        valid_from: UnixTime,
        valid_until: UnixTime,
        now: UnixTime,
    ) -> Result<KeyStatus> {
        keyfile::write_new(&self.key_path(key.kid()), key)?;
        let row = SigningKeyRow {
            kid: key.kid().to_string(),
            public_key: key.public().as_bytes().to_vec(),
            valid_from,
            valid_until,
            withdrawn: None,
        };
        self.store.insert_signing_key(&row, now)?;
        self.publish_trust_list(now)?;
        Ok(key_status(&row, now))
    }

    /// The signing keys' rows, read again whenever any process changed a key (the keys
    /// epoch moved): a rotation or revocation made by the CLI is used at the next signature.
    fn key_rows(&self) -> Result<Arc<Vec<SigningKeyRow>>> {
        let epoch = self.store.keys_epoch()?;
        let mut cache = lock(&self.key_rows);
        if let Some(cached) = cache.as_ref()
            && cached.epoch == epoch
        {
            return Ok(Arc::clone(&cached.rows));
        }
        let rows = Arc::new(self.store.signing_keys()?);
        *cache = Some(CachedKeyRows {
            epoch,
            rows: Arc::clone(&rows),
        });
        Ok(rows)
    }

    fn key_path(&self, kid: KeyId) -> std::path::PathBuf {
        self.dir
            .join(super::KEYS_DIR)
            .join(format!("signing-{kid}.key"))
    }

    /// Makes a new signing key that starts signing `announce_days` from `now`; every older key
    /// stops signing then, and stays in the trust list until its last code has expired.
    ///
    /// A key announced to start at or after the new one's start never signs: it is superseded
    /// and leaves the trust list, so an emergency rotation (`announce_days` 0) can never
    /// produce a key whose window ends before it begins.
    pub fn rotate_keys(&self, announce_days: i64, now: UnixTime) -> Result<KeyStatus> {
        if !(0..=365).contains(&announce_days) {
            return Err(IssuerError::Invalid(format!(
                "announce period {announce_days} days must be 0 to 365"
            )));
        }
        let starts = now.plus(announce_days * 86_400);
        self.new_key_from(starts, OPEN_ENDED, now)
    }

    /// Ends every live key's window at `starts` (superseding those not signing by then) and
    /// adds a key signing from `starts` to `until`.
    fn new_key_from(&self, starts: UnixTime, until: UnixTime, now: UnixTime) -> Result<KeyStatus> {
        for row in self.store.signing_keys()? {
            if row.withdrawn.is_some() {
                continue;
            }
            if row.valid_from >= starts {
                self.store
                    .withdraw_signing_key(&row.kid, Withdrawal::Superseded, now)?;
            } else {
                self.store.end_signing_window(&row.kid, starts)?;
            }
        }
        let key = KeyPair::from_seed(secrets::random_bytes()?);
        self.add_signing_key(&key, starts, until, now)
    }

    /// Revokes a compromised key: it leaves the trust list at once, so gates refuse every
    /// code it signed from their next sync on, even codes whose validity has not ended.
    ///
    /// When it was the key signing now, a new key signs from now until the next announced
    /// key takes over (or open-ended), so that riders get codes again at once; gates learn it
    /// at their next sync.
    pub fn revoke_key(&self, kid: &str, now: UnixTime) -> Result<Revocation> {
        let rows = self.store.signing_keys()?;
        let row = rows
            .iter()
            .find(|r| r.kid.eq_ignore_ascii_case(kid.trim()))
            .ok_or_else(|| IssuerError::NotFound {
                what: "signing key",
                id: kid.to_owned(),
            })?
            .clone();
        if let Some((at, why)) = row.withdrawn {
            return Err(IssuerError::Conflict(format!(
                "key {} was already {} at {at}",
                row.kid,
                why.as_str()
            )));
        }
        let was_signing = key_status(&row, now).state == KeyState::Signing;
        self.store
            .withdraw_signing_key(&row.kid, Withdrawal::Revoked, now)?;
        let replacement = if was_signing {
            // The next announced key keeps its start; the replacement bridges until then.
            let next = rows
                .iter()
                .filter(|r| r.withdrawn.is_none() && r.valid_from > now && r.kid != row.kid)
                .map(|r| r.valid_from)
                .min();
            let key = KeyPair::from_seed(secrets::random_bytes()?);
            let until = next.map_or(OPEN_ENDED, |n| n.plus(-1));
            Some(self.add_signing_key(&key, now, until, now)?)
        } else {
            self.publish_trust_list(now)?;
            None
        };
        let revoked = self
            .store
            .signing_keys()?
            .iter()
            .find(|r| r.kid == row.kid)
            .map(|r| key_status(r, now))
            .ok_or_else(|| IssuerError::NotFound {
                what: "signing key",
                id: row.kid.clone(),
            })?;
        Ok(Revocation {
            revoked,
            replacement,
        })
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

    /// Signs and stores the trust list as of `now`, after opening it as a gate would and
    /// checking that a key may sign now.
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
        let unpublishable = |problem: String| IssuerError::Unpublishable {
            what: "trust list",
            problem,
        };
        if !keys.iter().any(|k| k.may_sign_at(now)) {
            return Err(unpublishable(format!(
                "no key in it may sign at {now}; rotate with --announce-days 0"
            )));
        }
        let list = TrustList {
            issuer: self.name.clone(),
            issued_at: now,
            keys,
        };
        let bytes = list.sign(&self.root);
        TrustList::open(&bytes, &self.root.public()).map_err(|e| unpublishable(e.to_string()))?;
        self.store.set_trust_list(now, &bytes)
    }

    /// The published trust list, opened as a gate opens it.
    fn published_trust_list(&self) -> Result<TrustList> {
        TrustList::open(&self.trust_list()?.bytes, &self.root.public()).map_err(|e| {
            IssuerError::Unpublishable {
                what: "trust list",
                problem: format!("the stored trust list does not verify: {e}"),
            }
        })
    }

    /// Opens `bytes` as a gate would, against the published trust list, before they are
    /// served: a list signed by a key the gates do not hold is never published.
    pub(super) fn check_publishable<T>(
        &self,
        what: &'static str,
        bytes: &[u8],
        open: impl FnOnce(&[u8], &TrustList) -> std::result::Result<T, xiaoge_pass::ListError>,
    ) -> Result<T> {
        let trust = self.published_trust_list()?;
        open(bytes, &trust).map_err(|e| IssuerError::Unpublishable {
            what,
            problem: e.to_string(),
        })
    }

    /// The signing key for something issued at `at`: of the live keys whose window holds
    /// `at`, the newest.
    pub(super) fn signing_key(&self, at: UnixTime) -> Result<Arc<KeyPair>> {
        let rows = self.key_rows()?;
        let row = rows
            .iter()
            .filter(|k| k.withdrawn.is_none() && k.valid_from <= at && at <= k.valid_until)
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
        let status_epoch = self.store.status_epoch()?;
        // A key change may have withdrawn the key that signed the cached list.
        let keys_epoch = self.store.keys_epoch()?;
        let mut cache = lock(&self.status_list);
        if let Some(c) = cache.as_ref() {
            let age = now.since(c.built_at);
            if c.status_epoch == status_epoch
                && c.keys_epoch == keys_epoch
                && (0..STATUS_LIST_REFRESH).contains(&age)
            {
                return Ok(Arc::clone(&c.list));
            }
        }
        let bytes = self.build_status_list(now)?;
        let signed = Arc::new(SignedList::new(bytes));
        *cache = Some(CachedStatusList {
            status_epoch,
            keys_epoch,
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
        let bytes = token.sign(&*self.signing_key(now)?);
        self.check_publishable("time token", &bytes, TimeToken::open)?;
        Ok(bytes)
    }

    /// Builds and signs the status list from the database.
    pub fn build_status_list(&self, now: UnixTime) -> Result<Vec<u8>> {
        let snapshot = self.store.statuses()?;
        // A gate refuses an index past the end of its list (nothing is known of that rider),
        // so the list reaches past the last index: riders registered after it was signed, up
        // to STATUS_LIST_HEADROOM of them, still read as valid at a gate that synced before
        // they joined. Unassigned indexes are valid and cost almost nothing once compressed;
        // no code carries one. Rounding the length up also hides the number of riders.
        let len = (snapshot.max_index.map_or(0, |m| m as usize + 1) + STATUS_LIST_HEADROOM)
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
        let bytes = list.sign(&*self.signing_key(now)?);
        self.check_publishable("status list", &bytes, StatusList::open)?;
        Ok(bytes)
    }
}

/// Whether a key still belongs in the trust list: not withdrawn, and it signs now or later,
/// or a code it signed may still be shown (plus a day's grace for clocks).
fn in_trust_list(row: &SigningKeyRow, now: UnixTime) -> bool {
    row.withdrawn.is_none() && row.valid_until.plus(DEFAULT_LIFETIME + RETIRED_KEY_GRACE) >= now
}

fn key_status(row: &SigningKeyRow, now: UnixTime) -> KeyStatus {
    let state = match row.withdrawn {
        Some((_, Withdrawal::Superseded)) => KeyState::Superseded,
        Some((_, Withdrawal::Revoked)) => KeyState::Revoked,
        None if now < row.valid_from => KeyState::Announced,
        None if now <= row.valid_until => KeyState::Signing,
        None if in_trust_list(row, now) => KeyState::Retiring,
        None => KeyState::Retired,
    };
    KeyStatus {
        kid: row.kid.clone(),
        valid_from: row.valid_from,
        valid_until: (row.valid_until != OPEN_ENDED).then_some(row.valid_until),
        state,
        withdrawn_at: row.withdrawn.map(|(at, _)| at),
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
                Some(expected),
                "rider {i} at index {index}"
            );
        }
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use xiaoge_pass::{GateContext, Rejection, SiteBundle, SiteId, TrustList, TrustState};

    use super::*;
    use crate::model::{SiteInput, SiteKind};
    use crate::service::InitOptions;
    use crate::service::sites::BundleFetch;

    const T: UnixTime = UnixTime(1_767_225_600);
    const DAY: i64 = 86_400;

    fn issuer(dir: &tempfile::TempDir) -> Issuer {
        Issuer::init(&dir.path().join("i"), &InitOptions::default(), T).unwrap()
    }

    fn published(issuer: &Issuer) -> TrustList {
        TrustList::open(&issuer.trust_list().unwrap().bytes, &issuer.root_public())
            .expect("the published trust list opens as a gate opens it")
    }

    fn states(issuer: &Issuer, at: UnixTime) -> Vec<&'static str> {
        issuer
            .keys(at)
            .unwrap()
            .iter()
            .map(|k| k.state.as_str())
            .collect()
    }

    #[test]
    fn an_emergency_rotation_after_a_scheduled_one_publishes_a_list_gates_accept() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = issuer(&dir);
        let scheduled = issuer.rotate_keys(7, T).unwrap();
        let emergency = issuer.rotate_keys(0, T.plus(DAY)).unwrap();
        let list = published(&issuer);
        let kids: Vec<String> = list.keys.iter().map(|k| k.kid.to_string()).collect();
        assert!(kids.contains(&emergency.kid), "{kids:?}");
        assert!(
            !kids.contains(&scheduled.kid),
            "the superseded key left the list"
        );
        assert!(list.keys.iter().all(|k| k.valid_from <= k.valid_until));
        assert_eq!(
            states(&issuer, T.plus(DAY + 1)),
            ["retiring", "signing", "superseded"]
        );
        assert_eq!(
            issuer.signing_key(T.plus(DAY)).unwrap().kid().to_string(),
            emergency.kid
        );
        // A week later the superseded key never takes over.
        assert_eq!(
            issuer
                .signing_key(T.plus(8 * DAY))
                .unwrap()
                .kid()
                .to_string(),
            emergency.kid
        );
    }

    #[test]
    fn a_serving_process_signs_with_the_key_another_process_just_made() {
        let dir = tempfile::tempdir().unwrap();
        let serving = issuer(&dir);
        let rider = {
            serving.add_platform("美团", T).unwrap();
            serving.add_rider("美团", "mt-1", "黄小明", T).unwrap().id
        };
        // A trust list with no keys names the code's key in its refusal.
        let empty = TrustState {
            trust_list: TrustList {
                issuer: "xiaoge".into(),
                issued_at: T,
                keys: Vec::new(),
            },
            status_list: None,
        };
        let kid_of =
            |text: &str| match xiaoge_pass::verify(text, &empty, &GateContext::new(SiteId(1)), T) {
                Err(Rejection::UnknownKey { kid }) => kid.to_string(),
                other => panic!("{other:?}"),
            };
        let before = serving.mint(&rider, None, T).unwrap().1;
        let operator = Issuer::open(&dir.path().join("i")).unwrap();
        let new = operator.rotate_keys(0, T.plus(60)).unwrap();
        let after = serving.mint(&rider, None, T.plus(61)).unwrap().1;
        assert_ne!(kid_of(&before), new.kid);
        assert_eq!(kid_of(&after), new.kid, "no key cache outlives a rotation");
        let token = serving.time_token(&"ab".repeat(16), T.plus(62)).unwrap();
        assert!(xiaoge_pass::TimeToken::open(&token, &published(&serving)).is_ok());
    }

    #[test]
    fn revoking_the_signing_key_withdraws_it_and_bridges_to_the_announced_one() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = issuer(&dir);
        let first = issuer.keys(T).unwrap()[0].kid.clone();
        let next = issuer.rotate_keys(7, T).unwrap();
        let done = issuer.revoke_key(&first, T.plus(DAY)).unwrap();
        assert_eq!(done.revoked.state, KeyState::Revoked);
        let bridge = done.replacement.expect("a key signs from now");
        assert_eq!(bridge.valid_from, T.plus(DAY));
        assert_eq!(bridge.valid_until, Some(next.valid_from.plus(-1)));
        let kids: Vec<String> = published(&issuer)
            .keys
            .iter()
            .map(|k| k.kid.to_string())
            .collect();
        assert!(
            !kids.contains(&first),
            "revoked key left the list: {kids:?}"
        );
        assert!(kids.contains(&bridge.kid) && kids.contains(&next.kid));
        assert_eq!(
            issuer
                .signing_key(T.plus(8 * DAY))
                .unwrap()
                .kid()
                .to_string(),
            next.kid,
            "the announced key still takes over on schedule"
        );
        assert!(matches!(
            issuer.revoke_key(&first, T.plus(DAY)),
            Err(IssuerError::Conflict(_))
        ));
        assert!(matches!(
            issuer.revoke_key("00000000000000ff", T.plus(DAY)),
            Err(IssuerError::NotFound { .. })
        ));
        // Revoking a key that is only announced needs no replacement.
        let later = issuer.revoke_key(&next.kid, T.plus(DAY)).unwrap();
        assert!(later.replacement.is_none());
        assert_eq!(published(&issuer).keys.len(), 1);
    }

    #[test]
    fn the_site_bundle_etag_changes_with_its_signer_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = issuer(&dir);
        let site = issuer
            .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), T)
            .unwrap();
        let etag =
            |at: UnixTime, held: Option<&str>| match issuer.site_bundle(site, held, at).unwrap() {
                BundleFetch::NotModified(e) => (e, false),
                BundleFetch::Fresh(list) => {
                    let bundle = SiteBundle::open(&list.bytes, &published(&issuer));
                    assert!(bundle.is_ok(), "a served bundle opens: {bundle:?}");
                    (list.etag, true)
                }
            };
        let (first, fresh) = etag(T, None);
        assert!(fresh);
        assert_eq!(etag(T.plus(60), Some(&first)), (first.clone(), false));
        issuer.rotate_keys(0, T.plus(120)).unwrap();
        let (second, fresh) = etag(T.plus(180), Some(&first));
        assert!(fresh, "a new signer means a new bundle");
        assert_ne!(second, first);
    }
}
