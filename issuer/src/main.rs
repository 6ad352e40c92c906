//! `xiaoge-issuer`: the operator's command line and the issuer's HTTP service.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use xiaoge_issuer::model::{
    Actor, Admin, Building, ParkingSpot, RiderComplaint, SiteInput, SiteKind,
};
use xiaoge_issuer::service::{
    DEFAULT_ANNOUNCE_DAYS, DEFAULT_OVERLAP_HOURS, DEFAULT_TOKEN_DAYS, InitOptions,
};
use xiaoge_issuer::{Issuer, http, paging};
use xiaoge_pass::qr_image::{self, QrImage};
use xiaoge_pass::text::Column;
use xiaoge_pass::{RiderId, RiderStatus, SiteId, UnixTime};

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
enum PlatformCommand {
    /// Add a platform; prints its API key (shown only once).
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Display name, as codes show it (such as 美团).
        name: String,
    },
    /// List the platforms.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Make a new API key for a platform (printed, shown only once); its older keys keep
    /// working until the overlap ends, then are refused.
    RotateKey {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        /// Hours the older keys keep working (0 cuts them off now).
        #[arg(long, default_value_t = DEFAULT_OVERLAP_HOURS)]
        overlap_hours: u32,
    },
    /// Revoke every key of a platform at once (a leak), or only --key.
    RevokeKey {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        /// Only the key with this id (from `platform keys`).
        #[arg(long)]
        key: Option<u64>,
    },
    /// List a platform's keys (never the keys themselves).
    Keys {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        #[command(flatten)]
        json: Json,
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
        /// Kind: residential (小区), commercial (商圈), office (楼宇) or campus (园区).
        #[arg(long, default_value = "residential", value_parser = parse_kind)]
        kind: SiteKind,
        /// Street address.
        #[arg(long, default_value = "")]
        address: String,
        /// District, such as 西湖区.
        #[arg(long, default_value = "")]
        district: String,
    },
    /// List the sites.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Show one site with its guide and parking.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        #[command(flatten)]
        json: Json,
    },
    /// Add a building to a site's guide (metres east and north of the main gate).
    Building {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The building's name, such as 3幢.
        #[arg(long)]
        name: String,
        /// Metres east of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        x: f64,
        /// Metres north of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        y: f64,
    },
    /// Add a temporary parking spot to a site.
    Parking {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The spot's name.
        #[arg(long)]
        name: String,
        /// Metres east of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        x: f64,
        /// Metres north of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        y: f64,
        /// Bikes it holds.
        #[arg(long)]
        capacity: u32,
    },
    /// Ban a rider from a site; its gates deny the rider after their next sync.
    Ban {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
        /// Why, in the property's words.
        #[arg(long)]
        reason: String,
    },
    /// Lift a ban.
    Unban {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Record a complaint about a rider's conduct at a site (their platform sees it).
    Complain {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
        /// A short category, such as speeding.
        #[arg(long)]
        category: String,
        /// What happened.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Print a site's place URL (场所码), or with --ndef the NDEF message (hex) that an NFC
    /// tag writer puts on a tag for 碰一碰.
    Url {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// Print the NDEF message for an NFC tag instead, in hex.
        #[arg(long)]
        ndef: bool,
    },
    /// Make a site's printable A4 poster: the QR of its place URL and what riders do with it.
    Poster {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The file to write: .png (150 dpi) or .pdf.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum HelpCommand {
    /// List riders' requests for help (open ones unless --all).
    List {
        #[command(flatten)]
        data: DataDir,
        /// Closed ones too.
        #[arg(long)]
        all: bool,
        /// Only those about this site id.
        #[arg(long)]
        site: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
    /// Close a request for help with what was done about it.
    Close {
        #[command(flatten)]
        data: DataDir,
        /// The request's number.
        id: u64,
        /// What was done.
        #[arg(long)]
        resolution: String,
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
        /// Days the enrollment token works if unused.
        #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
        token_days: u32,
    },
    /// Cut a gate off (a stolen tablet): its signed requests are refused from now on and any
    /// unused enrollment token of it is dead.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The gate id.
        gate: u64,
    },
    /// Replace a gate's tablet: cuts off its current key now and prints a new one-time
    /// enrollment token for the same gate id.
    Replace {
        #[command(flatten)]
        data: DataDir,
        /// The gate id.
        gate: u64,
        /// Days the new enrollment token works if unused.
        #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
        token_days: u32,
    },
    /// List gates, of one site or all.
    List {
        #[command(flatten)]
        data: DataDir,
        /// Only this site's gates.
        #[arg(long)]
        site: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Subcommand)]
enum RiderCommand {
    /// Register a rider; prints the rider's pseudonymous id. Refused once the status list
    /// has no index left (it holds 16,777,216).
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        #[arg(long)]
        platform: String,
        /// The rider's id on the platform (never leaves the issuer).
        #[arg(long)]
        platform_rider_id: String,
        /// Display name; always masked to its first character and **.
        #[arg(long)]
        name: String,
    },
    /// Revoke a rider as the regulator: the next status list denies all their codes. The
    /// platform's roster cannot lift it; only `rider reinstate` does.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Suspend a rider as the regulator until `rider reinstate`; the platform's roster
    /// cannot lift it.
    Suspend {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Lift the regulator's suspension or revocation of a rider. A suspension or revocation
    /// the platform set stays until the platform lifts it.
    Reinstate {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Show a rider: their standing, and the platform's and the regulator's it comes from.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
        #[command(flatten)]
        json: Json,
    },
    /// Make a one-time login link for a rider's phone; prints the URL.
    LoginLink {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
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

#[derive(Subcommand)]
enum SessionCommand {
    /// List the live sessions, of one rider or one admin token, or all.
    List {
        #[command(flatten)]
        data: DataDir,
        /// Only this rider's sessions.
        #[arg(long)]
        rider: Option<RiderId>,
        /// Only the dashboard sessions opened with this admin token id.
        #[arg(long)]
        admin_token: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
    /// End one session by its id (from `session list`), or every session of --rider.
    End {
        #[command(flatten)]
        data: DataDir,
        /// The session id.
        #[arg(required_unless_present = "rider", conflicts_with = "rider")]
        id: Option<String>,
        /// End every session of this rider instead.
        #[arg(long)]
        rider: Option<RiderId>,
    },
}

fn parse_kind(text: &str) -> Result<SiteKind, String> {
    SiteKind::parse(text).ok_or_else(|| {
        format!("{text:?} is not a site kind: residential (小区), commercial (商圈), office (楼宇) or campus (园区)")
    })
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

fn platform(command: PlatformCommand, now: UnixTime) -> Result<()> {
    match command {
        PlatformCommand::Add { data, name } => {
            let (id, api_key) = open(&data)?.add_platform(&name, now)?;
            eprintln!("added platform {id} {name:?}; its API key is shown only now");
            print_line(&api_key)
        }
        PlatformCommand::List { data, json } => {
            let issuer = open(&data)?;
            let platforms = paging::every(|page| issuer.platforms(page))?;
            if json.json {
                return print_json(&platforms);
            }
            for p in platforms {
                print_line(&format!(
                    "{:>4}  {:<12}  {} riders",
                    p.id,
                    Column(&p.name),
                    p.riders
                ))?;
            }
            Ok(())
        }
        PlatformCommand::RotateKey {
            data,
            platform,
            overlap_hours,
        } => {
            let rotated =
                open(&data)?.rotate_platform_key(Actor::Cli, &platform, overlap_hours, now)?;
            eprintln!(
                "platform {} has new key {} (shown only now); its older keys work until {}",
                rotated.platform,
                rotated.key_id,
                format_time(rotated.old_keys_expire_at)
            );
            print_line(&rotated.api_key)
        }
        PlatformCommand::RevokeKey {
            data,
            platform,
            key,
        } => {
            let revoked = open(&data)?.revoke_platform_keys(Actor::Cli, &platform, key, now)?;
            eprintln!(
                "{revoked} key(s) of platform {platform:?} revoked: refused from now on; \
                 `platform rotate-key {platform} --overlap-hours 0` makes a new one"
            );
            Ok(())
        }
        PlatformCommand::Keys {
            data,
            platform,
            json,
        } => {
            let issuer = open(&data)?;
            let keys = paging::every(|page| issuer.platform_keys(&platform, page))?;
            if json.json {
                return print_json(&keys);
            }
            for k in keys {
                let state = match (k.revoked_at, k.expires_at) {
                    (Some(at), _) => format!("revoked {}", format_time(at)),
                    (None, Some(at)) if at <= now => format!("expired {}", format_time(at)),
                    (None, Some(at)) => format!("works until {}", format_time(at)),
                    (None, None) => "current".to_owned(),
                };
                print_line(&format!(
                    "{:>4}  created {}  {state}",
                    k.id,
                    format_time(k.created_at)
                ))?;
            }
            Ok(())
        }
    }
}

fn session(command: SessionCommand, now: UnixTime) -> Result<()> {
    match command {
        SessionCommand::List {
            data,
            rider,
            admin_token,
            json,
        } => {
            let issuer = open(&data)?;
            let sessions =
                paging::every(|page| issuer.live_sessions(rider.as_ref(), admin_token, now, page))?;
            if json.json {
                return print_json(&sessions);
            }
            for s in sessions {
                let who = match (&s.rider, s.admin_token) {
                    (Some(rider), _) => format!("rider {rider}"),
                    (None, Some(token)) => format!("admin token {token}"),
                    (None, None) => "admin (before tokens had ids)".to_owned(),
                };
                print_line(&format!(
                    "{}  {:<22}  {:<12}  opened {}  ends {}",
                    s.id,
                    who,
                    Column(&s.holder),
                    format_time(s.created_at),
                    format_time(s.expires_at)
                ))?;
            }
            Ok(())
        }
        SessionCommand::End { data, id, rider } => {
            let issuer = open(&data)?;
            match (id, rider) {
                (_, Some(rider)) => {
                    let ended = issuer.end_rider_sessions(Actor::Cli, &rider, now)?;
                    eprintln!("{ended} session(s) of rider {rider} ended");
                }
                (Some(id), None) => {
                    issuer.end_session_by_id(Actor::Cli, &id, now)?;
                    eprintln!("session {id} ended");
                }
                (None, None) => anyhow::bail!("give a session id or --rider RIDER"),
            }
            Ok(())
        }
    }
}

fn site(command: SiteCommand, now: UnixTime) -> Result<()> {
    match command {
        SiteCommand::Add {
            data,
            name,
            kind,
            address,
            district,
        } => {
            let input = SiteInput {
                name: name.clone(),
                kind,
                address,
                district,
                buildings: Vec::new(),
                parking: Vec::new(),
            };
            let id = open(&data)?.add_site(&input, now)?;
            eprintln!("added site {id} {name:?} ({})", kind.zh());
            print_line(&id.to_string())
        }
        SiteCommand::List { data, json } => {
            let issuer = open(&data)?;
            let sites = paging::every(|page| issuer.sites(page))?;
            if json.json {
                return print_json(&sites);
            }
            for s in sites {
                print_line(&format!(
                    "{:>4}  {:<10}  {}  {:<6}  {} buildings, {} parking spots",
                    s.id.0,
                    Column(&s.name),
                    s.kind.zh(),
                    Column(&s.district),
                    s.buildings.len(),
                    s.parking.len()
                ))?;
            }
            Ok(())
        }
        SiteCommand::Show { data, site, json } => {
            let s = open(&data)?.site(SiteId(site))?;
            if json.json {
                return print_json(&s);
            }
            print_line(&format!(
                "{} {} ({}) {} {}",
                s.id.0,
                s.name,
                s.kind.zh(),
                s.district,
                s.address
            ))?;
            for b in &s.buildings {
                print_line(&format!(
                    "  building {:<8} at ({}, {}) m",
                    Column(&b.name),
                    b.x,
                    b.y
                ))?;
            }
            for p in &s.parking {
                print_line(&format!(
                    "  parking  {:<8} at ({}, {}) m, {} bikes",
                    Column(&p.name),
                    p.x,
                    p.y,
                    p.capacity
                ))?;
            }
            Ok(())
        }
        SiteCommand::Building {
            data,
            site,
            name,
            x,
            y,
        } => {
            let issuer = open(&data)?;
            let mut input = site_input(&issuer, SiteId(site))?;
            input.buildings.push(Building { name, x, y });
            issuer.update_site(SiteId(site), &input)?;
            eprintln!(
                "site {site} now has {} buildings in its guide",
                input.buildings.len()
            );
            Ok(())
        }
        SiteCommand::Parking {
            data,
            site,
            name,
            x,
            y,
            capacity,
        } => {
            let issuer = open(&data)?;
            let mut input = site_input(&issuer, SiteId(site))?;
            input.parking.push(ParkingSpot {
                name,
                x,
                y,
                capacity,
            });
            issuer.update_site(SiteId(site), &input)?;
            eprintln!("site {site} now has {} parking spots", input.parking.len());
            Ok(())
        }
        SiteCommand::Ban {
            data,
            site,
            rider,
            reason,
        } => {
            open(&data)?.ban(SiteId(site), &rider, &reason, now)?;
            eprintln!(
                "banned {rider} from site {site}; its gates deny the rider after their next sync"
            );
            Ok(())
        }
        SiteCommand::Unban { data, site, rider } => {
            open(&data)?.unban(SiteId(site), &rider)?;
            eprintln!("lifted the ban on {rider} at site {site}");
            Ok(())
        }
        SiteCommand::Complain {
            data,
            site,
            rider,
            category,
            note,
        } => {
            let complaint = RiderComplaint {
                rider,
                category,
                note,
            };
            let id = open(&data)?.complain(SiteId(site), &complaint, now)?;
            eprintln!("complaint {id} recorded");
            Ok(())
        }
        SiteCommand::Url { data, site, ndef } => {
            let url = open(&data)?.place_url(SiteId(site))?;
            if ndef {
                print_line(&hex::encode(xiaoge_issuer::poster::ndef_uri(&url)))
            } else {
                print_line(&url)
            }
        }
        SiteCommand::Poster { data, site, out } => {
            let issuer = open(&data)?;
            let id = SiteId(site);
            let url = issuer.place_url(id)?;
            let name = issuer.site(id)?.name;
            let poster = xiaoge_issuer::poster::Poster {
                site: &name,
                url: &url,
            };
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("png") => xiaoge_issuer::poster::png(&poster)?,
                Some(e) if e.eq_ignore_ascii_case("pdf") => xiaoge_issuer::poster::pdf(&poster)?,
                _ => anyhow::bail!(
                    "{}: the poster file must end in .png or .pdf",
                    out.display()
                ),
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("poster for {name} ({url}) written to {}", out.display());
            Ok(())
        }
    }
}

fn help(command: HelpCommand, now: UnixTime) -> Result<()> {
    match command {
        HelpCommand::List {
            data,
            all,
            site,
            json,
        } => {
            let issuer = open(&data)?;
            let requests =
                paging::every(|page| issuer.help_requests(!all, site.map(SiteId), page))?;
            if json.json {
                return print_json(&requests);
            }
            for r in requests {
                let state = r
                    .resolution
                    .as_deref()
                    .map_or_else(|| "open".to_owned(), |res| format!("closed: {res}"));
                print_line(&format!(
                    "#{} {} {} · {} ({}) {} {:?} [{state}]",
                    r.id,
                    format_time(r.created_at),
                    r.rider_name,
                    r.platform,
                    r.site_name,
                    r.category.as_str(),
                    r.note,
                ))?;
            }
            Ok(())
        }
        HelpCommand::Close {
            data,
            id,
            resolution,
        } => {
            // The operator at the console acts for the regulator.
            let operator = Admin {
                name: "xiaoge-issuer".to_owned(),
                site: None,
            };
            open(&data)?.close_help_request(id, &resolution, &operator, now)?;
            eprintln!("help request {id} closed");
            Ok(())
        }
    }
}

fn site_input(issuer: &Issuer, id: SiteId) -> Result<SiteInput> {
    let s = issuer.site(id)?;
    Ok(SiteInput {
        name: s.name,
        kind: s.kind,
        address: s.address,
        district: s.district,
        buildings: s.buildings,
        parking: s.parking,
    })
}

fn gate(command: GateCommand, now: UnixTime) -> Result<()> {
    match command {
        GateCommand::Add {
            data,
            site,
            name,
            token_days,
        } => {
            let gate =
                open(&data)?.add_gate_by(Actor::Cli, SiteId(site), &name, token_days, now)?;
            eprintln!(
                "added gate {} {name:?} at site {site}; its enrollment token works once, until {}",
                gate.gate_id,
                gate.token_expires_at.map_or_else(String::new, format_time)
            );
            print_line(&gate.token)
        }
        GateCommand::Revoke { data, gate } => {
            open(&data)?.revoke_gate(Actor::Cli, gate, now)?;
            eprintln!(
                "gate {gate} revoked: its requests are refused from now on (gate_revoked); \
                 `gate replace {gate}` gives a new tablet a token for the same gate"
            );
            Ok(())
        }
        GateCommand::Replace {
            data,
            gate,
            token_days,
        } => {
            let replaced = open(&data)?.replace_gate(Actor::Cli, gate, token_days, now)?;
            eprintln!(
                "gate {gate}'s old key is refused from now on; enroll the new tablet with this \
                 token (works once, until {})",
                replaced
                    .token_expires_at
                    .map_or_else(String::new, format_time)
            );
            print_line(&replaced.token)
        }
        GateCommand::List { data, site, json } => {
            let issuer = open(&data)?;
            let gates = paging::every(|page| issuer.gates(site.map(SiteId), page))?;
            if json.json {
                return print_json(&gates);
            }
            for g in gates {
                print_line(&format!(
                    "{:>4}  site {:>4}  {:<8}  {:<20}  enrolled {}  last upload {}",
                    g.id,
                    g.site_id,
                    Column(&g.name),
                    g.state.as_str(),
                    g.enrolled_at.map_or_else(|| "no".to_owned(), format_time),
                    g.last_upload_at
                        .map_or_else(|| "never".to_owned(), format_time)
                ))?;
            }
            Ok(())
        }
    }
}

fn rider(command: RiderCommand, now: UnixTime) -> Result<()> {
    let set = |data: DataDir, rider: RiderId, status: RiderStatus, what: &str| -> Result<()> {
        let row = open(&data)?.set_regulator_status(&rider, status, now)?;
        let info = row.info();
        eprintln!(
            "{what} rider {rider} as the regulator; the platform's standing is {}, so the \
             rider is {}; gates apply it after their next sync",
            info.platform_status.as_str(),
            info.status.as_str()
        );
        Ok(())
    };
    match command {
        RiderCommand::Add {
            data,
            platform,
            platform_rider_id,
            name,
        } => {
            let issuer = open(&data)?;
            let rider = issuer.add_rider(&platform, &platform_rider_id, &name, now)?;
            let usage = issuer.status_list_usage()?;
            eprintln!(
                "added rider {} {} of {} (status index {}; {} of {} indexes left)",
                rider.id,
                rider.name,
                rider.platform,
                rider.status_index,
                usage.left(),
                usage.capacity
            );
            if usage.nearly_full() {
                eprintln!(
                    "warning: the status list is more than 90% used; new riders are refused \
                     once no index is left"
                );
            }
            print_line(rider.id.as_str())
        }
        RiderCommand::Revoke { data, rider } => set(data, rider, RiderStatus::Revoked, "revoked"),
        RiderCommand::Suspend { data, rider } => {
            set(data, rider, RiderStatus::Suspended, "suspended")
        }
        RiderCommand::Reinstate { data, rider } => {
            set(data, rider, RiderStatus::Valid, "reinstated")
        }
        RiderCommand::Show { data, rider, json } => {
            let info = open(&data)?.rider(&rider)?.info();
            if json.json {
                return print_json(&info);
            }
            print_line(&format!(
                "{}  {}  {}  {} (platform: {}, regulator: {})  (platform id {})",
                info.rider_id,
                info.name,
                info.platform,
                info.status.as_str(),
                info.platform_status.as_str(),
                info.regulator_status.as_str(),
                info.platform_rider_id
            ))
        }
        RiderCommand::LoginLink { data, rider } => {
            let link = open(&data)?.login_link_for(&rider, now)?;
            eprintln!("works once, until {}", format_time(link.expires_at));
            print_line(&link.url)
        }
    }
}

fn parse_time(text: &str) -> Result<UnixTime> {
    let t = chrono::DateTime::parse_from_rfc3339(text).with_context(|| {
        format!("--at {text:?} is not an RFC 3339 time such as 2026-01-01T08:00:00+08:00")
    })?;
    Ok(UnixTime(t.timestamp()))
}

fn serve(
    dir: &Path,
    listen: SocketAddr,
    tls: Option<(&Path, &Path)>,
    max_connections: usize,
    edge: http::guesses::Edge,
) -> Result<()> {
    if max_connections == 0 {
        anyhow::bail!("--max-connections 0 would serve nobody; give at least 1");
    }
    // Read before anything listens, so a wrong file fails at once and names itself.
    let tls = tls
        .map(|(cert, key)| http::tls::server_config(cert, key))
        .transpose()?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let limits = http::connections::ConnectionLimits {
        max_connections: fit_open_files(max_connections),
        ..Default::default()
    };
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
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, issuer = issuer.name(), scheme, "serving");
        print_line(&format!("{scheme}://{addr}"))?;
        http::serve(issuer, listener, edge, tls, limits, shutdown_signal()).await;
        Ok(())
    })
}

/// File descriptors the issuer needs besides its connections: the database and its WAL,
/// the listener, the runtime's own.
const SPARE_FILES: u64 = 64;

/// Raises the open-file limit to hold `wanted` connections where the hard limit allows, and
/// otherwise lowers the cap to what fits, saying so: at the limit, accept fails for everyone.
fn fit_open_files(wanted: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let need = u64::try_from(wanted)
        .unwrap_or(u64::MAX)
        .saturating_add(SPARE_FILES);
    let Some(current) = limit.current else {
        return wanted;
    };
    if current >= need {
        return wanted;
    }
    let raised = limit.maximum.map_or(need, |max| max.min(need));
    let mut new = limit;
    new.current = Some(raised);
    let now = if setrlimit(Resource::Nofile, new).is_ok() {
        raised
    } else {
        current
    };
    let fits = usize::try_from(now.saturating_sub(SPARE_FILES))
        .unwrap_or(usize::MAX)
        .clamp(1, wanted);
    if fits < wanted {
        tracing::warn!(
            wanted,
            serving = fits,
            open_file_limit = now,
            "the open-file limit holds fewer connections than --max-connections; raise it (ulimit -n, LimitNOFILE=)"
        );
    }
    fits
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
        let line = format!(
            "{:<36}  {:>4}  {:>4}  {:<25}  {:<8}  {:<5}  {:<22}  {:<12}  {}",
            e.id,
            e.gate_id,
            e.site_id,
            format_time(e.recorded_at),
            e.method.as_str(),
            e.decision.as_str(),
            Column(e.reason.as_deref().unwrap_or("-")),
            e.rider.as_ref().map_or("-", RiderId::as_str),
            e.code_id.as_deref().unwrap_or("-")
        );
        write_line(&mut out, &line)?;
    }
    eprintln!("{} entries", entries.len());
    Ok(())
}

fn print_stats(s: &xiaoge_issuer::service::Stats) -> Result<()> {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    print_line(&format!(
        "sites covered        {} ({} with a building guide: {}, {} with parking: {})",
        s.sites,
        s.with_building_guide,
        pct(s.building_guide_share),
        s.with_parking,
        pct(s.parking_share)
    ))?;
    for t in &s.targets {
        print_line(&format!(
            "target by {}   {} sites ({} reached), guide and parking {}: guide {}, parking {}",
            t.by,
            t.sites,
            pct(t.sites_progress),
            pct(t.guide_and_parking_share),
            if t.building_guide_met {
                "met"
            } else {
                "not met"
            },
            if t.parking_met { "met" } else { "not met" }
        ))?;
    }
    for (kind, n) in &s.sites_by_kind {
        print_line(&format!("  {} {n}", kind.zh()))?;
    }
    for (district, n) in &s.sites_by_district {
        print_line(&format!("  {district} {n}"))?;
    }
    for p in &s.riders_by_platform {
        print_line(&format!(
            "riders  {:<8} {} active, {} suspended, {} revoked",
            Column(&p.platform),
            p.active,
            p.suspended,
            p.revoked
        ))?;
    }
    print_line(&format!(
        "status list  {} of {} indexes used, {} left{}",
        s.status_list.used,
        s.status_list.capacity,
        s.status_list.left(),
        if s.status_list.nearly_full() {
            " — over 90 %: registration stops when it is full"
        } else {
            ""
        }
    ))?;
    for d in s.entries_per_day.iter().filter(|d| d.entries > 0) {
        print_line(&format!(
            "entries {}  {:>6}  denied {}",
            d.day, d.entries, d.denials
        ))?;
    }
    for (reason, n) in &s.denials_by_reason {
        print_line(&format!("denied  {reason:<22} {n}"))?;
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
}
