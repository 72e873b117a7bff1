//! The app-specific password as a type that cannot leak by accident.
//!
//! `Secret` has no `Display`, its `Debug` prints a placeholder, it is not
//! `Serialize`, and its bytes are zeroed when it is dropped. The only way to
//! the characters is [`Secret::expose`], which is greppable.

use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The characters of the secret. Call only where they must leave the
    /// process: the keyring, the wire, or `password` printing to a pipe.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Text that may be a password, as typed or pasted, before its form is
/// checked: handled like the secret it may be. A paste is taken from
/// crossterm's event (moved, never cloned); it is zeroed on drop, and
/// `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct RawSecret(Zeroizing<String>);

impl RawSecret {
    pub fn new(text: String) -> Self {
        RawSecret(Zeroizing::new(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawSecret({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_content() {
        let s = Secret::new("abcd-efgh-ijkl-mnop".into());
        let shown = format!("{s:?} {:#?}", s);
        assert!(!shown.contains("abcd"), "{shown}");
        assert!(shown.contains("redacted"));
        let p = RawSecret::new("abcd-efgh-ijkl-mnop".into());
        assert_eq!(format!("{p:?}"), "RawSecret(19 bytes)");
    }
}
