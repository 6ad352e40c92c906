//! The stable codes of every reason a gate refuses a rider code, and their plain words.
//!
//! A code is what logs, JSON and the issuer's statistics carry; the words are what the
//! guard, the rider and the regulator read. Codes are never renamed within `/v1/`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a code was refused, in check order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Not a pass code, or a damaged one.
    Malformed,
    /// A pass code of a version this gate does not read.
    UnsupportedVersion,
    /// Signed by a key the trust list does not hold.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The gate's clock cannot be trusted.
    ClockUntrusted,
    /// The signing key was not valid when the code was made.
    KeyNotValidAtTime,
    /// The code has expired.
    Expired,
    /// The code is not yet valid.
    NotYetValid,
    /// The gate's lists are too old to decide on (or it holds none).
    ListsTooStale,
    /// The rider is revoked.
    Revoked,
    /// The rider is suspended.
    Suspended,
    /// The rider lies past the end of the gate's status list.
    StatusUnknown,
    /// The site's ban list does not verify.
    BansUnverifiable,
    /// The site has banned the rider.
    BannedAtSite,
    /// The code is bound to another site.
    WrongSite,
    /// The code was already used at this gate.
    Replayed,
}

/// A text that names no [`ReasonCode`]: a typo, or a code from a newer gate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a rejection code: expected one of {list}", list = ReasonCode::list())]
pub struct UnknownReasonCode(pub String);

impl ReasonCode {
    /// Every code, in check order.
    pub const ALL: [ReasonCode; 16] = [
        ReasonCode::Malformed,
        ReasonCode::UnsupportedVersion,
        ReasonCode::UnknownKey,
        ReasonCode::BadSignature,
        ReasonCode::ClockUntrusted,
        ReasonCode::KeyNotValidAtTime,
        ReasonCode::Expired,
        ReasonCode::NotYetValid,
        ReasonCode::ListsTooStale,
        ReasonCode::Revoked,
        ReasonCode::Suspended,
        ReasonCode::StatusUnknown,
        ReasonCode::BansUnverifiable,
        ReasonCode::BannedAtSite,
        ReasonCode::WrongSite,
        ReasonCode::Replayed,
    ];

    /// The snake_case code for logs and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Malformed => "malformed",
            ReasonCode::UnsupportedVersion => "unsupported_version",
            ReasonCode::UnknownKey => "unknown_key",
            ReasonCode::BadSignature => "bad_signature",
            ReasonCode::ClockUntrusted => "clock_untrusted",
            ReasonCode::KeyNotValidAtTime => "key_not_valid_at_time",
            ReasonCode::Expired => "expired",
            ReasonCode::NotYetValid => "not_yet_valid",
            ReasonCode::ListsTooStale => "lists_too_stale",
            ReasonCode::Revoked => "revoked",
            ReasonCode::Suspended => "suspended",
            ReasonCode::StatusUnknown => "status_unknown",
            ReasonCode::BansUnverifiable => "bans_unverifiable",
            ReasonCode::BannedAtSite => "banned_at_site",
            ReasonCode::WrongSite => "wrong_site",
            ReasonCode::Replayed => "replayed",
        }
    }

    /// The reason in plain words for the guard, the rider and the regulator: (中文, English).
    #[must_use]
    pub const fn words(self) -> (&'static str, &'static str) {
        match self {
            ReasonCode::Malformed => ("无法识别的二维码", "not a valid pass code"),
            ReasonCode::UnsupportedVersion => (
                "通行码版本过新，请升级设备",
                "code version not supported; update this gate",
            ),
            ReasonCode::UnknownKey => ("签名无效（未知密钥）", "invalid signature (unknown key)"),
            ReasonCode::BadSignature => ("签名无效", "invalid signature"),
            ReasonCode::ClockUntrusted => {
                ("时钟异常，请人工核验", "gate clock is wrong; check by hand")
            }
            ReasonCode::KeyNotValidAtTime => {
                ("签名密钥已失效", "signing key not valid at that time")
            }
            ReasonCode::Expired => ("已过期", "expired"),
            ReasonCode::NotYetValid => ("尚未生效", "not yet valid"),
            ReasonCode::ListsTooStale => ("名单过期请人工核验", "lists too old; check by hand"),
            ReasonCode::Revoked => ("已吊销", "revoked"),
            ReasonCode::Suspended => ("已暂停", "suspended"),
            ReasonCode::StatusUnknown => (
                "名单未收录此骑手，请人工核验",
                "rider not in this gate's list; check by hand",
            ),
            ReasonCode::BansUnverifiable => (
                "禁入名单无法核验，请人工核验",
                "ban list cannot be verified; check by hand",
            ),
            ReasonCode::BannedAtSite => ("已被本小区禁止", "banned at this site"),
            ReasonCode::WrongSite => ("非本小区通行码", "code is for another site"),
            ReasonCode::Replayed => ("二维码已使用", "code already used"),
        }
    }

    /// The words of a stored code; a code this build does not know (from a newer gate)
    /// reads "unknown reason" rather than failing the page that shows it.
    #[must_use]
    pub fn words_of(code: &str) -> (&'static str, &'static str) {
        code.parse()
            .map_or(("未知原因", "unknown reason"), ReasonCode::words)
    }

    /// Every code, comma-separated, for error messages.
    fn list() -> String {
        ReasonCode::ALL.map(ReasonCode::as_str).join(", ")
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReasonCode {
    type Err = UnknownReasonCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReasonCode::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| UnknownReasonCode(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_serializes_as_itself() {
        for code in ReasonCode::ALL {
            assert_eq!(code.as_str().parse::<ReasonCode>(), Ok(code));
            assert_eq!(
                serde_json::to_string(&code).ok(),
                Some(format!("\"{}\"", code.as_str()))
            );
            assert_ne!(code.words().0, "未知原因");
        }
    }

    #[test]
    fn an_unknown_code_is_named_with_the_expected_ones() {
        let e = "revokd".parse::<ReasonCode>().unwrap_err();
        let message = e.to_string();
        assert!(message.contains("\"revokd\""), "{message}");
        assert!(message.contains("revoked, suspended"), "{message}");
        assert_eq!(
            ReasonCode::words_of("revokd"),
            ("未知原因", "unknown reason")
        );
    }
}
