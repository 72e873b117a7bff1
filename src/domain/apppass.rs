//! The form of an app-specific password: four groups of four lowercase
//! letters, `abcd-efgh-ijkl-mnop` (Apple support article 102654).
//!
//! What the user pastes is normalised to that form: look-alikes a paste can
//! bring (other spaces and hyphens, fullwidth letters, zero-width characters)
//! mapped to plain ASCII, surrounding whitespace trimmed, letters lowercased,
//! and hyphens re-inserted when the 16 letters come without them or with
//! spaces between the groups.

use zeroize::Zeroizing;

use crate::sys::secret::Secret;
use crate::sys::text;

/// Pastes longer than this are refused outright, never echoed or kept.
pub const MAX_PASTE_BYTES: usize = 256;

/// How the text typed so far looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Empty,
    /// Only letters (and separators) so far, fewer than 16.
    Incomplete {
        letters: usize,
    },
    /// Sixteen letters in the right grouping.
    Valid,
    Invalid(FormError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error(
        "This has digits in it. App-specific passwords are letters only (four groups of four). \
         Your Apple Account password will not work here."
    )]
    HasDigits,
    #[error(
        "This has characters an app-specific password never has. It should look like \
         abcd-efgh-ijkl-mnop. Your Apple Account password will not work here."
    )]
    BadCharacters,
    #[error(
        "This is too long for an app-specific password ({letters} letters; it has 16). \
         Did the paste pick up extra text?"
    )]
    TooLong { letters: usize },
    #[error("This has {letters} letters; an app-specific password has 16 (four groups of four).")]
    TooShort { letters: usize },
    #[error(
        "The hyphens are in the wrong places. An app-specific password is four groups of four \
         letters: abcd-efgh-ijkl-mnop."
    )]
    BadGrouping,
    #[error("That paste is far too long to be a password, so it was not used.")]
    PasteTooLong,
    #[error(
        "This has a letter that is not a plain a\u{2013}z, e.g. \u{e9} or a Cyrillic look-alike. \
         App-specific passwords use only a\u{2013}z; type it by hand."
    )]
    NotPlainLetters,
    #[error(
        "This has more than one line. Did the paste pick up extra text? \
         Paste only the password."
    )]
    MultipleLines,
}

/// Assess text being typed, for live feedback. Never fails, never echoes.
pub fn assess(input: &str) -> Form {
    let t = input.trim();
    if t.is_empty() {
        return Form::Empty;
    }
    match normalise(t) {
        Ok(_) => Form::Valid,
        Err(FormError::TooShort { letters }) => Form::Incomplete { letters },
        Err(e) => Form::Invalid(e),
    }
}

/// Normalise to `xxxx-xxxx-xxxx-xxxx` or say precisely what is wrong.
///
/// The input is a secret: no buffer holding its characters is ever grown
/// (a reallocation leaves the old copy behind, unzeroed), and no error
/// repeats any of it.
pub fn normalise(input: &str) -> Result<Secret, FormError> {
    if input.len() > MAX_PASTE_BYTES {
        return Err(FormError::PasteTooLong);
    }
    let mapped = map_lookalikes(input);
    let t = mapped.trim();
    if t.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return Err(FormError::MultipleLines);
    }
    if t.chars().any(|c| c.is_ascii_digit()) {
        return Err(FormError::HasDigits);
    }
    if t.chars().any(|c| !c.is_ascii() && is_letter_or_accent(c)) {
        return Err(FormError::NotPlainLetters);
    }
    if t.chars()
        .any(|c| !(c.is_ascii_alphabetic() || c == '-' || c == ' '))
    {
        return Err(FormError::BadCharacters);
    }
    let mut letters = Zeroizing::new(String::with_capacity(t.len()));
    for c in t.chars().filter(char::is_ascii_alphabetic) {
        letters.push(c.to_ascii_lowercase());
    }
    let n = letters.len();
    if n > 16 {
        return Err(FormError::TooLong { letters: n });
    }
    if n < 16 {
        // Separators so far must still sit on group boundaries.
        if !separators_on_boundaries(t) {
            return Err(FormError::BadGrouping);
        }
        return Err(FormError::TooShort { letters: n });
    }
    if !separators_on_boundaries(t) {
        return Err(FormError::BadGrouping);
    }
    let mut out = String::with_capacity(19);
    for (i, c) in letters.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    Ok(Secret::new(out))
}

/// Whether `text` has an app-specific password in it: the whole text, one
/// word of it (with the punctuation of a copied sentence around it: a full
/// stop, a colon, quotes, brackets), or four four-letter words in a row.
/// For the fields shown and stored in clear (the address, the login, the
/// label), which must never take the password.
pub fn holds_password(text: &str) -> bool {
    if normalise(text).is_ok() {
        return true;
    }
    // Words keep what an address or a password form has inside them.
    let inside_a_word = |c: char| {
        c.is_alphanumeric()
            || "-.@_+".contains(c)
            || matches!(
                c,
                '\u{2010}'..='\u{2014}' | '\u{2212}' | '\u{fe63}' | '\u{ff0d}'
            )
            || text::is_zero_width(c)
    };
    let words: Vec<&str> = text
        .split(|c: char| !inside_a_word(c))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| normalise(w).is_ok())
        || words.windows(4).any(|four| {
            four.iter().all(|w| w.chars().count() == 4) && normalise(&four.join(" ")).is_ok()
        })
}

/// `input` with what a paste from a web page, a PDF or a chat brings in
/// place of plain characters mapped back: other spaces and tabs to ' ',
/// other hyphens and dashes to '-', fullwidth letters and digits to ASCII,
/// zero-width characters dropped. Each is mapped to one ASCII byte or
/// dropped, so the text never grows and its buffer, sized once, is never
/// reallocated.
fn map_lookalikes(input: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    let capacity = out.capacity();
    for c in input.chars() {
        let plain = match c {
            '\t' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => ' ',
            '\u{2010}'..='\u{2014}' | '\u{2212}' | '\u{fe63}' | '\u{ff0d}' => '-',
            '\u{ff21}'..='\u{ff3a}' => fullwidth(c, 0xff21, b'A'),
            '\u{ff41}'..='\u{ff5a}' => fullwidth(c, 0xff41, b'a'),
            '\u{ff10}'..='\u{ff19}' => fullwidth(c, 0xff10, b'0'),
            c if text::is_zero_width(c) => continue,
            c => c,
        };
        out.push(plain);
    }
    debug_assert_eq!(
        out.capacity(),
        capacity,
        "the mapped text outgrew its buffer"
    );
    out
}

/// The ASCII character at the same offset from `ascii_first` as `c` is
/// from `first` (the fullwidth forms are laid out like ASCII).
fn fullwidth(c: char, first: u32, ascii_first: u8) -> char {
    char::from(ascii_first + (c as u32 - first) as u8)
}

/// A letter of any script, or a combining accent (é typed as e + ◌́).
fn is_letter_or_accent(c: char) -> bool {
    c.is_alphabetic() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// Either no separators at all, or exactly one separator after every
/// fourth letter (and nowhere else).
fn separators_on_boundaries(t: &str) -> bool {
    let mut letters = 0usize;
    let mut prev_sep = false;
    let mut any_sep = false;
    for c in t.chars() {
        if c == '-' || c == ' ' {
            if prev_sep || letters == 0 || !letters.is_multiple_of(4) || letters >= 16 {
                return false;
            }
            prev_sep = true;
            any_sep = true;
        } else {
            if any_sep && letters > 0 && letters.is_multiple_of(4) && !prev_sep {
                return false;
            }
            letters += 1;
            prev_sep = false;
        }
    }
    true
}

/// Keep what a paste may contribute to the field: printable characters only.
/// Control characters and whole escape sequences (`ESC [ ... final`) are dropped.
pub fn sanitise_paste(raw: &str) -> Result<Zeroizing<String>, FormError> {
    if raw.len() > MAX_PASTE_BYTES {
        return Err(FormError::PasteTooLong);
    }
    // Sized once: dropping characters never grows it, so no copy of the
    // paste is left behind by a reallocation.
    let mut out = Zeroizing::new(String::with_capacity(raw.len()));
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params final(0x40..=0x7e); OSC: ESC ] ... BEL or ESC \
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
            continue;
        }
        if c.is_control() {
            continue;
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        normalise(s).expect(s).expose().to_string()
    }

    #[test]
    fn normalises_the_forms_people_paste() {
        assert_eq!(ok("abcd-efgh-ijkl-mnop"), "abcd-efgh-ijkl-mnop");
        assert_eq!(ok("  ABCD-efgh-IJKL-mnop \n"), "abcd-efgh-ijkl-mnop");
        assert_eq!(ok("abcdefghijklmnop"), "abcd-efgh-ijkl-mnop");
        assert_eq!(ok("abcd efgh ijkl mnop"), "abcd-efgh-ijkl-mnop");
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(normalise("Passw0rd!"), Err(FormError::HasDigits));
        assert_eq!(normalise("hunter two!"), Err(FormError::BadCharacters));
        assert_eq!(
            normalise("abcd-efgh-ijkl-mnop-q"),
            Err(FormError::TooLong { letters: 17 })
        );
        assert_eq!(normalise("abc-defg"), Err(FormError::BadGrouping));
        assert_eq!(normalise("abcd--efgh"), Err(FormError::BadGrouping));
        assert_eq!(
            normalise("abcd-efgh"),
            Err(FormError::TooShort { letters: 8 })
        );
        assert_eq!(normalise(&"a".repeat(300)), Err(FormError::PasteTooLong));
    }

    #[test]
    fn maps_the_lookalikes_a_paste_brings() {
        let want = "abcd-efgh-ijkl-mnop";
        assert_eq!(ok("abcd\u{2011}efgh\u{2011}ijkl\u{2011}mnop"), want);
        assert_eq!(ok("abcd\u{2010}efgh\u{2212}ijkl\u{2013}mnop"), want);
        assert_eq!(ok("abcd\u{2014}efgh\u{fe63}ijkl\u{ff0d}mnop"), want);
        assert_eq!(
            ok("\u{ff41}\u{ff42}\u{ff43}\u{ff44}-efgh-IJKL-\u{ff2d}\u{ff2e}\u{ff2f}\u{ff30}"),
            want
        );
        assert_eq!(ok("abcd\u{a0}efgh\u{202f}ijkl\u{3000}mnop"), want);
        assert_eq!(ok("abcd\u{2009}efgh\u{205f}ijkl\tmnop"), want);
        assert_eq!(
            ok("\u{feff}abcd-ef\u{200b}gh-ijkl-mn\u{2060}op\u{200d}"),
            want
        );
        assert_eq!(ok("\u{a0}abcdefghijklmnop\u{a0}"), want);
        // Fullwidth digits are digits: say so.
        assert_eq!(normalise("abcd-efgh-\u{ff11}"), Err(FormError::HasDigits));
    }

    #[test]
    fn mapping_never_grows_the_buffer() {
        for s in [
            "",
            "abcd-efgh-ijkl-mnop",
            "\u{ff41}\u{ff42}\u{ff43}\u{ff44}\u{2011}\u{ff45}\u{ff46}\u{ff47}\u{ff48}",
            "\u{a0}\u{2000}\u{200a}\u{202f}\u{205f}\u{3000}\t\u{2010}\u{2212}\u{fe63}\u{ff0d}",
            "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}",
            "caf\u{e9} \u{430}\u{1f600}",
        ] {
            let mapped = map_lookalikes(s);
            assert!(mapped.len() <= s.len(), "{s:?}");
            assert_eq!(mapped.capacity(), s.len(), "{s:?}");
        }
    }

    #[test]
    fn explains_other_rejections_specifically() {
        // é, and a Cyrillic а (U+0430) that looks like a Latin a.
        assert_eq!(normalise("abcd-\u{e9}fgh"), Err(FormError::NotPlainLetters));
        assert_eq!(
            normalise("\u{430}bcd-efgh"),
            Err(FormError::NotPlainLetters)
        );
        assert_eq!(
            normalise("abcd-e\u{301}fgh"),
            Err(FormError::NotPlainLetters)
        );
        assert_eq!(
            normalise("abcd-efgh\nijkl-mnop"),
            Err(FormError::MultipleLines)
        );
        assert_eq!(
            normalise("abcd-efgh-ijkl-mnop\r\nPassword: 1"),
            Err(FormError::MultipleLines)
        );
        assert_eq!(normalise("abcd_efgh"), Err(FormError::BadCharacters));
    }

    #[test]
    fn errors_never_repeat_the_input() {
        for s in [
            "zqxj-wvkq-zqxj-wvkq-zqxj",
            "zqxj-wvkq-\u{e9}",
            "zqxj\nwvkq",
            "zqxj wvkq 1",
            "zqxj*wvkq",
            "zqx-jwvkq",
            "zqxj-wvkq",
            "zqxj\u{1b}[2Jwvkq",
        ] {
            let e = normalise(s).expect_err(s);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("zqx") && !shown.contains("wvkq"), "{shown}");
        }
    }

    #[test]
    fn finds_a_password_inside_other_text() {
        for s in [
            "abcd-efgh-ijkl-mnop",
            "abcd-efgh-ijkl-mnop.",
            "Your app-specific password is ABCD-EFGH-IJKL-MNOP",
            "password:abcd-efgh-ijkl-mnop",
            "\"abcdefghijklmnop\"",
            "(abcd\u{2011}efgh\u{2011}ijkl\u{2011}mnop)",
            "my laptop abcd efgh ijkl mnop",
            "label \u{ff41}bcd-efgh-ijkl-mnop",
        ] {
            assert!(holds_password(s), "{s:?}");
        }
        for s in [
            "",
            "icloud-mail-setup on laptop",
            "emily@icloud.com",
            "uncharacteristically@icloud.com",
            "abcd-efgh-ijkl",
            "abcd-efgh-ijkl-mnop-qrst",
            "abcd-efgh-ijkl-mnop1",
            "work laptop (2)",
        ] {
            assert!(!holds_password(s), "{s:?}");
        }
    }

    #[test]
    fn assess_reports_progress() {
        assert_eq!(assess(""), Form::Empty);
        assert_eq!(assess("abcd-ef"), Form::Incomplete { letters: 6 });
        assert_eq!(assess("abcd-efgh-ijkl-mnop"), Form::Valid);
        assert_eq!(assess("secret1"), Form::Invalid(FormError::HasDigits));
    }

    #[test]
    fn paste_drops_controls_and_escape_sequences() {
        assert_eq!(
            *sanitise_paste("ab\u{1b}[31mcd\u{7}-ef\u{1b}]0;title\u{7}gh\r\n").unwrap(),
            "abcd-efgh"
        );
        assert_eq!(
            sanitise_paste(&"x".repeat(MAX_PASTE_BYTES + 1)),
            Err(FormError::PasteTooLong)
        );
    }
}
