//! Drawing the kiosk: a pure function of its state that returns the guard's taps as inputs.
//!
//! Everything is sized to be read from a metre away and hit with a gloved finger: verdict
//! words 130 px tall, buttons at least 90 px high, one colour per meaning (green allow, red
//! deny, amber stale).

use eframe::egui::{
    self, Align, Align2, Color32, CornerRadius, Layout, RichText, Sense, Stroke, Vec2,
};
use xiaoge_pass::api::{Decision, EntryMethod, EntryReason};

use crate::clock::ClockState;
use crate::gate::Freshness;
use crate::i18n::{self, Lang, Strings};

use super::model::{
    CameraState, Input, Kiosk, LogFilter, LogRow, ManualField, Notice, Screen, minutes_between,
};

/// Allow: a green that stays green in sunlight.
pub const GREEN: Color32 = Color32::from_rgb(0x1b, 0x7f, 0x3b);
/// Deny.
pub const RED: Color32 = Color32::from_rgb(0xc0, 0x1f, 0x1f);
/// Stale, waiting.
pub const AMBER: Color32 = Color32::from_rgb(0xe0, 0x8e, 0x00);
/// Neutral chips and bars.
pub const SLATE: Color32 = Color32::from_rgb(0x26, 0x32, 0x38);
/// Behind every screen but the verdict.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x12, 0x16, 0x18);
/// Body text.
pub const TEXT: Color32 = Color32::from_gray(0xf2);
/// Neutral buttons: light enough to stand out from the background.
pub const STEEL: Color32 = Color32::from_rgb(0x45, 0x5a, 0x64);
const BUTTON_HEIGHT: f32 = 96.0;

/// Draws the kiosk and returns what the guard did.
pub fn show(ui: &mut egui::Ui, kiosk: &Kiosk, preview: Option<&egui::TextureHandle>) -> Vec<Input> {
    let t = i18n::strings(kiosk.lang);
    let mut inputs = Vec::new();
    // Selectable text would swallow taps meant for the screen behind it.
    ui.style_mut().interaction.selectable_labels = false;
    if let Screen::Verdict(card) = &kiosk.screen {
        verdict(ui, kiosk.lang, t, &card.verdict, &mut inputs);
    } else {
        // Near-white on near-black: egui's default grey-on-grey fades in sunlight.
        ui.visuals_mut().override_text_color = Some(TEXT);
        egui::Frame::new()
            .fill(BACKGROUND)
            .inner_margin(egui::Margin::same(20))
            .show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                match &kiosk.screen {
                    Screen::Scanning => scanning(ui, kiosk, t, preview, &mut inputs),
                    Screen::Manual(form) => manual(ui, t, form, &mut inputs),
                    Screen::Override(form) => override_form(ui, kiosk.lang, t, form, &mut inputs),
                    Screen::Log => log(ui, kiosk, t, &mut inputs),
                    Screen::Pin(pad) => pin(ui, t, pad, &mut inputs),
                    Screen::Settings => settings(ui, kiosk, t, &mut inputs),
                    Screen::Verdict(_) => {}
                }
            });
    }
    if kiosk.revoked {
        banner(ui, t.gate_revoked, RED);
    }
    if let Some((notice, _)) = kiosk.notice {
        toast(ui, t, notice);
    }
    inputs
}

/// A standing message along the top of every screen, verdicts included, until its cause ends.
fn banner(ui: &mut egui::Ui, text: &str, colour: Color32) {
    egui::Area::new(egui::Id::unique("banner"))
        .anchor(Align2::CENTER_TOP, Vec2::new(0.0, 8.0))
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::new()
                .fill(colour)
                .corner_radius(CornerRadius::same(10))
                .inner_margin(egui::Margin::symmetric(24, 10))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(text)
                            .size(28.0)
                            .strong()
                            .color(Color32::WHITE),
                    );
                });
        });
}

fn big_button(ui: &mut egui::Ui, text: &str, fill: Color32, width: f32) -> bool {
    // The grow atoms on both sides centre the words whatever the surrounding layout.
    let button = egui::Button::new((
        egui::Atom::grow(),
        RichText::new(text)
            .size(36.0)
            .color(Color32::WHITE)
            .strong(),
        egui::Atom::grow(),
    ))
    .fill(fill)
    .corner_radius(CornerRadius::same(14))
    .min_size(Vec2::new(width, BUTTON_HEIGHT));
    ui.add(button).clicked()
}

fn chip(ui: &mut egui::Ui, label: &str, value: &str, colour: Color32) {
    egui::Frame::new()
        .fill(colour)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(egui::Margin::symmetric(14, 6))
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("{label} {value}"))
                    .size(24.0)
                    .color(Color32::WHITE),
            );
        });
}

/// The status strip: always on top of the scanning screen.
fn strip(ui: &mut egui::Ui, kiosk: &Kiosk, t: &Strings) {
    egui::Frame::new()
        .fill(SLATE)
        .inner_margin(egui::Margin::symmetric(16, 10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let Some(status) = &kiosk.status else {
                    ui.label(RichText::new("…").size(26.0).color(Color32::WHITE));
                    return;
                };
                ui.label(
                    RichText::new(format!("{} · {}", status.site_name, status.gate_name))
                        .size(30.0)
                        .strong()
                        .color(Color32::WHITE),
                );
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let (clock_word, clock_colour) = match status.clock.state {
                        ClockState::Trusted { .. } | ClockState::AboveFloor => (t.clock_ok, GREEN),
                        ClockState::Unchecked => (t.clock_unchecked, AMBER),
                        ClockState::Behind { .. } | ClockState::Ahead { .. } => {
                            (t.clock_wrong, RED)
                        }
                    };
                    chip(ui, t.clock, clock_word, clock_colour);
                    let (lists_word, lists_colour) = match status.freshness {
                        Freshness::Fresh => (t.lists_fresh, GREEN),
                        Freshness::Stale => (t.lists_stale, AMBER),
                        Freshness::TooStale => (t.lists_too_stale, RED),
                    };
                    chip(ui, t.lists, lists_word, lists_colour);
                    if status.banned_riders.is_none() {
                        chip(ui, t.lists, t.bans_unverifiable, RED);
                    }
                    let pending_colour = if status.pending_entries > 0 {
                        AMBER
                    } else {
                        GREEN
                    };
                    chip(
                        ui,
                        t.waiting_upload,
                        &status.pending_entries.to_string(),
                        pending_colour,
                    );
                    let now = crate::clock::read().wall;
                    let last = status.last_sync_at.map_or_else(
                        || t.never.to_owned(),
                        |at| format!("{} {}", minutes_between(at, now), t.minutes_ago),
                    );
                    chip(ui, t.last_sync, &last, STEEL);
                    match kiosk.online {
                        Some(true) => chip(ui, "", t.online, GREEN),
                        Some(false) => chip(ui, "", t.offline, RED),
                        None => {}
                    }
                });
            });
        });
}

fn scanning(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    preview: Option<&egui::TextureHandle>,
    inputs: &mut Vec<Input>,
) {
    strip(ui, kiosk, t);
    let bottom = BUTTON_HEIGHT + 32.0;
    let area = Vec2::new(ui.available_width(), ui.available_height() - bottom);
    ui.allocate_ui(area, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(12.0);
            ui.label(RichText::new(t.show_code).size(56.0).strong());
            let room = ui.available_size() - Vec2::new(0.0, 60.0);
            let (rect, _) = ui.allocate_exact_size(room, Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, CornerRadius::same(12), Color32::BLACK);
            if let Some(texture) = preview {
                let size = texture.size_vec2();
                let scale = (rect.width() / size.x).min(rect.height() / size.y);
                let shown = egui::Rect::from_center_size(rect.center(), size * scale);
                painter.image(
                    texture.id(),
                    shown,
                    egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                    Color32::WHITE,
                );
            }
            // The framing guide: where the rider should hold the phone.
            let guide =
                egui::Rect::from_center_size(rect.center(), Vec2::splat(rect.height() * 0.7));
            painter.rect_stroke(
                guide,
                CornerRadius::same(18),
                Stroke::new(6.0, Color32::from_white_alpha(220)),
                egui::StrokeKind::Middle,
            );
            let camera_message = match &kiosk.camera {
                CameraState::Running => None,
                CameraState::Starting => Some((t.camera_starting, None)),
                CameraState::Failing(detail) => Some((t.camera_failing, Some(detail))),
            };
            if let Some((message, detail)) = camera_message {
                // Labels, not painted text: the message is what a screen reader and the UI
                // tests find, and what the guard reads over the black preview.
                let mut place =
                    egui::Rect::from_center_size(rect.center(), Vec2::new(rect.width(), 60.0));
                ui.put(
                    place,
                    egui::Label::new(RichText::new(message).size(40.0).strong().color(AMBER)),
                );
                if let Some(detail) = detail {
                    place = place.translate(Vec2::new(0.0, 56.0));
                    ui.put(
                        place,
                        egui::Label::new(RichText::new(detail.as_str()).size(24.0).color(TEXT))
                            .truncate(),
                    );
                }
            }
            ui.label(RichText::new(t.hold_in_frame).size(30.0));
        });
    });
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 32.0) / 3.0;
        if big_button(ui, t.register_by_hand, STEEL, width) {
            inputs.push(Input::OpenManual);
        }
        if big_button(ui, t.todays_log, STEEL, width) {
            inputs.push(Input::OpenLog);
        }
        if big_button(ui, t.settings, STEEL, width) {
            inputs.push(Input::OpenSettings);
        }
    });
}

fn verdict(
    ui: &mut egui::Ui,
    lang: Lang,
    t: &Strings,
    v: &crate::gate::Verdict,
    inputs: &mut Vec<Input>,
) {
    let allow = v.verdict == Decision::Allow;
    let fill = if allow { GREEN } else { RED };
    let rect = ui.max_rect();
    let whole = ui.interact(rect, ui.scope_id().with("verdict"), Sense::click());
    ui.painter().rect_filled(rect, CornerRadius::ZERO, fill);
    ui.vertical_centered(|ui| {
        ui.add_space(rect.height() * 0.12);
        ui.label(
            RichText::new(i18n::decision_text(lang, allow))
                .size(130.0)
                .strong()
                .color(Color32::WHITE),
        );
        if let Some(reason) = v.reason {
            ui.add_space(12.0);
            ui.label(
                RichText::new(i18n::reason_text(lang, reason))
                    .size(64.0)
                    .strong()
                    .color(Color32::WHITE),
            );
        }
        if let Some(rider) = &v.rider {
            ui.add_space(18.0);
            ui.label(
                RichText::new(format!("{} · {}", rider.name, rider.platform))
                    .size(52.0)
                    .color(Color32::WHITE),
            );
        }
        if v.stale {
            ui.add_space(8.0);
            ui.label(
                RichText::new(i18n::stale_text(lang))
                    .size(34.0)
                    .color(Color32::WHITE),
            );
        }
        ui.add_space(30.0);
        if !allow && big_button(ui, t.let_in_anyway, SLATE, 420.0) {
            inputs.push(Input::StartOverride);
        }
        ui.add_space(20.0);
        ui.label(
            RichText::new(t.tap_to_continue)
                .size(30.0)
                .color(Color32::from_white_alpha(210)),
        );
    });
    if whole.clicked() && inputs.is_empty() {
        inputs.push(Input::Dismiss);
    }
}

fn field(
    ui: &mut egui::Ui,
    label: &str,
    value: &str,
    on_change: impl FnOnce(String) -> Input,
    inputs: &mut Vec<Input>,
) {
    ui.add_space(10.0);
    let label = ui.label(RichText::new(label).size(30.0));
    let mut text = value.to_owned();
    let edit = egui::TextEdit::singleline(&mut text)
        .font(egui::FontId::proportional(38.0))
        .desired_width(ui.available_width().min(720.0))
        .margin(egui::Margin::same(12));
    if ui.add(edit).labelled_by(label.id).changed() {
        inputs.push(on_change(text));
    }
}

fn manual(
    ui: &mut egui::Ui,
    t: &Strings,
    form: &super::model::ManualForm,
    inputs: &mut Vec<Input>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(16.0);
        ui.label(RichText::new(t.register_by_hand).size(52.0).strong());
        field(
            ui,
            t.name,
            &form.name,
            |v| Input::EditManual(ManualField::Name, v),
            inputs,
        );
        field(
            ui,
            t.phone_last4,
            &form.phone_last4,
            |v| Input::EditManual(ManualField::PhoneLast4, v),
            inputs,
        );
        field(
            ui,
            t.platform,
            &form.platform,
            |v| Input::EditManual(ManualField::Platform, v),
            inputs,
        );
        field(
            ui,
            t.building,
            &form.building,
            |v| Input::EditManual(ManualField::Building, v),
            inputs,
        );
        if let Some(error) = &form.error {
            ui.add_space(8.0);
            ui.label(RichText::new(error).size(28.0).color(RED));
        }
        ui.add_space(20.0);
        ui.horizontal(|ui| {
            let width = (ui.available_width() - 16.0) / 2.0;
            if big_button(ui, t.register_and_let_in, GREEN, width) {
                inputs.push(Input::SubmitManual);
            }
            if big_button(ui, t.cancel, STEEL, width) {
                inputs.push(Input::Back);
            }
        });
    });
}

fn override_form(
    ui: &mut egui::Ui,
    lang: Lang,
    t: &Strings,
    form: &super::model::OverrideForm,
    inputs: &mut Vec<Input>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(16.0);
        ui.label(RichText::new(t.override_title).size(52.0).strong());
        ui.add_space(10.0);
        let who = form
            .denied
            .rider
            .as_ref()
            .map_or(String::new(), |r| format!("{} · {}  ", r.name, r.platform));
        let why = form
            .denied
            .reason
            .map_or("", |r| i18n::reason_text(lang, r));
        ui.label(RichText::new(format!("{who}{why}")).size(34.0).color(RED));
        field(
            ui,
            t.override_reason,
            &form.reason,
            Input::EditReason,
            inputs,
        );
        if form.missing_reason {
            ui.label(RichText::new(t.reason_required).size(28.0).color(RED));
        }
        ui.add_space(20.0);
        ui.horizontal(|ui| {
            let width = (ui.available_width() - 16.0) / 2.0;
            if big_button(ui, t.confirm_let_in, AMBER, width) {
                inputs.push(Input::SubmitOverride);
            }
            if big_button(ui, t.cancel, STEEL, width) {
                inputs.push(Input::Back);
            }
        });
    });
}

fn log(ui: &mut egui::Ui, kiosk: &Kiosk, t: &Strings, inputs: &mut Vec<Input>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.todays_log).size(48.0).strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if big_button(ui, t.back, STEEL, 220.0) {
                inputs.push(Input::Back);
            }
            for (filter, word) in [
                (LogFilter::Denied, t.denied),
                (LogFilter::Allowed, t.allowed),
                (LogFilter::All, t.all),
            ] {
                let fill = if kiosk.filter == filter { GREEN } else { STEEL };
                if big_button(ui, word, fill, 180.0) {
                    inputs.push(Input::Filter(filter));
                }
            }
        });
    });
    ui.separator();
    let rows: Vec<&LogRow> = kiosk.visible_log().collect();
    if rows.is_empty() {
        ui.add_space(20.0);
        ui.label(RichText::new(t.no_entries).size(32.0));
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("log")
                .striped(true)
                .min_row_height(54.0)
                .spacing(Vec2::new(24.0, 6.0))
                .show(ui, |ui| {
                    for row in rows {
                        log_row(ui, kiosk.lang, t, row);
                        ui.end_row();
                    }
                });
        });
}

fn log_row(ui: &mut egui::Ui, lang: Lang, t: &Strings, row: &LogRow) {
    let e = &row.entry;
    let allow = e.decision == Decision::Allow;
    let time = &row.local_time;
    let method = match e.method {
        EntryMethod::Scan => t.method_scan,
        EntryMethod::Manual => t.method_manual,
        EntryMethod::Override => t.method_override,
    };
    let reason = match e.reason() {
        Ok(Some(EntryReason::Refused(code))) => i18n::reason_text(lang, code).to_owned(),
        Ok(Some(EntryReason::Guard(words))) => words.to_owned(),
        // The gate wrote this row itself, so a reason it cannot read is shown as it stands.
        Ok(None) | Err(_) => e.reason.clone().unwrap_or_default(),
    };
    let who = match (&row.rider_name, &row.platform) {
        (Some(n), Some(p)) => format!("{n} · {p}"),
        (Some(n), None) => n.clone(),
        _ => String::new(),
    };
    ui.label(RichText::new(time).size(30.0).monospace());
    egui::Frame::new()
        .fill(if allow { GREEN } else { RED })
        .corner_radius(CornerRadius::same(8))
        .inner_margin(egui::Margin::symmetric(12, 4))
        .show(ui, |ui| {
            ui.label(
                RichText::new(i18n::decision_text(lang, allow))
                    .size(28.0)
                    .strong()
                    .color(Color32::WHITE),
            );
        });
    ui.label(RichText::new(method).size(28.0));
    ui.label(RichText::new(who).size(30.0));
    ui.label(RichText::new(reason).size(28.0));
}

fn pin(ui: &mut egui::Ui, t: &Strings, pad: &super::model::PinPad, inputs: &mut Vec<Input>) {
    ui.vertical_centered(|ui| {
        ui.add_space(20.0);
        ui.label(RichText::new(t.enter_pin).size(48.0).strong());
        // Painted, not typed: the circles need no glyph in any font.
        let (rect, _) = ui.allocate_exact_size(Vec2::new(300.0, 80.0), Sense::hover());
        let step = rect.width() / crate::settings::PIN_LEN as f32;
        for i in 0..crate::settings::PIN_LEN {
            let centre = egui::pos2(rect.left() + step * (i as f32 + 0.5), rect.center().y);
            if i < pad.entered.len() {
                ui.painter().circle_filled(centre, 20.0, TEXT);
            } else {
                ui.painter()
                    .circle_stroke(centre, 20.0, Stroke::new(3.0, TEXT));
            }
        }
        if pad.wrong {
            ui.label(RichText::new(t.wrong_pin).size(30.0).color(RED));
        }
        ui.add_space(10.0);
        let keys = [['1', '2', '3'], ['4', '5', '6'], ['7', '8', '9']];
        for row in keys {
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - 3.0 * 170.0) / 2.0);
                for key in row {
                    if big_button(ui, &key.to_string(), STEEL, 160.0) {
                        inputs.push(Input::PinDigit(key));
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            ui.add_space((ui.available_width() - 3.0 * 170.0) / 2.0);
            if big_button(ui, t.clear, STEEL, 160.0) {
                inputs.push(Input::PinClear);
            }
            if big_button(ui, "0", STEEL, 160.0) {
                inputs.push(Input::PinDigit('0'));
            }
            if big_button(ui, t.back, STEEL, 160.0) {
                inputs.push(Input::Back);
            }
        });
    });
}

fn settings(ui: &mut egui::Ui, kiosk: &Kiosk, t: &Strings, inputs: &mut Vec<Input>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.settings).size(48.0).strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if big_button(ui, t.back, STEEL, 220.0) {
                inputs.push(Input::Back);
            }
        });
    });
    ui.separator();
    ui.label(RichText::new(t.language).size(32.0));
    ui.horizontal(|ui| {
        for (lang, word) in [(Lang::Zh, "中文"), (Lang::En, "English")] {
            let fill = if kiosk.lang == lang { GREEN } else { STEEL };
            if big_button(ui, word, fill, 260.0) {
                inputs.push(Input::SetLang(lang));
            }
        }
    });
    ui.add_space(12.0);
    ui.label(RichText::new(t.camera).size(32.0));
    ui.horizontal_wrapped(|ui| {
        let demo = kiosk
            .offers_demo_frames
            .then(|| (None, t.demo_camera.to_owned()));
        let real = kiosk.cameras.iter().map(|c| (c.index, c.name.clone()));
        for (index, name) in demo.into_iter().chain(real) {
            let fill = if kiosk.camera_in_use == index {
                GREEN
            } else {
                STEEL
            };
            if big_button(ui, &name, fill, 300.0) {
                inputs.push(Input::ChooseCamera(index));
            }
        }
        if kiosk.cameras.is_empty() {
            ui.label(RichText::new(t.no_camera).size(26.0));
        }
    });
    ui.add_space(12.0);
    if big_button(ui, t.sync_now, GREEN, 300.0) {
        inputs.push(Input::SyncNow);
    }
    ui.add_space(12.0);
    if let Some(status) = &kiosk.status {
        for (label, value) in [
            (
                t.gate,
                format!("{} (#{})", status.gate_name, status.gate_id),
            ),
            (
                t.site,
                format!("{} (#{})", status.site_name, status.site_id),
            ),
            (t.issuer, status.issuer_url.clone()),
        ] {
            ui.label(RichText::new(format!("{label}: {value}")).size(28.0));
        }
    }
    ui.add_space(20.0);
    if big_button(ui, t.quit, RED, 300.0) {
        inputs.push(Input::Quit);
    }
}

fn toast(ui: &mut egui::Ui, t: &Strings, notice: Notice) {
    let (text, colour) = match notice {
        Notice::Registered => (t.registered, GREEN),
        Notice::OverrideLogged => (t.override_logged, AMBER),
        Notice::Syncing => (t.syncing, SLATE),
        Notice::Synced => (t.synced, GREEN),
        Notice::SyncFailed => (t.sync_failed, RED),
        Notice::LogFailed => (t.log_failed, RED),
    };
    egui::Area::new(egui::Id::unique("notice"))
        .anchor(Align2::CENTER_BOTTOM, Vec2::new(0.0, -150.0))
        // A notice never takes the tap meant for the button under it.
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::new()
                .fill(colour)
                .corner_radius(CornerRadius::same(14))
                .inner_margin(egui::Margin::symmetric(28, 16))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(text)
                            .size(36.0)
                            .strong()
                            .color(Color32::WHITE),
                    );
                });
        });
}
