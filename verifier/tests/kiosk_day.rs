//! A guard's day at the kiosk, each test one of the ways the day broke in a field trial: a
//! scan behind a form, a denial let in from the log, settings left open, lists gone stale,
//! registering a rider without a keyboard, the words a guard reads, and layouts at the
//! tablet sizes gates use. Real view, real controller, real gate enrolled over HTTP.

#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use xiaoge_gate::clock::ClockReading;
use xiaoge_gate::gate::wall_clock;
use xiaoge_gate::i18n::{self, Lang};
use xiaoge_gate::kiosk::controller::Controller;
use xiaoge_gate::kiosk::model::Input;
use xiaoge_gate::scanner::ScanEvent;
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{Decision, EntryMethod};

#[path = "support/kiosk_world.rs"]
mod kiosk_world;
use kiosk_world::{DAY, World, now_reading, show, tap, type_into, unlock_settings, visible_texts};

/// Whether some text on screen contains `part`.
fn shows(harness: &Harness<'_, Controller>, part: &str) -> bool {
    visible_texts(harness).iter().any(|t| t.contains(part))
}

/// Fails, listing what is on screen, unless some text there contains `part`.
fn assert_shows(harness: &Harness<'_, Controller>, part: &str) {
    assert!(
        shows(harness, part),
        "no {part:?} in {:?}",
        visible_texts(harness)
    );
}

#[test]
fn a_code_scanned_behind_the_registration_form_shows_its_verdict_and_the_form_keeps_its_content() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.register_by_hand);
    type_into(&mut harness, t.name, "孙悟空");
    let code = world.code(&world.valid, None, wall_clock());
    let verdict = show(&mut harness, &code, &now_reading());
    assert_eq!(verdict.verdict, Decision::Allow, "{verdict:?}");
    harness.get_by_label("允许通行");
    harness.get_by_label("黄** · 美团");
    tap(&mut harness, "允许通行");
    // Back under the verdict, the guard's half-filled form is as it was.
    harness.get_by_label(t.register_and_let_in);
    assert_shows(&harness, "孙悟空");

    // Behind the settings too: the rider is never met with silence.
    tap(&mut harness, t.cancel);
    unlock_settings(&mut harness, Lang::Zh);
    let code = world.code(&world.valid, None, wall_clock().plus(1));
    show(&mut harness, &code, &now_reading());
    harness.get_by_label("允许通行");
}

#[test]
fn forms_left_alone_go_back_to_scanning() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.register_by_hand);
    let t0 = Instant::now();
    for second in 0..200 {
        let at = t0 + Duration::from_secs(second);
        harness
            .state_mut()
            .apply(Input::Scanned(ScanEvent::NoCode), at);
        harness.state_mut().apply(Input::Tick, at);
    }
    harness.run();
    harness.get_by_label(t.show_code);
    assert!(harness.query_by_label(t.register_and_let_in).is_none());
}

#[test]
fn a_denied_row_of_todays_log_can_be_let_in_and_the_override_is_linked_to_it() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    let denied = show(&mut harness, &world.drill(&world.revoked), &now_reading());
    assert_eq!(denied.verdict, Decision::Deny);
    // The next rider's scan replaces the deny card before the guard could act on it.
    let next = world.code(&world.valid, None, wall_clock());
    show(&mut harness, &next, &now_reading());
    tap(&mut harness, "允许通行");
    tap(&mut harness, t.todays_log);
    let offers = harness.query_all_by_label(t.let_in_anyway).count();
    assert_eq!(
        offers,
        1,
        "one denied row, one button: {:?}",
        visible_texts(&harness)
    );
    tap(&mut harness, t.let_in_anyway);
    harness.get_by_label(t.override_title);
    type_into(&mut harness, t.override_reason, "业主电话确认");
    tap(&mut harness, t.confirm_let_in);
    let log = harness.state().gate().log(UnixTime(0)).expect("log");
    let overrides: Vec<_> = log
        .iter()
        .filter(|l| l.entry.method == EntryMethod::Override)
        .collect();
    assert_eq!(overrides.len(), 1, "{log:?}");
    assert_eq!(overrides[0].entry.overrides, Some(denied.entry_id));
    // In the log the override says what it overrode, and the denial can't be let in twice.
    tap(&mut harness, t.todays_log);
    assert_eq!(harness.query_all_by_label(t.let_in_anyway).count(), 0);
    assert!(
        shows(&harness, "已人工放行"),
        "the denied row says it was let in: {:?}",
        visible_texts(&harness)
    );
}

#[test]
fn the_last_denials_stay_on_the_scanning_screen_to_be_let_in() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    show(&mut harness, &world.drill(&world.suspended), &now_reading());
    let later = Instant::now() + Duration::from_secs(30);
    harness.state_mut().apply(Input::Tick, later);
    harness.run();
    harness.get_by_label(t.show_code);
    assert_eq!(harness.query_all_by_label(t.let_in_anyway).count(), 1);
    tap(&mut harness, t.let_in_anyway);
    harness.get_by_label(t.override_title);
    assert_shows(&harness, "赵**");
}

#[test]
fn settings_lock_after_a_minute_without_a_guards_touch_whatever_the_camera_sees() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    unlock_settings(&mut harness, Lang::Zh);
    let t0 = Instant::now();
    for second in 0..=61 {
        let at = t0 + Duration::from_secs(second);
        harness
            .state_mut()
            .apply(Input::Scanned(ScanEvent::NoCode), at);
        harness.state_mut().apply(Input::Tick, at);
    }
    harness.run();
    assert!(
        harness.query_by_label(t.quit).is_none(),
        "settings still open"
    );
    harness.get_by_label(t.show_code);
}

#[test]
fn opening_the_settings_long_after_the_last_visit_shows_the_pin_pad() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    unlock_settings(&mut harness, Lang::Zh);
    tap(&mut harness, t.back);
    let later = Instant::now() + Duration::from_secs(600);
    harness.state_mut().apply(Input::OpenSettings, later);
    harness.state_mut().apply(Input::Tick, later);
    harness.run();
    harness.get_by_label(t.enter_pin);
}

#[test]
fn quitting_asks_first() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    unlock_settings(&mut harness, Lang::Zh);
    let effects = harness.state_mut().apply(Input::Quit, Instant::now());
    assert!(effects.is_empty(), "quit at once: {effects:?}");
    harness.run();
    assert_shows(&harness, "确认退出");
    // 取消 keeps the app and the settings; asked again, 确认退出 quits.
    tap(&mut harness, t.cancel);
    harness.get_by_label(t.quit);
    tap(&mut harness, t.quit);
    let effects = harness
        .state_mut()
        .apply(Input::ConfirmQuit, Instant::now());
    assert_eq!(
        effects,
        vec![xiaoge_gate::kiosk::model::Effect::Quit],
        "{:?}",
        visible_texts(&harness)
    );
}

#[test]
fn lists_too_old_or_a_wrong_clock_ask_for_a_check_by_hand_in_amber_not_a_red_refusal() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    let now = wall_clock();
    let later = now.plus(10 * DAY);
    for (text, reading) in [
        (
            world.code(&world.valid, None, later),
            ClockReading::wall_only(later),
        ),
        (
            world.code(&world.valid, None, now),
            ClockReading::wall_only(now.plus(-30 * DAY)),
        ),
    ] {
        let verdict = show(&mut harness, &text, &reading);
        assert_eq!(verdict.verdict, Decision::Deny, "{verdict:?}");
        assert!(
            harness.query_by_label("禁止通行").is_none(),
            "a gate fault shown as the rider's refusal: {:?}",
            visible_texts(&harness)
        );
        harness.get_by_label("请人工核验");
        // The manual path is one tap away.
        harness.get_by_label(t.register_by_hand);
        tap(&mut harness, "请人工核验");
    }
    // The log keeps the distinction: a check by hand, no refusal. (Only one row is today's:
    // the wrong clock put the other thirty days back.)
    tap(&mut harness, t.todays_log);
    assert_eq!(harness.query_all_by_label("请人工核验").count(), 1);
    assert_eq!(harness.query_all_by_label("禁止通行").count(), 0);
}

#[test]
fn a_payment_code_is_not_refused_as_a_bad_pass() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let verdict = show(
        &mut harness,
        "https://qr.alipay.com/fkx12345abcde",
        &now_reading(),
    );
    assert_eq!(verdict.verdict, Decision::Deny);
    assert!(harness.query_by_label("禁止通行").is_none());
    assert_shows(&harness, "不是小哥码");
}

#[test]
fn a_used_code_says_when_it_was_used() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let code = world.code(&world.valid, None, wall_clock());
    let first = show(&mut harness, &code, &now_reading());
    assert_eq!(first.verdict, Decision::Allow);
    let again = show(&mut harness, &code, &now_reading());
    assert_eq!(again.reason, Some(xiaoge_pass::ReasonCode::Replayed));
    let at = chrono::DateTime::from_timestamp(first.at.0, 0)
        .expect("time")
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string();
    assert!(
        shows(&harness, &at) && shows(&harness, "东门"),
        "no time {at} and gate of first use: {:?}",
        visible_texts(&harness)
    );
}

#[test]
fn denials_say_what_the_rider_should_do_next() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let expired = world.code(&world.valid, None, wall_clock().plus(-600));
    show(&mut harness, &expired, &now_reading());
    assert_shows(&harness, "请刷新");
}

#[test]
fn the_status_strip_is_on_every_screen_in_words_read_at_a_glance() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    for open in [t.todays_log, t.register_by_hand] {
        tap(&mut harness, open);
        assert!(
            shows(&harness, "翠苑一区") && shows(&harness, "刚刚"),
            "{open}: {:?}",
            visible_texts(&harness)
        );
        harness.state_mut().apply(Input::Back, Instant::now());
        harness.run();
    }
}

#[test]
fn a_rider_is_registered_by_hand_with_taps_only() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.register_by_hand);
    tap(&mut harness, "美团");
    for digit in ["1", "2", "3", "4"] {
        tap(&mut harness, digit);
    }
    tap(&mut harness, "3幢");
    tap(&mut harness, t.register_and_let_in);
    let log = harness.state().gate().log(UnixTime(0)).expect("log");
    assert_eq!(log.len(), 1, "{:?}", visible_texts(&harness));
    let manual = log[0].entry.manual.as_ref().expect("manual");
    assert_eq!(
        (
            manual.phone_last4.as_str(),
            manual.platform.as_str(),
            manual.building.as_str()
        ),
        ("1234", "美团", "3幢")
    );
}

#[test]
fn form_errors_are_in_the_guards_language_and_names_are_masked_in_the_log() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.register_by_hand);
    type_into(&mut harness, t.name, "孙悟空");
    tap(&mut harness, t.register_and_let_in);
    let texts = visible_texts(&harness);
    assert!(
        !texts.iter().any(|s| s.contains("must be")),
        "raw English on a Chinese screen: {texts:?}"
    );
    assert!(shows(&harness, "手机"), "{texts:?}");
}

#[test]
fn the_camera_error_is_in_the_guards_language() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    harness.state_mut().apply(
        Input::Camera(xiaoge_gate::kiosk::model::CameraState::Failing(
            "this build has no camera support (--features camera)".into(),
        )),
        Instant::now(),
    );
    harness.run();
    let texts = visible_texts(&harness);
    assert!(
        !texts.iter().any(|s| s.contains("this build")),
        "raw English on a Chinese screen: {texts:?}"
    );
}

/// Every labelled widget's rectangle, and the text it shows.
fn widgets(harness: &Harness<'_, Controller>) -> Vec<(String, egui::Rect)> {
    harness
        .query_all(egui_kittest::kittest::By::new().recursive(true))
        .filter_map(|node| {
            let a = node.accesskit_node();
            // The harness runs at one point per pixel, so the box is in points.
            let b = a.bounding_box()?;
            let rect = egui::Rect::from_min_max(
                egui::pos2(b.x0 as f32, b.y0 as f32),
                egui::pos2(b.x1 as f32, b.y1 as f32),
            );
            let text = a.label().or_else(|| a.value())?;
            (!text.is_empty() && rect.area() > 0.0).then_some((text, rect))
        })
        .collect()
}

/// Fails when two widgets overlap (one inside the other is a parent and its child) or one
/// runs off the screen's sides.
fn assert_laid_out(harness: &Harness<'_, Controller>, size: egui::Vec2, screen: &str) {
    let found = widgets(harness);
    let slack = 0.5;
    for (i, (a, ra)) in found.iter().enumerate() {
        assert!(
            ra.min.x >= -slack && ra.max.x <= size.x + slack,
            "{screen} at {size:?}: {a:?} runs off the side at {ra:?}"
        );
        // The log scrolls; every other page fits the screen.
        assert!(
            screen == "log" || ra.max.y <= size.y + slack,
            "{screen} at {size:?}: {a:?} runs off the bottom at {ra:?}"
        );
        for (b, rb) in &found[i + 1..] {
            let inner = ra.shrink(slack);
            let overlap = inner.intersects(rb.shrink(slack));
            let nested = ra.contains_rect(rb.shrink(slack)) || rb.contains_rect(ra.shrink(slack));
            assert!(
                !overlap || nested,
                "{screen} at {size:?}: {a:?} {ra:?} overlaps {b:?} {rb:?}"
            );
        }
    }
}

#[test]
fn nothing_overlaps_at_the_three_tablet_sizes() {
    let world = World::new();
    for (w, h) in [(1280.0, 800.0), (1920.0, 1200.0), (800.0, 1280.0)] {
        let size = egui::Vec2::new(w, h);
        for lang in [Lang::Zh, Lang::En] {
            let t = i18n::strings(lang);
            let mut harness = world.kiosk_at(lang, size);
            // Online, the strip's longest words.
            harness
                .state_mut()
                .apply(Input::SyncEnded(Ok(())), Instant::now());
            harness.run();
            assert_laid_out(&harness, size, "scanning");
            let denied = world.drill(&world.revoked);
            show(&mut harness, &denied, &now_reading());
            assert_laid_out(&harness, size, "denied");
            tap(&mut harness, t.let_in_anyway);
            assert_laid_out(&harness, size, "override");
            harness.state_mut().apply(Input::Back, Instant::now());
            let code = world.code(&world.valid, None, wall_clock());
            show(&mut harness, &code, &now_reading());
            assert_laid_out(&harness, size, "allowed");
            harness.state_mut().apply(Input::Dismiss, Instant::now());
            harness.run();
            tap(&mut harness, t.register_by_hand);
            assert_laid_out(&harness, size, "manual");
            harness.state_mut().apply(Input::Back, Instant::now());
            harness.run();
            tap(&mut harness, t.todays_log);
            assert_laid_out(&harness, size, "log");
            harness.state_mut().apply(Input::Back, Instant::now());
            harness.run();
            tap(&mut harness, t.settings);
            assert_laid_out(&harness, size, "pin");
            harness.state_mut().apply(Input::Back, Instant::now());
            harness.run();
            unlock_settings(&mut harness, lang);
            assert_laid_out(&harness, size, "settings");
        }
    }
}

/// The height on the glass of the first widget whose text starts with `text`, in millimetres.
fn height_mm(harness: &Harness<'_, Controller>, text: &str, size: egui::Vec2) -> f32 {
    let per_mm = size.x.hypot(size.y) / (xiaoge_gate::kiosk::model::DEFAULT_SCREEN_INCHES * 25.4);
    let (_, rect) = widgets(harness)
        .into_iter()
        .find(|(t, _)| t.starts_with(text))
        .unwrap_or_else(|| panic!("no {text:?} on screen: {:?}", visible_texts(harness)));
    rect.height() / per_mm
}

#[test]
fn verdict_words_and_chips_keep_their_size_in_millimetres_at_every_size() {
    let world = World::new();
    let t = i18n::strings(Lang::Zh);
    for (w, h) in [(1280.0, 800.0), (1920.0, 1200.0), (800.0, 1280.0)] {
        let size = egui::Vec2::new(w, h);
        let mut harness = world.kiosk_at(Lang::Zh, size);
        let denied = world.drill(&world.revoked);
        show(&mut harness, &denied, &now_reading());
        let reason = i18n::guard_reason(Lang::Zh, xiaoge_pass::ReasonCode::Revoked).0;
        let verdict = height_mm(&harness, "禁止通行", size);
        let why = height_mm(&harness, reason, size);
        let name = height_mm(&harness, "李** · 美团", size);
        let chip = height_mm(&harness, t.waiting_upload, size);
        let button = height_mm(&harness, t.let_in_anyway, size);
        println!(
            "{w}x{h}: verdict {verdict:.1} mm, reason {why:.1}, name {name:.1}, chip {chip:.1}, button {button:.1} (line heights)"
        );
        assert!(verdict >= 20.0 && why >= 10.0 && name >= 8.0, "{w}x{h}");
        // A chip's words are as large as a button's (the chip's line, the button's frame).
        assert!(chip >= 6.0, "{w}x{h}: chip {chip:.1} mm");
    }
}

/// One guard's day end to end on one kiosk: every rider's verdict is seen and logged, every
/// entry the guard makes lands once, and nothing the guard left open stays open.
#[test]
fn a_whole_day_at_the_gate_loses_nothing_and_leaves_nothing_open() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    let start = wall_clock();
    // Morning: a rider walks in.
    let first = world.code(&world.valid, None, start);
    assert_eq!(
        show(&mut harness, &first, &now_reading()).verdict,
        Decision::Allow
    );
    tap(&mut harness, "允许通行");
    // A rider without a phone; while the guard fills in the form, a revoked rider scans.
    tap(&mut harness, t.register_by_hand);
    tap(&mut harness, "饿了么");
    let denied = show(&mut harness, &world.drill(&world.revoked), &now_reading());
    assert_eq!(denied.verdict, Decision::Deny);
    harness.get_by_label("禁止通行");
    tap(&mut harness, "禁止通行");
    for digit in ["5", "6", "7", "8"] {
        tap(&mut harness, digit);
    }
    tap(&mut harness, "3幢");
    tap(&mut harness, t.register_and_let_in);
    harness.get_by_label(t.registered);
    // The revoked rider turns out to be known to the resident: let in from the scanning
    // screen's recent denials, with a one-tap reason.
    tap(&mut harness, t.let_in_anyway);
    tap(&mut harness, "已核对证件");
    tap(&mut harness, t.confirm_let_in);
    harness.get_by_label(t.override_logged);
    assert_eq!(harness.query_all_by_label(t.let_in_anyway).count(), 0);
    // Noon: the guard opens the settings and walks off; the camera keeps seeing the street.
    unlock_settings(&mut harness, Lang::Zh);
    let noon = Instant::now();
    for second in 0..=60 {
        let at = noon + Duration::from_secs(second);
        harness
            .state_mut()
            .apply(Input::Scanned(ScanEvent::NoCode), at);
        harness.state_mut().apply(Input::Tick, at);
    }
    harness.run();
    harness.get_by_label(t.show_code);
    // Ten days without a network: the lists are too old to decide on. The valid rider is
    // not refused in red; the guard registers them by hand from the amber card.
    let later = start.plus(10 * DAY);
    let stale = world.code(&world.valid, None, later);
    let check = show(&mut harness, &stale, &ClockReading::wall_only(later));
    assert_eq!(check.reason, Some(xiaoge_pass::ReasonCode::ListsTooStale));
    assert!(harness.query_by_label("禁止通行").is_none());
    tap(&mut harness, t.register_by_hand);
    tap(&mut harness, "美团");
    for digit in ["1", "1", "2", "2"] {
        tap(&mut harness, digit);
    }
    tap(&mut harness, "15幢");
    tap(&mut harness, t.register_and_let_in);
    // The day's log: each event once, the override pointing at its denial. (Sorted: the
    // last scan was judged at the simulated clock ten days on, the forms at the real one.)
    let log = harness.state().gate().log(UnixTime(0)).expect("log");
    let mut kinds: Vec<(EntryMethod, Decision)> = log
        .iter()
        .map(|l| (l.entry.method, l.entry.decision))
        .collect();
    kinds.sort_by_key(|(m, d)| (format!("{m:?}"), format!("{d:?}")));
    assert_eq!(
        kinds,
        vec![
            (EntryMethod::Manual, Decision::Allow),
            (EntryMethod::Manual, Decision::Allow),
            (EntryMethod::Override, Decision::Allow),
            (EntryMethod::Scan, Decision::Allow),
            (EntryMethod::Scan, Decision::Deny),
            (EntryMethod::Scan, Decision::Deny),
        ],
        "{log:?}"
    );
    assert_eq!(log[3].entry.overrides, Some(denied.entry_id));
    assert_eq!(log[3].entry.reason.as_deref(), Some("已核对证件"));
}
