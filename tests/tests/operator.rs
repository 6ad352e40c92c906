//! The operator's commands end to end: a demo city, the regulator's figures, key rotation,
//! sites and gates, all through the real `xiaoge-issuer` binary.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use xiaoge_e2e::{ok, run};

#[test]
fn a_demo_city_reports_its_coverage_riders_and_traffic() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    let d = data.to_str().unwrap();
    let city = ok(
        "xiaoge-issuer",
        &[
            "demo",
            "--data",
            d,
            "--riders",
            "700",
            "--history-days",
            "3",
        ],
    )
    .json();
    assert_eq!(city["riders"], 700);
    assert_eq!(city["sites"], 40);
    assert!(city["gates"].as_u64().unwrap() >= 40);
    assert!(city["entries"].as_u64().unwrap() > 100);
    assert_eq!(city["platforms"].as_array().unwrap().len(), 7);

    let stats = ok("xiaoge-issuer", &["stats", "--data", d, "--json"]).json();
    assert_eq!(stats["sites"], 40);
    let by_kind = stats["sites_by_kind"].as_object().unwrap();
    assert_eq!(by_kind["residential"], 24);
    assert_eq!(by_kind.len(), 4, "every kind of site is present");
    let riders: u64 = stats["riders_by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["active"].as_u64().unwrap()
                + p["suspended"].as_u64().unwrap()
                + p["revoked"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(riders, 700);
    let targets = stats["targets"].as_array().unwrap();
    assert_eq!(targets[0]["sites"], 4000);
    assert_eq!(targets[1]["guide_and_parking_share"], 0.7);
    let days = stats["entries_per_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert!(
        days.iter()
            .filter(|d| d["entries"].as_u64().unwrap() > 0)
            .count()
            >= 3
    );
    assert!(!stats["denials_by_reason"].as_object().unwrap().is_empty());
    let text = ok("xiaoge-issuer", &["stats", "--data", d]);
    assert!(
        text.stdout.contains("target by 2026-12-31"),
        "{}",
        text.stdout
    );

    // The same command on a directory that holds an issuer with data adds nothing to it.
    let again = run("xiaoge-issuer", &["demo", "--data", d, "--riders", "10"]);
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again
            .stderr
            .contains("already holds 40 sites and 7 platforms")
            && again.stderr.contains("--force"),
        "{again:?}"
    );
    let after = ok("xiaoge-issuer", &["stats", "--data", d, "--json"]).json();
    assert_eq!(after["sites"], 40, "nothing was added");
    assert_eq!(after["riders_by_platform"], stats["riders_by_platform"]);
}

#[test]
fn sites_gates_and_keys_are_managed_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("issuer");
    let d = data.to_str().unwrap();
    ok("xiaoge-issuer", &["init", "--data", d]);
    let site = ok(
        "xiaoge-issuer",
        &[
            "site",
            "add",
            "--data",
            d,
            "--name",
            "黄龙国际中心",
            "--kind",
            "楼宇",
            "--district",
            "西湖区",
        ],
    )
    .line();
    ok(
        "xiaoge-issuer",
        &[
            "site", "building", "--data", d, &site, "--name", "A座", "--x", "-20", "--y", "35",
        ],
    );
    ok(
        "xiaoge-issuer",
        &[
            "site",
            "parking",
            "--data",
            d,
            &site,
            "--name",
            "东侧临停",
            "--x",
            "15",
            "--y",
            "-5",
            "--capacity",
            "20",
        ],
    );
    let shown = ok(
        "xiaoge-issuer",
        &["site", "show", "--data", d, &site, "--json"],
    )
    .json();
    assert_eq!(shown["kind"], "office");
    assert_eq!(shown["buildings"][0]["name"], "A座");
    assert_eq!(shown["buildings"][0]["x"], -20.0);
    assert_eq!(shown["parking"][0]["capacity"], 20);
    let bad_kind = run(
        "xiaoge-issuer",
        &[
            "site", "add", "--data", d, "--name", "x", "--kind", "castle",
        ],
    );
    assert_eq!(
        bad_kind.code,
        Some(2),
        "clap refuses an unknown kind: {bad_kind:?}"
    );
    assert!(bad_kind.stderr.contains("not a site kind"), "{bad_kind:?}");
    let far = run(
        "xiaoge-issuer",
        &[
            "site", "building", "--data", d, &site, "--name", "B座", "--x", "20000", "--y", "0",
        ],
    );
    assert_eq!(
        far.code,
        Some(1),
        "a building 20 km away is a typo: {far:?}"
    );

    ok(
        "xiaoge-issuer",
        &[
            "gate", "add", "--data", d, "--site", &site, "--name", "南门",
        ],
    );
    let gates = ok("xiaoge-issuer", &["gate", "list", "--data", d, "--json"]).json();
    assert_eq!(gates[0]["name"], "南门");
    assert!(gates[0]["enrolled_at"].is_null());
    let missing = run(
        "xiaoge-issuer",
        &["gate", "add", "--data", d, "--site", "99", "--name", "x"],
    );
    assert_eq!(missing.code, Some(1));
    assert!(missing.stderr.contains("no site \"99\""), "{missing:?}");

    let first = ok("xiaoge-issuer", &["keys", "list", "--data", d, "--json"]).json();
    assert_eq!(first.as_array().unwrap().len(), 1);
    let kid = ok("xiaoge-issuer", &["keys", "rotate", "--data", d]).line();
    let keys = ok("xiaoge-issuer", &["keys", "list", "--data", d, "--json"]).json();
    assert_eq!(keys[0]["state"], "signing");
    assert_eq!(keys[1]["kid"], kid.as_str());
    assert_eq!(keys[1]["state"], "announced");
    let announced =
        keys[1]["valid_from"].as_i64().unwrap() - keys[0]["valid_from"].as_i64().unwrap();
    assert!(
        announced > 6 * 86_400,
        "announced about a week ahead: {announced} s"
    );

    let token = ok(
        "xiaoge-issuer",
        &["admin-token", "add", "--data", d, "--name", "ops"],
    )
    .line();
    assert!(token.starts_with("xga_"));
}

#[test]
fn stored_text_reaches_the_operators_terminal_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("issuer");
    let state = tmp.path().join("gate");
    let (d, g) = (data.to_str().unwrap(), state.to_str().unwrap());
    ok("xiaoge-issuer", &["init", "--data", d]);
    ok("xiaoge-issuer", &["platform", "add", "--data", d, "美团"]);
    let site = ok(
        "xiaoge-issuer",
        &["site", "add", "--data", d, "--name", "翠苑"],
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
    let issuer = xiaoge_e2e::IssuerProcess::start(&data, "127.0.0.1:0");
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
    issuer.stop();

    // Text an older issuer or gate stored unchecked: a screen wipe, a title change, a bell
    // and a bidi override.
    let evil = "x\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}y";
    let db = rusqlite::Connection::open(data.join("issuer.db")).unwrap();
    db.execute("UPDATE riders SET name = ?1", [evil]).unwrap();
    db.execute(
        "INSERT INTO entries (id, gate_id, site_id, recorded_at, method, decision, reason,
             received_at)
         VALUES ('00000000-0000-7000-8000-000000000001', 1, ?1, 1767225600, 'override',
                 'allow', ?2, 1767225600)",
        rusqlite::params![site.parse::<i64>().unwrap(), evil],
    )
    .unwrap();
    db.execute(
        "INSERT INTO help_requests (site_id, rider_id, category, note, created_at)
         VALUES (?1, ?2, 'refused', ?3, 1767225600)",
        rusqlite::params![site.parse::<i64>().unwrap(), rider, evil],
    )
    .unwrap();
    drop(db);
    let gate_db = rusqlite::Connection::open(state.join("gate.db")).unwrap();
    gate_db
        .execute(
            "INSERT INTO entries (id, recorded_at, method, decision, reason, rider_name,
                 platform)
             VALUES ('00000000-0000-7000-8000-000000000002', 1767225600, 'scan', 'deny',
                     'expired', ?1, ?1)",
            [evil],
        )
        .unwrap();
    drop(gate_db);

    for (binary, args) in [
        ("xiaoge-issuer", vec!["rider", "show", "--data", d, &rider]),
        ("xiaoge-issuer", vec!["entries", "--data", d]),
        ("xiaoge-issuer", vec!["help-request", "list", "--data", d]),
        ("xiaoge-gate", vec!["log", "--state", g]),
    ] {
        let shown = ok(binary, &args);
        assert!(
            !shown.stdout.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{args:?}: {:?}",
            shown.stdout
        );
        assert!(
            shown
                .stdout
                .contains("x\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{202e}y"),
            "{args:?}: {:?}",
            shown.stdout
        );
    }
}

#[test]
fn a_debug_log_never_holds_a_login_token() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("issuer");
    let d = data.to_str().unwrap();
    ok("xiaoge-issuer", &["init", "--data", d]);
    let log = tmp.path().join("serve.log");
    let mut child = Command::new(xiaoge_e2e::bin("xiaoge-issuer"))
        .args(["serve", "--data", d, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut url = String::new();
    // Kept open until it exits: the server writes to stdout when it stops.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut url).unwrap();
    let secret = "xgl_0123456789abcdef0123456789abcdef";
    let answer = ureq::get(format!("{}/r/login?token={secret}", url.trim()))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(answer.status(), 200);
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    assert!(child.wait().unwrap().success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/r/login"),
        "the request was logged: {logged}"
    );
    assert!(!logged.contains(secret), "the token was logged: {logged}");
}

#[test]
fn credentials_are_cut_off_from_the_command_line_and_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("issuer");
    let d = data.to_str().unwrap();
    ok("xiaoge-issuer", &["init", "--data", d]);
    let site = ok(
        "xiaoge-issuer",
        &["site", "add", "--data", d, "--name", "翠苑一区"],
    )
    .line();

    // A stolen tablet: revoked, listed as such, then replaced under the same gate id.
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
            "东门",
            "--token-days",
            "2",
        ],
    )
    .line();
    assert!(token.starts_with("xge1_"), "{token}");
    let gates = ok("xiaoge-issuer", &["gate", "list", "--data", d, "--json"]).json();
    let expires = gates[0]["token_expires_at"].as_i64().unwrap();
    let created = gates[0]["id"].as_u64().unwrap();
    assert_eq!(gates[0]["state"], "awaiting_enrollment");
    let gate = created.to_string();
    let revoked = ok("xiaoge-issuer", &["gate", "revoke", "--data", d, &gate]);
    assert!(revoked.stderr.contains("gate_revoked"), "{revoked:?}");
    let gates = ok("xiaoge-issuer", &["gate", "list", "--data", d]);
    assert!(gates.stdout.contains("revoked"), "{gates:?}");
    let replaced = ok("xiaoge-issuer", &["gate", "replace", "--data", d, &gate]).line();
    assert!(replaced.starts_with("xge1_") && replaced != token);
    let gates = ok("xiaoge-issuer", &["gate", "list", "--data", d, "--json"]).json();
    assert_eq!(gates[0]["id"], created);
    assert_eq!(gates[0]["state"], "awaiting_replacement");
    assert!(gates[0]["token_expires_at"].as_i64().unwrap() > expires);
    let too_long = run(
        "xiaoge-issuer",
        &["gate", "replace", "--data", d, &gate, "--token-days", "90"],
    );
    assert_eq!(too_long.code, Some(1));
    assert!(too_long.stderr.contains("token days 90"), "{too_long:?}");

    // A platform key rotated, listed without secrets, then every key revoked.
    let first = ok("xiaoge-issuer", &["platform", "add", "--data", d, "美团"]).line();
    let second = ok(
        "xiaoge-issuer",
        &[
            "platform",
            "rotate-key",
            "--data",
            d,
            "美团",
            "--overlap-hours",
            "1",
        ],
    )
    .line();
    assert!(second.starts_with("xgp_") && second != first);
    let keys = ok(
        "xiaoge-issuer",
        &["platform", "keys", "--data", d, "美团", "--json"],
    );
    assert_eq!(keys.json().as_array().unwrap().len(), 2);
    assert!(!keys.stdout.contains(&first[4..]) && !keys.stdout.contains(&second[4..]));
    assert!(keys.json()[0]["expires_at"].is_i64());
    assert!(keys.json()[1]["expires_at"].is_null());
    ok(
        "xiaoge-issuer",
        &["platform", "revoke-key", "--data", d, "美团"],
    );
    let keys = ok(
        "xiaoge-issuer",
        &["platform", "keys", "--data", d, "美团", "--json"],
    )
    .json();
    assert!(keys[0]["revoked_at"].is_i64() && keys[1]["revoked_at"].is_i64());

    // An admin token listed without its secret, then revoked.
    let admin = ok(
        "xiaoge-issuer",
        &["admin-token", "add", "--data", d, "--name", "console"],
    )
    .line();
    let tokens = ok(
        "xiaoge-issuer",
        &["admin-token", "list", "--data", d, "--json"],
    );
    assert!(!tokens.stdout.contains(&admin), "{tokens:?}");
    let id = tokens.json()[0]["id"].as_u64().unwrap().to_string();
    ok(
        "xiaoge-issuer",
        &["admin-token", "revoke", "--data", d, &id],
    );
    let again = run(
        "xiaoge-issuer",
        &["admin-token", "revoke", "--data", d, &id],
    );
    assert_eq!(again.code, Some(1), "{again:?}");
    let sessions = ok("xiaoge-issuer", &["session", "list", "--data", d, "--json"]).json();
    assert_eq!(sessions.as_array().unwrap().len(), 0);
    let unknown = run(
        "xiaoge-issuer",
        &["session", "end", "--data", d, "0123456789abcdef"],
    );
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("no live session"), "{unknown:?}");

    let audit = ok("xiaoge-issuer", &["audit", "--data", d, "--json"]).json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "gate.add",
            "gate.revoke",
            "gate.replace",
            "platform.add",
            "platform.rotate_key",
            "platform.revoke_key",
            "admin_token.add",
            "admin_token.revoke",
        ]
    );
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["actor"] == "cli")
    );
    let later = ok(
        "xiaoge-issuer",
        &["audit", "--data", d, "--since", "2100-01-01T00:00:00Z"],
    );
    assert!(later.stdout.trim().is_empty(), "{later:?}");
    let text = ok("xiaoge-issuer", &["audit", "--data", d]);
    assert!(text.stdout.contains("gate.revoke"), "{text:?}");
}
