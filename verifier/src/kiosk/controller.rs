//! The kiosk's controller: the state machine plus the gate it writes to. It carries out the
//! effects that touch the gate's database (forms, the log, settings) and hands the others
//! (sounds, sync, camera switch, quit) back to the app. Tests drive it without a window.

use std::time::Instant;

use crate::clock;
use crate::gate::Gate;
use crate::settings::Settings;

use super::model::{Effect, Input, Kiosk, LogRow};

/// The kiosk's state and the gate it writes to: what tests drive without a window.
pub struct Controller {
    /// The state machine.
    pub kiosk: Kiosk,
    gate: Gate,
}

impl Controller {
    /// A controller over an open gate.
    #[must_use]
    pub fn new(gate: Gate, kiosk: Kiosk) -> Self {
        Self { kiosk, gate }
    }

    /// The gate, for reading.
    #[must_use]
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// The gate, for checking codes outside the scanner (tests, drills).
    pub fn gate_mut(&mut self) -> &mut Gate {
        &mut self.gate
    }

    /// Applies an input, carries out the effects that touch the gate's database, and returns
    /// the others (sounds, sync, camera switch, quit) for the app.
    pub fn apply(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut pending = self.kiosk.handle(input, now);
        let mut outward = Vec::new();
        let mut wrote = false;
        while let Some(effect) = pending.pop() {
            let follow = match effect {
                Effect::RegisterManual(manual) => {
                    wrote = true;
                    Some(match self.gate.register_manual(&manual, &clock::read()) {
                        Ok(entry) => Input::Written(Box::new(entry.entry)),
                        Err(e) => Input::WriteFailed(e.to_string()),
                    })
                }
                Effect::Override { denied, reason } => {
                    wrote = true;
                    Some(
                        match self.gate.override_denial(denied, &reason, &clock::read()) {
                            Ok(entry) => Input::Written(Box::new(entry.entry)),
                            Err(e) => Input::WriteFailed(e.to_string()),
                        },
                    )
                }
                Effect::LoadLog => Some(Input::LogLoaded(self.todays_log())),
                Effect::SaveLang(lang) => {
                    // The language is a preference; failing to keep it is not worth a notice.
                    let _ = Settings::of(&self.gate).set_language(lang);
                    None
                }
                other => {
                    outward.push(other);
                    None
                }
            };
            if let Some(input) = follow {
                pending.extend(self.kiosk.handle(input, now));
            }
        }
        // The strip's "waiting to upload" counts the entry just written; everything else
        // reaches the strip through the periodic refresh, off the per-frame path.
        if wrote {
            self.refresh_status(now);
        }
        outward
    }

    fn status(&mut self) -> Option<crate::gate::GateStatus> {
        self.gate.status(&clock::read()).ok()
    }

    /// Refreshes the status strip.
    pub fn refresh_status(&mut self, now: Instant) {
        if let Some(status) = self.status() {
            self.kiosk.handle(Input::Status(Box::new(status)), now);
        }
    }

    fn todays_log(&self) -> Vec<LogRow> {
        let midnight = chrono::Local::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(chrono::Local).single())
            .map_or(0, |t| t.timestamp());
        self.gate
            .log(xiaoge_pass::UnixTime(midnight))
            .unwrap_or_default()
            .into_iter()
            .map(|l| LogRow {
                local_time: chrono::DateTime::from_timestamp(l.entry.recorded_at.0, 0)
                    .map(|d| {
                        d.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_default(),
                entry: l.entry,
                rider_name: l.rider_name,
                platform: l.platform,
            })
            .collect()
    }
}
