//! The address parser and the label check, on any text.
//!
//! An accepted address is lowercase ASCII `local@domain`, parses to
//! itself, and prints as itself both in a shell (no quoting needed) and on
//! a terminal (nothing to escape). An accepted label is trimmed, short,
//! checks to itself and has nothing a terminal would interpret.

#![no_main]

use icloud_mail_setup::domain::account::{Email, MAX_LABEL_CHARS, check_label};
use icloud_mail_setup::sys::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(e) = Email::parse(s) {
        let a = e.as_str();
        assert!(a.is_ascii() && a == a.to_ascii_lowercase(), "{a:?}");
        assert_eq!(Email::parse(a).as_ref(), Ok(&e));
        assert!(
            !e.local_part().is_empty() && e.domain().contains('.'),
            "{a:?}"
        );
        assert_eq!(&*text::shell_quote(a), a);
        assert_eq!(&*text::escape_for_terminal(a), a);
        assert!(!a.starts_with('-'), "{a:?}");
        let cmd = icloud_mail_setup::domain::invocation::Invocation::default().password_command(a);
        assert!(cmd.ends_with(&format!(" -- {a}")), "{cmd:?}");
    }
    let _ = Email::parse_apple(s);
    if let Ok(l) = check_label(s) {
        assert!(l.chars().count() <= MAX_LABEL_CHARS, "{l:?}");
        assert_eq!(l.trim(), l);
        assert_eq!(check_label(&l).as_deref(), Ok(l.as_str()));
        assert_eq!(&*text::escape_for_terminal(&l), l);
    }
});
