//! The gate's local SQLite database: enrollment, cached lists, replay cache and entry log,
//! kept the project's way (`xiaoge_sqlite`).
//!
//! Durability contract: an entry is committed (WAL, `synchronous = FULL`) before its verdict
//! is shown, in the same transaction that records an accepted code as seen. Upload is
//! at-least-once: an entry is marked synced only after the issuer has answered for it, and
//! the issuer deduplicates by entry id. Un-synced entries are never deleted.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;
use xiaoge_pass::api::{Decision, Entry, EntryColumns, EntryMethod};
use xiaoge_pass::{CodeId, RiderId, SiteId, UnixTime};

use xiaoge_sqlite as sqlite;

use crate::error::{GateError, Result};

const MIGRATIONS: &[&str] = &[
    r"
    CREATE TABLE enrollment (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        gate_id         INTEGER NOT NULL,
        gate_name       TEXT NOT NULL,
        site_id         INTEGER NOT NULL,
        site_name       TEXT NOT NULL,
        issuer_url      TEXT NOT NULL,
        issuer_name     TEXT NOT NULL,
        root_public_key BLOB NOT NULL,
        gate_seed       BLOB NOT NULL,
        enrolled_at     INTEGER NOT NULL
    );
    CREATE TABLE lists (
        name       TEXT PRIMARY KEY,
        bytes      BLOB NOT NULL,
        issued_at  INTEGER NOT NULL,
        etag       TEXT,
        fetched_at INTEGER NOT NULL
    );
    CREATE TABLE seen_codes (
        code_id    TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE entries (
        id          TEXT PRIMARY KEY,
        recorded_at INTEGER NOT NULL,
        method      TEXT NOT NULL,
        decision    TEXT NOT NULL,
        reason      TEXT,
        rider_id    TEXT,
        rider_name  TEXT,
        platform    TEXT,
        code_id     TEXT,
        synced_at   INTEGER
    );
    CREATE INDEX entries_unsynced ON entries (recorded_at) WHERE synced_at IS NULL;
",
    // Issue 4: the trusted clock, manual registrations and overrides, and purging by age.
    r"
    ALTER TABLE entries ADD COLUMN trusted_at INTEGER;
    ALTER TABLE entries ADD COLUMN manual TEXT;
    ALTER TABLE entries ADD COLUMN overrides TEXT;
    CREATE INDEX entries_synced ON entries (synced_at) WHERE synced_at IS NOT NULL;
    CREATE UNIQUE INDEX entries_overrides ON entries (overrides) WHERE overrides IS NOT NULL;
",
    // Issue 10: the CA file pinned at enrollment (PEM), the only roots trusted for the
    // issuer's TLS certificate when set.
    r"
    ALTER TABLE enrollment ADD COLUMN issuer_ca_pem TEXT;
",
    // Issue 10: entries the issuer refused keep its reason and are never purged.
    r"
    ALTER TABLE entries ADD COLUMN upload_error TEXT;
",
    // A replayed code's verdict says when the code was first let in, found by its id.
    r"
    CREATE INDEX entries_code ON entries (code_id) WHERE code_id IS NOT NULL;
",
];

/// Which cached list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListName {
    /// The trust list.
    Trust,
    /// The status list.
    Status,
    /// The site bundle (the site's name and bans).
    Site,
}

impl ListName {
    fn key(self) -> &'static str {
        match self {
            ListName::Trust => "trust",
            ListName::Status => "status",
            ListName::Site => "site",
        }
    }
}

/// The gate's identity and its issuer.
#[derive(Clone, Debug)]
pub struct Enrollment {
    /// The gate id the issuer assigned.
    pub gate_id: u64,
    /// The gate's name.
    pub gate_name: String,
    /// The site it guards.
    pub site_id: SiteId,
    /// The site's name.
    pub site_name: String,
    /// The issuer's base URL.
    pub issuer_url: String,
    /// The issuer's name (`iss`).
    pub issuer_name: String,
    /// The CA certificates (PEM) pinned with `enroll --ca-file`: when set, the only roots
    /// trusted for the issuer's TLS certificate; when not, Mozilla's roots are.
    pub issuer_ca_pem: Option<String>,
    /// The pinned root public key.
    pub root_public_key: Vec<u8>,
    /// The gate's secret key seed.
    pub gate_seed: [u8; 32],
    /// When it enrolled.
    pub enrolled_at: UnixTime,
}

/// A cached list.
#[derive(Clone, Debug)]
pub struct CachedList {
    /// The signed bytes, as fetched.
    pub bytes: Vec<u8>,
    /// The list's own `iat`.
    pub issued_at: UnixTime,
    /// The ETag the issuer sent with it.
    pub etag: Option<String>,
    /// When the gate last fetched or confirmed it.
    pub fetched_at: UnixTime,
}

/// One logged attempt, with what the guard saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEntry {
    /// The entry as uploaded.
    pub entry: Entry,
    /// The rider's masked name, kept on the gate for today's log.
    pub rider_name: Option<String>,
    /// The rider's platform, kept on the gate for today's log.
    pub platform: Option<String>,
    /// When the issuer acknowledged it, once synced.
    pub synced_at: Option<UnixTime>,
    /// Why the issuer rejected it, when it did: the entry is kept here and not sent again.
    pub upload_error: Option<String>,
}

/// Reads one row of `entries` (columns in the order `select_entries` selects them).
fn logged_entry(r: &rusqlite::Row<'_>, gate: u64, site: SiteId) -> Result<LoggedEntry> {
    let columns = EntryColumns {
        id: r.get(0)?,
        recorded_at: r.get(1)?,
        method: r.get(2)?,
        decision: r.get(3)?,
        reason: r.get(4)?,
        rider: r.get(5)?,
        code_id: r.get(8)?,
        trusted_at: r.get(10)?,
        manual: r.get(11)?,
        overrides: r.get(12)?,
    };
    Ok(LoggedEntry {
        entry: columns
            .into_entry(gate, site)
            .map_err(|e| GateError::Corrupt(e.to_string()))?,
        rider_name: r.get(6)?,
        platform: r.get(7)?,
        synced_at: r.get::<_, Option<i64>>(9)?.map(UnixTime),
        upload_error: r.get(13)?,
    })
}

/// Meta key: when the last sync completed.
pub const META_LAST_SYNC: &str = "last_sync_at";
/// Meta key: the issuer's clock minus ours at the last sync, in seconds.
pub const META_CLOCK_OFFSET: &str = "clock_offset";
/// Meta key: the last trusted time (JSON of `clock::TrustedTime`).
pub const META_TRUSTED_TIME: &str = "trusted_time";
/// Meta key: the gate's policy (JSON of `gate::GatePolicy`).
pub const META_POLICY: &str = "policy";
/// Meta key: the kiosk's language (`zh` or `en`).
pub const META_LANGUAGE: &str = "language";
/// Meta key: the guard PIN's hash, in hex.
pub const META_PIN_HASH: &str = "pin_hash";

/// The gate's database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens the database at `path`, creating it (mode 0600) when `create` allows.
    pub fn open(path: &Path, create: bool) -> Result<Self> {
        if !path.exists() {
            if !create {
                return Err(GateError::NotEnrolled(
                    path.parent().unwrap_or(path).to_owned(),
                ));
            }
            sqlite::create_file(path)?;
        }
        Ok(Self {
            conn: sqlite::open(path, MIGRATIONS)?,
        })
    }

    /// Records the enrollment; fails if the gate is already enrolled.
    pub fn set_enrollment(&self, e: &Enrollment) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO enrollment (id, gate_id, gate_name, site_id, site_name, issuer_url,
                     issuer_name, root_public_key, gate_seed, enrolled_at, issuer_ca_pem)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    e.gate_id,
                    e.gate_name,
                    e.site_id.0,
                    e.site_name,
                    e.issuer_url,
                    e.issuer_name,
                    e.root_public_key,
                    e.gate_seed.to_vec(),
                    e.enrolled_at.0,
                    e.issuer_ca_pem
                ],
            )
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    GateError::AlreadyEnrolled
                }
                other => GateError::Store(other),
            })?;
        Ok(())
    }

    /// The enrollment, if the gate is enrolled.
    pub fn enrollment(&self) -> Result<Option<Enrollment>> {
        let row = self
            .conn
            .query_row(
                "SELECT gate_id, gate_name, site_id, site_name, issuer_url, issuer_name,
                        root_public_key, gate_seed, enrolled_at, issuer_ca_pem
                 FROM enrollment WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, u64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                },
            )
            .optional()?;
        row.map(
            |(gate_id, gate_name, site, site_name, issuer_url, issuer_name, root, seed, at, ca)| {
                Ok(Enrollment {
                    gate_id,
                    gate_name,
                    site_id: SiteId(site),
                    site_name,
                    issuer_url,
                    issuer_name,
                    issuer_ca_pem: ca,
                    root_public_key: root,
                    gate_seed: seed
                        .try_into()
                        .map_err(|_| GateError::Corrupt("gate key seed is not 32 bytes".into()))?,
                    enrolled_at: UnixTime(at),
                })
            },
        )
        .transpose()
    }

    /// Stores a verified list.
    pub fn set_list(&self, name: ListName, list: &CachedList) -> Result<()> {
        self.conn.execute(
            "INSERT INTO lists (name, bytes, issued_at, etag, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET bytes = excluded.bytes,
                 issued_at = excluded.issued_at, etag = excluded.etag,
                 fetched_at = excluded.fetched_at",
            params![
                name.key(),
                list.bytes,
                list.issued_at.0,
                list.etag,
                list.fetched_at.0
            ],
        )?;
        Ok(())
    }

    /// Notes that the issuer confirmed the cached list is current.
    pub fn touch_list(&self, name: ListName, at: UnixTime) -> Result<()> {
        self.conn.execute(
            "UPDATE lists SET fetched_at = ?2 WHERE name = ?1",
            params![name.key(), at.0],
        )?;
        Ok(())
    }

    /// A cached list.
    pub fn list(&self, name: ListName) -> Result<Option<CachedList>> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes, issued_at, etag, fetched_at FROM lists WHERE name = ?1",
                [name.key()],
                |r| {
                    Ok(CachedList {
                        bytes: r.get(0)?,
                        issued_at: UnixTime(r.get(1)?),
                        etag: r.get(2)?,
                        fetched_at: UnixTime(r.get(3)?),
                    })
                },
            )
            .optional()?)
    }

    /// Ids of accepted codes still within `retain_after`.
    pub fn seen_codes(&self, retain_after: UnixTime) -> Result<Vec<CodeId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT code_id FROM seen_codes WHERE expires_at >= ?1")?;
        let rows = stmt.query_map([retain_after.0], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row?;
            out.push(
                text.parse()
                    .map_err(|_| GateError::Corrupt(format!("seen code id {text:?}")))?,
            );
        }
        Ok(out)
    }

    /// Logs an entry and, for an accepted code, records it as seen: one durable transaction.
    ///
    /// The seen mark is written first, inside the write lock, so that of two processes on one
    /// gate state (a kiosk and a second scanner) only one can accept a code: the other gets
    /// [`GateError::AlreadySeen`] and nothing is written.
    pub fn record(&mut self, entry: &LoggedEntry, seen: Option<(CodeId, UnixTime)>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((code, expires_at)) = seen {
            tx.execute(
                "INSERT INTO seen_codes (code_id, expires_at) VALUES (?1, ?2)",
                params![code.to_string(), expires_at.0],
            )
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    GateError::AlreadySeen(code.to_string())
                }
                other => GateError::Store(other),
            })?;
        }
        let e = &entry.entry;
        let manual = e
            .manual
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|err| GateError::Corrupt(format!("entry {}: {err}", e.id)))?;
        tx.execute(
            "INSERT INTO entries (id, recorded_at, method, decision, reason, rider_id, rider_name,
                 platform, code_id, synced_at, trusted_at, manual, overrides)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12)",
            params![
                e.id.to_string(),
                e.recorded_at.0,
                e.method.as_str(),
                e.decision.as_str(),
                e.reason,
                e.rider.as_ref().map(RiderId::as_str),
                entry.rider_name,
                entry.platform,
                e.code_id,
                e.trusted_at.map(|t| t.0),
                manual,
                e.overrides.map(|u| u.to_string())
            ],
        )
        .map_err(|err| match err {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                GateError::AlreadyOverridden
            }
            other => GateError::Store(other),
        })?;
        tx.commit()?;
        Ok(())
    }

    /// When the code `code` was first let in by a scan here (its entry's `recorded_at`), if
    /// that entry is still kept.
    pub fn first_admitted(&self, code: CodeId) -> Result<Option<UnixTime>> {
        Ok(self
            .conn
            .query_row(
                "SELECT MIN(recorded_at) FROM entries
                 WHERE code_id = ?1 AND method = ?2 AND decision = ?3",
                params![
                    code.to_string(),
                    EntryMethod::Scan.as_str(),
                    Decision::Allow.as_str()
                ],
                |r| r.get::<_, Option<i64>>(0),
            )?
            .map(UnixTime))
    }

    /// Forgets seen codes that expired before `before`.
    pub fn forget_seen_codes(&self, before: UnixTime) -> Result<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM seen_codes WHERE expires_at < ?1", [before.0])?)
    }

    /// The oldest un-synced entries, at most `limit`.
    pub fn unsynced(&self, gate: u64, site: SiteId, limit: usize) -> Result<Vec<Entry>> {
        self.select_entries(
            "WHERE synced_at IS NULL ORDER BY recorded_at, id LIMIT ?1",
            [i64::try_from(limit).unwrap_or(i64::MAX)],
            gate,
            site,
        )
        .map(|v| v.into_iter().map(|l| l.entry).collect())
    }

    /// Every entry recorded at or after `since`, oldest first.
    pub fn entries_since(
        &self,
        since: UnixTime,
        gate: u64,
        site: SiteId,
    ) -> Result<Vec<LoggedEntry>> {
        self.select_entries(
            "WHERE recorded_at >= ?1 ORDER BY recorded_at, id",
            [since.0],
            gate,
            site,
        )
    }

    fn select_entries(
        &self,
        filter: &str,
        args: [i64; 1],
        gate: u64,
        site: SiteId,
    ) -> Result<Vec<LoggedEntry>> {
        let sql = format!(
            "SELECT id, recorded_at, method, decision, reason, rider_id, rider_name, platform,
                    code_id, synced_at, trusted_at, manual, overrides, upload_error
             FROM entries {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(logged_entry(r, gate, site)?);
        }
        Ok(out)
    }

    /// The entry with this id.
    pub fn entry(&self, id: Uuid, gate: u64, site: SiteId) -> Result<Option<LoggedEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, recorded_at, method, decision, reason, rider_id, rider_name, platform,
                    code_id, synced_at, trusted_at, manual, overrides, upload_error
             FROM entries WHERE id = ?1",
        )?;
        let mut rows = stmt.query([id.to_string()])?;
        rows.next()?
            .map(|r| logged_entry(r, gate, site))
            .transpose()
    }

    /// Deletes synced entries recorded before `before`; un-synced ones, and ones the issuer
    /// rejected (the only record of them), are never deleted.
    pub fn purge_synced(&self, before: UnixTime) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM entries
             WHERE synced_at IS NOT NULL AND upload_error IS NULL AND recorded_at < ?1",
            [before.0],
        )?)
    }

    /// A number that changes whenever another connection commits to the database.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Marks entries synced.
    pub fn mark_synced(&mut self, ids: &[Uuid], at: UnixTime) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE entries SET synced_at = ?2 WHERE id = ?1 AND synced_at IS NULL",
            )?;
            for id in ids {
                stmt.execute(params![id.to_string(), at.0])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks entries the issuer rejected as done, with its reason, in one transaction.
    pub fn mark_rejected(&mut self, rejected: &[(Uuid, String)], at: UnixTime) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE entries SET synced_at = ?2, upload_error = ?3
                 WHERE id = ?1 AND synced_at IS NULL",
            )?;
            for (id, why) in rejected {
                stmt.execute(params![id.to_string(), at.0, why])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How many entries wait to be synced.
    pub fn pending(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM entries WHERE synced_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// A meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlite::meta(&self.conn, key)?)
    }

    /// Sets a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        Ok(sqlite::set_meta(&self.conn, key, value)?)
    }
}
