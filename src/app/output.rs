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

/// A writer for free text that may quote the outside (plain mode's
/// screens): every character a terminal would act on or hide is shown as
/// an escape, line breaks and tabs aside. Whatever a message forgot to escape is
/// caught here, on its way out.
pub struct Escaping<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence whose end is in the next write.
    partial: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(inner: W) -> Self {
        Escaping {
            inner,
            partial: Vec::new(),
        }
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let held = self.partial.len();
        let mut bytes = std::mem::take(&mut self.partial);
        bytes.extend_from_slice(buf);
        let mut out = String::with_capacity(bytes.len());
        let mut rest: &[u8] = &bytes;
        let mut tail: &[u8] = &[];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    push_escaped(&mut out, text);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    push_escaped(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        // Not UTF-8 here: shown as such, the rest goes on.
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &after[n..];
                        }
                        // A sequence cut at the end: kept for the next write.
                        None => {
                            tail = after;
                            break;
                        }
                    }
                }
            }
        }
        match self.inner.write_all(out.as_bytes()) {
            Ok(()) => {
                self.partial = tail.to_vec();
                Ok(buf.len())
            }
            Err(e) => {
                // Nothing of `buf` counts as written: hold what was held.
                bytes.truncate(held);
                self.partial = bytes;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `text` onto `out`, line breaks and tabs as they are, everything else a
/// terminal would act on escaped.
fn push_escaped(out: &mut String, text: &str) {
    let mut one = [0; 4];
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c => out.push_str(&shown(c.encode_utf8(&mut one))),
        }
    }
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

    #[test]
    fn a_failed_write_keeps_what_was_held() {
        struct Fails;
        impl Write for Fails {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Escaping::new(Fails);
        let check = "\u{2713}".as_bytes();
        // Held (nothing to write yet), then a write that fails.
        assert_eq!(w.write(&check[..1]).unwrap(), 1);
        assert!(w.write(&check[1..]).is_err());
        assert_eq!(w.partial, &check[..1]);
    }

    #[test]
    fn free_text_is_escaped_on_its_way_out_line_breaks_kept() {
        let mut out = Vec::new();
        let mut w = Escaping::new(&mut out);
        writeln!(
            w,
            "Keyring: \u{1b}]0;pwned\u{7}\u{1b}[2J \u{202e}evil é✓\tok"
        )
        .unwrap();
        // A character cut between two writes is put back together.
        let odd = "\u{202e}".as_bytes();
        w.write_all(&odd[..1]).unwrap();
        w.write_all(&odd[1..]).unwrap();
        w.write_all("x\n".as_bytes()).unwrap();
        // A byte that is not UTF-8 in the middle, a cut character at the
        // end: the first is marked, the second waits for its end.
        let check = "\u{2713}".as_bytes();
        let mut odd = b"a\xffb".to_vec();
        odd.extend_from_slice(&check[..2]);
        w.write_all(&odd).unwrap();
        w.write_all(&check[2..]).unwrap();
        w.write_all(b"\n").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_inert(&text.replace('\t', " "), "plain mode's output");
        assert_eq!(
            text,
            "Keyring: \\x1b]0;pwned\\x07\\x1b[2J \\u{202e}evil é✓\tok\n\\u{202e}x\na\u{fffd}b\u{2713}\n"
        );
    }
}
