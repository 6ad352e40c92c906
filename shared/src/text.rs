//! Text from other people: what counts as printable, and how to show the rest safely.
//!
//! Names, reasons and guard notes travel from platforms, riders and gates to an operator's
//! terminal and the regulator's figures. Control characters (terminal escape sequences) and
//! Unicode format characters (bidi overrides, zero-width spaces) make text look like
//! something it is not, so they are refused where text is accepted and escaped where stored
//! text is shown.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is a Unicode format character (general category Cf): invisible characters
/// that change how the text around them is shown, such as bidi overrides (U+202A–U+202E,
/// U+2066–U+2069), zero-width characters (U+200B–U+200F) and the byte-order mark (U+FEFF).
#[must_use]
pub fn is_format(c: char) -> bool {
    // The Cf ranges of Unicode 15.1, written out so that `xiaoge-pass` needs no table crate.
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether `c` may appear in text people write: neither a control nor a format character.
#[must_use]
pub fn is_printable(c: char) -> bool {
    !c.is_control() && !is_format(c)
}

/// The first character of `text` that is not printable, if any.
#[must_use]
pub fn first_unprintable(text: &str) -> Option<char> {
    text.chars().find(|&c| !is_printable(c))
}

/// `text` with every control and format character written as `\u{…}` (and `\` as `\\`
/// where such escapes appear, so that an escape cannot be faked), ready for a terminal.
///
/// Text that is already printable is returned as it is, without copying.
#[must_use]
pub fn escape_unprintable(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_printable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_printable(c) {
            out.push(c);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_controls_are_escaped() {
        assert_eq!(escape_unprintable("a\u{1b}[2Jb\\"), "a\\u{1b}[2Jb\\\\");
        assert_eq!(escape_unprintable("x\u{202e}y\u{0}"), "x\\u{202e}y\\u{0}");
        assert!(matches!(
            escape_unprintable("王小二 ok\\"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn format_characters_are_not_printable() {
        for c in [
            '\u{200b}',
            '\u{200f}',
            '\u{202a}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(!is_printable(c), "{c:?}");
        }
        for c in ['a', '王', ' ', '·', '*'] {
            assert!(is_printable(c), "{c:?}");
        }
        assert_eq!(first_unprintable("ab\u{7}c"), Some('\u{7}'));
    }
}
