//! Riders, their statuses (which drive the status list), login links and sessions.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use xiaoge_pass::{RiderId, RiderStatus, UnixTime};

use super::{Store, unique_to_conflict};
use crate::error::{IssuerError, Result};
use crate::model::RiderInfo;
use crate::model::RosterStatus;
use crate::store::PlatformRow;

/// Meta key of the counter bumped by every rider status change.
const META_STATUS_EPOCH: &str = "status_epoch";

/// A rider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiderRow {
    /// The pseudonym.
    pub id: RiderId,
    /// The platform's id.
    pub platform_id: u64,
    /// The platform's display name.
    pub platform: String,
    /// The platform's own id for the rider.
    pub platform_rider_id: String,
    /// The masked display name.
    pub name: String,
    /// Index in the status list.
    pub status_index: u32,
    /// Current status.
    pub status: RiderStatus,
}

impl RiderRow {
    /// The rider as their platform sees them.
    #[must_use]
    pub fn info(&self) -> RiderInfo {
        RiderInfo {
            rider_id: self.id.clone(),
            platform_rider_id: self.platform_rider_id.clone(),
            name: self.name.clone(),
            platform: self.platform.clone(),
            status: RosterStatus::from_status(self.status),
        }
    }
}

/// A session's rider and when the session ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRider {
    /// The rider.
    pub rider: RiderRow,
    /// End of the session.
    pub expires_at: UnixTime,
}

/// What the status list is built from.
#[derive(Clone, Debug)]
pub struct StatusSnapshot {
    /// The highest status index assigned, if any rider exists.
    pub max_index: Option<u32>,
    /// Every index whose rider is not in good standing.
    pub not_valid: Vec<(u32, RiderStatus)>,
}

/// One roster row after validation: what the rider should look like.
#[derive(Clone, Debug)]
pub struct RosterChange {
    /// The platform's rider id.
    pub platform_rider_id: String,
    /// The masked name.
    pub name: String,
    /// The status.
    pub status: RiderStatus,
}

const RIDER_COLUMNS: &str = "r.id, r.platform_id, p.name, r.platform_rider_id, r.name, \
                             r.status_index, r.status";

fn rider_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RiderRow> {
    let id: String = r.get(0)?;
    Ok(RiderRow {
        id: RiderId::try_from(id).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        platform_id: r.get(1)?,
        platform: r.get(2)?,
        platform_rider_id: r.get(3)?,
        name: r.get(4)?,
        status_index: r.get(5)?,
        status: RiderStatus::from_value(r.get(6)?),
    })
}

fn bump_status_epoch(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [META_STATUS_EPOCH],
    )
    .map(drop)
}

fn next_status_index(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row(
        "SELECT COALESCE(MAX(status_index) + 1, 0) FROM riders",
        [],
        |r| r.get(0),
    )
}

fn pseudonym_taken(conn: &Connection, id: &RiderId) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM riders WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Store {
    /// Adds one rider with a fresh status index and a pseudonym from `new_id`.
    pub fn insert_rider(
        &self,
        platform: &PlatformRow,
        change: &RosterChange,
        new_id: &mut dyn FnMut() -> Result<RiderId>,
        now: UnixTime,
    ) -> Result<RiderRow> {
        let mut rows = self.upsert_roster(platform, std::slice::from_ref(change), new_id, now)?;
        match rows.pop() {
            Some((row, true)) => Ok(row),
            _ => Err(IssuerError::Conflict(format!(
                "platform {:?} already registered rider {:?}",
                platform.name, change.platform_rider_id
            ))),
        }
    }

    /// Applies a roster batch in one transaction: new riders are created, known ones updated.
    /// Returns each rider and whether it is new.
    pub fn upsert_roster(
        &self,
        platform: &PlatformRow,
        changes: &[RosterChange],
        new_id: &mut dyn FnMut() -> Result<RiderId>,
        now: UnixTime,
    ) -> Result<Vec<(RiderRow, bool)>> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut next_index = next_status_index(&tx)?;
            let mut out = Vec::with_capacity(changes.len());
            let mut status_changed = false;
            for change in changes {
                let existing = tx
                    .prepare_cached(
                        "SELECT id, status_index, status FROM riders
                         WHERE platform_id = ?1 AND platform_rider_id = ?2",
                    )?
                    .query_row(params![platform.id, change.platform_rider_id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, u32>(1)?,
                            r.get::<_, u8>(2)?,
                        ))
                    })
                    .optional()?;
                let (row, created) = match existing {
                    Some((id, status_index, status)) => {
                        tx.prepare_cached(
                            "UPDATE riders SET name = ?2, status = ?3, updated_at = ?4
                             WHERE id = ?1",
                        )?
                        .execute(params![
                            id,
                            change.name,
                            change.status.value(),
                            now.0
                        ])?;
                        status_changed |= status != change.status.value();
                        let id = RiderId::try_from(id)
                            .map_err(|e| IssuerError::Invalid(format!("stored rider id: {e}")))?;
                        (
                            RiderRow {
                                id,
                                platform_id: platform.id,
                                platform: platform.name.clone(),
                                platform_rider_id: change.platform_rider_id.clone(),
                                name: change.name.clone(),
                                status_index,
                                status: change.status,
                            },
                            false,
                        )
                    }
                    None => {
                        let id = loop {
                            let candidate = new_id()?;
                            if !pseudonym_taken(&tx, &candidate)? {
                                break candidate;
                            }
                        };
                        tx.prepare_cached(
                            "INSERT INTO riders (id, platform_id, platform_rider_id, name,
                                 status_index, status, created_at, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                        )?
                        .execute(params![
                            id.as_str(),
                            platform.id,
                            change.platform_rider_id,
                            change.name,
                            next_index,
                            change.status.value(),
                            now.0
                        ])
                        .map_err(|e| {
                            unique_to_conflict(e, || {
                                format!("rider {:?} appears twice", change.platform_rider_id)
                            })
                        })?;
                        status_changed |= change.status != RiderStatus::Valid;
                        let row = RiderRow {
                            id,
                            platform_id: platform.id,
                            platform: platform.name.clone(),
                            platform_rider_id: change.platform_rider_id.clone(),
                            name: change.name.clone(),
                            status_index: next_index,
                            status: change.status,
                        };
                        next_index += 1;
                        (row, true)
                    }
                };
                out.push((row, created));
            }
            if status_changed {
                bump_status_epoch(&tx)?;
            }
            tx.commit()?;
            Ok(out)
        })
    }

    /// The rider with this pseudonym.
    pub fn rider(&self, id: &RiderId) -> Result<Option<RiderRow>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {RIDER_COLUMNS} FROM riders r JOIN platforms p ON p.id = r.platform_id
                 WHERE r.id = ?1"
            ))?
            .query_row([id.as_str()], rider_row)
            .optional()?)
        })
    }

    /// The rider a platform knows by `platform_rider_id`.
    pub fn platform_rider(
        &self,
        platform: u64,
        platform_rider_id: &str,
    ) -> Result<Option<RiderRow>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {RIDER_COLUMNS} FROM riders r JOIN platforms p ON p.id = r.platform_id
                 WHERE r.platform_id = ?1 AND r.platform_rider_id = ?2"
            ))?
            .query_row(params![platform, platform_rider_id], rider_row)
            .optional()?)
        })
    }

    /// Sets a rider's status and bumps the status epoch; `false` if no such rider.
    pub fn set_rider_status(
        &self,
        id: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<bool> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE riders SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![id.as_str(), status.value(), now.0],
            )?;
            bump_status_epoch(&tx)?;
            tx.commit()?;
            Ok(changed == 1)
        })
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
        self.read(|c| {
            let max_index: Option<u32> =
                c.query_row("SELECT MAX(status_index) FROM riders", [], |r| r.get(0))?;
            let mut stmt =
                c.prepare("SELECT status_index, status FROM riders WHERE status != 0")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, u32>(0)?, RiderStatus::from_value(r.get(1)?)))
            })?;
            Ok(StatusSnapshot {
                max_index,
                not_valid: rows.collect::<rusqlite::Result<_>>()?,
            })
        })
    }

    /// Records a one-time login link.
    pub fn insert_login_link(
        &self,
        token_hash: &[u8],
        rider: &RiderId,
        expires_at: UnixTime,
    ) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO login_links (token_hash, rider_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, rider.as_str(), expires_at.0],
            )?;
            Ok(())
        })
    }

    /// Uses up a login link and opens a session for its rider, in one transaction; `None` if
    /// the link is unknown, used or expired.
    pub fn trade_login_link(
        &self,
        link_hash: &[u8],
        session_hash: &[u8],
        now: UnixTime,
        session_expires_at: UnixTime,
    ) -> Result<Option<RiderId>> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rider: Option<String> = tx
                .query_row(
                    "UPDATE login_links SET used_at = ?2
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                     RETURNING rider_id",
                    params![link_hash, now.0],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(rider) = rider else {
                return Ok(None);
            };
            tx.execute(
                "INSERT INTO rider_sessions (token_hash, rider_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![session_hash, rider, now.0, session_expires_at.0],
            )?;
            tx.execute("DELETE FROM rider_sessions WHERE expires_at < ?1", [now.0])?;
            tx.execute(
                "DELETE FROM login_links WHERE expires_at < ?1",
                [now.0 - 86_400],
            )?;
            tx.commit()?;
            Ok(Some(RiderId::try_from(rider).map_err(|e| {
                IssuerError::Invalid(format!("stored rider id: {e}"))
            })?))
        })
    }

    /// The rider of a live session.
    pub fn session(&self, session_hash: &[u8], now: UnixTime) -> Result<Option<SessionRider>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {RIDER_COLUMNS}, s.expires_at FROM rider_sessions s
                 JOIN riders r ON r.id = s.rider_id JOIN platforms p ON p.id = r.platform_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2"
            ))?
            .query_row(params![session_hash, now.0], |r| {
                Ok(SessionRider {
                    rider: rider_row(r)?,
                    expires_at: UnixTime(r.get(7)?),
                })
            })
            .optional()?)
        })
    }

    /// Ends a session.
    pub fn end_session(&self, session_hash: &[u8]) -> Result<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM rider_sessions WHERE token_hash = ?1",
                [session_hash],
            )?;
            Ok(())
        })
    }
}
