//! The life simulation (issue 9): weeks in the life of a small city, run in a minute with the
//! real binaries, while a model in this file predicts every verdict.
//!
//! One issuer (`xiaoge-issuer serve`, restarted now and then on the same data directory and
//! port), three platforms, three sites, five gate tablets (one syncing hourly, one every three
//! hours, two nightly, one only every two to six days and once not for nine days or more) and a
//! dozen riders (more join through roster uploads) live through `XIAOGE_LIFE_DAYS` days (28 by
//! default) of simulated time. A seeded schedule brings: weekly key rotations announced 7 days
//! ahead, emergency rotations (`--announce-days 0`, superseding the key announced but not yet
//! signing), key revocations (mostly of the key signing now, which brings a bridging key), bans
//! and unbans, the regulator's revocations, suspensions and reinstatements, the platforms'
//! standing changes (`PUT …/status`) and their nightly and ad hoc roster uploads (`POST
//! /v1/platform/riders`), issuer restarts, one tablet replaced by a new one enrolled at the
//! same site (the old one syncs its backlog first), and late in the run a third platform
//! onboarding 67,000 riders at once (more than the status list's headroom). Riders show codes:
//! fresh ones, expired ones, not-yet-valid ones, codes bound to the gate's site or to another,
//! the same code twice or at a second gate, codes held across a key revocation or an emergency
//! rotation (some dated ahead), new riders past the end of a gate's status list, and codes of
//! revoked or suspended riders (minted with `--drill`, as a phone may hold one from before; now
//! and then the test first checks that the issuer refuses them without it).
//!
//! Time: every short-lived process runs under libfaketime with `FAKETIME` set to the
//! simulated second, frozen (`"2027-01-04 08:00:00"`, no `@`). libfaketime 0.9.10 then
//! returns that same absolute time from `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME` too, so the
//! gate's boot clock moves exactly with its wall clock, and the issuer's signed time carried
//! forward by it agrees with the wall clock at every later scan. The server (preloading the
//! thread-safe `libfaketimeMT.so.1`) reads its time from `FAKETIME_TIMESTAMP_FILE`, re-read on
//! every call (`FAKETIME_NO_CACHE=1`), which the test moves before every step; its monotonic
//! clock stays real (`FAKETIME_DONT_FAKE_MONOTONIC=1`) for tokio's timers. Gates and issuer
//! always agree on the time (every sync checks that the issuer's clock was 0 s off). Data
//! lives in /dev/shm where there is one: SQLite's fsyncs would otherwise take most of the run.
//!
//! The model ([`Sim::predict`]) knows what each gate learnt at its last successful sync (the
//! trust list's keys and windows, every rider's standing, the status list's length, its
//! site's bans) and the codes it accepted, and applies the check order of docs/FORMAT.md:
//! key id known → key window → not yet valid / expired → lists too stale → status index
//! inside the list → standing → bans → site binding → replay. Effective standing is the worse
//! of the platform's and the regulator's: a roster never lifts the regulator's, a
//! reinstatement never lifts the platform's. After every key change `keys list --json` must
//! agree with the model's keys; at the end every gate syncs, every entry a gate showed must be
//! on the issuer exactly once with the decision the gate showed, and the issuer's standing of
//! the regular riders (and a sample of the bulk) must be the model's.
//!
//! Not simulated: clock faults, drift or gate reboots (`faults.rs` has clock faults), network
//! faults, a kiosk and `sync --loop` running beside `verify` on one state directory, the rider
//! page's codes (`/r`, its rate limit), manual entries and guard overrides, help requests,
//! more than one issuer process, and key retirement by age (not visible in any verdict).
//!
//! Replay a run: `XIAOGE_LIFE_SEED=<seed> cargo test -p xiaoge-e2e --test life -- --nocapture`;
//! more seeds: `XIAOGE_LIFE_SEEDS=<n>` (seeds from `XIAOGE_LIFE_SEED` on); longer:
//! `XIAOGE_LIFE_DAYS=<days>`; every command and API call: `XIAOGE_LIFE_TRACE=1`.
//! `XIAOGE_LIFE_KEY_REVOKE=0|1` turns the key revocation drills off or on (see
//! [`KEY_REVOCATION`]). Every mismatch is printed with its step and simulated time, the gate,
//! the rider, what the model expected and what the gate said.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use xiaoge_e2e::{IssuerProcess, Run, bin};

/// libfaketime's preload library (Debian's `faketime` package), for the short-lived processes.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/// Its thread-safe build, for the server: with `FAKETIME_NO_CACHE` the plain one re-reads the
/// timestamp file into a static buffer that another thread may be parsing, and now and then
/// hands out the real time (libfaketime issues #151, #547).
const LIBFAKETIME_MT: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
/// The seed CI runs.
const DEFAULT_SEED: u64 = 9;
/// Simulated days CI runs.
const DEFAULT_DAYS: i64 = 28;
/// The first simulated hour: Monday 2027-01-04 00:00:00 UTC.
const T0: i64 = 1_799_020_800;
/// Whether the schedule revokes keys (`xiaoge-issuer keys revoke`). On by default; turn it
/// off with `XIAOGE_LIFE_KEY_REVOKE=0` for a build without the command.
const KEY_REVOCATION: bool = true;

/// A code's lifetime and the gate's clock skew allowance (docs/FORMAT.md).
const CODE_LIFETIME: i64 = 120;
const CLOCK_SKEW: i64 = 30;
/// The gate's default freshness budget for the status list.
const STALE_AFTER: i64 = 36 * 3600;
const TOO_STALE_AFTER: i64 = 72 * 3600;
/// How much older than the sync a served status list may be (the issuer re-signs it at most
/// every 300 s while no standing changes).
const STATUS_LIST_REUSE: i64 = 300;
/// Scans this close to a freshness boundary are not made: the list's exact age is not known.
const BOUNDARY_MARGIN: i64 = 15 * 60;
/// The end of the signing window of a key with no successor yet.
const OPEN_ENDED: i64 = i64::MAX / 2;
/// How far the issuer's status list reaches past the last index it gave out, before it is
/// rounded up to a multiple of 1024 (`STATUS_LIST_HEADROOM` in issuer/src/service/keys.rs).
const STATUS_LIST_HEADROOM: usize = 65_536;
/// Riders a platform onboards at once, in uploads of at most 10,000 rows: more than the
/// headroom, so that gates which have not synced since know nothing of the newest.
const ONBOARDED: usize = 67_000;

// ---------------------------------------------------------------------------------------------
// A small seeded PRNG (splitmix64): the schedule must replay from its seed alone.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo < hi);
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// An index chosen with these weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        unreachable!()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

// ---------------------------------------------------------------------------------------------
// Time as text.

/// Year, month, day, hour, minute, second of a Unix time, in UTC.
fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// libfaketime's absolute, frozen form: `2027-01-04 08:00:00` (read in `TZ=UTC`).
fn faketime_text(t: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

fn rfc3339(t: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// A simulated time for reports: day number and time of day.
fn stamp(t: i64) -> String {
    let day = (t - T0).div_euclid(86_400);
    let (_, _, _, hh, mm, ss) = civil(t);
    format!("d{day:02} {hh:02}:{mm:02}:{ss:02}")
}

// ---------------------------------------------------------------------------------------------
// The model.

/// A rider's standing, from best to worst: the effective one is the worse of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Active,
    Suspended,
    Revoked,
}

impl Standing {
    const ALL: [Standing; 3] = [Standing::Active, Standing::Suspended, Standing::Revoked];

    fn roster(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Suspended => "suspended",
            Standing::Revoked => "revoked",
        }
    }

    fn denial(self) -> Option<&'static str> {
        match self {
            Standing::Active => None,
            Standing::Suspended => Some("suspended"),
            Standing::Revoked => Some("revoked"),
        }
    }
}

/// A signing key as the model knows it.
#[derive(Clone, Debug)]
struct Key {
    kid: String,
    valid_from: i64,
    valid_until: i64,
    /// When and why it left the trust list early: `superseded` or `revoked`.
    withdrawn: Option<(i64, &'static str)>,
}

#[derive(Clone, Debug)]
struct Rider {
    id: String,
    platform: usize,
    platform_rider_id: String,
    name: String,
    platform_standing: Standing,
    regulator_standing: Standing,
    /// The last time anything about the rider changed, to show them at gates soon after.
    touched: i64,
    /// One of a thousand onboarded at once: shown at gates now and then only.
    bulk: bool,
}

impl Rider {
    fn effective(&self) -> Standing {
        self.platform_standing.max(self.regulator_standing)
    }
}

struct Platform {
    name: String,
    api_key: String,
    prefix: &'static str,
    next_number: usize,
    /// Onboards riders in bulk once, and uploads no routine roster.
    bulk: bool,
}

struct Site {
    id: u64,
}

/// What a gate holds after a successful sync.
#[derive(Clone, Debug)]
struct Snapshot {
    at: i64,
    /// Key id → signing window.
    keys: BTreeMap<String, (i64, i64)>,
    /// Effective standing of every rider registered then, by rider index (which is also the
    /// rider's status index: the issuer gives them out in order).
    standings: Vec<Standing>,
    /// Entries in the status list: the riders then, rounded up to a multiple of 1024.
    list_len: usize,
    /// Banned riders of the gate's site, by rider index.
    bans: BTreeSet<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SyncPlan {
    Hourly,
    EveryHours(i64),
    Nightly(i64),
    /// Every two to six days.
    Lazy,
}

struct Gate {
    name: String,
    site: usize,
    state: String,
    plan: SyncPlan,
    next_lazy_sync: i64,
    snapshot: Snapshot,
    /// Codes this gate accepted (their indices in `Sim::codes`).
    accepted: HashSet<usize>,
    retired: bool,
    /// The step of a failed sync since the last good one: verdicts there are not predictable.
    failed_sync: Option<u64>,
}

/// A code a rider holds.
struct Code {
    text: String,
    id: String,
    rider: usize,
    site: Option<usize>,
    minted: i64,
    kid: String,
}

/// A predicted verdict: `None` allows; `stale` when it can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expect {
    reason: Option<&'static str>,
    stale: Option<bool>,
}

fn verdict_text(reason: Option<&str>) -> String {
    reason.map_or_else(|| "allow".to_owned(), |r| format!("deny:{r}"))
}

// ---------------------------------------------------------------------------------------------
// The simulation of one seed.

#[derive(Default)]
struct Stats {
    steps: u64,
    spawns: u64,
    http_calls: u64,
    scans: BTreeMap<String, u64>,
    /// How codes were shown → verdict → count.
    scan_kinds: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Allowed scans whose stale flag was predicted: (stale, fresh).
    stale_checked: (u64, u64),
    syncs_ok: u64,
    syncs_failed: u64,
    rotations_scheduled: u64,
    rotations_emergency: u64,
    key_revocations: u64,
    bans: u64,
    unbans: u64,
    regulator_changes: u64,
    platform_status_changes: u64,
    roster_uploads: u64,
    riders_joined: u64,
    restarts: u64,
    replacements: u64,
    mints: u64,
    mint_refusals_checked: u64,
    batches_skipped_near_boundary: u64,
}

struct Mismatch {
    step: u64,
    at: i64,
    gate: String,
    rider: String,
    kind: String,
    expected: String,
    actual: String,
    note: String,
}

#[derive(Clone, Copy)]
enum Binary {
    Issuer,
    Gate,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Drill {
    Emergency,
    Revoke,
}

#[derive(Default, Clone)]
struct DayPlan {
    rotation_hour: Option<i64>,
    drill: Option<(i64, Drill)>,
    restart_hour: Option<i64>,
    replacement_hour: Option<i64>,
    /// A platform onboards a thousand riders at once: the status list grows past 1024
    /// entries, and gates that have not synced since know nothing of the newest.
    onboarding_hour: Option<i64>,
}

struct Sim {
    seed: u64,
    days: i64,
    key_revocation: bool,
    /// Print every command and API call (`XIAOGE_LIFE_TRACE=1`).
    trace: bool,
    /// Whether the lazy gate's long outage has begun.
    outage_done: bool,
    rng: Rng,
    issuer_bin: PathBuf,
    gate_bin: PathBuf,
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: String,
    clock_file: PathBuf,
    issuer: Option<IssuerProcess>,
    listen: String,
    url: String,
    agent: ureq::Agent,
    now: i64,
    // The model.
    keys: Vec<Key>,
    riders: Vec<Rider>,
    platforms: Vec<Platform>,
    sites: Vec<Site>,
    bans: BTreeSet<(usize, usize)>,
    gates: Vec<Gate>,
    codes: Vec<Code>,
    /// Riders by kind: the dozens the schedule acts on, and the onboarded bulk.
    regular_riders: Vec<usize>,
    bulk_riders: Vec<usize>,
    /// Every entry a gate printed: id → (gate, decision text).
    entries: BTreeMap<String, (String, String)>,
    // What happened.
    stats: Stats,
    mismatches: Vec<Mismatch>,
    /// Failed syncs, failed operator commands, the issuer disagreeing with the model outside
    /// a verdict: (kind, what happened).
    failures: Vec<(&'static str, String)>,
}

const NAMES: [&str; 24] = [
    "黄小明",
    "李娜",
    "王伟",
    "张敏",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "周婷",
    "吴昊",
    "徐丽",
    "孙浩",
    "马超",
    "朱琳",
    "胡军",
    "郭倩",
    "何勇",
    "高雪",
    "林峰",
    "罗敏",
    "梁宇",
    "宋佳",
    "郑凯",
    "谢芳",
];

impl Sim {
    fn new(seed: u64, days: i64, key_revocation: bool) -> Self {
        // The data lives in memory where it can: SQLite's fsyncs would otherwise cost most of
        // the run.
        let shm = Path::new("/dev/shm");
        let tmp = if shm.is_dir() {
            tempfile::Builder::new()
                .prefix("xiaoge-life-")
                .tempdir_in(shm)
                .unwrap()
        } else {
            tempfile::Builder::new()
                .prefix("xiaoge-life-")
                .tempdir()
                .unwrap()
        };
        let root = tmp.path().to_owned();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        Self {
            seed,
            days,
            key_revocation,
            trace: std::env::var_os("XIAOGE_LIFE_TRACE").is_some_and(|v| v != "0"),
            outage_done: false,
            rng: Rng(seed),
            issuer_bin: bin("xiaoge-issuer"),
            gate_bin: bin("xiaoge-gate"),
            data: root.join("issuer").to_str().unwrap().to_owned(),
            clock_file: root.join("issuer-clock"),
            root,
            _tmp: tmp,
            issuer: None,
            listen: String::new(),
            url: String::new(),
            agent,
            now: T0 - 3600,
            keys: Vec::new(),
            riders: Vec::new(),
            platforms: Vec::new(),
            sites: Vec::new(),
            bans: BTreeSet::new(),
            gates: Vec::new(),
            codes: Vec::new(),
            regular_riders: Vec::new(),
            bulk_riders: Vec::new(),
            entries: BTreeMap::new(),
            stats: Stats::default(),
            mismatches: Vec::new(),
            failures: Vec::new(),
        }
    }

    // --- time and processes ------------------------------------------------------------------

    /// Moves the simulated clock (never back) and the server's with it.
    fn at(&mut self, t: i64) {
        assert!(t >= self.now, "the simulated clock only moves forward");
        self.now = t;
        let next = self.clock_file.with_extension("next");
        std::fs::write(&next, faketime_text(t)).unwrap();
        // A rename, so that the server never reads half a time.
        std::fs::rename(&next, &self.clock_file).unwrap();
    }

    fn fail(&mut self, kind: &'static str, what: String) {
        self.failures.push((kind, what));
    }

    fn step(&mut self) -> u64 {
        self.stats.steps += 1;
        self.stats.steps
    }

    /// Runs a binary at the simulated time, frozen there, boot clock included.
    fn exec(&mut self, which: Binary, args: &[&str], stdin: Option<&str>) -> Run {
        self.stats.spawns += 1;
        let path = match which {
            Binary::Issuer => &self.issuer_bin,
            Binary::Gate => &self.gate_bin,
        };
        let mut command = Command::new(path);
        command
            .args(args)
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", faketime_text(self.now))
            .env("TZ", "UTC")
            .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
            .env_remove("FAKETIME_TIMESTAMP_FILE")
            .env_remove("FAKETIME_NO_CACHE")
            .env_remove("XIAOGE_ISSUER_DATA")
            .env_remove("XIAOGE_GATE_STATE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = match stdin {
            None => command.stdin(Stdio::null()).output(),
            Some(input) => {
                let mut child = command.stdin(Stdio::piped()).spawn().unwrap();
                let mut pipe = child.stdin.take().unwrap();
                pipe.write_all(input.as_bytes()).unwrap();
                drop(pipe);
                child.wait_with_output()
            }
        };
        let run =
            Run::from(output.unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display())));
        if self.trace {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            eprintln!(
                "  [{} {}] {name} {} → {:?} {}",
                self.stats.steps,
                stamp(self.now),
                args.iter()
                    .map(|a| if a.len() > 40 { "…" } else { a })
                    .collect::<Vec<_>>()
                    .join(" "),
                run.code,
                run.stderr.lines().next().unwrap_or_default()
            );
        }
        run
    }

    fn issuer_cli(&mut self, args: &[&str]) -> Run {
        self.exec(Binary::Issuer, args, None)
    }

    /// An operator command that must work; a failure is recorded and `None` returned.
    fn operator(&mut self, args: &[&str]) -> Option<Run> {
        let run = self.issuer_cli(args);
        if run.code == Some(0) {
            Some(run)
        } else {
            let step = self.stats.steps;
            self.fail(
                "operator command",
                format!(
                    "step {step} {}: `xiaoge-issuer {}` failed: {}",
                    stamp(self.now),
                    args.join(" "),
                    run.stderr.trim()
                ),
            );
            None
        }
    }

    fn start_issuer(&mut self) {
        let listen = if self.listen.is_empty() {
            "127.0.0.1:0".to_owned()
        } else {
            self.listen.clone()
        };
        let env: [(&str, &OsStr); 5] = [
            ("LD_PRELOAD", OsStr::new(LIBFAKETIME_MT)),
            ("FAKETIME_TIMESTAMP_FILE", self.clock_file.as_os_str()),
            ("FAKETIME_NO_CACHE", OsStr::new("1")),
            ("FAKETIME_DONT_FAKE_MONOTONIC", OsStr::new("1")),
            ("TZ", OsStr::new("UTC")),
        ];
        let process = IssuerProcess::start_with_env(Path::new(&self.data), &listen, &env);
        if self.url.is_empty() {
            self.url.clone_from(&process.url);
            self.listen = process.addr();
        }
        assert_eq!(process.url, self.url, "the issuer came back on its address");
        self.issuer = Some(process);
    }

    /// Calls the platform API as platform `p`; `None` (and a recorded failure) unless 2xx.
    fn platform_api(&mut self, p: usize, method: &str, path: &str, body: &Value) -> Option<Value> {
        self.stats.http_calls += 1;
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {}", self.platforms[p].api_key);
        let request = match method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        };
        let mut response = request
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        if self.trace {
            eprintln!(
                "  [{} {}] {} {method} {path} {body} → {status}",
                self.stats.steps,
                stamp(self.now),
                self.platforms[p].name
            );
        }
        if (200..300).contains(&status) {
            Some(serde_json::from_str(&text).unwrap())
        } else {
            let step = self.stats.steps;
            self.fail(
                "platform API",
                format!(
                    "step {step} {}: {method} {path} answered {status}: {text}",
                    stamp(self.now)
                ),
            );
            None
        }
    }

    // --- the model's judgements --------------------------------------------------------------

    /// The key the issuer signs with at `at`: of the keys whose window holds it, the newest.
    fn signing_key(&self, at: i64) -> Option<usize> {
        self.keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.withdrawn.is_none() && k.valid_from <= at && at <= k.valid_until)
            .max_by_key(|(_, k)| (k.valid_from, k.kid.clone()))
            .map(|(i, _)| i)
    }

    fn snapshot(&self, site: usize) -> Snapshot {
        Snapshot {
            at: self.now,
            keys: self
                .keys
                .iter()
                .filter(|k| k.withdrawn.is_none())
                .map(|k| (k.kid.clone(), (k.valid_from, k.valid_until)))
                .collect(),
            standings: self.riders.iter().map(Rider::effective).collect(),
            list_len: (self.riders.len() + STATUS_LIST_HEADROOM).div_ceil(1024) * 1024,
            bans: self
                .bans
                .iter()
                .filter(|(s, _)| *s == site)
                .map(|(_, r)| *r)
                .collect(),
        }
    }

    /// Whether the age of the gate's status list is too close to a freshness boundary to
    /// predict a verdict at `t`.
    fn near_too_stale(&self, g: usize, t: i64) -> bool {
        let since = t - self.gates[g].snapshot.at;
        (since - TOO_STALE_AFTER).abs() <= BOUNDARY_MARGIN
    }

    /// The verdict gate `g` must give code `c` at time `t`.
    fn predict(&self, g: usize, c: usize, t: i64) -> Expect {
        let gate = &self.gates[g];
        let snap = &gate.snapshot;
        let code = &self.codes[c];
        let deny = |reason| Expect {
            reason: Some(reason),
            stale: None,
        };
        let Some(&(from, until)) = snap.keys.get(&code.kid) else {
            return deny("unknown_key");
        };
        if !(from <= code.minted && code.minted <= until) {
            return deny("key_not_valid_at_time");
        }
        if t + CLOCK_SKEW < code.minted {
            return deny("not_yet_valid");
        }
        if t - CLOCK_SKEW >= code.minted + CODE_LIFETIME {
            return deny("expired");
        }
        // The status list was signed at most STATUS_LIST_REUSE before the sync.
        let since_sync = t - snap.at;
        if since_sync > TOO_STALE_AFTER {
            return deny("lists_too_stale");
        }
        if code.rider >= snap.list_len {
            return deny("status_unknown");
        }
        // A rider registered since the sync has an index inside the padded list: valid there.
        let standing = snap
            .standings
            .get(code.rider)
            .copied()
            .unwrap_or(Standing::Active);
        if let Some(reason) = standing.denial() {
            return deny(reason);
        }
        if snap.bans.contains(&code.rider) {
            return deny("banned_at_site");
        }
        if code.site.is_some_and(|s| s != gate.site) {
            return deny("wrong_site");
        }
        if gate.accepted.contains(&c) {
            return deny("replayed");
        }
        let stale = if since_sync - STALE_AFTER > BOUNDARY_MARGIN {
            Some(true)
        } else if STALE_AFTER - (since_sync + STATUS_LIST_REUSE) > BOUNDARY_MARGIN {
            Some(false)
        } else {
            None
        };
        Expect {
            reason: None,
            stale,
        }
    }

    fn rider_label(&self, r: usize) -> String {
        let rider = &self.riders[r];
        format!(
            "r{r:02} {} {} (platform {}, regulator {})",
            rider.id,
            self.platforms[rider.platform].name,
            rider.platform_standing.roster(),
            rider.regulator_standing.roster()
        )
    }

    // --- riders' codes -----------------------------------------------------------------------

    /// Mints a code for rider `r`, issued at `at`, bound to `site` if given, as the rider's
    /// phone would hold it. Riders not in good standing only get codes with `--drill`.
    fn mint(&mut self, r: usize, site: Option<usize>, at: i64) -> Option<usize> {
        let step = self.stats.steps;
        let rider = self.riders[r].id.clone();
        let when = rfc3339(at);
        let site_id = site.map(|s| self.sites[s].id.to_string());
        let data = self.data.clone();
        let mut args = vec!["code", "--data", &data, "--rider", &rider, "--at", &when];
        if let Some(site) = &site_id {
            args.extend(["--site", site]);
        }
        let key = self.signing_key(at);
        let standing = self.riders[r].effective();
        self.stats.mints += 1;
        let Some(key) = key else {
            // No key may sign at that time (its signer was revoked): the issuer must refuse.
            args.push("--drill");
            let run = self.issuer_cli(&args);
            if run.code == Some(0) {
                self.fail(
                    "mint",
                    format!(
                        "step {step} {}: the issuer minted a code for {} at {when}, when no \
                     unrevoked key signs then: {}",
                        stamp(self.now),
                        self.rider_label(r),
                        run.stderr.trim()
                    ),
                );
            }
            return None;
        };
        let mut drill = standing != Standing::Active;
        if drill && self.rng.chance(0.25) {
            // The issuer refuses a code to a rider not in good standing.
            self.stats.mint_refusals_checked += 1;
            let run = self.issuer_cli(&args);
            if run.code == Some(0) {
                self.mismatches.push(Mismatch {
                    step,
                    at: self.now,
                    gate: "(issuer)".into(),
                    rider: self.rider_label(r),
                    kind: "mint without --drill".into(),
                    expected: "refused".into(),
                    actual: "minted".into(),
                    note: "the issuer minted a code for a rider not in good standing".into(),
                });
                return Some(self.keep_code(&run, r, site, at, key));
            }
        }
        if drill {
            args.push("--drill");
        }
        let mut run = self.issuer_cli(&args);
        if run.code != Some(0) && !drill {
            self.mismatches.push(Mismatch {
                step,
                at: self.now,
                gate: "(issuer)".into(),
                rider: self.rider_label(r),
                kind: "mint".into(),
                expected: "minted".into(),
                actual: "refused".into(),
                note: run.stderr.trim().to_owned(),
            });
            drill = true;
            args.push("--drill");
            run = self.issuer_cli(&args);
        }
        if run.code != Some(0) {
            self.fail(
                "mint",
                format!(
                    "step {step} {}: `xiaoge-issuer {}` failed (drill {drill}): {}",
                    stamp(self.now),
                    args.join(" "),
                    run.stderr.trim()
                ),
            );
            return None;
        }
        Some(self.keep_code(&run, r, site, at, key))
    }

    fn keep_code(
        &mut self,
        run: &Run,
        r: usize,
        site: Option<usize>,
        at: i64,
        key: usize,
    ) -> usize {
        let id = run
            .stderr
            .split_whitespace()
            .skip_while(|w| *w != "code")
            .nth(1)
            .unwrap_or("?")
            .to_owned();
        self.codes.push(Code {
            text: run.line(),
            id,
            rider: r,
            site,
            minted: at,
            kid: self.keys[key].kid.clone(),
        });
        self.codes.len() - 1
    }

    /// Shows codes at gate `g`, in order, in one `verify --stdin` process, and checks every
    /// verdict against the model.
    fn scan(&mut self, g: usize, shown: &[(usize, &'static str)]) {
        if shown.is_empty() {
            return;
        }
        let step = self.step();
        let input: String = shown
            .iter()
            .map(|(c, _)| format!("{}\n", self.codes[*c].text))
            .collect();
        let state = self.gates[g].state.clone();
        let run = self.exec(
            Binary::Gate,
            &["verify", "--state", &state, "--stdin", "--json"],
            Some(&input),
        );
        let lines: Vec<Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if run.code != Some(0) || lines.len() != shown.len() {
            self.fail(
                "verify",
                format!(
                    "step {step} {}: verify at {} printed {} verdicts for {} codes (exit {:?}): {}",
                    stamp(self.now),
                    self.gates[g].name,
                    lines.len(),
                    shown.len(),
                    run.code,
                    run.stderr.trim()
                ),
            );
            return;
        }
        for ((c, kind), verdict) in shown.iter().zip(&lines) {
            let expect = self.predict(g, *c, self.now);
            if expect.reason.is_none() {
                self.gates[g].accepted.insert(*c);
            }
            let reason = verdict["reason"].as_str();
            let allowed = verdict["verdict"] == "allow";
            let actual = if allowed { None } else { reason };
            let actual_text = if allowed || reason.is_some() {
                verdict_text(actual)
            } else {
                format!("{}?", verdict["verdict"])
            };
            *self.stats.scans.entry(actual_text.clone()).or_default() += 1;
            *self
                .stats
                .scan_kinds
                .entry(kind)
                .or_default()
                .entry(actual_text.clone())
                .or_default() += 1;
            match expect.stale {
                Some(true) if expect.reason.is_none() => self.stats.stale_checked.0 += 1,
                Some(false) if expect.reason.is_none() => self.stats.stale_checked.1 += 1,
                _ => {}
            }
            let entry = verdict["entry_id"].as_str().unwrap_or_default().to_owned();
            let gate_name = self.gates[g].name.clone();
            if self
                .entries
                .insert(entry.clone(), (gate_name.clone(), actual_text.clone()))
                .is_some()
            {
                self.fail(
                    "entries",
                    format!("step {step}: entry id {entry} printed twice"),
                );
            }
            let stale_wrong = allowed
                && expect
                    .stale
                    .is_some_and(|s| Some(s) != verdict["stale"].as_bool());
            // Past the signature the verdict names the rider and the code: the ones shown.
            let code = &self.codes[*c];
            let named_wrong = (verdict["rider"].is_object()
                && verdict["rider"]["id"] != self.riders[code.rider].id.as_str())
                || (verdict["code_id"].is_string() && verdict["code_id"] != code.id.as_str());
            if actual_text != verdict_text(expect.reason) || stale_wrong || named_wrong {
                let code = &self.codes[*c];
                let mut note = format!(
                    "code {} minted {} by key {}{}; gate synced {}",
                    code.id,
                    stamp(code.minted),
                    code.kid,
                    code.site
                        .map(|s| format!(" for site {}", self.sites[s].id))
                        .unwrap_or_default(),
                    stamp(self.gates[g].snapshot.at)
                );
                if named_wrong {
                    let _ = write!(
                        note,
                        "; the verdict names rider {} and code {}",
                        verdict["rider"]["id"], verdict["code_id"]
                    );
                }
                if stale_wrong {
                    let _ = write!(
                        note,
                        "; stale flag {} expected {:?}",
                        verdict["stale"], expect.stale
                    );
                }
                if let Some(detail) = verdict["detail"].as_str() {
                    let _ = write!(note, "; detail: {detail}");
                }
                if let Some(failed) = self.gates[g].failed_sync {
                    let _ = write!(note, "; NB the gate's sync at step {failed} failed");
                }
                self.mismatches.push(Mismatch {
                    step,
                    at: self.now,
                    gate: gate_name,
                    rider: self.rider_label(code.rider),
                    kind: (*kind).to_owned(),
                    expected: verdict_text(expect.reason),
                    actual: actual_text,
                    note,
                });
            }
        }
    }

    // --- gates -------------------------------------------------------------------------------

    fn sync(&mut self, g: usize) {
        let step = self.step();
        let state = self.gates[g].state.clone();
        let run = self.exec(Binary::Gate, &["sync", "--state", &state, "--json"], None);
        if run.code == Some(0) {
            self.stats.syncs_ok += 1;
            // Issuer and gate read the same simulated second.
            let offset = run.json()["report"]["clock_offset"].as_i64();
            if offset != Some(0) {
                self.fail("clock", format!(
                    "step {step} {}: gate {} synced with the issuer's clock {offset:?} s off (a \
                     harness fault: both should read the simulated time)",
                    stamp(self.now),
                    self.gates[g].name,
                ));
            }
            let site = self.gates[g].site;
            self.gates[g].snapshot = self.snapshot(site);
            self.gates[g].failed_sync = None;
        } else {
            self.stats.syncs_failed += 1;
            self.gates[g].failed_sync = Some(step);
            self.fail(
                "sync",
                format!(
                    "step {step} {}: sync of gate {} failed: {}",
                    stamp(self.now),
                    self.gates[g].name,
                    run.stderr.trim()
                ),
            );
        }
    }

    /// Adds a gate at `site` and enrolls a fresh tablet for it (enrollment syncs).
    fn add_gate(&mut self, site: usize, name: &str, plan: SyncPlan) -> bool {
        let step = self.step();
        let data = self.data.clone();
        let site_id = self.sites[site].id.to_string();
        let token = self
            .operator(&[
                "gate", "add", "--data", &data, "--site", &site_id, "--name", name,
            ])
            .expect("a gate can be added")
            .line();
        self.at(self.now + 5);
        let state = self
            .root
            .join(format!("gate-{}", self.gates.len()))
            .to_str()
            .unwrap()
            .to_owned();
        let url = self.url.clone();
        let run = self.exec(
            Binary::Gate,
            &[
                "enroll", "--state", &state, "--issuer", &url, "--token", &token,
            ],
            None,
        );
        if run.code != Some(0) {
            self.fail(
                "enrollment",
                format!(
                    "step {step} {}: enrolling {name} failed: {}",
                    stamp(self.now),
                    run.stderr.trim()
                ),
            );
            return false;
        }
        self.stats.syncs_ok += 1;
        let first_lazy = self.now + self.rng.range(2 * 24, 6 * 24) * 3600;
        self.gates.push(Gate {
            name: name.to_owned(),
            site,
            state,
            plan,
            next_lazy_sync: first_lazy,
            snapshot: self.snapshot(site),
            accepted: HashSet::new(),
            retired: false,
            failed_sync: None,
        });
        true
    }

    fn active_gates(&self) -> Vec<usize> {
        (0..self.gates.len())
            .filter(|&g| !self.gates[g].retired)
            .collect()
    }

    fn sync_due(&mut self, g: usize, hour: i64, t: i64) -> bool {
        let gate = &self.gates[g];
        match gate.plan {
            SyncPlan::Hourly => true,
            SyncPlan::EveryHours(n) => hour % n == 0,
            SyncPlan::Nightly(h) => hour % 24 == h,
            SyncPlan::Lazy => {
                if t >= gate.next_lazy_sync {
                    // Once in the run the tablet is left off its network for nine days or
                    // more: it misses a weekly rotation's announcement.
                    let days = if self.outage_done || (t - T0) < 6 * 86_400 {
                        self.rng.range(2 * 24, 6 * 24)
                    } else {
                        self.outage_done = true;
                        self.rng.range(9 * 24, 11 * 24)
                    };
                    let next = t + days * 3600;
                    self.gates[g].next_lazy_sync = next;
                    true
                } else {
                    false
                }
            }
        }
    }

    // --- the issuer's side -------------------------------------------------------------------

    /// Compares `keys list --json` with the model's keys. `new_key` adopts one key the model
    /// has not seen, expected to sign in that window (the key a revocation makes).
    fn check_keys(&mut self, what: &str, new_key: Option<(i64, i64)>) {
        let data = self.data.clone();
        let Some(run) = self.operator(&["keys", "list", "--data", &data, "--json"]) else {
            return;
        };
        let listed: Vec<Value> = run.json().as_array().cloned().unwrap_or_default();
        let step = self.stats.steps;
        let mut problems = Vec::new();
        let mut unknown: Vec<&Value> = listed
            .iter()
            .filter(|v| !self.keys.iter().any(|k| v["kid"] == k.kid.as_str()))
            .collect();
        if let Some((valid_from, valid_until)) = new_key {
            if unknown.len() == 1 {
                let v = unknown.remove(0);
                self.keys.push(Key {
                    kid: v["kid"].as_str().unwrap().to_owned(),
                    valid_from,
                    valid_until,
                    withdrawn: None,
                });
            } else {
                problems.push(format!(
                    "expected exactly one new key, found {}",
                    unknown.len()
                ));
            }
        }
        for v in unknown {
            problems.push(format!("a key the model does not know: {v}"));
        }
        let signing = self.signing_key(self.now);
        for (i, k) in self.keys.iter().enumerate() {
            let Some(v) = listed.iter().find(|v| v["kid"] == k.kid.as_str()) else {
                if k.withdrawn.is_none() {
                    problems.push(format!("key {} is not listed", k.kid));
                }
                continue;
            };
            let state = v["state"].as_str().unwrap_or("?");
            if let Some((_, why)) = k.withdrawn {
                if state != why {
                    problems.push(format!("key {} is {state}, the model says {why}", k.kid));
                }
                continue;
            }
            let until = v["valid_until"].as_i64().unwrap_or(OPEN_ENDED);
            if v["valid_from"].as_i64() != Some(k.valid_from) || until != k.valid_until {
                problems.push(format!(
                    "key {} signs {}..{} by the issuer, {}..{} by the model",
                    k.kid,
                    v["valid_from"],
                    v["valid_until"],
                    k.valid_from,
                    if k.valid_until == OPEN_ENDED {
                        "open".to_owned()
                    } else {
                        k.valid_until.to_string()
                    }
                ));
            }
            if Some(i) == signing && state != "signing" {
                problems.push(format!("key {} should be signing, is {state}", k.kid));
            }
        }
        for p in problems {
            self.fail(
                "keys list",
                format!(
                    "step {step} {}: after {what}, keys list: {p}",
                    stamp(self.now)
                ),
            );
        }
    }

    /// `keys rotate --announce-days N`: a new key signing from now + N days; older keys stop
    /// then; keys announced to start later than that are superseded.
    fn rotate(&mut self, announce_days: i64) {
        self.step();
        let data = self.data.clone();
        let days = announce_days.to_string();
        let Some(run) =
            self.operator(&["keys", "rotate", "--data", &data, "--announce-days", &days])
        else {
            return;
        };
        let starts = self.now + announce_days * 86_400;
        let now = self.now;
        for k in self.keys.iter_mut().filter(|k| k.withdrawn.is_none()) {
            if k.valid_from >= starts {
                k.withdrawn = Some((now, "superseded"));
            } else {
                k.valid_until = k.valid_until.min(starts);
            }
        }
        self.keys.push(Key {
            kid: run.line(),
            valid_from: starts,
            valid_until: OPEN_ENDED,
            withdrawn: None,
        });
        if announce_days == 0 {
            self.stats.rotations_emergency += 1;
        } else {
            self.stats.rotations_scheduled += 1;
        }
        self.check_keys(
            &format!("keys rotate --announce-days {announce_days}"),
            None,
        );
    }

    /// `keys revoke KID`: the key leaves the trust list at once; if it was signing, a new key
    /// signs from now until the next announced key starts (open-ended if none is).
    fn revoke_key(&mut self, k: usize) {
        self.step();
        let data = self.data.clone();
        let kid = self.keys[k].kid.clone();
        if self
            .operator(&["keys", "revoke", "--data", &data, &kid])
            .is_none()
        {
            return;
        }
        let now = self.now;
        let was_signing = self.signing_key(now) == Some(k);
        self.keys[k].withdrawn = Some((now, "revoked"));
        let next_start = self
            .keys
            .iter()
            .filter(|k| k.withdrawn.is_none() && k.valid_from > now)
            .map(|k| k.valid_from)
            .min();
        let bridge = (now, next_start.map_or(OPEN_ENDED, |n| n - 1));
        self.stats.key_revocations += 1;
        self.check_keys(&format!("keys revoke {kid}"), was_signing.then_some(bridge));
    }

    /// Riders worth showing at a gate: not in good standing, banned somewhere, or changed in
    /// the last two days.
    fn interesting_riders(&self) -> Vec<usize> {
        let banned: HashSet<usize> = self.bans.iter().map(|(_, r)| *r).collect();
        self.regular_riders
            .iter()
            .copied()
            .filter(|&r| {
                let rider = &self.riders[r];
                rider.effective() != Standing::Active
                    || banned.contains(&r)
                    || self.now - rider.touched < 2 * 86_400
            })
            .collect()
    }

    /// A rider to show at a gate or to act on: often one with something going on, seldom
    /// one of the bulk.
    fn any_rider(&mut self) -> usize {
        let interesting = self.interesting_riders();
        if !interesting.is_empty() && self.rng.chance(0.3) {
            return interesting[self.rng.below(interesting.len())];
        }
        if !self.bulk_riders.is_empty() && self.rng.chance(0.05) {
            return self.bulk_riders[self.rng.below(self.bulk_riders.len())];
        }
        self.regular_riders[self.rng.below(self.regular_riders.len())]
    }

    /// The platforms with a routine roster.
    fn roster_platforms(&self) -> Vec<usize> {
        (0..self.platforms.len())
            .filter(|&p| !self.platforms[p].bulk)
            .collect()
    }

    fn add_rider(&mut self, rider: Rider) {
        if rider.bulk {
            self.bulk_riders.push(self.riders.len());
        } else {
            self.regular_riders.push(self.riders.len());
        }
        self.riders.push(rider);
    }

    /// The regular riders in good standing.
    fn active_riders(&self) -> Vec<usize> {
        self.regular_riders
            .iter()
            .copied()
            .filter(|&r| self.riders[r].effective() == Standing::Active)
            .collect()
    }

    /// A platform uploads its whole roster with the standings it keeps, sometimes changing
    /// one and sometimes adding a new rider.
    fn roster_upload(&mut self, p: usize, change: bool, join: usize) {
        self.step();
        let mut rows: Vec<(usize, String, String, Standing)> = (0..self.riders.len())
            .filter(|&r| self.riders[r].platform == p)
            .map(|r| {
                let rider = &self.riders[r];
                (
                    r,
                    rider.platform_rider_id.clone(),
                    rider.name.clone(),
                    rider.platform_standing,
                )
            })
            .collect();
        if change && !rows.is_empty() {
            let i = self.rng.below(rows.len());
            rows[i].3 = Standing::ALL[self.rng.weighted(&[5, 3, 2])];
        }
        for _ in 0..join {
            let platform = &mut self.platforms[p];
            platform.next_number += 1;
            let prid = format!("{}-{:03}", platform.prefix, platform.next_number);
            let name = NAMES[self.rng.below(NAMES.len())].to_owned();
            rows.push((usize::MAX, prid, name, Standing::Active));
        }
        let body = json!({
            "riders": rows.iter().map(|(_, prid, name, s)| json!({
                "platform_rider_id": prid, "name": name, "status": s.roster(),
            })).collect::<Vec<_>>()
        });
        let Some(answer) = self.platform_api(p, "POST", "/v1/platform/riders", &body) else {
            return;
        };
        self.stats.roster_uploads += 1;
        let results = answer["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(results.len(), rows.len(), "one result per roster row");
        for ((r, prid, name, standing), result) in rows.into_iter().zip(results) {
            assert_eq!(result["platform_rider_id"], prid.as_str());
            if r == usize::MAX {
                // The issuer gives out status indexes in order: the model's index is the
                // rider's status index.
                self.stats.riders_joined += 1;
                self.add_rider(Rider {
                    id: result["rider_id"].as_str().unwrap().to_owned(),
                    platform: p,
                    platform_rider_id: prid,
                    name,
                    platform_standing: standing,
                    regulator_standing: Standing::Active,
                    touched: self.now,
                    bulk: false,
                });
            } else {
                let rider = &mut self.riders[r];
                assert_eq!(result["rider_id"], rider.id.as_str());
                if rider.platform_standing != standing {
                    rider.touched = self.now;
                }
                rider.platform_standing = standing;
            }
        }
    }

    /// One operator, platform or property action, chosen at random.
    fn admin_action(&mut self) {
        let data = self.data.clone();
        let has_bans = !self.bans.is_empty();
        let reinstatable: Vec<usize> = (0..self.riders.len())
            .filter(|&r| self.riders[r].regulator_standing != Standing::Active)
            .collect();
        let weights = [
            14,
            if has_bans { 10 } else { 0 },
            4,
            6,
            if reinstatable.is_empty() { 0 } else { 12 },
            14,
            4,
            3,
        ];
        match self.rng.weighted(&weights) {
            0 => {
                // A property bans a rider.
                let s = self.rng.below(self.sites.len());
                let r = self.any_rider();
                if self.bans.contains(&(s, r)) {
                    return;
                }
                self.step();
                let (site, rider) = (self.sites[s].id.to_string(), self.riders[r].id.clone());
                if self
                    .operator(&[
                        "site",
                        "ban",
                        "--data",
                        &data,
                        &site,
                        &rider,
                        "--reason",
                        "超速逆行",
                    ])
                    .is_some()
                {
                    self.bans.insert((s, r));
                    self.riders[r].touched = self.now;
                    self.stats.bans += 1;
                }
            }
            1 => {
                let bans: Vec<(usize, usize)> = self.bans.iter().copied().collect();
                let (s, r) = self.rng.pick(&bans).unwrap();
                self.step();
                let (site, rider) = (self.sites[s].id.to_string(), self.riders[r].id.clone());
                if self
                    .operator(&["site", "unban", "--data", &data, &site, &rider])
                    .is_some()
                {
                    self.bans.remove(&(s, r));
                    self.riders[r].touched = self.now;
                    self.stats.unbans += 1;
                }
            }
            choice @ 2..=4 => {
                // The regulator revokes, suspends or reinstates.
                let (command, standing, r) = match choice {
                    2 => ("revoke", Standing::Revoked, self.any_rider()),
                    3 => ("suspend", Standing::Suspended, self.any_rider()),
                    _ => (
                        "reinstate",
                        Standing::Active,
                        self.rng.pick(&reinstatable).unwrap(),
                    ),
                };
                self.step();
                let rider = self.riders[r].id.clone();
                if self
                    .operator(&["rider", command, "--data", &data, &rider])
                    .is_some()
                {
                    self.riders[r].regulator_standing = standing;
                    self.riders[r].touched = self.now;
                    self.stats.regulator_changes += 1;
                }
            }
            5 => {
                // A platform changes one rider's standing.
                let r = self.any_rider();
                let current = self.riders[r].platform_standing;
                let standing = if current == Standing::Active {
                    Standing::ALL[1 + self.rng.below(2)]
                } else {
                    Standing::ALL[self.rng.weighted(&[6, 2, 2])]
                };
                self.step();
                let p = self.riders[r].platform;
                let path = format!(
                    "/v1/platform/riders/{}/status",
                    self.riders[r].platform_rider_id
                );
                let answer =
                    self.platform_api(p, "PUT", &path, &json!({ "status": standing.roster() }));
                if answer.is_some() {
                    self.riders[r].platform_standing = standing;
                    self.riders[r].touched = self.now;
                    self.stats.platform_status_changes += 1;
                }
            }
            6 => {
                let p = self.rng.pick(&self.roster_platforms()).unwrap();
                self.roster_upload(p, true, 0);
            }
            _ => {
                let p = self.rng.pick(&self.roster_platforms()).unwrap();
                self.roster_upload(p, false, 1);
            }
        }
    }

    fn restart_issuer(&mut self) {
        self.step();
        self.issuer.take().expect("the issuer runs").stop();
        self.start_issuer();
        self.stats.restarts += 1;
    }

    /// A tablet is replaced: the old one syncs its backlog and is retired; a new gate is added
    /// at the same site and a fresh tablet enrolled for it.
    fn replace_tablet(&mut self) {
        let candidates: Vec<usize> = self
            .active_gates()
            .into_iter()
            .filter(|&g| self.gates[g].plan != SyncPlan::Lazy)
            .collect();
        let old = self.rng.pick(&candidates).expect("a gate to replace");
        self.sync(old);
        self.gates[old].retired = true;
        let (site, plan) = (self.gates[old].site, self.gates[old].plan);
        let name = format!("{}·新", self.gates[old].name);
        self.at(self.now + 10);
        if self.add_gate(site, &name, plan) {
            self.stats.replacements += 1;
        } else {
            // The old tablet stays in service.
            self.gates[old].retired = false;
        }
    }

    // --- scans -------------------------------------------------------------------------------

    /// A round of riders arriving at one to three gates, twenty seconds apart.
    fn scan_round(&mut self) {
        let mut gates = self.active_gates();
        let n = 1 + self.rng.weighted(&[6, 3, 1]);
        let mut carried: Vec<usize> = Vec::new();
        for j in 0..n.min(gates.len()) {
            let g = gates.remove(self.rng.below(gates.len()));
            if j > 0 {
                self.at(self.now + 20);
            }
            if self.near_too_stale(g, self.now) {
                self.stats.batches_skipped_near_boundary += 1;
                continue;
            }
            let mut shown: Vec<(usize, &'static str)> = Vec::new();
            // A code just shown at another gate of the round (another entrance).
            if let Some(&c) = carried.last()
                && self.rng.chance(0.3)
            {
                shown.push((c, "carried"));
            }
            for _ in 0..self.rng.range(1, 5) {
                if !shown.is_empty() && self.rng.chance(0.12) {
                    // Mostly a code that was likely let in, so that the replay is what is
                    // refused.
                    let likely: Vec<usize> = shown
                        .iter()
                        .map(|(c, _)| *c)
                        .filter(|&c| {
                            let code = &self.codes[c];
                            self.riders[code.rider].effective() == Standing::Active
                                && (self.now - code.minted) < 100
                                && code.minted <= self.now
                        })
                        .collect();
                    let c = if !likely.is_empty() && self.rng.chance(0.8) {
                        likely[self.rng.below(likely.len())]
                    } else {
                        shown[self.rng.below(shown.len())].0
                    };
                    shown.push((c, "same code again"));
                    continue;
                }
                let r = self.any_rider();
                let own = self.gates[g].site;
                let other = (own + 1 + self.rng.below(self.sites.len() - 1)) % self.sites.len();
                let now = self.now;
                let (kind, site, at) = match self.rng.weighted(&[55, 10, 8, 12, 4]) {
                    0 => ("fresh", None, now - self.rng.range(0, 60)),
                    1 => ("bound here", Some(own), now - self.rng.range(0, 60)),
                    2 => ("bound elsewhere", Some(other), now - self.rng.range(0, 60)),
                    3 => ("expired", None, now - self.rng.range(160, 1200)),
                    _ => ("not yet valid", None, now + self.rng.range(45, 100)),
                };
                if let Some(c) = self.mint(r, site, at) {
                    shown.push((c, kind));
                    carried.push(c);
                }
            }
            self.scan(g, &shown);
        }
    }

    /// A platform onboards [`ONBOARDED`] riders at once, and some go to work at once: at gates
    /// that have not synced since, a rider whose status index lies inside the list they hold
    /// (it reaches [`STATUS_LIST_HEADROOM`] past the last index) passes, one past its end is
    /// `status_unknown`.
    fn onboarding(&mut self) {
        self.step();
        let before = self.riders.len();
        let p = self.platforms.iter().position(|p| p.bulk).unwrap();
        let end_of_lists = (before + STATUS_LIST_HEADROOM).div_ceil(1024) * 1024;
        let numbers: Vec<usize> = (1..=ONBOARDED).collect();
        for chunk in numbers.chunks(10_000) {
            self.at(self.now + 2);
            let prefix = self.platforms[p].prefix;
            let rows: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    json!({
                        "platform_rider_id": format!("{prefix}-{i:05}"),
                        "name": NAMES[i % NAMES.len()],
                        "status": "active",
                    })
                })
                .collect();
            let Some(answer) =
                self.platform_api(p, "POST", "/v1/platform/riders", &json!({ "riders": rows }))
            else {
                return;
            };
            self.stats.roster_uploads += 1;
            for (row, result) in rows.iter().zip(answer["results"].as_array().unwrap()) {
                self.stats.riders_joined += 1;
                self.add_rider(Rider {
                    id: result["rider_id"].as_str().unwrap().to_owned(),
                    platform: p,
                    platform_rider_id: row["platform_rider_id"].as_str().unwrap().to_owned(),
                    name: row["name"].as_str().unwrap().to_owned(),
                    platform_standing: Standing::Active,
                    regulator_standing: Standing::Active,
                    touched: self.now,
                    bulk: true,
                });
            }
        }
        let inside: Vec<usize> = (before..end_of_lists.min(self.riders.len())).collect();
        let past: Vec<usize> = (end_of_lists..self.riders.len()).collect();
        self.at(self.now + 60);
        for g in self.active_gates() {
            self.at(self.now + 5);
            if self.near_too_stale(g, self.now) {
                self.stats.batches_skipped_near_boundary += 1;
                continue;
            }
            let mut shown = Vec::new();
            for (riders, kind) in [(&inside, "new rider"), (&past, "new rider past the list")] {
                if let Some(r) = self.rng.pick(riders)
                    && let Some(c) = self.mint(r, None, self.now)
                {
                    shown.push((c, kind));
                }
            }
            self.scan(g, &shown);
        }
    }

    /// Riders hold fresh codes when a key is revoked or an emergency rotation happens; some
    /// gates sync at once, the others do not; then the held codes and new ones are shown at
    /// every gate while the held ones are still valid.
    fn key_drill(&mut self, drill: Drill) {
        let t0 = self.now;
        let mut holders = self.active_riders();
        let mut held = Vec::new();
        for _ in 0..2 {
            if holders.is_empty() {
                break;
            }
            let r = holders.remove(self.rng.below(holders.len()));
            if let Some(c) = self.mint(r, None, t0) {
                held.push((c, "held"));
            }
        }
        // A code dated a little ahead, signed by the key that was to sign then.
        if let Some(r) = self.rng.pick(&holders)
            && let Some(c) = self.mint(r, None, t0 + 130)
        {
            held.push((c, "held, dated ahead"));
        }
        self.at(t0 + 20);
        match drill {
            Drill::Emergency => self.rotate(0),
            Drill::Revoke => {
                let signing = self.signing_key(self.now);
                // Mostly the key signing now (compromised); sometimes one still retiring.
                let retiring: Vec<usize> = (0..self.keys.len())
                    .filter(|&k| {
                        let key = &self.keys[k];
                        key.withdrawn.is_none() && key.valid_until < self.now
                    })
                    .collect();
                let target = if !retiring.is_empty() && self.rng.chance(0.25) {
                    self.rng.pick(&retiring)
                } else {
                    signing
                };
                if let Some(k) = target {
                    self.revoke_key(k);
                }
            }
        }
        self.at(t0 + 40);
        for g in self.active_gates() {
            if self.rng.chance(0.5) {
                self.at(self.now + 3);
                self.sync(g);
            }
        }
        self.at(t0 + 75);
        for g in self.active_gates() {
            self.at(self.now + 4);
            if self.near_too_stale(g, self.now) {
                self.stats.batches_skipped_near_boundary += 1;
                continue;
            }
            let mut shown = held.clone();
            if let Some(r) = self.rng.pick(&self.active_riders())
                && let Some(c) = self.mint(r, None, self.now)
            {
                shown.push((c, "fresh after key change"));
            }
            self.scan(g, &shown);
        }
    }

    // --- the life ----------------------------------------------------------------------------

    fn setup(&mut self) {
        let data = self.data.clone();
        self.at(T0 - 3600);
        self.step();
        self.operator(&["init", "--data", &data, "--name", "xg-hz"])
            .expect("init");
        let listed = self.operator(&["keys", "list", "--data", &data, "--json"]);
        let first = listed.expect("keys list").json()[0].clone();
        self.keys.push(Key {
            kid: first["kid"].as_str().unwrap().to_owned(),
            valid_from: T0 - 3600 - 86_400,
            valid_until: OPEN_ENDED,
            withdrawn: None,
        });
        for (name, prefix, bulk) in [
            ("美团", "mt", false),
            ("饿了么", "elm", false),
            ("闪送", "ss", true),
        ] {
            self.at(self.now + 10);
            let api_key = self
                .operator(&["platform", "add", "--data", &data, name])
                .expect("platform add")
                .line();
            self.platforms.push(Platform {
                name: name.to_owned(),
                api_key,
                prefix,
                next_number: 0,
                bulk,
            });
        }
        for name in ["翠苑一区", "西溪花园", "滨江商圈"] {
            self.at(self.now + 10);
            let id = self
                .operator(&["site", "add", "--data", &data, "--name", name])
                .expect("site add")
                .line()
                .parse()
                .unwrap();
            self.sites.push(Site { id });
        }
        self.at(self.now + 60);
        self.start_issuer();
        for p in self.roster_platforms() {
            self.at(self.now + 10);
            // The first roster: six riders each, all active.
            let platform = &mut self.platforms[p];
            platform.next_number = 6;
            let prefix = platform.prefix;
            let rows: Vec<Value> = (1..=6)
                .map(|i| {
                    json!({
                        "platform_rider_id": format!("{prefix}-{i:03}"),
                        "name": NAMES[(p * 6 + i) % NAMES.len()],
                        "status": "active",
                    })
                })
                .collect();
            let answer = self
                .platform_api(p, "POST", "/v1/platform/riders", &json!({ "riders": rows }))
                .expect("the first roster is accepted");
            for (row, result) in rows.iter().zip(answer["results"].as_array().unwrap()) {
                self.add_rider(Rider {
                    id: result["rider_id"].as_str().unwrap().to_owned(),
                    platform: p,
                    platform_rider_id: row["platform_rider_id"].as_str().unwrap().to_owned(),
                    name: row["name"].as_str().unwrap().to_owned(),
                    platform_standing: Standing::Active,
                    regulator_standing: Standing::Active,
                    touched: self.now,
                    bulk: false,
                });
            }
        }
        let gates = [
            (0, "东门", SyncPlan::Hourly),
            (0, "西门", SyncPlan::Nightly(2)),
            (1, "北门", SyncPlan::EveryHours(3)),
            (1, "南门", SyncPlan::Lazy),
            (2, "正门", SyncPlan::Nightly(3)),
        ];
        for (site, name, plan) in gates {
            self.at(self.now + 30);
            assert!(self.add_gate(site, name, plan), "{:?}", self.failures);
        }
    }

    fn plan_days(&mut self) -> Vec<DayPlan> {
        let days = self.days;
        let mut plans = vec![DayPlan::default(); usize::try_from(days).unwrap()];
        let plan = |d: i64| usize::try_from(d).unwrap();
        // Weekly rotation from the second day on, at a working hour.
        let mut d = 1;
        while d < days {
            plans[plan(d)].rotation_hour = Some(self.rng.range(9, 18));
            d += 7;
        }
        // An emergency rotation and a key revocation in each fortnight of the run (in each
        // half of a shorter one, in the whole of one under 8 days), each on a day of its own.
        let halves = (days / 14).max(if days >= 8 { 2 } else { 1 });
        let windows: Vec<(i64, i64)> = (0..halves)
            .map(|i| {
                (
                    (i * days / halves).max(if days >= 8 { 2 } else { 1 }),
                    (i + 1) * days / halves,
                )
            })
            .collect();
        for (lo, hi) in windows {
            for drill in [Drill::Emergency, Drill::Revoke] {
                for _ in 0..20 {
                    let p = &mut plans[plan(self.rng.range(lo, hi))];
                    if p.drill.is_none() {
                        p.drill = Some((self.rng.range(9, 19), drill));
                        break;
                    }
                }
            }
        }
        for p in &mut plans {
            if self.rng.chance(0.2) {
                p.restart_hour = Some(self.rng.range(0, 24));
            }
        }
        let forced = self.rng.range(1, days.max(2));
        plans[plan(forced.min(days - 1))]
            .restart_hour
            .get_or_insert(self.rng.range(0, 24));
        plans[plan(days / 2)].replacement_hour = Some(self.rng.range(9, 17));
        // Late in the run: every status list signed after it holds 67,000 more entries.
        plans[plan((days - 4).max(1))].onboarding_hour = Some(self.rng.range(9, 17));
        plans
    }

    fn hour(&mut self, h: i64, plans: &[DayPlan]) {
        let t = T0 + h * 3600;
        let hod = h % 24;
        let day = plans[usize::try_from(h / 24).unwrap()].clone();
        // Scheduled syncs, a few seconds apart.
        for g in self.active_gates() {
            if self.sync_due(g, h, t) {
                self.at(t + 30 + 7 * i64::try_from(g).unwrap());
                self.sync(g);
            }
        }
        if day.restart_hour == Some(hod) {
            self.at(t + 300);
            self.restart_issuer();
        }
        if day.replacement_hour == Some(hod) {
            self.at(t + 330);
            self.replace_tablet();
        }
        if day.onboarding_hour == Some(hod) {
            self.at(t + 400);
            self.onboarding();
        }
        // The platforms' nightly roster uploads, with what they believe of their riders.
        if hod == 3 {
            for p in self.roster_platforms() {
                self.at(t + 600 + 600 * i64::try_from(p).unwrap());
                let change = self.rng.chance(0.3);
                let join = usize::from(self.rng.chance(0.1));
                self.roster_upload(p, change, join);
            }
        }
        // Operators, platforms and properties at work.
        if (8..=21).contains(&hod) {
            let n = self.rng.weighted(&[65, 28, 7]);
            let mut times: Vec<i64> = (0..n).map(|_| t + self.rng.range(600, 1200)).collect();
            times.sort_unstable();
            for when in times {
                self.at(when.max(self.now + 1));
                self.admin_action();
            }
        }
        if day.rotation_hour == Some(hod) {
            self.at(t + 1260);
            self.rotate(7);
        }
        if let Some((hour, drill)) = day.drill
            && hour == hod
            && (drill == Drill::Emergency || self.key_revocation)
        {
            self.at(t + 1320);
            self.key_drill(drill);
        }
        // Riders arrive.
        if (7..=22).contains(&hod) && self.rng.chance(0.35) {
            let when = t + self.rng.range(1500, 3000);
            self.at(when);
            self.scan_round();
        }
    }

    fn finish(&mut self) {
        let end = T0 + self.days * 86_400;
        self.at(end + 60);
        for g in self.active_gates() {
            self.at(self.now + 5);
            self.sync(g);
            let state = self.gates[g].state.clone();
            let status = self.exec(Binary::Gate, &["status", "--state", &state, "--json"], None);
            let pending = status.json()["pending_entries"].as_u64();
            if pending != Some(0) {
                self.fail(
                    "entries",
                    format!(
                        "gate {} still has {pending:?} entries to upload after its last sync",
                        self.gates[g].name
                    ),
                );
            }
        }
        self.at(self.now + 60);
        let data = self.data.clone();
        // The issuer's idea of every rider's standing, against the model's (a sample of the
        // bulk).
        let mut checked = self.regular_riders.clone();
        let bulk = self.bulk_riders.len();
        checked.extend((0..bulk).step_by(bulk / 8 + 1).map(|i| self.bulk_riders[i]));
        checked.extend(self.bulk_riders.last());
        for r in checked {
            let id = self.riders[r].id.clone();
            let Some(run) = self.operator(&["rider", "show", "--data", &data, &id, "--json"])
            else {
                continue;
            };
            let status = run.json()["status"].as_str().unwrap_or("?").to_owned();
            if status != self.riders[r].effective().roster() {
                self.fail(
                    "standing",
                    format!(
                        "at the end the issuer has rider {} as {status}",
                        self.rider_label(r)
                    ),
                );
            }
        }
        let run = self
            .operator(&["entries", "--data", &data, "--json"])
            .expect("entries");
        let mut at_issuer: HashMap<String, usize> = HashMap::new();
        for line in run.stdout.lines() {
            let entry: Value = serde_json::from_str(line).unwrap();
            let id = entry["id"].as_str().unwrap().to_owned();
            *at_issuer.entry(id.clone()).or_default() += 1;
            let decision = match (entry["decision"].as_str(), entry["reason"].as_str()) {
                (Some("allow"), _) => "allow".to_owned(),
                (_, reason) => verdict_text(Some(reason.unwrap_or("?"))),
            };
            match self.entries.get(&id) {
                None => self.fail(
                    "entries",
                    format!("entry {id} at the issuer was never shown at a gate"),
                ),
                Some((gate, shown)) if *shown != decision => self.fail(
                    "entries",
                    format!("entry {id} of gate {gate}: shown {shown}, the issuer has {decision}"),
                ),
                Some(_) => {}
            }
        }
        for (id, n) in &at_issuer {
            if *n != 1 {
                self.fail("entries", format!("entry {id} is at the issuer {n} times"));
            }
        }
        let missing = self
            .entries
            .keys()
            .filter(|id| !at_issuer.contains_key(*id))
            .count();
        if missing > 0 {
            self.fail(
                "entries",
                format!(
                    "{missing} of {} entries shown at gates never reached the issuer",
                    self.entries.len()
                ),
            );
        }
        self.issuer.take().expect("the issuer runs").stop();
    }

    fn run(&mut self) {
        self.setup();
        let plans = self.plan_days();
        for h in 0..self.days * 24 {
            self.hour(h, &plans);
        }
        self.finish();
    }

    fn report(&self, elapsed: Duration) -> String {
        let s = &self.stats;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "life: seed {} — {} days, {} steps, {} processes, {} platform API calls, {:.1} s",
            self.seed,
            self.days,
            s.steps,
            s.spawns,
            s.http_calls,
            elapsed.as_secs_f64()
        );
        let scans: u64 = s.scans.values().sum();
        let _ = writeln!(
            out,
            "  scans {scans}: {}",
            s.scans
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (kind, verdicts) in &s.scan_kinds {
            let _ = writeln!(
                out,
                "    {kind}: {}",
                verdicts
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(
            out,
            "  stale flag checked on {} allows marked stale and {} fresh",
            s.stale_checked.0, s.stale_checked.1
        );
        let _ = writeln!(
            out,
            "  syncs {} ok, {} failed; rotations {} scheduled, {} emergency; {} key revocations{}",
            s.syncs_ok,
            s.syncs_failed,
            s.rotations_scheduled,
            s.rotations_emergency,
            s.key_revocations,
            if self.key_revocation {
                ""
            } else {
                " (key revocation switched off)"
            }
        );
        let _ = writeln!(
            out,
            "  bans {}, unbans {}, regulator changes {}, platform standing changes {}, roster \
             uploads {} ({} riders joined, {} riders in all)",
            s.bans,
            s.unbans,
            s.regulator_changes,
            s.platform_status_changes,
            s.roster_uploads,
            s.riders_joined,
            self.riders.len()
        );
        let _ = writeln!(
            out,
            "  issuer restarts {}, tablets replaced {}, codes minted {} ({} refusals checked), \
             batches skipped near the 72 h boundary {}",
            s.restarts,
            s.replacements,
            s.mints,
            s.mint_refusals_checked,
            s.batches_skipped_near_boundary
        );
        let false_allows = self
            .mismatches
            .iter()
            .filter(|m| m.actual == "allow" && m.expected != "allow")
            .count();
        let wrong_denials = self
            .mismatches
            .iter()
            .filter(|m| m.expected == "allow" && m.actual != "allow")
            .count();
        let _ = writeln!(
            out,
            "  mismatches {} ({false_allows} false allows, {wrong_denials} wrong denials, {} \
             other), other failures {}, entries shown {}",
            self.mismatches.len(),
            self.mismatches.len() - false_allows - wrong_denials,
            self.failures.len(),
            self.entries.len()
        );
        if !self.mismatches.is_empty() {
            let _ = writeln!(
                out,
                "  {:>5}  {:<11}  {:<10}  {:<26}  {:<22}  {:<26}  rider; note",
                "step", "time", "gate", "shown as", "expected", "actual"
            );
            for m in &self.mismatches {
                let _ = writeln!(
                    out,
                    "  {:>5}  {:<11}  {:<10}  {:<26}  {:<22}  {:<26}  {}; {}",
                    m.step,
                    stamp(m.at),
                    m.gate,
                    m.kind,
                    m.expected,
                    m.actual,
                    m.rider,
                    m.note
                );
            }
        }
        // Failures by kind: how many, and the first few of each.
        let mut kinds: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for (kind, what) in &self.failures {
            kinds.entry(kind).or_default().push(what);
        }
        for (kind, all) in kinds {
            let _ = writeln!(out, "  FAILURES ({kind}): {}", all.len());
            for what in all.iter().take(8) {
                let _ = writeln!(out, "    {what}");
            }
            if all.len() > 8 {
                let _ = writeln!(
                    out,
                    "    … and {} more (XIAOGE_LIFE_TRACE=1 shows every command)",
                    all.len() - 8
                );
            }
        }
        out
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

#[test]
fn weeks_of_life_verdicts_match_the_model() {
    for library in [LIBFAKETIME, LIBFAKETIME_MT] {
        assert!(
            Path::new(library).exists(),
            "{library} is missing: apt-get install faketime (.ci/run does)"
        );
    }
    let first = env_number("XIAOGE_LIFE_SEED").unwrap_or(DEFAULT_SEED);
    let seeds = env_number("XIAOGE_LIFE_SEEDS").unwrap_or(1).max(1);
    let days = env_number("XIAOGE_LIFE_DAYS").map_or(DEFAULT_DAYS, |d| i64::try_from(d).unwrap());
    assert!(days >= 2, "XIAOGE_LIFE_DAYS must be at least 2");
    let key_revocation = env_number("XIAOGE_LIFE_KEY_REVOKE").map_or(KEY_REVOCATION, |v| v != 0);
    let mut failed = Vec::new();
    for seed in first..first + seeds {
        eprintln!(
            "life: seed {seed}, {days} days from {} (replay: XIAOGE_LIFE_SEED={seed} \
             XIAOGE_LIFE_DAYS={days}), key revocation {}",
            faketime_text(T0),
            if key_revocation { "on" } else { "off" }
        );
        let started = Instant::now();
        let mut sim = Sim::new(seed, days, key_revocation);
        sim.run();
        let report = sim.report(started.elapsed());
        eprint!("{report}");
        if !sim.mismatches.is_empty() || !sim.failures.is_empty() {
            failed.push(seed);
        }
    }
    assert!(
        failed.is_empty(),
        "the life simulation disagreed with its model for seeds {failed:?} (tables above)"
    );
}
