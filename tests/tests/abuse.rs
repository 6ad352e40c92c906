//! One bad caller must not hurt everyone (issue 10): with a demo city of 92 days' traffic
//! behind a real `xiaoge-issuer serve`, a gate's sync and a rider's code are timed alone, then
//! again while hundreds of idle sockets sit on the server, a platform pulls 92-day conduct
//! reports back to back, and riders flood help requests. The abuse runs for a fixed time and
//! stops by itself; the figures are printed (`--nocapture`) as ratios to the quiet run.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use xiaoge_e2e::{IssuerProcess, ok};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Idle sockets the abuser keeps open (reopening those the server closes).
const IDLE_SOCKETS: usize = 600;
/// Threads pulling conduct reports back to back: more than the platform's store permits.
const REPORT_THREADS: usize = 6;
/// Threads filing help requests back to back.
const HELP_THREADS: usize = 3;
/// Riders whose codes are timed, per phase; each fetches within its rate-limit burst.
const RIDERS_PER_PHASE: usize = 8;
const CODES_PER_RIDER: usize = 3;
const SYNCS_PER_PHASE: usize = 5;
/// The slowdown the gate's sync and the rider's code may suffer under the abuse, as a ratio
/// of medians (measured 3.3-4.2x for the sync and 1.5-2.1x for the code on 2 busy cores); a
/// starved caller (the bug: 2 ms became 21.7 s) is thousands of times slower.
const MAX_RATIO: f64 = 12.0;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The demo city, a gate enrolled at its first site, and what the callers need.
struct City {
    _tmp: tempfile::TempDir,
    data: std::path::PathBuf,
    gate: std::path::PathBuf,
    issuer: IssuerProcess,
    platform_key: String,
    site: String,
}

impl City {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("issuer");
        let d = s(&data);
        ok(
            "xiaoge-issuer",
            &[
                "demo",
                "--data",
                d,
                "--riders",
                "1500",
                "--history-days",
                "92",
            ],
        );
        let platform_key = ok(
            "xiaoge-issuer",
            &["platform", "rotate-key", "--data", d, "美团"],
        )
        .line();
        let site = "1".to_owned();
        let token = ok(
            "xiaoge-issuer",
            &[
                "gate",
                "add",
                "--data",
                d,
                "--site",
                &site,
                "--name",
                "测试门",
            ],
        )
        .line();
        let issuer = IssuerProcess::start(&data, "127.0.0.1:0");
        let gate = tmp.path().join("gate");
        ok(
            "xiaoge-gate",
            &[
                "enroll",
                "--state",
                s(&gate),
                "--issuer",
                &issuer.url,
                "--token",
                &token,
            ],
        );
        Self {
            _tmp: tmp,
            data,
            gate,
            issuer,
            platform_key,
            site,
        }
    }

    /// A new rider's session cookie (`name=value`), through a login link as a phone gets it.
    fn session(&self, n: usize) -> String {
        let d = s(&self.data);
        let rider = ok(
            "xiaoge-issuer",
            &[
                "rider",
                "add",
                "--data",
                d,
                "--platform",
                "美团",
                "--platform-rider-id",
                &format!("abuse-{n}"),
                "--name",
                "测试骑手",
            ],
        )
        .line();
        let link = ok(
            "xiaoge-issuer",
            &["rider", "login-link", "--data", d, &rider],
        )
        .line();
        let token = link
            .split("token=")
            .nth(1)
            .expect("a login link carries token=");
        let answer = agent()
            .post(format!("{}/v1/rider/session", self.issuer.url))
            .header("content-type", "application/json")
            .send(serde_json::json!({ "token": token }).to_string())
            .unwrap();
        assert_eq!(answer.status(), 200, "session for rider {n}");
        let cookie = answer.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// How long the gate's sync takes, as the tablet runs it (a process).
    fn time_syncs(&self) -> Vec<Duration> {
        (0..SYNCS_PER_PHASE)
            .map(|_| {
                let started = Instant::now();
                ok("xiaoge-gate", &["sync", "--state", s(&self.gate)]);
                started.elapsed()
            })
            .collect()
    }

    /// How long a rider's code takes to fetch, for `sessions`.
    fn time_codes(&self, sessions: &[String]) -> Vec<Duration> {
        let agent = agent();
        let mut samples = Vec::new();
        for cookie in sessions {
            for _ in 0..CODES_PER_RIDER {
                let started = Instant::now();
                let answer = agent
                    .get(format!("{}/v1/rider/code", self.issuer.url))
                    .header("cookie", cookie)
                    .call()
                    .unwrap();
                samples.push(started.elapsed());
                assert_eq!(answer.status(), 200, "a rider's code under abuse");
            }
        }
        samples
    }
}

/// The abuse, running on its own threads until `stop`; counts what each kind did.
struct Abuse {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    reports: Arc<AtomicU64>,
    help_refused: Arc<AtomicU64>,
    help_filed: Arc<AtomicU64>,
    sockets_opened: Arc<AtomicU64>,
}

impl Abuse {
    fn start(city: &City, flooders: Vec<String>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (reports, help_refused, help_filed, sockets_opened) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let mut threads = Vec::new();
        {
            let (stop, opened, addr) = (
                Arc::clone(&stop),
                Arc::clone(&sockets_opened),
                city.issuer.addr(),
            );
            threads.push(std::thread::spawn(move || {
                let mut idle: Vec<TcpStream> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    // Sockets the server closed read as EOF; replace them.
                    idle.retain(|tcp| {
                        let mut probe = [0u8; 1];
                        tcp.set_nonblocking(true).unwrap();
                        matches!(tcp.peek(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
                    });
                    while idle.len() < IDLE_SOCKETS {
                        match TcpStream::connect(&addr) {
                            Ok(tcp) => {
                                opened.fetch_add(1, Ordering::Relaxed);
                                idle.push(tcp);
                            }
                            Err(_) => break,
                        }
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }));
        }
        for _ in 0..REPORT_THREADS {
            let (stop, count) = (Arc::clone(&stop), Arc::clone(&reports));
            let url = format!(
                "{}/v1/platform/conduct?from={}&to={}",
                city.issuer.url,
                days_ago(91),
                days_ago(0)
            );
            let auth = format!("Bearer {}", city.platform_key);
            threads.push(std::thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) {
                    let answer = agent
                        .get(&url)
                        .header("authorization", &auth)
                        .call()
                        .unwrap();
                    assert_eq!(answer.status(), 200, "the report itself is served");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for (n, cookie) in flooders.into_iter().enumerate().take(HELP_THREADS) {
            let (stop, refused, filed) = (
                Arc::clone(&stop),
                Arc::clone(&help_refused),
                Arc::clone(&help_filed),
            );
            let url = format!("{}/v1/rider/help", city.issuer.url);
            let body = serde_json::json!({
                "site": city.site.parse::<u64>().unwrap(),
                "category": "refused",
                "note": format!("flood {n}"),
            })
            .to_string();
            threads.push(std::thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) {
                    let answer = agent
                        .post(&url)
                        .header("cookie", &cookie)
                        .header("content-type", "application/json")
                        .send(&body)
                        .unwrap();
                    match answer.status().as_u16() {
                        200 | 201 => filed.fetch_add(1, Ordering::Relaxed),
                        429 => refused.fetch_add(1, Ordering::Relaxed),
                        other => panic!("a help request answered {other}"),
                    };
                }
            }));
        }
        Self {
            stop,
            threads,
            reports,
            help_refused,
            help_filed,
            sockets_opened,
        }
    }

    fn stop(self) -> (u64, u64, u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            thread.join().expect("an abuse thread failed");
        }
        (
            self.reports.load(Ordering::Relaxed),
            self.help_filed.load(Ordering::Relaxed),
            self.help_refused.load(Ordering::Relaxed),
            self.sockets_opened.load(Ordering::Relaxed),
        )
    }
}

/// The date `days` ago in China Standard Time, as the conduct report counts days.
fn days_ago(days: i64) -> String {
    let out = std::process::Command::new("date")
        .env("TZ", "Asia/Shanghai")
        .args(["-d", &format!("{days} days ago"), "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn a_gate_syncs_and_a_rider_gets_codes_while_others_abuse_the_server() {
    let city = City::new();
    let sessions: Vec<String> = (0..2 * RIDERS_PER_PHASE + HELP_THREADS)
        .map(|n| city.session(n))
        .collect();
    let (quiet_riders, rest) = sessions.split_at(RIDERS_PER_PHASE);
    let (busy_riders, flooders) = rest.split_at(RIDERS_PER_PHASE);
    let pid = city.issuer.pid();

    city.time_syncs(); // the first sync fetches every list; time the steady state
    let quiet_sync = median(city.time_syncs());
    let quiet_code = median(city.time_codes(quiet_riders));
    let quiet_rss = rss_kib(pid);

    let abuse = Abuse::start(&city, flooders.to_vec());
    std::thread::sleep(Duration::from_secs(3));
    let busy_sync = median(city.time_syncs());
    let busy_code = median(city.time_codes(busy_riders));
    let busy_rss = rss_kib(pid);
    let (reports, filed, refused, opened) = abuse.stop();

    let sync_ratio = busy_sync.as_secs_f64() / quiet_sync.as_secs_f64();
    let code_ratio = busy_code.as_secs_f64() / quiet_code.as_secs_f64();
    eprintln!(
        "abuse: gate sync median {quiet_sync:?} quiet, {busy_sync:?} abused ({sync_ratio:.2}x); \
         rider code median {quiet_code:?} quiet, {busy_code:?} abused ({code_ratio:.2}x); \
         during it {reports} 92-day reports served, {filed} help requests filed and {refused} \
         refused, {opened} idle sockets opened ({IDLE_SOCKETS} held); issuer RSS \
         {quiet_rss} KiB quiet, {busy_rss} KiB abused"
    );
    assert!(reports > 0, "the reports ran");
    assert!(refused > 0, "the help flood hit the limits");
    assert!(
        sync_ratio <= MAX_RATIO,
        "a gate's sync slowed {sync_ratio:.1}x under abuse"
    );
    assert!(
        code_ratio <= MAX_RATIO,
        "a rider's code slowed {code_ratio:.1}x under abuse"
    );

    let open = agent()
        .get(format!("{}/v1/admin/help-requests", city.issuer.url))
        .call()
        .unwrap();
    assert_eq!(open.status(), 401, "still answering after the abuse");
    city.issuer.stop();
}
