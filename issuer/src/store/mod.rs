//! Every SQL statement of the issuer, behind one type, so that another engine (PostgreSQL for
//! a province) can replace SQLite without touching the handlers.
//!
//! The embedded default is one SQLite file kept the project's way ([`crate::sqlite`]): an
//! entry the issuer has acknowledged to a gate survives a power cut. One connection writes;
//! a few more read at the same time (WAL lets readers run beside the writer), so minting
//! codes never queues behind an upload.

mod entries;
mod help;
mod keys;
mod platforms;
mod riders;
mod sites;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, ErrorCode};

use crate::error::{IssuerError, Result};
use crate::sqlite;

pub use entries::{CST_OFFSET, DayCount, StoredEntry};
pub use help::HelpLimits;
pub use keys::{SigningKeyRow, Withdrawal};
pub use platforms::PlatformRow;
pub use riders::{RiderRow, RosterChange, SessionRider, StatusSnapshot};
pub use sites::GateRow;

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
