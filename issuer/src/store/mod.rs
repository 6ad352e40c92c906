//! Every SQL statement of the issuer, behind one type, so that another engine (PostgreSQL for
//! a province) can replace SQLite without touching the handlers.
//!
//! The embedded default is one SQLite file kept the project's way ([`xiaoge_sqlite`]): an
//! entry the issuer has acknowledged to a gate survives a power cut. One connection writes;
//! a few more read at the same time (WAL lets readers run beside the writer), so minting
//! codes never queues behind an upload.

mod audit;
mod entries;
mod help;
mod keys;
mod platforms;
mod riders;
mod sessions;
mod sites;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, ErrorCode};

use crate::error::{IssuerError, Result};
use xiaoge_sqlite as sqlite;

pub use audit::Audit;
pub use entries::{CST_OFFSET, DayCount, StoredEntry};
pub use help::HelpLimits;
pub use keys::{SigningKeyRow, Withdrawal};
pub use platforms::{PlatformKeyUse, PlatformRow};
pub use riders::{RiderRow, RosterChange, SessionRider, StatusSnapshot};
pub use sites::{Enrollment, GateRow};

/// Numbered schema migrations; the database records how many it has applied.
const MIGRATIONS: &[&str] = &[
    r"
    CREATE TABLE signing_keys (
        kid         TEXT PRIMARY KEY,
        public_key  BLOB NOT NULL,
        valid_from  INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE trust_list (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        issued_at INTEGER NOT NULL,
        bytes     BLOB NOT NULL
    );
    CREATE TABLE platforms (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        api_key_hash BLOB NOT NULL,
        created_at   INTEGER NOT NULL
    );
    CREATE TABLE sites (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE gates (
        id          INTEGER PRIMARY KEY,
        site_id     INTEGER NOT NULL REFERENCES sites(id),
        name        TEXT NOT NULL,
        token_hash  BLOB UNIQUE,
        public_key  BLOB,
        enrolled_at INTEGER,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE riders (
        id                TEXT PRIMARY KEY,
        platform_id       INTEGER NOT NULL REFERENCES platforms(id),
        platform_rider_id TEXT NOT NULL,
        name              TEXT NOT NULL,
        status_index      INTEGER NOT NULL UNIQUE,
        status            INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        UNIQUE (platform_id, platform_rider_id)
    );
    CREATE TABLE gate_nonces (
        gate_id INTEGER NOT NULL,
        nonce   TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (gate_id, nonce)
    );
    CREATE INDEX gate_nonces_seen_at ON gate_nonces (seen_at);
    CREATE TABLE entries (
        id          TEXT PRIMARY KEY,
        gate_id     INTEGER NOT NULL REFERENCES gates(id),
        site_id     INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        method      TEXT NOT NULL,
        decision    TEXT NOT NULL,
        reason      TEXT,
        rider_id    TEXT,
        code_id     TEXT,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX entries_recorded_at ON entries (recorded_at);
    ",
    // Issue 3: site details, bans and complaints, platform keys by hash, rider sessions,
    // admin tokens, and the indexes the reports need.
    r"
    ALTER TABLE sites ADD COLUMN kind TEXT NOT NULL DEFAULT 'residential';
    ALTER TABLE sites ADD COLUMN address TEXT NOT NULL DEFAULT '';
    ALTER TABLE sites ADD COLUMN district TEXT NOT NULL DEFAULT '';
    CREATE TABLE buildings (
        site_id INTEGER NOT NULL REFERENCES sites(id),
        name    TEXT NOT NULL,
        x       REAL NOT NULL,
        y       REAL NOT NULL,
        PRIMARY KEY (site_id, name)
    );
    CREATE TABLE parking_spots (
        site_id  INTEGER NOT NULL REFERENCES sites(id),
        name     TEXT NOT NULL,
        x        REAL NOT NULL,
        y        REAL NOT NULL,
        capacity INTEGER NOT NULL,
        PRIMARY KEY (site_id, name)
    );
    CREATE TABLE site_bans (
        site_id    INTEGER NOT NULL REFERENCES sites(id),
        rider_id   TEXT NOT NULL REFERENCES riders(id),
        reason     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (site_id, rider_id)
    );
    CREATE TABLE rider_complaints (
        id         INTEGER PRIMARY KEY,
        site_id    INTEGER NOT NULL REFERENCES sites(id),
        rider_id   TEXT NOT NULL REFERENCES riders(id),
        category   TEXT NOT NULL,
        note       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX rider_complaints_rider ON rider_complaints (rider_id, created_at);
    CREATE UNIQUE INDEX platforms_api_key ON platforms (api_key_hash);
    CREATE TABLE admin_tokens (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE login_links (
        token_hash BLOB PRIMARY KEY,
        rider_id   TEXT NOT NULL REFERENCES riders(id),
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
    );
    CREATE TABLE rider_sessions (
        token_hash BLOB PRIMARY KEY,
        rider_id   TEXT NOT NULL REFERENCES riders(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX rider_sessions_expiry ON rider_sessions (expires_at);
    CREATE INDEX riders_platform ON riders (platform_id, status);
    CREATE INDEX entries_rider ON entries (rider_id, recorded_at);
    CREATE INDEX entries_site ON entries (site_id, recorded_at);
    ALTER TABLE gates ADD COLUMN last_upload_at INTEGER;
    ",
    // Issue 4: the gate's trusted time, manual registrations and guard overrides.
    r"
    ALTER TABLE entries ADD COLUMN trusted_at INTEGER;
    ALTER TABLE entries ADD COLUMN manual TEXT;
    ALTER TABLE entries ADD COLUMN overrides TEXT;
    ",
    // Issue 6: riders asking for help about a site (投诉求助), and dashboard sessions.
    r"
    CREATE TABLE help_requests (
        id         INTEGER PRIMARY KEY,
        site_id    INTEGER NOT NULL REFERENCES sites(id),
        rider_id   TEXT NOT NULL REFERENCES riders(id),
        category   TEXT NOT NULL,
        note       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        closed_at  INTEGER,
        resolution TEXT
    );
    CREATE INDEX help_requests_open ON help_requests (closed_at, created_at);
    CREATE TABLE admin_sessions (
        token_hash BLOB PRIMARY KEY,
        admin_name TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX entries_denials ON entries (decision, recorded_at);
    ",
    // 6: a property's dashboard token sees one site; the regulator's (no site) sees all.
    "
    ALTER TABLE admin_tokens ADD COLUMN site_id INTEGER REFERENCES sites(id);
    ALTER TABLE admin_sessions ADD COLUMN site_id INTEGER;
    ",
    // 7: the per-day and per-site figures (dashboard, /v1/stats) count allows and denials;
    // with the decision in the index they never touch the table (8× and 5× faster).
    "
    DROP INDEX entries_recorded_at;
    CREATE INDEX entries_recorded_at ON entries (recorded_at, decision);
    DROP INDEX entries_site;
    CREATE INDEX entries_site ON entries (site_id, recorded_at, decision);
    ",
    // 8: a key can leave the trust list before its window ends: superseded by an emergency
    // rotation before it ever signed, or revoked because it was compromised.
    "
    ALTER TABLE signing_keys ADD COLUMN withdrawn_at INTEGER;
    ALTER TABLE signing_keys ADD COLUMN withdrawn_why TEXT
        CHECK (withdrawn_why IN ('superseded', 'revoked'));
    ",
    // 9: two standings per rider: `status` is the platform's (its roster), `regulator_status`
    // the issuer's; the status list carries the worse, and a roster can never lift the
    // regulator's.
    "
    ALTER TABLE riders ADD COLUMN regulator_status INTEGER NOT NULL DEFAULT 0;
    ",
    // 10: every credential can be cut off (issue 10). A gate's key can be revoked, or
    // replaced by a new one-time token for the same gate id (the key cut off is kept, so the
    // old tablet is told `gate_revoked` even after a new one enrolled); enrollment tokens expire (those
    // already out get three days from the upgrade). A platform holds several keys so that a
    // rotation can overlap; the one it had becomes its first. Admin tokens can be revoked, and
    // a dashboard session knows its token, so revoking the token ends its sessions: sessions
    // from before this migration do not, so they are dropped (a 12-hour login is all that is
    // lost). Ended sessions are kept until they expire, to answer `session_ended`. Each
    // action is written to the audit log in the same transaction.
    "
    ALTER TABLE gates ADD COLUMN revoked_at INTEGER;
    ALTER TABLE gates ADD COLUMN revoked_key BLOB;
    ALTER TABLE gates ADD COLUMN token_expires_at INTEGER;
    UPDATE gates SET token_expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 3 * 86400
        WHERE token_hash IS NOT NULL;
    CREATE TABLE platform_keys (
        id          INTEGER PRIMARY KEY,
        platform_id INTEGER NOT NULL REFERENCES platforms(id),
        key_hash    BLOB NOT NULL UNIQUE,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER,
        revoked_at  INTEGER
    );
    CREATE INDEX platform_keys_platform ON platform_keys (platform_id);
    INSERT INTO platform_keys (platform_id, key_hash, created_at)
        SELECT id, api_key_hash, created_at FROM platforms;
    ALTER TABLE admin_tokens ADD COLUMN revoked_at INTEGER;
    DELETE FROM admin_sessions;
    ALTER TABLE admin_sessions ADD COLUMN admin_token_id INTEGER REFERENCES admin_tokens(id);
    ALTER TABLE admin_sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE admin_sessions ADD COLUMN ended_at INTEGER;
    CREATE INDEX admin_sessions_token ON admin_sessions (admin_token_id);
    ALTER TABLE rider_sessions ADD COLUMN ended_at INTEGER;
    CREATE INDEX rider_sessions_rider ON rider_sessions (rider_id);
    CREATE TABLE audit_log (
        id     INTEGER PRIMARY KEY,
        at     INTEGER NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_log_at ON audit_log (at, id);
    ",
];

/// Reading connections beside the writer.
const READERS: usize = 4;

/// Meta key of the issuer's name.
pub const META_ISSUER: &str = "issuer";
/// Meta key of the public base URL.
pub const META_PUBLIC_URL: &str = "public_url";

/// The issuer's database: one writer and a few readers on the same file.
pub struct Store {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Store {
    /// Creates a new database at `path`, readable by its owner only; fails if one exists.
    pub fn create(path: &Path) -> Result<Self> {
        sqlite::create_file(path)?;
        Self::open(path)
    }

    /// Opens the existing database at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(IssuerError::NotInitialised(
                path.parent().unwrap_or(path).to_owned(),
            ));
        }
        let writer = sqlite::open(path, MIGRATIONS)?;
        let readers = (0..READERS)
            .map(|_| sqlite::open(path, MIGRATIONS).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on the writing connection.
    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A panic while holding a connection leaves SQLite consistent (an open transaction
        // rolls back when dropped), so a poisoned lock is safe to take over.
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }

    /// Runs `f` on a reading connection: the first free one, or the next in turn.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.reader();
        f(&conn)
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            if let Ok(conn) = reader.try_lock() {
                return conn;
            }
        }
        let at = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[at]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| Ok(sqlite::meta(c, key)?))
    }

    /// Sets a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|c| Ok(sqlite::set_meta(c, key, value)?))
    }
}

/// Maps a constraint violation to a conflict with `message`; other errors pass through.
fn unique_to_conflict(e: rusqlite::Error, message: impl FnOnce() -> String) -> IssuerError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            IssuerError::Conflict(message())
        }
        other => IssuerError::Store(other),
    }
}

/// Row ids start at 1 and only grow.
fn row_id(conn: &Connection) -> u64 {
    u64::try_from(conn.last_insert_rowid()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    // Test code: a failed expectation should stop the test where it happened.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use xiaoge_pass::UnixTime;

    use super::*;

    #[test]
    fn migration_10_keeps_platform_keys_and_gives_pending_tokens_an_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.db");
        sqlite::create_file(&path).unwrap();
        {
            let before = sqlite::open(&path, &MIGRATIONS[..MIGRATIONS.len() - 1]).unwrap();
            before
                .execute_batch(
                    "INSERT INTO platforms (id, name, api_key_hash, created_at)
                         VALUES (1, '美团', x'01', 100);
                     INSERT INTO sites (id, name, created_at) VALUES (1, '翠苑', 100);
                     INSERT INTO gates (id, site_id, name, token_hash, created_at)
                         VALUES (1, 1, '东门', x'02', 100);
                     INSERT INTO admin_sessions (token_hash, admin_name, expires_at)
                         VALUES (x'03', 'ops', 9999999999);",
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let key = store.platform_by_key(&[1]).unwrap().expect("the old key");
        assert_eq!(key.platform.name, "美团");
        assert_eq!((key.expires_at, key.revoked_at), (None, None));
        let gates = crate::paging::every(|p| store.gates(None, p)).unwrap();
        let expires = gates[0].token_expires_at.expect("a pending token expires");
        assert!(expires.0 > 1_700_000_000, "{expires:?}");
        assert!(
            store
                .admin_session(&[3], UnixTime(1_000))
                .unwrap()
                .is_none(),
            "sessions without a token id are dropped"
        );
    }
}
