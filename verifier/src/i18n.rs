//! Every string a guard reads, in Chinese first and English second.

use serde::{Deserialize, Serialize};

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

/// The reason in plain words for a rejection code (see `xiaoge_pass::verify`).
#[must_use]
pub fn reason_text(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "malformed" => ("无法识别的二维码", "not a valid pass code"),
        "unsupported_version" => (
            "通行码版本过新，请升级设备",
            "code version not supported; update this gate",
        ),
        "unknown_key" => ("签名无效（未知密钥）", "invalid signature (unknown key)"),
        "bad_signature" => ("签名无效", "invalid signature"),
        "clock_untrusted" => ("时钟异常，请人工核验", "gate clock is wrong; check by hand"),
        "key_not_valid_at_time" => ("签名密钥已失效", "signing key not valid at that time"),
        "expired" => ("已过期", "expired"),
        "not_yet_valid" => ("尚未生效", "not yet valid"),
        "lists_too_stale" => ("名单过期请人工核验", "lists too old; check by hand"),
        "revoked" => ("已吊销", "revoked"),
        "suspended" => ("已暂停", "suspended"),
        "banned_at_site" => ("已被本小区禁止", "banned at this site"),
        "wrong_site" => ("非本小区通行码", "code is for another site"),
        "replayed" => ("二维码已使用", "code already used"),
        _ => ("未知原因", "unknown reason"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
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
pub fn frame_event_text(lang: Lang, event: &str) -> &'static str {
    match (lang, event) {
        (Lang::Zh, "no_code") => "未识别到二维码",
        (Lang::Zh, "repeat") => "同一个码，刚已核验",
        (Lang::Zh, _) => "无法读取图像",
        (Lang::En, "no_code") => "no code found",
        (Lang::En, "repeat") => "same code, just verified",
        (Lang::En, _) => "image unreadable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_code_has_words_in_both_languages() {
        for code in xiaoge_pass::verify::REJECTION_CODES {
            assert_ne!(reason_text(Lang::Zh, code), "未知原因", "{code}");
            assert_ne!(reason_text(Lang::En, code), "unknown reason", "{code}");
        }
    }
}
