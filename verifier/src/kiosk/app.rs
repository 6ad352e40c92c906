//! The kiosk as an eframe app: the controller (state machine plus the gate it writes to),
//! the scanner thread, the background sync, sounds and fonts.
//!
//! Three threads, three database connections: "gate-scanner" reads frames and logs verdicts,
//! "gate-sync" syncs, and the UI thread draws and logs what the guard enters. None of them
//! ever waits for another: the UI learns of verdicts and syncs through channels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui::{self, ColorImage, TextureHandle, TextureOptions};
use image::GrayImage;

use crate::clock;
use crate::error::{GateError, Result};
use crate::frames::{FrameSource, Refill, Synthetic};
use crate::gate::Gate;
use crate::scanner::{ScanEvent, ScanTiming, Scanner};
use crate::settings::Settings;
use crate::sync::{Schedule, Worker, WorkerEvent};
use crate::synthetic::FrameStyle;

use super::model::{CameraChoice, CameraState, Effect, Input, Kiosk, LogRow, Tone};
use super::view;

/// Width of the preview sent to the screen: enough to see, cheap to upload.
const PREVIEW_WIDTH: u32 = 640;
/// The status strip is refreshed this often.
const STATUS_EVERY: Duration = Duration::from_secs(2);
/// Synthetic frames come at a camera's pace.
const SYNTHETIC_FRAME: Duration = Duration::from_millis(33);
/// A failing camera is reopened after this pause.
const CAMERA_RETRY: Duration = Duration::from_secs(2);

/// Where frames come from.
pub enum SourceChoice {
    /// A camera by index.
    Camera(u32),
    /// Synthetic frames, refilled forever (the demo).
    Synthetic(Refill),
}

/// The kiosk's state and the gate it writes to: what tests drive without a window.
pub struct Controller {
    /// The state machine.
    pub kiosk: Kiosk,
    gate: Gate,
}

impl Controller {
    /// A controller over an open gate.
    #[must_use]
    pub fn new(gate: Gate, kiosk: Kiosk) -> Self {
        Self { kiosk, gate }
    }

    /// The gate, for reading.
    #[must_use]
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// The gate, for checking codes outside the scanner (tests, drills).
    pub fn gate_mut(&mut self) -> &mut Gate {
        &mut self.gate
    }

    /// Applies an input, carries out the effects that touch the gate's database, and returns
    /// the others (sounds, sync, camera switch, quit) for the app.
    pub fn apply(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut pending = self.kiosk.handle(input, now);
        let mut outward = Vec::new();
        let mut wrote = false;
        while let Some(effect) = pending.pop() {
            let follow = match effect {
                Effect::RegisterManual(manual) => {
                    wrote = true;
                    Some(match self.gate.register_manual(&manual, &clock::read()) {
                        Ok(entry) => Input::Written(Box::new(entry.entry)),
                        Err(e) => Input::WriteFailed(e.to_string()),
                    })
                }
                Effect::Override { denied, reason } => {
                    wrote = true;
                    Some(
                        match self.gate.override_denial(denied, &reason, &clock::read()) {
                            Ok(entry) => Input::Written(Box::new(entry.entry)),
                            Err(e) => Input::WriteFailed(e.to_string()),
                        },
                    )
                }
                Effect::LoadLog => Some(Input::LogLoaded(self.todays_log())),
                Effect::SaveLang(lang) => {
                    // The language is a preference; failing to keep it is not worth a notice.
                    let _ = Settings::of(&self.gate).set_language(lang);
                    None
                }
                other => {
                    outward.push(other);
                    None
                }
            };
            if let Some(input) = follow {
                pending.extend(self.kiosk.handle(input, now));
            }
        }
        // The strip's "waiting to upload" counts the entry just written; everything else
        // reaches the strip through the periodic refresh, off the per-frame path.
        if wrote {
            self.refresh_status(now);
        }
        outward
    }

    fn status(&mut self) -> Option<crate::gate::GateStatus> {
        self.gate.status(&clock::read()).ok()
    }

    /// Refreshes the status strip.
    pub fn refresh_status(&mut self, now: Instant) {
        if let Some(status) = self.status() {
            self.kiosk.handle(Input::Status(Box::new(status)), now);
        }
    }

    fn todays_log(&self) -> Vec<LogRow> {
        let midnight = chrono::Local::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(chrono::Local).single())
            .map_or(0, |t| t.timestamp());
        self.gate
            .log(xiaoge_pass::UnixTime(midnight))
            .unwrap_or_default()
            .into_iter()
            .map(|l| LogRow {
                entry: l.entry,
                rider_name: l.rider_name,
                platform: l.platform,
            })
            .collect()
    }
}

/// What the scanner thread reports.
enum ScanMsg {
    /// A frame went through the pipeline.
    Frame {
        preview: ColorImage,
        event: ScanEvent,
        timing: ScanTiming,
        /// When the frame was taken from the source.
        captured: Instant,
    },
    /// The frame source failed.
    Failed(String),
}

/// Commands to the scanner thread.
enum ScanCommand {
    Use(SourceChoice),
}

fn preview_of(frame: &GrayImage) -> ColorImage {
    let small = if frame.width() > PREVIEW_WIDTH {
        let height = frame.height() * PREVIEW_WIDTH / frame.width();
        image::imageops::resize(
            frame,
            PREVIEW_WIDTH,
            height,
            image::imageops::FilterType::Nearest,
        )
    } else {
        frame.clone()
    };
    ColorImage::from_gray(
        [small.width() as usize, small.height() as usize],
        small.as_raw(),
    )
}

fn open_source(choice: SourceChoice) -> Box<dyn FrameSource> {
    match choice {
        SourceChoice::Synthetic(refill) => {
            Box::new(Synthetic::endless(FrameStyle::default(), refill))
        }
        #[cfg(feature = "camera")]
        SourceChoice::Camera(index) => Box::new(crate::frames::Camera::new(index)),
        #[cfg(not(feature = "camera"))]
        SourceChoice::Camera(index) => Box::new(NoCamera(index)),
    }
}

/// The camera of a build without camera support: fails with a clear message.
#[cfg(not(feature = "camera"))]
struct NoCamera(u32);

#[cfg(not(feature = "camera"))]
impl FrameSource for NoCamera {
    fn kind(&self) -> crate::frames::SourceKind {
        crate::frames::SourceKind::Live
    }

    fn next_frame(
        &mut self,
    ) -> std::result::Result<Option<crate::frames::Frame>, crate::frames::SourceError> {
        Err(crate::frames::SourceError::Camera(format!(
            "camera {}: this build has no camera support (--features camera)",
            self.0
        )))
    }
}

/// Runs the pipeline on its own thread until the UI hangs up.
fn scanner_thread(
    dir: PathBuf,
    first: SourceChoice,
    commands: Receiver<ScanCommand>,
    out: Sender<ScanMsg>,
    paced: bool,
    repaint: impl Fn() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("gate-scanner".into())
        .spawn(move || {
            let mut gate = match Gate::open(&dir) {
                Ok(gate) => gate,
                Err(e) => {
                    let _ = out.send(ScanMsg::Failed(e.to_string()));
                    return;
                }
            };
            let mut source = open_source(first);
            let mut scanner = Scanner::default();
            loop {
                match commands.try_recv() {
                    Ok(ScanCommand::Use(choice)) => {
                        source = open_source(choice);
                        scanner = Scanner::default();
                    }
                    Err(TryRecvError::Disconnected) => return,
                    Err(TryRecvError::Empty) => {}
                }
                let started = Instant::now();
                let message = match source.next_frame() {
                    Ok(Some(frame)) => {
                        match scanner.scan(
                            &mut gate,
                            &frame.image,
                            source.kind(),
                            &clock::read(),
                            started,
                        ) {
                            Ok((event, timing)) => ScanMsg::Frame {
                                preview: preview_of(&frame.image),
                                event,
                                timing,
                                captured: started,
                            },
                            Err(e) => ScanMsg::Failed(e.to_string()),
                        }
                    }
                    Ok(None) => ScanMsg::Failed("the frame source ended".into()),
                    Err(e) => ScanMsg::Failed(e.to_string()),
                };
                let failed = matches!(message, ScanMsg::Failed(_));
                if out.send(message).is_err() {
                    return;
                }
                repaint();
                if failed {
                    std::thread::sleep(CAMERA_RETRY);
                } else if paced && source.kind() == crate::frames::SourceKind::Live {
                    // Real cameras pace themselves; synthetic frames are paced to a camera's.
                    std::thread::sleep(SYNTHETIC_FRAME.saturating_sub(started.elapsed()));
                }
            }
        })
        .map_err(|e| GateError::io("starting the scanner thread", e))
}

/// The two sounds, played through `aplay` when the system has it.
struct Sounds {
    dir: Option<tempfile::TempDir>,
}

impl Sounds {
    fn new() -> Self {
        let dir = tempfile::tempdir().ok().filter(|d| {
            std::fs::write(
                d.path().join("allow.wav"),
                include_bytes!("../../../assets/sounds/allow.wav"),
            )
            .is_ok()
                && std::fs::write(
                    d.path().join("deny.wav"),
                    include_bytes!("../../../assets/sounds/deny.wav"),
                )
                .is_ok()
        });
        Self { dir }
    }

    fn play(&self, tone: Tone) {
        let Some(dir) = &self.dir else {
            return;
        };
        let file = dir.path().join(match tone {
            Tone::Allow => "allow.wav",
            Tone::Deny => "deny.wav",
        });
        // A missing player or sound card must never stop the kiosk: the verdict is on screen.
        if let Ok(mut child) = std::process::Command::new("aplay")
            .arg("-q")
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
    }
}

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

/// Measures the kiosk for the benchmark: frame-to-verdict times, and when to stop.
pub struct Probe {
    /// Stop after this many frames (0: never).
    pub stop_after_frames: u64,
    frames: u64,
    to_verdict_ms: Vec<f64>,
    to_screen_ms: Vec<f64>,
    started: Option<Instant>,
}

/// How often a measuring run prints its progress, in frames.
const PROBE_EVERY: u64 = 10_000;

impl Probe {
    fn new(stop_after_frames: u64) -> Self {
        Self {
            stop_after_frames,
            frames: 0,
            to_verdict_ms: Vec::new(),
            to_screen_ms: Vec::new(),
            started: None,
        }
    }

    /// Counts a frame that reached the UI; `to_screen` is set when it carried a verdict.
    fn frame(&mut self, timing: ScanTiming, to_screen: Option<Duration>) {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.frames += 1;
        if let Some(to_screen) = to_screen {
            self.to_verdict_ms.push(timing.decode_ms + timing.check_ms);
            self.to_screen_ms.push(to_screen.as_secs_f64() * 1000.0);
        }
        if self.stop_after_frames > 0 && self.frames.is_multiple_of(PROBE_EVERY) {
            println!(
                "{} frames in {:.0} s, resident memory {}",
                self.frames,
                started.elapsed().as_secs_f64(),
                rss_text()
            );
        }
    }

    /// Medians and memory, as a line to print.
    #[must_use]
    pub fn report(&self) -> String {
        let (verdict_median, verdict_p95) = median_and_p95(&self.to_verdict_ms);
        let (screen_median, screen_p95) = median_and_p95(&self.to_screen_ms);
        format!(
            "{} frames, {} verdicts; frame to durably logged verdict median {verdict_median:.1} ms \
             (p95 {verdict_p95:.1}); frame to verdict on screen median {screen_median:.1} ms \
             (p95 {screen_p95:.1}); resident memory {}",
            self.frames,
            self.to_verdict_ms.len(),
            rss_text()
        )
    }
}

/// The median and 95th percentile of some timings (NaN when there are none).
#[must_use]
pub fn median_and_p95(ms: &[f64]) -> (f64, f64) {
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or(f64::NAN)
    };
    (at(0.5), at(0.95))
}

/// This process's resident memory, for a report line.
#[must_use]
pub fn rss_text() -> String {
    resident_mib().map_or_else(|| "unknown".to_owned(), |m| format!("{m:.1} MiB"))
}

/// This process's resident memory, from /proc (Linux).
#[must_use]
pub fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
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
}

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
        let lang = Settings::of(&gate).language().unwrap_or_default();
        let pin = Settings::of(&gate).pin_hash()?;
        let camera_in_use = match options.source {
            SourceChoice::Camera(index) => Some(index),
            SourceChoice::Synthetic(_) => None,
        };
        let controller = Controller::new(gate, Kiosk::new(lang, pin, camera_in_use));
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
                Effect::Sound(tone) => self.sounds.play(tone),
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
                | Effect::SaveLang(_) => {}
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

fn list_cameras() -> Vec<CameraChoice> {
    #[cfg(feature = "camera")]
    {
        crate::frames::cameras()
            .unwrap_or_default()
            .into_iter()
            .map(|(index, name)| CameraChoice {
                index: Some(index),
                name,
            })
            .collect()
    }
    #[cfg(not(feature = "camera"))]
    {
        Vec::new()
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
        if !self.quitting
            && self.probe.stop_after_frames > 0
            && self.probe.frames >= self.probe.stop_after_frames
        {
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
        .with_inner_size([1280.0, 800.0])
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

/// A scripted tour of the kiosk that saves screenshots: for the docs, under Xvfb.
pub struct ScreenshotPlan {
    dir: PathBuf,
    steps: std::collections::VecDeque<PlanStep>,
    settle: u32,
    saving: Arc<std::sync::atomic::AtomicUsize>,
}

/// One step of a screenshot tour.
pub enum PlanStep {
    /// Wait until the scanner shows live frames and nothing else is on screen.
    WaitScanning,
    /// Wait until a verdict of this kind is on screen.
    WaitVerdict(xiaoge_pass::api::Decision),
    /// Apply these inputs.
    Apply(Vec<Input>),
    /// Save the screen to this file name.
    Capture(String),
}

impl ScreenshotPlan {
    /// A tour saving into `dir`.
    #[must_use]
    pub fn new(dir: PathBuf, steps: Vec<PlanStep>) -> Self {
        Self {
            dir,
            steps: steps.into(),
            settle: 0,
            saving: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    /// Advances the tour by one frame; `true` once every screenshot is saved.
    fn step(&mut self, ctx: &egui::Context, controller: &mut Controller, preview: bool) -> bool {
        use super::model::Screen;
        use std::sync::atomic::Ordering;
        let Some(step) = self.steps.front() else {
            return self.saving.load(Ordering::SeqCst) == 0;
        };
        let done = match step {
            PlanStep::WaitScanning => {
                preview
                    && controller.kiosk.screen == Screen::Scanning
                    && controller.kiosk.notice.is_none()
                    && controller.kiosk.camera == CameraState::Running
            }
            PlanStep::WaitVerdict(decision) => {
                matches!(&controller.kiosk.screen, Screen::Verdict(card) if card.verdict.verdict == *decision)
            }
            PlanStep::Apply(inputs) => {
                for input in inputs.clone() {
                    controller.apply(input, Instant::now());
                }
                true
            }
            PlanStep::Capture(name) => {
                if self.settle > 0 {
                    self.settle -= 1;
                    return false;
                }
                let path = self.dir.join(name);
                let saving = Arc::clone(&self.saving);
                saving.fetch_add(1, Ordering::SeqCst);
                ctx.request_screenshot(move |image| {
                    let (w, h) = (image.size[0] as u32, image.size[1] as u32);
                    let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
                    if let Some(buffer) = image::RgbaImage::from_raw(w, h, rgba)
                        && let Err(e) = buffer.save(&path)
                    {
                        eprintln!("cannot save {}: {e}", path.display());
                    }
                    saving.fetch_sub(1, Ordering::SeqCst);
                });
                true
            }
        };
        if done {
            self.steps.pop_front();
            // Let a few frames draw the new state before the next capture.
            self.settle = 5;
        }
        false
    }
}
