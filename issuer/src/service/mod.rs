//! The issuer's operations, shared by the operator CLI and the HTTP API.
//!
//! An [`Issuer`] is one data directory: the SQLite store, the key files and the issuer's
//! settings. Operator commands and `serve` may run on the same directory at once: SQLite
//! serialises the writes, and nothing the server caches outlives a change another process
//! makes (the status list is rebuilt when the status epoch moves; signing keys are looked up
//! in the database on every use).

pub mod calendar;
mod credentials;
mod demo_city;
mod entries;
mod guesses;
mod help;
mod keys;
mod platforms;
mod riders;
mod sites;

use std::collections::HashMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use xiaoge_pass::gate_auth;
use xiaoge_pass::keys::VerifyingKey;
use xiaoge_pass::{KeyId, KeyPair, SiteId, UnixTime};

pub use credentials::{
    DEFAULT_OVERLAP_HOURS, DEFAULT_TOKEN_DAYS, MAX_OVERLAP_HOURS, MAX_TOKEN_DAYS,
};
pub use demo_city::DemoCity;
pub use entries::{DayFigures, Stats, Targets};
pub use guesses::{GUESS_WINDOW, Secret};
pub use help::{ADMIN_SESSION_TTL, Dashboard, HELP_NOTE_MAX};
pub use keys::{DEFAULT_ANNOUNCE_DAYS, KeyStatus};
pub use sites::BundleFetch;

use crate::error::{IssuerError, Result};
use crate::keyfile;
use crate::model::{Actor, Admin};
use crate::secrets;
use crate::store::{Audit, META_ISSUER, META_PUBLIC_URL, Store};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "issuer.db";
/// Folder of the key files inside the data directory.
pub const KEYS_DIR: &str = "keys";

/// Settings chosen at `init`.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// The issuer name codes carry in `iss`.
    pub name: String,
    /// The base URL gates and phones reach the issuer at.
    pub public_url: String,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            name: "xiaoge".into(),
            public_url: "http://localhost:8080".into(),
        }
    }
}

/// A signed object ready to serve.
#[derive(Debug)]
pub struct SignedList {
    /// The COSE bytes.
    pub bytes: Vec<u8>,
    /// A strong ETag for them.
    pub etag: String,
}

impl SignedList {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            etag: etag_of(&bytes),
            bytes,
        }
    }
}

/// A strong ETag: 16 bytes of SHA-256 in hex, quoted.
fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// One issuer data directory, open.
pub struct Issuer {
    dir: PathBuf,
    name: String,
    public_url: String,
    root: KeyPair,
    store: Store,
    signing_keys: Mutex<HashMap<KeyId, Arc<KeyPair>>>,
    key_rows: Mutex<Option<keys::CachedKeyRows>>,
    status_list: Mutex<Option<keys::CachedStatusList>>,
    rate_limit: riders::Limiter,
    guesses: guesses::GuessThrottle,
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
        validate_text(
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
        let public_url = options.public_url.trim_end_matches('/').to_owned();
        store.set_meta(META_ISSUER, &options.name)?;
        store.set_meta(META_PUBLIC_URL, &public_url)?;

        let issuer = Self::assemble(dir, options.name.clone(), public_url, root, store);
        let first = KeyPair::from_seed(secrets::random_bytes()?);
        issuer.add_signing_key(&first, now.plus(-86_400), keys::OPEN_ENDED, now)?;
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
            store,
            signing_keys: Mutex::new(HashMap::new()),
            key_rows: Mutex::new(None),
            status_list: Mutex::new(None),
            rate_limit: riders::Limiter::default(),
            guesses: guesses::GuessThrottle::default(),
        }
    }

    /// The issuer's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL gates and phones reach the issuer at.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.public_url
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

    /// Adds the regulator's admin token, for the HTTP API and the dashboard of every site;
    /// returns it (shown only this once).
    pub fn add_admin_token(&self, name: &str, now: UnixTime) -> Result<String> {
        self.insert_admin_token(Actor::Cli, name, None, now)
            .map(|(_, token)| token)
    }

    /// Adds a property's token: it opens the dashboard of `site` only (that site's help
    /// requests), never the admin API. Returns it (shown only this once).
    pub fn add_site_token(&self, name: &str, site: SiteId, now: UnixTime) -> Result<String> {
        self.site(site)?;
        self.insert_admin_token(Actor::Cli, name, Some(site), now)
            .map(|(_, token)| token)
    }

    /// Adds an admin token as `actor`, for every site or for `site`; returns its id and the
    /// token (shown only this once). The audit log records who made it.
    pub fn insert_admin_token(
        &self,
        actor: Actor,
        name: &str,
        site: Option<SiteId>,
        now: UnixTime,
    ) -> Result<(u64, String)> {
        validate_text("token name", name, 100)?;
        if let Some(site) = site {
            self.site(site)?;
        }
        let token = format!("xga_{}", secrets::secret_hex()?);
        let scope = site.map_or_else(|| "regulator".to_owned(), |s| format!("site {s}"));
        let id = self.store.insert_admin_token(
            name,
            site,
            &secrets::secret_hash(&token),
            &audit(
                actor,
                "admin_token.add",
                "",
                format!("{name:?}, {scope}"),
                now,
            ),
        )?;
        Ok((id, token))
    }

    /// The id and holder of `token`, whether the regulator's or a property's; a revoked
    /// token is refused with [`IssuerError::AdminTokenRevoked`].
    pub fn admin_token_of(&self, token: &str) -> Result<(u64, Admin)> {
        let found = self
            .store
            .admin_token(&secrets::secret_hash(token))?
            .ok_or(Secret::AdminToken.unknown())?;
        if let Some(at) = found.revoked_at {
            return Err(IssuerError::AdminTokenRevoked {
                token: found.id,
                at: at.0,
            });
        }
        Ok((found.id, found.admin))
    }

    /// The holder of `token`, whether the regulator's or a property's.
    pub fn admin_of(&self, token: &str) -> Result<Admin> {
        self.admin_token_of(token).map(|(_, admin)| admin)
    }

    /// The name of the regulator's admin token `token`; a property's token is refused here.
    pub fn authenticate_admin(&self, token: &str) -> Result<String> {
        self.authenticate_admin_actor(token).map(|(_, name)| name)
    }

    /// Who the regulator's admin token `token` is, for the audit log, and its name; a
    /// property's token is refused here.
    pub fn authenticate_admin_actor(&self, token: &str) -> Result<(Actor, String)> {
        match self.admin_token_of(token)? {
            (id, Admin { name, site: None }) => Ok((Actor::AdminToken(id), name)),
            (_, Admin { site: Some(_), .. }) => Err(IssuerError::Unauthorized(
                "a property's token opens only its site's dashboard (/admin), not the admin API",
            )),
        }
    }
}

/// An audit record of `action` on `target` by `actor` at `now`.
fn audit(
    actor: Actor,
    action: &'static str,
    target: impl Into<String>,
    detail: impl Into<String>,
    now: UnixTime,
) -> Audit {
    Audit {
        actor: actor.to_string(),
        action,
        target: target.into(),
        detail: detail.into(),
        at: now,
    }
}

/// Checks a name or short text: 1 to `max` bytes, no control or format characters (a
/// terminal escape or a bidi override would make it show as something else).
fn validate_text(what: &str, text: &str, max: usize) -> Result<()> {
    let shown = xiaoge_pass::text::escape_unprintable(text);
    if let Some(c) = xiaoge_pass::text::first_unprintable(text) {
        return Err(IssuerError::Invalid(format!(
            "{what} \"{shown}\" contains U+{:04X}, a control or format character; expected 1 \
             to {max} bytes of printable text",
            u32::from(c)
        )));
    }
    if text.trim().is_empty() || text.len() > max {
        return Err(IssuerError::Invalid(format!(
            "{what} \"{shown}\" must be 1 to {max} bytes of printable text"
        )));
    }
    Ok(())
}

/// Checks a platform's display name for a rider and masks it (`xiaoge_pass::text::mask_name`).
pub fn mask_name(name: &str) -> Result<String> {
    let name = name.trim();
    validate_text("rider name", name, xiaoge_pass::pass::NAME_MAX_LEN)?;
    xiaoge_pass::text::mask_name(name)
        .ok_or_else(|| IssuerError::Invalid("rider name must not be blank".to_owned()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every value behind these locks is a cache that stays consistent if a holder panicked.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A new issuer in a temporary directory, which lives as long as the guard returned.
    pub(crate) fn fresh_issuer() -> (tempfile::TempDir, Issuer) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let issuer = Issuer::init(
            &dir.path().join("i"),
            &InitOptions::default(),
            UnixTime(1_767_225_600),
        )
        .expect("issuer");
        (dir, issuer)
    }

    #[test]
    fn names_are_always_masked_from_the_full_name() {
        assert_eq!(mask_name("黄小明").unwrap(), "黄**");
        assert_eq!(mask_name("欧阳**").unwrap(), "欧**");
        assert_eq!(mask_name("Li Lei").unwrap(), "L**");
        assert_eq!(mask_name("王*明 13812345678").unwrap(), "王**");
        assert!(mask_name("  ").is_err());
    }

    #[test]
    fn names_with_control_or_format_characters_are_refused() {
        for name in [
            "黄\u{202e}明",
            "\u{200b}李",
            "王\u{feff}",
            "a\u{1b}[2J",
            "b\u{2066}c",
        ] {
            let err = mask_name(name).unwrap_err().to_string();
            assert!(err.contains("U+"), "{err}");
            assert!(
                !err.contains(|c| !xiaoge_pass::text::is_printable(c)),
                "{err:?}"
            );
        }
    }
}
