//! Platforms, their API keys (several at once while a rotation overlaps), and admin tokens.

use rusqlite::{OptionalExtension, params};
use xiaoge_pass::site_bundle::MAX_PLATFORMS;
use xiaoge_pass::{SiteId, UnixTime};

use super::audit::{Audit, record};
use super::{Store, row_id, unique_to_conflict};
use crate::error::{IssuerError, Result};
use crate::model::{Admin, AdminTokenInfo, PlatformInfo, PlatformKeyInfo};
use crate::paging::{Page, PageRequest};

/// A platform API key as presented, with where it stands; the service judges it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformKeyUse {
    /// The platform it belongs to.
    pub platform: PlatformRow,
    /// The key's id.
    pub key_id: u64,
    /// When it stops working (the end of a rotation's overlap), if rotated out.
    pub expires_at: Option<UnixTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// An admin token as presented, with where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminTokenUse {
    /// Its id.
    pub id: u64,
    /// Its holder.
    pub admin: Admin,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

fn key_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlatformKeyInfo> {
    Ok(PlatformKeyInfo {
        id: r.get(0)?,
        platform: r.get(1)?,
        created_at: UnixTime(r.get(2)?),
        expires_at: r.get::<_, Option<i64>>(3)?.map(UnixTime),
        revoked_at: r.get::<_, Option<i64>>(4)?.map(UnixTime),
    })
}

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
    /// Adds a platform with its first API key; its name must be new, and the platforms no
    /// more than a site bundle carries. `audit` gets the new platform as its target.
    pub fn insert_platform(&self, name: &str, api_key_hash: &[u8], audit: &Audit) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            // Counted inside the write transaction, so two adds at once cannot both pass: one
            // platform too many would make every site's bundle unpublishable.
            let count: u64 = tx.query_row("SELECT COUNT(*) FROM platforms", [], |r| r.get(0))?;
            if usize::try_from(count).map_or(true, |n| n >= MAX_PLATFORMS) {
                return Err(IssuerError::Conflict(format!(
                    "platform {name:?}: the issuer already has {count} platforms, the most a \
                     site bundle carries ({MAX_PLATFORMS})"
                )));
            }
            tx.execute(
                "INSERT INTO platforms (name, api_key_hash, created_at) VALUES (?1, ?2, ?3)",
                params![name, api_key_hash, audit.at.0],
            )
            .map_err(|e| unique_to_conflict(e, || format!("platform {name:?} already exists")))?;
            let id = row_id(&tx);
            tx.execute(
                "INSERT INTO platform_keys (platform_id, key_hash, created_at) VALUES (?1, ?2, ?3)",
                params![id, api_key_hash, audit.at.0],
            )?;
            record(
                &tx,
                &Audit {
                    target: format!("platform:{id}"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Adds a key to `platform` and makes every other live key of it stop at `old_until`
    /// (or earlier, if a previous rotation set that). Returns the new key's id.
    pub fn rotate_platform_key(
        &self,
        platform: u64,
        key_hash: &[u8],
        old_until: UnixTime,
        audit: &Audit,
    ) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE platform_keys SET expires_at = MIN(COALESCE(expires_at, ?2), ?2)
                 WHERE platform_id = ?1 AND revoked_at IS NULL",
                params![platform, old_until.0],
            )?;
            tx.execute(
                "INSERT INTO platform_keys (platform_id, key_hash, created_at) VALUES (?1, ?2, ?3)",
                params![platform, key_hash, audit.at.0],
            )?;
            let id = row_id(&tx);
            record(
                &tx,
                &Audit {
                    detail: format!("new key {id}; {}", audit.detail),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Revokes the live keys of `platform`, or only `key`; returns how many were revoked.
    pub fn revoke_platform_keys(
        &self,
        platform: u64,
        key: Option<u64>,
        audit: &Audit,
    ) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            let revoked = tx.execute(
                "UPDATE platform_keys SET revoked_at = ?3
                 WHERE platform_id = ?1 AND (?2 IS NULL OR id = ?2) AND revoked_at IS NULL",
                params![platform, key, audit.at.0],
            )?;
            if revoked > 0 {
                record(
                    &tx,
                    &Audit {
                        detail: format!("{revoked} key(s) revoked"),
                        ..audit.clone()
                    },
                )?;
                tx.commit()?;
            }
            Ok(u64::try_from(revoked).unwrap_or(u64::MAX))
        })
    }

    /// A page of the keys of `platform`, oldest first, without their secrets.
    pub fn platform_keys(
        &self,
        platform: u64,
        page: &PageRequest,
    ) -> Result<Page<PlatformKeyInfo>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, platform_id, created_at, expires_at, revoked_at FROM platform_keys
                 WHERE platform_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![platform, after, page.fetch()], |r| {
                key_info(r).map(|key| (key.id, key))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
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

    /// The platform whose API key has this hash, with where the key stands.
    pub fn platform_by_key(&self, api_key_hash: &[u8]) -> Result<Option<PlatformKeyUse>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT p.id, p.name, k.id, k.expires_at, k.revoked_at
                 FROM platform_keys k JOIN platforms p ON p.id = k.platform_id
                 WHERE k.key_hash = ?1",
            )?
            .query_row([api_key_hash], |r| {
                Ok(PlatformKeyUse {
                    platform: platform_row(r)?,
                    key_id: r.get(2)?,
                    expires_at: r.get::<_, Option<i64>>(3)?.map(UnixTime),
                    revoked_at: r.get::<_, Option<i64>>(4)?.map(UnixTime),
                })
            })
            .optional()?)
        })
    }

    /// Every platform's display name, in id order (the order they were added), for the
    /// site bundles; without the rider counts, which would cost a scan of every rider.
    pub fn platform_names(&self) -> Result<Vec<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT name FROM platforms ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A page of the platforms with their rider counts, in id order.
    pub fn platforms(&self, page: &PageRequest) -> Result<Page<PlatformInfo>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT p.id, p.name, COUNT(r.id) FROM platforms p
                 LEFT JOIN riders r ON r.platform_id = p.id
                 WHERE p.id > ?1 GROUP BY p.id ORDER BY p.id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, page.fetch()], |r| {
                let platform = PlatformInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    riders: r.get(2)?,
                };
                Ok((platform.id, platform))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
        })
    }

    /// Adds an admin token, for every site or for one; `audit` gets it as its target.
    pub fn insert_admin_token(
        &self,
        name: &str,
        site: Option<SiteId>,
        token_hash: &[u8],
        audit: &Audit,
    ) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO admin_tokens (name, site_id, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![name, site.map(|s| s.0), token_hash, audit.at.0],
            )?;
            let id = row_id(&tx);
            record(
                &tx,
                &Audit {
                    target: format!("admin-token:{id}"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// The admin token with this hash: its id, holder and standing.
    pub fn admin_token(&self, token_hash: &[u8]) -> Result<Option<AdminTokenUse>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, name, site_id, revoked_at FROM admin_tokens WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(AdminTokenUse {
                    id: r.get(0)?,
                    admin: Admin {
                        name: r.get(1)?,
                        site: r.get::<_, Option<u64>>(2)?.map(SiteId),
                    },
                    revoked_at: r.get::<_, Option<i64>>(3)?.map(UnixTime),
                })
            })
            .optional()?)
        })
    }

    /// A page of the admin tokens, in id order, without their secrets.
    pub fn admin_tokens(&self, page: &PageRequest) -> Result<Page<AdminTokenInfo>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name, site_id, created_at, revoked_at FROM admin_tokens
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, page.fetch()], |r| {
                let token = AdminTokenInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    site: r.get::<_, Option<u64>>(2)?.map(SiteId),
                    created_at: UnixTime(r.get(3)?),
                    revoked_at: r.get::<_, Option<i64>>(4)?.map(UnixTime),
                };
                Ok((token.id, token))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
        })
    }

    /// Revokes an admin token and ends its dashboard sessions; returns how many sessions
    /// ended, or `None` if there is no such live token.
    pub fn revoke_admin_token(&self, id: u64, audit: &Audit) -> Result<Option<u64>> {
        self.write(|c| {
            let tx = c.transaction()?;
            let changed = tx.execute(
                "UPDATE admin_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, audit.at.0],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            let sessions = tx.execute(
                "UPDATE admin_sessions SET ended_at = ?2
                 WHERE admin_token_id = ?1 AND ended_at IS NULL",
                params![id, audit.at.0],
            )?;
            record(
                &tx,
                &Audit {
                    detail: format!("{sessions} dashboard session(s) ended"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(Some(u64::try_from(sessions).unwrap_or(u64::MAX)))
        })
    }
}
