//! `xiaoge-gate`: the guard's gate, headless. Enroll, verify codes, sync, inspect.

mod demo;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use xiaoge_gate::gate::{Verdict, wall_clock};
use xiaoge_gate::i18n::{self, Lang};
use xiaoge_gate::{Gate, GateError, decode, sync};
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::Decision;

/// The Xiaoge Pass (小哥码) gate: verifies rider codes offline and logs every attempt.
///
/// Exit status: 0 allowed (or done), 1 denied, 2 error.
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

/// What a code is read from.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct CodeSource {
    /// A photo or screenshot holding the QR code.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// The code's text, as a scanner reads it (XG1:…).
    #[arg(long, value_name = "CODE")]
    text: Option<String>,
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
    },
    /// Verify one code, offline, and log the attempt whatever the verdict.
    Verify {
        #[command(flatten)]
        state: StateDir,
        #[command(flatten)]
        source: CodeSource,
        /// Print the verdict as one JSON object.
        #[arg(long)]
        json: bool,
        /// Language of the words shown.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
    },
    /// Upload waiting entries and fetch the lists and the issuer's time.
    Sync {
        #[command(flatten)]
        state: StateDir,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show pending entries, last sync and how old the lists are.
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
    /// Run the whole path on an embedded issuer: enroll, verify, replay, revoke, go offline,
    /// sync. Needs no camera, display or network.
    Demo {
        /// Language of the words shown.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
        /// Keep the demo's issuer and gate directories here instead of a temporary folder.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
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
    let now = wall_clock();
    match cli.command {
        Command::Enroll {
            state,
            issuer,
            token,
        } => {
            let gate = sync::enroll(&state.state, &issuer, &token, now)?;
            let e = gate.enrollment();
            eprintln!(
                "enrolled as gate {} {:?} at site {} {:?} of issuer {:?}; lists synced",
                e.gate_id, e.gate_name, e.site_id, e.site_name, e.issuer_name
            );
        }
        Command::Verify {
            state,
            source,
            json,
            lang,
        } => {
            let mut gate = open(&state)?;
            let text = match (source.text, source.image) {
                (Some(text), _) => text.trim().to_owned(),
                (None, Some(path)) => read_code(&path)?,
                (None, None) => anyhow::bail!("give --image FILE or --text CODE"),
            };
            let verdict = gate.check(&text, now)?;
            print_verdict(&verdict, lang, json)?;
            return Ok(match verdict.verdict {
                Decision::Allow => ExitCode::SUCCESS,
                Decision::Deny => ExitCode::from(1),
            });
        }
        Command::Sync { state, json } => {
            let mut gate = open(&state)?;
            let report = sync::sync(&mut gate, now)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "uploaded {} entries ({} already held by the issuer); trust list {}; status list {}; issuer clock {:+} s from ours",
                    report.uploaded,
                    report.duplicates,
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
                    report.clock_offset.unwrap_or(0)
                );
            }
        }
        Command::Status { state, json } => {
            let status = open(&state)?.status(now)?;
            if json {
                println!("{}", serde_json::to_string(&status)?);
            } else {
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
                    status.freshness
                );
                println!(
                    "clock       issuer {:+} s from ours at last sync",
                    status.clock_offset.unwrap_or(0)
                );
            }
        }
        Command::Log { state, since, json } => {
            let since = match since {
                Some(t) => UnixTime(
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .with_context(|| format!("--since {t:?} is not an RFC 3339 time"))?
                        .timestamp(),
                ),
                None => UnixTime(0),
            };
            let entries = open(&state)?.log(since)?;
            let mut out = std::io::stdout().lock();
            for e in &entries {
                if json {
                    let mut value = serde_json::to_value(&e.entry)?;
                    value["rider_name"] = serde_json::json!(e.rider_name);
                    value["platform"] = serde_json::json!(e.platform);
                    value["synced_at"] = serde_json::json!(e.synced_at);
                    writeln!(out, "{value}")?;
                } else {
                    writeln!(
                        out,
                        "{}  {:<5}  {:<8}  {:<22}  {:<6} {:<8}  {}",
                        format_time(e.entry.recorded_at),
                        e.entry.decision.as_str(),
                        e.entry.method.as_str(),
                        e.entry.reason.as_deref().unwrap_or("-"),
                        e.rider_name.as_deref().unwrap_or("-"),
                        e.platform.as_deref().unwrap_or("-"),
                        if e.synced_at.is_some() {
                            "synced"
                        } else {
                            "pending"
                        }
                    )?;
                }
            }
        }
        Command::Demo { lang, keep } => demo::run(lang, keep.as_deref())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the QR code in an image file.
fn read_code(path: &Path) -> Result<String> {
    let image = image::open(path)
        .map_err(|e| GateError::Image {
            path: path.to_owned(),
            reason: e.to_string(),
        })?
        .to_luma8();
    decode::decode(&image)
        .map(|d| d.text)
        .ok_or_else(|| GateError::NoCode(path.to_owned()).into())
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
    #[serde(flatten)]
    verdict: &'a Verdict,
    message: String,
}

/// The words for a verdict in `lang`: the decision, then the reason or the rider.
pub(crate) fn verdict_words(v: &Verdict, lang: Lang) -> String {
    let allow = v.verdict == Decision::Allow;
    let mut words = i18n::decision_text(lang, allow).to_owned();
    if let Some(reason) = v.reason {
        words.push_str("  ");
        words.push_str(i18n::reason_text(lang, reason));
    }
    if let Some(r) = &v.rider {
        words.push_str(&format!("  {} · {}", r.name, r.platform));
    }
    if v.stale {
        words.push_str(&format!("  ({})", i18n::stale_text(lang)));
    }
    words
}

fn print_verdict(v: &Verdict, lang: Lang, json: bool) -> Result<()> {
    let words = verdict_words(v, lang);
    let mut out = std::io::stdout().lock();
    if json {
        let shown = ShownVerdict {
            verdict: v,
            message: words,
        };
        writeln!(out, "{}", serde_json::to_string(&shown)?)?;
    } else {
        writeln!(out, "{words}")?;
        if let Some(detail) = &v.detail {
            eprintln!("detail: {detail}");
        }
        eprintln!("entry {} logged", v.entry_id);
    }
    Ok(())
}
