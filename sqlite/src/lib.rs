//! How this project keeps an SQLite file, for the issuer's store and the gate's alike: readable
//! by its owner only, WAL with `synchronous = FULL` (a committed transaction survives a power
//! cut), a busy timeout so that a CLI and a server can share it, numbered migrations recorded
//! in `PRAGMA user_version`, and a `meta` key–value table.

use std::fs::OpenOptions;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use thiserror::Error;

/// The `meta` table every database starts with; migrations are appended after it.
pub const META_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// Why a database could not be opened.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be created.
    #[error("creating {path}: {source}")]
    Create {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database was written by a newer build.
    #[error("database {path} has schema version {found}, newer than this build's {known}: upgrade")]
    SchemaTooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Creates an empty database file readable by its owner only; fails if it exists.
pub fn create_file(path: &Path) -> Result<(), OpenError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|source| OpenError::Create {
            path: path.to_owned(),
            source,
        })
}

/// Opens the database at `path` and applies the migrations it has not seen yet.
pub fn open(path: &Path, migrations: &[&str]) -> Result<Connection, OpenError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(META_TABLE)?;
    let applied: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if applied > migrations.len() {
        return Err(OpenError::SchemaTooNew {
            path: path.to_owned(),
            found: applied,
            known: migrations.len(),
        });
    }
    for sql in &migrations[applied..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", migrations.len())?;
    tx.commit()?;
    Ok(conn)
}

/// A value from the `meta` table.
pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Sets a value in the `meta` table.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        create_file(&path).unwrap();
        assert!(create_file(&path).is_err(), "never overwrites");
        let v1 = ["CREATE TABLE a (x INTEGER);"];
        let conn = open(&path, &v1).unwrap();
        set_meta(&conn, "k", "1").unwrap();
        drop(conn);
        let v2 = ["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);"];
        let conn = open(&path, &v2).unwrap();
        assert_eq!(meta(&conn, "k").unwrap().as_deref(), Some("1"));
        drop(conn);
        assert!(matches!(
            open(&path, &v1),
            Err(OpenError::SchemaTooNew {
                found: 2,
                known: 1,
                ..
            })
        ));
    }
}
