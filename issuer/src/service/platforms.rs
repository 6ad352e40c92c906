//! The platform side: platforms, their roster uploads, rider standing, login links and the
//! conduct report. A platform only ever sees and changes its own riders, and only its own
//! standing for them: the regulator's is set by the operator and no roster lifts it.

use std::collections::HashSet;

use xiaoge_pass::{RiderId, UnixTime};

use super::{Issuer, Secret, audit, mask_name, validate_text};
use crate::error::{IssuerError, Result};
use crate::model::{
    Actor, ConductDay, LoginLink, MAX_ROSTER_ROWS, PlatformInfo, RiderInfo, RosterApplied,
    RosterResult, RosterRow, RosterStatus, RowError,
};
use crate::paging::{Page, PageRequest};
use crate::secrets;
use crate::store::{PlatformRow, RosterChange};

use super::calendar;

/// How long a login link works if unused, in seconds.
pub const LOGIN_LINK_TTL: i64 = 600;
/// Longest range a conduct report covers, in days.
pub const MAX_CONDUCT_DAYS: i64 = 92;

impl Issuer {
    /// Adds a platform; returns its id and its API key, shown only this once.
    pub fn add_platform(&self, name: &str, now: UnixTime) -> Result<(u64, String)> {
        self.add_platform_by(Actor::Cli, name, now)
    }

    /// Adds a platform as `actor` (recorded in the audit log); returns its id and its API
    /// key, shown only this once.
    pub fn add_platform_by(
        &self,
        actor: Actor,
        name: &str,
        now: UnixTime,
    ) -> Result<(u64, String)> {
        validate_text("platform name", name, xiaoge_pass::pass::PLATFORM_MAX_LEN)?;
        let api_key = format!("xgp_{}", secrets::secret_hex()?);
        let id = self.store.insert_platform(
            name,
            &secrets::secret_hash(&api_key),
            &audit(actor, "platform.add", "", format!("{name:?}"), now),
        )?;
        Ok((id, api_key))
    }

    /// A page of the platforms with their rider counts, in id order.
    pub fn platforms(&self, page: &PageRequest) -> Result<Page<PlatformInfo>> {
        self.store.platforms(page)
    }

    /// The platform whose API key this is, if the key works at `now`: a key rotated out
    /// works until its overlap ends ([`IssuerError::PlatformKeyExpired`] after), a revoked
    /// one never ([`IssuerError::PlatformKeyRevoked`]).
    pub fn authenticate_platform(&self, api_key: &str, now: UnixTime) -> Result<PlatformRow> {
        let found = self
            .store
            .platform_by_key(&secrets::secret_hash(api_key))?
            .ok_or(Secret::PlatformKey.unknown())?;
        if let Some(at) = found.revoked_at {
            return Err(IssuerError::PlatformKeyRevoked {
                key: found.key_id,
                at: at.0,
            });
        }
        if let Some(at) = found.expires_at.filter(|at| *at <= now) {
            return Err(IssuerError::PlatformKeyExpired {
                key: found.key_id,
                at: at.0,
            });
        }
        Ok(found.platform)
    }

    /// The platform with this id or name.
    pub fn platform(&self, id_or_name: &str) -> Result<PlatformRow> {
        self.store
            .platform(id_or_name)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "platform",
                id: id_or_name.to_owned(),
            })
    }

    /// Applies a roster batch all or nothing: if any row is invalid, nothing changes and every
    /// invalid row is reported. Each row sets the platform's standing only. A batch with more
    /// new riders than the status list has indexes left is refused whole
    /// ([`IssuerError::StatusListFull`]).
    pub fn upsert_roster(
        &self,
        platform: &PlatformRow,
        rows: &[RosterRow],
        now: UnixTime,
    ) -> Result<RosterApplied> {
        if rows.len() > MAX_ROSTER_ROWS {
            return Err(IssuerError::Invalid(format!(
                "{} rows in one roster upload; at most {MAX_ROSTER_ROWS} are accepted",
                rows.len()
            )));
        }
        let mut errors = Vec::new();
        let mut seen = HashSet::with_capacity(rows.len());
        let mut changes = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            let mut fail = |code: &str, message: String| {
                errors.push(RowError {
                    index,
                    platform_rider_id: row.platform_rider_id.clone(),
                    code: code.into(),
                    message,
                });
            };
            if let Err(e) = validate_text("platform rider id", &row.platform_rider_id, 128) {
                fail("invalid_platform_rider_id", e.to_string());
                continue;
            }
            if !seen.insert(row.platform_rider_id.as_str()) {
                fail(
                    "duplicate_in_batch",
                    format!(
                        "platform rider id {:?} appears twice in this batch",
                        row.platform_rider_id
                    ),
                );
                continue;
            }
            match mask_name(&row.name) {
                Ok(name) => changes.push(RosterChange {
                    platform_rider_id: row.platform_rider_id.clone(),
                    name,
                    status: row.status.to_status(),
                }),
                Err(e) => fail("invalid_name", e.to_string()),
            }
        }
        if !errors.is_empty() {
            return Err(IssuerError::RosterRejected(errors));
        }
        let applied = self
            .store
            .upsert_roster(platform, &changes, &mut new_pseudonym, now)
            .inspect_err(super::riders::warn_if_full)?;
        if applied.iter().any(|(_, created)| *created) {
            self.warn_if_status_list_nearly_full();
        }
        Ok(RosterApplied {
            results: applied
                .into_iter()
                .map(|(row, created)| {
                    let info = row.info();
                    RosterResult {
                        platform_rider_id: info.platform_rider_id,
                        rider_id: info.rider_id,
                        created,
                        status: info.status,
                        platform_status: info.platform_status,
                        regulator_status: info.regulator_status,
                    }
                })
                .collect(),
        })
    }

    /// A platform's rider by the platform's own id.
    pub fn platform_rider(
        &self,
        platform: &PlatformRow,
        platform_rider_id: &str,
    ) -> Result<RiderInfo> {
        self.store
            .platform_rider(platform.id, platform_rider_id)?
            .map(|r| r.info())
            .ok_or_else(|| IssuerError::NotFound {
                what: "rider of this platform",
                id: platform_rider_id.to_owned(),
            })
    }

    /// Sets the platform's standing for one of its riders; the regulator's stays as it is,
    /// so the rider's standing (the worse of the two) may stay revoked or suspended.
    pub fn set_platform_rider_status(
        &self,
        platform: &PlatformRow,
        platform_rider_id: &str,
        status: RosterStatus,
        now: UnixTime,
    ) -> Result<RiderInfo> {
        let not_found = || IssuerError::NotFound {
            what: "rider of this platform",
            id: platform_rider_id.to_owned(),
        };
        let rider = self
            .store
            .platform_rider(platform.id, platform_rider_id)?
            .ok_or_else(not_found)?;
        self.store
            .set_platform_status(&rider.id, status.to_status(), now)?
            .map(|r| r.info())
            .ok_or_else(not_found)
    }

    /// A one-time login link for a platform's active rider.
    pub fn login_link(
        &self,
        platform: &PlatformRow,
        platform_rider_id: &str,
        now: UnixTime,
    ) -> Result<LoginLink> {
        let rider = self
            .store
            .platform_rider(platform.id, platform_rider_id)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "rider of this platform",
                id: platform_rider_id.to_owned(),
            })?;
        self.login_link_for(&rider.id, now)
    }

    /// A one-time login link for a rider, as the operator CLI makes it.
    pub fn login_link_for(&self, rider: &RiderId, now: UnixTime) -> Result<LoginLink> {
        let row = self.rider(rider)?;
        super::riders::require_active(&row)?;
        let token = format!("xgl_{}", secrets::secret_hex()?);
        let expires_at = now.plus(LOGIN_LINK_TTL);
        self.store
            .insert_login_link(&secrets::secret_hash(&token), rider, expires_at)?;
        Ok(LoginLink {
            url: format!("{}/r/login?token={token}", self.public_url),
            token,
            expires_at,
        })
    }

    /// A platform's riders' entries, denials and complaints per day, `from` and `to` being
    /// days (`YYYY-MM-DD`, China Standard Time), both included.
    pub fn conduct(&self, platform: &PlatformRow, from: &str, to: &str) -> Result<Vec<ConductDay>> {
        let (start, end) = (
            calendar::day_start(from)?,
            calendar::day_start(to)?.plus(86_400),
        );
        if end <= start || end.since(start) > MAX_CONDUCT_DAYS * 86_400 {
            return Err(IssuerError::Invalid(format!(
                "report range {from}..{to} must be 1 to {MAX_CONDUCT_DAYS} days, from before to"
            )));
        }
        Ok(self
            .store
            .conduct(platform.id, start, end)?
            .into_iter()
            .map(|((platform_rider_id, rider_id, day), counts)| ConductDay {
                platform_rider_id,
                rider_id,
                day: calendar::day_text(day),
                entries: counts.entries,
                denials: counts.denials,
                complaints: counts.complaints,
            })
            .collect())
    }
}

fn new_pseudonym() -> Result<RiderId> {
    RiderId::try_from(secrets::rider_pseudonym()?).map_err(|e| IssuerError::Invalid(e.to_string()))
}
