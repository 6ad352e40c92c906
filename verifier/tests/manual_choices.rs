//! The guard's choices for registering a rider by hand, at a real gate enrolled over HTTP
//! with an issuer on loopback: the site's buildings and the issuer's platforms arrive in the
//! signed site bundle, follow the issuer's changes at the next sync, and are empty when the
//! gate holds no bundle it can trust.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use xiaoge_gate::clock;
use xiaoge_gate::gate::{Gate, ManualChoices, wall_clock};
use xiaoge_gate::store::ListName;
use xiaoge_gate::sync::{self, DEFAULT_TIMEOUT};
use xiaoge_issuer::model::{Building, SiteInput, SiteKind};
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http};
use xiaoge_pass::SiteId;

/// An issuer on loopback with two platforms and a site with a building guide, and a gate
/// enrolled there (enrolling syncs once).
struct World {
    root: tempfile::TempDir,
    issuer: Arc<Issuer>,
    _server: http::Background,
    home: SiteId,
}

fn building(name: &str, x: f64) -> Building {
    Building {
        name: name.into(),
        x,
        y: 0.0,
    }
}

fn guide(names: &[&str]) -> SiteInput {
    SiteInput {
        buildings: names
            .iter()
            .zip(1..)
            .map(|(n, i)| building(n, 10.0 * f64::from(i)))
            .collect(),
        ..SiteInput::named("翠苑一区", SiteKind::Residential)
    }
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
        issuer.add_platform("饿了么", now).expect("platform");
        let home = issuer
            .add_site(&guide(&["1幢", "2幢", "15幢"]), now)
            .expect("site");
        // Another site's guide, which this gate must never be offered.
        issuer
            .add_site(
                &SiteInput {
                    name: "西溪花园".into(),
                    ..guide(&["A座"])
                },
                now,
            )
            .expect("site");
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
            home,
        }
    }

    fn gate(&self) -> Gate {
        Gate::open(&self.root.path().join("gate")).expect("gate opens")
    }
}

fn choices(platforms: &[&str], buildings: &[&str]) -> ManualChoices {
    ManualChoices {
        platforms: platforms.iter().map(|&p| p.to_owned()).collect(),
        buildings: buildings.iter().map(|&b| b.to_owned()).collect(),
    }
}

#[test]
fn an_enrolled_gate_offers_its_sites_buildings_and_the_issuers_platforms() {
    let world = World::new();
    let gate = world.gate();
    assert_eq!(
        gate.manual_choices().unwrap(),
        choices(&["美团", "饿了么"], &["1幢", "2幢", "15幢"]),
        "in the issuer's order, only this site's buildings"
    );
}

#[test]
fn the_choices_follow_the_issuer_at_the_next_sync_even_one_made_beside_the_kiosk() {
    let world = World::new();
    // The kiosk's gate, and the sync worker's on its own connection to the same state.
    let kiosk = world.gate();
    let mut worker = world.gate();
    let now = wall_clock();
    world
        .issuer
        .update_site(world.home, &guide(&["1幢", "15幢", "16幢"]))
        .unwrap();
    world.issuer.add_platform("闪送", now).unwrap();
    // Offline until it syncs: the gate still offers what it was given.
    assert_eq!(
        kiosk.manual_choices().unwrap(),
        choices(&["美团", "饿了么"], &["1幢", "2幢", "15幢"])
    );
    let report = sync::sync(&mut worker, DEFAULT_TIMEOUT, wall_clock()).unwrap();
    assert!(report.site_bundle_updated, "{report:?}");
    let expected = choices(&["美团", "饿了么", "闪送"], &["1幢", "15幢", "16幢"]);
    assert_eq!(worker.manual_choices().unwrap(), expected);
    assert_eq!(
        kiosk.manual_choices().unwrap(),
        expected,
        "the kiosk sees the worker's sync before it reloads"
    );
}

#[test]
fn without_a_bundle_it_can_trust_the_gate_offers_no_choices() {
    let world = World::new();
    let db = rusqlite::Connection::open(world.root.path().join("gate").join("gate.db")).unwrap();
    let mut bytes: Vec<u8> = db
        .query_row("SELECT bytes FROM lists WHERE name = 'site'", [], |r| {
            r.get(0)
        })
        .unwrap();
    // A flipped signature bit: the bundle no longer verifies, so nothing in it is used.
    *bytes.last_mut().unwrap() ^= 0x01;
    db.execute("UPDATE lists SET bytes = ?1 WHERE name = 'site'", [&bytes])
        .unwrap();
    let mut gate = world.gate();
    assert!(!gate.verifies(ListName::Site));
    assert_eq!(gate.manual_choices().unwrap(), ManualChoices::default());

    db.execute("DELETE FROM lists WHERE name = 'site'", [])
        .unwrap();
    drop(db);
    gate.status(&clock::read()).unwrap();
    assert_eq!(
        gate.manual_choices().unwrap(),
        ManualChoices::default(),
        "no bundle cached"
    );
}
