//! The kiosk as a state machine: what is on screen, and what the guard's taps and the
//! scanner's verdicts change. No drawing, no I/O, no clock: `handle` takes an input and the
//! time and returns the effects the app must carry out (play a sound, write an entry, sync).
//! Tests drive it directly; the egui view only draws it.

use std::time::{Duration, Instant};

use uuid::Uuid;
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{Decision, Entry, EntryMethod, ManualEntry};

use crate::gate::{GateStatus, Verdict};
use crate::i18n::Lang;
use crate::scanner::ScanEvent;
use crate::settings::{PIN_LEN, PinHash, pin_hash};
use crate::sync::SyncFailure;

/// How long a verdict stays on screen unless tapped away.
pub const VERDICT_HOLD: Duration = Duration::from_secs(4);
/// How long a notice ("registered", "sync failed") stays on screen.
pub const NOTICE_HOLD: Duration = Duration::from_secs(4);
/// How long the settings stay unlocked without a tap.
pub const SETTINGS_IDLE: Duration = Duration::from_secs(60);

/// What the kiosk shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// The live view, waiting for a code.
    Scanning,
    /// A verdict, full screen.
    Verdict(VerdictCard),
    /// Registering a rider without a code.
    Manual(ManualForm),
    /// Letting in a denied rider with a reason.
    Override(OverrideForm),
    /// Today's log.
    Log,
    /// The PIN pad before the settings.
    Pin(PinPad),
    /// The settings.
    Settings,
}

/// A verdict on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct VerdictCard {
    /// The verdict.
    pub verdict: Verdict,
    /// When it appeared.
    pub shown_at: Instant,
}

/// The fields of a manual registration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManualForm {
    /// Name.
    pub name: String,
    /// Last four phone digits.
    pub phone_last4: String,
    /// Platform.
    pub platform: String,
    /// Building.
    pub building: String,
    /// What was wrong with the last submission.
    pub error: Option<String>,
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
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideForm {
    /// The denied verdict being overridden.
    pub denied: Verdict,
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
}

impl LogRow {
    fn shown(&self, filter: LogFilter) -> bool {
        match filter {
            LogFilter::All => true,
            LogFilter::Allowed => self.entry.decision == Decision::Allow,
            LogFilter::Denied => self.entry.decision == Decision::Deny,
        }
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
    /// Failing; the scanner thread keeps reopening it.
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

/// The sounds the kiosk makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// "滴": allowed.
    Allow,
    /// Two low buzzes: denied.
    Deny,
}

/// Something the guard, the scanner, the sync or the app's timers did.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The scanner read a frame.
    Scanned(ScanEvent),
    /// The camera changed state.
    Camera(CameraState),
    /// Fresh status for the strip.
    Status(Box<GateStatus>),
    /// A sync ended, and how it failed if it did.
    SyncEnded(Result<(), SyncFailure>),
    /// Today's log, as asked for.
    LogLoaded(Vec<LogRow>),
    /// An entry the app wrote for a form (manual or override).
    Written(Box<Entry>),
    /// Writing an entry failed.
    WriteFailed(String),
    /// The cameras the system offers.
    Cameras(Vec<CameraChoice>),
    /// A tap on the verdict screen (dismiss).
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
    /// Sync now.
    SyncNow,
    /// Use another camera.
    ChooseCamera(Option<u32>),
    /// Quit the app (settings only, after the PIN).
    Quit,
    /// Time passed.
    Tick,
}

/// What the app must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Play a sound.
    Sound(Tone),
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
    /// Start a sync now.
    SyncNow,
    /// Switch the frame source.
    UseCamera(Option<u32>),
    /// List the cameras.
    ListCameras,
    /// Remember the language.
    SaveLang(Lang),
    /// Close the app.
    Quit,
}

/// The kiosk's state.
#[derive(Clone, Debug)]
pub struct Kiosk {
    /// The language on screen.
    pub lang: Lang,
    /// What is on screen.
    pub screen: Screen,
    /// The gate's status for the strip, once known.
    pub status: Option<Box<GateStatus>>,
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
    /// The cameras to choose from.
    pub cameras: Vec<CameraChoice>,
    /// The camera in use (`None`: synthetic frames).
    pub camera_in_use: Option<u32>,
    /// Whether synthetic frames are on offer (the demo): a real gate offers only cameras.
    pub offers_demo_frames: bool,
    pin_hash: PinHash,
    settings_touched: Option<Instant>,
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
            status: None,
            online: None,
            revoked: false,
            camera: CameraState::Starting,
            notice: None,
            log: Vec::new(),
            filter: LogFilter::All,
            cameras: Vec::new(),
            camera_in_use,
            offers_demo_frames: camera_in_use.is_none(),
            pin_hash,
            settings_touched: None,
        }
    }

    /// The log rows the filter lets through, newest first.
    pub fn visible_log(&self) -> impl Iterator<Item = &LogRow> {
        self.log.iter().rev().filter(|r| r.shown(self.filter))
    }

    /// Applies an input at `now`; returns what the app must do.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if matches!(self.screen, Screen::Settings | Screen::Pin(_)) && !matches!(input, Input::Tick)
        {
            self.settings_touched = Some(now);
        }
        match input {
            Input::Scanned(ScanEvent::Verdict(verdict)) => {
                // A verdict always comes to the front, except over a form the guard is
                // filling in or the settings: those are not torn away under the guard's hand.
                if matches!(
                    self.screen,
                    Screen::Scanning | Screen::Verdict(_) | Screen::Log
                ) {
                    let tone = if verdict.verdict == Decision::Allow {
                        Tone::Allow
                    } else {
                        Tone::Deny
                    };
                    effects.push(Effect::Sound(tone));
                    self.screen = Screen::Verdict(VerdictCard {
                        verdict: *verdict,
                        shown_at: now,
                    });
                }
            }
            Input::Scanned(ScanEvent::NoCode | ScanEvent::Repeat { .. }) => {
                if self.camera != CameraState::Running {
                    self.camera = CameraState::Running;
                }
            }
            Input::Camera(state) => self.camera = state,
            Input::Status(status) => self.status = Some(status),
            Input::SyncEnded(ended) => {
                let ok = ended.is_ok();
                self.online = Some(ok);
                self.revoked = ended == Err(SyncFailure::GateRevoked);
                if matches!(self.notice, Some((Notice::Syncing, _))) {
                    self.notice = Some((
                        if ok {
                            Notice::Synced
                        } else {
                            Notice::SyncFailed
                        },
                        now,
                    ));
                }
            }
            Input::LogLoaded(rows) => self.log = rows,
            Input::Written(entry) => {
                let notice = match entry.method {
                    EntryMethod::Override => Notice::OverrideLogged,
                    EntryMethod::Manual | EntryMethod::Scan => Notice::Registered,
                };
                self.notice = Some((notice, now));
                self.screen = Screen::Scanning;
            }
            Input::WriteFailed(message) => match &mut self.screen {
                Screen::Manual(form) => form.error = Some(message),
                _ => self.notice = Some((Notice::LogFailed, now)),
            },
            Input::Cameras(cameras) => self.cameras = cameras,
            Input::Dismiss => {
                if matches!(self.screen, Screen::Verdict(_)) {
                    self.screen = Screen::Scanning;
                }
            }
            Input::Back => self.screen = Screen::Scanning,
            Input::OpenManual => self.screen = Screen::Manual(ManualForm::default()),
            Input::EditManual(field, value) => {
                if let Screen::Manual(form) = &mut self.screen {
                    let slot = match field {
                        ManualField::Name => &mut form.name,
                        ManualField::PhoneLast4 => &mut form.phone_last4,
                        ManualField::Platform => &mut form.platform,
                        ManualField::Building => &mut form.building,
                    };
                    *slot = value;
                    form.error = None;
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
                        Err(problem) => form.error = Some(problem.to_owned()),
                    }
                }
            }
            Input::StartOverride => {
                if let Screen::Verdict(card) = &self.screen
                    && card.verdict.verdict == Decision::Deny
                {
                    self.screen = Screen::Override(OverrideForm {
                        denied: card.verdict.clone(),
                        reason: String::new(),
                        missing_reason: false,
                    });
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
                            denied: form.denied.entry_id,
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
            Input::OpenSettings => {
                self.screen = Screen::Pin(PinPad::default());
            }
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
                        self.screen = Screen::Settings;
                        self.settings_touched = Some(now);
                        effects.push(Effect::ListCameras);
                    } else {
                        pad.entered.clear();
                        pad.wrong = true;
                    }
                }
            }
            Input::SetLang(lang) => {
                if matches!(self.screen, Screen::Settings) && lang != self.lang {
                    self.lang = lang;
                    effects.push(Effect::SaveLang(lang));
                }
            }
            Input::SyncNow => {
                if matches!(self.screen, Screen::Settings) {
                    self.notice = Some((Notice::Syncing, now));
                    effects.push(Effect::SyncNow);
                }
            }
            Input::ChooseCamera(index) => {
                if matches!(self.screen, Screen::Settings)
                    && index != self.camera_in_use
                    && (index.is_some() || self.offers_demo_frames)
                {
                    self.camera_in_use = index;
                    self.camera = CameraState::Starting;
                    effects.push(Effect::UseCamera(index));
                }
            }
            Input::Quit => {
                if matches!(self.screen, Screen::Settings) {
                    effects.push(Effect::Quit);
                }
            }
            Input::Tick => self.tick(now),
        }
        effects
    }

    fn tick(&mut self, now: Instant) {
        if let Screen::Verdict(card) = &self.screen
            && now.saturating_duration_since(card.shown_at) >= VERDICT_HOLD
        {
            self.screen = Screen::Scanning;
        }
        if let Some((notice, at)) = self.notice
            && notice != Notice::Syncing
            && now.saturating_duration_since(at) >= NOTICE_HOLD
        {
            self.notice = None;
        }
        // Settings left open lock themselves: a guard who walks away leaves no open door.
        if matches!(self.screen, Screen::Settings | Screen::Pin(_))
            && self
                .settings_touched
                .is_some_and(|t| now.saturating_duration_since(t) >= SETTINGS_IDLE)
        {
            self.screen = Screen::Scanning;
        }
    }
}

/// Minutes from `then` to `now`, for "last sync 12 min ago".
#[must_use]
pub fn minutes_between(then: UnixTime, now: UnixTime) -> i64 {
    now.since(then).max(0) / 60
}

#[cfg(test)]
mod tests {
    use super::*;
    use xiaoge_pass::ReasonCode;

    fn verdict(decision: Decision, reason: Option<ReasonCode>) -> Input {
        Input::Scanned(ScanEvent::Verdict(Box::new(Verdict {
            verdict: decision,
            reason,
            detail: None,
            rider: None,
            code_id: None,
            code_site: None,
            entry_id: Uuid::nil(),
            stale: false,
            at: UnixTime(1_800_000_000),
            trusted_at: None,
            first_used_at: None,
        })))
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

    #[test]
    fn a_verdict_beeps_by_kind_and_goes_back_to_scanning_after_the_hold() {
        let (mut k, t0) = kiosk();
        assert_eq!(
            k.handle(verdict(Decision::Allow, None), t0),
            vec![Effect::Sound(Tone::Allow)]
        );
        k.handle(Input::Tick, t0 + VERDICT_HOLD - Duration::from_millis(1));
        assert!(matches!(k.screen, Screen::Verdict(_)));
        k.handle(Input::Tick, t0 + VERDICT_HOLD);
        assert_eq!(k.screen, Screen::Scanning);
        assert_eq!(
            k.handle(verdict(Decision::Deny, Some(ReasonCode::Expired)), t0),
            vec![Effect::Sound(Tone::Deny)]
        );
    }

    #[test]
    fn a_verdict_does_not_tear_away_a_form_being_filled_in() {
        let (mut k, t0) = kiosk();
        k.handle(Input::OpenManual, t0);
        k.handle(Input::EditManual(ManualField::Name, "张三".into()), t0);
        assert!(k.handle(verdict(Decision::Allow, None), t0).is_empty());
        assert!(matches!(&k.screen, Screen::Manual(f) if f.name == "张三"));
    }

    #[test]
    fn an_override_needs_a_reason_and_only_follows_a_denial() {
        let (mut k, t0) = kiosk();
        k.handle(verdict(Decision::Allow, None), t0);
        k.handle(Input::StartOverride, t0);
        assert!(matches!(k.screen, Screen::Verdict(_)));
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
    fn settings_need_the_pin_and_lock_themselves_when_left_alone() {
        let (mut k, t0) = kiosk();
        enter_pin(&mut k, "1243", t0);
        assert!(matches!(&k.screen, Screen::Pin(p) if p.wrong && p.entered.is_empty()));
        // Nothing a settings page does works from another screen.
        assert!(k.handle(Input::Quit, t0).is_empty());
        assert!(k.handle(Input::SetLang(Lang::En), t0).is_empty());
        enter_pin(&mut k, "1234", t0);
        assert_eq!(k.screen, Screen::Settings);
        assert_eq!(
            k.handle(Input::SetLang(Lang::En), t0),
            vec![Effect::SaveLang(Lang::En)]
        );
        k.handle(Input::Tick, t0 + SETTINGS_IDLE - Duration::from_secs(1));
        assert_eq!(k.screen, Screen::Settings);
        k.handle(Input::Tick, t0 + SETTINGS_IDLE);
        assert_eq!(k.screen, Screen::Scanning);
        assert_eq!(k.lang, Lang::En);
    }

    #[test]
    fn a_failed_write_is_shown_not_swallowed() {
        let (mut k, t0) = kiosk();
        k.handle(Input::OpenManual, t0);
        k.handle(Input::WriteFailed("disk full".into()), t0);
        assert!(matches!(&k.screen, Screen::Manual(f) if f.error.as_deref() == Some("disk full")));
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
}
