//! The background sync: a schedule (interval, optional nightly window), backoff with jitter
//! after failures, and the worker thread the kiosk and `sync --loop` run.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::clock::{self};
use crate::error::{GateError, Result};
use crate::gate::Gate;

use super::client::random_bytes;
use super::{DEFAULT_TIMEOUT, SyncReport, sync};

/// When the background sync runs.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Pause after a successful sync.
    pub interval: Duration,
    /// Only sync inside this daily window (local time), if set.
    pub window: Option<Window>,
    /// How long one request may take.
    pub timeout: Duration,
    /// The longest pause after failures.
    pub max_backoff: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            window: None,
            timeout: DEFAULT_TIMEOUT,
            max_backoff: Duration::from_secs(1800),
        }
    }
}

/// A daily window of local time, such as `01:00-05:00` (it may run past midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    start: u32,
    end: u32,
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("window {s:?} is not HH:MM-HH:MM"))?;
        match (minutes(a), minutes(b)) {
            (Some(start), Some(end)) if start != end => Ok(Self { start, end }),
            _ => Err(format!(
                "window {s:?} is not HH:MM-HH:MM with two different times"
            )),
        }
    }
}

impl Window {
    /// Whether `minute_of_day` (0..1440, local time) falls in the window.
    #[must_use]
    pub fn contains(self, minute_of_day: u32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute_of_day)
        } else {
            minute_of_day >= self.start || minute_of_day < self.end
        }
    }
}

/// What the background sync did, for whoever shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// A sync completed.
    Synced {
        /// What it did.
        report: SyncReport,
    },
    /// A sync failed; the next try is after `retry_in_s`.
    Failed {
        /// Why, in words.
        error: String,
        /// What kind of failure, for the guard.
        failure: SyncFailure,
        /// Seconds until the next try.
        retry_in_s: u64,
    },
    /// Outside the window: the next sync waits for it.
    OutsideWindow,
}

/// What kind of failure a sync met, as the guard must tell them apart: one passes by
/// itself, one only the operator can end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncFailure {
    /// The issuer was not reached, or its certificate was refused: it may come back.
    Unreachable,
    /// The issuer refuses this gate's key (`gate revoke` or `gate replace`): it will never
    /// sync again until it is enrolled anew.
    GateRevoked,
    /// Anything else; the words say what.
    Other,
}

impl SyncFailure {
    /// The kind of `error`.
    #[must_use]
    pub fn of(error: &GateError) -> Self {
        match error {
            GateError::Network { .. } | GateError::Tls { .. } => Self::Unreachable,
            GateError::Issuer { code, .. } if code == "gate_revoked" => Self::GateRevoked,
            _ => Self::Other,
        }
    }
}

/// The pause after `failures` failures in a row: doubling from 5 s up to `max`, with a
/// ±25 % jitter so that a city's gates do not all return at once after an outage.
#[must_use]
pub fn backoff(failures: u32, max: Duration) -> Duration {
    let base = Duration::from_secs(5).saturating_mul(1 << failures.saturating_sub(1).min(16));
    let pause = base.min(max);
    let jitter = random_bytes::<2>().map_or(0, u16::from_le_bytes);
    pause.mul_f64(0.75 + f64::from(jitter) / f64::from(u16::MAX) * 0.5)
}

/// Syncs `dir`'s gate on `schedule` until `stop` is set, telling `events` what happens.
///
/// Runs on its own connection: verification never waits for it, and a gate checking codes
/// beside it notices new lists through the database's data version.
pub fn run_worker(
    dir: &Path,
    schedule: &Schedule,
    stop: &std::sync::atomic::AtomicBool,
    wake: &std::sync::atomic::AtomicBool,
    mut events: impl FnMut(WorkerEvent),
) {
    use std::sync::atomic::Ordering;
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let in_window = schedule.window.is_none_or(|w| {
            use chrono::Timelike;
            let now = chrono::Local::now();
            w.contains(now.hour() * 60 + now.minute())
        });
        let pause = if in_window {
            let result = Gate::open(dir)
                .and_then(|mut gate| sync(&mut gate, schedule.timeout, clock::read().wall));
            match result {
                Ok(report) => {
                    failures = 0;
                    events(WorkerEvent::Synced { report });
                    schedule.interval
                }
                Err(e) => {
                    failures += 1;
                    let failure = SyncFailure::of(&e);
                    // A revoked gate asks again only rarely: its answer will not change.
                    let pause = if failure == SyncFailure::GateRevoked {
                        schedule.max_backoff
                    } else {
                        backoff(failures, schedule.max_backoff)
                    };
                    events(WorkerEvent::Failed {
                        error: e.to_string(),
                        failure,
                        retry_in_s: pause.as_secs(),
                    });
                    pause
                }
            }
        } else {
            events(WorkerEvent::OutsideWindow);
            Duration::from_secs(60)
        };
        let until = std::time::Instant::now() + pause;
        while std::time::Instant::now() < until
            && !stop.load(Ordering::Relaxed)
            && !wake.swap(false, Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A background sync on its own thread, stopped when dropped.
pub struct Worker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    wake: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts syncing `dir`'s gate on `schedule`, sending what happens to `events`.
    pub fn spawn(
        dir: &Path,
        schedule: Schedule,
        events: std::sync::mpsc::Sender<WorkerEvent>,
    ) -> Result<Self> {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wake = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (stop_flag, wake_flag) = (std::sync::Arc::clone(&stop), std::sync::Arc::clone(&wake));
        let dir = dir.to_owned();
        let thread = std::thread::Builder::new()
            .name("gate-sync".into())
            .spawn(move || {
                run_worker(&dir, &schedule, &stop_flag, &wake_flag, |event| {
                    let _ = events.send(event);
                });
            })
            .map_err(|e| GateError::io("starting the sync thread", e))?;
        Ok(Self {
            stop,
            wake,
            thread: Some(thread),
        })
    }

    /// Syncs as soon as the current pause allows, instead of waiting it out.
    pub fn sync_now(&self) {
        self.wake.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_may_run_past_midnight() {
        let night: Window = "23:30-05:00".parse().unwrap();
        assert!(night.contains(23 * 60 + 45));
        assert!(night.contains(60));
        assert!(!night.contains(12 * 60));
        let day: Window = "01:00-05:00".parse().unwrap();
        assert!(day.contains(60) && !day.contains(5 * 60));
        assert!("25:00-01:00".parse::<Window>().is_err());
        assert!("01:00".parse::<Window>().is_err());
        assert!("01:00-01:00".parse::<Window>().is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_jitter() {
        let max = Duration::from_secs(1800);
        let first = backoff(1, max);
        assert!((3.75..=6.25).contains(&first.as_secs_f64()), "{first:?}");
        let fourth = backoff(4, max);
        assert!((30.0..=50.0).contains(&fourth.as_secs_f64()), "{fourth:?}");
        let many = backoff(40, max);
        assert!(
            many <= max.mul_f64(1.25) && many >= max.mul_f64(0.75),
            "{many:?}"
        );
    }
}
