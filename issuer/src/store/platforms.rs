//! Platforms, their API keys, and admin tokens.

use rusqlite::{OptionalExtension, params};
use xiaoge_pass::{SiteId, UnixTime};

use super::{Store, row_id, unique_to_conflict};
use crate::error::Result;
use crate::model::{Admin, PlatformInfo};

/// A platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformRow {
    /// Its id.
    pub id: u64,
    /// Its display name, as codes carry it.
    pub name: String,
}

fn platform_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlatformRow> {
    Ok(PlatformRow {
        id: r.get(0)?,
        name: r.get(1)?,
    })
}

impl Store {
    /// Adds a platform; its name must be new.
    pub fn insert_platform(&self, name: &str, api_key_hash: &[u8], now: UnixTime) -> Result<u64> {
        self.write(|c| {
            c.execute(
                "INSERT INTO platforms (name, api_key_hash, created_at) VALUES (?1, ?2, ?3)",
                params![name, api_key_hash, now.0],
            )
            .map_err(|e| unique_to_conflict(e, || format!("platform {name:?} already exists")))?;
            Ok(row_id(c))
        })
    }

    /// The platform with this id or exact name.
    pub fn platform(&self, id_or_name: &str) -> Result<Option<PlatformRow>> {
        let id: i64 = id_or_name.parse().unwrap_or(-1);
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, name FROM platforms WHERE id = ?1 OR name = ?2",
                params![id, id_or_name],
                platform_row,
            )
            .optional()?)
        })
    }

    /// The platform whose API key has this hash.
    pub fn platform_by_key(&self, api_key_hash: &[u8]) -> Result<Option<PlatformRow>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT id, name FROM platforms WHERE api_key_hash = ?1")?
                    .query_row([api_key_hash], platform_row)
                    .optional()?,
            )
        })
    }

    /// Every platform with its rider count.
    pub fn platforms(&self) -> Result<Vec<PlatformInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT p.id, p.name, COUNT(r.id) FROM platforms p
                 LEFT JOIN riders r ON r.platform_id = p.id
                 GROUP BY p.id ORDER BY p.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(PlatformInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    riders: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Adds an admin token, for every site or for one.
    pub fn insert_admin_token(
        &self,
        name: &str,
        site: Option<SiteId>,
        token_hash: &[u8],
        now: UnixTime,
    ) -> Result<u64> {
        self.write(|c| {
            c.execute(
                "INSERT INTO admin_tokens (name, site_id, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![name, site.map(|s| s.0), token_hash, now.0],
            )?;
            Ok(row_id(c))
        })
    }

    /// The holder of the admin token with this hash.
    pub fn admin_token(&self, token_hash: &[u8]) -> Result<Option<Admin>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT name, site_id FROM admin_tokens WHERE token_hash = ?1")?
                    .query_row([token_hash], |r| {
                        Ok(Admin {
                            name: r.get(0)?,
                            site: r.get::<_, Option<u64>>(1)?.map(SiteId),
                        })
                    })
                    .optional()?,
            )
        })
    }
}
