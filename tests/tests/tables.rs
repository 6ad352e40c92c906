//! The operator's tables, pinned: the table-printing commands of `xiaoge-issuer` and
//! `xiaoge-gate`, run on a fixed city at a fixed time, must print exactly their snapshots in
//! `snapshots/`, Chinese names aligned by the columns a terminal shows.
//!
//! Every process runs under libfaketime with its clock frozen (no `@`), boot clock included,
//! so a gate's boot clock moves exactly with its wall clock and its trusted time agrees with
//! it. The city is made at [`AT`]; each later gate command runs a minute after the one
//! before, so that entries sort by time and not by their random ids. The server preloads
//! the thread-safe library and keeps its monotonic clock for tokio's timers. Nothing random
//! reaches a table: ids are counted from 1 and no table shows a key or an entry id.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use xiaoge_e2e::{IssuerProcess, Run, bin};

/// When the city is made, UTC.
const AT: &str = "2026-06-01 08:00:00";
/// libfaketime's preload library (Debian's `faketime` package), for the short-lived commands.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/// Its thread-safe build, for the server.
const LIBFAKETIME_MT: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Runs `binary` with its clocks frozen at `time`, UTC.
fn run_at(time: &str, binary: &str, args: &[&str]) -> Run {
    Command::new(bin(binary))
        .args(args)
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", time)
        .env("TZ", "UTC")
        .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
        .env_remove("XIAOGE_ISSUER_DATA")
        .env_remove("XIAOGE_GATE_STATE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"))
        .into()
}

/// Runs `binary` at `time` and insists that it succeeds.
fn ok_at(time: &str, binary: &str, args: &[&str]) -> Run {
    let run = run_at(time, binary, args);
    assert_eq!(run.code, Some(0), "{binary} {args:?} failed: {run:?}");
    run
}

/// A city of three platforms, three sites (one with a building guide), gates and riders, and
/// a gate enrolled at the first site, all made at [`AT`].
struct City {
    _tmp: tempfile::TempDir,
    data: String,
    state: String,
}

impl City {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("issuer").to_str().unwrap().to_owned();
        let state = tmp.path().join("gate").to_str().unwrap().to_owned();
        let city = Self {
            _tmp: tmp,
            data,
            state,
        };
        city.build();
        city
    }

    fn issuer(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--data", &self.data]);
        ok_at(AT, "xiaoge-issuer", &all)
    }

    /// Runs a gate command at `time`.
    fn gate_at(&self, time: &str, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--state", &self.state]);
        run_at(time, "xiaoge-gate", &all)
    }

    fn build(&self) {
        ok_at(AT, "xiaoge-issuer", &["init", "--data", &self.data]);
        for platform in ["美团", "饿了么", "Flash"] {
            self.issuer(&["platform", "add", platform]);
        }
        for (name, kind, district) in [
            ("翠苑一区", "residential", "西湖区"),
            ("Tower 7", "office", "滨江区"),
            ("西溪花园东区", "residential", "Xihu"),
        ] {
            self.issuer(&[
                "site",
                "add",
                "--name",
                name,
                "--kind",
                kind,
                "--district",
                district,
            ]);
        }
        for (name, x, y) in [("1号楼", "10", "20"), ("East B", "-35.5", "4")] {
            self.issuer(&["site", "building", "1", "--name", name, "--x", x, "--y", y]);
        }
        self.issuer(&[
            "site",
            "parking",
            "1",
            "--name",
            "北门车棚",
            "--x",
            "0",
            "--y",
            "-12",
            "--capacity",
            "40",
        ]);
        let token = self
            .issuer(&["gate", "add", "--site", "1", "--name", "东门"])
            .line();
        self.issuer(&["gate", "add", "--site", "1", "--name", "West"]);
        self.issuer(&["gate", "add", "--site", "2", "--name", "地库入口"]);
        for (platform, id, name) in [
            ("美团", "mt-1", "黄小明"),
            ("美团", "mt-2", "Li Wei"),
            ("饿了么", "el-1", "欧阳娜娜"),
        ] {
            self.issuer(&[
                "rider",
                "add",
                "--platform",
                platform,
                "--platform-rider-id",
                id,
                "--name",
                name,
            ]);
        }
        self.issuer(&["admin-token", "add", "--name", "市监管"]);
        self.issuer(&["admin-token", "add", "--name", "物业 one", "--site", "1"]);

        let frozen: [(&str, &OsStr); 4] = [
            ("LD_PRELOAD", LIBFAKETIME_MT.as_ref()),
            ("FAKETIME", AT.as_ref()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".as_ref()),
            ("TZ", "UTC".as_ref()),
        ];
        let server = IssuerProcess::start_with_env(Path::new(&self.data), "127.0.0.1:0", &frozen);
        let enrolled = self.gate_at(AT, &["enroll", "--issuer", &server.url, "--token", &token]);
        assert_eq!(enrolled.code, Some(0), "{enrolled:?}");
        server.stop();
        for (time, name, platform, building) in [
            ("2026-06-01 08:01:00", "张三", "美团", "1号楼"),
            ("2026-06-01 08:02:00", "Wang", "Flash", "East B"),
        ] {
            let registered = self.gate_at(
                time,
                &[
                    "register",
                    "--name",
                    name,
                    "--phone-last4",
                    "1234",
                    "--platform",
                    platform,
                    "--building",
                    building,
                ],
            );
            assert_eq!(registered.code, Some(0), "{registered:?}");
        }
        // Not a code: denied and logged.
        let denied = self.gate_at(
            "2026-06-01 08:03:00",
            &["verify", "--text", "XG1:NOT-A-CODE"],
        );
        assert_ne!(denied.code, Some(0), "{denied:?}");
    }
}

#[test]
fn the_operators_tables_line_up_and_stay_as_they_are() {
    let city = City::new();
    for (name, args) in [
        ("issuer_platform_list", vec!["platform", "list"]),
        ("issuer_site_list", vec!["site", "list"]),
        ("issuer_site_show", vec!["site", "show", "1"]),
        ("issuer_gate_list", vec!["gate", "list"]),
        ("issuer_admin_token_list", vec!["admin-token", "list"]),
        ("issuer_stats", vec!["stats"]),
    ] {
        insta::assert_snapshot!(name, city.issuer(&args).stdout);
    }
    let log = city.gate_at("2026-06-01 08:04:00", &["log"]);
    assert_eq!(log.code, Some(0), "{log:?}");
    insta::assert_snapshot!("gate_log", log.stdout);
}
