//! Every string a guard reads, in Chinese first and English second: one table per language.

use serde::{Deserialize, Serialize};
use xiaoge_pass::ReasonCode;
use xiaoge_pass::api::{Decision, ManualProblem};

use crate::gate::Verdict;
use crate::scanner::FrameEvent;
use crate::verdict_kind::VerdictKind;

/// The language of the guard-facing text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// 中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

/// The kiosk's words in one language.
#[derive(Debug)]
pub struct Strings {
    /// The scanning screen's call to the rider.
    pub show_code: &'static str,
    /// The scanning screen's hint.
    pub hold_in_frame: &'static str,
    /// The camera is not delivering frames.
    pub camera_failing: &'static str,
    /// The camera is starting.
    pub camera_starting: &'static str,
    /// Status strip: the issuer answered the last sync.
    pub online: &'static str,
    /// Status strip: the last sync failed.
    pub offline: &'static str,
    /// Status strip: when the last sync was, before the time in words.
    pub last_sync: &'static str,
    /// Status strip: never synced.
    pub never: &'static str,
    /// Status strip: entries waiting.
    pub waiting_upload: &'static str,
    /// Status strip: lists label.
    pub lists: &'static str,
    /// Status strip: the site's ban list cannot be verified (every rider needs a check).
    pub bans_unverifiable: &'static str,
    /// Lists fresh.
    pub lists_fresh: &'static str,
    /// Lists stale.
    pub lists_stale: &'static str,
    /// Lists too stale.
    pub lists_too_stale: &'static str,
    /// Status strip: clock label.
    pub clock: &'static str,
    /// Clock agrees with the issuer.
    pub clock_ok: &'static str,
    /// Clock not checked yet.
    pub clock_unchecked: &'static str,
    /// Clock wrong.
    pub clock_wrong: &'static str,
    /// Button: manual registration.
    pub register_by_hand: &'static str,
    /// Button: today's log.
    pub todays_log: &'static str,
    /// Button: settings.
    pub settings: &'static str,
    /// Verdict screen: tap to go on.
    pub tap_to_continue: &'static str,
    /// Verdict screen: override a denial.
    pub let_in_anyway: &'static str,
    /// Form: name (optional).
    pub name: &'static str,
    /// Form: last four phone digits.
    pub phone_last4: &'static str,
    /// Form: platform.
    pub platform: &'static str,
    /// Form: building.
    pub building: &'static str,
    /// Form: submit a registration.
    pub register_and_let_in: &'static str,
    /// Form: cancel.
    pub cancel: &'static str,
    /// Override form title.
    pub override_title: &'static str,
    /// Override form: reason.
    pub override_reason: &'static str,
    /// Override form: submit.
    pub confirm_let_in: &'static str,
    /// Override form: reason missing.
    pub reason_required: &'static str,
    /// Log filter: all.
    pub all: &'static str,
    /// Log filter: allowed.
    pub allowed: &'static str,
    /// Log filter: denied.
    pub denied: &'static str,
    /// Method: scanned.
    pub method_scan: &'static str,
    /// Method: registered by hand.
    pub method_manual: &'static str,
    /// Method: guard override.
    pub method_override: &'static str,
    /// Log is empty.
    pub no_entries: &'static str,
    /// Button: back.
    pub back: &'static str,
    /// PIN pad title.
    pub enter_pin: &'static str,
    /// PIN wrong.
    pub wrong_pin: &'static str,
    /// PIN pad: clear.
    pub clear: &'static str,
    /// PIN pad: confirm.
    pub ok: &'static str,
    /// Settings: language.
    pub language: &'static str,
    /// Settings: camera.
    pub camera: &'static str,
    /// Settings: no camera found.
    pub no_camera: &'static str,
    /// Settings: synthetic demo camera.
    pub demo_camera: &'static str,
    /// Settings: sync now.
    pub sync_now: &'static str,
    /// Settings: gate.
    pub gate: &'static str,
    /// Settings: site.
    pub site: &'static str,
    /// Settings: issuer.
    pub issuer: &'static str,
    /// Settings: quit the app (for maintenance).
    pub quit: &'static str,
    /// Notice: registered by hand.
    pub registered: &'static str,
    /// Notice: override logged.
    pub override_logged: &'static str,
    /// Notice: syncing.
    pub syncing: &'static str,
    /// Notice: sync failed.
    pub sync_failed: &'static str,
    /// Notice: synced.
    pub synced: &'static str,
    /// Notice: writing the log failed.
    pub log_failed: &'static str,
    /// Banner: the issuer revoked this gate; it will not sync until enrolled anew.
    pub gate_revoked: &'static str,
    /// Verdict: the gate cannot decide, the guard checks (amber).
    pub check_by_hand: &'static str,
    /// Verdict: the code read is not a pass at all.
    pub not_a_pass: &'static str,
    /// Verdict: what the rider should show instead.
    pub not_a_pass_next: &'static str,
    /// Verdict: why the gate cannot decide, for the guard.
    pub gate_fault_next: &'static str,
    /// Scanning: what to do about a failing camera.
    pub camera_fix: &'static str,
    /// Scanning: the latest denials, to let in.
    pub recent_denials: &'static str,
    /// Form: platform chips.
    pub choose_platform: &'static str,
    /// Form: building chips.
    pub choose_building: &'static str,
    /// Form: a building not in the list.
    pub or_type_building: &'static str,
    /// Form: a platform not in the list.
    pub or_type_platform: &'static str,
    /// Keypad: delete the last digit.
    pub delete_digit: &'static str,
    /// Form: the entry could not be written, before the gate's words.
    pub write_failed: &'static str,
    /// Settings: the question before quitting.
    pub confirm_quit: &'static str,
    /// Settings: quit after all.
    pub quit_now: &'static str,
    /// Settings: volume.
    pub volume: &'static str,
    /// Settings: volume 0.
    pub mute: &'static str,
    /// Settings: spoken prompts.
    pub voice: &'static str,
    /// Settings: on.
    pub on: &'static str,
    /// Settings: off.
    pub off: &'static str,
    /// Settings: the screen's diagonal, from which sizes follow.
    pub screen_size: &'static str,
    /// Settings: the camera's technical message, for support.
    pub camera_detail: &'static str,
}

/// 中文.
pub const ZH: Strings = Strings {
    show_code: "请出示小哥码",
    hold_in_frame: "将手机上的二维码对准框内",
    camera_failing: "摄像头未连接，正在重试…",
    camera_starting: "摄像头启动中…",
    online: "在线",
    offline: "离线",
    last_sync: "同步",
    never: "从未",
    waiting_upload: "待上传",
    lists: "名单",
    bans_unverifiable: "禁入名单无法核验",
    lists_fresh: "最新",
    lists_stale: "待更新",
    lists_too_stale: "太旧",
    clock: "时钟",
    clock_ok: "正常",
    clock_unchecked: "未校准",
    clock_wrong: "异常",
    register_by_hand: "人工登记",
    todays_log: "今日记录",
    settings: "设置",
    tap_to_continue: "点击屏幕继续",
    let_in_anyway: "人工放行…",
    name: "姓名（可不填）",
    phone_last4: "手机尾号（4位）",
    platform: "平台",
    building: "楼栋",
    register_and_let_in: "登记并放行",
    cancel: "取消",
    override_title: "人工放行",
    override_reason: "放行原因（必填）",
    confirm_let_in: "确认放行",
    reason_required: "请填写放行原因",
    all: "全部",
    allowed: "允许",
    denied: "禁止",
    method_scan: "扫码",
    method_manual: "人工登记",
    method_override: "人工放行",
    no_entries: "今日暂无记录",
    back: "返回",
    enter_pin: "请输入保安密码",
    wrong_pin: "密码错误",
    clear: "清除",
    ok: "确定",
    language: "语言",
    camera: "摄像头",
    no_camera: "未找到摄像头",
    demo_camera: "演示画面",
    sync_now: "立即同步",
    gate: "门岗",
    site: "小区",
    issuer: "签发方",
    quit: "退出程序",
    registered: "已登记放行",
    override_logged: "已记录人工放行",
    syncing: "同步中…",
    sync_failed: "同步失败",
    synced: "同步完成",
    log_failed: "记录写入失败，请联系运维",
    gate_revoked: "本闸机已被注销，无法再同步：请联系物业重新登记本机",
    check_by_hand: "请人工核验",
    not_a_pass: "这不是小哥码",
    not_a_pass_next: "请打开配送App出示小哥码",
    gate_fault_next: "闸机无法判断，请核对骑手证件后登记或放行",
    camera_fix: "请检查摄像头连线，或联系运维",
    recent_denials: "最近被拒",
    choose_platform: "选择平台",
    choose_building: "选择楼栋",
    or_type_building: "或输入楼栋",
    or_type_platform: "或输入平台",
    delete_digit: "退格",
    write_failed: "写入失败：",
    confirm_quit: "确认退出程序？扫码将停止",
    quit_now: "确认退出",
    volume: "音量",
    mute: "静音",
    voice: "语音播报",
    on: "开",
    off: "关",
    screen_size: "屏幕尺寸（英寸）",
    camera_detail: "摄像头故障详情",
};

/// English.
pub const EN: Strings = Strings {
    show_code: "Show your rider code",
    hold_in_frame: "Hold the QR code on your phone inside the frame",
    camera_failing: "Camera not connected, retrying…",
    camera_starting: "Camera starting…",
    online: "Online",
    offline: "Offline",
    last_sync: "Synced",
    never: "never",
    waiting_upload: "To upload",
    lists: "Lists",
    bans_unverifiable: "ban list unverifiable",
    lists_fresh: "fresh",
    lists_stale: "stale",
    lists_too_stale: "too old",
    clock: "Clock",
    clock_ok: "OK",
    clock_unchecked: "not checked",
    clock_wrong: "WRONG",
    register_by_hand: "Register by hand",
    todays_log: "Today's log",
    settings: "Settings",
    tap_to_continue: "Tap to continue",
    let_in_anyway: "Let in anyway…",
    name: "Name (optional)",
    phone_last4: "Phone, last 4 digits",
    platform: "Platform",
    building: "Building",
    register_and_let_in: "Register and let in",
    cancel: "Cancel",
    override_title: "Let in by the guard",
    override_reason: "Reason (required)",
    confirm_let_in: "Let in",
    reason_required: "Give a reason",
    all: "All",
    allowed: "Allowed",
    denied: "Denied",
    method_scan: "scan",
    method_manual: "by hand",
    method_override: "override",
    no_entries: "No entries today",
    back: "Back",
    enter_pin: "Enter the guard PIN",
    wrong_pin: "Wrong PIN",
    clear: "Clear",
    ok: "OK",
    language: "Language",
    camera: "Camera",
    no_camera: "No camera found",
    demo_camera: "Demo frames",
    sync_now: "Sync now",
    gate: "Gate",
    site: "Site",
    issuer: "Issuer",
    quit: "Quit the app",
    registered: "Registered and let in",
    override_logged: "Override logged",
    syncing: "Syncing…",
    sync_failed: "Sync failed",
    synced: "Synced",
    log_failed: "Could not write the log: call support",
    gate_revoked: "This gate was revoked: it can no longer sync. Call the property to enroll it again",
    check_by_hand: "CHECK BY HAND",
    not_a_pass: "Not a rider pass",
    not_a_pass_next: "Open the delivery app and show the rider code",
    gate_fault_next: "The gate cannot decide: check the rider's ID, then register or let in",
    camera_fix: "Check the camera cable, or call support",
    recent_denials: "Recent denials",
    choose_platform: "Choose the platform",
    choose_building: "Choose the building",
    or_type_building: "Or type the building",
    or_type_platform: "Or type the platform",
    delete_digit: "Delete",
    write_failed: "Not saved:",
    confirm_quit: "Really quit? Scanning stops",
    quit_now: "Quit now",
    volume: "Volume",
    mute: "Mute",
    voice: "Voice prompts",
    on: "On",
    off: "Off",
    screen_size: "Screen size (inches)",
    camera_detail: "Camera fault detail",
};

/// The table for `lang`.
#[must_use]
pub const fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The big word on the verdict screen.
#[must_use]
pub fn decision_text(lang: Lang, allow: bool) -> &'static str {
    match (lang, allow) {
        (Lang::Zh, true) => "允许通行",
        (Lang::Zh, false) => "禁止通行",
        (Lang::En, true) => "ALLOWED",
        (Lang::En, false) => "DENIED",
    }
}

/// The reason in plain words for a rejection code.
#[must_use]
pub fn reason_text(lang: Lang, code: ReasonCode) -> &'static str {
    let (zh, en) = code.words();
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The big words on a verdict: green allow, red deny, amber check by hand.
#[must_use]
pub fn verdict_title(lang: Lang, kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::Allow => decision_text(lang, true),
        VerdictKind::Deny => decision_text(lang, false),
        VerdictKind::Attention => strings(lang).check_by_hand,
    }
}

/// What the guard reads for a refusal: the reason without jargon, then what the rider (or the
/// guard) does next.
#[must_use]
pub fn guard_reason(lang: Lang, code: ReasonCode) -> (&'static str, &'static str) {
    let (zh, en) = match code {
        ReasonCode::Malformed => (
            ("二维码无法识别", "请打开配送App重新出示小哥码"),
            (
                "Code cannot be read",
                "Open the delivery app and show the code again",
            ),
        ),
        ReasonCode::UnsupportedVersion => (
            ("通行码版本比闸机新", "请联系物业升级闸机"),
            (
                "Code newer than this gate",
                "Ask the property to update the gate",
            ),
        ),
        ReasonCode::UnknownKey => (
            ("不是本系统签发的码", "请在配送App中刷新小哥码"),
            (
                "Not a code from this system",
                "Refresh the code in the delivery app",
            ),
        ),
        ReasonCode::BadSignature => (
            ("通行码被改动过", "请出示配送App里的原码，不要用截图"),
            (
                "The code was altered",
                "Show the code in the app, not a picture of it",
            ),
        ),
        ReasonCode::ClockUntrusted => (
            ("闸机时钟不准", "请联系物业校准闸机时间"),
            (
                "The gate's clock is wrong",
                "Ask the property to set the gate's time",
            ),
        ),
        ReasonCode::KeyNotValidAtTime => (
            ("通行码已失效", "请刷新通行码"),
            ("Code no longer valid", "Refresh the code"),
        ),
        ReasonCode::Expired => (
            ("通行码已过期", "请刷新通行码"),
            ("Code expired", "Refresh the code"),
        ),
        ReasonCode::NotYetValid => (
            ("通行码时间不对", "请检查手机时间后刷新通行码"),
            (
                "Code not valid yet",
                "Check the phone's clock, then refresh the code",
            ),
        ),
        ReasonCode::ListsTooStale => (
            ("闸机名单太久未更新", "请联系物业检查网络"),
            (
                "The gate's lists are too old",
                "Ask the property to check the network",
            ),
        ),
        ReasonCode::Revoked => (
            ("骑手资格已取消", "请联系配送平台"),
            ("Rider's pass cancelled", "Contact the delivery platform"),
        ),
        ReasonCode::Suspended => (
            ("骑手资格已暂停", "请联系配送平台"),
            ("Rider's pass suspended", "Contact the delivery platform"),
        ),
        ReasonCode::StatusUnknown => (
            ("闸机名单里还没有这位骑手", "新骑手：请核对证件"),
            (
                "Rider not yet in the gate's lists",
                "A new rider: check the ID",
            ),
        ),
        ReasonCode::BansUnverifiable => (
            ("本小区禁入名单无法核验", "请联系物业检查网络"),
            (
                "The site's ban list cannot be checked",
                "Ask the property to check the network",
            ),
        ),
        ReasonCode::BannedAtSite => (
            ("本小区已禁止该骑手进入", "如有疑问请联系物业"),
            ("Banned from this site", "Questions go to the property"),
        ),
        ReasonCode::WrongSite => (
            ("这是其他小区的专用码", "请在App中切换为通用小哥码"),
            (
                "A code for another site",
                "Switch to the all-sites code in the app",
            ),
        ),
        ReasonCode::Replayed => (
            ("二维码已使用", "请刷新通行码"),
            ("Code already used", "Refresh the code"),
        ),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// When and where a used code was first used: "10:31 已在东门使用".
#[must_use]
pub fn first_used_text(lang: Lang, local_hm: &str, gate: &str) -> String {
    match lang {
        Lang::Zh => format!("{local_hm} 已在{gate}使用"),
        Lang::En => format!("used at {gate} at {local_hm}"),
    }
}

/// A time `seconds` ago in words a guard reads at a glance: 刚刚, 5 分钟前, 2 天前.
#[must_use]
pub fn ago(lang: Lang, seconds: i64) -> String {
    let (minutes, hours, days) = (seconds / 60, seconds / 3_600, seconds / 86_400);
    match lang {
        Lang::Zh if minutes < 1 => "刚刚".to_owned(),
        Lang::Zh if hours < 1 => format!("{minutes} 分钟前"),
        Lang::Zh if days < 2 => format!("{hours} 小时前"),
        Lang::Zh => format!("{days} 天前"),
        Lang::En if minutes < 1 => "just now".to_owned(),
        Lang::En if hours < 1 => format!("{minutes} min ago"),
        Lang::En if days < 2 => format!("{hours} h ago"),
        Lang::En => format!("{days} days ago"),
    }
}

/// A denied row of the log that a guard let in, and when.
#[must_use]
pub fn let_in_text(lang: Lang, local_time: &str) -> String {
    match lang {
        Lang::Zh => format!("已人工放行 {local_time}"),
        Lang::En => format!("let in by the guard at {local_time}"),
    }
}

/// An override row of the log: the denial it overrode.
#[must_use]
pub fn overrode_text(lang: Lang, local_time: &str) -> String {
    match lang {
        Lang::Zh => format!("放行 {local_time} 的拒绝"),
        Lang::En => format!("for the denial at {local_time}"),
    }
}

/// What is wrong with a manual registration, in the guard's words.
#[must_use]
pub fn manual_problem_text(lang: Lang, problem: ManualProblem) -> &'static str {
    match (lang, problem) {
        (Lang::Zh, ManualProblem::Name) => "姓名最多 20 个字",
        (Lang::Zh, ManualProblem::PhoneLast4) => "请输入手机尾号 4 位数字",
        (Lang::Zh, ManualProblem::Platform) => "请选择平台",
        (Lang::Zh, ManualProblem::Building) => "请选择楼栋",
        (Lang::En, ManualProblem::Name) => "Name: at most 20 characters",
        (Lang::En, ManualProblem::PhoneLast4) => "Enter the last 4 digits of the phone",
        (Lang::En, ManualProblem::Platform) => "Choose the platform",
        (Lang::En, ManualProblem::Building) => "Choose the building",
    }
}

/// Reasons a guard gives most for letting a rider in, one tap each.
#[must_use]
pub fn quick_reasons(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Zh => &["已核对证件", "业主电话确认", "物业同意"],
        Lang::En => &[
            "ID checked",
            "Resident confirmed by phone",
            "Property agreed",
        ],
    }
}

/// Marks a verdict reached with lists past their freshness budget.
#[must_use]
pub fn stale_text(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "名单待更新",
        Lang::En => "lists need syncing",
    }
}

/// What became of a frame that gave no verdict.
#[must_use]
pub fn frame_event_text(lang: Lang, event: FrameEvent) -> &'static str {
    match (lang, event) {
        (Lang::Zh, FrameEvent::NoCode) => "未识别到二维码",
        (Lang::Zh, FrameEvent::Repeat) => "同一个码，刚已核验",
        (Lang::Zh, FrameEvent::Unreadable) => "无法读取图像",
        (Lang::En, FrameEvent::NoCode) => "no code found",
        (Lang::En, FrameEvent::Repeat) => "same code, just verified",
        (Lang::En, FrameEvent::Unreadable) => "image unreadable",
    }
}

/// The words for a verdict in `lang`: the decision, then the reason or the rider.
pub fn verdict_words(v: &Verdict, lang: Lang) -> String {
    let allow = v.verdict == Decision::Allow;
    let mut words = decision_text(lang, allow).to_owned();
    if let Some(reason) = v.reason {
        words.push_str("  ");
        words.push_str(reason_text(lang, reason));
    }
    if let Some(r) = &v.rider {
        words.push_str(&format!("  {} · {}", r.name, r.platform));
    }
    if v.stale {
        words.push_str(&format!("  ({})", stale_text(lang)));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_code_has_words_in_both_languages() {
        for code in ReasonCode::ALL {
            assert_ne!(reason_text(Lang::Zh, code), "未知原因", "{code}");
            assert_ne!(reason_text(Lang::En, code), "unknown reason", "{code}");
        }
    }

    #[test]
    fn the_two_tables_differ_in_every_string() {
        let (zh, en) = (format!("{ZH:?}"), format!("{EN:?}"));
        let values = |s: &str| -> Vec<String> {
            s.split(": \"")
                .skip(1)
                .map(|v| v.split('"').next().unwrap_or("").to_owned())
                .collect()
        };
        let (zh, en) = (values(&zh), values(&en));
        assert_eq!(zh.len(), en.len());
        for (z, e) in zh.iter().zip(&en) {
            assert_ne!(z, e, "a string was left untranslated");
            assert!(!z.is_ascii(), "Chinese string {z:?} has no Chinese");
        }
    }
}
