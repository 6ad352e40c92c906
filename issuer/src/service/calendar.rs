//! Days as the province counts them: calendar days in China Standard Time (UTC+8).

use chrono::NaiveDate;
use xiaoge_pass::UnixTime;

use crate::error::{IssuerError, Result};
use crate::store::CST_OFFSET;

/// The first second of the day `YYYY-MM-DD` in China Standard Time.
pub fn day_start(text: &str) -> Result<UnixTime> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| IssuerError::Invalid(format!("day {text:?} is not YYYY-MM-DD")))?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default();
    Ok(UnixTime(midnight - CST_OFFSET))
}

/// The day number (days since 1970-01-01, China Standard Time) of `t`.
#[must_use]
pub fn day_of(t: UnixTime) -> i64 {
    (t.0 + CST_OFFSET).div_euclid(86_400)
}

/// `YYYY-MM-DD` of a day number.
#[must_use]
pub fn day_text(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map_or_else(|| day.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// `MM-DD HH:MM` of `t` in China Standard Time, as the province reads times whatever the
/// server's zone.
#[must_use]
pub fn short_time(t: UnixTime) -> String {
    chrono::DateTime::from_timestamp(t.0 + CST_OFFSET, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%m-%d %H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_china_standard_time_days() {
        // 2026-01-01T00:00:00+08:00 is 2025-12-31T16:00:00Z.
        let start = day_start("2026-01-01").unwrap();
        assert_eq!(start, UnixTime(1_767_225_600 - 8 * 3600));
        assert_eq!(day_text(day_of(start)), "2026-01-01");
        assert_eq!(day_text(day_of(start.plus(-1))), "2025-12-31");
        assert!(day_start("2026-13-01").is_err());
    }
}
