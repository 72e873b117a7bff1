//! The password normaliser and the paste sanitiser, on any text.
//!
//! Beyond "no panic": a normalised password is always `xxxx-xxxx-xxxx-xxxx`
//! in a–z and normalises to itself; what the sanitiser keeps has no control
//! character, is never longer than the paste, and only pastes over the
//! limit are refused; a text that normalises is found by `holds_password`.

#![no_main]

use icloud_mail_setup::domain::apppass::{self, Form, MAX_PASTE_BYTES};
use libfuzzer_sys::fuzz_target;

fn canonical(p: &str) -> bool {
    p.len() == 19
        && p.char_indices().all(|(i, c)| {
            if i % 5 == 4 {
                c == '-'
            } else {
                c.is_ascii_lowercase()
            }
        })
}

fuzz_target!(|s: &str| {
    match apppass::normalise(s) {
        Ok(secret) => {
            let p = secret.expose();
            assert!(canonical(p), "not canonical: {p:?}");
            assert_eq!(apppass::normalise(p).as_ref().map(|s| s.expose()), Ok(p));
            assert_eq!(apppass::assess(s), Form::Valid);
            assert!(apppass::holds_password(s));
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match apppass::sanitise_paste(s) {
        Ok(clean) => {
            assert!(s.len() <= MAX_PASTE_BYTES);
            assert!(clean.len() <= s.len());
            assert!(!clean.chars().any(char::is_control), "{clean:?}");
        }
        Err(_) => assert!(s.len() > MAX_PASTE_BYTES),
    }
    let _ = apppass::holds_password(s);
});
