//! Listing and ending the sessions people hold: riders' phone pages and dashboard logins.
//!
//! A session is named by the first 16 hex digits of its token's hash: enough to tell
//! sessions apart, and nothing that would open one. An ended session stays (marked) until it
//! would have expired, so that its holder is told it was ended rather than that it is
//! unknown.

use rusqlite::{OptionalExtension, params};
use xiaoge_pass::{RiderId, UnixTime};

use super::Store;
use super::audit::{Audit, record};
use crate::error::{IssuerError, Result};
use crate::model::{LiveSession, SessionKind};
use crate::paging::{Page, PageRequest};

/// The id of a session from its token's hash, in SQL.
const SESSION_ID: &str = "lower(hex(substr(token_hash, 1, 8)))";

impl Store {
    /// A page of the live sessions, of one rider or one admin token if asked, oldest first
    /// (ties in id order); the page's key is `created_at.id`.
    pub fn live_sessions(
        &self,
        rider: Option<&RiderId>,
        admin_token: Option<u64>,
        now: UnixTime,
        page: &PageRequest,
    ) -> Result<Page<LiveSession>> {
        let (after_at, after_id) = page
            .after_time_and_id()?
            .unwrap_or((i64::MIN, String::new()));
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT id, kind, rider_id, admin_token_id, holder, created_at, expires_at FROM (
                     SELECT {SESSION_ID} AS id, 'rider' AS kind, s.rider_id AS rider_id,
                         NULL AS admin_token_id, r.name AS holder, s.created_at AS created_at,
                         s.expires_at AS expires_at
                     FROM rider_sessions s JOIN riders r ON r.id = s.rider_id
                     WHERE ?3 IS NULL AND (?2 IS NULL OR s.rider_id = ?2)
                         AND s.ended_at IS NULL AND s.expires_at > ?1
                     UNION ALL
                     SELECT {SESSION_ID}, 'admin', NULL, admin_token_id, admin_name, created_at,
                         expires_at
                     FROM admin_sessions
                     WHERE ?2 IS NULL AND (?3 IS NULL OR admin_token_id = ?3)
                         AND ended_at IS NULL AND expires_at > ?1
                 )
                 WHERE (created_at, id) > (?4, ?5) ORDER BY created_at, id LIMIT ?6"
            ))?;
            let rows = stmt.query_map(
                params![
                    now.0,
                    rider.map(RiderId::as_str),
                    admin_token,
                    after_at,
                    after_id,
                    page.fetch()
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<u64>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (id, kind, rider, admin_token, holder, created, expires) = row?;
                let rider = rider
                    .map(RiderId::try_from)
                    .transpose()
                    .map_err(|e| IssuerError::Invalid(format!("stored rider id: {e}")))?;
                let key = format!("{created}.{id}");
                out.push((
                    key,
                    LiveSession {
                        id,
                        kind: if kind == "rider" {
                            SessionKind::Rider
                        } else {
                            SessionKind::Admin
                        },
                        rider,
                        admin_token,
                        holder,
                        created_at: UnixTime(created),
                        expires_at: UnixTime(expires),
                    },
                ));
            }
            Ok(Page::from_keyed(out, page))
        })
    }

    /// Ends the live session named `id`, of either kind; which kind it was, if there was one.
    pub fn end_session_by_id(&self, id: &str, audit: &Audit) -> Result<Option<SessionKind>> {
        self.write(|c| {
            let tx = c.transaction()?;
            let mut ended = None;
            for (table, kind) in [
                ("rider_sessions", SessionKind::Rider),
                ("admin_sessions", SessionKind::Admin),
            ] {
                let n = tx.execute(
                    &format!(
                        "UPDATE {table} SET ended_at = ?2
                         WHERE {SESSION_ID} = ?1 AND ended_at IS NULL AND expires_at > ?2"
                    ),
                    params![id, audit.at.0],
                )?;
                if n > 0 {
                    ended = Some(kind);
                }
            }
            if ended.is_some() {
                record(&tx, audit)?;
                tx.commit()?;
            }
            Ok(ended)
        })
    }

    /// Ends every live session of `rider`; returns how many.
    pub fn end_rider_sessions(&self, rider: &RiderId, audit: &Audit) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE rider_sessions SET ended_at = ?2
                 WHERE rider_id = ?1 AND ended_at IS NULL AND expires_at > ?2",
                params![rider.as_str(), audit.at.0],
            )?;
            record(
                &tx,
                &Audit {
                    detail: format!("{n} session(s) ended"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
    }

    /// When the rider session with this token hash was ended, if it was.
    pub fn rider_session_ended_at(&self, session_hash: &[u8]) -> Result<Option<UnixTime>> {
        self.ended_at("rider_sessions", session_hash)
    }

    /// When the dashboard session with this token hash was ended, if it was.
    pub fn admin_session_ended_at(&self, session_hash: &[u8]) -> Result<Option<UnixTime>> {
        self.ended_at("admin_sessions", session_hash)
    }

    fn ended_at(&self, table: &'static str, session_hash: &[u8]) -> Result<Option<UnixTime>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT ended_at FROM {table} WHERE token_hash = ?1 AND ended_at IS NOT NULL"
            ))?
            .query_row([session_hash], |r| r.get::<_, i64>(0))
            .optional()?
            .map(UnixTime))
        })
    }
}
