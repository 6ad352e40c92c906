//! The JSON bodies of the issuer's HTTP API, shared so that issuer and gate cannot drift.
//!
//! The signed lists travel as COSE bytes (docs/FORMAT.md); everything else is JSON with these
//! shapes. Fields are never renamed or removed within `/v1/`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{CodeId, RiderId, SiteId};
use crate::time::UnixTime;

/// Most entries one upload may carry.
pub const MAX_UPLOAD_ENTRIES: usize = 1000;

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
    /// Checks the fields: short printable texts, and exactly four digits for the phone.
    pub fn check(&self) -> Result<(), &'static str> {
        let short = |t: &str, max: usize| {
            !t.trim().is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control)
        };
        if !short(&self.name, 20) {
            return Err("name must be 1 to 20 printable characters");
        }
        if self.phone_last4.len() != 4 || !self.phone_last4.bytes().all(|b| b.is_ascii_digit()) {
            return Err("phone_last4 must be exactly four digits");
        }
        if !short(&self.platform, 20) {
            return Err("platform must be 1 to 20 printable characters");
        }
        if !short(&self.building, 30) {
            return Err("building must be 1 to 30 printable characters");
        }
        Ok(())
    }
}

impl Entry {
    /// The code id as the format defines it, when present and well formed.
    #[must_use]
    pub fn parsed_code_id(&self) -> Option<CodeId> {
        self.code_id.as_deref().and_then(|c| c.parse().ok())
    }
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
