//! Building HTML by hand: escaping, and the frame every page shares.

use super::text::Lang;

/// `text` safe inside HTML text and double-quoted attributes.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

/// A whole page: `title` (escaped here), extra `head` markup, and the `body` markup.
#[must_use]
pub fn layout(lang: Lang, title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/site.css\">{head}</head>\
         <body>{body}</body></html>\n",
        lang = lang.code(),
        title = escape(title),
    )
}

/// A page that says what went wrong, in the page's language.
#[must_use]
pub fn error_page(lang: Lang, message: &str) -> String {
    let w = lang.words();
    layout(
        lang,
        w.error_title,
        "",
        &format!(
            "<main><h1>{}</h1><p class=\"error\">{}</p></main>",
            escape(w.error_title),
            escape(message)
        ),
    )
}

/// The link to the same page in the other language.
#[must_use]
pub fn other_language_link(lang: Lang, path_and_query: &str) -> String {
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
    format!(
        "<a href=\"{}{joiner}lang={other}\">{}</a>",
        escape(path_and_query),
        escape(lang.words().other_language)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape("<b a=\"x\">'&'</b>"),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
        assert_eq!(query_value("3幢 a&b"), "3%E5%B9%A2%20a%26b");
    }
}
