//! One enrolled gate: its state directory, cached trust state and entry log, around the pure
//! `xiaoge_pass::verify`.
//!
//! A check reads nothing from the network: verification needs only what the last sync left in
//! the local database. Every check is logged, whatever the verdict, before it is returned.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use uuid::Uuid;
use xiaoge_pass::api::{Decision, Entry, EntryMethod};
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::{
    GateContext, Pass, Policy, RiderId, SiteBundle, StatusList, TrustList, TrustState, UnixTime,
    verify,
};

use crate::error::{GateError, Result};
use crate::store::{Enrollment, ListName, LoggedEntry, META_CLOCK_OFFSET, META_LAST_SYNC, Store};

/// File name of the database inside the state directory.
pub const DB_FILE: &str = "gate.db";
/// Seen code ids are kept this long past their expiry, so that a gate whose clock jumps back
/// a little still refuses the replay.
const SEEN_CODE_MARGIN: i64 = 3600;

/// The rider as a verdict shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiderView {
    /// Pseudonym.
    pub id: RiderId,
    /// Masked name.
    pub name: String,
    /// Platform.
    pub platform: String,
}

/// The outcome of one check, as shown to the guard and printed as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `allow` or `deny`.
    pub verdict: Decision,
    /// The rejection code, absent on allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// A technical detail for the log, absent on allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The rider, when the code's signature verified.
    pub rider: Option<RiderView>,
    /// The code's id, when the code's signature verified.
    pub code_id: Option<String>,
    /// The site the code is bound to, if any.
    pub code_site: Option<u64>,
    /// The logged entry's id.
    pub entry_id: Uuid,
    /// Whether the lists were past their freshness budget.
    pub stale: bool,
    /// The gate's clock at the check.
    pub at: UnixTime,
}

/// How fresh the gate's state is, for `status` and the status strip.
#[derive(Clone, Debug, Serialize)]
pub struct GateStatus {
    /// Gate id.
    pub gate_id: u64,
    /// Gate name.
    pub gate_name: String,
    /// Site id.
    pub site_id: u64,
    /// Site name.
    pub site_name: String,
    /// Issuer URL.
    pub issuer_url: String,
    /// Entries waiting to be uploaded.
    pub pending_entries: u64,
    /// When the last sync completed.
    pub last_sync_at: Option<UnixTime>,
    /// Signed time of the trust list.
    pub trust_list_issued_at: Option<UnixTime>,
    /// Seconds since the status list was signed.
    pub status_list_age: Option<i64>,
    /// Signed time of the status list.
    pub status_list_issued_at: Option<UnixTime>,
    /// `fresh`, `stale` (verdicts marked) or `too_stale` (guard decides by hand).
    pub freshness: &'static str,
    /// The issuer's clock minus the gate's at the last sync, in seconds.
    pub clock_offset: Option<i64>,
    /// Riders this site has banned, as of the last site bundle.
    pub banned_riders: usize,
}

/// An enrolled gate, open.
pub struct Gate {
    dir: PathBuf,
    store: Store,
    enrollment: Enrollment,
    trust: Option<TrustState>,
    banned: BTreeSet<RiderId>,
    policy: Policy,
}

impl Gate {
    /// Opens the enrolled gate in `dir`, re-verifying its cached lists against the pinned root.
    pub fn open(dir: &Path) -> Result<Self> {
        let store = Store::open(&dir.join(DB_FILE), false)?;
        let enrollment = store
            .enrollment()?
            .ok_or_else(|| GateError::NotEnrolled(dir.to_owned()))?;
        let mut gate = Self {
            dir: dir.to_owned(),
            store,
            enrollment,
            trust: None,
            banned: BTreeSet::new(),
            policy: Policy::default(),
        };
        gate.reload_trust()?;
        Ok(gate)
    }

    /// Creates the state directory's database for a gate being enrolled.
    pub(crate) fn create(dir: &Path, enrollment: &Enrollment) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .map_err(|e| GateError::io(format!("creating {}", dir.display()), e))?;
        let store = Store::open(&dir.join(DB_FILE), true)?;
        store.set_enrollment(enrollment)?;
        Ok(store)
    }

    /// The state directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The gate's enrollment.
    #[must_use]
    pub fn enrollment(&self) -> &Enrollment {
        &self.enrollment
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The verified trust list held, if any.
    #[must_use]
    pub fn trust_list(&self) -> Option<&TrustList> {
        self.trust.as_ref().map(|t| &t.trust_list)
    }

    /// Rebuilds the in-memory trust state from the database, verifying both lists again.
    ///
    /// A list that no longer verifies (a damaged database) is dropped, so verdicts become
    /// `lists_too_stale` until the next sync instead of trusting unverified bytes. The site's
    /// bans come from the site bundle, checked the same way.
    pub(crate) fn reload_trust(&mut self) -> Result<()> {
        let root = public_key_from_bytes(&self.enrollment.root_public_key)
            .map_err(|e| GateError::Corrupt(format!("pinned root key: {e}")))?;
        let trust_list = self
            .store
            .list(ListName::Trust)?
            .and_then(|l| TrustList::open(&l.bytes, &root).ok());
        let site = self.enrollment.site_id;
        self.banned = trust_list
            .as_ref()
            .and_then(|t| {
                let bytes = self.store.list(ListName::Site).ok().flatten()?.bytes;
                SiteBundle::open(&bytes, t).ok().filter(|b| b.site == site)
            })
            .map(|b| b.banned.into_iter().collect())
            .unwrap_or_default();
        self.trust = trust_list.map(|trust_list| {
            let status_list = self
                .store
                .list(ListName::Status)
                .ok()
                .flatten()
                .and_then(|l| StatusList::open(&l.bytes, &trust_list).ok());
            TrustState {
                trust_list,
                status_list,
            }
        });
        Ok(())
    }

    fn context(&self, now: UnixTime) -> Result<GateContext> {
        let seen: HashSet<_> = self
            .store
            .seen_codes(now.plus(-SEEN_CODE_MARGIN))?
            .into_iter()
            .collect();
        Ok(GateContext {
            seen,
            banned: self.banned.clone(),
            policy: self.policy,
            ..GateContext::new(self.enrollment.site_id)
        })
    }

    /// Verifies a code's text at `now`, logs the attempt durably, and returns the verdict.
    pub fn check(&mut self, text: &str, now: UnixTime) -> Result<Verdict> {
        let context = self.context(now)?;
        let outcome = match &self.trust {
            Some(trust) => verify(text, trust, &context, now).map_err(Some),
            // Without a trust list nothing can be verified: the guard decides by hand.
            None => Err(None),
        };
        let entry_id = Uuid::now_v7();
        let (verdict, seen) = match outcome {
            Ok(accepted) => {
                let pass = accepted.pass();
                (
                    Verdict {
                        verdict: Decision::Allow,
                        reason: None,
                        detail: None,
                        rider: Some(rider_view(pass)),
                        code_id: Some(pass.code_id.to_string()),
                        code_site: pass.site.map(|s| s.0),
                        entry_id,
                        stale: accepted.lists_stale(),
                        at: now,
                    },
                    Some((pass.code_id, pass.expires_at)),
                )
            }
            Err(rejection) => {
                let pass = rejection.as_ref().and_then(|r| r.pass());
                (
                    Verdict {
                        verdict: Decision::Deny,
                        reason: Some(rejection.as_ref().map_or("lists_too_stale", |r| r.code())),
                        detail: Some(rejection.as_ref().map_or_else(
                            || "the gate holds no verified trust list; sync it".to_owned(),
                            ToString::to_string,
                        )),
                        rider: pass.map(rider_view),
                        code_id: pass.map(|p| p.code_id.to_string()),
                        code_site: pass.and_then(|p| p.site.map(|s| s.0)),
                        entry_id,
                        stale: false,
                        at: now,
                    },
                    None,
                )
            }
        };
        let logged = LoggedEntry {
            entry: Entry {
                id: entry_id,
                gate_id: self.enrollment.gate_id,
                site_id: self.enrollment.site_id,
                recorded_at: now,
                method: EntryMethod::Scan,
                decision: verdict.verdict,
                reason: verdict.reason.map(str::to_owned),
                rider: verdict.rider.as_ref().map(|r| r.id.clone()),
                code_id: verdict.code_id.clone(),
            },
            rider_name: verdict.rider.as_ref().map(|r| r.name.clone()),
            platform: verdict.rider.as_ref().map(|r| r.platform.clone()),
            synced_at: None,
        };
        self.store.record(&logged, seen)?;
        Ok(verdict)
    }

    /// Entries logged at or after `since`.
    pub fn log(&self, since: UnixTime) -> Result<Vec<LoggedEntry>> {
        self.store
            .entries_since(since, self.enrollment.gate_id, self.enrollment.site_id)
    }

    /// The gate's freshness and backlog at `now`.
    pub fn status(&self, now: UnixTime) -> Result<GateStatus> {
        let meta_int =
            |key| -> Result<Option<i64>> { Ok(self.store.meta(key)?.and_then(|v| v.parse().ok())) };
        let status_issued = self
            .trust
            .as_ref()
            .and_then(|t| t.status_list.as_ref())
            .map(|s| s.issued_at);
        let age = status_issued.map(|t| now.since(t));
        let freshness = match age {
            Some(a) if a <= self.policy.stale_after => "fresh",
            Some(a) if a <= self.policy.too_stale_after => "stale",
            _ => "too_stale",
        };
        Ok(GateStatus {
            gate_id: self.enrollment.gate_id,
            gate_name: self.enrollment.gate_name.clone(),
            site_id: self.enrollment.site_id.0,
            site_name: self.enrollment.site_name.clone(),
            issuer_url: self.enrollment.issuer_url.clone(),
            pending_entries: self.store.pending()?,
            last_sync_at: meta_int(META_LAST_SYNC)?.map(UnixTime),
            trust_list_issued_at: self.trust.as_ref().map(|t| t.trust_list.issued_at),
            status_list_age: age,
            status_list_issued_at: status_issued,
            freshness,
            clock_offset: meta_int(META_CLOCK_OFFSET)?,
            banned_riders: self.banned.len(),
        })
    }
}

/// The wall clock, read at the edge and passed inward.
#[must_use]
pub fn wall_clock() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn rider_view(pass: &Pass) -> RiderView {
    RiderView {
        id: pass.rider.clone(),
        name: pass.name.clone(),
        platform: pass.platform.clone(),
    }
}
