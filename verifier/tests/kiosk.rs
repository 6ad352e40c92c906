//! The guard kiosk driven without a display: egui_kittest runs the real view over the real
//! state machine and a real gate (enrolled over HTTP with an issuer on loopback), finds the
//! widgets by the words a guard reads, and taps them.

#![allow(clippy::expect_used)]

use std::time::Instant;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use xiaoge_gate::clock::ClockReading;
use xiaoge_gate::gate::wall_clock;
use xiaoge_gate::i18n::{self, Lang};
use xiaoge_gate::kiosk::controller::Controller;
use xiaoge_gate::kiosk::model::{CameraState, Input, Screen};
use xiaoge_gate::scanner::ScanEvent;
use xiaoge_gate::settings::Settings;
use xiaoge_gate::sync::{self, DEFAULT_TIMEOUT, SyncFailure};
use xiaoge_gate::verdict_kind::VerdictKind;
use xiaoge_issuer::Issuer;
use xiaoge_issuer::model::Actor;
use xiaoge_issuer::service::InitOptions;
use xiaoge_pass::UnixTime;
use xiaoge_pass::api::{Decision, EntryMethod};

#[path = "support/kiosk_world.rs"]
mod kiosk_world;
use kiosk_world::{
    DAY, PIN, World, now_reading, show, tap, type_into, unlock_settings, visible_texts,
};

#[test]
fn a_valid_code_shows_allowed_with_the_masked_rider() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let code = world.code(&world.valid, Some(world.home), wall_clock());
    let verdict = show(&mut harness, &code, &now_reading());
    assert_eq!(verdict.verdict, Decision::Allow, "{verdict:?}");
    harness.get_by_label("允许通行");
    harness.get_by_label("黄** · 美团");
    assert!(harness.query_by_label("禁止通行").is_none());
    // A tap anywhere goes back to the scanner.
    harness.get_by_label("允许通行").click();
    harness.run();
    assert_eq!(harness.state().kiosk.screen, Screen::Scanning);
    assert!(harness.state().kiosk.verdict.is_none());
    harness.get_by_label(i18n::strings(Lang::Zh).show_code);
}

#[test]
fn every_denial_shows_its_reason_in_plain_words_in_both_languages() {
    let world = World::new();
    let now = wall_clock();
    let stranger = tempfile::tempdir().expect("temp dir");
    let foreign = Issuer::init(stranger.path(), &InitOptions::default(), now).expect("issuer");
    foreign.add_platform("美团", now).expect("platform");
    let outsider = foreign
        .add_rider("美团", "mt-9", "钱多多", now)
        .expect("rider")
        .id;
    let used = world.code(&world.valid, Some(world.home), now);
    let genuine = world.code(&world.valid, None, now);
    let tampered = {
        // Flip one character of the signature's end: the code still decodes, the signature fails.
        let mut chars: Vec<char> = genuine.chars().collect();
        let last = chars.len() - 2;
        chars[last] = if chars[last] == '0' { '1' } else { '0' };
        chars.into_iter().collect::<String>()
    };
    let later = now.plus(10 * DAY);
    let cases: Vec<(&str, String, ClockReading)> = vec![
        (
            "expired",
            world.code(&world.valid, None, now.plus(-600)),
            now_reading(),
        ),
        ("replayed", used.clone(), now_reading()),
        ("revoked", world.drill(&world.revoked), now_reading()),
        ("suspended", world.drill(&world.suspended), now_reading()),
        (
            "banned_at_site",
            world.code(&world.banned, None, now),
            now_reading(),
        ),
        (
            "wrong_site",
            world.code(&world.valid, Some(world.other), now),
            now_reading(),
        ),
        ("bad_signature", tampered, now_reading()),
        (
            "unknown_key",
            foreign.mint(&outsider, None, now).expect("mint").1,
            now_reading(),
        ),
        (
            "clock_untrusted",
            world.code(&world.valid, None, now),
            ClockReading::wall_only(now.plus(-30 * DAY)),
        ),
        (
            "lists_too_stale",
            world.code(&world.valid, None, later),
            ClockReading::wall_only(later),
        ),
    ];
    for lang in [Lang::Zh, Lang::En] {
        let mut harness = world.kiosk(lang);
        if lang == Lang::Zh {
            let first = show(&mut harness, &used, &now_reading());
            assert_eq!(first.verdict, Decision::Allow, "{first:?}");
        }
        for (expected, text, reading) in &cases {
            let verdict = show(&mut harness, text, reading);
            let reason = verdict
                .reason
                .map_or("none", xiaoge_pass::ReasonCode::as_str);
            assert_eq!(reason, *expected, "{verdict:?}");
            // The gate's own faults ask for a check by hand; the rest are refusals.
            let title = i18n::verdict_title(lang, VerdictKind::of(&verdict));
            let attention = ["clock_untrusted", "lists_too_stale"].contains(expected);
            assert_eq!(
                VerdictKind::of(&verdict) == VerdictKind::Attention,
                attention
            );
            harness.get_by_label(title);
            if let Some(code) = verdict.reason {
                harness.get_by_label(i18n::guard_reason(lang, code).0);
            }
            assert!(
                harness
                    .query_by_label(i18n::decision_text(lang, true))
                    .is_none()
            );
            tap(&mut harness, title);
        }
    }
}

#[test]
fn manual_registration_is_logged_as_manual_and_bad_fields_write_nothing() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.register_by_hand);
    type_into(&mut harness, t.name, "孙悟空");
    tap(&mut harness, "1");
    tap(&mut harness, "2");
    tap(&mut harness, "美团");
    type_into(&mut harness, t.or_type_building, "3幢");
    tap(&mut harness, t.register_and_let_in);
    // Two digits are not the last four: the form says so and nothing is logged.
    assert!(matches!(&harness.state().kiosk.screen, Screen::Manual(f) if f.problem.is_some()));
    let since = UnixTime(0);
    assert!(harness.state().gate().log(since).expect("log").is_empty());

    tap(&mut harness, "3");
    tap(&mut harness, "4");
    tap(&mut harness, t.register_and_let_in);
    assert_eq!(harness.state().kiosk.screen, Screen::Scanning);
    harness.get_by_label(t.registered);
    let log = harness.state().gate().log(since).expect("log");
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0].entry;
    assert_eq!(entry.method, EntryMethod::Manual);
    assert_eq!(entry.decision, Decision::Allow);
    let manual = entry.manual.as_ref().expect("manual fields");
    assert_eq!(
        (
            manual.name.as_str(),
            manual.phone_last4.as_str(),
            manual.platform.as_str(),
            manual.building.as_str()
        ),
        ("孙悟空", "1234", "美团", "3幢")
    );

    // The log page shows it.
    tap(&mut harness, t.todays_log);
    harness.get_by_label(t.method_manual);
    // Masked like a scanned rider's name: the log is read over the guard's shoulder.
    harness.get_by_label("孙** · 美团");
    assert!(!visible_texts(&harness).iter().any(|s| s.contains("孙悟空")));
}

#[test]
fn an_override_needs_a_reason_and_is_logged_against_the_denial() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    let denied = show(&mut harness, &world.drill(&world.revoked), &now_reading());
    assert_eq!(denied.reason, Some(xiaoge_pass::ReasonCode::Revoked));
    tap(&mut harness, t.let_in_anyway);
    tap(&mut harness, t.confirm_let_in);
    harness.get_by_label(t.reason_required);
    let since = UnixTime(0);
    assert_eq!(harness.state().gate().log(since).expect("log").len(), 1);

    type_into(&mut harness, t.override_reason, "业主电话确认");
    tap(&mut harness, t.confirm_let_in);
    assert_eq!(harness.state().kiosk.screen, Screen::Scanning);
    harness.get_by_label(t.override_logged);
    let log = harness.state().gate().log(since).expect("log");
    let overrides: Vec<_> = log
        .iter()
        .filter(|l| l.entry.method == EntryMethod::Override)
        .collect();
    assert_eq!(overrides.len(), 1, "{log:?}");
    let entry = &overrides[0].entry;
    assert_eq!(entry.overrides, Some(denied.entry_id));
    assert_eq!(entry.reason.as_deref(), Some("业主电话确认"));
    assert_eq!(entry.decision, Decision::Allow);
    assert_eq!(entry.rider, denied.rider.map(|r| r.id));
}

#[test]
fn the_log_filters_by_verdict() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::En);
    let t = i18n::strings(Lang::En);
    show(
        &mut harness,
        &world.code(&world.valid, None, wall_clock()),
        &now_reading(),
    );
    tap(&mut harness, "ALLOWED");
    show(&mut harness, &world.drill(&world.revoked), &now_reading());
    tap(&mut harness, "DENIED");
    tap(&mut harness, t.todays_log);
    let rows = |h: &Harness<'_, Controller>, word: &str| h.query_all_by_label(word).count();
    assert_eq!(
        (rows(&harness, "ALLOWED"), rows(&harness, "DENIED")),
        (1, 1)
    );
    tap(&mut harness, t.denied);
    assert_eq!(
        (rows(&harness, "ALLOWED"), rows(&harness, "DENIED")),
        (0, 1)
    );
    harness.get_by_label(i18n::guard_reason(Lang::En, xiaoge_pass::ReasonCode::Revoked).0);
    tap(&mut harness, t.allowed);
    assert_eq!(
        (rows(&harness, "ALLOWED"), rows(&harness, "DENIED")),
        (1, 0)
    );
}

#[test]
fn settings_open_only_with_the_pin() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    tap(&mut harness, t.settings);
    for digit in "1111".chars() {
        tap(&mut harness, &digit.to_string());
    }
    assert!(matches!(&harness.state().kiosk.screen, Screen::Pin(pad) if pad.wrong));
    harness.get_by_label(t.wrong_pin);
    assert!(harness.query_by_label(t.quit).is_none());
    for digit in PIN.chars() {
        tap(&mut harness, &digit.to_string());
    }
    harness.get_by_label(t.quit);
}

/// The screens a guard sees, walked in one language; returns each screen's texts.
fn tour(harness: &mut Harness<'_, Controller>, world: &World, lang: Lang) -> Vec<Vec<String>> {
    let t = i18n::strings(lang);
    let mut seen = vec![visible_texts(harness)];
    show(
        harness,
        &world.code(&world.valid, None, wall_clock()),
        &now_reading(),
    );
    seen.push(visible_texts(harness));
    harness.state_mut().apply(Input::Dismiss, Instant::now());
    show(harness, &world.drill(&world.revoked), &now_reading());
    seen.push(visible_texts(harness));
    tap(harness, t.let_in_anyway);
    seen.push(visible_texts(harness));
    tap(harness, t.cancel);
    tap(harness, t.register_by_hand);
    seen.push(visible_texts(harness));
    tap(harness, t.cancel);
    tap(harness, t.todays_log);
    seen.push(visible_texts(harness));
    tap(harness, t.back);
    tap(harness, t.settings);
    seen.push(visible_texts(harness));
    tap(harness, t.back);
    unlock_settings(harness, lang);
    seen.push(visible_texts(harness));
    seen
}

#[test]
fn switching_the_language_changes_every_visible_string() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let chinese = tour(&mut harness, &world, Lang::Zh);
    tap(&mut harness, "English");
    assert_eq!(harness.state().kiosk.lang, Lang::En);
    tap(&mut harness, i18n::strings(Lang::En).back);
    let english = tour(&mut harness, &world, Lang::En);
    // Names of people and places, times, the PIN pad's digits and the language buttons are data,
    // the same in both languages; every other string must have changed.
    // What is left of a string once the data in it (names of people and places, the issuer's
    // address, times and numbers) is taken out: the words the language switch must change.
    // The language buttons name themselves in their own language on purpose.
    let words = |s: &str| -> Option<String> {
        if s == "中文" || s == "English" {
            return None;
        }
        let mut rest = s.split("http://").next().unwrap_or_default().to_owned();
        for data in [
            "翠苑一区",
            "东门",
            "黄**",
            "李**",
            "美团",
            "饿了么",
            "顺丰同城",
            "京东秒送",
            "闪送",
            "达达",
            "UU跑腿",
            "15幢",
            "1幢",
            "2幢",
            "3幢",
        ] {
            rest = rest.replace(data, "");
        }
        rest.chars().any(char::is_alphabetic).then_some(rest)
    };
    assert_eq!(chinese.len(), english.len());
    let mut compared = 0;
    for (zh, en) in chinese.iter().zip(&english) {
        let en_words: Vec<String> = en.iter().filter_map(|s| words(s)).collect();
        for text in zh.iter().filter_map(|s| words(s)) {
            compared += 1;
            assert!(
                !en_words.contains(&text),
                "{text:?} is still on screen after switching to English: {en:?}"
            );
        }
        for text in &en_words {
            assert!(
                text.chars().all(|c| c.is_ascii() || c == '·' || c == '…'),
                "{text:?} on an English screen is not English"
            );
        }
    }
    assert!(compared > 40, "only {compared} strings compared");
    // The choice survives a restart.
    let gate = xiaoge_gate::Gate::open(&world.gate_dir()).expect("open gate");
    assert_eq!(Settings::of(&gate).language().expect("language"), Lang::En);
}

#[test]
fn a_failing_camera_says_so_and_the_screen_recovers_when_frames_return() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    let t = i18n::strings(Lang::Zh);
    harness.get_by_label(t.camera_starting);
    let unplugged = "camera 0: device /dev/video0 is gone";
    harness.state_mut().apply(
        Input::Camera(CameraState::Failing(unplugged.into())),
        Instant::now(),
    );
    harness.run();
    harness.get_by_label(t.camera_failing);
    harness.get_by_label(t.camera_fix);
    // The system's words are for support, in the settings.
    assert!(harness.query_by_label(unplugged).is_none());
    unlock_settings(&mut harness, Lang::Zh);
    harness.get_by_label(&format!("{}: {unplugged}", t.camera_detail));
    // The guard can still use everything else while the camera is away.
    tap(&mut harness, t.back);
    tap(&mut harness, t.todays_log);
    tap(&mut harness, t.back);
    harness
        .state_mut()
        .apply(Input::Scanned(ScanEvent::NoCode), Instant::now());
    harness.run();
    assert!(harness.query_by_label(t.camera_failing).is_none());
    assert!(harness.query_by_label(t.camera_starting).is_none());
    harness.get_by_label(t.show_code);
}

#[test]
fn a_revoked_gate_tells_the_guard_on_every_screen_and_still_checks_codes() {
    let world = World::new();
    let mut harness = world.kiosk(Lang::Zh);
    world
        .issuer
        .revoke_gate(Actor::Cli, world.gate_id, wall_clock())
        .expect("revoke");
    let refused = sync::sync(
        harness.state_mut().gate_mut(),
        DEFAULT_TIMEOUT,
        wall_clock(),
    )
    .expect_err("a revoked gate cannot sync");
    assert_eq!(
        SyncFailure::of(&refused),
        SyncFailure::GateRevoked,
        "{refused}"
    );
    harness.state_mut().apply(
        Input::SyncEnded(Err(SyncFailure::of(&refused))),
        Instant::now(),
    );
    harness.run();
    let words = i18n::strings(Lang::Zh).gate_revoked;
    harness.get_by_label(words);
    // Its cached lists still judge codes until they go stale; the banner stays up.
    let code = world.code(&world.valid, Some(world.home), wall_clock());
    let verdict = show(&mut harness, &code, &now_reading());
    assert_eq!(verdict.verdict, Decision::Allow, "{verdict:?}");
    harness.get_by_label("允许通行");
    harness.get_by_label(words);
}
