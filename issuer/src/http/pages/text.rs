//! Every word the issuer's pages show, in Chinese first and English second: one table per
//! language.

/// The language of a page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute and query value.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `lang=en` in the query, else the browser's first choice, else Chinese.
    #[must_use]
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Self {
        match query {
            Some("en") => return Lang::En,
            Some("zh" | "zh-CN") => return Lang::Zh,
            _ => {}
        }
        if accept_language.is_some_and(|a| a.trim_start().to_ascii_lowercase().starts_with("en")) {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The words in this language.
    #[must_use]
    pub const fn words(self) -> &'static Words {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// The pages' words in one language.
#[derive(Debug)]
pub struct Words {
    /// The product's name.
    pub product: &'static str,
    /// The other language's name, as a link.
    pub other_language: &'static str,
    /// Rider page: the title.
    pub rider_title: &'static str,
    /// Rider page: what to do with the code.
    pub show_at_gate: &'static str,
    /// Rider page: "valid for" before the countdown.
    pub valid_for: &'static str,
    /// Rider page: seconds unit.
    pub seconds: &'static str,
    /// Rider page: the code refreshes itself.
    pub refreshes_itself: &'static str,
    /// Rider page: offline, the code on screen still works for a while.
    pub offline: &'static str,
    /// Rider page: the code on screen has expired and no new one could be fetched.
    pub expired_offline: &'static str,
    /// Rider page: signed out.
    pub signed_out: &'static str,
    /// Rider page: how to sign in again.
    pub sign_in_again: &'static str,
    /// Rider page: the code works only at this site.
    pub only_at_site: &'static str,
    /// Rider page: the code works at every site.
    pub any_site: &'static str,
    /// The one tap from a code bound to a site back to the code for every site.
    pub all_sites_link: &'static str,
    /// Rider page: rider id label.
    pub rider_id: &'static str,
    /// Rider page: link to help.
    pub help_link: &'static str,
    /// Rider page: sign out.
    pub sign_out: &'static str,
    /// Rider page: help request sent, with its number after.
    pub help_sent: &'static str,
    /// Login page: title.
    pub login_title: &'static str,
    /// Login page: the button (when scripts are off).
    pub login_button: &'static str,
    /// Login page: the link is unknown, used or expired.
    pub login_failed: &'static str,
    /// Place page: the building guide.
    pub guide_title: &'static str,
    /// Place page: search a building.
    pub find_building: &'static str,
    /// Place page: search button.
    pub search: &'static str,
    /// Place page: the main gate on the plan.
    pub main_gate: &'static str,
    /// Place page: no such building.
    pub no_such_building: &'static str,
    /// Place page: east.
    pub east: &'static str,
    /// Place page: west.
    pub west: &'static str,
    /// Place page: north.
    pub north: &'static str,
    /// Place page: south.
    pub south: &'static str,
    /// Place page: metres.
    pub metres: &'static str,
    /// Place page: from the main gate.
    pub from_gate: &'static str,
    /// Place page: no building guide yet.
    pub no_guide: &'static str,
    /// Place page: temporary parking.
    pub parking_title: &'static str,
    /// Place page: bikes a spot holds.
    pub places: &'static str,
    /// Place page: no parking yet.
    pub no_parking: &'static str,
    /// Place page: sign in through the platform to get a code here.
    pub place_sign_in: &'static str,
    /// Place page: building column.
    pub building: &'static str,
    /// Place page: way column.
    pub way: &'static str,
    /// Help page: title.
    pub help_title: &'static str,
    /// Help page: site field.
    pub help_site: &'static str,
    /// Help page: category field.
    pub help_category: &'static str,
    /// Help page: note field.
    pub help_note: &'static str,
    /// Help page: send.
    pub help_send: &'static str,
    /// Help page: back to the code.
    pub back_to_code: &'static str,
    /// Help categories: refused, no parking, guard conduct, other.
    pub categories: [&'static str; 4],
    /// Error page: title.
    pub error_title: &'static str,
    /// Error page: the site does not exist.
    pub no_such_site: &'static str,
    /// A page's link or form could not be read.
    pub malformed_request: &'static str,
    /// A form posted from another site (a forged request) was refused.
    pub cross_site_form: &'static str,
    /// Dashboard: title.
    pub dashboard_title: &'static str,
    /// Dashboard: the heading of a property's dashboard (after the site's name).
    pub property_title: &'static str,
    /// Dashboard: login title.
    pub admin_login_title: &'static str,
    /// Dashboard: admin token field.
    pub admin_token: &'static str,
    /// Dashboard: log in.
    pub log_in: &'static str,
    /// Dashboard: wrong token.
    pub admin_login_failed: &'static str,
    /// Dashboard: log out.
    pub log_out: &'static str,
    /// Dashboard: coverage section.
    pub coverage: &'static str,
    /// Dashboard: sites.
    pub sites: &'static str,
    /// Dashboard: with a building guide.
    pub with_guide: &'static str,
    /// Dashboard: with parking.
    pub with_parking: &'static str,
    /// Dashboard: target deadline.
    pub deadline: &'static str,
    /// Dashboard: target sites.
    pub target_sites: &'static str,
    /// Dashboard: target share with guide and parking.
    pub target_share: &'static str,
    /// Dashboard: met.
    pub met: &'static str,
    /// Dashboard: not met.
    pub not_met: &'static str,
    /// Dashboard: sites lacking a guide or parking.
    pub sites_missing: &'static str,
    /// Dashboard: district.
    pub district: &'static str,
    /// Dashboard: guide column.
    pub guide: &'static str,
    /// Dashboard: parking column.
    pub parking: &'static str,
    /// Dashboard: yes.
    pub yes: &'static str,
    /// Dashboard: missing.
    pub missing: &'static str,
    /// Dashboard: riders by platform.
    pub riders_by_platform: &'static str,
    /// Dashboard: active, suspended, revoked.
    pub standings: [&'static str; 3],
    /// Dashboard: entries per day.
    pub entries_per_day: &'static str,
    /// Dashboard: entries.
    pub entries: &'static str,
    /// Dashboard: denials.
    pub denials: &'static str,
    /// Dashboard: denials by reason.
    pub denials_by_reason: &'static str,
    /// Dashboard: denials by site.
    pub denials_by_site: &'static str,
    /// Dashboard: open help requests.
    pub open_help: &'static str,
    /// Dashboard: none open.
    pub none_open: &'static str,
    /// The link to the next page of older help requests.
    pub older_help: &'static str,
    /// The link back to the newest help requests.
    pub newest_help: &'static str,
    /// Dashboard: when.
    pub when: &'static str,
    /// Dashboard: rider.
    pub rider: &'static str,
    /// Dashboard: site.
    pub site: &'static str,
    /// Dashboard: what.
    pub what: &'static str,
    /// Dashboard: resolution field.
    pub resolution: &'static str,
    /// Dashboard: close button.
    pub close: &'static str,
    /// Dashboard: the last 30 days.
    pub last_30_days: &'static str,
    /// Dashboard: nothing yet.
    pub nothing_yet: &'static str,
}

/// 中文.
pub const ZH: Words = Words {
    product: "小哥码",
    other_language: "English",
    rider_title: "我的通行码",
    show_at_gate: "到门岗时请出示此码",
    valid_for: "有效",
    seconds: "秒",
    refreshes_itself: "通行码自动更新，无需截图",
    offline: "网络已断开：当前通行码仍在有效期内",
    expired_offline: "通行码已过期，请联网后刷新",
    signed_out: "您已退出登录",
    sign_in_again: "请从配送平台App重新打开小哥码",
    only_at_site: "本码仅限此处使用：",
    any_site: "本码可在各小区使用",
    all_sites_link: "改用通用码（各小区可用）",
    rider_id: "骑手编号",
    help_link: "投诉求助",
    sign_out: "退出登录",
    help_sent: "已提交，编号",
    login_title: "正在打开小哥码…",
    login_button: "打开我的通行码",
    login_failed: "登录链接无效、已使用或已过期。请从配送平台App重新打开。",
    guide_title: "楼栋指引",
    find_building: "查找楼栋，如 3幢",
    search: "查找",
    main_gate: "大门",
    no_such_building: "没有找到这个楼栋：",
    east: "向东",
    west: "向西",
    north: "向北",
    south: "向南",
    metres: "米",
    from_gate: "从大门",
    no_guide: "本小区尚未提供楼栋指引",
    parking_title: "临时停车点",
    places: "个车位",
    no_parking: "本小区尚未提供临时停车点",
    place_sign_in: "领取本小区通行码：请先从配送平台App打开小哥码，再扫此码",
    building: "楼栋",
    way: "怎么走",
    help_title: "投诉求助",
    help_site: "小区",
    help_category: "问题类型",
    help_note: "具体情况（选填）",
    help_send: "提交",
    back_to_code: "返回通行码",
    categories: ["有效码被拒绝进入", "没有停车位", "门岗态度问题", "其他"],
    error_title: "出错了",
    no_such_site: "没有这个小区",
    malformed_request: "链接或表单有误，请返回重试",
    cross_site_form: "此表单来自其他网站，已拒绝；请从小哥码页面重新提交",
    dashboard_title: "骑手通行监管看板",
    property_title: "物业看板",
    admin_login_title: "监管看板登录",
    admin_token: "管理令牌",
    log_in: "登录",
    admin_login_failed: "管理令牌无效",
    log_out: "退出",
    coverage: "覆盖情况",
    sites: "小区数",
    with_guide: "有楼栋指引",
    with_parking: "有临时停车点",
    deadline: "截止日期",
    target_sites: "目标小区数",
    target_share: "指引和停车覆盖目标",
    met: "已达标",
    not_met: "未达标",
    sites_missing: "缺少楼栋指引或停车点的小区",
    district: "区",
    guide: "楼栋指引",
    parking: "停车点",
    yes: "有",
    missing: "缺",
    riders_by_platform: "各平台骑手",
    standings: ["正常", "暂停", "吊销"],
    entries_per_day: "每日通行",
    entries: "通行",
    denials: "拒绝",
    denials_by_reason: "拒绝原因",
    denials_by_site: "各小区拒绝情况",
    open_help: "待处理的投诉求助",
    none_open: "没有待处理的投诉求助",
    older_help: "更早的求助 →",
    newest_help: "← 最新的求助",
    when: "时间",
    rider: "骑手",
    site: "小区",
    what: "情况",
    resolution: "处理结果",
    close: "办结",
    last_30_days: "近30天",
    nothing_yet: "暂无数据",
};

/// English.
pub const EN: Words = Words {
    product: "Xiaoge Pass",
    other_language: "中文",
    rider_title: "My rider code",
    show_at_gate: "Show this code at the gate",
    valid_for: "Valid for",
    seconds: "s",
    refreshes_itself: "The code renews itself; screenshots do not work",
    offline: "Offline: the code on screen is still valid",
    expired_offline: "The code has expired; go online to renew it",
    signed_out: "You are signed out",
    sign_in_again: "Open Xiaoge Pass again from your delivery platform's app",
    only_at_site: "This code works only here: ",
    any_site: "This code works at every site",
    all_sites_link: "Use my code for every site",
    rider_id: "Rider id",
    help_link: "Report a problem",
    sign_out: "Sign out",
    help_sent: "Sent, number",
    login_title: "Opening Xiaoge Pass…",
    login_button: "Open my code",
    login_failed: "This login link is unknown, already used or expired. Open it again from your platform's app.",
    guide_title: "Building guide",
    find_building: "Find a building, e.g. 3幢",
    search: "Find",
    main_gate: "Main gate",
    no_such_building: "No building called ",
    east: "east",
    west: "west",
    north: "north",
    south: "south",
    metres: "m",
    from_gate: "From the main gate:",
    no_guide: "This site has no building guide yet",
    parking_title: "Temporary parking",
    places: "places",
    no_parking: "This site has no temporary parking yet",
    place_sign_in: "To get a code for this site, open Xiaoge Pass from your platform's app, then scan this again",
    building: "Building",
    way: "Way",
    help_title: "Report a problem",
    help_site: "Site",
    help_category: "Problem",
    help_note: "What happened (optional)",
    help_send: "Send",
    back_to_code: "Back to my code",
    categories: [
        "Refused with a valid code",
        "No parking",
        "Guard's conduct",
        "Other",
    ],
    error_title: "Something went wrong",
    no_such_site: "No such site",
    malformed_request: "This link or form is malformed; go back and try again",
    cross_site_form: "This form came from another site and was refused; submit it again from the Xiaoge Pass page",
    dashboard_title: "Rider access dashboard",
    property_title: "property dashboard",
    admin_login_title: "Dashboard login",
    admin_token: "Admin token",
    log_in: "Log in",
    admin_login_failed: "Unknown admin token",
    log_out: "Log out",
    coverage: "Coverage",
    sites: "Sites",
    with_guide: "With a building guide",
    with_parking: "With parking",
    deadline: "Deadline",
    target_sites: "Target sites",
    target_share: "Target share with guide and parking",
    met: "met",
    not_met: "not met",
    sites_missing: "Sites without a building guide or parking",
    district: "District",
    guide: "Guide",
    parking: "Parking",
    yes: "yes",
    missing: "missing",
    riders_by_platform: "Riders by platform",
    standings: ["active", "suspended", "revoked"],
    entries_per_day: "Entries per day",
    entries: "entries",
    denials: "denials",
    denials_by_reason: "Denials by reason",
    denials_by_site: "Denials by site",
    open_help: "Open help requests",
    none_open: "No open help requests",
    older_help: "Older requests →",
    newest_help: "← Newest requests",
    when: "When",
    rider: "Rider",
    site: "Site",
    what: "What",
    resolution: "Resolution",
    close: "Close",
    last_30_days: "last 30 days",
    nothing_yet: "Nothing yet",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_tables_differ_in_every_string() {
        // Every field is a string, so the Debug form is a run of quoted literals; a quote
        // inside one is escaped as `\"`.
        let values = |w: &Words| -> Vec<String> {
            let debug = format!("{w:?}");
            let mut out = Vec::new();
            let mut current: Option<String> = None;
            let mut chars = debug.chars();
            while let Some(c) = chars.next() {
                match (&mut current, c) {
                    (None, '"') => current = Some(String::new()),
                    (Some(s), '\\') => s.extend(chars.next()),
                    (Some(_), '"') => out.extend(current.take()),
                    (Some(s), c) => s.push(c),
                    (None, _) => {}
                }
            }
            out
        };
        let (zh, en) = (values(&ZH), values(&EN));
        assert_eq!(zh.len(), en.len());
        for (z, e) in zh.iter().zip(&en) {
            assert_ne!(z, e, "a string was left untranslated");
        }
    }

    #[test]
    fn the_query_wins_over_the_browser_and_chinese_is_the_default() {
        assert_eq!(Lang::choose(None, None), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(Some("zh"), Some("en-US")), Lang::Zh);
        assert_eq!(Lang::choose(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::choose(Some("fr"), Some("zh-CN,zh")), Lang::Zh);
    }
}
