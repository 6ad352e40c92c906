//! The rider side: sessions from login links, and fresh codes, rate-limited per session.

use std::collections::HashMap;
use std::sync::Mutex;

use xiaoge_pass::pass::DEFAULT_LIFETIME;
use xiaoge_pass::{CodeId, Pass, RiderId, RiderStatus, SiteId, UnixTime};

use super::{Issuer, Secret, lock, mask_name, validate_text};
use crate::error::{IssuerError, Result};
use crate::model::{CodeResponse, SessionInfo, StatusListUsage};
use crate::secrets;
use crate::store::{RiderRow, RosterChange, SessionRider};

/// How long a rider session lasts, in seconds: a working day.
pub const SESSION_TTL: i64 = 12 * 3600;
/// Seconds after which a rider page should fetch its next code.
pub const REFRESH_AFTER: u32 = 30;
/// Codes a session may fetch in a burst.
pub const RATE_BURST: f64 = 10.0;
/// Seconds to earn back one code fetch: a page refreshing every 30 s never comes close.
pub const RATE_SECONDS_PER_CODE: f64 = 3.0;
/// Sessions tracked before full buckets are forgotten.
const LIMITER_CAPACITY: usize = 200_000;

/// Per-session token buckets for code fetches. Kept in memory: behind a load balancer each
/// issuer process limits on its own, which bounds a session at N times the rate.
#[derive(Default)]
pub(super) struct Limiter {
    buckets: Mutex<HashMap<Vec<u8>, (f64, UnixTime)>>,
}

impl Limiter {
    /// Takes one fetch from the bucket of `key`; `Err(seconds to wait)` when it is empty.
    fn take(&self, key: &[u8], now: UnixTime) -> std::result::Result<(), i64> {
        let mut buckets = lock(&self.buckets);
        if buckets.len() > LIMITER_CAPACITY {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.since(*at) as f64 / RATE_SECONDS_PER_CODE < RATE_BURST
            });
        }
        let (tokens, at) = buckets.entry(key.to_vec()).or_insert((RATE_BURST, now));
        let earned = now.since(*at).max(0) as f64 / RATE_SECONDS_PER_CODE;
        *tokens = (*tokens + earned).min(RATE_BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * RATE_SECONDS_PER_CODE).ceil() as i64)
        }
    }
}

/// Refuses a rider who is not in good standing by either the platform's standing or the
/// regulator's, saying whose standing it is.
pub(super) fn require_active(row: &RiderRow) -> Result<()> {
    let status = row.status();
    let by_platform = row.platform_status == status;
    let by_regulator = row.regulator_status == status;
    let status = match (status, by_platform, by_regulator) {
        (RiderStatus::Valid, _, _) => return Ok(()),
        (RiderStatus::Revoked, true, true) => "revoked by the platform and the regulator",
        (RiderStatus::Revoked, false, _) => "revoked by the regulator",
        (RiderStatus::Revoked, true, false) => "revoked by the platform",
        (RiderStatus::Suspended, true, true) => "suspended by the platform and the regulator",
        (RiderStatus::Suspended, false, _) => "suspended by the regulator",
        (RiderStatus::Suspended, true, false) => "suspended by the platform",
    };
    Err(IssuerError::RiderNotValid {
        rider: row.id.to_string(),
        status,
    })
}

/// Logs a registration refused because the status list is full: the operator, not the
/// platform that asked, has to act.
pub(super) fn warn_if_full(e: &IssuerError) {
    if let IssuerError::StatusListFull {
        new_riders,
        left,
        capacity,
    } = e
    {
        tracing::warn!(
            new_riders,
            left,
            capacity,
            "registration refused, the status list is full: {left} of {capacity} indexes \
             left, {new_riders} needed"
        );
    }
}

impl Issuer {
    /// The rider with this pseudonym.
    pub fn rider(&self, id: &RiderId) -> Result<RiderRow> {
        self.store.rider(id)?.ok_or_else(|| IssuerError::NotFound {
            what: "rider",
            id: id.to_string(),
        })
    }

    /// Registers one rider of `platform` (id or name), as the operator CLI does.
    pub fn add_rider(
        &self,
        platform: &str,
        platform_rider_id: &str,
        name: &str,
        now: UnixTime,
    ) -> Result<RiderRow> {
        validate_text("platform rider id", platform_rider_id, 128)?;
        let change = RosterChange {
            platform_rider_id: platform_rider_id.to_owned(),
            name: mask_name(name)?,
            status: RiderStatus::Valid,
        };
        let platform = self.platform(platform)?;
        let row = self
            .store
            .insert_rider(
                &platform,
                &change,
                &mut || {
                    RiderId::try_from(secrets::rider_pseudonym()?)
                        .map_err(|e| IssuerError::Invalid(e.to_string()))
                },
                now,
            )
            .inspect_err(warn_if_full)?;
        self.warn_if_status_list_nearly_full();
        Ok(row)
    }

    /// Sets the regulator's standing for a rider (the operator's `rider revoke`, `suspend`
    /// and `reinstate`); the next status list carries it. The platform's standing stays as
    /// the platform set it, so reinstating lifts only the regulator's own revocation or
    /// suspension, and no roster upload can lift the regulator's. Returns the rider after
    /// the change, whose [`RiderRow::status`] is the worse of the two.
    pub fn set_regulator_status(
        &self,
        rider: &RiderId,
        status: RiderStatus,
        now: UnixTime,
    ) -> Result<RiderRow> {
        self.store
            .set_regulator_status(rider, status, now)?
            .ok_or_else(|| IssuerError::NotFound {
                what: "rider",
                id: rider.to_string(),
            })
    }

    /// How many of the status list's indexes are used up: registration stops when none is
    /// left.
    pub fn status_list_usage(&self) -> Result<StatusListUsage> {
        Ok(StatusListUsage {
            used: self.store.status_indexes_used()?,
            capacity: xiaoge_pass::status_list::MAX_ENTRIES as u64,
        })
    }

    /// Warns the operator, after a registration, once the status list is more than nine
    /// tenths used, so that they act before registration is refused.
    pub(super) fn warn_if_status_list_nearly_full(&self) {
        match self.status_list_usage() {
            Ok(usage) if usage.nearly_full() => tracing::warn!(
                used = usage.used,
                capacity = usage.capacity,
                left = usage.left(),
                "the status list is more than 90% used: {} of {} indexes left; new riders \
                 are refused once none is",
                usage.left(),
                usage.capacity
            ),
            Ok(_) => {}
            // The registration itself succeeded; a failed count must not undo it.
            Err(e) => tracing::error!(error = %e, "counting the status list's indexes"),
        }
    }

    /// Trades a login link's token for a new session; returns the session token.
    pub fn start_session(&self, link_token: &str, now: UnixTime) -> Result<(String, SessionInfo)> {
        let session = format!("xgs_{}", secrets::secret_hex()?);
        let expires_at = now.plus(SESSION_TTL);
        let rider = self
            .store
            .trade_login_link(
                &secrets::secret_hash(link_token),
                &secrets::secret_hash(&session),
                now,
                expires_at,
            )?
            .ok_or(Secret::LoginLink.unknown())?;
        let row = self.rider(&rider)?;
        Ok((
            session,
            SessionInfo {
                name: row.name,
                platform: row.platform,
                expires_at,
            },
        ))
    }

    /// The rider of a live session.
    pub fn session(&self, session_token: &str, now: UnixTime) -> Result<SessionRider> {
        let hash = secrets::secret_hash(session_token);
        if let Some(session) = self.store.session(&hash, now)? {
            return Ok(session);
        }
        match self.store.rider_session_ended_at(&hash)? {
            Some(at) => Err(IssuerError::SessionEnded { at: at.0 }),
            None => Err(IssuerError::Unauthorized("session is unknown or expired")),
        }
    }

    /// Ends a session.
    pub fn end_session(&self, session_token: &str) -> Result<()> {
        self.store.end_session(&secrets::secret_hash(session_token))
    }

    /// A fresh code for a session's rider, bound to `site` if given; rate-limited.
    pub fn code_for_session(
        &self,
        session_token: &str,
        site: Option<SiteId>,
        now: UnixTime,
    ) -> Result<CodeResponse> {
        let session = self.session(session_token, now)?;
        self.rate_limit
            .take(&secrets::secret_hash(session_token), now)
            .map_err(|retry_after| IssuerError::RateLimited { retry_after })?;
        let (pass, code) = self.mint_for(session.rider, site, now)?;
        Ok(CodeResponse {
            code,
            code_id: pass.code_id.to_string(),
            issued_at: pass.issued_at,
            expires_at: pass.expires_at,
            refresh_after: REFRESH_AFTER,
            site: pass.site,
        })
    }

    /// Mints a code for `rider`, issued at `at`, bound to `site` if given.
    pub fn mint(
        &self,
        rider: &RiderId,
        site: Option<SiteId>,
        at: UnixTime,
    ) -> Result<(Pass, String)> {
        let row = self.rider(rider)?;
        self.mint_for(row, site, at)
    }

    /// Mints a code even for a rider who is not in good standing: for drills and demos that
    /// show gates refusing revoked or suspended riders (a phone may hold such a code from
    /// before the revocation). Never offered to riders or platforms.
    pub fn mint_drill(
        &self,
        rider: &RiderId,
        site: Option<SiteId>,
        at: UnixTime,
    ) -> Result<(Pass, String)> {
        let row = self.rider(rider)?;
        self.sign_for(row, site, at)
    }

    fn mint_for(
        &self,
        row: RiderRow,
        site: Option<SiteId>,
        at: UnixTime,
    ) -> Result<(Pass, String)> {
        require_active(&row)?;
        self.sign_for(row, site, at)
    }

    fn sign_for(
        &self,
        row: RiderRow,
        site: Option<SiteId>,
        at: UnixTime,
    ) -> Result<(Pass, String)> {
        if let Some(site) = site
            && !self.store.site_exists(site)?
        {
            return Err(IssuerError::NotFound {
                what: "site",
                id: site.to_string(),
            });
        }
        let key = self.signing_key(at)?;
        let pass = Pass {
            issuer: self.name.clone(),
            rider: row.id,
            name: row.name,
            platform: row.platform,
            status_index: row.status_index,
            site,
            issued_at: at,
            not_before: at,
            expires_at: at.plus(DEFAULT_LIFETIME),
            code_id: CodeId(secrets::random_bytes()?),
        };
        let text = pass
            .mint(&key)
            .map_err(|e| IssuerError::Invalid(format!("rider {}: {e}", pass.rider)))?;
        Ok((pass, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SiteInput, SiteKind};

    #[test]
    fn a_session_gets_a_burst_then_one_code_per_few_seconds() {
        let limiter = Limiter::default();
        let t = UnixTime(1_000);
        for _ in 0..RATE_BURST as usize {
            assert!(limiter.take(b"s", t).is_ok());
        }
        let wait = limiter.take(b"s", t).unwrap_err();
        assert!(wait >= 1, "{wait}");
        assert!(limiter.take(b"other", t).is_ok(), "buckets are per session");
        assert!(
            limiter
                .take(b"s", t.plus(RATE_SECONDS_PER_CODE as i64))
                .is_ok()
        );
    }

    #[test]
    fn a_minted_code_is_qr_version_9_at_ecc_m_and_reads_back() {
        let (_dir, issuer) = crate::service::tests::fresh_issuer();
        let now = UnixTime(1_767_225_600);
        issuer.add_platform("美团", now).unwrap();
        let site = issuer
            .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
            .unwrap();
        let rider = issuer.add_rider("美团", "mt-1", "黄小明", now).unwrap();
        let (_, text) = issuer.mint(&rider.id, Some(site), now).unwrap();

        let qr = xiaoge_pass::qr_image::render(&text).unwrap();
        assert_eq!(
            (qr.version, qr.modules),
            (9, 53),
            "{} characters",
            text.len()
        );

        let (w, h) = (qr.image.width() as usize, qr.image.height() as usize);
        let pixels = qr.image.as_raw();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = prepared.detect_grids();
        let mut bytes = Vec::new();
        grids[0].decode_to(&mut bytes).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), text);
    }
}
