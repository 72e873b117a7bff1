//! Text fields: a plain one with a cursor, and a masked one for the secret.

use zeroize::Zeroizing;

use super::keys::Action;

/// A single-line text field with a cursor (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    cursor: usize,
}

impl TextInput {
    pub fn with(value: &str) -> Self {
        TextInput {
            value: value.to_string(),
            cursor: value.chars().count(),
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_idx)
            .map(|(b, _)| b)
            .unwrap_or(self.value.len())
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            self.insert(c);
        }
    }

    pub fn insert(&mut self, c: char) {
        if c.is_control() || self.value.len() >= 320 {
            return;
        }
        let b = self.byte_at(self.cursor);
        self.value.insert(b, c);
        self.cursor += 1;
    }

    /// Apply an editing action; `true` if it was one.
    pub fn handle(&mut self, action: &Action) -> bool {
        let len = self.value.chars().count();
        match action {
            Action::Char(c) => self.insert(*c),
            Action::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    let b = self.byte_at(self.cursor);
                    self.value.remove(b);
                }
            }
            Action::Delete => {
                if self.cursor < len {
                    let b = self.byte_at(self.cursor);
                    self.value.remove(b);
                }
            }
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(len),
            Action::Home => self.cursor = 0,
            Action::End => self.cursor = len,
            Action::ClearField => {
                self.value.clear();
                self.cursor = 0;
            }
            _ => return false,
        }
        true
    }
}

/// The masked password field. Its buffer is zeroed on drop and never
/// shown except as bullets (or, when the user asks, revealed).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretField {
    value: Zeroizing<String>,
}

impl Default for SecretField {
    /// Room for the longest accepted paste up front, so the buffer never
    /// grows (a reallocation would leave an unzeroed copy behind).
    fn default() -> Self {
        SecretField {
            value: Zeroizing::new(String::with_capacity(
                crate::domain::apppass::MAX_PASTE_BYTES + 4,
            )),
        }
    }
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretField({} chars)", self.value.chars().count())
    }
}

impl SecretField {
    pub fn chars(&self) -> usize {
        self.value.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// For the form check and for revealing on request.
    pub fn peek(&self) -> &str {
        &self.value
    }

    pub fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if !c.is_control() && self.value.len() < crate::domain::apppass::MAX_PASTE_BYTES {
                self.value.push(c);
            }
        }
    }

    /// Empty the field, zeroing what it held.
    pub fn clear(&mut self) {
        let capacity = self.value.capacity();
        zeroize::Zeroize::zeroize(&mut *self.value);
        self.value.reserve(capacity);
    }

    pub fn handle(&mut self, action: &Action) -> bool {
        match action {
            Action::Char(c) => self.push_str(c.encode_utf8(&mut [0; 4])),
            Action::Backspace => {
                self.value.pop();
            }
            Action::ClearField => self.clear(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_input_edits_at_the_cursor() {
        let mut t = TextInput::with("emly");
        t.handle(&Action::Left);
        t.handle(&Action::Left);
        t.handle(&Action::Char('i'));
        assert_eq!(t.value(), "emily");
        t.handle(&Action::Home);
        t.handle(&Action::Delete);
        assert_eq!(t.value(), "mily");
        t.handle(&Action::End);
        t.handle(&Action::Backspace);
        assert_eq!(t.value(), "mil");
        assert_eq!(t.cursor(), 3);
        t.handle(&Action::Char('\u{7}'));
        assert_eq!(t.value(), "mil");
    }

    #[test]
    fn secret_field_debug_hides_content() {
        let mut s = SecretField::default();
        s.push_str("abcd\u{1b}");
        assert_eq!(s.peek(), "abcd");
        assert_eq!(format!("{s:?}"), "SecretField(4 chars)");
        s.handle(&Action::Backspace);
        assert_eq!(s.chars(), 3);
    }
}
