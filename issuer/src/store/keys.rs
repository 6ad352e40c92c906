//! Signing keys (their public halves) and the published trust list.

use rusqlite::{OptionalExtension, params};
use xiaoge_pass::UnixTime;

use super::Store;
use crate::error::Result;

/// A signing key as the database records it (the secret half lives in a key file).
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl Store {
    /// Records a signing key.
    pub fn insert_signing_key(&self, key: &SigningKeyRow, now: UnixTime) -> Result<()> {
        self.write(|c| {
            c.execute(
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
        })
    }

    /// Ends a key's signing window at `until` (never extends it).
    pub fn end_signing_window(&self, kid: &str, until: UnixTime) -> Result<()> {
        self.write(|c| {
            c.execute(
                "UPDATE signing_keys SET valid_until = MIN(valid_until, ?2) WHERE kid = ?1",
                params![kid, until.0],
            )?;
            Ok(())
        })
    }

    /// Every signing key, oldest first.
    pub fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
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
        })
    }

    /// Replaces the published trust list.
    pub fn set_trust_list(&self, issued_at: UnixTime, bytes: &[u8]) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO trust_list (id, issued_at, bytes) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET issued_at = excluded.issued_at,
                     bytes = excluded.bytes",
                params![issued_at.0, bytes],
            )?;
            Ok(())
        })
    }

    /// The published trust list.
    pub fn trust_list(&self) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT bytes FROM trust_list WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }
}
