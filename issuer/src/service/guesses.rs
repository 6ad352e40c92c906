//! The guess throttle: a source address that presents too many unknown secrets of one kind
//! (admin tokens, platform keys, enrollment tokens, login links) is refused that kind for the
//! rest of a window, and the operator can read both the first miss and the throttling in the
//! audit log.
//!
//! Every secret has at least 128 random bits, so guessing one is hopeless; what this buys is
//! that a scanner stops costing store work, and that someone trying is seen. Windows are kept
//! in memory: behind a load balancer each process throttles on its own.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;

use xiaoge_pass::UnixTime;

use super::{Issuer, audit, lock};
use crate::error::{IssuerError, Result};
use crate::model::Actor;

/// How long a window of failures lasts, in seconds.
pub const GUESS_WINDOW: i64 = 600;
/// Sources remembered at once; when every one is inside its window, a new source is refused
/// until one ends, so that a flood of addresses cannot make the throttle forget.
const SOURCES_CAP: usize = 50_000;

/// A kind of secret a caller presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Secret {
    /// An admin token: the regulator's or a property's (API bearer or dashboard login).
    AdminToken,
    /// A platform's API key.
    PlatformKey,
    /// A gate's enrollment token.
    EnrollmentToken,
    /// A rider's one-time login link.
    LoginLink,
}

impl Secret {
    /// Unknown secrets of this kind one source may present in a window. Login links are
    /// generous: thousands of riders share a carrier's address, and a used link is retried.
    #[must_use]
    pub fn allowed(self) -> u32 {
        match self {
            Self::LoginLink => 60,
            Self::AdminToken | Self::PlatformKey | Self::EnrollmentToken => 10,
        }
    }

    /// What a caller is told when it presents an unknown secret of this kind.
    #[must_use]
    pub fn unknown_words(self) -> &'static str {
        match self {
            Self::AdminToken => "admin token is unknown",
            Self::PlatformKey => "platform API key is unknown",
            Self::EnrollmentToken => {
                "enrollment token is unknown, already used, or for another issuer"
            }
            Self::LoginLink => "login link is unknown, already used or expired",
        }
    }

    /// The error a caller sees when it presents an unknown secret of this kind.
    #[must_use]
    pub fn unknown(self) -> IssuerError {
        IssuerError::UnknownSecret(self)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AdminToken => "admin token",
            Self::PlatformKey => "platform API key",
            Self::EnrollmentToken => "enrollment token",
            Self::LoginLink => "login link",
        })
    }
}

/// Failures of one kind from one source in the current window.
#[derive(Clone, Copy, Debug)]
struct Window {
    started: UnixTime,
    failures: u32,
}

impl Window {
    fn ends(self) -> UnixTime {
        self.started.plus(GUESS_WINDOW)
    }
}

/// The windows, per (kind, source).
#[derive(Debug, Default)]
pub(super) struct GuessThrottle {
    windows: Mutex<HashMap<(Secret, IpAddr), Window>>,
}

impl Issuer {
    /// Refuses `source` with [`IssuerError::TooManyFailures`] while it is throttled for
    /// `secret`, or while the throttle is full and `source` is not in it.
    pub fn guess_allowed(&self, secret: Secret, source: IpAddr, now: UnixTime) -> Result<()> {
        let mut windows = lock(&self.guesses.windows);
        let key = (secret, source);
        let refused = |until: UnixTime| IssuerError::TooManyFailures {
            secret,
            retry_after: until.since(now).max(1),
        };
        match windows.get(&key) {
            Some(w) if w.ends() <= now => {
                windows.remove(&key);
                Ok(())
            }
            Some(w) if w.failures >= secret.allowed() => Err(refused(w.ends())),
            Some(_) => Ok(()),
            None if windows.len() < SOURCES_CAP => Ok(()),
            None => {
                windows.retain(|_, w| w.ends() > now);
                if windows.len() < SOURCES_CAP {
                    return Ok(());
                }
                let first_end = windows.values().map(|w| w.ends()).min().unwrap_or(now);
                tracing::warn!(
                    sources = SOURCES_CAP,
                    "guess throttle full: sources it does not know are refused until a window ends"
                );
                Err(refused(first_end))
            }
        }
    }

    /// Counts an unknown `secret` from `source`; the first of a window and the one that
    /// throttles the source are written to the audit log. `path` says where it was presented.
    pub fn guess_failed(
        &self,
        secret: Secret,
        source: IpAddr,
        path: &str,
        now: UnixTime,
    ) -> Result<()> {
        let failures = {
            let mut windows = lock(&self.guesses.windows);
            if windows.len() >= SOURCES_CAP && !windows.contains_key(&(secret, source)) {
                // Full of live windows: the source is refused by `guess_allowed` anyway.
                return Ok(());
            }
            let window = windows.entry((secret, source)).or_insert(Window {
                started: now,
                failures: 0,
            });
            if window.ends() <= now {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
            window.failures
        };
        tracing::info!(%source, path, "unknown {secret} presented");
        let actor = Actor::Address(source);
        let target = secret.to_string();
        let record = if failures == 1 {
            audit(
                actor,
                "auth.unknown_secret",
                target,
                format!("first unknown {secret} from {source} in {GUESS_WINDOW} s, at {path}"),
                now,
            )
        } else if failures == secret.allowed() {
            audit(
                actor,
                "auth.throttled",
                target,
                format!(
                    "{failures} unknown {secret}s from {source} within {GUESS_WINDOW} s, the \
                     last at {path}: refused until unix time {}",
                    now.plus(GUESS_WINDOW).0
                ),
                now,
            )
        } else {
            return Ok(());
        };
        self.store.record_audit(&record)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::service::tests::fresh_issuer;

    const T: UnixTime = UnixTime(1_800_000_000);

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    #[test]
    fn a_source_is_refused_after_its_allowance_until_the_window_ends() {
        let (_dir, issuer) = fresh_issuer();
        let secret = Secret::AdminToken;
        for n in 0..secret.allowed() {
            issuer
                .guess_allowed(secret, ip(1), T)
                .expect("still allowed");
            issuer
                .guess_failed(secret, ip(1), "/v1/admin/sites", T.plus(i64::from(n)))
                .expect("counted");
        }
        let refused = issuer.guess_allowed(secret, ip(1), T.plus(30));
        assert!(
            matches!(refused, Err(IssuerError::TooManyFailures { retry_after, .. }) if retry_after == GUESS_WINDOW - 30),
            "{refused:?}"
        );
        issuer
            .guess_allowed(secret, ip(2), T.plus(30))
            .expect("another source is not throttled");
        issuer
            .guess_allowed(Secret::PlatformKey, ip(1), T.plus(30))
            .expect("another kind of secret is not throttled");
        issuer
            .guess_allowed(secret, ip(1), T.plus(GUESS_WINDOW))
            .expect("a new window");
        let log = crate::paging::every(|p| issuer.audit_log(T, p)).expect("audit log");
        let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["auth.unknown_secret", "auth.throttled"]);
        assert_eq!(log[1].actor, "address:10.0.0.1");
        assert!(
            log[1].detail.contains("10 unknown admin tokens"),
            "{}",
            log[1].detail
        );
    }
}
