//! Riders, their statuses (which drive the status list), login links and sessions.
//!
//! A rider has two standings: the platform's (`riders.status`, what its roster and its
//! status calls say) and the regulator's (`riders.regulator_status`, what the operator's
//! `rider revoke/suspend/reinstate` say). Each side writes only its own column, so a nightly
//! roster can never lift a revocation the regulator made; the rider's standing, and what
//! the status list carries, is the worse of the two.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use xiaoge_pass::status_list::MAX_ENTRIES;
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
    /// The standing the platform set (roster uploads, its status calls).
    pub platform_status: RiderStatus,
    /// The standing the regulator set (the operator's `rider` commands).
    pub regulator_status: RiderStatus,
}

impl RiderRow {
    /// The rider's standing: the worse of the platform's and the regulator's. This is what
    /// the status list carries and what decides whether the rider gets codes.
    #[must_use]
    pub fn status(&self) -> RiderStatus {
        worse(self.platform_status, self.regulator_status)
    }

    /// The rider as their platform sees them.
    #[must_use]
    pub fn info(&self) -> RiderInfo {
        RiderInfo {
            rider_id: self.id.clone(),
            platform_rider_id: self.platform_rider_id.clone(),
            name: self.name.clone(),
            platform: self.platform.clone(),
            status: RosterStatus::from_status(self.status()),
            platform_status: RosterStatus::from_status(self.platform_status),
            regulator_status: RosterStatus::from_status(self.regulator_status),
        }
    }
}

/// The worse of two standings: revoked, then suspended, then valid.
fn worse(a: RiderStatus, b: RiderStatus) -> RiderStatus {
    // The wire values (0 valid, 1 revoked, 2 suspended) are not in order of severity.
    let rank = |s| match s {
        RiderStatus::Valid => 0,
        RiderStatus::Suspended => 1,
        RiderStatus::Revoked => 2,
    };
    if rank(b) > rank(a) { b } else { a }
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
    /// Every index whose rider is not in good standing, by either standing, with the
    /// rider's effective (worse) status.
    pub not_valid: Vec<(u32, RiderStatus)>,
}

/// One roster row after validation: what the rider should look like.
#[derive(Clone, Debug)]
pub struct RosterChange {
    /// The platform's rider id.
    pub platform_rider_id: String,
    /// The masked name.
    pub name: String,
    /// The platform's standing for the rider; the regulator's is never touched by a roster.
    pub status: RiderStatus,
}

const RIDER_COLUMNS: &str = "r.id, r.platform_id, p.name, r.platform_rider_id, r.name, \
                             r.status_index, r.status, r.regulator_status";
/// How many columns [`RIDER_COLUMNS`] selects, so that queries may add their own after them.
const RIDER_COLUMN_COUNT: usize = 8;

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
        platform_status: RiderStatus::from_value(r.get(6)?),
        regulator_status: RiderStatus::from_value(r.get(7)?),
    })
}

/// Whose standing a write is for; each side has its own column.
#[derive(Clone, Copy, Debug)]
enum Standing {
    /// `riders.status`: the platform's roster and status calls.
    Platform,
    /// `riders.regulator_status`: the operator's `rider` commands.
    Regulator,
}

impl Standing {
    const fn column(self) -> &'static str {
        match self {
            Standing::Platform => "status",
            Standing::Regulator => "regulator_status",
        }
    }
}

fn bump_status_epoch(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [META_STATUS_EPOCH],
    )
    .map(drop)
}

/// The next status index to give out: indexes are never reused, so this is also how many of
/// the status list's [`MAX_ENTRIES`] are used up.
fn next_status_index(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COALESCE(MAX(status_index) + 1, 0) FROM riders",
        [],
        |r| r.get(0),
    )
}

/// The status list's capacity, as a count of indexes.
const CAPACITY: u64 = MAX_ENTRIES as u64;

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
    ///
    /// Only the platform's standing is written; the regulator's stays as it was. A batch
    /// with more new riders than the status list has indexes left is refused whole
    /// ([`IssuerError::StatusListFull`]): a rider past the list's end would be unknown to
    /// every gate.
    pub fn upsert_roster(
        &self,
        platform: &PlatformRow,
        changes: &[RosterChange],
        new_id: &mut dyn FnMut() -> Result<RiderId>,
        now: UnixTime,
    ) -> Result<Vec<(RiderRow, bool)>> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // First who is known, so that a batch that cannot fit is refused before any
            // row of it is written.
            let mut known = Vec::with_capacity(changes.len());
            for change in changes {
                known.push(
                    tx.prepare_cached(
                        "SELECT id, status_index, status, regulator_status FROM riders
                         WHERE platform_id = ?1 AND platform_rider_id = ?2",
                    )?
                    .query_row(params![platform.id, change.platform_rider_id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, u32>(1)?,
                            r.get::<_, u8>(2)?,
                            r.get::<_, u8>(3)?,
                        ))
                    })
                    .optional()?,
                );
            }
            let first_free = next_status_index(&tx)?;
            let new_riders = known.iter().filter(|k| k.is_none()).count() as u64;
            let left = CAPACITY.saturating_sub(first_free);
            if new_riders > left {
                return Err(IssuerError::StatusListFull {
                    new_riders,
                    left,
                    capacity: CAPACITY,
                });
            }
            let mut next_index = first_free;
            let mut out = Vec::with_capacity(changes.len());
            let mut status_changed = false;
            for (change, existing) in changes.iter().zip(known) {
                let (row, created) = match existing {
                    Some((id, status_index, status, regulator_status)) => {
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
                                platform_status: change.status,
                                regulator_status: RiderStatus::from_value(regulator_status),
                            },
                            false,
                        )
                    }
                    None => {
                        // Checked against the capacity above, so this always fits.
                        let status_index = u32::try_from(next_index).map_err(|_| {
                            IssuerError::Invalid(format!(
                                "status index {next_index} is past the status list's \
                                 {CAPACITY} indexes"
                            ))
                        })?;
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
                            status_index,
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
                            status_index,
                            platform_status: change.status,
                            regulator_status: RiderStatus::Valid,
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

    /// Sets the platform's standing for a rider, leaving the regulator's as it is; the
    /// rider afterwards, or `None` if there is no such rider.
    pub fn set_platform_status(
        &self,
        id: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<Option<RiderRow>> {
        self.set_standing(id, Standing::Platform, status, now)
    }

    /// Sets the regulator's standing for a rider, leaving the platform's as it is; the rider
    /// afterwards, or `None` if there is no such rider.
    pub fn set_regulator_status(
        &self,
        id: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<Option<RiderRow>> {
        self.set_standing(id, Standing::Regulator, status, now)
    }

    /// Writes one side's standing and bumps the status epoch if it changed, so that the next
    /// status list is rebuilt.
    fn set_standing(
        &self,
        id: &RiderId,
        side: Standing,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<Option<RiderRow>> {
        let column = side.column();
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let old: Option<u8> = tx
                .query_row(
                    &format!("SELECT {column} FROM riders WHERE id = ?1"),
                    [id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(old) = old else {
                return Ok(None);
            };
            if old != status.value() {
                tx.execute(
                    &format!("UPDATE riders SET {column} = ?2, updated_at = ?3 WHERE id = ?1"),
                    params![id.as_str(), status.value(), now.0],
                )?;
                bump_status_epoch(&tx)?;
            }
            let row = tx
                .query_row(
                    &format!(
                        "SELECT {RIDER_COLUMNS} FROM riders r
                         JOIN platforms p ON p.id = r.platform_id WHERE r.id = ?1"
                    ),
                    [id.as_str()],
                    rider_row,
                )
                .optional()?;
            tx.commit()?;
            Ok(row)
        })
    }

    /// How many status indexes are used up (indexes are never reused), of
    /// [`MAX_ENTRIES`].
    pub fn status_indexes_used(&self) -> Result<u64> {
        self.read(|c| Ok(next_status_index(c)?))
    }

    /// A number that changes whenever any rider's status changes.
    pub fn status_epoch(&self) -> Result<i64> {
        Ok(self
            .meta(META_STATUS_EPOCH)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The highest status index in use and every index whose rider is not in good standing
    /// by either side, with the worse of the two standings.
    pub fn statuses(&self) -> Result<StatusSnapshot> {
        self.read(|c| {
            let max_index: Option<u32> =
                c.query_row("SELECT MAX(status_index) FROM riders", [], |r| r.get(0))?;
            let mut stmt = c.prepare(
                "SELECT status_index, status, regulator_status FROM riders
                 WHERE status != 0 OR regulator_status != 0",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    worse(
                        RiderStatus::from_value(r.get(1)?),
                        RiderStatus::from_value(r.get(2)?),
                    ),
                ))
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
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.ended_at IS NULL"
            ))?
            .query_row(params![session_hash, now.0], |r| {
                Ok(SessionRider {
                    rider: rider_row(r)?,
                    expires_at: UnixTime(r.get(RIDER_COLUMN_COUNT)?),
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

#[cfg(test)]
mod tests {
    use xiaoge_pass::status_list::MAX_ENTRIES;

    use super::*;

    const NOW: UnixTime = UnixTime(1_767_225_600);

    fn store_with_platform() -> (tempfile::TempDir, Store, PlatformRow) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("issuer.db")).unwrap();
        let audit = super::super::Audit {
            actor: "cli".into(),
            action: "platform.add",
            target: String::new(),
            detail: String::new(),
            at: NOW,
        };
        let id = store.insert_platform("美团", b"key hash", &audit).unwrap();
        let platform = PlatformRow {
            id,
            name: "美团".into(),
        };
        (dir, store, platform)
    }

    /// Puts a rider at `index` directly, as if millions had been registered before it.
    fn rider_at(store: &Store, platform: &PlatformRow, index: usize) {
        store
            .write(|c| {
                c.execute(
                    "INSERT INTO riders (id, platform_id, platform_rider_id, name, status_index,
                         created_at, updated_at)
                     VALUES (?1, ?2, ?3, '王**', ?4, ?5, ?5)",
                    params![
                        format!("R{index}"),
                        platform.id,
                        format!("filler-{index}"),
                        index,
                        NOW.0
                    ],
                )?;
                Ok(())
            })
            .unwrap();
    }

    fn change(platform_rider_id: &str) -> RosterChange {
        RosterChange {
            platform_rider_id: platform_rider_id.into(),
            name: "黄**".into(),
            status: RiderStatus::Valid,
        }
    }

    fn pseudonyms() -> impl FnMut() -> Result<RiderId> {
        let mut n = 0;
        move || {
            n += 1;
            Ok(RiderId::try_from(format!("P{n}")).unwrap())
        }
    }

    #[test]
    fn the_last_status_index_is_given_out_and_then_registration_is_refused() {
        let (_dir, store, platform) = store_with_platform();
        rider_at(&store, &platform, MAX_ENTRIES - 2);
        let mut new_id = pseudonyms();

        let last = store
            .insert_rider(&platform, &change("mt-last"), &mut new_id, NOW)
            .unwrap();
        assert_eq!(last.status_index as usize, MAX_ENTRIES - 1);
        assert_eq!(store.status_indexes_used().unwrap(), CAPACITY);

        let epoch = store.status_epoch().unwrap();
        let refused = store.insert_rider(&platform, &change("mt-over"), &mut new_id, NOW);
        assert!(
            matches!(
                refused,
                Err(IssuerError::StatusListFull {
                    new_riders: 1,
                    left: 0,
                    capacity: CAPACITY
                })
            ),
            "{refused:?}"
        );
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("only 0 of its 16777216 indexes are left"),
            "the error says how many indexes are left"
        );
        assert_eq!(store.platform_rider(platform.id, "mt-over").unwrap(), None);
        assert_eq!(store.status_epoch().unwrap(), epoch);
    }

    #[test]
    fn a_batch_that_would_overflow_the_status_list_writes_nothing() {
        let (_dir, store, platform) = store_with_platform();
        let mut new_id = pseudonyms();
        store
            .insert_rider(&platform, &change("mt-known"), &mut new_id, NOW)
            .unwrap();
        rider_at(&store, &platform, MAX_ENTRIES - 3);
        let epoch = store.status_epoch().unwrap();
        let mut suspend_known = change("mt-known");
        suspend_known.status = RiderStatus::Suspended;
        let batch = [
            suspend_known.clone(),
            change("mt-a"),
            change("mt-b"),
            change("mt-c"),
        ];

        let refused = store.upsert_roster(&platform, &batch, &mut new_id, NOW);
        assert!(
            matches!(
                refused,
                Err(IssuerError::StatusListFull {
                    new_riders: 3,
                    left: 2,
                    ..
                })
            ),
            "{refused:?}"
        );
        let known = store
            .platform_rider(platform.id, "mt-known")
            .unwrap()
            .unwrap();
        assert_eq!(
            known.platform_status,
            RiderStatus::Valid,
            "not even known rows"
        );
        assert_eq!(store.platform_rider(platform.id, "mt-a").unwrap(), None);
        assert_eq!(store.status_epoch().unwrap(), epoch);

        let applied = store
            .upsert_roster(&platform, &batch[..3], &mut new_id, NOW)
            .unwrap();
        let indexes: Vec<usize> = applied
            .iter()
            .map(|(row, _)| row.status_index as usize)
            .collect();
        assert_eq!(indexes, [0, MAX_ENTRIES - 2, MAX_ENTRIES - 1]);
    }

    #[test]
    fn each_side_writes_only_its_own_standing_and_the_list_carries_the_worse() {
        let (_dir, store, platform) = store_with_platform();
        let mut new_id = pseudonyms();
        let a = store
            .insert_rider(&platform, &change("mt-a"), &mut new_id, NOW)
            .unwrap();
        let b = store
            .insert_rider(&platform, &change("mt-b"), &mut new_id, NOW)
            .unwrap();
        let epoch = store.status_epoch().unwrap();

        let row = store
            .set_regulator_status(&a.id, RiderStatus::Suspended, NOW)
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.platform_status, row.regulator_status, row.status()),
            (
                RiderStatus::Valid,
                RiderStatus::Suspended,
                RiderStatus::Suspended
            )
        );
        assert!(
            store.status_epoch().unwrap() > epoch,
            "a regulator change bumps it"
        );
        let epoch = store.status_epoch().unwrap();
        let mut revoke_a = change("mt-a");
        revoke_a.status = RiderStatus::Revoked;
        let mut suspend_b = change("mt-b");
        suspend_b.status = RiderStatus::Suspended;
        store
            .upsert_roster(&platform, &[revoke_a, suspend_b], &mut new_id, NOW)
            .unwrap();
        assert!(
            store.status_epoch().unwrap() > epoch,
            "a platform change bumps it"
        );

        let a_now = store.rider(&a.id).unwrap().unwrap();
        assert_eq!(
            (
                a_now.platform_status,
                a_now.regulator_status,
                a_now.status()
            ),
            (
                RiderStatus::Revoked,
                RiderStatus::Suspended,
                RiderStatus::Revoked
            ),
            "revoked is worse than suspended"
        );
        let mut not_valid = store.statuses().unwrap().not_valid;
        not_valid.sort_by_key(|(index, _)| *index);
        assert_eq!(
            not_valid,
            [
                (a.status_index, RiderStatus::Revoked),
                (b.status_index, RiderStatus::Suspended)
            ]
        );

        // Setting a standing to what it already is changes nothing, the epoch included.
        let epoch = store.status_epoch().unwrap();
        store
            .set_platform_status(&b.id, RiderStatus::Suspended, NOW)
            .unwrap();
        assert_eq!(store.status_epoch().unwrap(), epoch);
        let missing = RiderId::try_from("NOBODY".to_owned()).unwrap();
        assert_eq!(
            store
                .set_regulator_status(&missing, RiderStatus::Revoked, NOW)
                .unwrap(),
            None
        );
    }

    #[test]
    fn worse_orders_revoked_then_suspended_then_valid() {
        use RiderStatus::{Revoked, Suspended, Valid};
        for (a, b, expected) in [
            (Valid, Valid, Valid),
            (Valid, Suspended, Suspended),
            (Suspended, Valid, Suspended),
            (Suspended, Revoked, Revoked),
            (Revoked, Suspended, Revoked),
            (Valid, Revoked, Revoked),
        ] {
            assert_eq!(worse(a, b), expected, "{a:?} and {b:?}");
        }
    }
}
