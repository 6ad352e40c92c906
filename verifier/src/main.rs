//! `xiaoge-gate`: the guard's gate, headless. Enroll, verify codes, sync, inspect.

#[cfg(feature = "demo")]
mod demo;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use serde_json::json;
use xiaoge_gate::clock;
use xiaoge_gate::frames::{FrameSource, ImageFiles, SourceKind, read_image};
use xiaoge_gate::gate::{GatePolicy, Verdict};
use xiaoge_gate::i18n::{self, Lang};
use xiaoge_gate::scanner::{FrameEvent, ScanEvent, Scanner};
use xiaoge_gate::settings::Settings;
use xiaoge_gate::store::ListName;
use xiaoge_gate::sync::{DEFAULT_TIMEOUT, Schedule, Window, WorkerEvent};
use xiaoge_gate::{Gate, decode, sync};
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{Decision, ManualEntry};
use xiaoge_pass::text::Column;

/// The Xiaoge Pass (小哥码) gate: verifies rider codes offline and logs every attempt.
///
/// Exit status: 0 allowed (or done), 1 denied (or a file without a code), 2 error.
#[derive(Parser)]
#[command(name = "xiaoge-gate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The gate's state directory.
#[derive(Args)]
struct StateDir {
    /// The gate's state directory (its database and identity).
    #[arg(long, value_name = "DIR", env = "XIAOGE_GATE_STATE")]
    state: PathBuf,
}

/// What codes are read from.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct CodeSource {
    /// A photo or screenshot holding the QR code.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// The code's text, as a scanner reads it (XG1:…).
    #[arg(long, value_name = "CODE")]
    text: Option<String>,
    /// Every image in a folder, in name order, as frames: one line each.
    #[arg(long, value_name = "DIR")]
    frames: Option<PathBuf>,
    /// Code texts, one per line, as a handheld scanner in keyboard mode types them.
    #[arg(long)]
    stdin: bool,
    /// A camera (0 is the first), watched until interrupted; needs a build with the
    /// `camera` feature.
    #[arg(long, value_name = "INDEX")]
    camera: Option<u32>,
}

/// How long a request to the issuer may take.
#[derive(Args)]
struct Timeout {
    /// Seconds one request to the issuer may take.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT.as_secs())]
    timeout: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll this gate with the issuer using a one-time token, then sync.
    Enroll {
        #[command(flatten)]
        state: StateDir,
        /// The issuer's base URL.
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The enrollment token from `xiaoge-issuer gate add`.
        #[arg(long, value_name = "T")]
        token: String,
        /// A private CA's certificate (PEM) to pin for the issuer's HTTPS: kept in the gate's
        /// state and, from now on, the only CA trusted (otherwise Mozilla's roots are).
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
        #[command(flatten)]
        timeout: Timeout,
    },
    /// Verify codes, offline, and log every attempt whatever the verdict.
    Verify {
        #[command(flatten)]
        state: StateDir,
        #[command(flatten)]
        source: CodeSource,
        /// Print JSON: one object per verdict.
        #[arg(long)]
        json: bool,
        /// Language of the words shown.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
    },
    /// List the cameras this system offers (needs a build with the `camera` feature).
    Cameras,
    /// Show what each image's QR code holds (no verification, nothing logged).
    Decode {
        /// Images to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line: {"file", "text" or null, "ms"}.
        #[arg(long)]
        json: bool,
    },
    /// Upload waiting entries, fetch the lists, bans and the issuer's signed time.
    Sync {
        #[command(flatten)]
        state: StateDir,
        #[command(flatten)]
        timeout: Timeout,
        /// Keep syncing: every --interval after a success, backing off after failures.
        #[arg(long = "loop")]
        repeat: bool,
        /// Seconds between syncs in a loop.
        #[arg(long, value_name = "SECS", default_value_t = 300, requires = "repeat")]
        interval: u64,
        /// Only sync in this daily window of local time, such as 01:00-05:00.
        #[arg(long, value_name = "HH:MM-HH:MM", requires = "repeat")]
        window: Option<Window>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show pending entries, last sync, the lists' age and the clock.
    Status {
        #[command(flatten)]
        state: StateDir,
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the entry log.
    Log {
        #[command(flatten)]
        state: StateDir,
        /// Only entries at or after this time (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Register a rider without a code by hand (the paper book, digitised).
    Register {
        #[command(flatten)]
        state: StateDir,
        /// The name the rider gives.
        #[arg(long)]
        name: String,
        /// The last four digits of the rider's phone.
        #[arg(long)]
        phone_last4: String,
        /// The rider's platform.
        #[arg(long)]
        platform: String,
        /// The building the rider is going to.
        #[arg(long)]
        building: String,
        /// Print the entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let in a rider the gate denied, with the guard's reason (logged as an override).
    Override {
        #[command(flatten)]
        state: StateDir,
        /// The denied entry's id.
        entry: uuid::Uuid,
        /// Why the guard lets the rider in.
        #[arg(long)]
        reason: String,
        /// Print the entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or change the gate's time limits (durations such as 90s, 30m, 36h, 3d).
    Policy {
        #[command(flatten)]
        state: StateDir,
        /// How long after the status list's signing verdicts are marked stale.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        stale_after: Option<i64>,
        /// How long after which the gate refuses to decide (guard checks by hand).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        too_stale_after: Option<i64>,
        /// How far the wall clock may stray from the trusted time.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        clock_tolerance: Option<i64>,
        /// Days synced entries stay on the gate.
        #[arg(long, value_name = "DAYS")]
        keep_days: Option<i64>,
    },
    #[cfg(feature = "kiosk")]
    /// The guard's kiosk (full screen) on a camera, with the background sync.
    Kiosk {
        #[command(flatten)]
        state: StateDir,
        /// The camera to read (0 is the first).
        #[arg(long, value_name = "INDEX", default_value_t = 0)]
        camera: u32,
        /// A window instead of full screen (for setting up).
        #[arg(long)]
        windowed: bool,
        /// Seconds between syncs.
        #[arg(long, value_name = "SECS", default_value_t = 300)]
        interval: u64,
        /// Only sync in this daily window of local time, such as 01:00-05:00.
        #[arg(long, value_name = "HH:MM-HH:MM")]
        window: Option<Window>,
    },
    /// Set the guard PIN that opens the kiosk's settings (four digits).
    Pin {
        #[command(flatten)]
        state: StateDir,
        /// The new PIN.
        pin: String,
    },
    #[cfg(feature = "demo")]
    /// The kiosk on a demo city: an embedded issuer on loopback, a gate enrolled over HTTP,
    /// and synthetic camera frames of valid, expired, replayed, revoked, other-site, tampered,
    /// banned and suspended codes. Needs no camera or network; without a display it runs
    /// headless.
    Demo {
        /// Language of the words shown.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
        /// Keep the demo's issuer and gate directories here instead of a temporary folder.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// No window: print the verdicts of one round of codes.
        #[arg(long)]
        headless: bool,
        /// A window instead of full screen.
        #[arg(long)]
        windowed: bool,
        /// Stop after this many frames and report latency and memory.
        #[arg(long, value_name = "N", default_value_t = 0)]
        frames: u64,
        /// Save screenshots of every screen in both languages here, then quit.
        #[arg(long, value_name = "DIR")]
        screenshots: Option<PathBuf>,
        /// The window's size in points, such as 800x1280 (a portrait tablet).
        #[arg(long, value_name = "WxH", default_value = "1280x800", value_parser = parse_size)]
        size: [f32; 2],
        /// Instead of the kiosk, narrate the whole path: enroll, verify, replay, revoke, go
        /// offline, sync exactly once.
        #[arg(long)]
        walkthrough: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xiaoge-gate: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn open(state: &StateDir) -> Result<Gate> {
    Gate::open(&state.state)
        .with_context(|| format!("opening gate state {}", state.state.display()))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Enroll {
            state,
            issuer,
            token,
            ca_file,
            timeout,
        } => {
            let gate = sync::enroll_with_ca(
                &state.state,
                &issuer,
                &token,
                ca_file.as_deref(),
                Duration::from_secs(timeout.timeout),
                clock::read().wall,
            )?;
            let e = gate.enrollment();
            eprintln!(
                "enrolled as gate {} {:?} at site {} {:?} of issuer {:?}; lists synced",
                e.gate_id, e.gate_name, e.site_id, e.site_name, e.issuer_name
            );
            let mut digits = [0u8; 2];
            getrandom::fill(&mut digits).context("drawing a PIN")?;
            let pin = format!("{:04}", u16::from_le_bytes(digits) % 10_000);
            Settings::of(&gate).set_pin(&pin)?;
            eprintln!(
                "guard PIN for the kiosk's settings: {pin} (change it with `xiaoge-gate pin`)"
            );
        }
        Command::Verify {
            state,
            source,
            json,
            lang,
        } => return verify(&state, source, json, lang),
        Command::Decode { files, json } => return decode_files(&files, json),
        Command::Cameras => list_cameras()?,
        Command::Sync {
            state,
            timeout,
            repeat,
            interval,
            window,
            json,
        } => {
            let timeout = Duration::from_secs(timeout.timeout);
            if repeat {
                let schedule = Schedule {
                    interval: Duration::from_secs(interval),
                    window,
                    timeout,
                    ..Schedule::default()
                };
                let never = std::sync::atomic::AtomicBool::new(false);
                sync::run_worker(&state.state, &schedule, &never, &never, |event| {
                    print_worker_event(&event, json);
                });
            } else {
                let mut gate = open(&state)?;
                let report = sync::sync(&mut gate, timeout, clock::read().wall)?;
                print_worker_event(&WorkerEvent::Synced { report }, json);
            }
        }
        Command::Status { state, json } => print_status(&mut open(&state)?, json)?,
        Command::Log { state, since, json } => print_log(&open(&state)?, since, json)?,
        Command::Register {
            state,
            name,
            phone_last4,
            platform,
            building,
            json,
        } => {
            let manual = ManualEntry {
                name,
                phone_last4,
                platform,
                building,
            };
            let entry = open(&state)?.register_manual(&manual, &clock::read())?;
            print_entry(&entry.entry, json, "registered by hand")?;
        }
        Command::Override {
            state,
            entry,
            reason,
            json,
        } => {
            let logged = open(&state)?.override_denial(entry, &reason, &clock::read())?;
            print_entry(&logged.entry, json, "override logged")?;
        }
        Command::Policy {
            state,
            stale_after,
            too_stale_after,
            clock_tolerance,
            keep_days,
        } => {
            let mut gate = open(&state)?;
            let old = gate.policy();
            let policy = GatePolicy {
                stale_after: stale_after.unwrap_or(old.stale_after),
                too_stale_after: too_stale_after.unwrap_or(old.too_stale_after),
                clock_tolerance: clock_tolerance.unwrap_or(old.clock_tolerance),
                keep_synced_days: keep_days.unwrap_or(old.keep_synced_days),
                ..old
            };
            if policy != old {
                gate.set_policy(policy)?;
            }
            println!("{}", serde_json::to_string(&policy)?);
        }
        #[cfg(feature = "kiosk")]
        Command::Kiosk {
            state,
            camera,
            windowed,
            interval,
            window,
        } => {
            // Refuse early, in the terminal or the session log, rather than in a blank window.
            open(&state)?;
            if !xiaoge_gate::kiosk::app::display_available() {
                anyhow::bail!(
                    "no display (DISPLAY and WAYLAND_DISPLAY are unset): the kiosk runs in a \
                     graphical session; start it from the session's autostart \
                     (verifier/deploy/xiaoge-gate-kiosk.desktop)"
                );
            }
            let options = xiaoge_gate::kiosk::app::KioskOptions {
                state: state.state,
                source: xiaoge_gate::kiosk::scan_thread::SourceChoice::Camera(camera),
                schedule: Schedule {
                    interval: Duration::from_secs(interval),
                    window,
                    ..Schedule::default()
                },
                stop_after_frames: 0,
                window_size: xiaoge_gate::kiosk::app::DEFAULT_WINDOW,
                paced: true,
            };
            xiaoge_gate::kiosk::app::run(options, windowed, None, None)
                .map_err(|e| anyhow::anyhow!("the kiosk window failed: {e}"))?;
        }
        Command::Pin { state, pin } => {
            Settings::of(&open(&state)?).set_pin(&pin)?;
            eprintln!("guard PIN changed");
        }
        #[cfg(feature = "demo")]
        Command::Demo {
            lang,
            keep,
            headless,
            windowed,
            frames,
            screenshots,
            size,
            walkthrough,
        } => {
            if walkthrough {
                demo::walkthrough(lang, keep.as_deref())?;
            } else {
                demo::kiosk(demo::DemoOptions {
                    lang,
                    keep,
                    headless,
                    windowed,
                    frames,
                    screenshots,
                    size,
                })?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A window size such as `1280x800`, in points.
#[cfg(feature = "demo")]
fn parse_size(text: &str) -> Result<[f32; 2], String> {
    let bad = || format!("\"{text}\" is not a size such as 1280x800 (width x height, 200 to 8000)");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |v: &str| -> Result<f32, String> {
        let n: u32 = v.trim().parse().map_err(|_| bad())?;
        if (200..=8000).contains(&n) {
            Ok(n as f32)
        } else {
            Err(bad())
        }
    };
    Ok([side(w)?, side(h)?])
}

/// Seconds in a duration such as `90s`, `30m`, `36h` or `3d` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration such as 90s, 30m, 36h or 3d"
            ));
        }
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is not a duration such as 90s, 30m, 36h or 3d"))
}

fn verify(state: &StateDir, source: CodeSource, json: bool, lang: Lang) -> Result<ExitCode> {
    let mut gate = open(state)?;
    let single = match (source.text, source.image) {
        (Some(text), _) => Some(text.trim().to_owned()),
        (None, Some(path)) => Some(read_code(&path)?),
        (None, None) => None,
    };
    if let Some(text) = single {
        let verdict = gate.check(&text, &clock::read())?;
        print_verdict(&verdict, None, lang, json)?;
        return Ok(match verdict.verdict {
            Decision::Allow => ExitCode::SUCCESS,
            Decision::Deny => ExitCode::from(1),
        });
    }
    if let Some(index) = source.camera {
        return watch_camera(&mut gate, index, json, lang);
    }
    if source.stdin {
        let mut input = std::io::stdin().lock();
        let mut number = 0u64;
        while let Some(line) =
            read_bounded_line(&mut input, MAX_STDIN_LINE).context("reading codes from stdin")?
        {
            number += 1;
            let text = match line {
                Line::Text(text) => text,
                // Answered as the junk it is, from the part that was held: no code is that
                // long, so it verifies as malformed and is logged like any unreadable code.
                Line::TooLong { bytes, head } => {
                    eprintln!(
                        "stdin line {number}: {bytes} bytes, longer than the {MAX_STDIN_LINE} \
                         any code fits in; answered as malformed, the rest skipped"
                    );
                    head
                }
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let verdict = gate.check(text, &clock::read())?;
            print_verdict(&verdict, None, lang, json)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let dir = source
        .frames
        .context("give --image, --text, --frames or --stdin")?;
    let mut frames = ImageFiles::from_dir(&dir)?;
    let mut scanner = Scanner::default();
    loop {
        let frame = match frames.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            // One unreadable file is reported and skipped, like a bad camera frame.
            Err(e) => {
                print_frame_event(&e.to_string(), FrameEvent::Unreadable, lang, json)?;
                continue;
            }
        };
        let (event, _) = scanner.scan(
            &mut gate,
            &frame.image,
            frames.kind(),
            &clock::read(),
            Instant::now(),
        )?;
        match event {
            ScanEvent::NoCode => print_frame_event(&frame.label, FrameEvent::NoCode, lang, json)?,
            ScanEvent::Repeat { .. } => {
                print_frame_event(&frame.label, FrameEvent::Repeat, lang, json)?
            }
            ScanEvent::Verdict(v) => print_verdict(&v, Some(&frame.label), lang, json)?,
        }
    }
    debug_assert_eq!(frames.kind(), SourceKind::Stills);
    Ok(ExitCode::SUCCESS)
}

/// Longest line `verify --stdin` holds, in bytes: a code is at most
/// [`xiaoge_pass::qr_text::MAX_TEXT_LEN`] characters, so anything longer is junk.
const MAX_STDIN_LINE: usize = 8 * 1024;

/// One line of input, read with a bound.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line within the bound, without its line break (invalid UTF-8 replaced).
    Text(String),
    /// A longer line: only its first bytes were held, the rest was read and dropped.
    TooLong {
        /// The line's length in bytes, without its line break.
        bytes: u64,
        /// Its first `max` bytes, as text.
        head: String,
    },
}

/// Reads the next line of `input`, holding at most `max` bytes of it whatever its length;
/// `None` at the end of the input.
fn read_bounded_line(input: &mut impl BufRead, max: usize) -> std::io::Result<Option<Line>> {
    let mut held = Vec::new();
    let mut bytes: u64 = 0;
    let mut read_any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        read_any = true;
        let (part, used, ended) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        bytes += part.len() as u64;
        let room = max.saturating_sub(held.len()).min(part.len());
        held.extend_from_slice(&part[..room]);
        input.consume(used);
        if ended {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&held).into_owned();
    Ok(Some(if bytes > max as u64 {
        Line::TooLong { bytes, head: text }
    } else {
        Line::Text(text)
    }))
}

/// Watches a camera, printing each verdict, until interrupted; a failing camera is reopened
/// every two seconds.
#[cfg(feature = "camera")]
fn watch_camera(gate: &mut Gate, index: u32, json: bool, lang: Lang) -> Result<ExitCode> {
    let mut camera = xiaoge_gate::frames::Camera::new(index);
    let mut scanner = Scanner::default();
    loop {
        match camera.next_frame() {
            Ok(Some(frame)) => {
                let (event, _) = scanner.scan(
                    gate,
                    &frame.image,
                    camera.kind(),
                    &clock::read(),
                    Instant::now(),
                )?;
                if let ScanEvent::Verdict(v) = event {
                    print_verdict(&v, None, lang, json)?;
                }
            }
            Ok(None) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprintln!("{e}; trying again in 2 s");
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
}

#[cfg(not(feature = "camera"))]
fn watch_camera(_: &mut Gate, _: u32, _: bool, _: Lang) -> Result<ExitCode> {
    anyhow::bail!(NO_CAMERA_SUPPORT)
}

#[cfg(not(feature = "camera"))]
const NO_CAMERA_SUPPORT: &str = "this xiaoge-gate was built without camera support: \
     run scripts/camera-build-deps, then cargo build --release -p xiaoge-gate --features camera";

#[cfg(feature = "camera")]
fn list_cameras() -> Result<()> {
    let cameras = xiaoge_gate::frames::cameras()?;
    if cameras.is_empty() {
        eprintln!("no camera found");
    }
    for (index, name) in cameras {
        println!("{index}  {name}");
    }
    Ok(())
}

#[cfg(not(feature = "camera"))]
fn list_cameras() -> Result<()> {
    anyhow::bail!(NO_CAMERA_SUPPORT)
}

/// Reads the QR code in an image file.
fn read_code(path: &Path) -> Result<String> {
    let image = read_image(path)?;
    Ok(decode::decode(&image)
        .map(|d| d.text)
        .ok_or_else(|| xiaoge_gate::GateError::NoCode(path.to_owned()))?)
}

fn decode_files(files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut all_read = true;
    for file in files {
        let image = read_image(file)?;
        let (decoded, ms) = decode::timed(|| decode::decode(&image));
        all_read &= decoded.is_some();
        if json {
            let line = json!({
                "file": file.display().to_string(),
                "text": decoded.as_ref().map(|d| d.text.clone()),
                "attempt": decoded.as_ref().map(|d| d.attempt.to_string()),
                "ms": (ms * 1000.0).round() / 1000.0,
            });
            writeln!(out, "{line}")?;
        } else {
            let text = decoded.map_or_else(|| "(no code)".to_owned(), |d| d.text);
            writeln!(out, "{}: {text}", file.display())?;
        }
    }
    Ok(if all_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn format_time(t: UnixTime) -> String {
    chrono::DateTime::from_timestamp(t.0, 0).map_or_else(
        || t.to_string(),
        |d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

/// A verdict with the words a guard reads.
#[derive(Serialize)]
struct ShownVerdict<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<&'a str>,
    #[serde(flatten)]
    verdict: &'a Verdict,
    message: String,
}

fn print_verdict(v: &Verdict, frame: Option<&str>, lang: Lang, json: bool) -> Result<()> {
    let words = i18n::verdict_words(v, lang);
    let mut out = std::io::stdout().lock();
    if json {
        let shown = ShownVerdict {
            frame,
            verdict: v,
            message: words,
        };
        writeln!(out, "{}", serde_json::to_string(&shown)?)?;
    } else {
        match frame {
            Some(frame) => writeln!(out, "{frame}: {words}")?,
            None => writeln!(out, "{words}")?,
        }
        if let Some(detail) = &v.detail {
            eprintln!("detail: {detail}");
        }
        if let Some(first) = v.first_used_at {
            eprintln!("first used here at {}", format_time(first));
        }
        eprintln!("entry {} logged", v.entry_id);
    }
    out.flush()?;
    Ok(())
}

fn print_frame_event(frame: &str, event: FrameEvent, lang: Lang, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", json!({"frame": frame, "event": event}))?;
    } else {
        writeln!(out, "{frame}: {}", i18n::frame_event_text(lang, event))?;
    }
    Ok(())
}

fn print_entry(e: &xiaoge_pass::api::Entry, json: bool, what: &str) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(e)?);
    } else {
        println!("{}", e.id);
        eprintln!("{what} at {}", format_time(e.recorded_at));
    }
    Ok(())
}

fn print_worker_event(event: &WorkerEvent, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
        return;
    }
    match event {
        WorkerEvent::Synced { report } => println!(
            "uploaded {} entries ({} already held by the issuer, {} rejected and kept here); trust list {}; status list {}; site bans {}; issuer clock {:+} s from ours; {} old synced entries purged",
            report.uploaded,
            report.duplicates,
            report.rejected,
            if report.trust_list_updated {
                "updated"
            } else {
                "unchanged"
            },
            if report.status_list_updated {
                "updated"
            } else {
                "unchanged"
            },
            if report.site_bundle_updated {
                "updated"
            } else {
                "unchanged"
            },
            report.clock_offset.unwrap_or(0),
            report.purged
        ),
        WorkerEvent::Failed {
            error, retry_in_s, ..
        } => {
            println!("sync failed: {error}; retrying in {retry_in_s} s");
        }
        WorkerEvent::OutsideWindow => println!("outside the sync window; waiting"),
    }
}

fn print_status(gate: &mut Gate, json: bool) -> Result<()> {
    let reading = clock::read();
    let status = gate.status(&reading)?;
    if json {
        println!("{}", serde_json::to_string(&status)?);
        return Ok(());
    }
    let now = reading.wall;
    let ago = |t: Option<UnixTime>| {
        t.map_or_else(
            || "never".to_owned(),
            |t| format!("{} ({} s ago)", format_time(t), now.since(t)),
        )
    };
    println!(
        "gate        {} {} at site {} {}",
        status.gate_id, status.gate_name, status.site_id, status.site_name
    );
    println!("issuer      {}", status.issuer_url);
    println!("pending     {} entries to upload", status.pending_entries);
    println!("last sync   {}", ago(status.last_sync_at));
    println!("trust list  signed {}", ago(status.trust_list_issued_at));
    println!(
        "status list signed {} — {}",
        ago(status.status_list_issued_at),
        status.freshness.as_str()
    );
    match status.banned_riders {
        Some(n) => println!("site bans   {n} riders"),
        None => println!(
            "site bans   UNVERIFIABLE: every rider needs a guard's check until the next sync"
        ),
    }
    for list in &status.unverified {
        let name = match list {
            ListName::Trust => "trust list",
            ListName::Status => "status list",
            ListName::Site => "site bundle",
        };
        println!("warning     the {name} held does not verify; the next sync fetches it afresh");
    }
    let clock = match status.clock.state {
        clock::ClockState::Unchecked => "not checked yet (no sync since enrollment)".to_owned(),
        clock::ClockState::Trusted { offset } => {
            format!("trusted ({offset:+} s from the issuer's time)")
        }
        clock::ClockState::AboveFloor => {
            "not behind the last trusted time (rebooted since)".to_owned()
        }
        clock::ClockState::Behind { seconds } => {
            format!("WRONG: {seconds} s behind the trusted time")
        }
        clock::ClockState::Ahead { seconds } => {
            format!("WRONG: {seconds} s ahead of the trusted time")
        }
    };
    println!("clock       {clock}");
    Ok(())
}

fn print_log(gate: &Gate, since: Option<String>, json: bool) -> Result<()> {
    let since = match since {
        Some(t) => UnixTime(
            chrono::DateTime::parse_from_rfc3339(&t)
                .with_context(|| format!("--since {t:?} is not an RFC 3339 time"))?
                .timestamp(),
        ),
        None => UnixTime(0),
    };
    let entries = gate.log(since)?;
    let mut out = std::io::stdout().lock();
    for e in &entries {
        if json {
            let mut value = serde_json::to_value(&e.entry)?;
            value["rider_name"] = json!(e.rider_name);
            value["platform"] = json!(e.platform);
            value["synced_at"] = json!(e.synced_at);
            if let Some(why) = &e.upload_error {
                value["upload_error"] = json!(why);
            }
            writeln!(out, "{value}")?;
        } else {
            let line = format!(
                "{}  {:<5}  {:<8}  {:<22}  {:<6} {:<8}  {}",
                format_time(e.entry.recorded_at),
                e.entry.decision.as_str(),
                e.entry.method.as_str(),
                Column(e.entry.reason.as_deref().unwrap_or("-")),
                Column(e.rider_name.as_deref().unwrap_or("-")),
                Column(e.platform.as_deref().unwrap_or("-")),
                match (&e.synced_at, &e.upload_error) {
                    (_, Some(why)) => format!("rejected by the issuer: {why}"),
                    (Some(_), None) => "synced".to_owned(),
                    (None, None) => "pending".to_owned(),
                }
            );
            // Guards' reasons and riders' names are other people's text: a terminal escape
            // sequence in them must not reach this terminal.
            writeln!(out, "{}", xiaoge_pass::text::escape_unprintable(&line))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn a_line_longer_than_the_bound_is_never_held_whole() {
        use super::{Line, read_bounded_line};
        let long = "x".repeat(100_000);
        let mut input = format!("XG1:abc\r\n{long}\nnext\n").into_bytes();
        input.push(0xff);
        // A small buffer, as a pipe hands over its bytes a piece at a time.
        let mut reader = std::io::BufReader::with_capacity(64, input.as_slice());
        let mut read = || read_bounded_line(&mut reader, 16).expect("reads");
        assert_eq!(read(), Some(Line::Text("XG1:abc\r".into())));
        assert_eq!(
            read(),
            Some(Line::TooLong {
                bytes: 100_000,
                head: "x".repeat(16)
            })
        );
        assert_eq!(read(), Some(Line::Text("next".into())));
        assert!(matches!(read(), Some(Line::Text(t)) if t.starts_with('\u{fffd}')));
        assert_eq!(read(), None);
    }
}
