//! The JSON bodies of the issuer's HTTP API, shared so that issuer and gate cannot drift.
//!
//! The signed lists travel as COSE bytes (docs/FORMAT.md); everything else is JSON with these
//! shapes. Fields are never renamed or removed within `/v1/`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{CodeId, RiderId, SiteId};
use crate::reason::{ReasonCode, UnknownReasonCode};
use crate::text::{escape_unprintable, first_unprintable};
use crate::time::UnixTime;

/// Most entries one upload may carry.
pub const MAX_UPLOAD_ENTRIES: usize = 1000;

/// The earliest time an entry may carry, 2025-01-01T00:00:00Z: no gate logged anything
/// before the service existed, so an earlier time is a gate clock that was never set.
pub const EARLIEST_ENTRY_TIME: UnixTime = UnixTime(1_735_689_600);

/// How far ahead of the issuer's clock an entry's times may be, in seconds: a gate's clock
/// may run ahead, but not by more than a day.
pub const MAX_ENTRY_AHEAD: i64 = 86_400;

/// Fewest characters a guard's override reason has, after trimming.
pub const OVERRIDE_REASON_MIN_CHARS: usize = 2;

/// Most characters a guard's override reason has, after trimming.
pub const OVERRIDE_REASON_MAX_CHARS: usize = 200;

/// Why an entry cannot be accepted: the rules the gate applies when it writes an entry, and
/// the issuer when it receives one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// A time lies outside the window an entry may carry.
    #[error("{field} {value} is out of range: expected {earliest} to {latest}")]
    TimeOutOfRange {
        /// Which time, such as `recorded_at`.
        field: &'static str,
        /// The time given.
        value: i64,
        /// The earliest time accepted.
        earliest: i64,
        /// The latest time accepted.
        latest: i64,
    },
    /// A guard's override reason is too short, too long or not printable.
    #[error(
        "override reason \"{reason}\" has {chars} characters{unprintable}: expected \
         {OVERRIDE_REASON_MIN_CHARS} to {OVERRIDE_REASON_MAX_CHARS} printable characters"
    )]
    OverrideReason {
        /// The start of the reason given, with unprintable characters escaped.
        reason: String,
        /// Its length in characters, after trimming.
        chars: usize,
        /// Names the first unprintable character, when there is one.
        unprintable: String,
    },
    /// The reason of a scan is not a rejection code.
    #[error("reason {0}")]
    UnknownReason(#[from] UnknownReasonCode),
    /// A field of a manual registration is badly formed.
    #[error("manual entry: {0}")]
    Manual(ManualProblem),
    /// The code id is not one the format defines.
    #[error("code id \"{0}\" is not 16 hexadecimal digits")]
    CodeId(String),
}

/// Shortens `text` for an error message and escapes what a terminal would act on.
fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let head: String = text.chars().take(MAX).collect();
    let mut out = escape_unprintable(&head).into_owned();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Checks a guard's reason for letting in a denied rider and returns it trimmed: 2 to 200
/// printable characters (no control or format characters).
pub fn check_override_reason(reason: &str) -> Result<&str, EntryError> {
    let trimmed = reason.trim();
    let chars = trimmed.chars().count();
    let bad = first_unprintable(trimmed);
    if (OVERRIDE_REASON_MIN_CHARS..=OVERRIDE_REASON_MAX_CHARS).contains(&chars) && bad.is_none() {
        return Ok(trimmed);
    }
    Err(EntryError::OverrideReason {
        reason: excerpt(trimmed),
        chars,
        unprintable: bad.map_or_else(String::new, |c| {
            format!(" and unprintable U+{:04X}", u32::from(c))
        }),
    })
}

/// Checks that `value` of `field` lies in the window entries may carry as of `now`.
fn check_entry_time(field: &'static str, value: UnixTime, now: UnixTime) -> Result<(), EntryError> {
    let latest = now.plus(MAX_ENTRY_AHEAD);
    if value < EARLIEST_ENTRY_TIME || value > latest {
        return Err(EntryError::TimeOutOfRange {
            field,
            value: value.0,
            earliest: EARLIEST_ENTRY_TIME.0,
            latest: latest.0,
        });
    }
    Ok(())
}

/// `POST /v1/gates/enroll`: a new gate trades its one-time token for an identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time enrollment token from `xiaoge-issuer gate add`.
    pub token: String,
    /// The gate's own Ed25519 public key, 64 hex digits; it signs every later request.
    pub public_key: String,
}

/// The answer to an enrollment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The gate's id, sent in every signed request.
    pub gate_id: u64,
    /// The gate's name.
    pub gate_name: String,
    /// The site the gate guards.
    pub site_id: SiteId,
    /// The site's name.
    pub site_name: String,
    /// The issuer name codes carry in `iss`.
    pub issuer: String,
    /// The root public key, 64 hex digits, which the gate pins.
    pub root_public_key: String,
}

/// `GET /v1/time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeResponse {
    /// The issuer's clock.
    pub now: UnixTime,
}

/// How an entry came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryMethod {
    /// A code scanned or typed in and verified.
    Scan,
    /// A rider without a code, registered by hand by the guard.
    Manual,
    /// A guard letting in a rider the gate denied, with a reason.
    Override,
}

impl EntryMethod {
    /// The snake_case name used in JSON and in the databases.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryMethod::Scan => "scan",
            EntryMethod::Manual => "manual",
            EntryMethod::Override => "override",
        }
    }

    /// Reads the snake_case name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [
            EntryMethod::Scan,
            EntryMethod::Manual,
            EntryMethod::Override,
        ]
        .into_iter()
        .find(|m| m.as_str() == text)
    }
}

/// The gate's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The rider may enter.
    Allow,
    /// The rider may not enter.
    Deny,
}

impl Decision {
    /// The snake_case name used in JSON and in the databases.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }

    /// Reads the snake_case name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Decision::Allow, Decision::Deny]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// One attempt to enter, as a gate logs it and uploads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unique id made by the gate (UUIDv7): uploads are idempotent by it.
    pub id: Uuid,
    /// The gate that logged it.
    pub gate_id: u64,
    /// The gate's site.
    pub site_id: SiteId,
    /// The gate's clock when it logged the entry.
    pub recorded_at: UnixTime,
    /// How the entry came about.
    pub method: EntryMethod,
    /// Allow or deny.
    pub decision: Decision,
    /// The rejection code for a denied scan, or the guard's reason for an override.
    pub reason: Option<String>,
    /// The rider, when known from a verified code.
    pub rider: Option<RiderId>,
    /// The code's id, when the code could be read.
    pub code_id: Option<String>,
    /// The gate's trusted clock when it logged the entry (its last signed issuer time plus
    /// the time elapsed since), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_at: Option<UnixTime>,
    /// What the guard wrote for a rider registered by hand (method `manual`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualEntry>,
    /// The denied entry a guard override lets in (method `override`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Uuid>,
}

/// A rider without a code, registered by hand: the paper book, digitised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualEntry {
    /// The name the rider gives, as the guard writes it.
    pub name: String,
    /// The last four digits of the rider's phone number.
    pub phone_last4: String,
    /// The rider's platform.
    pub platform: String,
    /// The building the rider is going to.
    pub building: String,
}

impl ManualEntry {
    /// Checks the fields: short printable texts, exactly four digits for the phone; the name
    /// may be left out (a guard without a keyboard for it still records who came).
    pub fn check(&self) -> Result<(), ManualProblem> {
        let printable =
            |t: &str, max: usize| t.chars().count() <= max && first_unprintable(t).is_none();
        let short = |t: &str, max: usize| !t.trim().is_empty() && printable(t, max);
        if !printable(&self.name, 20) {
            return Err(ManualProblem::Name);
        }
        if self.phone_last4.len() != 4 || !self.phone_last4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ManualProblem::PhoneLast4);
        }
        if !short(&self.platform, 20) {
            return Err(ManualProblem::Platform);
        }
        if !short(&self.building, 30) {
            return Err(ManualProblem::Building);
        }
        Ok(())
    }
}

/// The field of a manual registration that is badly formed: a kiosk names it in the guard's
/// language, an issuer in its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManualProblem {
    /// The name is longer than 20 characters or holds an unprintable one.
    #[error("name must be at most 20 printable characters")]
    Name,
    /// The phone digits are not exactly four.
    #[error("phone_last4 must be exactly four digits")]
    PhoneLast4,
    /// The platform is missing or too long.
    #[error("platform must be 1 to 20 printable characters")]
    Platform,
    /// The building is missing or too long.
    #[error("building must be 1 to 30 printable characters")]
    Building,
}

impl Entry {
    /// Checks the entry against the rules every gate writes by, as of the issuer's `now`:
    /// times from 2025 to a day ahead, a reason that is a rejection code (or, for an
    /// override, the guard's printable text), well-formed manual fields and code id.
    pub fn check(&self, now: UnixTime) -> Result<(), EntryError> {
        check_entry_time("recorded_at", self.recorded_at, now)?;
        if let Some(t) = self.trusted_at {
            check_entry_time("trusted_at", t, now)?;
        }
        self.reason()?;
        if let Some(manual) = &self.manual {
            manual.check().map_err(EntryError::Manual)?;
        }
        if let Some(code) = &self.code_id
            && code.parse::<CodeId>().is_err()
        {
            return Err(EntryError::CodeId(excerpt(code)));
        }
        Ok(())
    }

    /// What the entry's `reason` holds, read by its method: the guard's words for an
    /// override, a rejection code otherwise. One wire field carries both (kept within
    /// `/v1/`); this is where the two part.
    pub fn reason(&self) -> Result<Option<EntryReason<'_>>, EntryError> {
        let Some(reason) = self.reason.as_deref() else {
            return Ok(None);
        };
        Ok(Some(match self.method {
            EntryMethod::Override => EntryReason::Guard(check_override_reason(reason)?),
            EntryMethod::Scan | EntryMethod::Manual => EntryReason::Refused(
                reason
                    .parse()
                    .map_err(|_| UnknownReasonCode(excerpt(reason)))?,
            ),
        }))
    }

    /// The code id as the format defines it, when present and well formed.
    #[must_use]
    pub fn parsed_code_id(&self) -> Option<CodeId> {
        self.code_id.as_deref().and_then(|c| c.parse().ok())
    }
}

/// An entry as both databases keep it, one column per field: times as integers, ids, the
/// method, the decision and the manual registration as text. The gate's and the issuer's
/// stores read their rows into this and turn it into an [`Entry`] the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryColumns {
    /// `id`: the UUID as text.
    pub id: String,
    /// `recorded_at`.
    pub recorded_at: i64,
    /// `method`: [`EntryMethod::as_str`].
    pub method: String,
    /// `decision`: [`Decision::as_str`].
    pub decision: String,
    /// `reason`.
    pub reason: Option<String>,
    /// `rider_id`.
    pub rider: Option<String>,
    /// `code_id`.
    pub code_id: Option<String>,
    /// `trusted_at`.
    pub trusted_at: Option<i64>,
    /// `manual`: the JSON of the [`ManualEntry`].
    pub manual: Option<String>,
    /// `overrides`: the UUID as text.
    pub overrides: Option<String>,
}

/// A stored entry whose column does not read back: the database was changed by hand or is
/// damaged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored entry {id}: bad {column}")]
pub struct CorruptEntry {
    /// The entry's id as stored.
    pub id: String,
    /// The column that does not read.
    pub column: &'static str,
}

impl EntryColumns {
    /// The entry these columns hold, logged by `gate_id` at `site_id`.
    pub fn into_entry(self, gate_id: u64, site_id: SiteId) -> Result<Entry, CorruptEntry> {
        let id = self.id;
        let corrupt = |column| CorruptEntry {
            id: id.clone(),
            column,
        };
        Ok(Entry {
            id: id.parse().map_err(|_| corrupt("id"))?,
            gate_id,
            site_id,
            recorded_at: UnixTime(self.recorded_at),
            method: EntryMethod::parse(&self.method).ok_or_else(|| corrupt("method"))?,
            decision: Decision::parse(&self.decision).ok_or_else(|| corrupt("decision"))?,
            reason: self.reason,
            rider: self
                .rider
                .map(RiderId::try_from)
                .transpose()
                .map_err(|_| corrupt("rider"))?,
            code_id: self.code_id,
            trusted_at: self.trusted_at.map(UnixTime),
            manual: self
                .manual
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(|_| corrupt("manual"))?,
            overrides: self
                .overrides
                .map(|o| o.parse())
                .transpose()
                .map_err(|_| corrupt("overrides"))?,
        })
    }
}

/// The reason an entry carries, by what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryReason<'a> {
    /// The gate refused the code for this reason.
    Refused(ReasonCode),
    /// The guard's own words for letting a denied rider in.
    Guard(&'a str),
}

/// `POST /v1/gate/entries`: a batch of entries from one gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The entries, at most [`MAX_UPLOAD_ENTRIES`].
    pub entries: Vec<Entry>,
}

/// What became of one uploaded entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadOutcome {
    /// Stored now.
    Stored,
    /// Already stored by an earlier upload: nothing changed.
    Duplicate,
    /// Not stored because it breaks the entry rules (the result's `error` says which); the
    /// gate keeps it and does not send it again, so one bad entry never blocks the rest.
    Rejected,
}

/// The answer to an upload, one result per entry in the request's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// Per-entry outcomes.
    pub results: Vec<UploadResult>,
}

/// The outcome for one entry id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    /// The entry id.
    pub id: Uuid,
    /// What happened to it.
    pub outcome: UploadOutcome,
    /// Why it was rejected (code `invalid_entry`), for outcome `rejected` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// A stable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable snake_case code, such as `bad_signature` or `unknown_token`.
    pub code: String,
    /// What went wrong, naming the offending value and what was expected.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime(1_767_225_600);

    fn entry() -> Entry {
        Entry {
            id: Uuid::nil(),
            gate_id: 1,
            site_id: SiteId(1),
            recorded_at: NOW,
            method: EntryMethod::Scan,
            decision: Decision::Deny,
            reason: Some("expired".into()),
            rider: None,
            code_id: Some("00112233445566ff".into()),
            trusted_at: Some(NOW),
            manual: None,
            overrides: None,
        }
    }

    #[test]
    fn a_gates_ordinary_entry_passes() {
        assert_eq!(entry().check(NOW), Ok(()));
        let ahead = Entry {
            recorded_at: NOW.plus(MAX_ENTRY_AHEAD),
            ..entry()
        };
        assert_eq!(ahead.check(NOW), Ok(()));
    }

    #[test]
    fn times_outside_the_window_are_refused() {
        for t in [
            i64::MAX,
            i64::MIN,
            -1,
            0,
            EARLIEST_ENTRY_TIME.0 - 1,
            NOW.0 + 86_401,
        ] {
            let e = Entry {
                recorded_at: UnixTime(t),
                ..entry()
            };
            let err = e.check(NOW).unwrap_err();
            assert!(err.to_string().contains(&t.to_string()), "{err}");
            let e = Entry {
                trusted_at: Some(UnixTime(t)),
                ..entry()
            };
            assert!(matches!(
                e.check(NOW),
                Err(EntryError::TimeOutOfRange {
                    field: "trusted_at",
                    ..
                })
            ));
        }
    }

    #[test]
    fn reasons_are_rejection_codes_or_a_guards_printable_text() {
        let scan = |r: &str| Entry {
            reason: Some(r.into()),
            ..entry()
        };
        assert!(matches!(
            scan("x".repeat(100_000).as_str()).check(NOW),
            Err(EntryError::UnknownReason(_))
        ));
        assert!(scan("看错了").check(NOW).is_err());
        let over = |r: &str| Entry {
            method: EntryMethod::Override,
            decision: Decision::Allow,
            reason: Some(r.into()),
            overrides: Some(Uuid::nil()),
            ..entry()
        };
        assert_eq!(over("认识他，手机没电了").check(NOW), Ok(()));
        for bad in [
            "x",
            "\u{1b}[2J wipe",
            "a\u{0}b",
            "ok \u{202e}txet",
            "长".repeat(201).as_str(),
        ] {
            assert!(
                matches!(over(bad).check(NOW), Err(EntryError::OverrideReason { .. })),
                "{bad:?}"
            );
        }
        let msg = check_override_reason("a\u{1b}[31m")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("\\u{1b}") && msg.contains("U+001B"), "{msg}");
    }

    #[test]
    fn manual_fields_and_code_ids_are_checked() {
        let manual = Entry {
            method: EntryMethod::Manual,
            decision: Decision::Allow,
            reason: None,
            code_id: None,
            manual: Some(ManualEntry {
                name: "王\u{200b}五".into(),
                phone_last4: "1234".into(),
                platform: "美团".into(),
                building: "3栋".into(),
            }),
            ..entry()
        };
        assert!(matches!(manual.check(NOW), Err(EntryError::Manual(_))));
        let code = Entry {
            code_id: Some("\u{0}nope".into()),
            ..entry()
        };
        assert!(matches!(code.check(NOW), Err(EntryError::CodeId(_))));
    }
}
