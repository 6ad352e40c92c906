//! How far a gate can believe its own clock.
//!
//! At every sync the gate keeps the issuer's signed time and where its own boot clock stood
//! (the boot clock counts seconds since the machine started and cannot be set). While the
//! machine has not rebooted, the issuer's time plus the boot clock's advance is a trusted
//! estimate of now: a wall clock behind it, or far ahead of it, is not believed. After a
//! reboot only the floor remains: the wall clock may not read earlier than a time the gate
//! has already trusted.
//!
//! [`assess`] is pure; [`read`] and [`boot_mark`] are the edge that asks the operating system.

use serde::{Deserialize, Serialize};
use xiaoge_pass::UnixTime;

/// Where the boot clock stood, and on which boot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootMark {
    /// The kernel's random id of this boot.
    pub boot_id: String,
    /// Seconds since boot, suspend included.
    pub seconds: f64,
}

/// What the gate reads of time at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockReading {
    /// The wall clock.
    pub wall: UnixTime,
    /// The boot clock, where the system has one.
    pub boot: Option<BootMark>,
}

impl ClockReading {
    /// A reading of the wall clock alone (no boot clock): for tests and other systems.
    #[must_use]
    pub fn wall_only(wall: UnixTime) -> Self {
        Self { wall, boot: None }
    }
}

/// The last time the gate trusted: the issuer's signed time and the boot clock then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrustedTime {
    /// The issuer's clock, from a signed time token.
    pub server: UnixTime,
    /// The boot clock when the token arrived.
    pub boot: Option<BootMark>,
}

/// How much the wall clock may differ from a trusted estimate before it is not believed.
pub const DEFAULT_TOLERANCE: i64 = 300;

/// What the gate makes of its clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// The gate has never received the issuer's time.
    Unchecked,
    /// The wall clock agrees with the trusted estimate.
    Trusted {
        /// Wall clock minus the estimate, in seconds.
        offset: i64,
    },
    /// After a reboot: the wall clock is not earlier than the last trusted time, which is all
    /// that can be checked until the next sync.
    AboveFloor,
    /// The wall clock reads earlier than a trusted time: set back, or a dead clock battery.
    Behind {
        /// How far behind, in seconds.
        seconds: i64,
    },
    /// The wall clock reads far later than the trusted estimate.
    Ahead {
        /// How far ahead, in seconds.
        seconds: i64,
    },
}

impl ClockState {
    /// Whether verdicts may rely on the wall clock.
    #[must_use]
    pub fn believable(&self) -> bool {
        !matches!(self, ClockState::Behind { .. } | ClockState::Ahead { .. })
    }
}

/// The gate's judgement of its clock at one reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClockCheck {
    /// The judgement.
    #[serde(flatten)]
    pub state: ClockState,
    /// The trusted estimate of now, when the boot clock allows one.
    pub estimate: Option<UnixTime>,
    /// The earliest time the wall clock may read (for `verify`).
    pub floor: Option<UnixTime>,
    /// The latest time the wall clock may read (for `verify`).
    pub ceiling: Option<UnixTime>,
}

/// Judges a clock reading against the last trusted time.
#[must_use]
pub fn assess(reading: &ClockReading, trusted: Option<&TrustedTime>, tolerance: i64) -> ClockCheck {
    let Some(trusted) = trusted else {
        return ClockCheck {
            state: ClockState::Unchecked,
            estimate: None,
            floor: None,
            ceiling: None,
        };
    };
    let same_boot = match (&reading.boot, &trusted.boot) {
        (Some(now), Some(then)) if now.boot_id == then.boot_id && now.seconds >= then.seconds => {
            Some(now.seconds - then.seconds)
        }
        _ => None,
    };
    let Some(elapsed) = same_boot else {
        let state = if reading.wall < trusted.server.plus(-tolerance) {
            ClockState::Behind {
                seconds: trusted.server.since(reading.wall),
            }
        } else {
            ClockState::AboveFloor
        };
        return ClockCheck {
            state,
            estimate: None,
            floor: Some(trusted.server),
            ceiling: None,
        };
    };
    let estimate = trusted.server.plus(elapsed as i64);
    let offset = reading.wall.since(estimate);
    let state = if offset < -tolerance {
        ClockState::Behind { seconds: -offset }
    } else if offset > tolerance {
        ClockState::Ahead { seconds: offset }
    } else {
        ClockState::Trusted { offset }
    };
    ClockCheck {
        state,
        estimate: Some(estimate),
        floor: Some(estimate.plus(-tolerance)),
        ceiling: Some(estimate.plus(tolerance)),
    }
}

/// Reads the wall clock and the boot clock.
#[must_use]
pub fn read() -> ClockReading {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    ClockReading {
        wall: UnixTime(i64::try_from(secs).unwrap_or(i64::MAX)),
        boot: boot_mark(),
    }
}

/// Where the boot clock stands now, on Linux; `None` elsewhere.
#[must_use]
pub fn boot_mark() -> Option<BootMark> {
    #[cfg(target_os = "linux")]
    {
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        Some(BootMark {
            boot_id: boot_id.trim().to_owned(),
            seconds: t.tv_sec as f64 + f64::from(u32::try_from(t.tv_nsec).unwrap_or(0)) / 1e9,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(boot: &str, seconds: f64) -> Option<BootMark> {
        Some(BootMark {
            boot_id: boot.into(),
            seconds,
        })
    }

    fn reading(wall: i64, boot: Option<BootMark>) -> ClockReading {
        ClockReading {
            wall: UnixTime(wall),
            boot,
        }
    }

    const T: i64 = 1_767_225_600;

    #[test]
    fn same_boot_the_boot_clock_carries_the_trusted_time_forward() {
        let trusted = TrustedTime {
            server: UnixTime(T),
            boot: mark("a", 100.0),
        };
        let ok = assess(
            &reading(T + 3600 + 5, mark("a", 3700.0)),
            Some(&trusted),
            300,
        );
        assert_eq!(ok.state, ClockState::Trusted { offset: 5 });
        assert_eq!(ok.estimate, Some(UnixTime(T + 3600)));
        let back = assess(&reading(T - 86_400, mark("a", 3700.0)), Some(&trusted), 300);
        assert_eq!(
            back.state,
            ClockState::Behind {
                seconds: 86_400 + 3600
            }
        );
        assert!(!back.state.believable());
        let ahead = assess(
            &reading(T + 3 * 86_400, mark("a", 3700.0)),
            Some(&trusted),
            300,
        );
        assert!(matches!(ahead.state, ClockState::Ahead { .. }));
    }

    #[test]
    fn after_a_reboot_only_the_floor_holds() {
        let trusted = TrustedTime {
            server: UnixTime(T),
            boot: mark("a", 100.0),
        };
        let later = assess(
            &reading(T + 10 * 86_400, mark("b", 50.0)),
            Some(&trusted),
            300,
        );
        assert_eq!(later.state, ClockState::AboveFloor);
        assert_eq!(later.floor, Some(UnixTime(T)));
        let earlier = assess(&reading(T - 3600, mark("b", 50.0)), Some(&trusted), 300);
        assert_eq!(earlier.state, ClockState::Behind { seconds: 3600 });
    }

    #[test]
    fn without_a_trusted_time_nothing_is_judged() {
        let check = assess(&ClockReading::wall_only(UnixTime(T)), None, 300);
        assert_eq!(check.state, ClockState::Unchecked);
        assert!(check.state.believable());
    }

    #[test]
    fn this_machine_has_a_boot_clock() {
        let reading = read();
        if cfg!(target_os = "linux") {
            let boot = reading.boot.unwrap();
            assert!(boot.seconds > 0.0 && !boot.boot_id.is_empty());
        }
    }
}
