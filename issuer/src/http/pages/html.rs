//! The frame every page shares and the pieces several pages use, as maud markup: text spliced
//! into `html!` is escaped by the type, so no page escapes anything by hand.

use maud::{DOCTYPE, Markup, html};

use super::text::Lang;

/// `text` as a URL query value.
#[must_use]
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A whole page: its `title`, extra `head` markup (scripts), and the `body`.
#[must_use]
pub fn layout(lang: Lang, title: &str, head: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) }
                link rel="stylesheet" href="/assets/site.css";
                (head)
            }
            body { (body) }
        }
    }
}

/// A page that says what went wrong, in the page's language.
#[must_use]
pub fn error_page(lang: Lang, message: &str) -> Markup {
    let w = lang.words();
    layout(
        lang,
        w.error_title,
        Markup::default(),
        html! {
            main {
                h1 { (w.error_title) }
                p.error { (message) }
            }
        },
    )
}

/// A page of one form, posted to `action`: the heading, what was wrong with the last try if
/// anything, then the language field and the form's `fields`.
#[must_use]
pub fn form_page(
    lang: Lang,
    title: &str,
    error: Option<&str>,
    action: &str,
    fields: Markup,
) -> Markup {
    let body = html! {
        main {
            h1 { (title) }
            @if let Some(error) = error {
                p.error { (error) }
            }
            form.stack method="post" action=(action) {
                (lang_field(lang))
                (fields)
            }
        }
    };
    layout(lang, title, Markup::default(), body)
}

/// The form field that keeps a posted form's answer in the page's language.
#[must_use]
pub fn lang_field(lang: Lang) -> Markup {
    let code = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    html! { input type="hidden" name="lang" value=(code); }
}

/// The link to the same page in the other language.
#[must_use]
pub fn other_language_link(lang: Lang, path_and_query: &str) -> Markup {
    let other = match lang {
        Lang::Zh => "en",
        Lang::En => "zh",
    };
    let joiner = if path_and_query.ends_with(['?', '&']) {
        ""
    } else if path_and_query.contains('?') {
        "&"
    } else {
        "?"
    };
    html! {
        a href={ (path_and_query) (joiner) "lang=" (other) } { (lang.words().other_language) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        let page = layout(
            Lang::En,
            "<b a=\"x\">'&'</b>",
            Markup::default(),
            Markup::default(),
        )
        .into_string();
        assert!(
            page.contains("<title>&lt;b a=&quot;x&quot;&gt;'&amp;'&lt;/b&gt;</title>"),
            "{page}"
        );
        let link = other_language_link(Lang::Zh, "/r?site=1&x=\"><b>").into_string();
        assert!(
            link.contains("href=\"/r?site=1&amp;x=&quot;&gt;&lt;b&gt;&amp;lang=en\""),
            "{link}"
        );
        assert_eq!(query_value("3幢 a&b"), "3%E5%B9%A2%20a%26b");
    }
}
