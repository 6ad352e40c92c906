//! The kiosk as an eframe app: the window, the fonts, and the threads it starts (the scanner
//! thread, the background sync), wired to the controller.
//!
//! Three threads, three database connections: "gate-scanner" reads frames and logs verdicts,
//! "gate-sync" syncs, and the UI thread draws and logs what the guard enters. None of them
//! ever waits for another: the UI learns of verdicts and syncs through channels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use eframe::egui::{self, TextureHandle, TextureOptions};

use crate::error::Result;
use crate::frames::Refill;
use crate::gate::Gate;
use crate::scanner::{ScanEvent, ScanTiming};
use crate::settings::Settings;
use crate::sync::{Schedule, Worker, WorkerEvent};

use super::controller::Controller;
use super::model::{CameraState, Effect, Input, Kiosk, Prefs};
use super::probe::Probe;
use super::scan_thread::{ScanCommand, ScanMsg, SourceChoice, list_cameras, scanner_thread};
use super::screenshots::ScreenshotPlan;
use super::sounds::Sounds;
use super::view;

/// The status strip is refreshed this often.
const STATUS_EVERY: Duration = Duration::from_secs(2);

/// Adds the bundled CJK font after egui's own, so every glyph renders on any machine.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "cjk".into(),
        Arc::new(egui::FontData::from_static(include_bytes!(
            "../../../assets/fonts/DroidSansFallbackFull.ttf"
        ))),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
}

/// How the kiosk should start.
pub struct KioskOptions {
    /// The gate's state directory.
    pub state: PathBuf,
    /// Where frames come from.
    pub source: SourceChoice,
    /// Sync schedule for the background sync.
    pub schedule: Schedule,
    /// Stop after this many frames and print the probe's report (0: run until quit).
    pub stop_after_frames: u64,
    /// Whether synthetic frames come at a camera's pace; a measuring run takes them as fast
    /// as the machine can, to put an hour of frames through in less.
    pub paced: bool,
    /// The window's inner size in points when not full screen.
    pub window_size: [f32; 2],
}

/// A tablet's landscape screen: what a window opens at unless told otherwise.
pub const DEFAULT_WINDOW: [f32; 2] = [1280.0, 800.0];

/// The eframe app.
pub struct KioskApp {
    controller: Controller,
    commands: Sender<ScanCommand>,
    frames: Receiver<ScanMsg>,
    sync_events: Receiver<WorkerEvent>,
    worker: Worker,
    _scanner: std::thread::JoinHandle<()>,
    preview: Option<TextureHandle>,
    sounds: Sounds,
    last_status: Instant,
    quitting: bool,
    probe: Probe,
    /// Verdicts drained this frame, with their timings and when their frame was captured:
    /// measured once drawn.
    awaiting_screen: Vec<(ScanTiming, Instant)>,
    synthetic: Option<Box<dyn FnMut() -> Refill>>,
    plan: Option<ScreenshotPlan>,
}

impl KioskApp {
    /// Opens the gate in `options.state` and starts the scanner and the background sync.
    pub fn new(
        ctx: &egui::Context,
        options: KioskOptions,
        synthetic: Option<Box<dyn FnMut() -> Refill>>,
    ) -> Result<Self> {
        install_fonts(ctx);
        let gate = Gate::open(&options.state)?;
        let settings = Settings::of(&gate);
        let lang = settings.language().unwrap_or_default();
        let pin = settings.pin_hash()?;
        // Unreadable preferences fall back to the defaults: the gate must still open.
        let defaults = Prefs::default();
        let prefs = Prefs {
            volume: settings.volume().unwrap_or(defaults.volume),
            voice: settings.voice().unwrap_or(defaults.voice),
            screen_inches: settings.screen_inches().unwrap_or(defaults.screen_inches),
        };
        let camera_in_use = match options.source {
            SourceChoice::Camera(index) => Some(index),
            SourceChoice::Synthetic(_) => None,
        };
        let offset = chrono::Local::now().offset().local_minus_utc();
        let kiosk = Kiosk::new(lang, pin, camera_in_use)
            .with_prefs(prefs)
            .with_utc_offset(offset);
        let controller = Controller::new(gate, kiosk);
        let (command_tx, command_rx) = mpsc::channel();
        let (frame_tx, frame_rx) = mpsc::channel();
        let repaint_ctx = ctx.clone();
        let scanner = scanner_thread(
            options.state.clone(),
            options.source,
            command_rx,
            frame_tx,
            options.paced,
            move || {
                repaint_ctx.request_repaint();
            },
        )?;
        let (sync_tx, sync_rx) = mpsc::channel();
        let worker = Worker::spawn(&options.state, options.schedule, sync_tx)?;
        let mut app = Self {
            controller,
            commands: command_tx,
            frames: frame_rx,
            sync_events: sync_rx,
            worker,
            _scanner: scanner,
            preview: None,
            sounds: Sounds::new(),
            last_status: Instant::now(),
            quitting: false,
            probe: Probe::new(options.stop_after_frames),
            awaiting_screen: Vec::new(),
            synthetic,
            plan: None,
        };
        app.controller.refresh_status(Instant::now());
        Ok(app)
    }

    /// Runs a screenshot tour, then quits.
    #[must_use]
    pub fn with_plan(mut self, plan: ScreenshotPlan) -> Self {
        self.plan = Some(plan);
        self
    }

    fn carry_out(&mut self, ctx: &egui::Context, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Announce(announcement) => {
                    let kiosk = &self.controller.kiosk;
                    self.sounds.announce(
                        announcement,
                        kiosk.lang,
                        kiosk.prefs.volume,
                        kiosk.prefs.voice,
                    );
                }
                Effect::SyncNow => self.worker.sync_now(),
                Effect::UseCamera(index) => {
                    let choice = match (index, self.synthetic.as_mut()) {
                        (Some(i), _) => Some(SourceChoice::Camera(i)),
                        (None, Some(make)) => Some(SourceChoice::Synthetic(make())),
                        (None, None) => None,
                    };
                    if let Some(choice) = choice {
                        let _ = self.commands.send(ScanCommand::Use(choice));
                    }
                }
                Effect::ListCameras => {
                    let cameras = list_cameras();
                    let now = Instant::now();
                    self.controller.apply(Input::Cameras(cameras), now);
                }
                Effect::Quit => {
                    self.quitting = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                Effect::RegisterManual(_)
                | Effect::Override { .. }
                | Effect::LoadLog
                | Effect::LoadChoices
                | Effect::SaveLang(_)
                | Effect::SavePrefs(_) => {}
            }
        }
    }

    fn drain(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        let mut latest = None;
        loop {
            match self.frames.try_recv() {
                Ok(ScanMsg::Frame {
                    preview,
                    event,
                    timing,
                    captured,
                }) => {
                    if matches!(event, ScanEvent::Verdict(_)) {
                        self.awaiting_screen.push((timing, captured));
                    } else {
                        self.probe.frame(timing, None);
                    }
                    // Only the newest frame is worth uploading.
                    latest = Some(preview);
                    let effects = self
                        .controller
                        .apply(Input::Camera(CameraState::Running), now);
                    self.carry_out(ctx, effects);
                    let effects = self.controller.apply(Input::Scanned(event), now);
                    self.carry_out(ctx, effects);
                }
                Ok(ScanMsg::Failed(message)) => {
                    let effects = self
                        .controller
                        .apply(Input::Camera(CameraState::Failing(message)), now);
                    self.carry_out(ctx, effects);
                }
                Err(_) => break,
            }
        }
        if let Some(preview) = latest {
            match &mut self.preview {
                Some(texture) => texture.set(preview, TextureOptions::LINEAR),
                None => {
                    self.preview =
                        Some(ctx.load_texture("preview", preview, TextureOptions::LINEAR));
                }
            }
        }
        while let Ok(event) = self.sync_events.try_recv() {
            let ended = match event {
                WorkerEvent::Synced { .. } => Ok(()),
                WorkerEvent::Failed { failure, .. } => Err(failure),
                WorkerEvent::OutsideWindow => continue,
            };
            let effects = self.controller.apply(Input::SyncEnded(ended), now);
            self.carry_out(ctx, effects);
        }
        if now.duration_since(self.last_status) >= STATUS_EVERY {
            self.last_status = now;
            self.controller.refresh_status(now);
        }
        let effects = self.controller.apply(Input::Tick, now);
        self.carry_out(ctx, effects);
    }
}

impl eframe::App for KioskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // Kiosk mode: the window closes only through the settings' quit button.
        if ctx.input(|i| i.viewport().close_requested()) && !self.quitting {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        self.drain(&ctx);
        let inputs = view::show(ui, &self.controller.kiosk, self.preview.as_ref());
        for (timing, captured) in self.awaiting_screen.drain(..) {
            self.probe.frame(timing, Some(captured.elapsed()));
        }
        let now = Instant::now();
        for input in inputs {
            let effects = self.controller.apply(input, now);
            self.carry_out(&ctx, effects);
        }
        if let Some(plan) = self.plan.as_mut()
            && plan.step(&ctx, &mut self.controller, self.preview.is_some())
        {
            self.quitting = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if !self.quitting && self.probe.finished() {
            println!("{}", self.probe.report());
            self.quitting = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ctx.request_repaint_after(Duration::from_millis(100));
    }
}

/// Opens the kiosk window: full screen, no decorations, unless `windowed`; with a plan, tours
/// the screens saving screenshots and quits.
pub fn run(
    options: KioskOptions,
    windowed: bool,
    synthetic: Option<Box<dyn FnMut() -> Refill>>,
    plan: Option<ScreenshotPlan>,
) -> std::result::Result<(), String> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("小哥码 Xiaoge Pass")
        .with_inner_size(options.window_size)
        .with_fullscreen(!windowed)
        .with_decorations(windowed);
    let native = eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    };
    let mut failure = None;
    let result = eframe::run_native(
        "xiaoge-gate",
        native,
        Box::new(|cc| match KioskApp::new(&cc.egui_ctx, options, synthetic) {
            Ok(app) => Ok(Box::new(match plan {
                Some(plan) => app.with_plan(plan),
                None => app,
            })),
            Err(e) => {
                failure = Some(e.to_string());
                Err(Box::new(e))
            }
        }),
    );
    match (result, failure) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(message)) => Err(message),
        (Err(e), None) => Err(e.to_string()),
    }
}

/// Whether a display to open a window on is at hand.
#[must_use]
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}
