//! Sites with their building guides and parking, gates, bans and complaints.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use xiaoge_pass::{RiderId, SiteId, UnixTime};

use super::audit::{Audit, record};
use super::{Store, row_id, unique_to_conflict};
use crate::error::{IssuerError, Result};
use crate::model::{
    Ban, Building, GateInfo, GateState, ParkingSpot, RiderComplaint, Site, SiteInput, SiteKind,
};
use crate::paging::{Page, PageRequest};

/// A gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRow {
    /// Its id.
    pub id: u64,
    /// Its site.
    pub site_id: SiteId,
    /// Its name.
    pub name: String,
    /// The public key it registered at enrollment, once enrolled (and not cut off since).
    pub public_key: Option<Vec<u8>>,
    /// When its key was last cut off (revoked or replaced), if ever.
    pub revoked_at: Option<UnixTime>,
    /// The key last cut off, to tell its holder why it is refused.
    pub revoked_key: Option<Vec<u8>>,
}

/// What an enrollment token was worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enrollment {
    /// The gate it was for, now bound to the new key.
    Enrolled(GateRow),
    /// It was for this gate but expired at this time; nothing changed.
    Expired {
        /// The gate.
        gate: u64,
        /// When the token expired.
        expired_at: UnixTime,
    },
    /// No gate waits for this token (unknown, used, revoked or replaced).
    Unknown,
}

fn replace_details(conn: &Connection, site: SiteId, input: &SiteInput) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM buildings WHERE site_id = ?1", [site.0])?;
    conn.execute("DELETE FROM parking_spots WHERE site_id = ?1", [site.0])?;
    let mut building =
        conn.prepare_cached("INSERT INTO buildings (site_id, name, x, y) VALUES (?1, ?2, ?3, ?4)")?;
    for b in &input.buildings {
        building.execute(params![site.0, b.name, b.x, b.y])?;
    }
    let mut spot = conn.prepare_cached(
        "INSERT INTO parking_spots (site_id, name, x, y, capacity) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in &input.parking {
        spot.execute(params![site.0, p.name, p.x, p.y, p.capacity])?;
    }
    Ok(())
}

fn read_site(conn: &Connection, id: SiteId) -> Result<Option<Site>> {
    let head = conn
        .prepare_cached("SELECT name, kind, address, district FROM sites WHERE id = ?1")?
        .query_row([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((name, kind, address, district)) = head else {
        return Ok(None);
    };
    let kind = SiteKind::parse(&kind)
        .ok_or_else(|| IssuerError::Invalid(format!("site {id} has unknown kind {kind:?}")))?;
    let buildings = conn
        .prepare_cached("SELECT name, x, y FROM buildings WHERE site_id = ?1 ORDER BY rowid")?
        .query_map([id.0], |r| {
            Ok(Building {
                name: r.get(0)?,
                x: r.get(1)?,
                y: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let parking = conn
        .prepare_cached(
            "SELECT name, x, y, capacity FROM parking_spots WHERE site_id = ?1 ORDER BY rowid",
        )?
        .query_map([id.0], |r| {
            Ok(ParkingSpot {
                name: r.get(0)?,
                x: r.get(1)?,
                y: r.get(2)?,
                capacity: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Site {
        id,
        name,
        kind,
        address,
        district,
        buildings,
        parking,
    }))
}

impl Store {
    /// Adds a site with its guide and parking.
    pub fn insert_site(&self, input: &SiteInput, now: UnixTime) -> Result<SiteId> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO sites (name, kind, address, district, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    input.name,
                    input.kind.as_str(),
                    input.address,
                    input.district,
                    now.0
                ],
            )?;
            let id = SiteId(row_id(&tx));
            replace_details(&tx, id, input).map_err(|e| {
                unique_to_conflict(e, || "building and parking names must be unique".into())
            })?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Replaces a site's details; `false` if no such site.
    pub fn update_site(&self, id: SiteId, input: &SiteInput) -> Result<bool> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE sites SET name = ?2, kind = ?3, address = ?4, district = ?5 WHERE id = ?1",
                params![
                    id.0,
                    input.name,
                    input.kind.as_str(),
                    input.address,
                    input.district
                ],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            replace_details(&tx, id, input).map_err(|e| {
                unique_to_conflict(e, || "building and parking names must be unique".into())
            })?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// The site with this id, with its guide and parking.
    pub fn site(&self, id: SiteId) -> Result<Option<Site>> {
        self.read(|c| read_site(c, id))
    }

    /// A page of the sites, in id order.
    pub fn sites(&self, page: &PageRequest) -> Result<Page<Site>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let ids: Vec<u64> = c
                .prepare_cached("SELECT id FROM sites WHERE id > ?1 ORDER BY id LIMIT ?2")?
                .query_map(params![after, page.fetch()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let rows = ids
                .into_iter()
                .filter_map(|id| read_site(c, SiteId(id)).transpose())
                .map(|site| site.map(|site| (site.id.0, site)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Page::from_keyed(rows, page))
        })
    }

    /// Whether a site exists.
    pub fn site_exists(&self, id: SiteId) -> Result<bool> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT 1 FROM sites WHERE id = ?1")?
                .query_row([id.0], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    /// Adds a gate awaiting enrollment with the token whose hash is given, which works until
    /// `token_expires_at`; `audit` is completed with the new gate as its target.
    pub fn insert_gate(
        &self,
        site: SiteId,
        name: &str,
        token_hash: &[u8],
        token_expires_at: UnixTime,
        audit: &Audit,
    ) -> Result<u64> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO gates (site_id, name, token_hash, token_expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![site.0, name, token_hash, token_expires_at.0, audit.at.0],
            )?;
            let id = row_id(&tx);
            record(
                &tx,
                &Audit {
                    target: format!("gate:{id}"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Enrolls the gate holding this token, unless it expired: records its key and burns the
    /// token. `audit` (actor and target filled in here) is written with the change.
    pub fn enroll_gate(
        &self,
        token_hash: &[u8],
        public_key: &[u8],
        audit: &Audit,
    ) -> Result<Enrollment> {
        let now = audit.at;
        let outcome = self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pending: Option<(u64, Option<i64>)> = tx
                .query_row(
                    "SELECT id, token_expires_at FROM gates
                     WHERE token_hash = ?1 AND public_key IS NULL",
                    [token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, expires)) = pending else {
                return Ok(Err(None));
            };
            if let Some(at) = expires.filter(|at| *at <= now.0) {
                return Ok(Err(Some((id, UnixTime(at)))));
            }
            tx.execute(
                "UPDATE gates SET public_key = ?2, enrolled_at = ?3, token_hash = NULL,
                     token_expires_at = NULL
                 WHERE id = ?1",
                params![id, public_key, now.0],
            )?;
            record(
                &tx,
                &Audit {
                    actor: format!("gate:{id}"),
                    target: format!("gate:{id}"),
                    ..audit.clone()
                },
            )?;
            tx.commit()?;
            Ok(Ok(id))
        })?;
        match outcome {
            Ok(id) => Ok(self
                .gate(id)?
                .map_or(Enrollment::Unknown, Enrollment::Enrolled)),
            Err(Some((gate, expired_at))) => Ok(Enrollment::Expired { gate, expired_at }),
            Err(None) => Ok(Enrollment::Unknown),
        }
    }

    /// Cuts off a gate: forgets its key and any pending token. With `new_token`, the gate
    /// waits for a replacement tablet to enroll with that token (hash, expiry) under the same
    /// id. `false` if there is no such gate. `audit` is written with the change.
    pub fn cut_off_gate(
        &self,
        id: u64,
        new_token: Option<(&[u8], UnixTime)>,
        audit: &Audit,
    ) -> Result<bool> {
        self.write(|c| {
            let tx = c.transaction()?;
            let changed = tx.execute(
                "UPDATE gates SET revoked_key = COALESCE(public_key, revoked_key),
                     public_key = NULL, revoked_at = ?2, token_hash = ?3, token_expires_at = ?4
                 WHERE id = ?1",
                params![
                    id,
                    audit.at.0,
                    new_token.map(|(hash, _)| hash),
                    new_token.map(|(_, at)| at.0)
                ],
            )?;
            if changed == 1 {
                record(&tx, audit)?;
                tx.commit()?;
            }
            Ok(changed == 1)
        })
    }

    /// The gate with this id.
    pub fn gate(&self, id: u64) -> Result<Option<GateRow>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, site_id, name, public_key, revoked_at, revoked_key FROM gates
                 WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(GateRow {
                    id: r.get(0)?,
                    site_id: SiteId(r.get(1)?),
                    name: r.get(2)?,
                    public_key: r.get(3)?,
                    revoked_at: r.get::<_, Option<i64>>(4)?.map(UnixTime),
                    revoked_key: r.get(5)?,
                })
            })
            .optional()?)
        })
    }

    /// A page of the gates of a site, or of every site, in id order.
    pub fn gates(&self, site: Option<SiteId>, page: &PageRequest) -> Result<Page<GateInfo>> {
        let after = page.after_id()?.unwrap_or(0);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, site_id, name, enrolled_at, last_upload_at, revoked_at,
                     token_expires_at, public_key IS NOT NULL, token_hash IS NOT NULL
                 FROM gates WHERE (?1 IS NULL OR site_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![site.map(|s| s.0), after, page.fetch()], |r| {
                let revoked_at = r.get::<_, Option<i64>>(5)?.map(UnixTime);
                let state = match (r.get::<_, bool>(7)?, r.get::<_, bool>(8)?) {
                    (true, _) => GateState::Enrolled,
                    (false, true) if revoked_at.is_some() => GateState::AwaitingReplacement,
                    (false, true) => GateState::AwaitingEnrollment,
                    (false, false) => GateState::Revoked,
                };
                let id: u64 = r.get(0)?;
                Ok((
                    id,
                    GateInfo {
                        id,
                        site_id: SiteId(r.get(1)?),
                        name: r.get(2)?,
                        enrolled_at: r.get::<_, Option<i64>>(3)?.map(UnixTime),
                        last_upload_at: r.get::<_, Option<i64>>(4)?.map(UnixTime),
                        state,
                        revoked_at,
                        token_expires_at: r.get::<_, Option<i64>>(6)?.map(UnixTime),
                    },
                ))
            })?;
            Ok(Page::from_keyed(
                rows.collect::<rusqlite::Result<_>>()?,
                page,
            ))
        })
    }

    /// Bans a rider from a site (or updates the reason).
    pub fn ban(&self, site: SiteId, rider: &RiderId, reason: &str, now: UnixTime) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO site_bans (site_id, rider_id, reason, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (site_id, rider_id) DO UPDATE SET reason = excluded.reason",
                params![site.0, rider.as_str(), reason, now.0],
            )?;
            Ok(())
        })
    }

    /// Lifts a ban; `false` if there was none.
    pub fn unban(&self, site: SiteId, rider: &RiderId) -> Result<bool> {
        self.write(|c| {
            Ok(c.execute(
                "DELETE FROM site_bans WHERE site_id = ?1 AND rider_id = ?2",
                params![site.0, rider.as_str()],
            )? == 1)
        })
    }

    /// A page of a site's bans, in rider id order.
    pub fn bans(&self, site: SiteId, page: &PageRequest) -> Result<Page<Ban>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT rider_id, reason, created_at FROM site_bans
                 WHERE site_id = ?1 AND rider_id > ?2 ORDER BY rider_id LIMIT ?3",
            )?;
            let after = page.after_text().unwrap_or("");
            let rows = stmt.query_map(params![site.0, after, page.fetch()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (rider, reason, at) = row?;
                let id = RiderId::try_from(rider.clone())
                    .map_err(|e| IssuerError::Invalid(format!("stored ban: {e}")))?;
                out.push((
                    rider,
                    Ban {
                        rider: id,
                        reason,
                        created_at: UnixTime(at),
                    },
                ));
            }
            Ok(Page::from_keyed(out, page))
        })
    }

    /// Records a property's complaint about a rider.
    pub fn insert_complaint(
        &self,
        site: SiteId,
        complaint: &RiderComplaint,
        now: UnixTime,
    ) -> Result<u64> {
        self.write(|c| {
            c.execute(
                "INSERT INTO rider_complaints (site_id, rider_id, category, note, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    site.0,
                    complaint.rider.as_str(),
                    complaint.category,
                    complaint.note,
                    now.0
                ],
            )?;
            Ok(row_id(c))
        })
    }
}
