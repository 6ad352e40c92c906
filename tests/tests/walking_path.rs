//! The walking skeleton end to end: the real binaries, a real issuer on an ephemeral loopback
//! port, real QR images and real SQLite files.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use xiaoge_e2e::{IssuerProcess, ok, run};

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Changes one character near the end of a code (inside the signature).
fn alter_one_character(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = chars.len() - 8;
    chars[at] = if chars[at] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[test]
fn enroll_verify_replay_revoke_offline_and_sync_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("issuer");
    let state = tmp.path().join("gate");
    let (data, state) = (s(&data).to_owned(), s(&state).to_owned());
    let d = data.as_str();
    let g = state.as_str();

    ok("xiaoge-issuer", &["init", "--data", d, "--name", "xg-e2e"]);
    let again = run("xiaoge-issuer", &["init", "--data", d]);
    assert_eq!(again.code, Some(1), "init refuses to overwrite: {again:?}");
    assert!(again.stderr.contains("refusing to overwrite"), "{again:?}");

    let issuer = IssuerProcess::start(tmp.path().join("issuer").as_path(), "127.0.0.1:0");

    // The operator commands work on the data directory while `serve` runs on it.
    let api_key = ok("xiaoge-issuer", &["platform", "add", "--data", d, "美团"]).line();
    assert!(api_key.starts_with("xgp_"), "{api_key}");
    let site = ok(
        "xiaoge-issuer",
        &["site", "add", "--data", d, "--name", "翠苑一区"],
    )
    .line();
    let token = ok(
        "xiaoge-issuer",
        &[
            "gate", "add", "--data", d, "--site", &site, "--name", "东门",
        ],
    )
    .line();
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
            "mt-1",
            "--name",
            "黄小明",
        ],
    )
    .line();
    let leaver = ok(
        "xiaoge-issuer",
        &[
            "rider",
            "add",
            "--data",
            d,
            "--platform",
            "美团",
            "--platform-rider-id",
            "mt-2",
            "--name",
            "李大伟",
        ],
    )
    .line();
    let speeder = ok(
        "xiaoge-issuer",
        &[
            "rider",
            "add",
            "--data",
            d,
            "--platform",
            "美团",
            "--platform-rider-id",
            "mt-3",
            "--name",
            "王强",
        ],
    )
    .line();
    for line in [&site, &token, &rider, &leaver] {
        assert!(
            !line.contains('\n') && !line.is_empty(),
            "one line each: {line:?}"
        );
    }

    ok(
        "xiaoge-gate",
        &[
            "enroll",
            "--state",
            g,
            "--issuer",
            &issuer.url,
            "--token",
            &token,
        ],
    );
    let second_gate = tmp.path().join("gate2");
    let reuse = run(
        "xiaoge-gate",
        &[
            "enroll",
            "--state",
            s(&second_gate),
            "--issuer",
            &issuer.url,
            "--token",
            &token,
        ],
    );
    assert_eq!(
        reuse.code,
        Some(2),
        "an enrollment token works once: {reuse:?}"
    );
    assert!(reuse.stderr.contains("unknown_token"), "{reuse:?}");

    // A PNG, decoded and verified: allowed, then refused as a replay.
    let png = tmp.path().join("code.png");
    let text = ok(
        "xiaoge-issuer",
        &["code", "--data", d, "--rider", &rider, "--png", s(&png)],
    )
    .line();
    assert!(text.starts_with("XG1:"), "{text}");
    let allow = run(
        "xiaoge-gate",
        &["verify", "--state", g, "--image", s(&png), "--json"],
    );
    assert_eq!(allow.code, Some(0), "{allow:?}");
    let v = allow.json();
    assert_eq!(v["verdict"], "allow");
    assert!(v.get("reason").is_none());
    assert_eq!(v["rider"]["id"], rider.as_str());
    assert_eq!(v["rider"]["name"], "黄**");
    assert_eq!(v["rider"]["platform"], "美团");
    assert_eq!(v["code_id"].as_str().map(str::len), Some(16));
    assert!(v["entry_id"].is_string());

    let replay = run(
        "xiaoge-gate",
        &["verify", "--state", g, "--image", s(&png), "--json"],
    );
    assert_eq!(replay.code, Some(1), "{replay:?}");
    assert_eq!(replay.json()["reason"], "replayed");

    // A code minted before the revocation is denied once the gate has synced.
    let before = ok("xiaoge-issuer", &["code", "--data", d, "--rider", &leaver]).line();
    ok("xiaoge-issuer", &["rider", "revoke", "--data", d, &leaver]);
    let refused = run("xiaoge-issuer", &["code", "--data", d, "--rider", &leaver]);
    assert_eq!(
        refused.code,
        Some(1),
        "no code for a revoked rider: {refused:?}"
    );
    assert!(refused.stderr.contains("revoked"), "{refused:?}");
    // The property bans another rider at this site: the ban reaches the gate in its bundle.
    ok(
        "xiaoge-issuer",
        &[
            "site", "ban", "--data", d, &site, &speeder, "--reason", "超速",
        ],
    );
    ok("xiaoge-gate", &["sync", "--state", g]);
    let speeding = ok("xiaoge-issuer", &["code", "--data", d, "--rider", &speeder]).line();
    let banned = run(
        "xiaoge-gate",
        &["verify", "--state", g, "--text", &speeding, "--json"],
    );
    assert_eq!(banned.code, Some(1), "{banned:?}");
    assert_eq!(banned.json()["reason"], "banned_at_site");
    let revoked = run(
        "xiaoge-gate",
        &["verify", "--state", g, "--text", &before, "--json"],
    );
    assert_eq!(revoked.code, Some(1), "{revoked:?}");
    assert_eq!(revoked.json()["reason"], "revoked");
    assert_eq!(revoked.json()["rider"]["id"], leaver.as_str());

    // One altered character.
    let fresh = ok("xiaoge-issuer", &["code", "--data", d, "--rider", &rider]).line();
    let altered = run(
        "xiaoge-gate",
        &[
            "verify",
            "--state",
            g,
            "--text",
            &alter_one_character(&fresh),
            "--json",
        ],
    );
    assert_eq!(altered.code, Some(1), "{altered:?}");
    assert_eq!(altered.json()["verdict"], "deny");

    // The issuer goes away; the gate keeps verifying.
    let addr = issuer.addr();
    issuer.stop();
    for _ in 0..3 {
        let code = ok(
            "xiaoge-issuer",
            &["code", "--data", d, "--rider", &rider, "--site", &site],
        )
        .line();
        let offline = run(
            "xiaoge-gate",
            &["verify", "--state", g, "--text", &code, "--json"],
        );
        assert_eq!(offline.code, Some(0), "offline verify: {offline:?}");
    }
    let failed_sync = run("xiaoge-gate", &["sync", "--state", g]);
    assert_eq!(
        failed_sync.code,
        Some(2),
        "sync with the issuer down fails cleanly: {failed_sync:?}"
    );
    let status = ok("xiaoge-gate", &["status", "--state", g, "--json"]).json();
    assert_eq!(
        status["pending_entries"], 6,
        "revoked, banned, altered and three offline: {status}"
    );

    // Back online on the same address: every entry arrives exactly once.
    let issuer = IssuerProcess::start(tmp.path().join("issuer").as_path(), &addr);
    ok("xiaoge-gate", &["sync", "--state", g]);
    let logged: Vec<serde_json::Value> = ok("xiaoge-gate", &["log", "--state", g, "--json"])
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let held = |issuer_data: &str| -> Vec<serde_json::Value> {
        ok(
            "xiaoge-issuer",
            &["entries", "--data", issuer_data, "--json"],
        )
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
    };
    let stored = held(d);
    assert_eq!(
        logged.len(),
        8,
        "allow, replay, revoked, banned, altered and three offline"
    );
    assert_eq!(stored.len(), logged.len());
    let ids: HashSet<&str> = stored.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), stored.len(), "no entry is stored twice");
    for e in &logged {
        assert!(
            ids.contains(e["id"].as_str().unwrap()),
            "{e} reached the issuer"
        );
        assert!(e["synced_at"].is_number(), "{e} is marked synced");
    }
    let second = ok("xiaoge-gate", &["sync", "--state", g, "--json"]).json();
    assert_eq!(second["event"], "synced");
    assert_eq!(
        second["report"]["uploaded"], 0,
        "a second sync adds none: {second}"
    );
    assert_eq!(held(d).len(), stored.len());
    let status = ok("xiaoge-gate", &["status", "--state", g, "--json"]).json();
    assert_eq!(status["pending_entries"], 0);
    assert_eq!(status["freshness"], "fresh");
    issuer.stop();
}

#[test]
fn every_command_has_help() {
    for (binary, commands) in [
        (
            "xiaoge-issuer",
            &[
                "init",
                "serve",
                "platform add",
                "site add",
                "gate add",
                "rider add",
                "rider revoke",
                "code",
                "entries",
            ][..],
        ),
        (
            "xiaoge-gate",
            &[
                "enroll", "verify", "sync", "status", "log", "demo", "kiosk", "pin", "decode",
                "register", "override", "policy",
            ][..],
        ),
    ] {
        for command in commands {
            let mut args: Vec<&str> = command.split(' ').collect();
            args.push("--help");
            let help = ok(binary, &args);
            assert!(
                help.stdout.contains("Usage:"),
                "{binary} {command} --help: {help:?}"
            );
        }
    }
}
