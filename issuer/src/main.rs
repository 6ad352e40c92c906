//! `xiaoge-issuer`: the operator's command line and the issuer's HTTP service.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http, qr_image};
use xiaoge_pass::{RiderId, RiderStatus, SiteId, UnixTime};

/// The Xiaoge Pass (小哥码) issuer: registry, signing keys, lists and the gates' API.
#[derive(Parser)]
#[command(name = "xiaoge-issuer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The data directory every command works on.
#[derive(Args)]
struct DataDir {
    /// The issuer's data directory (database and key files).
    #[arg(long, value_name = "DIR", env = "XIAOGE_ISSUER_DATA")]
    data: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new issuer: database, root key and first signing key. Never overwrites.
    Init {
        #[command(flatten)]
        data: DataDir,
        /// The issuer name every code carries (`iss`), at most 64 bytes.
        #[arg(long, default_value = "xiaoge")]
        name: String,
        /// The base URL gates and phones use to reach the issuer.
        #[arg(long, default_value = "http://localhost:8080")]
        public_url: String,
    },
    /// Serve the HTTP API; prints the URL it listens on to stdout.
    Serve {
        #[command(flatten)]
        data: DataDir,
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Delivery platforms.
    #[command(subcommand)]
    Platform(PlatformCommand),
    /// Sites (小区, 商圈, 楼宇, 园区).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Gates and their enrollment.
    #[command(subcommand)]
    Gate(GateCommand),
    /// Riders.
    #[command(subcommand)]
    Rider(RiderCommand),
    /// Mint a code for a rider and print its QR text.
    Code {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        #[arg(long)]
        rider: RiderId,
        /// Bind the code to this site id.
        #[arg(long)]
        site: Option<u64>,
        /// Issue time, RFC 3339 (default: now).
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Also write the QR code as a PNG image here.
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
    },
    /// List the entries gates have synced.
    Entries {
        #[command(flatten)]
        data: DataDir,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PlatformCommand {
    /// Add a platform; prints its API key (shown only once).
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Display name, as codes show it (such as 美团).
        name: String,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Add a site; prints its id.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The site's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum GateCommand {
    /// Add a gate; prints its one-time enrollment token.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The site id the gate guards.
        #[arg(long)]
        site: u64,
        /// The gate's name (such as 东门).
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum RiderCommand {
    /// Register a rider; prints the rider's pseudonymous id.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        #[arg(long)]
        platform: String,
        /// The rider's id on the platform (never leaves the issuer).
        #[arg(long)]
        platform_rider_id: String,
        /// Display name; masked to its first character and ** unless already masked.
        #[arg(long)]
        name: String,
    },
    /// Revoke a rider: the next status list denies all their codes.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xiaoge-issuer: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open(data: &DataDir) -> Result<Issuer> {
    Issuer::open(&data.data).with_context(|| format!("opening issuer at {}", data.data.display()))
}

/// Prints the one line a script captures.
fn print_line(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("writing to stdout")
}

fn run(cli: Cli) -> Result<()> {
    let now = http::now();
    match cli.command {
        Command::Init {
            data,
            name,
            public_url,
        } => {
            let options = InitOptions {
                name,
                public_url,
                ..InitOptions::default()
            };
            let issuer = Issuer::init(&data.data, &options, now)?;
            eprintln!(
                "initialised issuer {:?} in {}; root key fingerprint {}",
                issuer.name(),
                data.data.display(),
                issuer.root_fingerprint()
            );
        }
        Command::Serve { data, listen } => serve(&data.data, listen)?,
        Command::Platform(PlatformCommand::Add { data, name }) => {
            let (id, api_key) = open(&data)?.add_platform(&name, now)?;
            eprintln!("added platform {id} {name:?}; its API key is shown only now");
            print_line(&api_key)?;
        }
        Command::Site(SiteCommand::Add { data, name }) => {
            let id = open(&data)?.add_site(&name, now)?;
            eprintln!("added site {id} {name:?}");
            print_line(&id.to_string())?;
        }
        Command::Gate(GateCommand::Add { data, site, name }) => {
            let (id, token) = open(&data)?.add_gate(SiteId(site), &name, now)?;
            eprintln!("added gate {id} {name:?} at site {site}; its enrollment token works once");
            print_line(&token)?;
        }
        Command::Rider(RiderCommand::Add {
            data,
            platform,
            platform_rider_id,
            name,
        }) => {
            let rider = open(&data)?.add_rider(&platform, &platform_rider_id, &name, now)?;
            eprintln!(
                "added rider {} {} of {} (status index {})",
                rider.id, rider.name, rider.platform, rider.status_index
            );
            print_line(rider.id.as_str())?;
        }
        Command::Rider(RiderCommand::Revoke { data, rider }) => {
            open(&data)?.set_rider_status(&rider, RiderStatus::Revoked, now)?;
            eprintln!("revoked rider {rider}; gates deny their codes after their next sync");
        }
        Command::Code {
            data,
            rider,
            site,
            at,
            png,
        } => {
            let at = match at {
                Some(text) => parse_time(&text)?,
                None => now,
            };
            let (pass, text) = open(&data)?.mint(&rider, site.map(SiteId), at)?;
            if let Some(path) = png {
                let qr = qr_image::write_png(&text, &path)?;
                eprintln!(
                    "wrote {} (QR version {}, {}×{} modules, ECC M)",
                    path.display(),
                    qr.version,
                    qr.modules,
                    qr.modules
                );
            }
            eprintln!(
                "code {} for {} {} valid from {} to {}",
                pass.code_id,
                pass.name,
                pass.platform,
                format_time(pass.not_before),
                format_time(pass.expires_at)
            );
            print_line(&text)?;
        }
        Command::Entries { data, json } => print_entries(&open(&data)?, json)?,
    }
    Ok(())
}

fn parse_time(text: &str) -> Result<UnixTime> {
    let t = chrono::DateTime::parse_from_rfc3339(text).with_context(|| {
        format!("--at {text:?} is not an RFC 3339 time such as 2026-01-01T08:00:00+08:00")
    })?;
    Ok(UnixTime(t.timestamp()))
}

fn format_time(t: UnixTime) -> String {
    chrono::DateTime::from_timestamp(t.0, 0).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}

fn serve(dir: &Path, listen: SocketAddr) -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let issuer = Arc::new(
        Issuer::open(dir).with_context(|| format!("opening issuer at {}", dir.display()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("issuer-http")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        tracing::info!(%addr, issuer = issuer.name(), "serving");
        print_line(&format!("http://{addr}"))?;
        http::serve(issuer, listener, shutdown_signal())
            .await
            .context("serving HTTP")
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn print_entries(issuer: &Issuer, json: bool) -> Result<()> {
    let entries = issuer.entries()?;
    let mut out = std::io::stdout().lock();
    if json {
        for stored in &entries {
            let mut value = serde_json::to_value(&stored.entry)?;
            value["received_at"] = serde_json::json!(stored.received_at);
            writeln!(out, "{value}")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:>4}  {:>4}  {:<25}  {:<8}  {:<5}  {:<22}  {:<12}  code",
        "entry", "gate", "site", "recorded at", "method", "", "reason", "rider"
    )?;
    for stored in &entries {
        let e = &stored.entry;
        let at = format_time(e.recorded_at);
        writeln!(
            out,
            "{:<36}  {:>4}  {:>4}  {:<25}  {:<8}  {:<5}  {:<22}  {:<12}  {}",
            e.id,
            e.gate_id,
            e.site_id,
            at,
            e.method.as_str(),
            e.decision.as_str(),
            e.reason.as_deref().unwrap_or("-"),
            e.rider.as_ref().map_or("-", RiderId::as_str),
            e.code_id.as_deref().unwrap_or("-")
        )?;
    }
    eprintln!("{} entries", entries.len());
    Ok(())
}
