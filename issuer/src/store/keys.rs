//! Signing keys (their public halves) and the published trust list.

use rusqlite::{OptionalExtension, params};
use xiaoge_pass::UnixTime;

use super::Store;
use crate::error::Result;
use xiaoge_sqlite as sqlite;

/// Meta key of the counter bumped by every change to the signing keys, so that a serving
/// process sees a rotation or revocation made by another process at its next signature.
const META_KEYS_EPOCH: &str = "keys_epoch";

/// Why a key left the trust list before its window ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// An emergency rotation replaced it before it ever signed.
    Superseded,
    /// It was compromised: nothing it signed is to be believed any more.
    Revoked,
}

impl Withdrawal {
    /// The word stored and shown for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Withdrawal::Superseded => "superseded",
            Withdrawal::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "superseded" => Ok(Withdrawal::Superseded),
            "revoked" => Ok(Withdrawal::Revoked),
            other => Err(rusqlite::Error::FromSqlConversionFailure(
                5,
                rusqlite::types::Type::Text,
                format!("unknown key withdrawal {other:?}").into(),
            )),
        }
    }
}

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
    /// When and why it left the trust list early, if it did.
    pub withdrawn: Option<(UnixTime, Withdrawal)>,
}

fn bump_keys_epoch(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [META_KEYS_EPOCH],
    )
    .map(drop)
}

impl Store {
    /// Records a signing key.
    pub fn insert_signing_key(&self, key: &SigningKeyRow, now: UnixTime) -> Result<()> {
        self.write(|c| {
            bump_keys_epoch(c)?;
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
            bump_keys_epoch(c)?;
            c.execute(
                "UPDATE signing_keys SET valid_until = MIN(valid_until, ?2) WHERE kid = ?1",
                params![kid, until.0],
            )?;
            Ok(())
        })
    }

    /// Takes a key out of the trust list before its window ends; `false` if there is no
    /// such key or it was already withdrawn.
    pub fn withdraw_signing_key(&self, kid: &str, why: Withdrawal, now: UnixTime) -> Result<bool> {
        self.write(|c| {
            let tx = c.transaction()?;
            let changed = tx.execute(
                "UPDATE signing_keys SET withdrawn_at = ?2, withdrawn_why = ?3
                 WHERE kid = ?1 AND withdrawn_at IS NULL",
                params![kid, now.0, why.as_str()],
            )?;
            if changed > 0 {
                bump_keys_epoch(&tx)?;
            }
            tx.commit()?;
            Ok(changed > 0)
        })
    }

    /// A number that changes whenever any signing key changes, in any process.
    pub fn keys_epoch(&self) -> Result<i64> {
        self.read(|c| {
            Ok(sqlite::meta(c, META_KEYS_EPOCH)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0))
        })
    }

    /// Every signing key, oldest first, withdrawn ones included.
    pub fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT kid, public_key, valid_from, valid_until, withdrawn_at, withdrawn_why
                 FROM signing_keys ORDER BY valid_from, kid",
            )?;
            let rows = stmt.query_map([], |r| {
                let withdrawn_at: Option<i64> = r.get(4)?;
                let why: Option<String> = r.get(5)?;
                let withdrawn = match (withdrawn_at, why) {
                    (Some(at), Some(why)) => Some((UnixTime(at), Withdrawal::parse(&why)?)),
                    _ => None,
                };
                Ok(SigningKeyRow {
                    kid: r.get(0)?,
                    public_key: r.get(1)?,
                    valid_from: UnixTime(r.get(2)?),
                    valid_until: UnixTime(r.get(3)?),
                    withdrawn,
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
