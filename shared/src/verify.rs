//! Verification of a rider code at a gate: a pure function of the code text, the cached
//! trust state, the gate's context and the time.
//!
//! Checks run in a fixed order, cheapest refusal of forged input first:
//! format → key id → signature → claims → clock → key window → validity window →
//! list freshness → revocation → site ban → site binding → replay.
//!
//! Whatever the gate cannot vouch for fails closed with its own reason: a status list that
//! does not cover the rider, bans that no longer verify, lists too old to decide on. Those
//! reasons ask the guard to check by hand; they never read as "allow".

use std::collections::{BTreeSet, HashSet};

use thiserror::Error;

use crate::error::FormatError;
use crate::ids::{CodeId, KeyId, RiderId, SiteId};
use crate::pass::{Pass, UncheckedCode};
use crate::reason::ReasonCode;
use crate::status_list::{RiderStatus, StatusList};
use crate::time::UnixTime;
use crate::trust_list::TrustList;

/// What a gate holds from its last sync: the issuer's keys and the revocation list.
#[derive(Clone, Debug)]
pub struct TrustState {
    /// The verified trust list.
    pub trust_list: TrustList,
    /// The verified status list, once one has been fetched.
    pub status_list: Option<StatusList>,
}

/// Time limits a gate applies; defaults suit a gate that syncs at least nightly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds the gate's clock may be off from the issuer's.
    pub clock_skew: i64,
    /// Age in seconds of the status list past which verdicts are marked stale.
    pub stale_after: i64,
    /// Age in seconds of the status list past which the gate refuses to decide.
    pub too_stale_after: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            clock_skew: 30,
            stale_after: 36 * 3600,
            too_stale_after: 72 * 3600,
        }
    }
}

/// What the gate knows of its site's bans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteBans {
    /// The riders banned, from a site bundle that verifies against the trust list held.
    Verified(BTreeSet<RiderId>),
    /// The gate holds no site bundle that verifies (its signing key left the trust list, the
    /// bytes are damaged, or none was ever fetched): no rider can be cleared of a ban.
    Unverifiable,
}

impl SiteBans {
    /// No rider banned, from a verified bundle.
    #[must_use]
    pub fn none() -> Self {
        Self::Verified(BTreeSet::new())
    }
}

/// Where and under what rules the gate verifies, including what it has already seen.
#[derive(Clone, Debug)]
pub struct GateContext {
    /// The site this gate belongs to.
    pub site: SiteId,
    /// What the gate knows of the site's bans.
    pub bans: SiteBans,
    /// Ids of codes already accepted at this gate and not yet expired.
    pub seen: HashSet<CodeId>,
    /// The earliest time the gate's clock may read: a time it has trusted before.
    pub clock_floor: Option<UnixTime>,
    /// The latest time the gate's clock may read, when the gate can bound it.
    pub clock_ceiling: Option<UnixTime>,
    /// The gate's best estimate of the true time (the issuer's signed time carried forward
    /// by a clock that cannot be set), when it has one. Validity windows and list ages are
    /// judged by it rather than by the wall clock, so a wall clock that strays within the
    /// tolerance cannot stretch a code's life.
    pub true_time: Option<UnixTime>,
    /// Time limits.
    pub policy: Policy,
}

impl GateContext {
    /// A context for `site` with nothing seen, nobody banned and the default policy.
    #[must_use]
    pub fn new(site: SiteId) -> Self {
        Self {
            site,
            bans: SiteBans::none(),
            seen: HashSet::new(),
            clock_floor: None,
            clock_ceiling: None,
            true_time: None,
            policy: Policy::default(),
        }
    }
}

/// A code that passed every check. Only [`verify`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pass: Pass,
    kid: KeyId,
    lists_stale: bool,
}

impl Accepted {
    /// What the code says.
    #[must_use]
    pub fn pass(&self) -> &Pass {
        &self.pass
    }

    /// The issuer key that signed it.
    #[must_use]
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// Whether the revocation list was older than the policy's `stale_after`.
    #[must_use]
    pub fn lists_stale(&self) -> bool {
        self.lists_stale
    }
}

/// Why a code was refused: one variant per reason a guard must see.
///
/// Variants from [`Rejection::ClockUntrusted`] on carry the pass, whose signature has been
/// verified, so that the guard and the log can name the rider.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The text is not a well-formed v1 code.
    #[error("malformed code: {0}")]
    Malformed(FormatError),
    /// The text is a Xiaoge code of a format version this gate does not read.
    #[error("unsupported format version {prefix:?}")]
    UnsupportedVersion {
        /// The version prefix found.
        prefix: String,
    },
    /// The code names a key the gate's trust list does not hold.
    #[error("signed with unknown key {kid}")]
    UnknownKey {
        /// The key id in the code.
        kid: KeyId,
    },
    /// The signature does not verify: the code was altered or forged.
    #[error("signature does not verify with key {kid}")]
    BadSignature {
        /// The key id in the code.
        kid: KeyId,
    },
    /// The gate's clock is outside the window it can believe.
    #[error("gate clock {now} is outside the trusted window [{floor:?}, {ceiling:?}]")]
    ClockUntrusted {
        /// The clock reading.
        now: UnixTime,
        /// The earliest believable time.
        floor: Option<UnixTime>,
        /// The latest believable time.
        ceiling: Option<UnixTime>,
        /// The pass.
        pass: Box<Pass>,
    },
    /// The key was not in its signing window when the code was issued.
    #[error("key {kid} was not valid for signing at {}", pass.issued_at)]
    KeyNotValidAtTime {
        /// The key id in the code.
        kid: KeyId,
        /// The pass.
        pass: Box<Pass>,
    },
    /// The code has expired.
    #[error("code expired at {}", pass.expires_at)]
    Expired {
        /// The pass.
        pass: Box<Pass>,
    },
    /// The code is not valid yet.
    #[error("code is not valid before {}", pass.not_before)]
    NotYetValid {
        /// The pass.
        pass: Box<Pass>,
    },
    /// The gate's revocation list is too old to decide on; a guard must check by hand.
    #[error("revocation list is too stale (age {age:?} s)")]
    ListsTooStale {
        /// Age of the status list in seconds, or `None` if the gate has none.
        age: Option<i64>,
        /// The pass.
        pass: Box<Pass>,
    },
    /// The rider is revoked.
    #[error("rider {} is revoked", pass.rider)]
    Revoked {
        /// The pass.
        pass: Box<Pass>,
    },
    /// The rider is suspended.
    #[error("rider {} is suspended", pass.rider)]
    Suspended {
        /// The pass.
        pass: Box<Pass>,
    },
    /// The rider's status index lies past the end of the gate's status list: nothing is
    /// known of their standing, so a guard must check by hand.
    #[error("status index {} is past the end of the status list ({len} entries)", pass.status_index)]
    StatusUnknown {
        /// Entries the gate's status list holds.
        len: usize,
        /// The pass.
        pass: Box<Pass>,
    },
    /// The gate's ban list does not verify, so it cannot clear the rider of a ban; a guard
    /// must check by hand until the next sync brings a bundle that verifies.
    #[error("the site's ban list does not verify against the trust list; rider {} cannot be cleared", pass.rider)]
    BansUnverifiable {
        /// The pass.
        pass: Box<Pass>,
    },
    /// This site has banned the rider.
    #[error("rider {} is banned at this site", pass.rider)]
    BannedAtSite {
        /// The pass.
        pass: Box<Pass>,
    },
    /// The code is bound to another site.
    #[error("code is for site {:?}, this gate is at site {gate_site}", pass.site)]
    WrongSite {
        /// The gate's site.
        gate_site: SiteId,
        /// The pass.
        pass: Box<Pass>,
    },
    /// The code was already accepted at this gate.
    #[error("code {} was already used at this gate", pass.code_id)]
    Replayed {
        /// The pass.
        pass: Box<Pass>,
    },
}

impl Rejection {
    /// The stable code for logs and JSON.
    #[must_use]
    pub fn code(&self) -> ReasonCode {
        match self {
            Rejection::Malformed(_) => ReasonCode::Malformed,
            Rejection::UnsupportedVersion { .. } => ReasonCode::UnsupportedVersion,
            Rejection::UnknownKey { .. } => ReasonCode::UnknownKey,
            Rejection::BadSignature { .. } => ReasonCode::BadSignature,
            Rejection::ClockUntrusted { .. } => ReasonCode::ClockUntrusted,
            Rejection::KeyNotValidAtTime { .. } => ReasonCode::KeyNotValidAtTime,
            Rejection::Expired { .. } => ReasonCode::Expired,
            Rejection::NotYetValid { .. } => ReasonCode::NotYetValid,
            Rejection::ListsTooStale { .. } => ReasonCode::ListsTooStale,
            Rejection::Revoked { .. } => ReasonCode::Revoked,
            Rejection::Suspended { .. } => ReasonCode::Suspended,
            Rejection::StatusUnknown { .. } => ReasonCode::StatusUnknown,
            Rejection::BansUnverifiable { .. } => ReasonCode::BansUnverifiable,
            Rejection::BannedAtSite { .. } => ReasonCode::BannedAtSite,
            Rejection::WrongSite { .. } => ReasonCode::WrongSite,
            Rejection::Replayed { .. } => ReasonCode::Replayed,
        }
    }

    /// The verified pass, for reasons found after the signature was checked.
    #[must_use]
    pub fn pass(&self) -> Option<&Pass> {
        match self {
            Rejection::Malformed(_)
            | Rejection::UnsupportedVersion { .. }
            | Rejection::UnknownKey { .. }
            | Rejection::BadSignature { .. } => None,
            Rejection::ClockUntrusted { pass, .. }
            | Rejection::KeyNotValidAtTime { pass, .. }
            | Rejection::Expired { pass }
            | Rejection::NotYetValid { pass }
            | Rejection::ListsTooStale { pass, .. }
            | Rejection::Revoked { pass }
            | Rejection::Suspended { pass }
            | Rejection::StatusUnknown { pass, .. }
            | Rejection::BansUnverifiable { pass }
            | Rejection::BannedAtSite { pass }
            | Rejection::WrongSite { pass, .. }
            | Rejection::Replayed { pass } => Some(pass),
        }
    }
}

impl From<FormatError> for Rejection {
    fn from(e: FormatError) -> Self {
        match e {
            FormatError::UnsupportedVersion { prefix } => Rejection::UnsupportedVersion { prefix },
            other => Rejection::Malformed(other),
        }
    }
}

/// Verifies a code's QR text at a gate at time `now`.
pub fn verify(
    text: &str,
    trust: &TrustState,
    gate: &GateContext,
    now: UnixTime,
) -> Result<Accepted, Rejection> {
    let code = UncheckedCode::read(text)?;
    let kid = code.kid();
    let key = trust
        .trust_list
        .key(kid)
        .ok_or(Rejection::UnknownKey { kid })?;
    if !code.signed_by(&key.public) {
        return Err(Rejection::BadSignature { kid });
    }
    let pass = code.claims()?;
    if pass.issuer != trust.trust_list.issuer {
        return Err(Rejection::Malformed(FormatError::Invalid {
            field: "iss",
            expected: "the issuer named in the trust list",
        }));
    }
    let skew = gate.policy.clock_skew;
    let status = trust.status_list.as_ref();

    // Signed times from the issuer bound the clock from below as well as the gate's own floor.
    let floor = [
        gate.clock_floor,
        Some(trust.trust_list.issued_at),
        status.map(|s| s.issued_at),
    ]
    .into_iter()
    .flatten()
    .max();
    let before_floor = floor.is_some_and(|f| now < f.plus(-skew));
    let after_ceiling = gate.clock_ceiling.is_some_and(|c| now > c.plus(skew));
    if before_floor || after_ceiling {
        return Err(Rejection::ClockUntrusted {
            now,
            floor,
            ceiling: gate.clock_ceiling,
            pass: Box::new(pass),
        });
    }
    if !key.may_sign_at(pass.issued_at) {
        return Err(Rejection::KeyNotValidAtTime {
            kid,
            pass: Box::new(pass),
        });
    }
    // From here on, time is the best estimate the gate has: the clock check above only says
    // the wall clock is believable, not that it is exact.
    let now = gate.true_time.unwrap_or(now);
    if now.plus(skew) < pass.not_before {
        return Err(Rejection::NotYetValid {
            pass: Box::new(pass),
        });
    }
    if now.plus(-skew) >= pass.expires_at {
        return Err(Rejection::Expired {
            pass: Box::new(pass),
        });
    }
    let Some(status) = status else {
        return Err(Rejection::ListsTooStale {
            age: None,
            pass: Box::new(pass),
        });
    };
    let age = now.since(status.issued_at);
    if age > gate.policy.too_stale_after {
        return Err(Rejection::ListsTooStale {
            age: Some(age),
            pass: Box::new(pass),
        });
    }
    match status.bits.status(pass.status_index) {
        Some(RiderStatus::Valid) => {}
        Some(RiderStatus::Revoked) => {
            return Err(Rejection::Revoked {
                pass: Box::new(pass),
            });
        }
        Some(RiderStatus::Suspended) => {
            return Err(Rejection::Suspended {
                pass: Box::new(pass),
            });
        }
        None => {
            return Err(Rejection::StatusUnknown {
                len: status.bits.len(),
                pass: Box::new(pass),
            });
        }
    }
    match &gate.bans {
        SiteBans::Unverifiable => {
            return Err(Rejection::BansUnverifiable {
                pass: Box::new(pass),
            });
        }
        SiteBans::Verified(banned) if banned.contains(&pass.rider) => {
            return Err(Rejection::BannedAtSite {
                pass: Box::new(pass),
            });
        }
        SiteBans::Verified(_) => {}
    }
    if pass.site.is_some_and(|site| site != gate.site) {
        return Err(Rejection::WrongSite {
            gate_site: gate.site,
            pass: Box::new(pass),
        });
    }
    if gate.seen.contains(&pass.code_id) {
        return Err(Rejection::Replayed {
            pass: Box::new(pass),
        });
    }
    Ok(Accepted {
        pass,
        kid,
        lists_stale: age > gate.policy.stale_after,
    })
}
