//! A harness for end-to-end tests: runs the built `xiaoge-issuer` and `xiaoge-gate` binaries
//! as a user would, with a real issuer serving on an ephemeral loopback port.
//!
//! The binaries must be built first (`cargo build --workspace --bins`, which `.ci/run`
//! does); the harness refuses binaries older than the sources rather than test stale code.

// A test harness: when it cannot do what a test asked, the test must stop there, loudly.
#![allow(clippy::expect_used)]

pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

/// The path of a workspace binary, checked to be at least as new as the sources.
///
/// # Panics
/// If the binary is missing or older than a source file: the tests would test stale code.
#[must_use]
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = dir.join(name);
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: run `cargo build --workspace --bins` first (.ci/run does)",
                path.display()
            )
        });
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The gate's binary embeds the issuer library for its demo; the issuer's does not hold
    // the gate.
    let sources: &[&str] = match name {
        "xiaoge-issuer" => &["shared/src", "issuer/src"],
        _ => &["shared/src", "issuer/src", "verifier/src"],
    };
    for crate_dir in sources {
        let newest = newest_file(&workspace.join(crate_dir));
        assert!(
            newest <= built,
            "{} is older than the sources in {crate_dir}: run `cargo build --workspace --bins`",
            path.display()
        );
    }
    path
}

fn newest_file(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let time = if path.is_dir() {
                newest_file(&path)
            } else {
                entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH)
            };
            newest = newest.max(time);
        }
    }
    newest
}

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output's single line, trimmed.
    #[must_use]
    pub fn line(&self) -> String {
        self.stdout.trim().to_owned()
    }

    /// Standard output parsed as one JSON value.
    ///
    /// # Panics
    /// If it is not JSON.
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs a binary with arguments and waits for it.
///
/// # Panics
/// If it cannot be started.
#[must_use]
pub fn run(binary: &str, args: &[&str]) -> Run {
    Command::new(bin(binary))
        .args(args)
        .env_remove("XIAOGE_ISSUER_DATA")
        .env_remove("XIAOGE_GATE_STATE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"))
        .into()
}

/// Runs a binary under libfaketime with its wall clock moved by `offset` (such as `-1d` or
/// `+150s`), the boot clock left alone (libfaketime would move it too otherwise).
///
/// # Panics
/// If faketime is not installed (`.ci/run` installs it).
#[must_use]
pub fn run_at(offset: &str, binary: &str, args: &[&str]) -> Run {
    Command::new("faketime")
        .args(["-f", offset])
        .arg(bin(binary))
        .args(args)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env_remove("XIAOGE_ISSUER_DATA")
        .env_remove("XIAOGE_GATE_STATE")
        .output()
        .expect("faketime is installed (.ci/run installs it)")
        .into()
}

/// Runs a binary under libfaketime with both its wall clock and its boot clock moved by
/// `offset`: libfaketime 0.9.10 answers `CLOCK_BOOTTIME` with the moved wall time, so a gate
/// enrolled under `+0s` and run later under `+150s` sees 150 s more pass on both its clocks,
/// as if that time had really gone by, and judges a code's expiry by it.
///
/// # Panics
/// If faketime is not installed (`.ci/run` installs it).
#[must_use]
pub fn run_later(offset: &str, binary: &str, args: &[&str]) -> Run {
    Command::new("faketime")
        .args(["-f", offset])
        .arg(bin(binary))
        .args(args)
        .env_remove("XIAOGE_ISSUER_DATA")
        .env_remove("XIAOGE_GATE_STATE")
        .output()
        .expect("faketime is installed (.ci/run installs it)")
        .into()
}

/// Runs a binary and insists that it succeeds.
///
/// # Panics
/// If it exits with anything but 0.
pub fn ok(binary: &str, args: &[&str]) -> Run {
    let r = run(binary, args);
    assert_eq!(r.code, Some(0), "{binary} {args:?} failed: {r:?}");
    r
}

/// `xiaoge-issuer serve` running in the background.
pub struct IssuerProcess {
    child: Child,
    /// The base URL it listens on.
    pub url: String,
}

impl IssuerProcess {
    /// Starts serving `data` on `listen` (such as `127.0.0.1:0`) and waits until it listens.
    ///
    /// # Panics
    /// If it does not print its URL within 30 seconds.
    #[must_use]
    pub fn start(data: &Path, listen: &str) -> Self {
        Self::start_with_env(data, listen, &[])
    }

    /// Starts serving like [`IssuerProcess::start`], with these environment variables added
    /// (such as `LD_PRELOAD` and `FAKETIME_TIMESTAMP_FILE` for a clock the test moves).
    ///
    /// # Panics
    /// If it does not print its URL within 30 seconds.
    #[must_use]
    pub fn start_with_env(data: &Path, listen: &str, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        Self::spawn(data, listen, &[], env)
    }

    /// Starts serving HTTPS itself (`serve --tls-cert CERT --tls-key KEY`); its URL is then
    /// `https://…`.
    ///
    /// # Panics
    /// If it does not print its URL within 30 seconds.
    #[must_use]
    pub fn start_tls(data: &Path, listen: &str, cert: &Path, key: &Path) -> Self {
        let issuer = Self::spawn(
            data,
            listen,
            &[
                "--tls-cert".as_ref(),
                cert.as_os_str(),
                "--tls-key".as_ref(),
                key.as_os_str(),
            ],
            &[],
        );
        assert!(
            issuer.url.starts_with("https://"),
            "serve --tls-cert prints an https:// URL: {:?}",
            issuer.url
        );
        issuer
    }

    fn spawn(
        data: &Path,
        listen: &str,
        args: &[&std::ffi::OsStr],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Self {
        let mut child = Command::new(bin("xiaoge-issuer"))
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", listen])
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("xiaoge-issuer serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the issuer prints its URL within 30 s");
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "unexpected first line {url:?}"
        );
        Self { child, url }
    }

    /// Its process id, to read its memory from `/proc`.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `host:port` it listens on.
    #[must_use]
    pub fn addr(&self) -> String {
        let url = self.url.as_str();
        url.strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url)
            .to_owned()
    }

    /// Stops it with SIGTERM (graceful shutdown) and checks that it exits cleanly.
    ///
    /// # Panics
    /// If it does not exit with status 0 within 30 seconds.
    pub fn stop(mut self) {
        let pid = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .expect("a child has a valid pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .expect("the issuer can be signalled");
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the issuer exited with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the issuer did not stop within 30 s of SIGTERM");
    }
}

impl Drop for IssuerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What the faulty proxy does to the connections it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forwards both ways, untouched.
    Pass,
    /// Forwards the request, then drops the connection when the answer starts: the issuer
    /// did the work, the gate never hears of it.
    DropResponse,
    /// Forwards this many bytes of the request, then drops the connection.
    CutRequest(usize),
    /// Answers 500 without asking the issuer.
    Fail500,
    /// Accepts and never answers.
    Stall,
}

/// A TCP proxy in front of the issuer that misbehaves on demand.
pub struct FaultyProxy {
    addr: std::net::SocketAddr,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
}

impl FaultyProxy {
    /// Starts a proxy to `upstream` (`host:port`), passing traffic through.
    ///
    /// # Panics
    /// If it cannot listen on loopback.
    #[must_use]
    pub fn start(upstream: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("the proxy listens");
        let addr = listener.local_addr().expect("the proxy has an address");
        let mode = std::sync::Arc::new(std::sync::Mutex::new(ProxyMode::Pass));
        let shared = std::sync::Arc::clone(&mode);
        let upstream = upstream.to_owned();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let mode = *shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let upstream = upstream.clone();
                std::thread::spawn(move || proxy_connection(client, &upstream, mode));
            }
        });
        Self { addr, mode }
    }

    /// The URL to give the gate.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes what the proxy does to new connections.
    pub fn set(&self, mode: ProxyMode) {
        *self
            .mode
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = mode;
    }
}

fn proxy_connection(client: std::net::TcpStream, upstream: &str, mode: ProxyMode) {
    use std::io::{Read, Write};
    use std::net::Shutdown;
    let mut request_head = Vec::new();
    match mode {
        ProxyMode::Fail500 => {
            let mut client = client;
            let mut buf = [0u8; 4096];
            while !request_head.windows(4).any(|w| w == b"\r\n\r\n") {
                match client.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request_head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = client.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            return;
        }
        ProxyMode::Stall => {
            let mut client = client;
            let mut buf = [0u8; 4096];
            while let Ok(n) = client.read(&mut buf) {
                if n == 0 {
                    return;
                }
            }
            return;
        }
        _ => {}
    }
    let Ok(server) = std::net::TcpStream::connect(upstream) else {
        return;
    };
    let (mut from_client, mut to_server) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    let limit = match mode {
        ProxyMode::CutRequest(n) => n,
        _ => usize::MAX,
    };
    let upload = std::thread::spawn(move || {
        let mut sent = 0usize;
        let mut buf = [0u8; 8192];
        while let Ok(n) = from_client.read(&mut buf) {
            if n == 0 {
                break;
            }
            let take = n.min(limit - sent);
            if to_server.write_all(&buf[..take]).is_err() {
                break;
            }
            sent += take;
            if sent >= limit {
                let _ = to_server.shutdown(Shutdown::Both);
                let _ = from_client.shutdown(Shutdown::Both);
                break;
            }
        }
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let (mut from_server, mut to_client) = (server, client);
    let mut buf = [0u8; 8192];
    while let Ok(n) = from_server.read(&mut buf) {
        if n == 0 {
            break;
        }
        if mode == ProxyMode::DropResponse {
            break;
        }
        if to_client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = from_server.shutdown(Shutdown::Both);
    let _ = upload.join();
}
