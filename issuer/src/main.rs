//! `xiaoge-issuer`: the operator's command line and the issuer's HTTP service.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use xiaoge_issuer::model::Actor;
use xiaoge_issuer::service::{DEFAULT_ANNOUNCE_DAYS, InitOptions};
use xiaoge_issuer::{Issuer, http, paging};
use xiaoge_pass::qr_image::{self, QrImage};
use xiaoge_pass::text::Column;
use xiaoge_pass::{RiderId, SiteId, UnixTime};

mod cli;

use cli::gate::{GateCommand, gate};
use cli::help::{HelpCommand, help};
use cli::platform::{PlatformCommand, platform};
use cli::report::{print_entries, print_stats};
use cli::rider::{RiderCommand, rider};
use cli::serve::serve;
use cli::session::{SessionCommand, session};
use cli::site::{SiteCommand, site};

/// The Xiaoge Pass (小哥码) issuer: registry, signing keys, lists and the HTTP API.
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

/// Print JSON instead of text.
#[derive(Args)]
struct Json {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
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
        /// Serve HTTPS with this PEM certificate chain (leaf first), for a deployment without
        /// a TLS reverse proxy; needs --tls-key.
        #[arg(long, value_name = "CERT.pem", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Connections held at once; one more is answered 503 and closed. The open-file
        /// limit is raised to fit it where the system allows, or the cap is lowered to fit.
        #[arg(long, default_value_t = http::connections::ConnectionLimits::default().max_connections)]
        max_connections: usize,
        /// A reverse proxy in front (repeatable): requests from it are counted, for the
        /// throttle on unknown secrets, against the last X-Forwarded-For address it appends.
        #[arg(long, value_name = "IP")]
        trusted_proxy: Vec<std::net::IpAddr>,
    },
    /// Delivery platforms.
    #[command(subcommand)]
    Platform(PlatformCommand),
    /// Sites (小区, 商圈, 楼宇, 园区), their guides, parking, bans and complaints.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Gates and their enrollment.
    #[command(subcommand)]
    Gate(GateCommand),
    /// Riders.
    #[command(subcommand)]
    Rider(RiderCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Tokens for the admin HTTP API and the dashboard (/admin).
    #[command(subcommand)]
    AdminToken(AdminTokenCommand),
    /// Riders' requests for help about sites (投诉求助).
    #[command(subcommand)]
    HelpRequest(HelpCommand),
    /// Sessions: riders' phone pages and dashboard logins; list them, end them.
    #[command(subcommand)]
    Session(SessionCommand),
    /// The audit log: who handed out or cut off which credential, and when.
    Audit {
        #[command(flatten)]
        data: DataDir,
        /// Only actions at or after this RFC 3339 time (such as 2026-12-01T00:00:00+08:00).
        #[arg(long)]
        since: Option<String>,
        #[command(flatten)]
        json: Json,
    },
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
        /// For drills: sign even if the rider is revoked or suspended, to check that gates
        /// refuse the code.
        #[arg(long)]
        drill: bool,
    },
    /// List the entries gates have synced (JSON: one object per line).
    Entries {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// The regulator's figures: coverage against the province's targets, riders, entries.
    Stats {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Seed a believable demo city (creating the issuer if the directory is new).
    Demo {
        #[command(flatten)]
        data: DataDir,
        /// Riders to register across the platforms.
        #[arg(long, default_value_t = 3000)]
        riders: usize,
        /// Days of gate traffic to log, ending now.
        #[arg(long, default_value_t = 14)]
        history_days: i64,
        /// Add the demo city even to an issuer that already holds sites or platforms.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new signing key, announced now and signing after the announce period; older
    /// keys stop signing then and leave the trust list once their codes have expired. With
    /// --announce-days 0 (an emergency rotation) it signs at once and supersedes any key
    /// announced for later; gates that have not synced since refuse its codes until they do.
    Rotate {
        #[command(flatten)]
        data: DataDir,
        /// Days between announcing the key and its first signature.
        #[arg(long, default_value_t = DEFAULT_ANNOUNCE_DAYS)]
        announce_days: i64,
    },
    /// Revoke a compromised signing key: it leaves the trust list at once and gates refuse
    /// every code it signed from their next sync. If it was signing, a new key signs from now.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The key id (16 hex digits, as `keys list` prints it).
        kid: String,
    },
    /// List the signing keys and where each is in its life.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Subcommand)]
enum AdminTokenCommand {
    /// Make an admin token; prints it (shown only once). Without --site it is the
    /// regulator's (the admin API and the whole dashboard); with --site it is that site's
    /// property's, which opens only the site's help requests on the dashboard.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Who or what the token is for.
        #[arg(long)]
        name: String,
        /// The site id of a property's token.
        #[arg(long)]
        site: Option<u64>,
    },
    /// List the admin tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Revoke an admin token; its dashboard sessions end with it.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The token's id (from `admin-token list`).
        id: u64,
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
    write_line(&mut std::io::stdout().lock(), line)
}

/// Writes one line of output with its control and format characters escaped: lines carry
/// text that platforms, riders and gates wrote, and a terminal escape sequence in it must
/// not reach the operator's terminal.
fn write_line(out: &mut impl Write, line: &str) -> Result<()> {
    writeln!(out, "{}", xiaoge_pass::text::escape_unprintable(line)).context("writing to stdout")
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    // Not through `write_line`: JSON escapes control characters itself (as \u001b), and a
    // `\u{…}` inside a JSON string would make it unreadable.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(value)?).context("writing to stdout")
}

/// Writes `text` as a QR code PNG at `path`.
fn write_png(text: &str, path: &Path) -> Result<QrImage> {
    let qr = qr_image::render(text)?;
    qr.image
        .save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(qr)
}

fn format_time(t: UnixTime) -> String {
    chrono::DateTime::from_timestamp(t.0, 0).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}

fn run(cli: Cli) -> Result<()> {
    let now = http::now();
    match cli.command {
        Command::Init {
            data,
            name,
            public_url,
        } => {
            let issuer = Issuer::init(&data.data, &InitOptions { name, public_url }, now)?;
            eprintln!(
                "initialised issuer {:?} in {}; root key fingerprint {}",
                issuer.name(),
                data.data.display(),
                issuer.root_fingerprint()
            );
        }
        Command::Serve {
            data,
            listen,
            tls_cert,
            tls_key,
            max_connections,
            trusted_proxy,
        } => {
            let tls = tls_cert.zip(tls_key);
            serve(
                &data.data,
                listen,
                tls.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
                max_connections,
                http::guesses::Edge {
                    trusted_proxies: trusted_proxy,
                },
            )?;
        }
        Command::Platform(command) => platform(command, now)?,
        Command::Site(command) => site(command, now)?,
        Command::HelpRequest(command) => help(command, now)?,
        Command::Gate(command) => gate(command, now)?,
        Command::Rider(command) => rider(command, now)?,
        Command::Keys(KeysCommand::Rotate {
            data,
            announce_days,
        }) => {
            let key = open(&data)?.rotate_keys(announce_days, now)?;
            eprintln!(
                "key {} announced now; it signs from {}, when older keys stop",
                key.kid,
                format_time(key.valid_from)
            );
            print_line(&key.kid)?;
        }
        Command::Keys(KeysCommand::List { data, json }) => {
            let keys = open(&data)?.keys(now)?;
            if json.json {
                return print_json(&keys);
            }
            for k in keys {
                let until = k
                    .valid_until
                    .map_or_else(|| "until rotated".to_owned(), format_time);
                print_line(&format!(
                    "{}  {:<10}  signs {} – {}",
                    k.kid,
                    k.state.as_str(),
                    format_time(k.valid_from),
                    until
                ))?;
            }
        }
        Command::Keys(KeysCommand::Revoke { data, kid }) => {
            let done = open(&data)?.revoke_key(&kid, now)?;
            eprintln!(
                "key {} revoked: it is out of the trust list now, and gates refuse what it \
                 signed from their next sync",
                done.revoked.kid
            );
            if let Some(new) = &done.replacement {
                eprintln!(
                    "it was signing, so key {} signs from now on; gates learn it at their next \
                     sync (until then they refuse its codes as unknown_key: sync them now)",
                    new.kid
                );
            }
            print_line(&done.revoked.kid)?;
        }
        Command::AdminToken(AdminTokenCommand::Add { data, name, site }) => {
            let (id, token) =
                open(&data)?.insert_admin_token(Actor::Cli, &name, site.map(SiteId), now)?;
            eprintln!("admin token {id} {name:?} created; it is shown only now");
            print_line(&token)?;
        }
        Command::AdminToken(AdminTokenCommand::List { data, json }) => {
            let issuer = open(&data)?;
            let tokens = paging::every(|page| issuer.admin_tokens(page))?;
            if json.json {
                return print_json(&tokens);
            }
            for t in tokens {
                print_line(&format!(
                    "{:>4}  {:<16}  {:<10}  created {}  {}",
                    t.id,
                    Column(&t.name),
                    t.site
                        .map_or_else(|| "regulator".to_owned(), |s| format!("site {s}")),
                    format_time(t.created_at),
                    t.revoked_at.map_or_else(
                        || "live".to_owned(),
                        |at| format!("revoked {}", format_time(at))
                    )
                ))?;
            }
        }
        Command::AdminToken(AdminTokenCommand::Revoke { data, id }) => {
            let sessions = open(&data)?.revoke_admin_token(Actor::Cli, id, now)?;
            eprintln!(
                "admin token {id} revoked: refused from now on; {sessions} dashboard session(s) \
                 ended with it"
            );
        }
        Command::Session(command) => session(command, now)?,
        Command::Audit { data, since, json } => {
            let since = since
                .as_deref()
                .map(|text| {
                    chrono::DateTime::parse_from_rfc3339(text)
                        .map(|t| UnixTime(t.timestamp()))
                        .with_context(|| {
                            format!(
                                "--since {text:?} is not an RFC 3339 time such as \
                                 2026-12-01T00:00:00+08:00"
                            )
                        })
                })
                .transpose()?;
            let issuer = open(&data)?;
            let since = since.unwrap_or(UnixTime(0));
            let log = paging::every(|page| issuer.audit_log(since, page))?;
            if json.json {
                return print_json(&log);
            }
            for a in log {
                print_line(&format!(
                    "{}  {:<16}  {:<20}  {:<22}  {}",
                    format_time(a.at),
                    Column(&a.actor),
                    a.action,
                    Column(&a.target),
                    a.detail
                ))?;
            }
        }
        Command::Code {
            data,
            rider,
            site,
            at,
            png,
            drill,
        } => {
            let at = match at {
                Some(text) => parse_time(&text)?,
                None => now,
            };
            let issuer = open(&data)?;
            let (pass, text) = if drill {
                issuer.mint_drill(&rider, site.map(SiteId), at)?
            } else {
                issuer.mint(&rider, site.map(SiteId), at)?
            };
            if let Some(path) = png {
                let qr = write_png(&text, &path)?;
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
        Command::Entries { data, json } => print_entries(&open(&data)?, json.json)?,
        Command::Stats { data, json } => {
            let stats = open(&data)?.stats(now)?;
            if json.json {
                return print_json(&stats);
            }
            print_stats(&stats)?;
        }
        Command::Demo {
            data,
            riders,
            history_days,
            force,
        } => {
            let issuer = if data.data.join(xiaoge_issuer::service::DB_FILE).exists() {
                let issuer = open(&data)?;
                if !force {
                    issuer.check_empty_for_demo()?;
                }
                issuer
            } else {
                Issuer::init(
                    &data.data,
                    &InitOptions {
                        name: "xg-hz".into(),
                        ..InitOptions::default()
                    },
                    now,
                )?
            };
            let city = issuer.seed_demo_city(riders, history_days, now)?;
            eprintln!(
                "demo city in {}: {} sites, {} gates, {} riders, {} entries over {history_days} days",
                data.data.display(),
                city.sites,
                city.gates,
                city.riders,
                city.entries
            );
            print_json(&city)?;
        }
    }
    Ok(())
}

fn parse_time(text: &str) -> Result<UnixTime> {
    let t = chrono::DateTime::parse_from_rfc3339(text).with_context(|| {
        format!("--at {text:?} is not an RFC 3339 time such as 2026-01-01T08:00:00+08:00")
    })?;
    Ok(UnixTime(t.timestamp()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
