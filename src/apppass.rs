//! The form of an app-specific password: four groups of four lowercase
//! letters, `abcd-efgh-ijkl-mnop` (Apple support article 102654).
//!
//! What the user pastes is normalised to that form: surrounding whitespace
//! trimmed, letters lowercased, and hyphens re-inserted when the 16 letters
//! come without them or with spaces between the groups.

use crate::secret::Secret;

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
pub fn normalise(input: &str) -> Result<Secret, FormError> {
    if input.len() > MAX_PASTE_BYTES {
        return Err(FormError::PasteTooLong);
    }
    let t = input.trim();
    if t.chars().any(|c| c.is_ascii_digit()) {
        return Err(FormError::HasDigits);
    }
    if t.chars()
        .any(|c| !(c.is_ascii_alphabetic() || c == '-' || c == ' '))
    {
        return Err(FormError::BadCharacters);
    }
    let letters: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        t.chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
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
pub fn sanitise_paste(raw: &str) -> Result<String, FormError> {
    if raw.len() > MAX_PASTE_BYTES {
        return Err(FormError::PasteTooLong);
    }
    let mut out = String::new();
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
    fn assess_reports_progress() {
        assert_eq!(assess(""), Form::Empty);
        assert_eq!(assess("abcd-ef"), Form::Incomplete { letters: 6 });
        assert_eq!(assess("abcd-efgh-ijkl-mnop"), Form::Valid);
        assert_eq!(assess("secret1"), Form::Invalid(FormError::HasDigits));
    }

    #[test]
    fn paste_drops_controls_and_escape_sequences() {
        assert_eq!(
            sanitise_paste("ab\u{1b}[31mcd\u{7}-ef\u{1b}]0;title\u{7}gh\r\n").unwrap(),
            "abcd-efgh"
        );
        assert_eq!(
            sanitise_paste(&"x".repeat(MAX_PASTE_BYTES + 1)),
            Err(FormError::PasteTooLong)
        );
    }
}
