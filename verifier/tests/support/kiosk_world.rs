//! The world the kiosk tests share: an issuer on loopback, a gate enrolled at one of its two
//! sites, riders in every state, and the harness that draws the real view over the real
//! controller.

#![allow(dead_code, reason = "each test file uses a part of it")]

use std::sync::Arc;
use std::time::Instant;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};
use xiaoge_gate::clock::ClockReading;
use xiaoge_gate::gate::{Verdict, wall_clock};
use xiaoge_gate::i18n::{self, Lang};
use xiaoge_gate::kiosk::app::install_fonts;
use xiaoge_gate::kiosk::controller::Controller;
use xiaoge_gate::kiosk::model::{Input, Kiosk};
use xiaoge_gate::kiosk::view;
use xiaoge_gate::scanner::ScanEvent;
use xiaoge_gate::settings::{Settings, pin_hash};
use xiaoge_gate::sync::{self, DEFAULT_TIMEOUT};
use xiaoge_issuer::model::{Building, SiteInput, SiteKind};
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http};
use xiaoge_pass::{RiderId, RiderStatus, SiteId, UnixTime};

/// The PIN the test gate is set up with.
pub const PIN: &str = "2580";
/// A day in seconds.
pub const DAY: i64 = 86_400;

/// An issuer on loopback, a gate enrolled at one of its two sites, and riders in every state.
pub struct World {
    root: tempfile::TempDir,
    pub issuer: Arc<Issuer>,
    _server: http::Background,
    pub home: SiteId,
    pub other: SiteId,
    pub valid: RiderId,
    pub revoked: RiderId,
    pub suspended: RiderId,
    pub banned: RiderId,
    pub gate_id: u64,
}

impl World {
    /// A fresh world.
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let now = wall_clock();
        let issuer = Arc::new(
            Issuer::init(&root.path().join("issuer"), &InitOptions::default(), now)
                .expect("issuer"),
        );
        let server = http::Background::start(&issuer, "127.0.0.1:0".parse().expect("addr"), 2)
            .expect("serve");
        // The platforms of a Hangzhou gate: the form's chips wrap over two rows.
        for platform in [
            "美团",
            "饿了么",
            "顺丰同城",
            "京东秒送",
            "闪送",
            "达达",
            "UU跑腿",
        ] {
            issuer.add_platform(platform, now).expect("platform");
        }
        let site = |name: &str, buildings: &[&str]| {
            let guide = SiteInput {
                buildings: buildings
                    .iter()
                    .zip(1..)
                    .map(|(b, i)| Building {
                        name: (*b).into(),
                        x: 12.0 * f64::from(i),
                        y: 0.0,
                    })
                    .collect(),
                ..SiteInput::named(name, SiteKind::Residential)
            };
            issuer.add_site(&guide, now).expect("site")
        };
        let (home, other) = (
            site("翠苑一区", &["1幢", "2幢", "3幢", "15幢"]),
            site("西溪花园", &["A座"]),
        );
        let rider =
            |id: &str, name: &str| issuer.add_rider("美团", id, name, now).expect("rider").id;
        let valid = rider("mt-1", "黄小明");
        let revoked = rider("mt-2", "李大伟");
        let suspended = rider("mt-3", "赵敏");
        let banned = rider("mt-4", "王强");
        issuer
            .set_regulator_status(&revoked, RiderStatus::Revoked, now)
            .expect("revoke");
        issuer
            .set_regulator_status(&suspended, RiderStatus::Suspended, now)
            .expect("suspend");
        issuer.ban(home, &banned, "逆行", now).expect("ban");
        let (gate_id, token) = issuer.add_gate(home, "东门", now).expect("gate");
        let gate = sync::enroll(
            &root.path().join("gate"),
            &server.url(),
            &token,
            DEFAULT_TIMEOUT,
            now,
        )
        .expect("enroll");
        Settings::of(&gate).set_pin(PIN).expect("pin");
        Self {
            root,
            issuer,
            _server: server,
            home,
            other,
            valid,
            revoked,
            suspended,
            banned,
            gate_id,
        }
    }

    /// The gate's state directory.
    pub fn gate_dir(&self) -> std::path::PathBuf {
        self.root.path().join("gate")
    }

    /// A code for `rider` made at `at`.
    pub fn code(&self, rider: &RiderId, site: Option<SiteId>, at: UnixTime) -> String {
        self.issuer.mint(rider, site, at).expect("mint").1
    }

    /// A drill code (issued whatever the rider's status).
    pub fn drill(&self, rider: &RiderId) -> String {
        self.issuer
            .mint_drill(rider, None, wall_clock())
            .expect("drill")
            .1
    }

    /// The kiosk over this world's gate, in `lang`, as a harness at a tablet's size.
    pub fn kiosk(&self, lang: Lang) -> Harness<'static, Controller> {
        self.kiosk_at(lang, egui::Vec2::new(1280.0, 800.0))
    }

    /// The kiosk over this world's gate, in `lang`, as a harness of `size` points.
    pub fn kiosk_at(&self, lang: Lang, size: egui::Vec2) -> Harness<'static, Controller> {
        let gate = xiaoge_gate::Gate::open(&self.gate_dir()).expect("open gate");
        let offset = chrono::Local::now().offset().local_minus_utc();
        let kiosk = Kiosk::new(lang, pin_hash(PIN), None).with_utc_offset(offset);
        let controller = Controller::new(gate, kiosk);
        let mut harness = Harness::builder()
            .with_size(size)
            // The shipped font, and egui's default of panicking on a glyph it cannot draw:
            // every string on every screen must render.
            .with_context_setup(install_fonts)
            .build_ui_state(
                |ui, controller: &mut Controller| {
                    let inputs = view::show(ui, &controller.kiosk, None);
                    for input in inputs {
                        controller.apply(input, Instant::now());
                    }
                },
                controller,
            );
        harness.state_mut().refresh_status(Instant::now());
        harness.run();
        harness
    }
}

/// Checks `text` at the gate's own time and puts the verdict on the kiosk.
pub fn show(harness: &mut Harness<'_, Controller>, text: &str, reading: &ClockReading) -> Verdict {
    let verdict = harness
        .state_mut()
        .gate_mut()
        .check(text, reading)
        .expect("check");
    harness.state_mut().apply(
        Input::Scanned(ScanEvent::Verdict(Box::new(verdict.clone()))),
        Instant::now(),
    );
    harness.run();
    verdict
}

pub fn now_reading() -> ClockReading {
    ClockReading::wall_only(wall_clock())
}

/// Every text the screen shows, as the accessibility tree reports it.
pub fn visible_texts(harness: &Harness<'_, Controller>) -> Vec<String> {
    harness
        .query_all(By::new().recursive(true))
        // AccessKit keeps a plain label's text in its value.
        .filter_map(|node| {
            let node = node.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .filter(|label| !label.is_empty())
        .collect()
}

pub fn tap(harness: &mut Harness<'_, Controller>, label: &str) {
    harness.get_by_label(label).click();
    harness.run();
}

pub fn type_into(harness: &mut Harness<'_, Controller>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run();
    harness.get_by_label(label).type_text(text);
    harness.run();
}

pub fn unlock_settings(harness: &mut Harness<'_, Controller>, lang: Lang) {
    tap(harness, i18n::strings(lang).settings);
    for digit in PIN.chars() {
        tap(harness, &digit.to_string());
    }
    harness.get_by_label(i18n::strings(lang).quit);
}
