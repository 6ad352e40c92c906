//! Text from other people: what counts as printable, and how to show the rest safely.
//!
//! Names, reasons and guard notes travel from platforms, riders and gates to an operator's
//! terminal and the regulator's figures. Control characters (terminal escape sequences) and
//! Unicode format characters (bidi overrides, zero-width spaces) make text look like
//! something it is not, so they are refused where text is accepted and escaped where stored
//! text is shown.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use unicode_width::UnicodeWidthStr;

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

/// A person's name masked to its first character and `**` (黄小明 → 黄**), or `None` for a
/// blank name: a gate needs no more than that to tell riders apart at a glance.
///
/// The mask is always made from the full name, even one that looks masked already: a `*`
/// anywhere in a full name must not carry the rest of it along.
#[must_use]
pub fn mask_name(name: &str) -> Option<String> {
    let first = name.trim().chars().next()?;
    Some(format!("{first}**"))
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

/// Text in a table column: pads to the width a terminal shows, not to the count of `char`s,
/// so that a column of Chinese names (two columns a character) lines up with Latin ones.
/// Honours the formatter's width and alignment: `format!("{:<12}", Column(name))`.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a>(pub &'a str);

impl fmt::Display for Column<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.0.width();
        let pad = f.width().unwrap_or(0).saturating_sub(shown);
        let (before, after) = match f.align() {
            Some(fmt::Alignment::Right) => (pad, 0),
            Some(fmt::Alignment::Center) => (pad / 2, pad - pad / 2),
            _ => (0, pad),
        };
        for _ in 0..before {
            f.write_char(' ')?;
        }
        f.write_str(self.0)?;
        for _ in 0..after {
            f.write_char(' ')?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_column_pads_to_what_a_terminal_shows() {
        use super::Column;
        assert_eq!(format!("{:<8}|", Column("翠苑一区")), "翠苑一区|");
        assert_eq!(format!("{:<10}|", Column("翠苑一区")), "翠苑一区  |");
        assert_eq!(format!("{:<10}|", Column("East")), "East      |");
        assert_eq!(format!("{:>6}|", Column("东门")), "  东门|");
        assert_eq!(format!("{:<2}|", Column("黄小明")), "黄小明|", "never cut");
        assert_eq!(format!("{}|", Column("x")), "x|");
    }

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
