//! The issuer's operations, shared by the operator CLI and the HTTP API.
//!
//! An [`Issuer`] is one data directory: the SQLite store, the key files and the issuer's
//! settings. Operator commands and `serve` may run on the same directory at once: SQLite
//! serialises the writes, and nothing the server caches outlives a change another process
//! makes (the status list is rebuilt when the status epoch moves).

use std::collections::HashMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use xiaoge_pass::api::{EnrollRequest, EnrollResponse, Entry, UploadResponse, UploadResult};
use xiaoge_pass::gate_auth::{self, EnrollmentToken};
use xiaoge_pass::keys::{VerifyingKey, public_key_from_bytes, signature_valid};
use xiaoge_pass::pass::DEFAULT_LIFETIME;
use xiaoge_pass::{
    CodeId, IssuerKey, KeyId, KeyPair, Pass, RiderId, RiderStatus, SiteId, StatusBits, StatusList,
    TrustList, UnixTime,
};

use crate::error::{IssuerError, Result};
use crate::keyfile;
use crate::secrets;
use crate::store::{
    GateRow, META_ISSUER, META_PUBLIC_URL, RiderRow, SigningKeyRow, Store, StoredEntry,
};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "issuer.db";
/// Folder of the key files inside the data directory.
pub const KEYS_DIR: &str = "keys";
/// How long a served status list is reused before it is signed again, in seconds. It is also
/// the list's `ttl`, and it bounds how stale a freshly synced gate's list can be.
pub const STATUS_LIST_REFRESH: i64 = 300;

/// Settings chosen at `init`.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// The issuer name codes carry in `iss`.
    pub name: String,
    /// The base URL gates and phones reach the issuer at.
    pub public_url: String,
    /// Days the first signing key may sign.
    pub key_lifetime_days: i64,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            name: "xiaoge".into(),
            public_url: "http://localhost:8080".into(),
            key_lifetime_days: 90,
        }
    }
}

/// A signed list ready to serve.
#[derive(Debug)]
pub struct SignedList {
    /// The COSE bytes.
    pub bytes: Vec<u8>,
    /// A strong ETag for them.
    pub etag: String,
}

impl SignedList {
    fn new(bytes: Vec<u8>) -> Self {
        let digest = Sha256::digest(&bytes);
        Self {
            etag: format!("\"{}\"", hex::encode(&digest[..16])),
            bytes,
        }
    }
}

struct CachedStatusList {
    epoch: i64,
    built_at: UnixTime,
    list: Arc<SignedList>,
}

/// The headers that authenticate a gate request, as received.
#[derive(Clone, Copy, Debug)]
pub struct GateRequestAuth<'a> {
    /// `x-xg-gate`.
    pub gate: &'a str,
    /// `x-xg-time`.
    pub time: &'a str,
    /// `x-xg-nonce`.
    pub nonce: &'a str,
    /// `x-xg-signature`.
    pub signature: &'a str,
}

/// One issuer data directory, open.
pub struct Issuer {
    dir: PathBuf,
    name: String,
    public_url: String,
    root: KeyPair,
    store: Mutex<Store>,
    signing_keys: Mutex<HashMap<KeyId, Arc<KeyPair>>>,
    status_list: Mutex<Option<CachedStatusList>>,
}

impl Issuer {
    /// Creates a new issuer in `dir`: database, root key and a first signing key valid from a
    /// day before `now`, so that drills minting codes with a recent `--at` work at once.
    pub fn init(dir: &Path, options: &InitOptions, now: UnixTime) -> Result<Self> {
        let db = dir.join(DB_FILE);
        let keys = dir.join(KEYS_DIR);
        for existing in [&db, &keys] {
            if existing.exists() {
                return Err(IssuerError::AlreadyInitialised(
                    dir.to_owned(),
                    existing.clone(),
                ));
            }
        }
        validate_name(
            "issuer name",
            &options.name,
            xiaoge_pass::pass::ISSUER_MAX_LEN,
        )?;
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder
            .create(&keys)
            .map_err(|e| IssuerError::io(format!("creating {}", keys.display()), e))?;

        let root = KeyPair::from_seed(secrets::random_bytes()?);
        keyfile::write_new(&keys.join("root.key"), &root)?;
        let store = Store::create(&db)?;
        store.set_meta(META_ISSUER, &options.name)?;
        store.set_meta(META_PUBLIC_URL, options.public_url.trim_end_matches('/'))?;

        let issuer = Self::assemble(
            dir,
            options.name.clone(),
            options.public_url.clone(),
            root,
            store,
        );
        let first = KeyPair::from_seed(secrets::random_bytes()?);
        let from = now.plus(-86_400);
        issuer.add_signing_key(
            &first,
            from,
            now.plus(options.key_lifetime_days * 86_400),
            now,
        )?;
        Ok(issuer)
    }

    /// Opens the issuer in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let db = dir.join(DB_FILE);
        if !db.exists() {
            return Err(IssuerError::NotInitialised(dir.to_owned()));
        }
        let store = Store::open(&db)?;
        let missing = |key| IssuerError::Invalid(format!("database {} has no {key}", db.display()));
        let name = store
            .meta(META_ISSUER)?
            .ok_or_else(|| missing(META_ISSUER))?;
        let public_url = store
            .meta(META_PUBLIC_URL)?
            .ok_or_else(|| missing(META_PUBLIC_URL))?;
        let root = keyfile::read(&dir.join(KEYS_DIR).join("root.key"))?;
        Ok(Self::assemble(dir, name, public_url, root, store))
    }

    fn assemble(dir: &Path, name: String, public_url: String, root: KeyPair, store: Store) -> Self {
        Self {
            dir: dir.to_owned(),
            name,
            public_url,
            root,
            store: Mutex::new(store),
            signing_keys: Mutex::new(HashMap::new()),
            status_list: Mutex::new(None),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back),
        // so a poisoned lock is safe to reuse.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The issuer's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The root public key gates pin.
    #[must_use]
    pub fn root_public(&self) -> VerifyingKey {
        self.root.public()
    }

    /// The fingerprint enrollment tokens carry: 16 bytes of SHA-256 of the root key, in hex.
    #[must_use]
    pub fn root_fingerprint(&self) -> String {
        gate_auth::root_fingerprint(&self.root.public())
    }

    fn add_signing_key(
        &self,
        key: &KeyPair,
        valid_from: UnixTime,
        valid_until: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        let path = self.key_path(key.kid());
        keyfile::write_new(&path, key)?;
        let store = self.store();
        store.insert_signing_key(
            &SigningKeyRow {
                kid: key.kid().to_string(),
                public_key: key.public().as_bytes().to_vec(),
                valid_from,
                valid_until,
            },
            now,
        )?;
        self.publish_trust_list(&store, now)
    }

    fn key_path(&self, kid: KeyId) -> PathBuf {
        self.dir.join(KEYS_DIR).join(format!("signing-{kid}.key"))
    }

    fn publish_trust_list(&self, store: &Store, now: UnixTime) -> Result<()> {
        let keys = store
            .signing_keys()?
            .into_iter()
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
        store.set_trust_list(now, &list.sign(&self.root))
    }

    /// The signing key for something issued at `at`: of the keys whose window holds `at`,
    /// the newest.
    fn signing_key(&self, at: UnixTime) -> Result<Arc<KeyPair>> {
        let row = self
            .store()
            .signing_keys()?
            .into_iter()
            .filter(|k| k.valid_from <= at && at <= k.valid_until)
            .max_by_key(|k| k.valid_from)
            .ok_or(IssuerError::NoSigningKey(at.0))?;
        let public = public_key_from_bytes(&row.public_key)
            .map_err(|e| IssuerError::Invalid(format!("signing key {}: {e}", row.kid)))?;
        let kid = KeyId::of(&public);
        let mut cache = self
            .signing_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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

    /// Adds a platform; returns its id and its API key, shown only this once.
    pub fn add_platform(&self, name: &str, now: UnixTime) -> Result<(u64, String)> {
        validate_name("platform name", name, xiaoge_pass::pass::PLATFORM_MAX_LEN)?;
        let api_key = format!("xgp_{}", secrets::secret_hex()?);
        let id = self
            .store()
            .insert_platform(name, &secrets::secret_hash(&api_key), now)?;
        Ok((id, api_key))
    }

    /// Adds a site.
    pub fn add_site(&self, name: &str, now: UnixTime) -> Result<SiteId> {
        validate_name("site name", name, 200)?;
        self.store().insert_site(name, now)
    }

    /// Adds a gate at `site`; returns its id and its one-time enrollment token.
    pub fn add_gate(&self, site: SiteId, name: &str, now: UnixTime) -> Result<(u64, String)> {
        validate_name("gate name", name, 200)?;
        let store = self.store();
        store.site(site)?.ok_or_else(|| IssuerError::NotFound {
            what: "site",
            id: site.to_string(),
        })?;
        let token = EnrollmentToken {
            secret: secrets::secret_hex()?,
            root_fingerprint: self.root_fingerprint(),
        };
        let id = store.insert_gate(site, name, &secrets::secret_hash(&token.secret), now)?;
        Ok((id, token.to_string()))
    }

    /// Registers a rider of `platform` (id or name); the display name is masked unless it
    /// already is.
    pub fn add_rider(
        &self,
        platform: &str,
        platform_rider_id: &str,
        name: &str,
        now: UnixTime,
    ) -> Result<RiderRow> {
        validate_name("platform rider id", platform_rider_id, 128)?;
        let masked = mask_name(name)?;
        let mut store = self.store();
        let platform = store
            .platform(platform)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "platform",
                id: platform.to_owned(),
            })?;
        let pseudonym = loop {
            let candidate = RiderId::try_from(secrets::rider_pseudonym()?)
                .map_err(|e| IssuerError::Invalid(e.to_string()))?;
            if !store.rider_exists(&candidate)? {
                break candidate;
            }
        };
        store.insert_rider(&platform, platform_rider_id, &masked, &pseudonym, now)
    }

    /// Sets a rider's status, which the next status list carries.
    pub fn set_rider_status(
        &self,
        rider: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<()> {
        if self.store().set_rider_status(rider, status, now)? {
            Ok(())
        } else {
            Err(IssuerError::NotFound {
                what: "rider",
                id: rider.to_string(),
            })
        }
    }

    /// Mints a code for `rider`, issued at `at`, bound to `site` if given.
    pub fn mint(
        &self,
        rider: &RiderId,
        site: Option<SiteId>,
        at: UnixTime,
    ) -> Result<(Pass, String)> {
        let row = self
            .store()
            .rider(rider)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "rider",
                id: rider.to_string(),
            })?;
        match row.status {
            RiderStatus::Valid => {}
            RiderStatus::Revoked => {
                return Err(IssuerError::RiderNotValid {
                    rider: rider.to_string(),
                    status: "revoked",
                });
            }
            RiderStatus::Suspended => {
                return Err(IssuerError::RiderNotValid {
                    rider: rider.to_string(),
                    status: "suspended",
                });
            }
        }
        if let Some(site) = site {
            self.store()
                .site(site)?
                .ok_or_else(|| IssuerError::NotFound {
                    what: "site",
                    id: site.to_string(),
                })?;
        }
        let key = self.signing_key(at)?;
        let pass = Pass {
            issuer: self.name.clone(),
            rider: row.id,
            name: row.name,
            platform: row.platform,
            status_index: row.status_index,
            site,
            issued_at: at,
            not_before: at,
            expires_at: at.plus(DEFAULT_LIFETIME),
            code_id: CodeId(secrets::random_bytes()?),
        };
        let text = pass
            .mint(&key)
            .map_err(|e| IssuerError::Invalid(format!("rider {rider}: {e}")))?;
        Ok((pass, text))
    }

    /// The published trust list.
    pub fn trust_list(&self) -> Result<SignedList> {
        let bytes = self
            .store()
            .trust_list()?
            .ok_or_else(|| IssuerError::Invalid("no trust list has been published".into()))?;
        Ok(SignedList::new(bytes))
    }

    /// The status list as of `now`: the cached one unless a status changed or it is older
    /// than [`STATUS_LIST_REFRESH`].
    pub fn status_list(&self, now: UnixTime) -> Result<Arc<SignedList>> {
        let epoch = self.store().status_epoch()?;
        let mut cache = self
            .status_list
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cache.as_ref() {
            let age = now.since(c.built_at);
            if c.epoch == epoch && (0..STATUS_LIST_REFRESH).contains(&age) {
                return Ok(Arc::clone(&c.list));
            }
        }
        let snapshot = self.store().statuses()?;
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
        let key = self.signing_key(now)?;
        let signed = Arc::new(SignedList::new(list.sign(&key)));
        *cache = Some(CachedStatusList {
            epoch,
            built_at: now,
            list: Arc::clone(&signed),
        });
        Ok(signed)
    }

    /// Trades a one-time enrollment token for a gate identity bound to the gate's key.
    pub fn enroll(&self, request: &EnrollRequest, now: UnixTime) -> Result<EnrollResponse> {
        let token: EnrollmentToken = request
            .token
            .parse()
            .map_err(|_| IssuerError::UnknownToken)?;
        if token.root_fingerprint != self.root_fingerprint() {
            return Err(IssuerError::UnknownToken);
        }
        let public = hex::decode(&request.public_key)
            .ok()
            .and_then(|b| public_key_from_bytes(&b).ok())
            .ok_or_else(|| {
                IssuerError::Invalid(format!(
                    "public_key {:?} is not 64 hex digits of an Ed25519 key",
                    request.public_key
                ))
            })?;
        let store = self.store();
        let gate = store
            .enroll_gate(&secrets::secret_hash(&token.secret), public.as_bytes(), now)?
            .ok_or(IssuerError::UnknownToken)?;
        let site = store
            .site(gate.site_id)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "site",
                id: gate.site_id.to_string(),
            })?;
        Ok(EnrollResponse {
            gate_id: gate.id,
            gate_name: gate.name,
            site_id: site.id,
            site_name: site.name,
            issuer: self.name.clone(),
            root_public_key: hex::encode(self.root.public().as_bytes()),
        })
    }

    /// Checks a gate request's signature, time and nonce; returns the gate it comes from.
    pub fn authenticate_gate(
        &self,
        method: &str,
        path_and_query: &str,
        auth: GateRequestAuth<'_>,
        body: &[u8],
        now: UnixTime,
    ) -> Result<GateRow> {
        let refuse = |why: String| IssuerError::GateAuth(why);
        let gate_id: u64 = auth
            .gate
            .parse()
            .map_err(|_| refuse(format!("gate id {:?} is not a number", auth.gate)))?;
        let time: i64 = auth
            .time
            .parse()
            .map_err(|_| refuse(format!("time {:?} is not whole seconds", auth.time)))?;
        let off = now.since(UnixTime(time));
        if off.abs() > gate_auth::MAX_REQUEST_AGE {
            return Err(refuse(format!(
                "request time {time} is {off} s from the issuer's clock {now}; at most {} s is accepted",
                gate_auth::MAX_REQUEST_AGE
            )));
        }
        if !gate_auth::nonce_well_formed(auth.nonce) {
            return Err(refuse(format!(
                "nonce {:?} is not 32 lowercase hex digits",
                auth.nonce
            )));
        }
        let store = self.store();
        let gate = store
            .gate(gate_id)?
            .ok_or_else(|| refuse(format!("gate {gate_id} does not exist")))?;
        let public = gate
            .public_key
            .as_deref()
            .and_then(|k| public_key_from_bytes(k).ok())
            .ok_or_else(|| refuse(format!("gate {gate_id} is not enrolled")))?;
        let signature = hex::decode(auth.signature).unwrap_or_default();
        let input = gate_auth::signing_input(method, path_and_query, time, auth.nonce, body);
        if !signature_valid(&public, &input, &signature) {
            return Err(refuse(format!(
                "signature does not verify with gate {gate_id}'s key"
            )));
        }
        if !store.remember_nonce(gate_id, auth.nonce, now)? {
            return Err(refuse(format!(
                "nonce {} was already used: a replayed request",
                auth.nonce
            )));
        }
        store.forget_nonces(now.plus(-2 * gate_auth::MAX_REQUEST_AGE))?;
        Ok(gate)
    }

    /// Stores entries uploaded by `gate`, each exactly once.
    pub fn ingest(
        &self,
        gate: &GateRow,
        entries: &[Entry],
        now: UnixTime,
    ) -> Result<UploadResponse> {
        if entries.len() > xiaoge_pass::api::MAX_UPLOAD_ENTRIES {
            return Err(IssuerError::Invalid(format!(
                "{} entries in one upload; at most {} are accepted",
                entries.len(),
                xiaoge_pass::api::MAX_UPLOAD_ENTRIES
            )));
        }
        for e in entries {
            if e.gate_id != gate.id || e.site_id != gate.site_id {
                return Err(IssuerError::Invalid(format!(
                    "entry {} claims gate {} at site {}; the request is signed by gate {} at site {}",
                    e.id, e.gate_id, e.site_id, gate.id, gate.site_id
                )));
            }
        }
        let outcomes = self.store().insert_entries(entries, now)?;
        Ok(UploadResponse {
            results: entries
                .iter()
                .zip(outcomes)
                .map(|(e, outcome)| UploadResult { id: e.id, outcome })
                .collect(),
        })
    }

    /// Every entry the gates have uploaded.
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        self.store().entries()
    }
}

fn validate_name(what: &str, name: &str, max: usize) -> Result<()> {
    if name.trim().is_empty() || name.len() > max || name.chars().any(char::is_control) {
        return Err(IssuerError::Invalid(format!(
            "{what} {name:?} must be 1 to {max} bytes of printable text"
        )));
    }
    Ok(())
}

/// Masks a display name to its first character and `**`, unless it is already masked: a
/// gate needs no more than that to tell riders apart at a glance.
pub fn mask_name(name: &str) -> Result<String> {
    let name = name.trim();
    validate_name("rider name", name, xiaoge_pass::pass::NAME_MAX_LEN)?;
    if name.contains('*') {
        return Ok(name.to_owned());
    }
    let first: String = name.chars().take(1).collect();
    Ok(format!("{first}**"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_unless_already_masked() {
        assert_eq!(mask_name("黄小明").unwrap(), "黄**");
        assert_eq!(mask_name("欧阳**").unwrap(), "欧阳**");
        assert_eq!(mask_name("Li Lei").unwrap(), "L**");
        assert!(mask_name("  ").is_err());
    }
}
