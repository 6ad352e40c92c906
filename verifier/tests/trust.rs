//! Trust that holds over time, at one real gate enrolled over HTTP with an issuer on
//! loopback: cached lists that stop verifying fail closed and are fetched again, a revoked
//! key's codes are refused after the next sync, two processes on one gate state never both
//! accept a code, and a clock within its tolerance cannot stretch a code's life.
//!
//! Each test pins a bug that let a rider in: named after what must hold now.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use xiaoge_gate::clock::{self, ClockReading};
use xiaoge_gate::gate::{Gate, GatePolicy, Verdict, wall_clock};
use xiaoge_gate::store::ListName;
use xiaoge_gate::sync::{self, DEFAULT_TIMEOUT};
use xiaoge_issuer::model::{SiteInput, SiteKind};
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http};
use xiaoge_pass::api::Decision;
use xiaoge_pass::{RiderId, SiteId, UnixTime};

/// An issuer on loopback with one site, a valid rider, a banned one, and an enrolled gate.
struct World {
    root: tempfile::TempDir,
    issuer: Arc<Issuer>,
    _server: http::Background,
    valid: RiderId,
    banned: RiderId,
}

impl World {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let now = wall_clock();
        let issuer = Arc::new(
            Issuer::init(&root.path().join("issuer"), &InitOptions::default(), now)
                .expect("issuer"),
        );
        let server = http::Background::start(&issuer, "127.0.0.1:0".parse().expect("addr"), 2)
            .expect("serve");
        issuer.add_platform("美团", now).expect("platform");
        let home: SiteId = issuer
            .add_site(&SiteInput::named("翠苑一区", SiteKind::Residential), now)
            .expect("site");
        let valid = issuer
            .add_rider("美团", "mt-1", "黄小明", now)
            .expect("rider")
            .id;
        let banned = issuer
            .add_rider("美团", "mt-2", "王强", now)
            .expect("rider")
            .id;
        issuer.ban(home, &banned, "逆行", now).expect("ban");
        let (_, token) = issuer.add_gate(home, "东门", now).expect("gate");
        sync::enroll(
            &root.path().join("gate"),
            &server.url(),
            &token,
            DEFAULT_TIMEOUT,
            now,
        )
        .expect("enroll");
        Self {
            root,
            issuer,
            _server: server,
            valid,
            banned,
        }
    }

    fn gate(&self) -> Gate {
        Gate::open(&self.root.path().join("gate")).expect("gate opens")
    }

    fn code(&self, rider: &RiderId) -> String {
        self.issuer.mint(rider, None, wall_clock()).expect("mint").1
    }

    fn sync(&self, gate: &mut Gate) {
        sync::sync(gate, DEFAULT_TIMEOUT, wall_clock()).expect("sync succeeds");
    }

    fn signing_kid(&self) -> String {
        self.issuer
            .keys(wall_clock())
            .expect("keys")
            .into_iter()
            .find(|k| k.state.as_str() == "signing")
            .expect("a key signs")
            .kid
    }
}

fn check(gate: &mut Gate, code: &str) -> Verdict {
    gate.check(code, &clock::read()).expect("check is logged")
}

fn reason(v: &Verdict) -> &str {
    v.reason.map_or("allow", xiaoge_pass::ReasonCode::as_str)
}

#[test]
fn a_ban_list_that_no_longer_verifies_fails_closed_and_is_fetched_again() {
    let world = World::new();
    // Damage the held bundle, as a bundle whose signing key left the trust list looks to
    // the gate: it must stop clearing riders, not forget the bans.
    let db = rusqlite::Connection::open(world.root.path().join("gate").join("gate.db")).unwrap();
    let mut bytes: Vec<u8> = db
        .query_row("SELECT bytes FROM lists WHERE name = 'site'", [], |r| {
            r.get(0)
        })
        .unwrap();
    // The last byte is the signature's: flipping a bit of it is the smallest forgery.
    *bytes.last_mut().unwrap() ^= 0x01;
    db.execute("UPDATE lists SET bytes = ?1 WHERE name = 'site'", [bytes])
        .unwrap();
    drop(db);
    let mut gate = world.gate();
    assert!(!gate.verifies(ListName::Site));
    let status = gate.status(&clock::read()).unwrap();
    assert_eq!(status.banned_riders, None);
    assert_eq!(status.unverified, vec![ListName::Site]);
    for rider in [&world.banned, &world.valid] {
        let v = check(&mut gate, &world.code(rider));
        assert_eq!(v.verdict, Decision::Deny, "{rider}: {v:?}");
        assert_eq!(reason(&v), "bans_unverifiable");
    }
    // The held ETag still matches the issuer's; the gate must not send it for a copy that
    // does not verify, or it would stay closed for ever.
    world.sync(&mut gate);
    assert!(gate.verifies(ListName::Site));
    assert_eq!(
        reason(&check(&mut gate, &world.code(&world.banned))),
        "banned_at_site"
    );
    assert_eq!(
        reason(&check(&mut gate, &world.code(&world.valid))),
        "allow"
    );
}

#[test]
fn a_revoked_key_leaves_the_gate_at_its_next_sync_and_the_bans_hold() {
    let world = World::new();
    let mut gate = world.gate();
    let old_kid = world.signing_kid();
    let old_code = world.code(&world.valid);
    let revoked = world.issuer.revoke_key(&old_kid, wall_clock()).unwrap();
    let new_kid = revoked.replacement.expect("a new key signs").kid;
    assert_ne!(new_kid, old_kid);
    assert_eq!(world.signing_kid(), new_kid);
    let new_code = world.code(&world.valid);
    // Until it syncs, the gate knows nothing of the revocation (it is offline by design).
    assert_eq!(reason(&check(&mut gate, &new_code)), "unknown_key");

    world.sync(&mut gate);
    let status = gate.status(&clock::read()).unwrap();
    assert!(status.unverified.is_empty(), "{status:?}");
    assert_eq!(status.banned_riders, Some(1));
    assert_eq!(reason(&check(&mut gate, &old_code)), "unknown_key");
    assert_eq!(reason(&check(&mut gate, &new_code)), "allow");
    assert_eq!(
        reason(&check(&mut gate, &world.code(&world.banned))),
        "banned_at_site"
    );
}

#[test]
fn two_gates_on_one_state_never_both_accept_a_code() {
    let world = World::new();
    let codes: Vec<String> = (0..150).map(|_| world.code(&world.valid)).collect();
    let codes = Arc::new(codes);
    let dir = world.root.path().join("gate");
    let scanners: Vec<_> = (0..2)
        .map(|_| {
            let codes = Arc::clone(&codes);
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut gate = Gate::open(&dir).expect("gate opens");
                codes
                    .iter()
                    .map(|c| check(&mut gate, c))
                    .collect::<Vec<Verdict>>()
            })
        })
        .collect();
    let results: Vec<Vec<Verdict>> = scanners.into_iter().map(|s| s.join().unwrap()).collect();
    for (i, code) in codes.iter().enumerate() {
        let (allowed, denied): (Vec<&Verdict>, Vec<&Verdict>) = results
            .iter()
            .map(|r| &r[i])
            .partition(|v| v.verdict == Decision::Allow);
        assert_eq!(
            allowed.len(),
            1,
            "code {i} allowed {} times: {code}",
            allowed.len()
        );
        // Whether the loser saw the seen mark or lost the race to write it, it is told when
        // the winner let the code in.
        for v in denied {
            assert_eq!(reason(v), "replayed", "{v:?}");
            assert_eq!(v.first_used_at, Some(allowed[0].at), "code {i}: {v:?}");
        }
    }
    let log = world.gate().log(UnixTime(0)).unwrap();
    assert_eq!(log.len(), 300, "every attempt is logged once");
}

#[test]
fn a_replayed_code_says_when_this_gate_first_let_it_in() {
    let world = World::new();
    let mut gate = world.gate();
    let now = clock::read();
    let code = world
        .issuer
        .mint(&world.valid, None, now.wall.plus(-30))
        .unwrap()
        .1;
    // First shown with the wall clock 20 s behind, inside the tolerance, so that the time
    // told is the first entry's, not the replay's.
    let earlier = ClockReading {
        wall: now.wall.plus(-20),
        boot: now.boot.clone(),
    };
    let first = gate.check(&code, &earlier).unwrap();
    assert_eq!(first.verdict, Decision::Allow, "{first:?}");
    assert_eq!(first.first_used_at, None);
    let json = serde_json::to_value(&first).unwrap();
    assert!(json.get("first_used_at").is_none(), "{json}");

    let again = check(&mut gate, &code);
    assert_eq!(reason(&again), "replayed", "{again:?}");
    let log = gate.log(UnixTime(0)).unwrap();
    let admitted = log.iter().find(|e| e.entry.id == first.entry_id).unwrap();
    assert_eq!(again.first_used_at, Some(admitted.entry.recorded_at));
    assert_eq!(again.first_used_at, Some(now.wall.plus(-20)));
    assert_ne!(again.first_used_at, Some(again.at));
    let json = serde_json::to_value(&again).unwrap();
    assert_eq!(json["first_used_at"], now.wall.plus(-20).0, "{json}");

    // A guard's override of the replay is not a first use, nor is any other denial.
    gate.override_denial(again.entry_id, "本人，刚才扫过", &clock::read())
        .unwrap();
    let third = check(&mut gate, &code);
    assert_eq!(third.first_used_at, Some(admitted.entry.recorded_at));
    let expired = world
        .issuer
        .mint(&world.valid, None, now.wall.plus(-600))
        .unwrap()
        .1;
    assert_eq!(check(&mut gate, &expired).first_used_at, None);
}

#[test]
fn a_wall_clock_within_its_tolerance_does_not_stretch_a_codes_life() {
    let world = World::new();
    let mut gate = world.gate();
    // The boot clock says 290 s more have passed since the sync than the wall clock shows:
    // the wall clock is 290 s behind the trusted estimate, inside the 300 s tolerance.
    let now = clock::read();
    let mut boot = now.boot.clone().expect("this system has a boot clock");
    boot.seconds += 290.0;
    let behind = ClockReading {
        wall: now.wall,
        boot: Some(boot),
    };
    // Minted 280 s before the estimate: it expired 160 s ago by the trusted clock, though
    // the wall clock would still call it fresh.
    let code = world
        .issuer
        .mint(&world.valid, None, now.wall.plus(10))
        .unwrap()
        .1;
    let v = gate.check(&code, &behind).unwrap();
    assert_eq!(reason(&v), "expired", "{v:?}");
}

#[test]
fn absurd_policies_are_refused_with_their_bounds() {
    let world = World::new();
    let mut gate = world.gate();
    let base = gate.policy();
    for policy in [
        GatePolicy {
            too_stale_after: 99_999 * 86_400,
            ..base
        },
        GatePolicy {
            clock_skew: 3600,
            ..base
        },
        GatePolicy {
            clock_tolerance: -1,
            ..base
        },
        GatePolicy {
            stale_after: base.too_stale_after + 1,
            ..base
        },
    ] {
        let err = gate.set_policy(policy).unwrap_err().to_string();
        assert!(err.contains("policy"), "{err}");
    }
    assert_eq!(gate.policy(), base, "nothing changed");
}

#[test]
fn an_entry_the_issuer_rejects_is_kept_with_the_reason_and_never_blocks_later_uploads() {
    let world = World::new();
    let mut gate = world.gate();
    // A gate whose wall clock was never set logs its entries in 1970: the issuer refuses
    // them, and before, the whole batch was refused with them, every sync, forever.
    let unset = ClockReading::wall_only(UnixTime(1_000));
    let v = gate.check(&world.code(&world.valid), &unset).unwrap();
    assert_eq!(v.verdict, Decision::Deny);
    let first = sync::sync(&mut gate, DEFAULT_TIMEOUT, wall_clock()).unwrap();
    assert_eq!((first.uploaded, first.rejected), (0, 1), "{first:?}");
    let later = gate
        .check(&world.code(&world.valid), &clock::read())
        .unwrap();
    assert_eq!(later.verdict, Decision::Allow, "{later:?}");
    let report = sync::sync(&mut gate, DEFAULT_TIMEOUT, wall_clock()).unwrap();
    assert_eq!((report.uploaded, report.rejected), (1, 0), "{report:?}");
    let stored = world.issuer.entries().unwrap();
    assert_eq!(
        stored.len(),
        1,
        "only the entry inside the window is stored"
    );
    assert_eq!(stored[0].entry.id, later.entry_id);

    let log = gate.log(UnixTime(0)).unwrap();
    let bad = log.iter().find(|e| e.entry.id == v.entry_id).unwrap();
    let why = bad
        .upload_error
        .as_deref()
        .expect("the issuer's reason is kept");
    assert!(why.contains("recorded_at 1000 is out of range"), "{why}");
    assert!(
        log.iter().all(|e| e.synced_at.is_some()),
        "nothing is retried"
    );
    // Recorded in 1970, it is far past the retention of synced entries, and two syncs
    // purged what they could: it is kept, as the only record of that entry.
    assert_eq!(bad.entry.recorded_at, UnixTime(1_000));
}

#[test]
fn an_override_reason_with_control_or_format_characters_is_refused_at_the_gate() {
    let world = World::new();
    let mut gate = world.gate();
    let denied = gate.check("XG1:nope", &clock::read()).unwrap();
    assert_eq!(denied.verdict, Decision::Deny);
    for reason in ["ok\u{1b}[2J", "认识\u{202e}他", "x"] {
        let err = gate
            .override_denial(denied.entry_id, reason, &clock::read())
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 to 200 printable characters"), "{err}");
    }
    gate.override_denial(denied.entry_id, "认识他，手机没电了", &clock::read())
        .unwrap();
}
