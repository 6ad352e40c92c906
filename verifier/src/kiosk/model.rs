//! The kiosk as a state machine: what is on screen, and what the guard's taps and the
//! scanner's verdicts change. No drawing, no I/O, no clock: `handle` takes an input and the
//! time and returns the effects the app must carry out (announce a verdict, write an entry,
//! sync). Tests drive it directly; the egui view only draws it.
//!
//! Two rules shape it. A verdict is never hidden: it comes to the front over whatever page is
//! open, and the page waits underneath with its content. And no page stays open forever: a
//! form, the log or the settings left untouched go back to scanning, and only the guard's own
//! taps count as touches, never what the camera or the sync does.

use std::time::{Duration, Instant};

use uuid::Uuid;
use xiaoge_pass::api::{Decision, Entry, EntryMethod, ManualEntry, ManualProblem};
use xiaoge_pass::{ReasonCode, UnixTime};

use crate::gate::{GateStatus, ManualChoices, Verdict};
use crate::i18n::Lang;
use crate::scanner::ScanEvent;
use crate::settings::{PIN_LEN, PinHash, pin_hash};
use crate::sync::SyncFailure;
use crate::verdict_kind::{VerdictKind, not_a_pass};

use super::announce::{Announcement, Prompt, Tone, Volume};

/// How long an allow stays on screen unless tapped away.
pub const ALLOW_HOLD: Duration = Duration::from_secs(4);
/// How long a denial or a call for a check stays: the guard may have to act on it.
pub const DENY_HOLD: Duration = Duration::from_secs(8);
/// How long a notice ("registered", "sync failed") stays on screen.
pub const NOTICE_HOLD: Duration = Duration::from_secs(4);
/// How long the PIN pad and the settings stay open without the guard's touch.
pub const SETTINGS_IDLE: Duration = Duration::from_secs(60);
/// How long a form or the log stays open without the guard's touch.
pub const FORM_IDLE: Duration = Duration::from_secs(90);
/// How many of the latest denials the scanning screen keeps at hand.
pub const RECENT_DENIALS: usize = 3;
/// How long a denial stays at hand there: a rider who left is not let in later.
pub const RECENT_FOR: Duration = Duration::from_secs(15 * 60);
pub use crate::settings::DEFAULT_SCREEN_INCHES;

/// The page the kiosk shows under any verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// The live view, waiting for a code.
    Scanning,
    /// Registering a rider without a code.
    Manual(ManualForm),
    /// Letting in a denied rider with a reason.
    Override(OverrideForm),
    /// Today's log.
    Log,
    /// The PIN pad before the settings.
    Pin(PinPad),
    /// The settings.
    Settings(SettingsPage),
}

/// A verdict on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct VerdictCard {
    /// The verdict.
    pub verdict: Verdict,
    /// What it means for the guard.
    pub kind: VerdictKind,
    /// When it appeared.
    pub shown_at: Instant,
}

impl VerdictCard {
    fn hold(&self) -> Duration {
        match self.kind {
            VerdictKind::Allow => ALLOW_HOLD,
            VerdictKind::Deny | VerdictKind::Attention => DENY_HOLD,
        }
    }
}

/// A denied entry the guard may let in: from a verdict, the scanning screen's recent
/// denials or a row of today's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The denied entry.
    pub entry_id: Uuid,
    /// The rider's masked name and platform, when the code told them.
    pub who: Option<String>,
    /// Why it was denied.
    pub reason: Option<ReasonCode>,
    /// When.
    pub at: UnixTime,
}

impl Denial {
    fn of(verdict: &Verdict) -> Self {
        Denial {
            entry_id: verdict.entry_id,
            who: verdict
                .rider
                .as_ref()
                .map(|r| format!("{} · {}", r.name, r.platform)),
            reason: verdict.reason,
            at: verdict.at,
        }
    }

    fn of_row(row: &LogRow) -> Self {
        Denial {
            entry_id: row.entry.id,
            who: row.who(),
            reason: row.entry.reason.as_deref().and_then(|r| r.parse().ok()),
            at: row.entry.recorded_at,
        }
    }
}

/// The fields of a manual registration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManualForm {
    /// Name (optional: the kiosk has no Chinese keyboard of its own).
    pub name: String,
    /// Last four phone digits, from the on-screen keypad.
    pub phone_last4: String,
    /// Platform, from the platforms the issuer knows.
    pub platform: String,
    /// Building, from the site's buildings.
    pub building: String,
    /// What was wrong with the last submission.
    pub problem: Option<ManualProblem>,
    /// Why writing the entry failed, as the gate said it.
    pub write_failed: Option<String>,
}

/// A field of the manual registration form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManualField {
    /// Name.
    Name,
    /// Last four phone digits.
    PhoneLast4,
    /// Platform.
    Platform,
    /// Building.
    Building,
}

/// The override form for one denied entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideForm {
    /// The denial being overridden.
    pub denial: Denial,
    /// The guard's reason.
    pub reason: String,
    /// Whether the guard tried to submit without a reason.
    pub missing_reason: bool,
}

/// The PIN pad.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinPad {
    /// Digits entered so far.
    pub entered: String,
    /// Whether the last PIN was wrong.
    pub wrong: bool,
}

/// The settings page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsPage {
    /// Whether the guard tapped quit and is asked to confirm.
    pub confirm_quit: bool,
}

/// Which entries the log shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFilter {
    /// Every entry.
    #[default]
    All,
    /// Allowed only.
    Allowed,
    /// Denied only.
    Denied,
}

/// One line of today's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    /// The entry.
    pub entry: Entry,
    /// Rider's masked name, if known.
    pub rider_name: Option<String>,
    /// Platform, if known.
    pub platform: Option<String>,
    /// When it was logged, as the gate's local clock time (`HH:MM:SS`): the app reads the
    /// time zone, so that the view draws only what it is given.
    pub local_time: String,
    /// For a denial a guard let in: the local time of the override.
    pub let_in_at: Option<String>,
    /// For an override: the local time of the denial it overrode.
    pub overrode_at: Option<String>,
}

impl LogRow {
    fn shown(&self, filter: LogFilter) -> bool {
        match filter {
            LogFilter::All => true,
            LogFilter::Allowed => self.entry.decision == Decision::Allow,
            LogFilter::Denied => self.entry.decision == Decision::Deny,
        }
    }

    /// The rider's masked name and platform, as far as known.
    #[must_use]
    pub fn who(&self) -> Option<String> {
        match (&self.rider_name, &self.platform) {
            (Some(n), Some(p)) => Some(format!("{n} · {p}")),
            (Some(n), None) => Some(n.clone()),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        }
    }

    /// Whether the guard may still let this entry in: a denial nobody overrode yet.
    #[must_use]
    pub fn can_let_in(&self) -> bool {
        self.entry.decision == Decision::Deny && self.let_in_at.is_none()
    }
}

/// How the camera is doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CameraState {
    /// Not delivering frames yet.
    #[default]
    Starting,
    /// Delivering frames.
    Running,
    /// Failing; the scanner thread keeps reopening it. The text is the system's, for the
    /// technician; the guard reads the kiosk's own words.
    Failing(String),
}

/// A short message over the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A manual registration was logged.
    Registered,
    /// An override was logged.
    OverrideLogged,
    /// A sync is running.
    Syncing,
    /// A sync finished.
    Synced,
    /// A sync failed.
    SyncFailed,
    /// Writing to the log failed: the guard must know at once.
    LogFailed,
}

/// What the settings page offers for the camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraChoice {
    /// Its index, or `None` for the synthetic demo frames.
    pub index: Option<u32>,
    /// Its name.
    pub name: String,
}

/// The guard's preferences the gate keeps: loudness, voice prompts, screen size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prefs {
    /// How loud the tones and prompts are.
    pub volume: Volume,
    /// Whether verdicts are spoken after the tone (语音播报).
    pub voice: bool,
    /// The display's diagonal in inches, from which every size in millimetres follows.
    pub screen_inches: f32,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            volume: Volume::DEFAULT,
            voice: true,
            screen_inches: DEFAULT_SCREEN_INCHES,
        }
    }
}

/// The volume steps the settings offer.
pub const VOLUME_STEPS: [u8; 5] = [0, 30, 60, 90, 100];
/// The screen sizes the settings offer, in inches.
pub const SCREEN_SIZES: [f32; 5] = [8.0, 10.1, 11.6, 13.3, 15.6];

/// Something the guard, the scanner, the sync or the app's timers did.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The scanner read a frame.
    Scanned(ScanEvent),
    /// The camera changed state.
    Camera(CameraState),
    /// Fresh status for the strip, read at the gate's wall time `at`.
    Status {
        /// The status.
        status: Box<GateStatus>,
        /// The gate's wall clock when it was read.
        at: UnixTime,
    },
    /// A sync ended, and how it failed if it did.
    SyncEnded(Result<(), SyncFailure>),
    /// Today's log, as asked for.
    LogLoaded(Vec<LogRow>),
    /// The platforms and buildings the registration form offers.
    Choices(ManualChoices),
    /// An entry the app wrote for a form (manual or override).
    Written(Box<Entry>),
    /// Writing an entry failed.
    WriteFailed(String),
    /// The cameras the system offers.
    Cameras(Vec<CameraChoice>),
    /// A tap on the verdict (dismiss).
    Dismiss,
    /// Back to scanning from any page.
    Back,
    /// Open the manual registration form.
    OpenManual,
    /// A form field changed.
    EditManual(ManualField, String),
    /// Submit the manual registration.
    SubmitManual,
    /// Start overriding the denial on screen.
    StartOverride,
    /// Start overriding a denial from the log or the recent denials.
    OverrideEntry(Uuid),
    /// The override reason changed.
    EditReason(String),
    /// Submit the override.
    SubmitOverride,
    /// Open today's log.
    OpenLog,
    /// Change the log filter.
    Filter(LogFilter),
    /// Open the settings (asks for the PIN).
    OpenSettings,
    /// A PIN digit.
    PinDigit(char),
    /// Clear the PIN.
    PinClear,
    /// Submit the PIN.
    PinSubmit,
    /// Change the language.
    SetLang(Lang),
    /// Change the volume.
    SetVolume(Volume),
    /// Turn voice prompts on or off.
    SetVoice(bool),
    /// Set the screen's diagonal in inches.
    SetScreenInches(f32),
    /// Sync now.
    SyncNow,
    /// Use another camera.
    ChooseCamera(Option<u32>),
    /// Ask to quit the app (settings only, after the PIN).
    Quit,
    /// Confirm quitting.
    ConfirmQuit,
    /// Keep the app running after all.
    CancelQuit,
    /// Time passed.
    Tick,
}

impl Input {
    /// Whether the guard made this input with a tap: only those keep a page open.
    #[must_use]
    pub fn is_touch(&self) -> bool {
        !matches!(
            self,
            Input::Scanned(_)
                | Input::Camera(_)
                | Input::Status { .. }
                | Input::SyncEnded(_)
                | Input::LogLoaded(_)
                | Input::Choices(_)
                | Input::Written(_)
                | Input::WriteFailed(_)
                | Input::Cameras(_)
                | Input::Tick
        )
    }
}

/// What the app must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Make a verdict heard.
    Announce(Announcement),
    /// Log a manual registration.
    RegisterManual(ManualEntry),
    /// Log an override of a denied entry.
    Override {
        /// The denied entry.
        denied: Uuid,
        /// The guard's reason.
        reason: String,
    },
    /// Load today's log.
    LoadLog,
    /// Load the platforms and buildings for the registration form.
    LoadChoices,
    /// Start a sync now.
    SyncNow,
    /// Switch the frame source.
    UseCamera(Option<u32>),
    /// List the cameras.
    ListCameras,
    /// Remember the language.
    SaveLang(Lang),
    /// Remember the preferences.
    SavePrefs(Prefs),
    /// Close the app.
    Quit,
}

/// The kiosk's state.
#[derive(Clone, Debug)]
pub struct Kiosk {
    /// The language on screen.
    pub lang: Lang,
    /// The page under any verdict.
    pub screen: Screen,
    /// The verdict in front of the page, while it is shown.
    pub verdict: Option<VerdictCard>,
    /// The gate's status for the strip, once known.
    pub status: Option<Box<GateStatus>>,
    /// The gate's wall clock when the status was read: "5 minutes ago" counts from it.
    pub status_at: Option<UnixTime>,
    /// Whether the last sync reached the issuer.
    pub online: Option<bool>,
    /// Whether the issuer said this gate is revoked: no sync will succeed until it is
    /// enrolled anew, so the guard is told on every screen to call the property.
    pub revoked: bool,
    /// The camera's state.
    pub camera: CameraState,
    /// A notice over the screen, and when it appeared.
    pub notice: Option<(Notice, Instant)>,
    /// Today's log as last loaded.
    pub log: Vec<LogRow>,
    /// The log's filter.
    pub filter: LogFilter,
    /// The latest denials nobody let in yet, newest first, and when each came.
    pub recent: Vec<(Denial, Instant)>,
    /// What the registration form offers to tap.
    pub choices: ManualChoices,
    /// The cameras to choose from.
    pub cameras: Vec<CameraChoice>,
    /// The camera in use (`None`: synthetic frames).
    pub camera_in_use: Option<u32>,
    /// Whether synthetic frames are on offer (the demo): a real gate offers only cameras.
    pub offers_demo_frames: bool,
    /// The guard's preferences.
    pub prefs: Prefs,
    /// The gate's offset from UTC in seconds, for local times the model writes itself.
    pub utc_offset: i32,
    pin_hash: PinHash,
    last_touch: Option<Instant>,
}

impl Kiosk {
    /// A kiosk showing the scanner, in `lang`, whose settings open with the PIN hashed as
    /// `pin_hash`, reading camera `camera_in_use` (`None`: the demo's synthetic frames, which
    /// are then on offer in the settings).
    #[must_use]
    pub fn new(lang: Lang, pin_hash: PinHash, camera_in_use: Option<u32>) -> Self {
        Self {
            lang,
            screen: Screen::Scanning,
            verdict: None,
            status: None,
            status_at: None,
            online: None,
            revoked: false,
            camera: CameraState::Starting,
            notice: None,
            log: Vec::new(),
            filter: LogFilter::All,
            recent: Vec::new(),
            choices: ManualChoices::default(),
            cameras: Vec::new(),
            camera_in_use,
            offers_demo_frames: camera_in_use.is_none(),
            prefs: Prefs::default(),
            utc_offset: 0,
            pin_hash,
            last_touch: None,
        }
    }

    /// The same kiosk with the guard's saved preferences.
    #[must_use]
    pub fn with_prefs(mut self, prefs: Prefs) -> Self {
        self.prefs = prefs;
        self
    }

    /// The same kiosk in a time zone `utc_offset` seconds east of UTC.
    #[must_use]
    pub fn with_utc_offset(mut self, utc_offset: i32) -> Self {
        self.utc_offset = utc_offset;
        self
    }

    /// The log rows the filter lets through, newest first.
    pub fn visible_log(&self) -> impl Iterator<Item = &LogRow> {
        self.log.iter().rev().filter(|r| r.shown(self.filter))
    }

    /// `at` as the gate's local `HH:MM`.
    #[must_use]
    pub fn local_hm(&self, at: UnixTime) -> String {
        chrono::DateTime::from_timestamp(at.0.saturating_add(i64::from(self.utc_offset)), 0)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    }

    /// Seconds from `at` to the gate's wall clock as of the last status, when known.
    #[must_use]
    pub fn seconds_since(&self, at: UnixTime) -> Option<i64> {
        self.status_at.map(|now| now.since(at).max(0))
    }

    /// Applies an input at `now`; returns what the app must do.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        // A tap answers the verdict in front: it goes, and the tap does what it says.
        let card = if input.is_touch() {
            self.last_touch = Some(now);
            self.verdict.take()
        } else {
            None
        };
        if input.is_touch()
            && !matches!(input, Input::Quit | Input::ConfirmQuit)
            && let Screen::Settings(page) = &mut self.screen
        {
            page.confirm_quit = false;
        }
        match input {
            Input::Scanned(ScanEvent::Verdict(verdict)) => self.show(*verdict, now, &mut effects),
            Input::Scanned(ScanEvent::NoCode | ScanEvent::Repeat { .. }) => {
                if self.camera != CameraState::Running {
                    self.camera = CameraState::Running;
                }
            }
            Input::Camera(state) => self.camera = state,
            Input::Status { status, at } => {
                self.status = Some(status);
                self.status_at = Some(at);
            }
            Input::SyncEnded(ended) => {
                let ok = ended.is_ok();
                self.online = Some(ok);
                self.revoked = ended == Err(SyncFailure::GateRevoked);
                if matches!(self.notice, Some((Notice::Syncing, _))) {
                    let notice = if ok {
                        Notice::Synced
                    } else {
                        Notice::SyncFailed
                    };
                    self.notice = Some((notice, now));
                }
            }
            Input::LogLoaded(rows) => {
                self.recent.retain(|(d, _)| {
                    !rows
                        .iter()
                        .any(|r| r.entry.id == d.entry_id && !r.can_let_in())
                });
                self.log = rows;
            }
            Input::Choices(mut choices) => {
                // The bundle allows longer names than a manual entry: offer only what the
                // entry will take, so that no tap ends in a refusal.
                let fits = |field: ManualField, value: &str| {
                    let mut probe = ManualEntry {
                        name: String::new(),
                        phone_last4: "0000".into(),
                        platform: "-".into(),
                        building: "-".into(),
                    };
                    match field {
                        ManualField::Platform => probe.platform = value.to_owned(),
                        _ => probe.building = value.to_owned(),
                    }
                    probe.check().is_ok()
                };
                choices.platforms.retain(|p| fits(ManualField::Platform, p));
                choices.buildings.retain(|b| fits(ManualField::Building, b));
                self.choices = choices;
            }
            Input::Written(entry) => {
                let notice = match entry.method {
                    EntryMethod::Override => Notice::OverrideLogged,
                    EntryMethod::Manual | EntryMethod::Scan => Notice::Registered,
                };
                if let Some(denied) = entry.overrides {
                    self.recent.retain(|(d, _)| d.entry_id != denied);
                    let at = self.local_hm(entry.recorded_at);
                    for row in self.log.iter_mut().filter(|r| r.entry.id == denied) {
                        row.let_in_at = Some(at.clone());
                    }
                }
                self.notice = Some((notice, now));
                self.screen = Screen::Scanning;
            }
            Input::WriteFailed(message) => match &mut self.screen {
                Screen::Manual(form) => form.write_failed = Some(message),
                _ => self.notice = Some((Notice::LogFailed, now)),
            },
            Input::Cameras(cameras) => self.cameras = cameras,
            Input::Dismiss => {}
            Input::Back => self.screen = Screen::Scanning,
            Input::OpenManual => {
                self.screen = Screen::Manual(ManualForm::default());
                effects.push(Effect::LoadChoices);
            }
            Input::EditManual(field, value) => {
                if let Screen::Manual(form) = &mut self.screen {
                    let slot = match field {
                        ManualField::Name => &mut form.name,
                        ManualField::PhoneLast4 => &mut form.phone_last4,
                        ManualField::Platform => &mut form.platform,
                        ManualField::Building => &mut form.building,
                    };
                    *slot = if field == ManualField::PhoneLast4 {
                        value.chars().filter(char::is_ascii_digit).take(4).collect()
                    } else {
                        value
                    };
                    form.problem = None;
                    form.write_failed = None;
                }
            }
            Input::SubmitManual => {
                if let Screen::Manual(form) = &mut self.screen {
                    let manual = ManualEntry {
                        name: form.name.trim().to_owned(),
                        phone_last4: form.phone_last4.trim().to_owned(),
                        platform: form.platform.trim().to_owned(),
                        building: form.building.trim().to_owned(),
                    };
                    match manual.check() {
                        Ok(()) => effects.push(Effect::RegisterManual(manual)),
                        Err(problem) => form.problem = Some(problem),
                    }
                }
            }
            Input::StartOverride => {
                if let Some(card) = card
                    && card.kind != VerdictKind::Allow
                {
                    self.start_override(Denial::of(&card.verdict));
                }
            }
            Input::OverrideEntry(id) => {
                let denial = self
                    .recent
                    .iter()
                    .find(|(d, _)| d.entry_id == id)
                    .map(|(d, _)| d.clone())
                    .or_else(|| {
                        self.log
                            .iter()
                            .find(|r| r.entry.id == id && r.can_let_in())
                            .map(Denial::of_row)
                    });
                if let Some(denial) = denial {
                    self.start_override(denial);
                }
            }
            Input::EditReason(reason) => {
                if let Screen::Override(form) = &mut self.screen {
                    form.reason = reason;
                    form.missing_reason = false;
                }
            }
            Input::SubmitOverride => {
                if let Screen::Override(form) = &mut self.screen {
                    if form.reason.trim().chars().count() < 2 {
                        form.missing_reason = true;
                    } else {
                        effects.push(Effect::Override {
                            denied: form.denial.entry_id,
                            reason: form.reason.trim().to_owned(),
                        });
                    }
                }
            }
            Input::OpenLog => {
                self.screen = Screen::Log;
                effects.push(Effect::LoadLog);
            }
            Input::Filter(filter) => self.filter = filter,
            Input::OpenSettings => self.screen = Screen::Pin(PinPad::default()),
            Input::PinDigit(d) => {
                if let Screen::Pin(pad) = &mut self.screen
                    && d.is_ascii_digit()
                    && pad.entered.len() < PIN_LEN
                {
                    pad.entered.push(d);
                    pad.wrong = false;
                    if pad.entered.len() == PIN_LEN {
                        return self.handle(Input::PinSubmit, now);
                    }
                }
            }
            Input::PinClear => {
                if let Screen::Pin(pad) = &mut self.screen {
                    pad.entered.clear();
                }
            }
            Input::PinSubmit => {
                if let Screen::Pin(pad) = &mut self.screen {
                    if pin_hash(&pad.entered) == self.pin_hash {
                        self.screen = Screen::Settings(SettingsPage::default());
                        effects.push(Effect::ListCameras);
                    } else {
                        pad.entered.clear();
                        pad.wrong = true;
                    }
                }
            }
            Input::SetLang(lang) => {
                if self.in_settings() && lang != self.lang {
                    self.lang = lang;
                    effects.push(Effect::SaveLang(lang));
                }
            }
            Input::SetVolume(volume) => {
                if self.in_settings() {
                    self.prefs.volume = volume;
                    effects.push(Effect::SavePrefs(self.prefs));
                    // The guard hears the new loudness at once.
                    effects.push(Effect::Announce(Announcement {
                        tone: Tone::Allow,
                        prompt: Prompt::Allow,
                    }));
                }
            }
            Input::SetVoice(voice) => {
                if self.in_settings() {
                    self.prefs.voice = voice;
                    effects.push(Effect::SavePrefs(self.prefs));
                }
            }
            Input::SetScreenInches(inches) => {
                if self.in_settings() && crate::settings::SCREEN_INCHES.contains(&inches) {
                    self.prefs.screen_inches = inches;
                    effects.push(Effect::SavePrefs(self.prefs));
                }
            }
            Input::SyncNow => {
                if self.in_settings() {
                    self.notice = Some((Notice::Syncing, now));
                    effects.push(Effect::SyncNow);
                }
            }
            Input::ChooseCamera(index) => {
                if self.in_settings()
                    && index != self.camera_in_use
                    && (index.is_some() || self.offers_demo_frames)
                {
                    self.camera_in_use = index;
                    self.camera = CameraState::Starting;
                    effects.push(Effect::UseCamera(index));
                }
            }
            Input::Quit => {
                if let Screen::Settings(page) = &mut self.screen {
                    page.confirm_quit = true;
                }
            }
            Input::ConfirmQuit => {
                if matches!(&self.screen, Screen::Settings(page) if page.confirm_quit) {
                    effects.push(Effect::Quit);
                }
            }
            // Every tap but quit's own already took the question away, above.
            Input::CancelQuit => {}
            Input::Tick => self.tick(now),
        }
        effects
    }

    fn in_settings(&self) -> bool {
        matches!(self.screen, Screen::Settings(_))
    }

    fn start_override(&mut self, denial: Denial) {
        self.screen = Screen::Override(OverrideForm {
            denial,
            reason: String::new(),
            missing_reason: false,
        });
    }

    /// Puts a verdict in front of whatever page is open and announces it.
    fn show(&mut self, verdict: Verdict, now: Instant, effects: &mut Vec<Effect>) {
        let kind = VerdictKind::of(&verdict);
        let announcement = match kind {
            VerdictKind::Allow => Announcement {
                tone: Tone::Allow,
                prompt: Prompt::Allow,
            },
            VerdictKind::Attention => Announcement {
                tone: Tone::Attention,
                prompt: if not_a_pass(&verdict) {
                    Prompt::NotAPass
                } else {
                    Prompt::Attention
                },
            },
            VerdictKind::Deny => Announcement {
                tone: Tone::Deny,
                prompt: Prompt::Deny(verdict.reason.unwrap_or(ReasonCode::Malformed)),
            },
        };
        effects.push(Effect::Announce(announcement));
        // A denial of a known rider stays at hand after its card goes: the next rider's
        // scan must not take the guard's chance to let this one in.
        if kind != VerdictKind::Allow && verdict.rider.is_some() {
            self.recent.retain(|(d, _)| d.entry_id != verdict.entry_id);
            self.recent.insert(0, (Denial::of(&verdict), now));
            self.recent.truncate(RECENT_DENIALS);
        }
        self.verdict = Some(VerdictCard {
            verdict,
            kind,
            shown_at: now,
        });
    }

    fn tick(&mut self, now: Instant) {
        if let Some(card) = &self.verdict
            && now.saturating_duration_since(card.shown_at) >= card.hold()
        {
            self.verdict = None;
        }
        if let Some((notice, at)) = self.notice
            && notice != Notice::Syncing
            && now.saturating_duration_since(at) >= NOTICE_HOLD
        {
            self.notice = None;
        }
        self.recent
            .retain(|(_, at)| now.saturating_duration_since(*at) < RECENT_FOR);
        // A page left open goes back to scanning: a guard who walks away leaves neither an
        // open door to the settings nor a form that hides the scanner.
        let idle = match self.screen {
            Screen::Scanning => None,
            Screen::Pin(_) | Screen::Settings(_) => Some(SETTINGS_IDLE),
            Screen::Manual(_) | Screen::Override(_) | Screen::Log => Some(FORM_IDLE),
        };
        if let Some(limit) = idle
            && self
                .last_touch
                .is_none_or(|t| now.saturating_duration_since(t) >= limit)
        {
            self.screen = Screen::Scanning;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict_of(decision: Decision, reason: Option<ReasonCode>, id: u128) -> Verdict {
        Verdict {
            verdict: decision,
            reason,
            detail: None,
            rider: Some(crate::gate::RiderView {
                id: "R-1".parse().expect("rider id"),
                name: "黄**".into(),
                platform: "美团".into(),
            }),
            code_id: None,
            code_site: None,
            entry_id: Uuid::from_u128(id),
            stale: false,
            at: UnixTime(1_800_000_000),
            trusted_at: None,
            first_used_at: None,
        }
    }

    fn verdict(decision: Decision, reason: Option<ReasonCode>) -> Input {
        Input::Scanned(ScanEvent::Verdict(Box::new(verdict_of(
            decision, reason, 0,
        ))))
    }

    fn kiosk() -> (Kiosk, Instant) {
        (Kiosk::new(Lang::Zh, pin_hash("1234"), None), Instant::now())
    }

    fn enter_pin(k: &mut Kiosk, pin: &str, t0: Instant) {
        k.handle(Input::OpenSettings, t0);
        for d in pin.chars() {
            k.handle(Input::PinDigit(d), t0);
        }
    }

    fn tone(effects: &[Effect]) -> Option<Tone> {
        effects.iter().find_map(|e| match e {
            Effect::Announce(a) => Some(a.tone),
            _ => None,
        })
    }

    #[test]
    fn a_verdict_sounds_by_kind_and_goes_after_its_hold() {
        let (mut k, t0) = kiosk();
        assert_eq!(
            tone(&k.handle(verdict(Decision::Allow, None), t0)),
            Some(Tone::Allow)
        );
        k.handle(Input::Tick, t0 + ALLOW_HOLD - Duration::from_millis(1));
        assert!(k.verdict.is_some());
        k.handle(Input::Tick, t0 + ALLOW_HOLD);
        assert!(k.verdict.is_none());
        assert_eq!(
            tone(&k.handle(verdict(Decision::Deny, Some(ReasonCode::Expired)), t0)),
            Some(Tone::Deny)
        );
        assert_eq!(
            tone(&k.handle(verdict(Decision::Deny, Some(ReasonCode::ListsTooStale)), t0)),
            Some(Tone::Attention)
        );
        k.handle(Input::Tick, t0 + ALLOW_HOLD);
        assert!(k.verdict.is_some(), "a call for a check stays longer");
    }

    #[test]
    fn a_verdict_comes_in_front_of_a_form_which_keeps_its_content() {
        let (mut k, t0) = kiosk();
        k.handle(Input::OpenManual, t0);
        k.handle(Input::EditManual(ManualField::Name, "张三".into()), t0);
        assert_eq!(
            tone(&k.handle(verdict(Decision::Allow, None), t0)),
            Some(Tone::Allow)
        );
        assert!(k.verdict.is_some());
        k.handle(Input::Dismiss, t0);
        assert!(k.verdict.is_none());
        assert!(matches!(&k.screen, Screen::Manual(f) if f.name == "张三"));
    }

    #[test]
    fn an_override_needs_a_reason_and_only_follows_a_denial() {
        let (mut k, t0) = kiosk();
        k.handle(verdict(Decision::Allow, None), t0);
        k.handle(Input::StartOverride, t0);
        assert_eq!(k.screen, Screen::Scanning);
        k.handle(verdict(Decision::Deny, Some(ReasonCode::Revoked)), t0);
        k.handle(Input::StartOverride, t0);
        assert!(k.handle(Input::SubmitOverride, t0).is_empty());
        assert!(matches!(&k.screen, Screen::Override(f) if f.missing_reason));
        k.handle(Input::EditReason(" 业主确认 ".into()), t0);
        assert_eq!(
            k.handle(Input::SubmitOverride, t0),
            vec![Effect::Override {
                denied: Uuid::nil(),
                reason: "业主确认".into()
            }]
        );
    }

    #[test]
    fn recent_denials_stay_at_hand_until_let_in_or_old() {
        let (mut k, t0) = kiosk();
        for id in 1..=4 {
            let v = verdict_of(Decision::Deny, Some(ReasonCode::Suspended), id);
            k.handle(Input::Scanned(ScanEvent::Verdict(Box::new(v))), t0);
        }
        let ids: Vec<u128> = k.recent.iter().map(|(d, _)| d.entry_id.as_u128()).collect();
        assert_eq!(ids, vec![4, 3, 2]);
        k.handle(Input::OverrideEntry(Uuid::from_u128(3)), t0);
        assert!(matches!(&k.screen, Screen::Override(f) if f.denial.entry_id.as_u128() == 3));
        k.handle(Input::Tick, t0 + RECENT_FOR);
        assert!(k.recent.is_empty());
    }

    #[test]
    fn settings_need_the_pin_and_lock_when_the_guard_leaves_them() {
        let (mut k, t0) = kiosk();
        enter_pin(&mut k, "1243", t0);
        assert!(matches!(&k.screen, Screen::Pin(p) if p.wrong && p.entered.is_empty()));
        // Nothing a settings page does works from another screen.
        assert!(k.handle(Input::Quit, t0).is_empty());
        assert!(k.handle(Input::SetLang(Lang::En), t0).is_empty());
        enter_pin(&mut k, "1234", t0);
        assert!(matches!(k.screen, Screen::Settings(_)));
        assert_eq!(
            k.handle(Input::SetLang(Lang::En), t0),
            vec![Effect::SaveLang(Lang::En)]
        );
        // The camera, the sync and the status strip are no guard's touch.
        for s in 1..60 {
            let at = t0 + Duration::from_secs(s);
            k.handle(Input::Scanned(ScanEvent::NoCode), at);
            k.handle(Input::SyncEnded(Ok(())), at);
            k.handle(Input::Tick, at);
        }
        assert!(matches!(k.screen, Screen::Settings(_)));
        k.handle(Input::Tick, t0 + SETTINGS_IDLE);
        assert_eq!(k.screen, Screen::Scanning);
        assert_eq!(k.lang, Lang::En);
        // Opening them again long after is a touch: the PIN pad stays up.
        let later = t0 + Duration::from_secs(600);
        k.handle(Input::OpenSettings, later);
        k.handle(Input::Tick, later);
        assert!(matches!(k.screen, Screen::Pin(_)));
    }

    #[test]
    fn quitting_asks_and_any_other_tap_cancels() {
        let (mut k, t0) = kiosk();
        enter_pin(&mut k, "1234", t0);
        assert!(k.handle(Input::ConfirmQuit, t0).is_empty());
        assert!(k.handle(Input::Quit, t0).is_empty());
        k.handle(Input::SetVoice(false), t0);
        assert!(k.handle(Input::ConfirmQuit, t0).is_empty());
        k.handle(Input::Quit, t0);
        assert_eq!(k.handle(Input::ConfirmQuit, t0), vec![Effect::Quit]);
    }

    #[test]
    fn the_keypad_keeps_four_digits_and_problems_are_typed() {
        let (mut k, t0) = kiosk();
        k.handle(Input::OpenManual, t0);
        k.handle(
            Input::EditManual(ManualField::PhoneLast4, "12a345".into()),
            t0,
        );
        assert!(matches!(&k.screen, Screen::Manual(f) if f.phone_last4 == "1234"));
        k.handle(Input::SubmitManual, t0);
        assert!(
            matches!(&k.screen, Screen::Manual(f) if f.problem == Some(ManualProblem::Platform))
        );
    }

    #[test]
    fn a_failed_write_is_shown_not_swallowed() {
        let (mut k, t0) = kiosk();
        k.handle(Input::OpenManual, t0);
        k.handle(Input::WriteFailed("disk full".into()), t0);
        assert!(
            matches!(&k.screen, Screen::Manual(f) if f.write_failed.as_deref() == Some("disk full"))
        );
        k.handle(Input::Back, t0);
        k.handle(Input::WriteFailed("disk full".into()), t0);
        assert!(matches!(k.notice, Some((Notice::LogFailed, _))));
    }

    #[test]
    fn a_sync_notice_reports_how_the_sync_ended() {
        let (mut k, t0) = kiosk();
        enter_pin(&mut k, "1234", t0);
        assert_eq!(k.handle(Input::SyncNow, t0), vec![Effect::SyncNow]);
        k.handle(Input::SyncEnded(Err(SyncFailure::Unreachable)), t0);
        assert_eq!(k.online, Some(false));
        assert!(matches!(k.notice, Some((Notice::SyncFailed, _))));
        k.handle(Input::Tick, t0 + NOTICE_HOLD);
        assert_eq!(k.notice, None);
    }

    #[test]
    fn a_revoked_gate_says_so_until_a_sync_succeeds_again() {
        let (mut k, t0) = kiosk();
        k.handle(Input::SyncEnded(Err(SyncFailure::GateRevoked)), t0);
        assert!(k.revoked);
        k.handle(Input::SyncEnded(Err(SyncFailure::Unreachable)), t0);
        assert!(!k.revoked, "unreached, the issuer has not said so again");
        k.handle(Input::SyncEnded(Err(SyncFailure::GateRevoked)), t0);
        k.handle(Input::OpenManual, t0);
        assert!(k.revoked, "whatever screen is open");
        k.handle(Input::SyncEnded(Ok(())), t0);
        assert!(!k.revoked);
    }

    #[test]
    fn a_real_gate_does_not_offer_demo_frames() {
        let t0 = Instant::now();
        let mut k = Kiosk::new(Lang::Zh, pin_hash("1234"), Some(0));
        enter_pin(&mut k, "1234", t0);
        assert!(k.handle(Input::ChooseCamera(None), t0).is_empty());
        assert_eq!(k.camera_in_use, Some(0));
        assert_eq!(
            k.handle(Input::ChooseCamera(Some(1)), t0),
            vec![Effect::UseCamera(Some(1))]
        );
    }

    #[test]
    fn local_times_follow_the_gates_offset() {
        let k = Kiosk::new(Lang::Zh, pin_hash("1234"), None).with_utc_offset(8 * 3600);
        // 2027-01-15 02:00:00 UTC is 10:00 in Beijing.
        assert_eq!(
            k.local_hm(UnixTime(1_800_000_000 - 1_800_000_000 % 86_400 + 7_200)),
            "10:00"
        );
    }
}
