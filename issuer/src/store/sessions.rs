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

/// The id of a session from its token's hash, in SQL.
const SESSION_ID: &str = "lower(hex(substr(token_hash, 1, 8)))";

impl Store {
    /// The live sessions, of one rider or one admin token if asked, oldest first.
    pub fn live_sessions(
        &self,
        rider: Option<&RiderId>,
        admin_token: Option<u64>,
        now: UnixTime,
    ) -> Result<Vec<LiveSession>> {
        self.read(|c| {
            let mut out = Vec::new();
            if admin_token.is_none() {
                let mut stmt = c.prepare(&format!(
                    "SELECT {SESSION_ID}, s.rider_id, r.name, s.created_at, s.expires_at
                     FROM rider_sessions s JOIN riders r ON r.id = s.rider_id
                     WHERE s.ended_at IS NULL AND s.expires_at > ?1
                         AND (?2 IS NULL OR s.rider_id = ?2)
                     ORDER BY s.created_at"
                ))?;
                let rows = stmt.query_map(params![now.0, rider.map(RiderId::as_str)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                })?;
                for row in rows {
                    let (id, rider, holder, created, expires) = row?;
                    out.push(LiveSession {
                        id,
                        kind: SessionKind::Rider,
                        rider: Some(
                            RiderId::try_from(rider).map_err(|e| {
                                IssuerError::Invalid(format!("stored rider id: {e}"))
                            })?,
                        ),
                        admin_token: None,
                        holder,
                        created_at: UnixTime(created),
                        expires_at: UnixTime(expires),
                    });
                }
            }
            if rider.is_none() {
                let mut stmt = c.prepare(&format!(
                    "SELECT {SESSION_ID}, admin_token_id, admin_name, created_at, expires_at
                     FROM admin_sessions
                     WHERE ended_at IS NULL AND expires_at > ?1
                         AND (?2 IS NULL OR admin_token_id = ?2)
                     ORDER BY created_at"
                ))?;
                let rows = stmt.query_map(params![now.0, admin_token], |r| {
                    Ok(LiveSession {
                        id: r.get(0)?,
                        kind: SessionKind::Admin,
                        rider: None,
                        admin_token: r.get(1)?,
                        holder: r.get(2)?,
                        created_at: UnixTime(r.get(3)?),
                        expires_at: UnixTime(r.get(4)?),
                    })
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
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
