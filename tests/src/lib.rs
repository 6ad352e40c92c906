//! A harness for end-to-end tests: runs the built `xiaoge-issuer` and `xiaoge-gate` binaries
//! as a user would, with a real issuer serving on an ephemeral loopback port.
//!
//! The binaries must be built first (`cargo build --workspace --bins`, which `.ci/run`
//! does); the harness refuses binaries older than the sources rather than test stale code.

// A test harness: when it cannot do what a test asked, the test must stop there, loudly.
#![allow(clippy::expect_used)]

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
        let mut child = Command::new(bin("xiaoge-issuer"))
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", listen])
            .env("RUST_LOG", "warn")
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
        assert!(url.starts_with("http://"), "unexpected first line {url:?}");
        Self { child, url }
    }

    /// The `host:port` it listens on.
    #[must_use]
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
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
