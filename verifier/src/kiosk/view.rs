//! Drawing the kiosk: a pure function of its state that returns the guard's taps as inputs.
//!
//! Every size is in millimetres on the glass (`Metrics`, from the screen's diagonal in the
//! settings), so a verdict reads from a metre away on a 1280×800 tablet and a 1920×1200 one
//! alike. Layouts flow (wrapped rows, one column in portrait) instead of being placed in
//! pixels, so nothing overlaps at any size. One colour per meaning: green good, red the
//! rider's code refused or a fault, amber the guard's attention, steel plain information.
//! The status strip is on every screen, verdicts included.

use eframe::egui::{self, Align, Color32, CornerRadius, Layout, RichText, Sense, Stroke, Vec2};
use xiaoge_pass::ReasonCode;
use xiaoge_pass::api::{Decision, EntryMethod, EntryReason};

use crate::clock::ClockState;
use crate::gate::Freshness;
use crate::i18n::{self, Lang, Strings};
use crate::verdict_kind::{VerdictKind, not_a_pass};

use super::announce::Volume;
use super::model::{
    CameraState, Input, Kiosk, LogFilter, LogRow, ManualField, ManualForm, Notice, OverrideForm,
    PinPad, SCREEN_SIZES, Screen, SettingsPage, VOLUME_STEPS, VerdictCard,
};

/// Allow, and everything in order: white text on it reads at 5:1.
pub const GREEN: Color32 = Color32::from_rgb(0x1b, 0x7f, 0x3b);
/// Deny, and faults: white text on it reads at 6:1.
pub const RED: Color32 = Color32::from_rgb(0xc0, 0x1f, 0x1f);
/// The guard's attention (check by hand, lists ageing): always with dark `INK` text, 8:1.
pub const AMBER: Color32 = Color32::from_rgb(0xe0, 0x8e, 0x00);
/// Text on amber.
pub const INK: Color32 = Color32::from_rgb(0x14, 0x14, 0x14);
/// The status strip.
pub const SLATE: Color32 = Color32::from_rgb(0x26, 0x32, 0x38);
/// Behind every screen but the verdict.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x12, 0x16, 0x18);
/// Body text.
pub const TEXT: Color32 = Color32::from_gray(0xf2);
/// Problems written on the dark background: a light red that reads at 7:1 there.
pub const PROBLEM: Color32 = Color32::from_rgb(0xff, 0x8a, 0x80);
/// Neutral buttons and chips: white text on it reads at 7:1.
pub const STEEL: Color32 = Color32::from_rgb(0x45, 0x5a, 0x64);

/// Sizes on the glass in millimetres: font sizes, and the heights of what a finger taps.
pub mod mm {
    /// The verdict's words.
    pub const VERDICT: f32 = 22.0;
    /// The reason under them.
    pub const REASON: f32 = 11.0;
    /// The rider's masked name.
    pub const NAME: f32 = 9.0;
    /// The next step, and other second lines.
    pub const NEXT: f32 = 7.0;
    /// Page titles.
    pub const TITLE: f32 = 8.0;
    /// Words on buttons, and the status chips (never smaller than buttons).
    pub const BUTTON_TEXT: f32 = 6.0;
    /// Body text.
    pub const BODY: f32 = 5.0;
    /// A button's height.
    pub const BUTTON: f32 = 15.0;
    /// A keypad key's or a choice chip's height.
    pub const KEY: f32 = 11.0;
    /// Space between blocks.
    pub const GAP: f32 = 2.5;
}

/// Turns millimetres into egui points on this screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    per_mm: f32,
    portrait: bool,
}

impl Metrics {
    /// The metrics of the screen `ctx` draws on, whose diagonal is `inches` long.
    #[must_use]
    pub fn of(ctx: &egui::Context, inches: f32) -> Self {
        let screen = ctx.content_rect();
        let diagonal = screen.width().hypot(screen.height());
        Metrics {
            per_mm: (diagonal / (inches * 25.4)).max(1.0),
            portrait: screen.height() > screen.width(),
        }
    }

    /// Points per millimetre.
    #[must_use]
    pub fn per_mm(self) -> f32 {
        self.per_mm
    }

    fn px(self, mm: f32) -> f32 {
        mm * self.per_mm
    }

    fn margin(self, mm: f32) -> egui::Margin {
        // Margins are whole points in egui; a few millimetres stay well inside its range.
        egui::Margin::same(self.px(mm).round().clamp(0.0, 100.0) as i8)
    }

    fn text(self, words: impl Into<String>, mm: f32) -> RichText {
        RichText::new(words).size(self.px(mm))
    }
}

/// Draws the kiosk and returns what the guard did.
pub fn show(ui: &mut egui::Ui, kiosk: &Kiosk, preview: Option<&egui::TextureHandle>) -> Vec<Input> {
    let t = i18n::strings(kiosk.lang);
    let m = Metrics::of(ui.ctx(), kiosk.prefs.screen_inches);
    let mut inputs = Vec::new();
    // Selectable text would swallow taps meant for the screen behind it.
    ui.style_mut().interaction.selectable_labels = false;
    // Near-white on near-black: egui's default grey-on-grey fades in sunlight.
    ui.visuals_mut().override_text_color = Some(TEXT);
    ui.spacing_mut().item_spacing = Vec2::splat(m.px(1.5));
    if let Some(card) = &kiosk.verdict {
        verdict(ui, kiosk, t, m, card, &mut inputs);
        return inputs;
    }
    egui::Frame::new()
        .fill(BACKGROUND)
        .inner_margin(m.margin(3.0))
        .show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            strip(ui, kiosk, t, m);
            ui.add_space(m.px(mm::GAP));
            match &kiosk.screen {
                Screen::Scanning => scanning(ui, kiosk, t, m, preview, &mut inputs),
                Screen::Manual(form) => manual(ui, kiosk, t, m, form, &mut inputs),
                Screen::Override(form) => override_form(ui, kiosk, t, m, form, &mut inputs),
                Screen::Log => log(ui, kiosk, t, m, &mut inputs),
                Screen::Pin(pad) => pin(ui, t, m, pad, &mut inputs),
                Screen::Settings(page) => settings(ui, kiosk, t, m, page, &mut inputs),
            }
        });
    inputs
}

/// The colour of a verdict's kind, on its card and in the log.
fn fill_of(kind: VerdictKind) -> Color32 {
    match kind {
        VerdictKind::Allow => GREEN,
        VerdictKind::Deny => RED,
        VerdictKind::Attention => AMBER,
    }
}

/// Dark words on amber, white on every other fill.
fn ink_on(fill: Color32) -> Color32 {
    if fill == AMBER { INK } else { Color32::WHITE }
}

fn button_of(
    ui: &mut egui::Ui,
    m: Metrics,
    text: &str,
    fill: Color32,
    size: Vec2,
    mm_text: f32,
) -> bool {
    // The grow atoms on both sides centre the words whatever the surrounding layout.
    let button = egui::Button::new((
        egui::Atom::grow(),
        m.text(text, mm_text).color(ink_on(fill)).strong(),
        egui::Atom::grow(),
    ))
    .fill(fill)
    .corner_radius(CornerRadius::same(12))
    .min_size(size);
    ui.add(button).clicked()
}

/// A full-height button `width` points wide.
fn big_button(ui: &mut egui::Ui, m: Metrics, text: &str, fill: Color32, width: f32) -> bool {
    button_of(
        ui,
        m,
        text,
        fill,
        Vec2::new(width, m.px(mm::BUTTON)),
        mm::BUTTON_TEXT,
    )
}

/// A key or a choice: lower than a button, as wide as its words need, or `min_width`.
fn key(ui: &mut egui::Ui, m: Metrics, text: &str, fill: Color32, min_width: f32) -> bool {
    button_of(
        ui,
        m,
        text,
        fill,
        Vec2::new(min_width, m.px(mm::KEY)),
        mm::BUTTON_TEXT,
    )
}

/// Buttons side by side that share the row, or one above the other when the row is narrow.
fn button_row(
    ui: &mut egui::Ui,
    m: Metrics,
    buttons: &[(&str, Color32, Input)],
    inputs: &mut Vec<Input>,
) {
    let gap = ui.spacing().item_spacing.x;
    let n = buttons.len() as f32;
    let width = (ui.available_width() - gap * (n - 1.0)) / n;
    // Under 45 mm a button's words no longer fit in every language: stack them instead.
    if width < m.px(45.0) {
        let full = ui.available_width();
        for (text, fill, input) in buttons {
            if big_button(ui, m, text, *fill, full) {
                inputs.push(input.clone());
            }
        }
    } else {
        ui.horizontal(|ui| {
            for (text, fill, input) in buttons {
                if big_button(ui, m, text, *fill, width) {
                    inputs.push(input.clone());
                }
            }
        });
    }
}

/// The height `button_row` takes for `n` buttons.
fn button_row_height(ui: &egui::Ui, m: Metrics, n: usize) -> f32 {
    let gap = ui.spacing().item_spacing.x;
    let width = (ui.available_width() - gap * (n as f32 - 1.0)) / n as f32;
    let rows = if width < m.px(45.0) { n as f32 } else { 1.0 };
    rows * m.px(mm::BUTTON) + (rows - 1.0) * ui.spacing().item_spacing.y
}

/// A label in a wrapping row: it moves whole to the next line rather than flowing around
/// the widgets beside it.
fn word(ui: &mut egui::Ui, text: RichText) {
    ui.add(egui::Label::new(text).extend());
}

/// A coloured label. Laid out as one widget of known size, so that a wrapping row moves it
/// whole to the next line instead of squeezing its words into a column.
fn chip(ui: &mut egui::Ui, m: Metrics, text: &str, fill: Color32) {
    let font = egui::FontId::proportional(m.px(mm::BUTTON_TEXT));
    let galley = ui
        .painter()
        .layout_no_wrap(text.to_owned(), font, ink_on(fill));
    let pad = Vec2::new(m.px(2.0), m.px(0.8));
    let (rect, response) = ui.allocate_exact_size(galley.size() + pad * 2.0, Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, text));
    if ui.is_rect_visible(rect) {
        ui.painter().rect_filled(rect, CornerRadius::same(8), fill);
        ui.painter().galley(rect.min + pad, galley, ink_on(fill));
    }
}

/// The status strip, on every screen: where the gate is, and whether it can be trusted now.
fn strip(ui: &mut egui::Ui, kiosk: &Kiosk, t: &Strings, m: Metrics) {
    egui::Frame::new()
        .fill(SLATE)
        .corner_radius(CornerRadius::same(8))
        .inner_margin(m.margin(1.5))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            if kiosk.revoked {
                egui::Frame::new()
                    .fill(RED)
                    .corner_radius(CornerRadius::same(6))
                    .inner_margin(m.margin(1.0))
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.label(
                            m.text(t.gate_revoked, mm::BUTTON_TEXT)
                                .strong()
                                .color(Color32::WHITE),
                        );
                    });
            }
            ui.horizontal_wrapped(|ui| {
                let Some(status) = &kiosk.status else {
                    ui.label(m.text("…", mm::BUTTON_TEXT));
                    return;
                };
                word(
                    ui,
                    m.text(
                        format!("{} · {}", status.site_name, status.gate_name),
                        mm::BUTTON_TEXT,
                    )
                    .strong()
                    .color(Color32::WHITE),
                );
                let lists_old = status.freshness != Freshness::Fresh;
                let sync_age = status.last_sync_at.and_then(|at| kiosk.seconds_since(at));
                let sync_words =
                    sync_age.map_or_else(|| t.never.to_owned(), |s| i18n::ago(kiosk.lang, s));
                // Green says online; only being offline needs its own word.
                let (sync_text, sync_fill) = match kiosk.online {
                    Some(true) => (
                        format!("{} {sync_words}", t.last_sync),
                        if lists_old { AMBER } else { GREEN },
                    ),
                    Some(false) => (format!("{} · {} {sync_words}", t.offline, t.last_sync), RED),
                    None => (
                        format!("{} {sync_words}", t.last_sync),
                        if lists_old { AMBER } else { STEEL },
                    ),
                };
                chip(ui, m, &sync_text, sync_fill);
                let (lists_word, lists_fill) = match status.freshness {
                    Freshness::Fresh => (t.lists_fresh, GREEN),
                    Freshness::Stale => (t.lists_stale, AMBER),
                    Freshness::TooStale => (t.lists_too_stale, RED),
                };
                chip(ui, m, &format!("{} {lists_word}", t.lists), lists_fill);
                if status.banned_riders.is_none() {
                    chip(ui, m, t.bans_unverifiable, AMBER);
                }
                let (clock_word, clock_fill) = match status.clock.state {
                    ClockState::Trusted { .. } | ClockState::AboveFloor => (t.clock_ok, GREEN),
                    ClockState::Unchecked => (t.clock_unchecked, AMBER),
                    ClockState::Behind { .. } | ClockState::Ahead { .. } => (t.clock_wrong, RED),
                };
                chip(ui, m, &format!("{} {clock_word}", t.clock), clock_fill);
                // Entries waiting are normal between syncs; only waiting while the gate cannot
                // reach the issuer needs the guard's eye.
                let pending_fill = if status.pending_entries > 0 && kiosk.online == Some(false) {
                    AMBER
                } else {
                    STEEL
                };
                chip(
                    ui,
                    m,
                    &format!("{} {}", t.waiting_upload, status.pending_entries),
                    pending_fill,
                );
                if let Some((notice, _)) = kiosk.notice {
                    let (text, fill) = notice_words(t, notice);
                    chip(ui, m, text, fill);
                }
            });
        });
}

fn notice_words(t: &Strings, notice: Notice) -> (&'static str, Color32) {
    match notice {
        Notice::Registered => (t.registered, GREEN),
        Notice::OverrideLogged => (t.override_logged, AMBER),
        Notice::Syncing => (t.syncing, STEEL),
        Notice::Synced => (t.synced, GREEN),
        Notice::SyncFailed => (t.sync_failed, RED),
        Notice::LogFailed => (t.log_failed, RED),
    }
}

fn scanning(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    m: Metrics,
    preview: Option<&egui::TextureHandle>,
    inputs: &mut Vec<Input>,
) {
    let row = m.px(mm::KEY) + ui.spacing().item_spacing.y;
    let below = button_row_height(ui, m, 3)
        + row * kiosk.recent.len() as f32
        + m.px(mm::BODY) * 1.4
        + m.px(mm::GAP) * 2.0;
    ui.vertical_centered(|ui| {
        ui.label(m.text(t.show_code, mm::TITLE).strong());
    });
    let room = Vec2::new(
        ui.available_width(),
        (ui.available_height() - below).max(m.px(20.0)),
    );
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
    let side = rect.height().min(rect.width()) * 0.7;
    painter.rect_stroke(
        egui::Rect::from_center_size(rect.center(), Vec2::splat(side)),
        CornerRadius::same(18),
        Stroke::new(m.px(1.0), Color32::from_white_alpha(220)),
        egui::StrokeKind::Middle,
    );
    let camera_words = match &kiosk.camera {
        CameraState::Running => None,
        CameraState::Starting => Some((t.camera_starting, None)),
        CameraState::Failing(_) => Some((t.camera_failing, Some(t.camera_fix))),
    };
    if let Some((message, fix)) = camera_words {
        // Labels, not painted text: the message is what a screen reader and the UI tests
        // find. The system's own words about the camera are for support, in the settings.
        let line = m.px(mm::NEXT) * 1.5;
        let mut place = egui::Rect::from_center_size(rect.center(), Vec2::new(rect.width(), line));
        ui.put(
            place,
            egui::Label::new(m.text(message, mm::NEXT).strong().color(AMBER)).truncate(),
        );
        if let Some(fix) = fix {
            place = place.translate(Vec2::new(0.0, line));
            ui.put(
                place,
                egui::Label::new(m.text(fix, mm::BODY).color(TEXT)).truncate(),
            );
        }
    }
    ui.vertical_centered(|ui| {
        ui.add(egui::Label::new(m.text(t.hold_in_frame, mm::BODY)).truncate());
    });
    for (denial, _) in &kiosk.recent {
        ui.horizontal(|ui| {
            if key(ui, m, t.let_in_anyway, STEEL, m.px(30.0)) {
                inputs.push(Input::OverrideEntry(denial.entry_id));
            }
            let why = denial
                .reason
                .map_or("", |r| i18n::guard_reason(kiosk.lang, r).0);
            let ago = kiosk
                .seconds_since(denial.at)
                .map(|s| i18n::ago(kiosk.lang, s))
                .unwrap_or_default();
            let who = denial.who.as_deref().unwrap_or_default();
            ui.add(
                egui::Label::new(m.text(
                    format!("{}: {who} · {why} · {ago}", t.recent_denials),
                    mm::BODY,
                ))
                .truncate(),
            );
        });
    }
    ui.add_space(m.px(mm::GAP));
    button_row(
        ui,
        m,
        &[
            (t.register_by_hand, STEEL, Input::OpenManual),
            (t.todays_log, STEEL, Input::OpenLog),
            (t.settings, STEEL, Input::OpenSettings),
        ],
        inputs,
    );
}

fn verdict(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    m: Metrics,
    card: &VerdictCard,
    inputs: &mut Vec<Input>,
) {
    let lang = kiosk.lang;
    let v = &card.verdict;
    let fill = fill_of(card.kind);
    let ink = ink_on(fill);
    let rect = ui.max_rect();
    let whole = ui.interact(rect, ui.scope_id().with("verdict"), Sense::click());
    ui.painter().rect_filled(rect, CornerRadius::ZERO, fill);
    egui::Frame::new()
        .inner_margin(m.margin(3.0))
        .show(ui, |ui| {
            strip(ui, kiosk, t, m);
            ui.vertical_centered(|ui| {
                ui.add_space(m.px(4.0));
                let foreign = not_a_pass(v);
                let title = if foreign {
                    t.not_a_pass
                } else {
                    i18n::verdict_title(lang, card.kind)
                };
                ui.label(m.text(title, mm::VERDICT).strong().color(ink));
                if foreign {
                    ui.label(m.text(t.not_a_pass_next, mm::NEXT).color(ink));
                } else if let Some(reason) = v.reason {
                    let (headline, next) = i18n::guard_reason(lang, reason);
                    ui.label(m.text(headline, mm::REASON).strong().color(ink));
                    if let (ReasonCode::Replayed, Some(at), Some(status)) =
                        (reason, v.first_used_at, &kiosk.status)
                    {
                        let when =
                            i18n::first_used_text(lang, &kiosk.local_hm(at), &status.gate_name);
                        ui.label(m.text(when, mm::NEXT).color(ink));
                    }
                    let next = if card.kind == VerdictKind::Attention {
                        t.gate_fault_next
                    } else {
                        next
                    };
                    ui.label(m.text(next, mm::NEXT).color(ink));
                }
                if let Some(rider) = &v.rider {
                    ui.label(
                        m.text(format!("{} · {}", rider.name, rider.platform), mm::NAME)
                            .color(ink),
                    );
                }
                if v.stale && card.kind == VerdictKind::Allow {
                    // An allow on ageing lists is still an allow, but the guard should know.
                    egui::Frame::new()
                        .fill(AMBER)
                        .corner_radius(CornerRadius::same(8))
                        .inner_margin(m.margin(1.5))
                        .show(ui, |ui| {
                            ui.label(m.text(i18n::stale_text(lang), mm::NEXT).strong().color(INK));
                        });
                }
                ui.add_space(m.px(mm::GAP));
                let mut buttons: Vec<(&str, Color32, Input)> = Vec::new();
                if card.kind == VerdictKind::Attention {
                    buttons.push((t.register_by_hand, SLATE, Input::OpenManual));
                }
                if card.kind != VerdictKind::Allow && v.rider.is_some() {
                    buttons.push((t.let_in_anyway, SLATE, Input::StartOverride));
                }
                if !buttons.is_empty() {
                    let width = ui.available_width().min(m.px(75.0) * buttons.len() as f32);
                    ui.allocate_ui(Vec2::new(width, 0.0), |ui| {
                        button_row(ui, m, &buttons, inputs)
                    });
                }
                ui.label(m.text(t.tap_to_continue, mm::BODY).color(ink));
            });
        });
    if whole.clicked() && inputs.is_empty() {
        inputs.push(Input::Dismiss);
    }
}

fn problem_line(ui: &mut egui::Ui, m: Metrics, problem: Option<&str>) {
    // The line is there even when empty, so that a problem never pushes the buttons down
    // under the guard's finger.
    let height = m.px(mm::BODY) * 1.5;
    let (rect, _) = ui.allocate_exact_size(Vec2::new(ui.available_width(), height), Sense::hover());
    if let Some(problem) = problem {
        ui.put(
            rect,
            egui::Label::new(m.text(problem, mm::BODY).color(PROBLEM)).truncate(),
        );
    }
}

fn text_field(
    ui: &mut egui::Ui,
    m: Metrics,
    label: &str,
    value: &str,
    on_change: impl FnOnce(String) -> Input,
    inputs: &mut Vec<Input>,
) {
    let label = ui.label(m.text(label, mm::BODY));
    let mut text = value.to_owned();
    let edit = egui::TextEdit::singleline(&mut text)
        .font(egui::FontId::proportional(m.px(mm::BUTTON_TEXT)))
        .desired_width(ui.available_width().min(m.px(110.0)))
        .margin(m.margin(1.5));
    if ui.add(edit).labelled_by(label.id).changed() {
        inputs.push(on_change(text));
    }
}

fn choices(
    ui: &mut egui::Ui,
    m: Metrics,
    options: &[String],
    chosen: &str,
    field: ManualField,
    inputs: &mut Vec<Input>,
) {
    ui.horizontal_wrapped(|ui| {
        for option in options {
            let fill = if option == chosen { GREEN } else { STEEL };
            if key(ui, m, option, fill, m.px(18.0)) {
                inputs.push(Input::EditManual(field, option.clone()));
            }
        }
    });
}

/// The on-screen keypad for the phone's last four digits.
fn keypad(
    ui: &mut egui::Ui,
    t: &Strings,
    m: Metrics,
    digits: &str,
    key_mm: f32,
    inputs: &mut Vec<Input>,
) {
    let size = Vec2::new(m.px(20.0), m.px(key_mm));
    let key = |ui: &mut egui::Ui, m: Metrics, text: &str, fill: Color32, _: f32| {
        button_of(ui, m, text, fill, size, mm::BUTTON_TEXT)
    };
    let width = size.x;
    let edit = |input: String| Input::EditManual(ManualField::PhoneLast4, input);
    for row in [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] {
        ui.horizontal(|ui| {
            for d in row {
                if key(ui, m, d, STEEL, width) {
                    inputs.push(edit(format!("{digits}{d}")));
                }
            }
        });
    }
    ui.horizontal(|ui| {
        if key(ui, m, t.clear, STEEL, width) {
            inputs.push(edit(String::new()));
        }
        if key(ui, m, "0", STEEL, width) {
            inputs.push(edit(format!("{digits}0")));
        }
        if key(ui, m, t.delete_digit, STEEL, width) {
            let mut shorter = digits.to_owned();
            shorter.pop();
            inputs.push(edit(shorter));
        }
    });
}

fn manual(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    m: Metrics,
    form: &ManualForm,
    inputs: &mut Vec<Input>,
) {
    ui.label(m.text(t.register_by_hand, mm::TITLE).strong());
    let bottom = button_row_height(ui, m, 2) + m.px(mm::BODY) * 1.5 + m.px(mm::GAP);
    let body = Vec2::new(ui.available_width(), ui.available_height() - bottom);
    // Keys give up height before anything is pushed off the screen: a short landscape
    // screen with a two-line strip still shows the buttons.
    let key_mm = ((body.y / m.per_mm - 34.0) / 4.0 - 1.5).clamp(8.0, mm::KEY);
    let left = |ui: &mut egui::Ui, inputs: &mut Vec<Input>| {
        text_field(
            ui,
            m,
            t.name,
            &form.name,
            |v| Input::EditManual(ManualField::Name, v),
            inputs,
        );
        // Underscores show how many digits are still to come.
        let shown = format!("{:_<4}", form.phone_last4);
        ui.label(
            m.text(format!("{}  {shown}", t.phone_last4), mm::BUTTON_TEXT)
                .strong(),
        );
        keypad(ui, t, m, &form.phone_last4, key_mm, inputs);
    };
    let right = |ui: &mut egui::Ui, inputs: &mut Vec<Input>| {
        ui.label(m.text(t.platform, mm::BODY));
        choices(
            ui,
            m,
            &kiosk.choices.platforms,
            &form.platform,
            ManualField::Platform,
            inputs,
        );
        if kiosk.choices.platforms.is_empty() {
            text_field(
                ui,
                m,
                t.or_type_platform,
                &form.platform,
                |v| Input::EditManual(ManualField::Platform, v),
                inputs,
            );
        }
        ui.label(m.text(t.building, mm::BODY));
        // A big estate has dozens of buildings: they scroll, the field below stays.
        let room = (ui.available_height() - m.px(mm::BODY + mm::KEY + 6.0)).max(m.px(mm::KEY));
        egui::ScrollArea::vertical()
            .id_salt("buildings")
            .max_height(room)
            .show(ui, |ui| {
                let buildings = &kiosk.choices.buildings;
                choices(
                    ui,
                    m,
                    buildings,
                    &form.building,
                    ManualField::Building,
                    inputs,
                );
            });
        let typed = if kiosk.choices.buildings.contains(&form.building) {
            ""
        } else {
            form.building.as_str()
        };
        text_field(
            ui,
            m,
            t.or_type_building,
            typed,
            |v| Input::EditManual(ManualField::Building, v),
            inputs,
        );
    };
    ui.allocate_ui(body, |ui| {
        ui.set_min_size(body);
        if m.portrait {
            left(ui, inputs);
            right(ui, inputs);
        } else {
            ui.columns(2, |columns| {
                left(&mut columns[0], inputs);
                right(&mut columns[1], inputs);
            });
        }
    });
    let problem = form
        .problem
        .map(|p| i18n::manual_problem_text(kiosk.lang, p).to_owned())
        .or_else(|| {
            form.write_failed
                .as_ref()
                .map(|w| format!("{} {w}", t.write_failed))
        });
    problem_line(ui, m, problem.as_deref());
    button_row(
        ui,
        m,
        &[
            (t.register_and_let_in, GREEN, Input::SubmitManual),
            (t.cancel, STEEL, Input::Back),
        ],
        inputs,
    );
}

fn override_form(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    m: Metrics,
    form: &OverrideForm,
    inputs: &mut Vec<Input>,
) {
    ui.label(m.text(t.override_title, mm::TITLE).strong());
    let denial = &form.denial;
    let who = denial.who.as_deref().unwrap_or_default();
    let why = denial
        .reason
        .map_or("", |r| i18n::guard_reason(kiosk.lang, r).0);
    let at = kiosk.local_hm(denial.at);
    ui.label(
        m.text(format!("{at}  {who}  {why}"), mm::BUTTON_TEXT)
            .color(PROBLEM),
    );
    ui.add_space(m.px(mm::GAP));
    text_field(
        ui,
        m,
        t.override_reason,
        &form.reason,
        Input::EditReason,
        inputs,
    );
    ui.horizontal_wrapped(|ui| {
        for quick in i18n::quick_reasons(kiosk.lang) {
            let fill = if form.reason == *quick { GREEN } else { STEEL };
            if key(ui, m, quick, fill, m.px(18.0)) {
                inputs.push(Input::EditReason((*quick).to_owned()));
            }
        }
    });
    problem_line(ui, m, form.missing_reason.then_some(t.reason_required));
    button_row(
        ui,
        m,
        &[
            (t.confirm_let_in, AMBER, Input::SubmitOverride),
            (t.cancel, STEEL, Input::Back),
        ],
        inputs,
    );
}

fn log(ui: &mut egui::Ui, kiosk: &Kiosk, t: &Strings, m: Metrics, inputs: &mut Vec<Input>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(m.text(t.todays_log, mm::TITLE).strong());
        for (filter, word) in [
            (LogFilter::All, t.all),
            (LogFilter::Allowed, t.allowed),
            (LogFilter::Denied, t.denied),
        ] {
            let fill = if kiosk.filter == filter { GREEN } else { STEEL };
            if key(ui, m, word, fill, m.px(20.0)) {
                inputs.push(Input::Filter(filter));
            }
        }
        if key(ui, m, t.back, STEEL, m.px(24.0)) {
            inputs.push(Input::Back);
        }
    });
    ui.separator();
    let rows: Vec<&LogRow> = kiosk.visible_log().collect();
    if rows.is_empty() {
        ui.label(m.text(t.no_entries, mm::BODY));
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (i, row) in rows.into_iter().enumerate() {
                let stripe = if i % 2 == 0 { SLATE } else { BACKGROUND };
                egui::Frame::new()
                    .fill(stripe)
                    .inner_margin(m.margin(1.0))
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        log_row(ui, kiosk.lang, t, m, row, inputs);
                    });
            }
        });
}

fn log_row(
    ui: &mut egui::Ui,
    lang: Lang,
    t: &Strings,
    m: Metrics,
    row: &LogRow,
    inputs: &mut Vec<Input>,
) {
    let e = &row.entry;
    let allow = e.decision == Decision::Allow;
    let method = match e.method {
        EntryMethod::Scan => t.method_scan,
        EntryMethod::Manual => t.method_manual,
        EntryMethod::Override => t.method_override,
    };
    let reason = match e.reason() {
        Ok(Some(EntryReason::Refused(code))) => i18n::guard_reason(lang, code).0.to_owned(),
        Ok(Some(EntryReason::Guard(words))) => words.to_owned(),
        // The gate wrote this row itself, so a reason it cannot read is shown as it stands.
        Ok(None) | Err(_) => e.reason.clone().unwrap_or_default(),
    };
    ui.horizontal_wrapped(|ui| {
        word(ui, m.text(&row.local_time, mm::BODY).monospace());
        // A refusal that was the gate's own fault stays amber in the log, as on its card.
        let kind = match e.reason() {
            _ if allow => VerdictKind::Allow,
            Ok(Some(EntryReason::Refused(code))) => VerdictKind::of_refusal(code),
            _ => VerdictKind::Deny,
        };
        chip(ui, m, i18n::verdict_title(lang, kind), fill_of(kind));
        word(ui, m.text(method, mm::BODY));
        if let Some(who) = row.who() {
            word(ui, m.text(who, mm::BODY).strong());
        }
        if !reason.is_empty() {
            word(ui, m.text(reason, mm::BODY));
        }
        if let Some(at) = &row.overrode_at {
            word(
                ui,
                m.text(i18n::overrode_text(lang, at), mm::BODY).color(AMBER),
            );
        }
        if let Some(at) = &row.let_in_at {
            word(
                ui,
                m.text(i18n::let_in_text(lang, at), mm::BODY).color(AMBER),
            );
        }
        if row.can_let_in() && key(ui, m, t.let_in_anyway, STEEL, m.px(28.0)) {
            inputs.push(Input::OverrideEntry(e.id));
        }
    });
}

fn pin(ui: &mut egui::Ui, t: &Strings, m: Metrics, pad: &PinPad, inputs: &mut Vec<Input>) {
    ui.vertical_centered(|ui| {
        ui.label(m.text(t.enter_pin, mm::TITLE).strong());
        // Painted, not typed: the circles need no glyph in any font.
        let len = crate::settings::PIN_LEN;
        let (rect, _) = ui.allocate_exact_size(
            Vec2::new(m.px(12.0) * len as f32, m.px(10.0)),
            Sense::hover(),
        );
        let step = rect.width() / len as f32;
        let radius = m.px(3.0);
        for i in 0..len {
            let centre = egui::pos2(rect.left() + step * (i as f32 + 0.5), rect.center().y);
            if i < pad.entered.len() {
                ui.painter().circle_filled(centre, radius, TEXT);
            } else {
                ui.painter()
                    .circle_stroke(centre, radius, Stroke::new(m.px(0.6), TEXT));
            }
        }
        problem_line(ui, m, pad.wrong.then_some(t.wrong_pin));
        let width = m.px(26.0);
        let keys: [[(&str, Input); 3]; 4] = [
            [
                ("1", Input::PinDigit('1')),
                ("2", Input::PinDigit('2')),
                ("3", Input::PinDigit('3')),
            ],
            [
                ("4", Input::PinDigit('4')),
                ("5", Input::PinDigit('5')),
                ("6", Input::PinDigit('6')),
            ],
            [
                ("7", Input::PinDigit('7')),
                ("8", Input::PinDigit('8')),
                ("9", Input::PinDigit('9')),
            ],
            [
                (t.clear, Input::PinClear),
                ("0", Input::PinDigit('0')),
                (t.back, Input::Back),
            ],
        ];
        let gap = ui.spacing().item_spacing.x;
        for row in keys {
            ui.allocate_ui_with_layout(
                Vec2::new(width * 3.0 + gap * 2.0, m.px(mm::BUTTON)),
                Layout::left_to_right(Align::Center),
                |ui| {
                    for (word, input) in row {
                        if big_button(ui, m, word, STEEL, width) {
                            inputs.push(input);
                        }
                    }
                },
            );
        }
    });
}

fn settings(
    ui: &mut egui::Ui,
    kiosk: &Kiosk,
    t: &Strings,
    m: Metrics,
    page: &SettingsPage,
    inputs: &mut Vec<Input>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(m.text(t.settings, mm::TITLE).strong());
        if key(ui, m, t.back, STEEL, m.px(24.0)) {
            inputs.push(Input::Back);
        }
    });
    ui.separator();
    let picks = |ui: &mut egui::Ui, inputs: &mut Vec<Input>| {
        ui.label(m.text(t.language, mm::BODY));
        ui.horizontal_wrapped(|ui| {
            for (lang, word) in [(Lang::Zh, "中文"), (Lang::En, "English")] {
                let fill = if kiosk.lang == lang { GREEN } else { STEEL };
                if key(ui, m, word, fill, m.px(24.0)) {
                    inputs.push(Input::SetLang(lang));
                }
            }
        });
        ui.label(m.text(t.volume, mm::BODY));
        ui.horizontal_wrapped(|ui| {
            for step in VOLUME_STEPS {
                let word = if step == 0 {
                    t.mute.to_owned()
                } else {
                    step.to_string()
                };
                let fill = if kiosk.prefs.volume.percent() == step {
                    GREEN
                } else {
                    STEEL
                };
                if key(ui, m, &word, fill, m.px(14.0)) {
                    inputs.push(Input::SetVolume(Volume::new(step)));
                }
            }
        });
        ui.label(m.text(t.voice, mm::BODY));
        ui.horizontal_wrapped(|ui| {
            for (on, word) in [(true, t.on), (false, t.off)] {
                let fill = if kiosk.prefs.voice == on {
                    GREEN
                } else {
                    STEEL
                };
                if key(ui, m, word, fill, m.px(16.0)) {
                    inputs.push(Input::SetVoice(on));
                }
            }
        });
        ui.label(m.text(t.screen_size, mm::BODY));
        ui.horizontal_wrapped(|ui| {
            for inches in SCREEN_SIZES {
                let fill = if (kiosk.prefs.screen_inches - inches).abs() < 0.05 {
                    GREEN
                } else {
                    STEEL
                };
                if key(ui, m, &format!("{inches}"), fill, m.px(14.0)) {
                    inputs.push(Input::SetScreenInches(inches));
                }
            }
        });
    };
    let gate = |ui: &mut egui::Ui, inputs: &mut Vec<Input>| {
        ui.label(m.text(t.camera, mm::BODY));
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
                if key(ui, m, &name, fill, m.px(24.0)) {
                    inputs.push(Input::ChooseCamera(index));
                }
            }
            if kiosk.cameras.is_empty() {
                ui.label(m.text(t.no_camera, mm::BODY));
            }
        });
        if let CameraState::Failing(detail) = &kiosk.camera {
            ui.add(
                egui::Label::new(m.text(format!("{}: {detail}", t.camera_detail), mm::BODY))
                    .truncate(),
            );
        }
        if key(ui, m, t.sync_now, GREEN, m.px(30.0)) {
            inputs.push(Input::SyncNow);
        }
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
                ui.add(egui::Label::new(m.text(format!("{label}: {value}"), mm::BODY)).truncate());
            }
        }
        ui.add_space(m.px(mm::GAP));
        if page.confirm_quit {
            ui.label(m.text(t.confirm_quit, mm::BODY).strong().color(PROBLEM));
            ui.horizontal_wrapped(|ui| {
                if key(ui, m, t.quit_now, RED, m.px(24.0)) {
                    inputs.push(Input::ConfirmQuit);
                }
                if key(ui, m, t.cancel, STEEL, m.px(24.0)) {
                    inputs.push(Input::CancelQuit);
                }
            });
        } else if key(ui, m, t.quit, RED, m.px(30.0)) {
            inputs.push(Input::Quit);
        }
    };
    if m.portrait {
        picks(ui, inputs);
        ui.add_space(m.px(mm::GAP));
        gate(ui, inputs);
    } else {
        ui.columns(2, |columns| {
            picks(&mut columns[0], inputs);
            gate(&mut columns[1], inputs);
        });
    }
}
