//! Entries from gates, and the regulator's figures made from everything the issuer holds.

use std::collections::BTreeMap;

use serde::Serialize;
use xiaoge_pass::api::{
    Entry, ErrorDetail, MAX_ENTRY_AHEAD, MAX_UPLOAD_ENTRIES, UploadOutcome, UploadResponse,
    UploadResult,
};
use xiaoge_pass::{RiderStatus, UnixTime};

use super::{Issuer, calendar};
use crate::error::{IssuerError, Result};
use crate::model::SiteKind;
use crate::store::{GateRow, StoredEntry};

/// Days of history the figures cover.
pub const STATS_DAYS: i64 = 30;

/// One of the province's targets, and how the issuer's sites measure up to it.
#[derive(Clone, Debug, Serialize)]
pub struct Targets {
    /// The deadline, `YYYY-MM-DD`.
    pub by: &'static str,
    /// Sites to cover.
    pub sites: u64,
    /// Share of sites to have a building guide and parking.
    pub guide_and_parking_share: f64,
    /// Sites covered so far over the target.
    pub sites_progress: f64,
    /// Whether the building-guide share is met.
    pub building_guide_met: bool,
    /// Whether the parking share is met.
    pub parking_met: bool,
}

/// The province's targets: 4,000 sites by the end of 2025 and 6,000 in 2026, with 40% then
/// 70% of them offering a building guide and temporary parking.
const TARGETS: [(&str, u64, f64); 2] = [("2025-12-31", 4_000, 0.40), ("2026-12-31", 6_000, 0.70)];

/// Entries and denials on one day.
#[derive(Clone, Debug, Serialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD`, China Standard Time.
    pub day: String,
    /// Entries logged by gates.
    pub entries: u64,
    /// Of which denied.
    pub denials: u64,
}

/// Sites of one kind in one district.
#[derive(Clone, Debug, Serialize)]
pub struct SiteCount {
    /// Kind.
    pub kind: SiteKind,
    /// District.
    pub district: String,
    /// Sites.
    pub sites: u64,
}

/// Riders of one platform by standing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlatformRiders {
    /// Platform name.
    pub platform: String,
    /// Active riders.
    pub active: u64,
    /// Suspended riders.
    pub suspended: u64,
    /// Revoked riders.
    pub revoked: u64,
}

/// `GET /v1/stats`: what the regulator follows.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// When the figures were made.
    pub generated_at: UnixTime,
    /// Sites covered.
    pub sites: u64,
    /// Sites by kind, every kind listed.
    pub sites_by_kind: BTreeMap<SiteKind, u64>,
    /// Sites by district.
    pub sites_by_district: BTreeMap<String, u64>,
    /// Sites by kind and district.
    pub sites_by_kind_and_district: Vec<SiteCount>,
    /// Sites with a building guide.
    pub with_building_guide: u64,
    /// Sites with temporary parking.
    pub with_parking: u64,
    /// Share of sites with a building guide.
    pub building_guide_share: f64,
    /// Share of sites with parking.
    pub parking_share: f64,
    /// The province's targets and progress.
    pub targets: Vec<Targets>,
    /// Riders by platform, by their effective standing.
    pub riders_by_platform: Vec<PlatformRiders>,
    /// How much of the status list's capacity the riders use.
    pub status_list: crate::model::StatusListUsage,
    /// Entries per day over the last 30 days.
    pub entries_per_day: Vec<DayFigures>,
    /// Denials by reason over the last 30 days.
    pub denials_by_reason: BTreeMap<String, u64>,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Issuer {
    /// Stores entries uploaded by `gate`, each exactly once.
    ///
    /// Each entry is checked against the rules the gate writes by ([`Entry::check`]); one
    /// that breaks them is answered `rejected` with the reason and not stored, and the
    /// others are stored. A whole-batch refusal would leave the gate retrying the same
    /// poisoned batch forever, with every later entry queued behind it.
    pub fn ingest(
        &self,
        gate: &GateRow,
        entries: &[Entry],
        now: UnixTime,
    ) -> Result<UploadResponse> {
        if entries.len() > MAX_UPLOAD_ENTRIES {
            return Err(IssuerError::Invalid(format!(
                "{} entries in one upload; at most {MAX_UPLOAD_ENTRIES} are accepted",
                entries.len()
            )));
        }
        for e in entries {
            if e.gate_id != gate.id || e.site_id != gate.site_id {
                return Err(IssuerError::Invalid(format!(
                    "entry {} claims gate {} at site {}; the request is signed by gate {} at site {}",
                    e.id, e.gate_id, e.site_id, gate.id, gate.site_id
                )));
            }
        }
        let checks: Vec<_> = entries.iter().map(|e| e.check(now)).collect();
        let valid: Vec<Entry> = entries
            .iter()
            .zip(&checks)
            .filter(|(_, c)| c.is_ok())
            .map(|(e, _)| e.clone())
            .collect();
        let mut stored = self.store.insert_entries(gate.id, &valid, now)?.into_iter();
        let mut results = Vec::with_capacity(entries.len());
        for (e, check) in entries.iter().zip(checks) {
            let result = match check {
                Ok(()) => UploadResult {
                    id: e.id,
                    // The store answers once per valid entry, in order.
                    outcome: stored.next().unwrap_or(UploadOutcome::Duplicate),
                    error: None,
                },
                Err(err) => {
                    tracing::warn!(gate = gate.id, entry = %e.id, error = %err, "entry rejected");
                    UploadResult {
                        id: e.id,
                        outcome: UploadOutcome::Rejected,
                        error: Some(ErrorDetail {
                            code: "invalid_entry".into(),
                            message: format!("entry {}: {err}", e.id),
                        }),
                    }
                }
            };
            results.push(result);
        }
        Ok(UploadResponse { results })
    }

    /// Every entry the gates have uploaded.
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        self.store.entries()
    }

    /// The regulator's figures as of `now`.
    pub fn stats(&self, now: UnixTime) -> Result<Stats> {
        let (sites, with_building_guide, with_parking) = self.store.site_coverage()?;
        let mut sites_by_kind: BTreeMap<SiteKind, u64> =
            SiteKind::ALL.into_iter().map(|k| (k, 0)).collect();
        let mut sites_by_district = BTreeMap::new();
        let mut sites_by_kind_and_district = Vec::new();
        for (kind, district, n) in self.store.sites_by_kind_and_district()? {
            let kind = SiteKind::parse(&kind)
                .ok_or_else(|| IssuerError::Invalid(format!("stored site kind {kind:?}")))?;
            *sites_by_kind.entry(kind).or_insert(0) += n;
            *sites_by_district.entry(district.clone()).or_insert(0) += n;
            sites_by_kind_and_district.push(SiteCount {
                kind,
                district,
                sites: n,
            });
        }
        let building_guide_share = share(with_building_guide, sites);
        let parking_share = share(with_parking, sites);
        let targets = TARGETS
            .iter()
            .map(|&(by, target, wanted)| Targets {
                by,
                sites: target,
                guide_and_parking_share: wanted,
                sites_progress: share(sites, target),
                building_guide_met: building_guide_share >= wanted,
                parking_met: parking_share >= wanted,
            })
            .collect();

        let mut riders: Vec<PlatformRiders> = Vec::new();
        for (platform, status, n) in self.store.riders_by_platform()? {
            if riders.last().is_none_or(|r| r.platform != platform) {
                riders.push(PlatformRiders {
                    platform,
                    ..PlatformRiders::default()
                });
            }
            if let Some(row) = riders.last_mut() {
                match RiderStatus::from_value(status) {
                    RiderStatus::Valid => row.active += n,
                    RiderStatus::Suspended => row.suspended += n,
                    RiderStatus::Revoked => row.revoked += n,
                }
            }
        }

        let today = calendar::day_of(now);
        let since = UnixTime((today - STATS_DAYS + 1) * 86_400 - crate::store::CST_OFFSET);
        // Rows stored before entries were checked may lie anywhere in time: the figures count
        // only the window, up to as far ahead as an entry may now be.
        let until = now.plus(MAX_ENTRY_AHEAD);
        let per_day = self.store.entries_per_day(since, until)?;
        let entries_per_day = (today - STATS_DAYS + 1..=today)
            .map(|day| {
                let counts = per_day.get(&day).copied().unwrap_or_default();
                DayFigures {
                    day: calendar::day_text(day),
                    entries: counts.entries,
                    denials: counts.denials,
                }
            })
            .collect();
        Ok(Stats {
            generated_at: now,
            sites,
            sites_by_kind,
            sites_by_district,
            sites_by_kind_and_district,
            with_building_guide,
            with_parking,
            building_guide_share,
            parking_share,
            targets,
            riders_by_platform: riders,
            status_list: self.status_list_usage()?,
            entries_per_day,
            denials_by_reason: self.store.denials_by_reason(since, until)?,
        })
    }
}
