//! Entries uploaded by gates, the nonces that keep gate requests fresh, and the counts the
//! regulator's and the platforms' reports are made of.

use std::collections::BTreeMap;

use rusqlite::{TransactionBehavior, params};
use xiaoge_pass::api::{Entry, EntryColumns, UploadOutcome};
use xiaoge_pass::{RiderId, SiteId, UnixTime};

use super::Store;
use crate::error::{IssuerError, Result};
use crate::model::{SiteDenials, SiteGap};

/// Seconds China Standard Time is ahead of UTC: days in reports are local days.
pub const CST_OFFSET: i64 = 8 * 3600;

/// An entry as stored, with when the issuer received it.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    /// The entry as the gate sent it.
    pub entry: Entry,
    /// When the issuer stored it.
    pub received_at: UnixTime,
}

/// Counts for one day (days since 1970-01-01 in China Standard Time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayCount {
    /// Entries.
    pub entries: u64,
    /// Of which denied.
    pub denials: u64,
    /// Complaints filed that day.
    pub complaints: u64,
}

/// Reads one row of `entries` (columns in the order `entries()` selects them).
fn stored_entry(r: &rusqlite::Row<'_>) -> Result<StoredEntry> {
    let columns = EntryColumns {
        id: r.get(0)?,
        recorded_at: r.get(3)?,
        method: r.get(4)?,
        decision: r.get(5)?,
        reason: r.get(6)?,
        rider: r.get(7)?,
        code_id: r.get(8)?,
        trusted_at: r.get(10)?,
        manual: r.get(11)?,
        overrides: r.get(12)?,
    };
    Ok(StoredEntry {
        entry: columns
            .into_entry(r.get(1)?, SiteId(r.get(2)?))
            .map_err(|e| IssuerError::Invalid(e.to_string()))?,
        received_at: UnixTime(r.get(9)?),
    })
}

impl Store {
    /// Records a gate's request nonce; `false` if that gate used it before.
    pub fn remember_nonce(&self, gate: u64, nonce: &str, now: UnixTime) -> Result<bool> {
        self.write(|c| {
            let inserted = c
                .prepare_cached(
                    "INSERT OR IGNORE INTO gate_nonces (gate_id, nonce, seen_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![gate, nonce, now.0])?;
            Ok(inserted == 1)
        })
    }

    /// Forgets nonces seen before `before`: requests that old are refused by time anyway.
    pub fn forget_nonces(&self, before: UnixTime) -> Result<usize> {
        self.write(|c| {
            Ok(
                c.prepare_cached("DELETE FROM gate_nonces WHERE seen_at < ?1")?
                    .execute([before.0])?,
            )
        })
    }

    /// Stores a batch of entries from `gate` in one transaction; an id already stored is a
    /// duplicate and changes nothing.
    pub fn insert_entries(
        &self,
        gate: u64,
        entries: &[Entry],
        now: UnixTime,
    ) -> Result<Vec<UploadOutcome>> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes = Vec::with_capacity(entries.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO entries (id, gate_id, site_id, recorded_at, method,
                         decision, reason, rider_id, code_id, received_at, trusted_at, manual,
                         overrides)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for e in entries {
                    let manual = e
                        .manual
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|err| IssuerError::Invalid(format!("entry {}: {err}", e.id)))?;
                    let inserted = insert.execute(params![
                        e.id.to_string(),
                        e.gate_id,
                        e.site_id.0,
                        e.recorded_at.0,
                        e.method.as_str(),
                        e.decision.as_str(),
                        e.reason,
                        e.rider.as_ref().map(RiderId::as_str),
                        e.code_id,
                        now.0,
                        e.trusted_at.map(|t| t.0),
                        manual,
                        e.overrides.map(|u| u.to_string())
                    ])?;
                    outcomes.push(if inserted == 1 {
                        UploadOutcome::Stored
                    } else {
                        UploadOutcome::Duplicate
                    });
                }
            }
            tx.execute(
                "UPDATE gates SET last_upload_at = ?2 WHERE id = ?1",
                params![gate, now.0],
            )?;
            tx.commit()?;
            Ok(outcomes)
        })
    }

    /// Every stored entry, in the order the gates recorded them.
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, gate_id, site_id, recorded_at, method, decision, reason, rider_id,
                        code_id, received_at, trusted_at, manual, overrides
                 FROM entries ORDER BY recorded_at, id",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(stored_entry(r)?);
            }
            Ok(out)
        })
    }

    /// Entries and denials per day in `[since, until)`.
    ///
    /// Both bounds matter: a row far in the future would overflow the day arithmetic.
    pub fn entries_per_day(
        &self,
        since: UnixTime,
        until: UnixTime,
    ) -> Result<BTreeMap<i64, DayCount>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT (recorded_at + ?2) / 86400 AS day, COUNT(*), SUM(decision = 'deny')
                 FROM entries WHERE recorded_at >= ?1 AND recorded_at < ?3 GROUP BY day",
            )?;
            let rows = stmt.query_map(params![since.0, CST_OFFSET, until.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    DayCount {
                        entries: r.get(1)?,
                        denials: r.get(2)?,
                        complaints: 0,
                    },
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Denials per reason in `[since, until)`.
    pub fn denials_by_reason(
        &self,
        since: UnixTime,
        until: UnixTime,
    ) -> Result<BTreeMap<String, u64>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT COALESCE(reason, 'unknown'), COUNT(*) FROM entries
                 WHERE decision = 'deny' AND recorded_at >= ?1 AND recorded_at < ?2 GROUP BY 1",
            )?;
            let rows = stmt.query_map([since.0, until.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Denials per site in `[since, until)`, most first, at most `limit` sites.
    pub fn denials_by_site(
        &self,
        since: UnixTime,
        until: UnixTime,
        limit: u32,
    ) -> Result<Vec<SiteDenials>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT e.site_id, s.name, COUNT(*), SUM(e.decision = 'deny') AS denied
                 FROM entries e JOIN sites s ON s.id = e.site_id
                 WHERE e.recorded_at >= ?1 AND e.recorded_at < ?3
                 GROUP BY e.site_id ORDER BY denied DESC, e.site_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![since.0, limit, until.0], |r| {
                Ok(SiteDenials {
                    site: r.get(0)?,
                    name: r.get(1)?,
                    entries: r.get(2)?,
                    denials: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Sites missing a building guide or parking, at most `limit`.
    pub fn sites_missing_details(&self, limit: u32) -> Result<Vec<SiteGap>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT s.id, s.name, s.district,
                        EXISTS (SELECT 1 FROM buildings b WHERE b.site_id = s.id),
                        EXISTS (SELECT 1 FROM parking_spots p WHERE p.site_id = s.id) AS parked
                 FROM sites s
                 WHERE NOT EXISTS (SELECT 1 FROM buildings b WHERE b.site_id = s.id)
                    OR NOT EXISTS (SELECT 1 FROM parking_spots p WHERE p.site_id = s.id)
                 ORDER BY s.district, s.id LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(SiteGap {
                    site: r.get(0)?,
                    name: r.get(1)?,
                    district: r.get(2)?,
                    has_guide: r.get(3)?,
                    has_parking: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Sites counted by (kind, district).
    pub fn sites_by_kind_and_district(&self) -> Result<Vec<(String, String, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT kind, district, COUNT(*) FROM sites GROUP BY kind, district
                 ORDER BY kind, district",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many sites exist, have a building guide, and have parking.
    pub fn site_coverage(&self) -> Result<(u64, u64, u64)> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM sites),
                        (SELECT COUNT(DISTINCT site_id) FROM buildings),
                        (SELECT COUNT(DISTINCT site_id) FROM parking_spots)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
    }

    /// Riders counted by (platform name, status value).
    pub fn riders_by_platform(&self) -> Result<Vec<(String, u8, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                // The effective standing, the worse of the platform's and the regulator's:
                // revoked (any value but 0 and 2 fails closed as revoked), then suspended.
                "SELECT p.name, s.standing, COUNT(*) FROM (
                     SELECT platform_id,
                            CASE WHEN status NOT IN (0, 2) OR regulator_status NOT IN (0, 2) THEN 1
                                 WHEN status = 2 OR regulator_status = 2 THEN 2
                                 ELSE 0 END AS standing
                     FROM riders) s
                 JOIN platforms p ON p.id = s.platform_id
                 GROUP BY p.id, s.standing ORDER BY p.id, s.standing",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A platform's riders' entries, denials and complaints per day in `[from, to)`, keyed by
    /// (platform rider id, rider pseudonym, day).
    pub fn conduct(
        &self,
        platform: u64,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<BTreeMap<(String, RiderId, i64), DayCount>> {
        self.read(|c| {
            let mut out: BTreeMap<(String, RiderId, i64), DayCount> = BTreeMap::new();
            let key = |prid: String, rider: String, day: i64| -> Result<_> {
                let rider = RiderId::try_from(rider)
                    .map_err(|e| IssuerError::Invalid(format!("stored rider id: {e}")))?;
                Ok((prid, rider, day))
            };
            let mut entries = c.prepare(
                "SELECT r.platform_rider_id, r.id, (e.recorded_at + ?4) / 86400 AS day,
                        COUNT(*), SUM(e.decision = 'deny')
                 FROM entries e JOIN riders r ON r.id = e.rider_id
                 WHERE r.platform_id = ?1 AND e.recorded_at >= ?2 AND e.recorded_at < ?3
                 GROUP BY r.id, day",
            )?;
            let rows = entries.query_map(params![platform, from.0, to.0, CST_OFFSET], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?, r.get(4)?))
            })?;
            for row in rows {
                let ((prid, rider, day), n, denials) = row?;
                let day = out.entry(key(prid, rider, day)?).or_default();
                day.entries = n;
                day.denials = denials;
            }
            let mut complaints = c.prepare(
                "SELECT r.platform_rider_id, r.id, (k.created_at + ?4) / 86400 AS day, COUNT(*)
                 FROM rider_complaints k JOIN riders r ON r.id = k.rider_id
                 WHERE r.platform_id = ?1 AND k.created_at >= ?2 AND k.created_at < ?3
                 GROUP BY r.id, day",
            )?;
            let rows = complaints.query_map(params![platform, from.0, to.0, CST_OFFSET], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))
            })?;
            for row in rows {
                let ((prid, rider, day), n) = row?;
                out.entry(key(prid, rider, day)?).or_default().complaints = n;
            }
            Ok(out)
        })
    }
}
