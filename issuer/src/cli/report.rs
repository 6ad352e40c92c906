//! `entries` and `stats`: what the gates logged, as tables or JSON.

use std::io::Write;

use anyhow::Result;
use xiaoge_issuer::Issuer;
use xiaoge_pass::RiderId;
use xiaoge_pass::text::Column;

use crate::{format_time, print_line, write_line};

pub(crate) fn print_entries(issuer: &Issuer, json: bool) -> Result<()> {
    let entries = issuer.entries()?;
    let mut out = std::io::stdout().lock();
    if json {
        for stored in &entries {
            let mut value = serde_json::to_value(&stored.entry)?;
            value["received_at"] = serde_json::json!(stored.received_at);
            writeln!(out, "{value}")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:>4}  {:>4}  {:<25}  {:<8}  {:<5}  {:<22}  {:<12}  code",
        "entry", "gate", "site", "recorded at", "method", "", "reason", "rider"
    )?;
    for stored in &entries {
        let e = &stored.entry;
        let line = format!(
            "{:<36}  {:>4}  {:>4}  {:<25}  {:<8}  {:<5}  {:<22}  {:<12}  {}",
            e.id,
            e.gate_id,
            e.site_id,
            format_time(e.recorded_at),
            e.method.as_str(),
            e.decision.as_str(),
            Column(e.reason.as_deref().unwrap_or("-")),
            e.rider.as_ref().map_or("-", RiderId::as_str),
            e.code_id.as_deref().unwrap_or("-")
        );
        write_line(&mut out, &line)?;
    }
    eprintln!("{} entries", entries.len());
    Ok(())
}

pub(crate) fn print_stats(s: &xiaoge_issuer::service::Stats) -> Result<()> {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    print_line(&format!(
        "sites covered        {} ({} with a building guide: {}, {} with parking: {})",
        s.sites,
        s.with_building_guide,
        pct(s.building_guide_share),
        s.with_parking,
        pct(s.parking_share)
    ))?;
    for t in &s.targets {
        print_line(&format!(
            "target by {}   {} sites ({} reached), guide and parking {}: guide {}, parking {}",
            t.by,
            t.sites,
            pct(t.sites_progress),
            pct(t.guide_and_parking_share),
            if t.building_guide_met {
                "met"
            } else {
                "not met"
            },
            if t.parking_met { "met" } else { "not met" }
        ))?;
    }
    for (kind, n) in &s.sites_by_kind {
        print_line(&format!("  {} {n}", kind.zh()))?;
    }
    for (district, n) in &s.sites_by_district {
        print_line(&format!("  {district} {n}"))?;
    }
    for p in &s.riders_by_platform {
        print_line(&format!(
            "riders  {:<8} {} active, {} suspended, {} revoked",
            Column(&p.platform),
            p.active,
            p.suspended,
            p.revoked
        ))?;
    }
    print_line(&format!(
        "status list  {} of {} indexes used, {} left{}",
        s.status_list.used,
        s.status_list.capacity,
        s.status_list.left(),
        if s.status_list.nearly_full() {
            " — over 90 %: registration stops when it is full"
        } else {
            ""
        }
    ))?;
    for d in s.entries_per_day.iter().filter(|d| d.entries > 0) {
        print_line(&format!(
            "entries {}  {:>6}  denied {}",
            d.day, d.entries, d.denials
        ))?;
    }
    for (reason, n) in &s.denials_by_reason {
        print_line(&format!("denied  {reason:<22} {n}"))?;
    }
    Ok(())
}
