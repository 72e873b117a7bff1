//! What commands print: every value that came from a file, a server, the
//! environment or the user goes through here on its way to a terminal.
//!
//! - [`shown`]: one value in a line of text, its control, bidi and
//!   zero-width characters shown as escapes ([`crate::sys::text::escape_for_terminal`]).
//! - [`json`]: `--json` output from `Serialize` data (never built by
//!   hand), with every character a terminal would act on written as a
//!   JSON `\uXXXX` escape: serde_json escapes C0 controls itself but
//!   passes C1 controls (`U+009B` is CSI to some terminals), bidi and
//!   zero-width characters through raw.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

/// `value` as a terminal may show it.
pub fn shown(value: &str) -> Cow<'_, str> {
    crate::sys::text::escape_for_terminal(value)
}

/// `value` as pretty JSON and a newline on `out`.
pub fn json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    writeln!(out, "{}", escape_json(&text))
}

/// JSON text with the characters a terminal would act on or hide as
/// `\uXXXX`. Those characters can only be inside strings (JSON's own
/// syntax is ASCII), where the escape means the same character.
fn escape_json(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && !c.is_ascii())
            || crate::sys::text::is_bidi_control(c)
            || crate::sys::text::is_zero_width(c)
            || c == '\u{2028}'
            || c == '\u{2029}'
    };
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            // All of them are in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For tests: `text` holds no character a terminal would act on (a
/// newline aside); `what` says which text it is when it does.
#[cfg(test)]
pub(crate) fn assert_inert(text: &str, what: &str) {
    let acts = |c: char| (c.is_control() && c != '\n') || crate::sys::text::is_bidi_control(c);
    assert!(!text.chars().any(acts), "{what}: {text:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_no_character_a_terminal_acts_on_and_means_the_same() {
        let value = serde_json::json!({
            "label": "a\u{1b}]0;title\u{7}b\u{9b}31m\u{202e}x\u{200b}\u{2028}é✓",
        });
        let mut out = Vec::new();
        json(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.trim_end().chars().any(|c| c.is_control() && c != '\n')
                && !text.contains('\u{202e}')
                && !text.contains('\u{200b}')
                && !text.contains('\u{2028}'),
            "{text:?}"
        );
        assert!(text.contains(r"\u009b31m\u202ex\u200b\u2028é✓"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
