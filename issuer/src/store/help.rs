//! Riders' requests for help about a site, and the dashboard's sessions.

use rusqlite::{OptionalExtension, Row, params};
use xiaoge_pass::{RiderId, SiteId, UnixTime};

use super::{Store, row_id};
use crate::error::{IssuerError, Result};
use crate::model::{Admin, HelpCategory, HelpRequest, NewHelpRequest};
use crate::paging::{Page, PageRequest};

const HELP_COLUMNS: &str = "h.id, h.site_id, s.name, h.rider_id, r.name, p.name, h.category, \
     h.note, h.created_at, h.closed_at, h.resolution
     FROM help_requests h
     JOIN sites s ON s.id = h.site_id
     JOIN riders r ON r.id = h.rider_id
     JOIN platforms p ON p.id = r.platform_id";

fn help_row(r: &Row<'_>) -> rusqlite::Result<HelpRequest> {
    let bad = |column: usize, e: IssuerError| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    };
    let rider: String = r.get(3)?;
    let category: String = r.get(6)?;
    Ok(HelpRequest {
        id: r.get(0)?,
        site: SiteId(r.get(1)?),
        site_name: r.get(2)?,
        rider: RiderId::try_from(rider)
            .map_err(|e| bad(3, IssuerError::Invalid(format!("stored rider id: {e}"))))?,
        rider_name: r.get(4)?,
        platform: r.get(5)?,
        category: HelpCategory::parse(&category).ok_or_else(|| {
            bad(
                6,
                IssuerError::Invalid(format!("stored help category {category:?}")),
            )
        })?,
        note: r.get(7)?,
        created_at: UnixTime(r.get(8)?),
        closed_at: r.get::<_, Option<i64>>(9)?.map(UnixTime),
        resolution: r.get(10)?,
    })
}

/// How many help requests may be filed before more are refused for a while: enough for any
/// rider's genuine complaints, too few for one rider (or a script) to bury the dashboard.
#[derive(Clone, Copy, Debug)]
pub struct HelpLimits {
    /// Requests one rider may file in 24 hours.
    pub per_rider: u32,
    /// Requests one site may receive in an hour, from all riders.
    pub per_site: u32,
}

impl Store {
    /// Files a rider's request for help; returns its id.
    ///
    /// Refused with [`IssuerError::RateLimited`] when the rider has filed `limits.per_rider`
    /// in the last day or the site has had `limits.per_site` in the last hour: counted in the
    /// database, inside the write, so restarts and other processes cannot reset the count.
    pub fn insert_help_request(
        &self,
        rider: &RiderId,
        request: &NewHelpRequest,
        limits: HelpLimits,
        now: UnixTime,
    ) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            let count_since = |column: &str, value: &dyn rusqlite::ToSql, since: i64| {
                tx.query_row(
                    &format!(
                        "SELECT COUNT(*), MIN(created_at) FROM help_requests
                         WHERE {column} = ?1 AND created_at > ?2"
                    ),
                    params![value, since],
                    |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Option<i64>>(1)?)),
                )
            };
            for (column, value, window, limit) in [
                (
                    "rider_id",
                    &rider.as_str() as &dyn rusqlite::ToSql,
                    86_400,
                    limits.per_rider,
                ),
                (
                    "site_id",
                    &request.site.0 as &dyn rusqlite::ToSql,
                    3600,
                    limits.per_site,
                ),
            ] {
                let (count, oldest) = count_since(column, value, now.0 - window)?;
                if count >= limit {
                    return Err(IssuerError::RateLimited {
                        retry_after: oldest.map_or(window, |t| (t + window - now.0).max(1)),
                    });
                }
            }
            tx.execute(
                "INSERT INTO help_requests (site_id, rider_id, category, note, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    request.site.0,
                    rider.as_str(),
                    request.category.as_str(),
                    request.note,
                    now.0
                ],
            )?;
            let id = row_id(&tx);
            tx.commit()?;
            Ok(id)
        })
    }

    /// A page of help requests, newest first (in id order, so that a clock set back never
    /// hides one between pages): only the open ones if `open_only`, of one site if asked.
    pub fn help_requests(
        &self,
        open_only: bool,
        site: Option<SiteId>,
        page: &PageRequest,
    ) -> Result<Page<HelpRequest>> {
        let before = page.after_id()?.unwrap_or(u64::MAX);
        // SQLite integers are signed: a cursor past i64::MAX is before every id there is.
        let before = i64::try_from(before).unwrap_or(i64::MAX);
        self.read(|c| {
            let open = if open_only {
                "h.closed_at IS NULL"
            } else {
                "1"
            };
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {HELP_COLUMNS} WHERE {open} AND (?2 IS NULL OR h.site_id = ?2)
                     AND h.id < ?3
                 ORDER BY h.id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![page.fetch(), site.map(|s| s.0), before], |r| {
                help_row(r).map(|help| (help.id, help))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
        })
    }

    /// One help request.
    pub fn help_request(&self, id: u64) -> Result<Option<HelpRequest>> {
        self.read(|c| {
            Ok(
                c.prepare(&format!("SELECT {HELP_COLUMNS} WHERE h.id = ?1"))?
                    .query_row([id], help_row)
                    .optional()?,
            )
        })
    }

    /// Closes an open help request; `false` if it was already closed.
    pub fn close_help_request(&self, id: u64, resolution: &str, now: UnixTime) -> Result<bool> {
        self.write(|c| {
            let changed = c.execute(
                "UPDATE help_requests SET closed_at = ?2, resolution = ?3
                 WHERE id = ?1 AND closed_at IS NULL",
                params![id, now.0, resolution],
            )?;
            Ok(changed == 1)
        })
    }

    /// Opens a dashboard session for the holder of admin token `admin_token`.
    pub fn insert_admin_session(
        &self,
        token_hash: &[u8],
        admin_token: u64,
        admin: &Admin,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<()> {
        self.write(|c| {
            c.execute("DELETE FROM admin_sessions WHERE expires_at <= ?1", [now.0])?;
            c.execute(
                "INSERT INTO admin_sessions
                     (token_hash, admin_token_id, admin_name, site_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    token_hash,
                    admin_token,
                    admin.name,
                    admin.site.map(|s| s.0),
                    now.0,
                    expires_at.0
                ],
            )?;
            Ok(())
        })
    }

    /// The admin of a live dashboard session.
    pub fn admin_session(&self, token_hash: &[u8], now: UnixTime) -> Result<Option<Admin>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT admin_name, site_id FROM admin_sessions
                 WHERE token_hash = ?1 AND expires_at > ?2 AND ended_at IS NULL",
            )?
            .query_row(params![token_hash, now.0], |r| {
                Ok(Admin {
                    name: r.get(0)?,
                    site: r.get::<_, Option<u64>>(1)?.map(SiteId),
                })
            })
            .optional()?)
        })
    }

    /// Ends a dashboard session.
    pub fn end_admin_session(&self, token_hash: &[u8]) -> Result<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM admin_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
    }
}
