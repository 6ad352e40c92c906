//! The kiosk's controller: the state machine plus the gate it writes to. It carries out the
//! effects that touch the gate's database (forms, the log, settings) and hands the others
//! (sounds, sync, camera switch, quit) back to the app. Tests drive it without a window.

use std::collections::HashMap;
use std::time::Instant;

use uuid::Uuid;

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
                // Without a bundle the form still offers its text fields.
                Effect::LoadChoices => Some(Input::Choices(
                    self.gate.manual_choices().unwrap_or_default(),
                )),
                Effect::SaveLang(lang) => {
                    // The language is a preference; failing to keep it is not worth a notice.
                    let _ = Settings::of(&self.gate).set_language(lang);
                    None
                }
                Effect::SavePrefs(prefs) => {
                    // Preferences too: the kiosk already uses the new values.
                    let settings = Settings::of(&self.gate);
                    let _ = settings.set_volume(prefs.volume);
                    let _ = settings.set_voice(prefs.voice);
                    let _ = settings.set_screen_inches(prefs.screen_inches);
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

    /// Refreshes the status strip.
    pub fn refresh_status(&mut self, now: Instant) {
        let reading = clock::read();
        if let Ok(status) = self.gate.status(&reading) {
            let input = Input::Status {
                status: Box::new(status),
                at: reading.wall,
            };
            self.kiosk.handle(input, now);
        }
    }

    fn todays_log(&self) -> Vec<LogRow> {
        let midnight = chrono::Local::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(chrono::Local).single())
            .map_or(0, |t| t.timestamp());
        let lines = self
            .gate
            .log(xiaoge_pass::UnixTime(midnight))
            .unwrap_or_default();
        let local = |at: xiaoge_pass::UnixTime| {
            chrono::DateTime::from_timestamp(at.0, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default()
        };
        // Each override names the denial it let in; each denial learns of its override.
        let let_in: HashMap<Uuid, String> = lines
            .iter()
            .filter_map(|l| Some((l.entry.overrides?, local(l.entry.recorded_at))))
            .collect();
        let recorded: HashMap<Uuid, String> = lines
            .iter()
            .map(|l| (l.entry.id, local(l.entry.recorded_at)))
            .collect();
        lines
            .into_iter()
            .map(|l| LogRow {
                local_time: local(l.entry.recorded_at),
                let_in_at: let_in.get(&l.entry.id).cloned(),
                overrode_at: l.entry.overrides.and_then(|d| recorded.get(&d).cloned()),
                entry: l.entry,
                rider_name: l.rider_name,
                platform: l.platform,
            })
            .collect()
    }
}
