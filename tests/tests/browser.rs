//! The rider's and the regulator's pages in real headless Chromium (Debian's chromium and
//! chromedriver), against a real issuer serving a demo city on loopback. Codes are read off
//! the browser's screenshots by `xiaoge-gate`'s own decoder and verified by enrolled gates.
//!
//! With `XIAOGE_SCREENSHOTS=DIR` the tests also save the pictures the README shows
//! (`scripts/web-screenshots` does that for docs/screenshots).

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use xiaoge_e2e::webdriver::{Browser, Screen};
use xiaoge_e2e::{IssuerProcess, Run, ok, run, run_later};

/// How long a page may take to show what a test waits for.
const PAGE: Duration = Duration::from_secs(20);

/// A demo city served on an ephemeral loopback port.
struct City {
    tmp: tempfile::TempDir,
    data: String,
    issuer: Option<IssuerProcess>,
    admin_token: String,
}

impl City {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("issuer").to_str().unwrap().to_owned();
        let seeded = ok(
            "xiaoge-issuer",
            &[
                "demo",
                "--data",
                &data,
                "--riders",
                "300",
                "--history-days",
                "7",
            ],
        )
        .json();
        let admin_token = seeded["admin_token"].as_str().unwrap().to_owned();
        let issuer = IssuerProcess::start(Path::new(&data), "127.0.0.1:0");
        Self {
            tmp,
            data,
            issuer: Some(issuer),
            admin_token,
        }
    }

    fn url(&self) -> &str {
        &self.issuer.as_ref().expect("the issuer runs").url
    }

    fn issuer(&self, args: &[&str]) -> String {
        let mut all = args.to_vec();
        all.extend(["--data", &self.data]);
        ok("xiaoge-issuer", &all).line()
    }

    /// The same page on this test's issuer: links carry the issuer's public URL, which is
    /// not the ephemeral port the test serves on.
    fn here(&self, link: &str) -> String {
        let path = link
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or_else(|| panic!("not an absolute URL: {link}"));
        format!("{}{path}", self.url())
    }

    /// Adds a gate to `site` and enrolls a gate state directory for it.
    fn gate(&self, site: &str, name: &str) -> String {
        self.gate_enrolled_by(site, name, |args| ok("xiaoge-gate", args))
    }

    /// A gate enrolled under libfaketime with real time (`+0s`), so that its boot clock is
    /// libfaketime's and a later `run_later` moves it.
    fn gate_on_faketime(&self, site: &str, name: &str) -> String {
        self.gate_enrolled_by(site, name, |args| {
            let r = run_later("+0s", "xiaoge-gate", args);
            assert_eq!(r.code, Some(0), "{r:?}");
            r
        })
    }

    fn gate_enrolled_by(&self, site: &str, name: &str, enroll: impl Fn(&[&str]) -> Run) -> String {
        let token = self.issuer(&["gate", "add", "--site", site, "--name", name]);
        let state = self.tmp.path().join(format!("gate-{site}-{name}"));
        let state = state.to_str().unwrap().to_owned();
        enroll(&[
            "enroll",
            "--state",
            &state,
            "--issuer",
            self.url(),
            "--token",
            &token,
        ]);
        state
    }

    /// Registers a rider on 美团 and returns the rider's pseudonym.
    fn rider(&self, platform_id: &str, name: &str) -> String {
        self.issuer(&[
            "rider",
            "add",
            "--platform",
            "美团",
            "--platform-rider-id",
            platform_id,
            "--name",
            name,
        ])
    }

    /// Opens the rider's one-time login link in `browser` and waits for the code page.
    fn sign_in(&self, browser: &Browser, rider: &str) {
        let link = self.issuer(&["rider", "login-link", rider]);
        browser.open(&self.here(&link));
        browser.wait_for("#qr svg", PAGE);
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// `xiaoge-gate verify --image` on a screenshot: exit code and the JSON verdict.
fn verify(gate: &str, image: &Path) -> (Option<i32>, Value) {
    let r = run(
        "xiaoge-gate",
        &[
            "verify",
            "--state",
            gate,
            "--image",
            image.to_str().unwrap(),
            "--json",
        ],
    );
    let verdict = serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("no JSON verdict ({e}): {r:?}"));
    (r.code, verdict)
}

/// Saves a copy of a picture for the README when `XIAOGE_SCREENSHOTS` names a directory.
fn keep(picture: &Path, name: &str) {
    if let Some(dir) = std::env::var_os("XIAOGE_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(picture, dir.join(name)).unwrap();
    }
}

/// What a 1280×720 tablet camera with a 65° field of view sees of a 68 mm wide phone screen
/// (a 360 px page at 2×, so 720 screenshot pixels) held `distance_mm` away: the screenshot
/// shrunk to scale, softened, dimmer than paper, on a grey background, with sensor noise.
fn seen_from(screenshot: &Path, distance_mm: f64, out: &Path) {
    let shot = image::open(screenshot).unwrap().to_luma8();
    let camera_px_per_mm = 1280.0 / (2.0 * distance_mm * 32.5f64.to_radians().tan());
    let scale = 68.0 / f64::from(shot.width()) * camera_px_per_mm;
    let (w, h) = (
        (f64::from(shot.width()) * scale) as u32,
        (f64::from(shot.height()) * scale) as u32,
    );
    let small = image::imageops::resize(&shot, w, h, image::imageops::FilterType::Triangle);
    let mut small = image::imageops::blur(&small, 0.7);
    for p in small.pixels_mut() {
        p.0[0] = (30.0 + f32::from(p.0[0]) * 0.75) as u8;
    }
    let mut frame = image::GrayImage::from_pixel(1280, 720, image::Luma([90]));
    let top = (i64::from(720u32) - i64::from(h)) / 2;
    image::imageops::overlay(&mut frame, &small, i64::from((1280 - w) / 2), top);
    // Sensor noise, σ ≈ 6 grey levels (a sum of four uniforms), from a fixed seed.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        f32::from((state >> 48) as u16) / 65_535.0 - 0.5
    };
    for p in frame.pixels_mut() {
        let noise = (uniform() + uniform() + uniform() + uniform()) * 20.8;
        p.0[0] = (f32::from(p.0[0]) + noise).clamp(0.0, 255.0) as u8;
    }
    frame.save(out).unwrap();
}

fn code_id(browser: &Browser) -> String {
    let qr = browser.wait_for("#qr", PAGE);
    browser.attribute(&qr, "data-code-id").unwrap_or_default()
}

#[test]
fn the_rider_page_rotates_its_code_and_every_code_verifies_until_it_expires() {
    let mut city = City::new();
    let rider = city.rider("mt-browser-1", "黄小明");
    let east = city.gate("1", "浏览器东门");
    let south = city.gate("1", "浏览器南门");
    let browser = Browser::start(Screen::Phone);
    city.sign_in(&browser, &rider);

    let page = browser.page_text();
    assert!(page.contains("黄**"), "masked name on the page: {page}");
    assert!(page.contains("美团"), "platform on the page: {page}");
    assert!(
        !page.contains("黄小明"),
        "the full name never reaches the page"
    );
    let countdown = browser.text(&browser.wait_for("#countdown", PAGE));
    assert!(
        countdown.contains("秒"),
        "a visible countdown: {countdown:?}"
    );

    // What the phone shows, read by the gate's own decoder off a screenshot.
    let first_id = code_id(&browser);
    let first = city.file("first.png");
    browser.screenshot(&first);
    let first_shown = std::time::Instant::now();
    keep(&first, "rider-page.png");
    let (code, v) = verify(&east, &first);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verdict"], "allow");
    assert_eq!(
        v["code_id"],
        first_id.as_str(),
        "the gate read the code the page shows"
    );
    assert_eq!(v["rider"]["id"], rider.as_str());

    // Big enough for a tablet camera at arm's length: 20 to 40 cm.
    for distance in [200.0, 300.0, 400.0] {
        let far = city.file(&format!("at-{distance}mm.png"));
        seen_from(&first, distance, &far);
        let read = run("xiaoge-gate", &["decode", "--json", far.to_str().unwrap()]).json();
        assert!(
            read["text"].as_str().is_some_and(|t| t.starts_with("XG1:")),
            "a 720p camera at {distance} mm cannot read the page's QR: {read}"
        );
    }

    // The page fetches the next code before the shown one expires.
    let start = Instant::now();
    let second_id = loop {
        let id = code_id(&browser);
        if id != first_id && !id.is_empty() {
            break id;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the code did not rotate within 90 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let rotated_after = start.elapsed();
    let second = city.file("second.png");
    browser.screenshot(&second);
    let (code, v) = verify(&east, &second);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        v["code_id"],
        second_id.as_str(),
        "a new code after {rotated_after:?}"
    );

    // The first code stays good until its own expiry: a gate that has not seen it allows
    // it; the gate that has seen it calls it replayed.
    let (code, v) = verify(&south, &first);
    assert_eq!(code, Some(0), "the old code still verifies: {v}");
    assert_eq!(v["code_id"], first_id.as_str());
    let (code, v) = verify(&east, &first);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["reason"], "replayed");
    // ...and not after: two and a half minutes on, a third gate finds it expired. A gate
    // judges expiry by the issuer's time carried forward by its boot clock, so a wall clock
    // moved alone would rightly not age the code: this gate runs on libfaketime's clocks,
    // both of which move, as if the time had really passed.
    let west = city.gate_on_faketime("1", "浏览器西门");
    let ahead = 152u64.saturating_sub(first_shown.elapsed().as_secs());
    let later = run_later(
        &format!("+{ahead}s"),
        "xiaoge-gate",
        &[
            "verify",
            "--state",
            &west,
            "--image",
            first.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(later.code, Some(1), "{later:?}");
    assert_eq!(later.json()["reason"], "expired");

    // Offline: the code on screen stays, and the page says the network is gone.
    city.issuer.take().expect("the issuer runs").stop();
    browser.script("window.dispatchEvent(new Event('online'));");
    let state = browser.wait_for("#state.offline", PAGE);
    assert!(
        browser.text(&state).contains("网络已断开"),
        "{}",
        browser.text(&state)
    );
    assert!(
        browser.find("#qr svg").is_some(),
        "the valid code stays on screen offline"
    );
}

#[test]
fn a_place_code_binds_the_code_to_its_site_and_shows_the_building_guide() {
    let city = City::new();
    // Site 2 of the demo city, 翠苑二区, has a building guide and parking; site 1 is elsewhere.
    let here = city.gate("2", "浏览器北门");
    let elsewhere = city.gate("1", "浏览器西门");
    let rider = city.rider("mt-browser-2", "林晓");
    let place = city.issuer(&["site", "url", "2"]);
    assert!(place.ends_with("/s/2"), "{place}");

    // The poster carries the place URL in a QR that the gate's decoder reads.
    let poster = city.file("poster.png");
    city.issuer(&["site", "poster", "2", "--out", poster.to_str().unwrap()]);
    keep(&poster, "poster.png");
    let read = ok(
        "xiaoge-gate",
        &["decode", "--json", poster.to_str().unwrap()],
    )
    .json();
    assert_eq!(read["text"], place.as_str(), "{read}");

    // Scanned by a rider who is not signed in: the site's guide and parking, no code.
    let browser = Browser::start(Screen::Phone);
    browser.open(&city.here(&place));
    browser.wait_for("#guide", PAGE);
    let page = browser.page_text();
    assert!(page.contains("翠苑二区"), "{page}");
    assert!(page.contains("3幢"), "the buildings are listed: {page}");
    assert!(page.contains("临停"), "parking is listed: {page}");
    assert!(browser.find("#qr").is_none(), "no code without a session");

    // Signed in, the same place code opens the rider's code bound to the site.
    city.sign_in(&browser, &rider);
    browser.open(&city.here(&place));
    browser.wait_for("#qr svg", PAGE);
    assert!(
        browser.url().contains("site=2"),
        "redirected to the bound code: {}",
        browser.url()
    );
    let site_line = browser.text(&browser.wait_for(".site", PAGE));
    assert!(site_line.contains("翠苑二区"), "{site_line}");
    let bound = city.file("bound.png");
    browser.screenshot(&bound);
    let (code, v) = verify(&here, &bound);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["code_site"], 2);
    let (code, v) = verify(&elsewhere, &bound);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["reason"], "wrong_site");

    // The rider looks for a building: it is named with the way to it and marked on the plan.
    let search = browser.wait_for("input[name=building]", PAGE);
    browser.type_into(&search, "12");
    browser.click(&browser.wait_for("form.inline button", PAGE));
    let found = browser.text(&browser.wait_for("#found", PAGE));
    assert!(
        found.contains("12幢"),
        "the searched building is found: {found}"
    );
    assert!(
        browser.find("tr.hit").is_some() && browser.find("svg .hit").is_some(),
        "the building is highlighted in the table and on the plan"
    );
    let guide = city.file("guide.png");
    browser.script("document.getElementById('found').scrollIntoView();");
    browser.screenshot(&guide);
    keep(&guide, "place-guide.png");

    // Signed out from elsewhere: the page stops showing a code and says how to get back.
    browser.clear_cookies();
    browser.open(&format!("{}/r", city.url()));
    let page = browser.page_text();
    assert!(page.contains("您已退出登录"), "{page}");
    assert!(browser.find("#qr").is_none());
}

#[test]
fn a_complaint_filed_on_the_phone_is_seen_and_closed_in_the_dashboard() {
    let city = City::new();
    let rider = city.rider("mt-browser-3", "周勇");
    let phone = Browser::start(Screen::Phone);
    city.sign_in(&phone, &rider);
    phone.open(&format!("{}/r?site=2", city.url()));
    phone.click(&phone.wait_for("a.button[href*='/r/help']", PAGE));
    let site = phone.wait_for("select#site option[selected]", PAGE);
    assert_eq!(
        phone.attribute(&site, "value").as_deref(),
        Some("2"),
        "the site is preselected"
    );
    phone.click(&phone.wait_for("select#category option[value=refused]", PAGE));
    let note = "东门保安不认通行码，让我等了二十分钟";
    phone.type_into(&phone.wait_for("textarea#note", PAGE), note);
    phone.click(&phone.wait_for("form button.primary", PAGE));
    let sent = phone.text(&phone.wait_for(".notice", PAGE));
    assert!(
        sent.contains('#'),
        "the rider gets a request number: {sent}"
    );
    // A complaint about a site never binds the rider's code to it: back on the code page,
    // the code still works at every site.
    assert!(
        !phone.url().contains("site="),
        "the complaint bound the code: {}",
        phone.url()
    );
    let site_line = phone.text(&phone.wait_for(".site", PAGE));
    assert!(site_line.contains("各小区"), "{site_line}");

    // A code bound to a site says so and returns to the all-sites code in one tap.
    phone.open(&format!("{}/r?site=2", city.url()));
    let site_line = phone.text(&phone.wait_for(".site", PAGE));
    assert!(site_line.contains("翠苑二区"), "{site_line}");
    phone.click(&phone.wait_for("a#all-sites", PAGE));
    phone.wait_for("#qr svg", PAGE);
    assert!(!phone.url().contains("site="), "{}", phone.url());
    let site_line = phone.text(&phone.wait_for(".site", PAGE));
    assert!(site_line.contains("各小区"), "{site_line}");
    drop(phone);

    let desk = Browser::start(Screen::Desktop);
    desk.open(&format!("{}/admin", city.url()));
    let token = desk.wait_for("input#token", PAGE);
    desk.type_into(&token, &city.admin_token);
    desk.click(&desk.wait_for("form button", PAGE));
    desk.wait_for("#help", PAGE);
    let page = desk.page_text();
    for figure in ["覆盖", "楼栋", "拒绝", "投诉"] {
        assert!(
            page.contains(figure),
            "the dashboard shows {figure}: {page}"
        );
    }
    let row = desk.wait_for("tr[data-help-id]", PAGE);
    let text = desk.text(&row);
    assert!(text.contains(note), "the complaint is listed: {text}");
    assert!(text.contains("翠苑二区"), "{text}");
    let dashboard = city.file("dashboard.png");
    desk.full_screenshot(&dashboard);
    keep(&dashboard, "dashboard.png");

    let id = desk.attribute(&row, "data-help-id").unwrap();
    let resolution = desk.wait_for(
        &format!("tr[data-help-id='{id}'] input[name=resolution]"),
        PAGE,
    );
    desk.type_into(&resolution, "已与物业沟通，保安已培训");
    desk.click(&desk.wait_for(&format!("tr[data-help-id='{id}'] button"), PAGE));
    desk.wait_for("#help", PAGE);
    assert!(
        desk.find(&format!("tr[data-help-id='{id}']")).is_none(),
        "a closed request leaves the open list"
    );
    let all = city.issuer(&["help-request", "list", "--all", "--json"]);
    let closed: Vec<Value> = serde_json::from_str(&all).unwrap();
    let mine = closed
        .iter()
        .find(|h| h["id"].as_u64().map(|n| n.to_string()) == Some(id.clone()))
        .unwrap_or_else(|| panic!("#{id} in {all}"));
    assert_eq!(mine["resolution"], "已与物业沟通，保安已培训", "{mine}");
    assert_eq!(mine["note"], note);
}
