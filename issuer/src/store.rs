//! Every SQL statement of the issuer, behind one type, so that another engine (PostgreSQL for
//! a province) can replace SQLite without touching the handlers.
//!
//! The embedded default is one SQLite file kept the project's way ([`crate::sqlite`]): an
//! entry the issuer has acknowledged to a gate survives a power cut.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use xiaoge_pass::api::{Decision, Entry, EntryMethod, UploadOutcome};
use xiaoge_pass::{RiderId, RiderStatus, SiteId, UnixTime};

use crate::error::{IssuerError, Result};
use crate::sqlite;

/// Numbered schema migrations; the database records how many it has applied.
const MIGRATIONS: &[&str] = &[r"
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
"];

/// Meta key of the issuer's name.
pub const META_ISSUER: &str = "issuer";
/// Meta key of the public base URL.
pub const META_PUBLIC_URL: &str = "public_url";
/// Meta key of the counter bumped by every rider status change.
const META_STATUS_EPOCH: &str = "status_epoch";

/// A signing key as the database records it (the secret half lives in a key file).
#[derive(Clone, Debug)]
pub struct SigningKeyRow {
    /// Key id in hex.
    pub kid: String,
    /// Raw public key.
    pub public_key: Vec<u8>,
    /// First second it may sign.
    pub valid_from: UnixTime,
    /// Last second it may sign.
    pub valid_until: UnixTime,
}

/// A platform.
#[derive(Clone, Debug)]
pub struct PlatformRow {
    /// Its id.
    pub id: u64,
    /// Its display name, as codes carry it.
    pub name: String,
}

/// A site.
#[derive(Clone, Debug)]
pub struct SiteRow {
    /// Its id.
    pub id: SiteId,
    /// Its name.
    pub name: String,
}

/// A gate.
#[derive(Clone, Debug)]
pub struct GateRow {
    /// Its id.
    pub id: u64,
    /// Its site.
    pub site_id: SiteId,
    /// Its name.
    pub name: String,
    /// The public key it registered at enrollment, once enrolled.
    pub public_key: Option<Vec<u8>>,
}

/// A rider.
#[derive(Clone, Debug)]
pub struct RiderRow {
    /// The pseudonym.
    pub id: RiderId,
    /// The platform's display name.
    pub platform: String,
    /// The masked display name.
    pub name: String,
    /// Index in the status list.
    pub status_index: u32,
    /// Current status.
    pub status: RiderStatus,
}

/// What the status list is built from.
#[derive(Clone, Debug)]
pub struct StatusSnapshot {
    /// The highest status index assigned, if any rider exists.
    pub max_index: Option<u32>,
    /// Every index whose rider is not in good standing.
    pub not_valid: Vec<(u32, RiderStatus)>,
}

/// An entry as stored, with when the issuer received it.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    /// The entry as the gate sent it.
    pub entry: Entry,
    /// When the issuer stored it.
    pub received_at: UnixTime,
}

/// The issuer's database.
pub struct Store {
    conn: Connection,
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
        Ok(Self {
            conn: sqlite::open(path, MIGRATIONS)?,
        })
    }

    /// A meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlite::meta(&self.conn, key)?)
    }

    /// Sets a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        Ok(sqlite::set_meta(&self.conn, key, value)?)
    }

    /// Records a signing key.
    pub fn insert_signing_key(&self, key: &SigningKeyRow, now: UnixTime) -> Result<()> {
        self.conn.execute(
            "INSERT INTO signing_keys (kid, public_key, valid_from, valid_until, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key.kid,
                key.public_key,
                key.valid_from.0,
                key.valid_until.0,
                now.0
            ],
        )?;
        Ok(())
    }

    /// Every signing key, oldest first.
    pub fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT kid, public_key, valid_from, valid_until FROM signing_keys
             ORDER BY valid_from, kid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SigningKeyRow {
                kid: r.get(0)?,
                public_key: r.get(1)?,
                valid_from: UnixTime(r.get(2)?),
                valid_until: UnixTime(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the published trust list.
    pub fn set_trust_list(&self, issued_at: UnixTime, bytes: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO trust_list (id, issued_at, bytes) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET issued_at = excluded.issued_at, bytes = excluded.bytes",
            params![issued_at.0, bytes],
        )?;
        Ok(())
    }

    /// The published trust list.
    pub fn trust_list(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT bytes FROM trust_list WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Adds a platform; its name must be new.
    pub fn insert_platform(&self, name: &str, api_key_hash: &[u8], now: UnixTime) -> Result<u64> {
        self.conn
            .execute(
                "INSERT INTO platforms (name, api_key_hash, created_at) VALUES (?1, ?2, ?3)",
                params![name, api_key_hash, now.0],
            )
            .map_err(|e| unique_to_conflict(e, format!("platform {name:?} already exists")))?;
        Ok(self.last_id())
    }

    /// The platform with this id or exact name.
    pub fn platform(&self, id_or_name: &str) -> Result<Option<PlatformRow>> {
        let id: i64 = id_or_name.parse().unwrap_or(-1);
        Ok(self
            .conn
            .query_row(
                "SELECT id, name FROM platforms WHERE id = ?1 OR name = ?2",
                params![id, id_or_name],
                |r| {
                    Ok(PlatformRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Adds a site.
    pub fn insert_site(&self, name: &str, now: UnixTime) -> Result<SiteId> {
        self.conn.execute(
            "INSERT INTO sites (name, created_at) VALUES (?1, ?2)",
            params![name, now.0],
        )?;
        Ok(SiteId(self.last_id()))
    }

    /// The site with this id.
    pub fn site(&self, id: SiteId) -> Result<Option<SiteRow>> {
        Ok(self
            .conn
            .query_row("SELECT id, name FROM sites WHERE id = ?1", [id.0], |r| {
                Ok(SiteRow {
                    id: SiteId(r.get(0)?),
                    name: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// Adds a gate awaiting enrollment with the token whose hash is given.
    pub fn insert_gate(
        &self,
        site: SiteId,
        name: &str,
        token_hash: &[u8],
        now: UnixTime,
    ) -> Result<u64> {
        self.conn.execute(
            "INSERT INTO gates (site_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![site.0, name, token_hash, now.0],
        )?;
        Ok(self.last_id())
    }

    /// Enrolls the gate holding this token: records its key and burns the token.
    pub fn enroll_gate(
        &self,
        token_hash: &[u8],
        public_key: &[u8],
        now: UnixTime,
    ) -> Result<Option<GateRow>> {
        let id: Option<u64> = self
            .conn
            .query_row(
                "UPDATE gates SET public_key = ?2, enrolled_at = ?3, token_hash = NULL
                 WHERE token_hash = ?1 AND public_key IS NULL
                 RETURNING id",
                params![token_hash, public_key, now.0],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.gate(id),
            None => Ok(None),
        }
    }

    /// The gate with this id.
    pub fn gate(&self, id: u64) -> Result<Option<GateRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, site_id, name, public_key FROM gates WHERE id = ?1",
                [id],
                |r| {
                    Ok(GateRow {
                        id: r.get(0)?,
                        site_id: SiteId(r.get(1)?),
                        name: r.get(2)?,
                        public_key: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Adds a rider with a fresh status index; `pseudonym` must be new.
    pub fn insert_rider(
        &mut self,
        platform: &PlatformRow,
        platform_rider_id: &str,
        name: &str,
        pseudonym: &RiderId,
        now: UnixTime,
    ) -> Result<RiderRow> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let index: u32 = tx.query_row(
            "SELECT COALESCE(MAX(status_index) + 1, 0) FROM riders",
            [],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO riders (id, platform_id, platform_rider_id, name, status_index,
                                 created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                pseudonym.as_str(),
                platform.id,
                platform_rider_id,
                name,
                index,
                now.0
            ],
        )
        .map_err(|e| {
            unique_to_conflict(
                e,
                format!(
                    "platform {:?} already registered rider {platform_rider_id:?}",
                    platform.name
                ),
            )
        })?;
        tx.commit()?;
        Ok(RiderRow {
            id: pseudonym.clone(),
            platform: platform.name.clone(),
            name: name.to_owned(),
            status_index: index,
            status: RiderStatus::Valid,
        })
    }

    /// Whether a rider has this pseudonym.
    pub fn rider_exists(&self, id: &RiderId) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM riders WHERE id = ?1", [id.as_str()], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    /// The rider with this pseudonym.
    pub fn rider(&self, id: &RiderId) -> Result<Option<RiderRow>> {
        self.conn
            .query_row(
                "SELECT r.id, p.name, r.name, r.status_index, r.status
                 FROM riders r JOIN platforms p ON p.id = r.platform_id WHERE r.id = ?1",
                [id.as_str()],
                |r| {
                    let id: String = r.get(0)?;
                    Ok((id, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, u8>(4)?))
                },
            )
            .optional()?
            .map(|(id, platform, name, status_index, status)| {
                Ok::<_, IssuerError>(RiderRow {
                    id: RiderId::try_from(id).map_err(|e| IssuerError::Invalid(e.to_string()))?,
                    platform,
                    name,
                    status_index,
                    status: RiderStatus::from_value(status),
                })
            })
            .transpose()
    }

    /// Sets a rider's status and bumps the status epoch; `false` if no such rider.
    pub fn set_rider_status(
        &mut self,
        id: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE riders SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.as_str(), status.value(), now.0],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, '1')
             ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [META_STATUS_EPOCH],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// A number that changes whenever any rider's status changes.
    pub fn status_epoch(&self) -> Result<i64> {
        Ok(self
            .meta(META_STATUS_EPOCH)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The highest status index in use and every index whose status is not valid.
    pub fn statuses(&self) -> Result<StatusSnapshot> {
        let max: Option<u32> =
            self.conn
                .query_row("SELECT MAX(status_index) FROM riders", [], |r| r.get(0))?;
        let mut stmt = self
            .conn
            .prepare("SELECT status_index, status FROM riders WHERE status != 0")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, u32>(0)?, RiderStatus::from_value(r.get(1)?)))
        })?;
        Ok(StatusSnapshot {
            max_index: max,
            not_valid: rows.collect::<rusqlite::Result<_>>()?,
        })
    }

    /// Records a gate's request nonce; `false` if that gate used it before.
    pub fn remember_nonce(&self, gate: u64, nonce: &str, now: UnixTime) -> Result<bool> {
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO gate_nonces (gate_id, nonce, seen_at) VALUES (?1, ?2, ?3)",
            params![gate, nonce, now.0],
        )?;
        Ok(inserted == 1)
    }

    /// Forgets nonces seen before `before`: requests that old are refused by time anyway.
    pub fn forget_nonces(&self, before: UnixTime) -> Result<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM gate_nonces WHERE seen_at < ?1", [before.0])?)
    }

    /// Stores a batch of entries in one transaction; an id already stored is a duplicate.
    pub fn insert_entries(
        &mut self,
        entries: &[Entry],
        now: UnixTime,
    ) -> Result<Vec<UploadOutcome>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(entries.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO entries (id, gate_id, site_id, recorded_at, method,
                     decision, reason, rider_id, code_id, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for e in entries {
                let inserted = insert.execute(params![
                    e.id.to_string(),
                    e.gate_id,
                    e.site_id.0,
                    e.recorded_at.0,
                    e.method.as_str(),
                    e.decision.as_str(),
                    e.reason,
                    e.rider.as_ref().map(RiderId::as_str),
                    e.code_id,
                    now.0
                ])?;
                outcomes.push(if inserted == 1 {
                    UploadOutcome::Stored
                } else {
                    UploadOutcome::Duplicate
                });
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// Every stored entry, in the order the gates recorded them.
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, gate_id, site_id, recorded_at, method, decision, reason, rider_id,
                    code_id, received_at
             FROM entries ORDER BY recorded_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, u64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, i64>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                gate_id,
                site_id,
                recorded_at,
                method,
                decision,
                reason,
                rider,
                code_id,
                received_at,
            ) = row?;
            let corrupt =
                |what: &str| IssuerError::Invalid(format!("stored entry {id}: bad {what}"));
            out.push(StoredEntry {
                entry: Entry {
                    id: id.parse().map_err(|_| corrupt("id"))?,
                    gate_id,
                    site_id: SiteId(site_id),
                    recorded_at: UnixTime(recorded_at),
                    method: EntryMethod::parse(&method).ok_or_else(|| corrupt("method"))?,
                    decision: Decision::parse(&decision).ok_or_else(|| corrupt("decision"))?,
                    reason,
                    rider: rider
                        .map(RiderId::try_from)
                        .transpose()
                        .map_err(|_| corrupt("rider"))?,
                    code_id,
                },
                received_at: UnixTime(received_at),
            });
        }
        Ok(out)
    }

    fn last_id(&self) -> u64 {
        // Row ids start at 1 and only grow, so the conversion cannot fail.
        u64::try_from(self.conn.last_insert_rowid()).unwrap_or(0)
    }
}

fn unique_to_conflict(e: rusqlite::Error, message: String) -> IssuerError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            IssuerError::Conflict(message)
        }
        other => IssuerError::Store(other),
    }
}
