//! Faults, with the real binaries: a gate killed while it logs, a sync cut mid-upload, an
//! issuer answering errors or nothing, a wall clock set back, lists past their budget.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use xiaoge_e2e::{FaultyProxy, IssuerProcess, ProxyMode, bin, ok, run, run_at, run_later};

/// An issuer with one site, one rider, and a gate enrolled through a faulty proxy.
struct World {
    _tmp: tempfile::TempDir,
    data: String,
    state: String,
    rider: String,
    issuer: IssuerProcess,
    proxy: FaultyProxy,
}

impl World {
    fn new() -> Self {
        Self::enrolled_by(|args| ok("xiaoge-gate", args))
    }

    /// A world whose gate is enrolled by `enroll` (given `enroll`'s arguments).
    fn enrolled_by(enroll: impl Fn(&[&str]) -> xiaoge_e2e::Run) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("issuer").to_str().unwrap().to_owned();
        let state = tmp.path().join("gate").to_str().unwrap().to_owned();
        ok("xiaoge-issuer", &["init", "--data", &data]);
        let issuer = IssuerProcess::start(tmp.path().join("issuer").as_path(), "127.0.0.1:0");
        let proxy = FaultyProxy::start(&issuer.addr());
        ok(
            "xiaoge-issuer",
            &["platform", "add", "--data", &data, "美团"],
        );
        let site = ok(
            "xiaoge-issuer",
            &["site", "add", "--data", &data, "--name", "翠苑一区"],
        )
        .line();
        let token = ok(
            "xiaoge-issuer",
            &[
                "gate", "add", "--data", &data, "--site", &site, "--name", "东门",
            ],
        )
        .line();
        let rider = ok(
            "xiaoge-issuer",
            &[
                "rider",
                "add",
                "--data",
                &data,
                "--platform",
                "美团",
                "--platform-rider-id",
                "mt-1",
                "--name",
                "黄小明",
            ],
        )
        .line();
        let enrolled = enroll(&[
            "enroll",
            "--state",
            &state,
            "--issuer",
            &proxy.url(),
            "--token",
            &token,
        ]);
        assert_eq!(enrolled.code, Some(0), "{enrolled:?}");
        Self {
            _tmp: tmp,
            data,
            state,
            rider,
            issuer,
            proxy,
        }
    }

    fn code(&self) -> String {
        ok(
            "xiaoge-issuer",
            &["code", "--data", &self.data, "--rider", &self.rider],
        )
        .line()
    }

    fn gate(&self, args: &[&str]) -> xiaoge_e2e::Run {
        let mut all = vec![args[0], "--state", &self.state];
        all.extend_from_slice(&args[1..]);
        run("xiaoge-gate", &all)
    }

    /// Logs `n` denied scans quickly: junk texts through `verify --stdin`.
    fn log_junk(&self, n: usize) {
        let mut child = Command::new(bin("xiaoge-gate"))
            .args(["verify", "--state", &self.state, "--stdin", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..n {
            writeln!(stdin, "NOT-A-CODE-{i}").unwrap();
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }

    fn issuer_entry_ids(&self) -> Vec<String> {
        ok(
            "xiaoge-issuer",
            &["entries", "--data", &self.data, "--json"],
        )
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
    }

    fn pending(&self) -> u64 {
        self.gate(&["status", "--json"]).json()["pending_entries"]
            .as_u64()
            .unwrap()
    }
}

#[test]
fn every_verdict_printed_before_a_kill_9_is_in_the_log() {
    let world = World::new();
    let codes: Vec<String> = (0..40).map(|_| world.code()).collect();
    let mut child = Command::new(bin("xiaoge-gate"))
        .args(["verify", "--state", &world.state, "--stdin", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Keep feeding codes, and junk after them, until the gate dies.
        for text in codes.iter().cycle().take(5000) {
            if writeln!(stdin, "{text}").is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while printed.len() < 60 {
        let line = lines.next().unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        printed.push(v["entry_id"].as_str().unwrap().to_owned());
    }
    child.kill().unwrap(); // SIGKILL: no chance to flush or clean up.
    child.wait().unwrap();
    drop(lines);
    let _ = writer.join();

    let logged: HashSet<String> = world
        .gate(&["log", "--json"])
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for id in &printed {
        assert!(
            logged.contains(id),
            "verdict {id} was printed but is not in the log"
        );
    }
    assert!(logged.len() >= printed.len());
    // The database is whole: the gate opens, reports and syncs as before.
    assert_eq!(world.gate(&["sync"]).code, Some(0));
    assert_eq!(world.pending(), 0);
}

#[test]
fn a_sync_cut_mid_upload_leaves_every_entry_on_the_issuer_exactly_once() {
    let world = World::new();
    world.log_junk(1200);
    assert_eq!(world.pending(), 1200);

    // The issuer stores the first batch, but the answer never reaches the gate.
    world.proxy.set(ProxyMode::DropResponse);
    let dropped = world.gate(&["sync"]);
    assert_eq!(dropped.code, Some(2), "{dropped:?}");
    assert!(
        !world.issuer_entry_ids().is_empty(),
        "the issuer stored the batch it was sent"
    );
    assert_eq!(
        world.pending(),
        1200,
        "the gate marks nothing it has no answer for"
    );

    // The connection dies in the middle of the request body: nothing is stored.
    world.proxy.set(ProxyMode::CutRequest(20_000));
    let cut = world.gate(&["sync"]);
    assert_eq!(cut.code, Some(2), "{cut:?}");

    world.proxy.set(ProxyMode::Pass);
    let healed = world.gate(&["sync", "--json"]);
    assert_eq!(healed.code, Some(0), "{healed:?}");
    let report = &healed.json()["report"];
    assert_eq!(
        report["uploaded"].as_u64().unwrap() + report["duplicates"].as_u64().unwrap(),
        1200
    );
    assert!(
        report["duplicates"].as_u64().unwrap() >= 500,
        "the dropped batch came back as duplicates"
    );
    let ids = world.issuer_entry_ids();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 1200, "every entry arrived");
    assert_eq!(unique.len(), 1200, "none twice");
    assert_eq!(world.pending(), 0);
}

#[test]
fn an_issuer_answering_errors_or_nothing_never_stops_the_gate_and_it_catches_up() {
    let world = World::new();
    world.proxy.set(ProxyMode::Fail500);
    let failed = world.gate(&["sync"]);
    assert_eq!(failed.code, Some(2));
    assert!(failed.stderr.contains("500"), "{failed:?}");
    let allowed = world.gate(&["verify", "--text", &world.code(), "--json"]);
    assert_eq!(allowed.code, Some(0), "verification goes on: {allowed:?}");

    world.proxy.set(ProxyMode::Stall);
    let started = std::time::Instant::now();
    let stalled = world.gate(&["sync", "--timeout", "2"]);
    assert_eq!(stalled.code, Some(2));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout holds"
    );
    let allowed = world.gate(&["verify", "--text", &world.code(), "--json"]);
    assert_eq!(allowed.code, Some(0));
    assert_eq!(world.pending(), 2);

    // The background loop keeps trying through errors and syncs once the issuer is back.
    world.proxy.set(ProxyMode::Fail500);
    let mut looping = Command::new(bin("xiaoge-gate"))
        .args([
            "sync",
            "--state",
            &world.state,
            "--loop",
            "--interval",
            "1",
            "--timeout",
            "2",
            "--json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut events = BufReader::new(looping.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&events.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["event"], "failed", "{first}");
    world.proxy.set(ProxyMode::Pass);
    let synced = events
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
        .find(|e| e["event"] == "synced")
        .expect("the loop syncs once the issuer answers");
    looping.kill().unwrap();
    looping.wait().unwrap();
    assert_eq!(synced["report"]["uploaded"], 2);
    assert_eq!(world.pending(), 0);
    assert_eq!(world.issuer_entry_ids().len(), 2);
}

/// Runs the gate under libfaketime with its wall clock moved by `offset` (such as `-1d`),
/// the boot clock left alone.
fn gate_at(world: &World, offset: &str, args: &[&str]) -> xiaoge_e2e::Run {
    let mut all = vec![args[0], "--state", &world.state];
    all.extend_from_slice(&args[1..]);
    run_at(offset, "xiaoge-gate", &all)
}

#[test]
fn a_wall_clock_set_back_a_day_is_not_believed() {
    let world = World::new();
    let code = world.code();
    let behind = gate_at(&world, "-1d", &["verify", "--text", &code, "--json"]);
    assert_eq!(behind.code, Some(1), "{behind:?}");
    assert_eq!(behind.json()["reason"], "clock_untrusted");
    let status = gate_at(&world, "-1d", &["status", "--json"]).json();
    assert_eq!(status["clock"]["state"], "behind", "{status}");
    let ahead = gate_at(&world, "+3d", &["status", "--json"]).json();
    assert_eq!(ahead["clock"]["state"], "ahead", "{ahead}");
    // With the clock right, the same code is accepted: nothing was spent on the refusal.
    let allowed = world.gate(&["verify", "--text", &code, "--json"]);
    assert_eq!(allowed.code, Some(0), "{allowed:?}");
    assert_eq!(
        world.gate(&["status", "--json"]).json()["clock"]["state"],
        "trusted"
    );
}

#[test]
fn lists_older_than_their_budget_are_marked_stale_then_refused() {
    // The usual budget (stale after 36 h, refused after 72 h), and time that passes on
    // libfaketime's clocks, wall and boot alike, for the gate and for the codes minted.
    let world = World::enrolled_by(|args| run_later("+0s", "xiaoge-gate", args));
    let later = |offset: &str, args: &[&str]| {
        let mut all = vec![args[0], "--state", &world.state];
        all.extend_from_slice(&args[1..]);
        run_later(offset, "xiaoge-gate", &all)
    };
    let code_at = |offset: &str| {
        let minted = run_later(
            offset,
            "xiaoge-issuer",
            &["code", "--data", &world.data, "--rider", &world.rider],
        );
        assert_eq!(minted.code, Some(0), "{minted:?}");
        minted.line()
    };
    let stale = later("+37h", &["verify", "--text", &code_at("+37h"), "--json"]);
    assert_eq!(stale.code, Some(0), "stale lists still decide: {stale:?}");
    assert_eq!(stale.json()["stale"], true);
    assert_eq!(
        later("+37h", &["status", "--json"]).json()["freshness"],
        "stale"
    );
    let refused = later("+73h", &["verify", "--text", &code_at("+73h"), "--json"]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert_eq!(refused.json()["reason"], "lists_too_stale");
    assert_eq!(
        later("+73h", &["status", "--json"]).json()["freshness"],
        "too_stale"
    );
    // Back at today's time nothing was spent: decisions are normal.
    let fresh = later("+0s", &["verify", "--text", &world.code(), "--json"]);
    assert_eq!(fresh.code, Some(0), "{fresh:?}");
    assert_eq!(fresh.json()["stale"], false);
    drop(world.issuer);
}
