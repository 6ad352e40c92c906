//! Cutting credentials off (issue 10): a stolen tablet's gate key, a leaked platform key or
//! admin token, a session someone should no longer hold; enrollment tokens that expire; and
//! the audit log of every such action.
//!
//! Each action is written to the audit log in the transaction that makes it, as the actor
//! the caller names: the CLI, or the admin token of an admin API request.

use xiaoge_pass::{RiderId, UnixTime};

use super::{Issuer, audit};
use crate::error::{IssuerError, Result};
use crate::model::{
    Actor, AdminTokenInfo, AuditEntry, GateCreated, LiveSession, PlatformKeyInfo,
    PlatformKeyRotated,
};
use crate::paging::{Page, PageRequest};
use crate::secrets;

/// Days an enrollment token works if unused, unless the operator says otherwise.
pub const DEFAULT_TOKEN_DAYS: u32 = 3;
/// Longest an enrollment token may work: a token is a credential lying around.
pub const MAX_TOKEN_DAYS: u32 = 30;
/// Hours a rotated-out platform key keeps working, unless the operator says otherwise.
pub const DEFAULT_OVERLAP_HOURS: u32 = 24;
/// Longest overlap of a platform key rotation: a month is time enough to redeploy.
pub const MAX_OVERLAP_HOURS: u32 = 30 * 24;

/// When a token made at `now` for `days` days expires; 1 to [`MAX_TOKEN_DAYS`] days.
pub(super) fn token_expiry(days: u32, now: UnixTime) -> Result<UnixTime> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(IssuerError::Invalid(format!(
            "token days {days} must be 1 to {MAX_TOKEN_DAYS}"
        )));
    }
    Ok(now.plus(i64::from(days) * 86_400))
}

/// A session id as listed: 16 lowercase hex digits.
fn check_session_id(id: &str) -> Result<String> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IssuerError::Invalid(format!(
            "session id {id:?} must be the 16 hex digits `session list` shows"
        )));
    }
    Ok(id)
}

impl Issuer {
    /// Cuts a gate off for good: its key is refused from now on ([`IssuerError::GateRevoked`])
    /// and any enrollment token it still had is dead. `gate replace` brings it back with a
    /// new tablet.
    pub fn revoke_gate(&self, actor: Actor, gate: u64, now: UnixTime) -> Result<()> {
        let record = audit(actor, "gate.revoke", format!("gate:{gate}"), "", now);
        if self.store.cut_off_gate(gate, None, &record)? {
            Ok(())
        } else {
            Err(not_found_gate(gate))
        }
    }

    /// Cuts off a gate's current key at once and makes a new one-time enrollment token for
    /// the same gate id, working `token_days` days: the new tablet enrolls with it and goes
    /// on logging as the same gate.
    pub fn replace_gate(
        &self,
        actor: Actor,
        gate: u64,
        token_days: u32,
        now: UnixTime,
    ) -> Result<GateCreated> {
        let expires_at = token_expiry(token_days, now)?;
        let (token, hash) = self.new_enrollment_token()?;
        let record = audit(
            actor,
            "gate.replace",
            format!("gate:{gate}"),
            format!("new token expires at {expires_at}"),
            now,
        );
        if !self
            .store
            .cut_off_gate(gate, Some((&hash, expires_at)), &record)?
        {
            return Err(not_found_gate(gate));
        }
        Ok(GateCreated {
            gate_id: gate,
            token,
            token_expires_at: Some(expires_at),
        })
    }

    /// Makes a new API key for `platform` (id or name); the platform's older keys keep
    /// working for `overlap_hours` (0 to [`MAX_OVERLAP_HOURS`]), then are refused
    /// ([`IssuerError::PlatformKeyExpired`]). The new key is shown only this once.
    pub fn rotate_platform_key(
        &self,
        actor: Actor,
        platform: &str,
        overlap_hours: u32,
        now: UnixTime,
    ) -> Result<PlatformKeyRotated> {
        if overlap_hours > MAX_OVERLAP_HOURS {
            return Err(IssuerError::Invalid(format!(
                "overlap of {overlap_hours} hours must be 0 to {MAX_OVERLAP_HOURS}"
            )));
        }
        let row = self.platform(platform)?;
        let api_key = format!("xgp_{}", secrets::secret_hex()?);
        let old_until = now.plus(i64::from(overlap_hours) * 3600);
        let key_id = self.store.rotate_platform_key(
            row.id,
            &secrets::secret_hash(&api_key),
            old_until,
            &audit(
                actor,
                "platform.rotate_key",
                format!("platform:{}", row.id),
                format!("older keys work until {old_until}"),
                now,
            ),
        )?;
        Ok(PlatformKeyRotated {
            platform: row.id,
            key_id,
            api_key,
            old_keys_expire_at: old_until,
        })
    }

    /// Revokes every live key of `platform` (id or name) at once, or only `key`; returns how
    /// many were revoked. A revoked key is refused ([`IssuerError::PlatformKeyRevoked`]);
    /// `rotate-key --overlap-hours 0` then gives the platform a new one.
    pub fn revoke_platform_keys(
        &self,
        actor: Actor,
        platform: &str,
        key: Option<u64>,
        now: UnixTime,
    ) -> Result<u64> {
        let row = self.platform(platform)?;
        let target = match key {
            Some(key) => format!("platform:{} key:{key}", row.id),
            None => format!("platform:{}", row.id),
        };
        let revoked = self.store.revoke_platform_keys(
            row.id,
            key,
            &audit(actor, "platform.revoke_key", target, "", now),
        )?;
        if revoked == 0 {
            return Err(IssuerError::NotFound {
                what: "live key of platform",
                id: match key {
                    Some(key) => format!("{} (key {key})", row.id),
                    None => row.id.to_string(),
                },
            });
        }
        Ok(revoked)
    }

    /// A page of the keys of `platform` (id or name), oldest first, without their secrets.
    pub fn platform_keys(
        &self,
        platform: &str,
        page: &PageRequest,
    ) -> Result<Page<PlatformKeyInfo>> {
        let row = self.platform(platform)?;
        self.store.platform_keys(row.id, page)
    }

    /// A page of the admin tokens, in id order, without their secrets.
    pub fn admin_tokens(&self, page: &PageRequest) -> Result<Page<AdminTokenInfo>> {
        self.store.admin_tokens(page)
    }

    /// Revokes admin token `id` and ends its dashboard sessions at once; returns how many
    /// sessions ended.
    pub fn revoke_admin_token(&self, actor: Actor, id: u64, now: UnixTime) -> Result<u64> {
        self.store
            .revoke_admin_token(
                id,
                &audit(
                    actor,
                    "admin_token.revoke",
                    format!("admin-token:{id}"),
                    "",
                    now,
                ),
            )?
            .ok_or_else(|| IssuerError::NotFound {
                what: "live admin token",
                id: id.to_string(),
            })
    }

    /// A page of the live sessions, oldest first, of one rider or of one admin token if asked.
    pub fn live_sessions(
        &self,
        rider: Option<&RiderId>,
        admin_token: Option<u64>,
        now: UnixTime,
        page: &PageRequest,
    ) -> Result<Page<LiveSession>> {
        if rider.is_some() && admin_token.is_some() {
            return Err(IssuerError::Invalid(
                "a session belongs to a rider or to an admin token, not both: ask for one".into(),
            ));
        }
        if let Some(rider) = rider {
            self.rider(rider)?;
        }
        self.store.live_sessions(rider, admin_token, now, page)
    }

    /// Ends the live session `id` (as `session list` shows it), a rider's or a dashboard's;
    /// its holder is refused from now on ([`IssuerError::SessionEnded`]).
    pub fn end_session_by_id(&self, actor: Actor, id: &str, now: UnixTime) -> Result<()> {
        let id = check_session_id(id)?;
        let record = audit(actor, "session.end", format!("session:{id}"), "", now);
        self.store
            .end_session_by_id(&id, &record)?
            .map(drop)
            .ok_or(IssuerError::NotFound {
                what: "live session",
                id,
            })
    }

    /// Ends every live session of `rider`; returns how many.
    pub fn end_rider_sessions(&self, actor: Actor, rider: &RiderId, now: UnixTime) -> Result<u64> {
        self.rider(rider)?;
        self.store.end_rider_sessions(
            rider,
            &audit(
                actor,
                "rider.end_sessions",
                format!("rider:{rider}"),
                "",
                now,
            ),
        )
    }

    /// A page of the audit log from `since` on, oldest first.
    pub fn audit_log(&self, since: UnixTime, page: &PageRequest) -> Result<Page<AuditEntry>> {
        self.store.audit_log(since, page)
    }
}

fn not_found_gate(id: u64) -> IssuerError {
    IssuerError::NotFound {
        what: "gate",
        id: id.to_string(),
    }
}
