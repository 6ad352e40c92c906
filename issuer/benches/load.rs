//! Load benchmark: the real `xiaoge-issuer serve` on loopback, driven by a load generator in
//! this process (plain HTTP/1.1 keep-alive connections, like wrk).
//!
//! Measures codes minted per second with p50/p99 latency at 64 connections, entries ingested
//! per second in signed batches of 500, building and signing the status list for a million
//! riders from the database, and the regulator's dashboard figures over all of it. Run with `cargo bench -p xiaoge-issuer --bench load`;
//! `LOAD_SECONDS`, `LOAD_CONNECTIONS`, `LOAD_SESSIONS` and `LOAD_RIDERS` change the sizes.

// Benchmark setup: a failure must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;
use uuid::Uuid;
use xiaoge_issuer::Issuer;
use xiaoge_issuer::http;
use xiaoge_issuer::model::{RosterRow, RosterStatus, SiteInput, SiteKind};
use xiaoge_issuer::paging::PageRequest;
use xiaoge_pass::api::{Decision, EnrollRequest, Entry, EntryMethod, UploadRequest};
use xiaoge_pass::{KeyPair, gate_auth};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `xiaoge-issuer serve` as a child process.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xiaoge-issuer"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().trim_start_matches("http://").to_owned();
        Self { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies in microseconds and how many answers were not the expected status.
#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    failures: usize,
}

impl Tally {
    fn report(mut self, what: &str, seconds: f64, per_request: usize) {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        let q = |p: f64| -> f64 {
            if n == 0 {
                return 0.0;
            }
            f64::from(self.latencies[((n as f64 * p) as usize).min(n - 1)]) / 1000.0
        };
        println!(
            "{what}: {:.0}/s ({} requests in {seconds:.1} s, {} failed) latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
            (n * per_request) as f64 / seconds,
            n,
            self.failures,
            q(0.50),
            q(0.90),
            q(0.99),
            q(1.0)
        );
    }
}

/// Sends one request on a keep-alive connection and reads the answer's status and body.
async fn exchange(
    reader: &mut AsyncBufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    request: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    writer.write_all(request).await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok((status, body))
}

/// Drives `connections` keep-alive connections for `seconds`, each sending the requests
/// `make(connection, i)` gives, and tallies the answers. Without a `rate` each connection
/// sends as fast as answers come (the most the server can do); with one, the connections
/// share that many requests a second on a fixed schedule, and latency counts from when a
/// request was due, so a stalled server is not hidden by requests it delayed.
fn drive(
    addr: &str,
    connections: usize,
    seconds: u64,
    rate: Option<f64>,
    make: Arc<dyn Fn(usize, usize) -> Option<Vec<u8>> + Send + Sync>,
) -> (Tally, f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..connections {
            let make = Arc::clone(&make);
            let addr = addr.to_owned();
            tasks.push(tokio::spawn(async move {
                let stream = TcpStream::connect(&addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (read, mut write) = stream.into_split();
                let mut read = AsyncBufReader::new(read);
                let mut tally = Tally::default();
                let mut i = 0;
                let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
                let offset = interval.map_or(Duration::ZERO, |iv| {
                    iv.mul_f64(c as f64 / connections as f64)
                });
                while Instant::now() < deadline {
                    let Some(request) = make(c, i) else {
                        break;
                    };
                    let sent = match interval {
                        Some(iv) => {
                            let due = start + offset + iv * u32::try_from(i).unwrap_or(u32::MAX);
                            tokio::time::sleep_until(due.into()).await;
                            due
                        }
                        None => Instant::now(),
                    };
                    i += 1;
                    match exchange(&mut read, &mut write, &request).await {
                        Ok((200, _)) => tally
                            .latencies
                            .push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32),
                        Ok(_) => tally.failures += 1,
                        Err(_) => {
                            tally.failures += 1;
                            break;
                        }
                    }
                }
                tally
            }));
        }
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await.unwrap();
            all.latencies.extend(t.latencies);
            all.failures += t.failures;
        }
        (all, start.elapsed().as_secs_f64())
    })
}

fn main() {
    let seconds = env_or("LOAD_SECONDS", 10) as u64;
    let connections = env_or("LOAD_CONNECTIONS", 64);
    // Each session may take a burst of 10 codes, then one per 3 s: enough sessions that the
    // rate limit never answers for the server.
    let sessions = env_or("LOAD_SESSIONS", 20_000);
    let riders = env_or("LOAD_RIDERS", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("issuer");
    let now = http::now();

    // Setup through the library on the same data directory the server will open.
    let t = Instant::now();
    let issuer = Issuer::init(&data, &xiaoge_issuer::InitOptions::default(), now).unwrap();
    issuer.add_platform("美团", now).unwrap();
    let platform = issuer.platform("美团").unwrap();
    let rows: Vec<RosterRow> = (0..sessions)
        .map(|i| RosterRow {
            platform_rider_id: format!("s-{i}"),
            name: "黄**".into(),
            status: RosterStatus::Active,
        })
        .collect();
    let mut cookies = Vec::with_capacity(sessions);
    for chunk in rows.chunks(10_000) {
        for r in issuer.upsert_roster(&platform, chunk, now).unwrap().results {
            let link = issuer.login_link_for(&r.rider_id, now).unwrap();
            let (session, _) = issuer.start_session(&link.token, now).unwrap();
            cookies.push(session);
        }
    }
    let site = issuer
        .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
        .unwrap();
    let uploaders = 4;
    let mut gates = Vec::new();
    for g in 0..uploaders {
        let (_, token) = issuer.add_gate(site, &format!("门{g}"), now).unwrap();
        let key = KeyPair::from_seed([g as u8 + 1; 32]);
        let gate = issuer
            .enroll(
                &EnrollRequest {
                    token,
                    public_key: hex::encode(key.public().as_bytes()),
                },
                now,
            )
            .unwrap();
        gates.push((gate.gate_id, key));
    }
    println!(
        "setup: {sessions} rider sessions and {uploaders} gates in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    drop(issuer);

    let server = Server::start(&data);
    let addr = server.addr.clone();

    // Codes: each connection walks its own slice of the sessions, as many riders' phones do.
    let cookies = Arc::new(cookies);
    let host = addr.clone();
    let make_code: Arc<dyn Fn(usize, usize) -> Option<Vec<u8>> + Send + Sync> = Arc::new(
        move |c, i| {
            let cookie = &cookies[(i * connections + c) % cookies.len()];
            Some(
                format!(
                    "GET /v1/rider/code HTTP/1.1\r\nhost: {host}\r\ncookie: xg_session={cookie}\r\n\r\n"
                )
                .into_bytes(),
            )
        },
    );
    let (tally, elapsed) = drive(&addr, connections, seconds, None, Arc::clone(&make_code));
    tally.report(
        &format!("codes minted, {connections} connections, as fast as answered"),
        elapsed,
        1,
    );
    let paced = env_or("LOAD_CODE_RATE", 5000);
    let (tally, elapsed) = drive(&addr, connections, seconds, Some(paced as f64), make_code);
    tally.report(
        &format!("codes minted, {connections} connections, paced at {paced}/s"),
        elapsed,
        1,
    );

    // Entries: signed uploads of 500 fresh entries each, prepared before the clock starts so
    // that the generator's own signing is not measured.
    let batches_per_gate = env_or("LOAD_UPLOADS_PER_GATE", 300);
    let t = Instant::now();
    let mut prepared: Vec<Vec<Vec<u8>>> = Vec::new();
    for (gate, key) in &gates {
        let mut requests = Vec::new();
        for _ in 0..batches_per_gate {
            let entries: Vec<Entry> = (0..500)
                .map(|_| Entry {
                    id: Uuid::now_v7(),
                    gate_id: *gate,
                    site_id: site,
                    recorded_at: now,
                    method: EntryMethod::Scan,
                    decision: Decision::Allow,
                    reason: None,
                    rider: None,
                    code_id: Some("0011223344556677".into()),
                    trusted_at: Some(now),
                    manual: None,
                    overrides: None,
                })
                .collect();
            let body = serde_json::to_vec(&UploadRequest { entries }).unwrap();
            let mut nonce = [0u8; 16];
            getrandom::fill(&mut nonce).unwrap();
            let nonce = hex::encode(nonce);
            let time = http::now();
            let path = "/v1/gate/entries";
            let signature = key.sign(&gate_auth::signing_input(
                "POST", path, time.0, &nonce, &body,
            ));
            let mut request = format!(
                "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}: {gate}\r\n{}: {}\r\n{}: {nonce}\r\n{}: {}\r\n\r\n",
                body.len(),
                gate_auth::GATE_HEADER,
                gate_auth::TIME_HEADER,
                time.0,
                gate_auth::NONCE_HEADER,
                gate_auth::SIGNATURE_HEADER,
                hex::encode(signature)
            )
            .into_bytes();
            request.extend_from_slice(&body);
            requests.push(request);
        }
        prepared.push(requests);
    }
    println!(
        "prepared {} signed uploads in {:.1} s",
        uploaders * batches_per_gate,
        t.elapsed().as_secs_f64()
    );
    let prepared = Arc::new(prepared);
    let make_upload: Arc<dyn Fn(usize, usize) -> Option<Vec<u8>> + Send + Sync> =
        Arc::new(move |c, i| prepared[c].get(i).cloned());
    // Runs until the prepared uploads are used up or the time is over, whichever comes first.
    let (tally, elapsed) = drive(&addr, uploaders, seconds, None, make_upload);
    tally.report(
        &format!("entries ingested, {uploaders} gates uploading batches of 500"),
        elapsed,
        500,
    );
    drop(server);

    // The status list for a million riders, 1% revoked, built from the database.
    let issuer = Issuer::open(&data).unwrap();
    let t = Instant::now();
    let mut made = 0;
    // Revocations fall at random: a regular pattern would compress far better than life.
    let mut dice = 0x9E37_79B9_7F4A_7C15_u64;
    let mut revoked = 0;
    while made < riders {
        let rows: Vec<RosterRow> = (made..(made + 10_000).min(riders))
            .map(|i| {
                dice ^= dice << 13;
                dice ^= dice >> 7;
                dice ^= dice << 17;
                let revoke = dice.is_multiple_of(100);
                revoked += usize::from(revoke);
                RosterRow {
                    platform_rider_id: format!("m-{i}"),
                    name: "李**".into(),
                    status: if revoke {
                        RosterStatus::Revoked
                    } else {
                        RosterStatus::Active
                    },
                }
            })
            .collect();
        made += rows.len();
        issuer.upsert_roster(&platform, &rows, now).unwrap();
    }
    println!(
        "registered {riders} more riders ({revoked} revoked, at random) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        size = issuer.build_status_list(http::now()).unwrap().len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "status list for {} riders from the database: median {:.0} ms (min {:.0}, max {:.0}) over 5 builds, {size} bytes signed",
        riders + sessions,
        times[2],
        times[0],
        times[4]
    );

    // The regulator's dashboard over everything this run left: its figures are the most
    // expensive read the issuer serves to a person.
    let mut times = Vec::new();
    let mut entries = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let dashboard = issuer
            .dashboard(&PageRequest::first(), http::now())
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        entries = dashboard
            .denials_by_site
            .iter()
            .map(|s| s.entries)
            .sum::<u64>();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "dashboard figures over {} riders and {entries} entries: median {:.0} ms (min {:.0}, max {:.0}) over 5",
        riders + sessions,
        times[2],
        times[0],
        times[4]
    );
}
