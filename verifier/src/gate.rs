//! One enrolled gate: its state directory, cached trust state and entry log, around the pure
//! `xiaoge_pass::verify`.
//!
//! A check reads nothing from the network: verification needs only what the last sync left in
//! the local database. Every check is logged, whatever the verdict, before it is returned
//! (docs in `store`). A sync running beside the gate (its own connection) is noticed through
//! SQLite's data version, and the lists are reloaded and verified again.
//!
//! One rule for every signed thing the gate caches: it is verified against the trust list
//! held whenever either changes, and what no longer verifies is not used. The gate then fails
//! closed for what it covered (no status list: `lists_too_stale`; no ban list:
//! `bans_unverifiable`), says so in its status, and the next sync fetches it afresh.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use xiaoge_pass::api::{Decision, Entry, EntryMethod, ManualEntry};
use xiaoge_pass::keys::public_key_from_bytes;
use xiaoge_pass::{
    GateContext, Pass, Policy, ReasonCode, Rejection, RiderId, SiteBans, SiteBundle, SiteId,
    StatusList, TrustList, TrustState, UnixTime, verify,
};

use crate::clock::{self, ClockCheck, ClockReading, TrustedTime};
use crate::error::{GateError, Result};
use crate::store::{
    Enrollment, ListName, LoggedEntry, META_CLOCK_OFFSET, META_LAST_SYNC, META_POLICY,
    META_TRUSTED_TIME, Store,
};

/// File name of the database inside the state directory.
pub const DB_FILE: &str = "gate.db";
/// Seen code ids are kept this long past their expiry, so that a gate whose clock jumps back
/// a little still refuses the replay.
const SEEN_CODE_MARGIN: i64 = 3600;

/// The gate's time limits, kept in its database and changed with `xiaoge-gate policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatePolicy {
    /// Seconds the clock may be off from the issuer's when checking a code's validity.
    pub clock_skew: i64,
    /// Seconds the wall clock may stray from the trusted estimate before it is not believed.
    pub clock_tolerance: i64,
    /// Age in seconds of the status list past which verdicts are marked stale.
    pub stale_after: i64,
    /// Age in seconds of the status list past which the gate refuses to decide.
    pub too_stale_after: i64,
    /// Days synced entries are kept on the gate; un-synced ones are kept until synced.
    pub keep_synced_days: i64,
}

impl Default for GatePolicy {
    fn default() -> Self {
        let verify = Policy::default();
        Self {
            clock_skew: verify.clock_skew,
            clock_tolerance: clock::DEFAULT_TOLERANCE,
            stale_after: verify.stale_after,
            too_stale_after: verify.too_stale_after,
            keep_synced_days: 30,
        }
    }
}

impl GatePolicy {
    fn verify_policy(self) -> Policy {
        Policy {
            clock_skew: self.clock_skew,
            stale_after: self.stale_after,
            too_stale_after: self.too_stale_after,
        }
    }

    /// Refuses limits that make no sense or would open the gate: negatives, the hard limit
    /// before the soft one, and values past the bounds below, each named with its bounds.
    pub fn check(&self) -> Result<()> {
        let bounds: [(&str, i64, i64, i64); 5] = [
            ("clock skew", self.clock_skew, 0, MAX_CLOCK_SKEW),
            (
                "clock tolerance",
                self.clock_tolerance,
                0,
                MAX_CLOCK_TOLERANCE,
            ),
            ("stale-after", self.stale_after, 1, MAX_TOO_STALE_AFTER),
            (
                "too-stale-after",
                self.too_stale_after,
                1,
                MAX_TOO_STALE_AFTER,
            ),
            ("keep-days", self.keep_synced_days, 1, MAX_KEEP_SYNCED_DAYS),
        ];
        for (name, value, min, max) in bounds {
            if !(min..=max).contains(&value) {
                return Err(GateError::Input(format!(
                    "policy {name} {value} is out of bounds: it must be {min} to {max}{}",
                    if name == "keep-days" {
                        " days"
                    } else {
                        " seconds"
                    }
                )));
            }
        }
        if self.stale_after > self.too_stale_after {
            return Err(GateError::Input(format!(
                "policy stale-after {} s must not exceed too-stale-after {} s",
                self.stale_after, self.too_stale_after
            )));
        }
        Ok(())
    }
}

/// The most clock skew a policy may allow: a code lives two minutes, so more would double it.
pub const MAX_CLOCK_SKEW: i64 = 120;
/// The most the wall clock may stray from the trusted estimate before it is not believed.
pub const MAX_CLOCK_TOLERANCE: i64 = 3600;
/// The oldest status list a policy may decide on: a fortnight, past which a revocation could
/// go unseen for longer than any rider's suspension.
pub const MAX_TOO_STALE_AFTER: i64 = 14 * 86_400;
/// The longest synced entries may be kept on a gate.
pub const MAX_KEEP_SYNCED_DAYS: i64 = 366;

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
    pub reason: Option<ReasonCode>,
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
    /// The gate's wall clock at the check.
    pub at: UnixTime,
    /// The gate's trusted estimate of the time, when it has one.
    pub trusted_at: Option<UnixTime>,
    /// On a `replayed` verdict only, when this gate first let the code in: the recorded
    /// (wall clock) time of that entry, absent if the entry is no longer kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_used_at: Option<UnixTime>,
}

/// What the guard picks from when registering a rider by hand, from the site bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManualChoices {
    /// The display names of the platforms the issuer knows, in the issuer's order.
    pub platforms: Vec<String>,
    /// The site's buildings as riders and guards name them (such as 15幢), in the order of
    /// the issuer's building guide.
    pub buildings: Vec<String>,
}

/// How fresh the gate's lists are, by the age of its status list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Within the freshness budget.
    Fresh,
    /// Past it: verdicts are marked stale.
    Stale,
    /// Too old to decide on (or missing): the guard checks by hand.
    TooStale,
}

impl Freshness {
    /// The snake_case name `status` prints.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::TooStale => "too_stale",
        }
    }
}

/// How fresh the gate's state is, for `status` and the status strip.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// How fresh the lists are.
    pub freshness: Freshness,
    /// The issuer's clock minus the gate's at the last sync, in seconds.
    pub clock_offset: Option<i64>,
    /// What the gate makes of its clock.
    pub clock: ClockCheck,
    /// Riders this site has banned, as of the last site bundle that verifies; `None` when
    /// the gate holds no bundle that verifies (riders then need a guard's check).
    pub banned_riders: Option<usize>,
    /// Cached lists the gate holds (or lacks) but cannot verify against its trust list: they
    /// are not used, and the next sync fetches them afresh.
    pub unverified: Vec<ListName>,
    /// The time limits in force.
    pub policy: GatePolicy,
}

/// An enrolled gate, open.
pub struct Gate {
    dir: PathBuf,
    store: Store,
    enrollment: Enrollment,
    trust: Option<TrustState>,
    bans: SiteBans,
    choices: ManualChoices,
    unverified: Vec<ListName>,
    policy: GatePolicy,
    data_version: i64,
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
            bans: SiteBans::Unverifiable,
            choices: ManualChoices::default(),
            unverified: Vec::new(),
            policy: GatePolicy::default(),
            data_version: 0,
        };
        gate.reload()?;
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

    /// The time limits in force.
    #[must_use]
    pub fn policy(&self) -> GatePolicy {
        self.policy
    }

    /// Changes the time limits.
    pub fn set_policy(&mut self, policy: GatePolicy) -> Result<()> {
        policy.check()?;
        let json = serde_json::to_string(&policy).map_err(|e| GateError::Corrupt(e.to_string()))?;
        self.store.set_meta(META_POLICY, &json)?;
        self.policy = policy;
        Ok(())
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

    /// Whether the cached `list` verified against the trust list held at the last reload.
    #[must_use]
    pub fn verifies(&self, list: ListName) -> bool {
        !self.unverified.contains(&list)
    }

    /// Rebuilds the in-memory state from the database, verifying every list again.
    ///
    /// A list that does not verify (its signing key left the trust list, or damaged bytes) is
    /// not used: verdicts fail closed for what it covered until a sync brings one that does.
    pub(crate) fn reload(&mut self) -> Result<()> {
        self.data_version = self.store.data_version()?;
        if let Some(json) = self.store.meta(META_POLICY)? {
            self.policy = serde_json::from_str(&json).unwrap_or_default();
        }
        let root = public_key_from_bytes(&self.enrollment.root_public_key)
            .map_err(|e| GateError::Corrupt(format!("pinned root key: {e}")))?;
        let mut unverified = Vec::new();
        let trust_list = self.store.list(ListName::Trust)?.and_then(|l| {
            let opened = TrustList::open(&l.bytes, &root).ok();
            if opened.is_none() {
                unverified.push(ListName::Trust);
            }
            opened
        });
        let site = self.enrollment.site_id;
        let bundle = self.store.list(ListName::Site)?;
        let bundle = trust_list
            .as_ref()
            .zip(bundle.as_ref())
            .and_then(|(t, l)| own_bundle(t, &l.bytes, site));
        (self.bans, self.choices) = match bundle {
            Some(b) => (
                SiteBans::Verified(b.banned.into_iter().collect()),
                ManualChoices {
                    platforms: b.platforms,
                    buildings: b.buildings,
                },
            ),
            None => {
                unverified.push(ListName::Site);
                (SiteBans::Unverifiable, ManualChoices::default())
            }
        };
        let status = self.store.list(ListName::Status)?;
        self.trust = trust_list.map(|trust_list| {
            let status_list = status
                .as_ref()
                .and_then(|l| StatusList::open(&l.bytes, &trust_list).ok());
            if status.is_some() && status_list.is_none() {
                unverified.push(ListName::Status);
            }
            TrustState {
                trust_list,
                status_list,
            }
        });
        self.unverified = unverified;
        Ok(())
    }

    /// Reloads if another connection (a sync) changed the database since the last look.
    fn refresh(&mut self) -> Result<()> {
        if self.store.data_version()? != self.data_version {
            self.reload()?;
        }
        Ok(())
    }

    /// The platforms and buildings of the site bundle held, for the guard's manual
    /// registration form; empty lists when the gate holds no bundle of its site that
    /// verifies against its trust list (none synced yet, or one no longer trusted).
    ///
    /// Read from memory; after a sync on another connection, and until this gate's next check
    /// or status reloads, from the database (the bundle opened again each time).
    pub fn manual_choices(&self) -> Result<ManualChoices> {
        if self.store.data_version()? == self.data_version {
            return Ok(self.choices.clone());
        }
        let bundle = self.store.list(ListName::Site)?;
        let opened = self
            .trust_list()
            .zip(bundle)
            .and_then(|(t, l)| own_bundle(t, &l.bytes, self.enrollment.site_id));
        Ok(
            opened.map_or_else(ManualChoices::default, |b| ManualChoices {
                platforms: b.platforms,
                buildings: b.buildings,
            }),
        )
    }

    /// The last trusted time, from the last sync's signed time token.
    pub fn trusted_time(&self) -> Result<Option<TrustedTime>> {
        Ok(self
            .store
            .meta(META_TRUSTED_TIME)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    pub(crate) fn set_trusted_time(&self, trusted: &TrustedTime) -> Result<()> {
        let json = serde_json::to_string(trusted).map_err(|e| GateError::Corrupt(e.to_string()))?;
        self.store.set_meta(META_TRUSTED_TIME, &json)
    }

    /// What the gate makes of a clock reading.
    pub fn clock(&self, reading: &ClockReading) -> Result<ClockCheck> {
        Ok(clock::assess(
            reading,
            self.trusted_time()?.as_ref(),
            self.policy.clock_tolerance,
        ))
    }

    fn context(&self, now: UnixTime, clock: &ClockCheck) -> Result<GateContext> {
        let seen: HashSet<_> = self
            .store
            .seen_codes(now.plus(-SEEN_CODE_MARGIN))?
            .into_iter()
            .collect();
        Ok(GateContext {
            seen,
            bans: self.bans.clone(),
            clock_floor: clock.floor,
            clock_ceiling: clock.ceiling,
            true_time: clock.estimate,
            policy: self.policy.verify_policy(),
            ..GateContext::new(self.enrollment.site_id)
        })
    }

    fn entry(
        &self,
        id: Uuid,
        reading: &ClockReading,
        clock: &ClockCheck,
        method: EntryMethod,
    ) -> Entry {
        Entry {
            id,
            gate_id: self.enrollment.gate_id,
            site_id: self.enrollment.site_id,
            recorded_at: reading.wall,
            method,
            decision: Decision::Allow,
            reason: None,
            rider: None,
            code_id: None,
            trusted_at: clock.estimate,
            manual: None,
            overrides: None,
        }
    }

    /// Verifies a code's text, logs the attempt durably, and returns the verdict.
    pub fn check(&mut self, text: &str, reading: &ClockReading) -> Result<Verdict> {
        self.refresh()?;
        let clock = self.clock(reading)?;
        let now = reading.wall;
        let context = self.context(now, &clock)?;
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
                        trusted_at: clock.estimate,
                        first_used_at: None,
                    },
                    Some((pass.code_id, pass.expires_at)),
                )
            }
            Err(rejection) => {
                let pass = rejection.as_ref().and_then(|r| r.pass());
                // The guard is told when the code was first let in: seconds ago is likely the
                // same rider shown twice, a minute or more a copy passed on.
                let first_used_at = match &rejection {
                    Some(Rejection::Replayed { pass }) => {
                        self.store.first_admitted(pass.code_id)?
                    }
                    _ => None,
                };
                (
                    Verdict {
                        verdict: Decision::Deny,
                        reason: Some(
                            rejection
                                .as_ref()
                                .map_or(ReasonCode::ListsTooStale, Rejection::code),
                        ),
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
                        trusted_at: clock.estimate,
                        first_used_at,
                    },
                    None,
                )
            }
        };
        match self.log_scan(&verdict, reading, &clock, seen) {
            // Another process on this state accepted the code between our look at the seen
            // codes and our write: it is a replay here, and is logged as one.
            Err(GateError::AlreadySeen(code)) => {
                // That process's entry was committed with the seen mark that refused ours.
                let first_used_at = match seen {
                    Some((id, _)) => self.store.first_admitted(id)?,
                    None => None,
                };
                let replayed = Verdict {
                    verdict: Decision::Deny,
                    reason: Some(ReasonCode::Replayed),
                    detail: Some(format!(
                        "code {code} was accepted by another process on this gate first"
                    )),
                    stale: false,
                    first_used_at,
                    ..verdict
                };
                self.log_scan(&replayed, reading, &clock, None)?;
                Ok(replayed)
            }
            other => other.map(|()| verdict),
        }
    }

    fn log_scan(
        &mut self,
        verdict: &Verdict,
        reading: &ClockReading,
        clock: &ClockCheck,
        seen: Option<(xiaoge_pass::CodeId, UnixTime)>,
    ) -> Result<()> {
        let logged = LoggedEntry {
            entry: Entry {
                decision: verdict.verdict,
                reason: verdict.reason.map(|r| r.as_str().to_owned()),
                rider: verdict.rider.as_ref().map(|r| r.id.clone()),
                code_id: verdict.code_id.clone(),
                ..self.entry(verdict.entry_id, reading, clock, EntryMethod::Scan)
            },
            rider_name: verdict.rider.as_ref().map(|r| r.name.clone()),
            platform: verdict.rider.as_ref().map(|r| r.platform.clone()),
            synced_at: None,
            upload_error: None,
        };
        self.store.record(&logged, seen)
    }

    /// Logs a rider without a code, registered by hand by the guard, as let in.
    pub fn register_manual(
        &mut self,
        manual: &ManualEntry,
        reading: &ClockReading,
    ) -> Result<LoggedEntry> {
        manual
            .check()
            .map_err(|e| GateError::Input(e.to_string()))?;
        let clock = self.clock(reading)?;
        let logged = LoggedEntry {
            entry: Entry {
                manual: Some(manual.clone()),
                ..self.entry(Uuid::now_v7(), reading, &clock, EntryMethod::Manual)
            },
            // The log on screen shows a hand-registered name masked like a scanned one; the
            // full name goes to the issuer in `manual` only.
            rider_name: xiaoge_pass::text::mask_name(&manual.name),
            platform: Some(manual.platform.clone()),
            synced_at: None,
            upload_error: None,
        };
        self.store.record(&logged, None)?;
        Ok(logged)
    }

    /// Logs a guard letting in a rider the gate denied, with the guard's reason.
    pub fn override_denial(
        &mut self,
        denied: Uuid,
        reason: &str,
        reading: &ClockReading,
    ) -> Result<LoggedEntry> {
        // The issuer checks the same rule when the entry arrives.
        let reason = xiaoge_pass::api::check_override_reason(reason)
            .map_err(|e| GateError::Input(format!("an override needs a reason: {e}")))?;
        let (gate, site) = (self.enrollment.gate_id, self.enrollment.site_id);
        let original = self
            .store
            .entry(denied, gate, site)?
            .ok_or(GateError::NoSuchEntry(denied))?;
        if original.entry.method != EntryMethod::Scan || original.entry.decision != Decision::Deny {
            return Err(GateError::NotOverridable(denied));
        }
        let clock = self.clock(reading)?;
        let logged = LoggedEntry {
            entry: Entry {
                reason: Some(reason.to_owned()),
                rider: original.entry.rider.clone(),
                code_id: original.entry.code_id.clone(),
                overrides: Some(denied),
                ..self.entry(Uuid::now_v7(), reading, &clock, EntryMethod::Override)
            },
            rider_name: original.rider_name,
            platform: original.platform,
            synced_at: None,
            upload_error: None,
        };
        self.store.record(&logged, None)?;
        Ok(logged)
    }

    /// Entries logged at or after `since`.
    pub fn log(&self, since: UnixTime) -> Result<Vec<LoggedEntry>> {
        self.store
            .entries_since(since, self.enrollment.gate_id, self.enrollment.site_id)
    }

    /// The gate's freshness, clock and backlog at a reading.
    pub fn status(&mut self, reading: &ClockReading) -> Result<GateStatus> {
        self.refresh()?;
        let meta_int =
            |key| -> Result<Option<i64>> { Ok(self.store.meta(key)?.and_then(|v| v.parse().ok())) };
        let status_issued = self
            .trust
            .as_ref()
            .and_then(|t| t.status_list.as_ref())
            .map(|s| s.issued_at);
        let age = status_issued.map(|t| reading.wall.since(t));
        let freshness = match age {
            Some(a) if a <= self.policy.stale_after => Freshness::Fresh,
            Some(a) if a <= self.policy.too_stale_after => Freshness::Stale,
            _ => Freshness::TooStale,
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
            clock: self.clock(reading)?,
            banned_riders: match &self.bans {
                SiteBans::Verified(b) => Some(b.len()),
                SiteBans::Unverifiable => None,
            },
            unverified: self.unverified.clone(),
            policy: self.policy,
        })
    }
}

/// The wall clock, read at the edge and passed inward.
#[must_use]
pub fn wall_clock() -> UnixTime {
    clock::read().wall
}

/// The bundle in `bytes` if it verifies against `trust` and is of `site`: the one test for a
/// cached bundle, whether for its bans or for the manual form's choices.
fn own_bundle(trust: &TrustList, bytes: &[u8], site: SiteId) -> Option<SiteBundle> {
    SiteBundle::open(bytes, trust)
        .ok()
        .filter(|b| b.site == site)
}

fn rider_view(pass: &Pass) -> RiderView {
    RiderView {
        id: pass.rider.clone(),
        name: pass.name.clone(),
        platform: pass.platform.clone(),
    }
}
