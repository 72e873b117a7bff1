//! Reply classification: IMAP response lines, literal sizes and `NO`
//! codes; SMTP reply lines, EHLO offers and AUTH outcomes.
//!
//! A parsed IMAP reply has a tag and an upper-case status; a literal size
//! is only read from a line ending in `}`; a parsed SMTP line has a code
//! from 200 to 599 that is its first three bytes; only 235 is a successful
//! AUTH, and only 534 and 535 say the password was refused.

#![no_main]

use icloud_mail_setup::domain::mail::ErrorKind;
use icloud_mail_setup::domain::mail::{imap, smtp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Some(r) = imap::parse_reply(s) {
        assert!(!r.tag.is_empty() && s.starts_with(r.tag.as_str()), "{r:?}");
        assert!(
            r.status
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{r:?}"
        );
        let _ = imap::classify_no(r.code.as_deref());
    }
    if imap::literal_size(s).is_some() {
        assert!(s.ends_with('}'));
    }
    if let Some((code, _more, text)) = smtp::split_line(s) {
        assert!((200..=599).contains(&code), "{code}");
        assert_eq!(s[..3].parse::<u16>(), Ok(code));
        assert!(s.ends_with(text));
        match smtp::auth_outcome(code) {
            None => assert_eq!(code, 235),
            Some(f) => {
                assert_ne!(code, 235);
                assert_eq!(
                    f.kind == ErrorKind::PasswordRejected,
                    code == 534 || code == 535
                );
            }
        }
    }
    let lines: Vec<String> = s.split('\n').map(String::from).collect();
    let _ = smtp::offer(&smtp::Reply { code: 250, lines });
});
