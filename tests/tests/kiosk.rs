//! The kiosk's two ways in, end to end with the real binary: the README's demo on a machine
//! with no display, and the autostart entry a tablet ships with.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use xiaoge_e2e::{Run, bin};

/// Runs `xiaoge-gate` as a session without a display would.
fn gate_without_display(args: &[&str], home: &Path) -> Run {
    Command::new(bin("xiaoge-gate"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XIAOGE_GATE_STATE")
        .env("HOME", home)
        .output()
        .expect("xiaoge-gate starts")
        .into()
}

#[test]
fn the_demo_runs_headless_without_a_display_and_shows_every_case() {
    let home = tempfile::tempdir().unwrap();
    let run = gate_without_display(&["demo", "--lang", "en"], home.path());
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("no display"), "{run:?}");
    let allowed = run.stdout.lines().filter(|l| l.contains("ALLOWED")).count();
    assert_eq!(allowed, 1, "{}", run.stdout);
    for reason in [
        "expired",
        "replayed",
        "revoked",
        "wrong_site",
        "bad_signature",
        "banned_at_site",
        "suspended",
    ] {
        let tag = format!("[{reason}]");
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains("DENIED") && l.contains(&tag)),
            "no {reason} denial in the demo: {}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("resident memory"), "{}", run.stdout);
}

/// The command the autostart entry runs: the `xiaoge-gate …` inside its `sh -c '…'` loop.
fn autostart_command() -> Vec<String> {
    let entry = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/deploy/xiaoge-gate-kiosk.desktop"),
    )
    .expect("the autostart entry is in the repository");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("the entry has an Exec line");
    let inner = exec
        .split("until ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("Exec loops over one command");
    inner
        .split_whitespace()
        .map(|word| word.trim_matches('"').to_owned())
        .collect()
}

#[test]
fn the_autostart_entry_runs_the_kiosk_on_the_users_state() {
    let command = autostart_command();
    assert_eq!(command[..2], ["xiaoge-gate", "kiosk"], "{command:?}");
    let home = tempfile::tempdir().unwrap();
    let args: Vec<String> = command[1..]
        .iter()
        .map(|a| a.replace("$HOME", home.path().to_str().unwrap()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Not enrolled yet: the kiosk says so (the arguments parsed), and creates nothing.
    let run = gate_without_display(&args, home.path());
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("holds no enrolled gate"), "{run:?}");
    assert!(
        !home.path().join(".local/share/xiaoge-gate").exists(),
        "a failed start left state behind"
    );
}
