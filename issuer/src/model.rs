//! The issuer's resources as its JSON API shows them to platforms, properties, riders and the
//! regulator. (What gates exchange with the issuer lives in `xiaoge_pass::api`.)

use serde::{Deserialize, Serialize};
use xiaoge_pass::{RiderId, RiderStatus, SiteId, UnixTime};

/// The kinds of site the province counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 小区: a residential community.
    Residential,
    /// 商圈: a shopping or business district.
    Commercial,
    /// 楼宇: an office building.
    Office,
    /// 园区: an industrial or technology park.
    Campus,
}

impl SiteKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [SiteKind; 4] = [
        SiteKind::Residential,
        SiteKind::Commercial,
        SiteKind::Office,
        SiteKind::Campus,
    ];

    /// The snake_case name used in JSON and the database.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SiteKind::Residential => "residential",
            SiteKind::Commercial => "commercial",
            SiteKind::Office => "office",
            SiteKind::Campus => "campus",
        }
    }

    /// The Chinese name.
    #[must_use]
    pub const fn zh(self) -> &'static str {
        match self {
            SiteKind::Residential => "小区",
            SiteKind::Commercial => "商圈",
            SiteKind::Office => "楼宇",
            SiteKind::Campus => "园区",
        }
    }

    /// Reads the snake_case or the Chinese name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.zh() == text)
    }
}

/// A building of a site's guide. Positions are metres east (`x`) and north (`y`) of the
/// site's main gate, so a plan can be drawn without a map service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Building {
    /// Its name as riders read it on the door, such as 3幢.
    pub name: String,
    /// Metres east of the main gate.
    pub x: f64,
    /// Metres north of the main gate.
    pub y: f64,
}

/// A temporary parking spot for riders' bikes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParkingSpot {
    /// Its name, such as 东门非机动车位.
    pub name: String,
    /// Metres east of the main gate.
    pub x: f64,
    /// Metres north of the main gate.
    pub y: f64,
    /// How many bikes it holds.
    pub capacity: u32,
}

/// A site as created or replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteInput {
    /// Name, such as 翠苑一区.
    pub name: String,
    /// Kind.
    pub kind: SiteKind,
    /// Street address.
    #[serde(default)]
    pub address: String,
    /// District, such as 西湖区.
    #[serde(default)]
    pub district: String,
    /// The building guide.
    #[serde(default)]
    pub buildings: Vec<Building>,
    /// Temporary parking spots.
    #[serde(default)]
    pub parking: Vec<ParkingSpot>,
}

impl SiteInput {
    /// A site with only a name and a kind: no address, district, guide or parking yet.
    #[must_use]
    pub fn named(name: &str, kind: SiteKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            address: String::new(),
            district: String::new(),
            buildings: Vec::new(),
            parking: Vec::new(),
        }
    }
}

/// A site as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: SiteKind,
    /// Street address.
    pub address: String,
    /// District.
    pub district: String,
    /// The building guide.
    pub buildings: Vec<Building>,
    /// Temporary parking spots.
    pub parking: Vec<ParkingSpot>,
}

/// A gate as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateInfo {
    /// Its id.
    pub id: u64,
    /// Its site.
    pub site_id: SiteId,
    /// Its name.
    pub name: String,
    /// When it enrolled, if it has.
    pub enrolled_at: Option<UnixTime>,
    /// When it last uploaded entries, if ever.
    pub last_upload_at: Option<UnixTime>,
    /// Where its credential stands.
    #[serde(default)]
    pub state: GateState,
    /// When its key was last cut off (revoked, or replaced by a new token), if ever.
    #[serde(default)]
    pub revoked_at: Option<UnixTime>,
    /// When its pending enrollment token stops working, if it has one.
    #[serde(default)]
    pub token_expires_at: Option<UnixTime>,
}

/// Where a gate's credential stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    /// Its token is out and no tablet has enrolled yet.
    #[default]
    AwaitingEnrollment,
    /// A tablet holds its key; its signed requests are accepted.
    Enrolled,
    /// Its old key is cut off and a new token waits for the replacement tablet.
    AwaitingReplacement,
    /// Its key is cut off and it has no token: nothing can act as this gate.
    Revoked,
}

impl GateState {
    /// The state as the API and the CLI spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingEnrollment => "awaiting_enrollment",
            Self::Enrolled => "enrolled",
            Self::AwaitingReplacement => "awaiting_replacement",
            Self::Revoked => "revoked",
        }
    }
}

/// `POST /v1/admin/sites/{id}/gates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGate {
    /// The gate's name, such as 东门.
    pub name: String,
    /// Days the enrollment token works (default 3).
    #[serde(default)]
    pub token_days: Option<u32>,
}

/// `POST /v1/admin/gates/{gate_id}/replace`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceGate {
    /// Days the new enrollment token works (default 3).
    #[serde(default)]
    pub token_days: Option<u32>,
}

/// A gate just created or replaced, with its one-time enrollment token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCreated {
    /// The gate id.
    pub gate_id: u64,
    /// The enrollment token; shown only now.
    pub token: String,
    /// When the token stops working if unused.
    #[serde(default)]
    pub token_expires_at: Option<UnixTime>,
}

/// Who did something the audit log records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The operator, at the command line on the issuer's machine.
    Cli,
    /// The holder of the admin token with this id, through the admin API.
    AdminToken(u64),
    /// The gate with this id (enrolling with its token).
    Gate(u64),
    /// Whoever called from this address, not yet known to be anyone.
    Address(std::net::IpAddr),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cli => f.write_str("cli"),
            Self::AdminToken(id) => write!(f, "admin-token:{id}"),
            Self::Gate(id) => write!(f, "gate:{id}"),
            Self::Address(ip) => write!(f, "address:{ip}"),
        }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its number, in the order written.
    pub id: u64,
    /// When.
    pub at: UnixTime,
    /// Who: `cli`, `admin-token:ID` or `gate:ID`.
    pub actor: String,
    /// What, such as `gate.revoke`.
    pub action: String,
    /// On what, such as `gate:3`.
    pub target: String,
    /// More about it (never a secret).
    pub detail: String,
}

/// One API key of a platform, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformKeyInfo {
    /// The key's id.
    pub id: u64,
    /// The platform's id.
    pub platform: u64,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it stops working (the end of a rotation's overlap), if it was rotated out.
    pub expires_at: Option<UnixTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// `POST /v1/admin/platforms/{platform_id}/keys/rotate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatePlatformKey {
    /// Hours the platform's older keys keep working (default 24).
    #[serde(default)]
    pub overlap_hours: Option<u32>,
}

/// A platform key just made by a rotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformKeyRotated {
    /// The platform's id.
    pub platform: u64,
    /// The new key's id.
    pub key_id: u64,
    /// The new key; shown only now.
    pub api_key: String,
    /// When the platform's older keys stop working.
    pub old_keys_expire_at: UnixTime,
}

/// `POST /v1/admin/platforms/{platform_id}/keys/revoke`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokePlatformKey {
    /// Only this key; every key of the platform if absent.
    #[serde(default)]
    pub key_id: Option<u64>,
}

/// How many credentials an action cut off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    /// How many.
    pub revoked: u64,
}

/// An admin token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTokenInfo {
    /// Its id.
    pub id: u64,
    /// Who or what it is for.
    pub name: String,
    /// The site of a property's token; `None` for the regulator's.
    pub site: Option<SiteId>,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// Which kind of session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A rider's phone page (`xg_session`).
    Rider,
    /// A dashboard login (`/admin`).
    Admin,
}

/// A live session, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSession {
    /// Its id: the first 16 hex digits of its token's hash (not the token).
    pub id: String,
    /// Rider or dashboard.
    pub kind: SessionKind,
    /// The rider's pseudonym, for a rider session.
    pub rider: Option<RiderId>,
    /// The admin token it was opened with, for a dashboard session.
    pub admin_token: Option<u64>,
    /// The rider's masked name or the admin token's name.
    pub holder: String,
    /// When it was opened.
    pub created_at: UnixTime,
    /// When it ends by itself.
    pub expires_at: UnixTime,
}

/// A rider banned from a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    /// The rider's pseudonym.
    pub rider: RiderId,
    /// Why, in the property's words.
    pub reason: String,
    /// When the ban was first made (a new reason keeps this time).
    pub created_at: UnixTime,
}

/// `POST /v1/admin/sites/{id}/bans`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBan {
    /// The rider's pseudonym.
    pub rider: RiderId,
    /// Why, in the property's words.
    pub reason: String,
}

/// A property's complaint about a rider's conduct at its site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiderComplaint {
    /// The rider's pseudonym.
    pub rider: RiderId,
    /// A short category, such as `speeding` or `rude`.
    pub category: String,
    /// What happened.
    #[serde(default)]
    pub note: String,
}

/// `POST /v1/admin/platforms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlatform {
    /// Display name, as codes show it.
    pub name: String,
}

/// A platform just created, with its API key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformCreated {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its API key; shown only now.
    pub api_key: String,
}

/// A platform as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformInfo {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Riders it has registered, in any status.
    pub riders: u64,
}

/// A rider's standing, as a platform or the regulator sets it, or the worse of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    /// Compliant: may get codes.
    Active,
    /// Temporarily not allowed; may be reinstated.
    Suspended,
    /// Deactivated: left the platform or was removed.
    Revoked,
}

impl RosterStatus {
    /// The snake_case name used in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Active => "active",
            RosterStatus::Suspended => "suspended",
            RosterStatus::Revoked => "revoked",
        }
    }

    /// The status list value.
    #[must_use]
    pub const fn to_status(self) -> RiderStatus {
        match self {
            RosterStatus::Active => RiderStatus::Valid,
            RosterStatus::Suspended => RiderStatus::Suspended,
            RosterStatus::Revoked => RiderStatus::Revoked,
        }
    }

    /// From the status list value.
    #[must_use]
    pub const fn from_status(status: RiderStatus) -> Self {
        match status {
            RiderStatus::Valid => RosterStatus::Active,
            RiderStatus::Suspended => RosterStatus::Suspended,
            RiderStatus::Revoked => RosterStatus::Revoked,
        }
    }
}

/// One row of a roster upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// The rider's id on the platform; never leaves the issuer.
    pub platform_rider_id: String,
    /// Display name; always masked to its first character and **.
    pub name: String,
    /// The platform's standing for the rider; a worse one the regulator set still applies.
    pub status: RosterStatus,
}

/// `POST /v1/platform/riders`: a batch, applied all or nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterUpload {
    /// The rows, at most [`MAX_ROSTER_ROWS`].
    pub riders: Vec<RosterRow>,
}

/// Most rows one roster upload may carry.
pub const MAX_ROSTER_ROWS: usize = 10_000;

/// What became of one roster row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterResult {
    /// The platform's rider id.
    pub platform_rider_id: String,
    /// The issuer's pseudonym for the rider.
    pub rider_id: RiderId,
    /// Whether the rider is new.
    pub created: bool,
    /// The rider's standing now: the worse of `platform_status` and `regulator_status`.
    pub status: RosterStatus,
    /// The platform's standing, as this row set it.
    pub platform_status: RosterStatus,
    /// The regulator's standing, which no roster changes.
    pub regulator_status: RosterStatus,
}

/// The answer to a roster upload that was applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterApplied {
    /// One result per row, in order.
    pub results: Vec<RosterResult>,
}

/// A row that made a roster upload fail; nothing of the batch was applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Its position in the batch, from 0.
    pub index: usize,
    /// Its platform rider id.
    pub platform_rider_id: String,
    /// Stable code, such as `invalid_name` or `duplicate_in_batch`.
    pub code: String,
    /// What is wrong with it.
    pub message: String,
}

/// `PUT /v1/platform/riders/{platform_rider_id}/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The platform's new standing for the rider (the regulator's is not the platform's to
    /// change).
    pub status: RosterStatus,
}

/// A rider as their platform sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiderInfo {
    /// The issuer's pseudonym.
    pub rider_id: RiderId,
    /// The platform's rider id.
    pub platform_rider_id: String,
    /// Masked name.
    pub name: String,
    /// Platform name.
    pub platform: String,
    /// The rider's standing: the worse of `platform_status` and `regulator_status`. It is
    /// what the status list carries and decides whether the rider gets codes.
    pub status: RosterStatus,
    /// The standing the platform set.
    pub platform_status: RosterStatus,
    /// The standing the regulator set; a platform cannot change it.
    pub regulator_status: RosterStatus,
}

/// How much of the status list is used up: each rider holds one index for good, and the list
/// holds at most [`xiaoge_pass::status_list::MAX_ENTRIES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListUsage {
    /// Indexes given out (never reused).
    pub used: u64,
    /// Indexes the status list holds.
    pub capacity: u64,
}

impl StatusListUsage {
    /// Indexes still free for new riders.
    #[must_use]
    pub const fn left(self) -> u64 {
        self.capacity.saturating_sub(self.used)
    }

    /// Whether more than nine tenths of the indexes are used, when the operator should plan
    /// for a new status list before registration stops.
    #[must_use]
    pub const fn nearly_full(self) -> bool {
        self.used.saturating_mul(10) > self.capacity.saturating_mul(9)
    }
}

/// A one-time login link for a rider's phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLink {
    /// The URL the platform's app opens.
    pub url: String,
    /// The one-time token inside it.
    pub token: String,
    /// When it stops working if unused.
    pub expires_at: UnixTime,
}

/// One rider's day at the gates, as their platform may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConductDay {
    /// The platform's rider id.
    pub platform_rider_id: String,
    /// The issuer's pseudonym.
    pub rider_id: RiderId,
    /// The day (China Standard Time), `YYYY-MM-DD`.
    pub day: String,
    /// Entries logged for the rider.
    pub entries: u64,
    /// Of which denied.
    pub denials: u64,
    /// Complaints properties filed about the rider.
    pub complaints: u64,
}

/// `POST /v1/rider/session`: trades a login link's token for a session cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// The token from the login link.
    pub token: String,
}

/// The rider a session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Masked name.
    pub name: String,
    /// Platform name.
    pub platform: String,
    /// When the session ends.
    pub expires_at: UnixTime,
}

/// `GET /v1/rider/code`: a freshly signed code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeResponse {
    /// The QR text.
    pub code: String,
    /// The code's id.
    pub code_id: String,
    /// When it was signed.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// Seconds after which the page should fetch the next one.
    pub refresh_after: u32,
    /// The site it is bound to, if any.
    pub site: Option<SiteId>,
}

/// What a rider asks for help with (投诉求助).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpCategory {
    /// 被无故拒绝: the gate or the guard refused a valid code.
    Refused,
    /// 没有停车位: nowhere to leave the bike.
    NoParking,
    /// 门岗态度: the guard's conduct.
    GuardConduct,
    /// 其他: anything else.
    Other,
}

impl HelpCategory {
    /// Every category, in the order forms list them.
    pub const ALL: [HelpCategory; 4] = [
        HelpCategory::Refused,
        HelpCategory::NoParking,
        HelpCategory::GuardConduct,
        HelpCategory::Other,
    ];

    /// The snake_case name used in JSON, forms and the database.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            HelpCategory::Refused => "refused",
            HelpCategory::NoParking => "no_parking",
            HelpCategory::GuardConduct => "guard_conduct",
            HelpCategory::Other => "other",
        }
    }

    /// Reads the snake_case name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// `POST /v1/rider/help`: a rider's request for help about a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHelpRequest {
    /// The site it is about.
    pub site: SiteId,
    /// What kind of problem.
    pub category: HelpCategory,
    /// What happened, in the rider's words (up to 1,000 bytes).
    #[serde(default)]
    pub note: String,
}

/// A rider's request for help, as the property and the regulator see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRequest {
    /// Its id.
    pub id: u64,
    /// The site.
    pub site: SiteId,
    /// The site's name.
    pub site_name: String,
    /// The rider's pseudonym.
    pub rider: RiderId,
    /// The rider's masked name.
    pub rider_name: String,
    /// The rider's platform.
    pub platform: String,
    /// What kind of problem.
    pub category: HelpCategory,
    /// What happened.
    pub note: String,
    /// When it was filed.
    pub created_at: UnixTime,
    /// When it was closed, if it is.
    pub closed_at: Option<UnixTime>,
    /// How it was resolved, once closed.
    pub resolution: Option<String>,
}

/// `POST /v1/admin/help-requests/{id}/close`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseHelpRequest {
    /// What was done about it.
    pub resolution: String,
}

/// A site's entries and denials over the dashboard's window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteDenials {
    /// The site's id.
    pub site: u64,
    /// Its name.
    pub name: String,
    /// Entries logged.
    pub entries: u64,
    /// Of which denied.
    pub denials: u64,
}

/// A site missing part of what riders need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteGap {
    /// The site's id.
    pub site: u64,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Whether it has a building guide.
    pub has_guide: bool,
    /// Whether it has temporary parking.
    pub has_parking: bool,
}

/// Who holds an admin token or a dashboard session: the regulator (every site) or a
/// property (one site's dashboard only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    /// The token's name.
    pub name: String,
    /// The one site a property's token is for; `None` for the regulator's.
    pub site: Option<SiteId>,
}
