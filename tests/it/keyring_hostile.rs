//! A hostile Secret Service (`keyring_hostile/service.py`, on a session
//! bus of the test's own) answers every call with an error whose message
//! carries terminal escape sequences, a bidi override and 100 000 more
//! characters. Every command that reaches the keyring, and the wizard in
//! plain mode, says what went wrong with those characters shown as
//! escapes, never raw, and quotes a bounded part of it.

// A D-Bus session and a Python service: Unix only.
#![cfg(unix)]

use std::path::Path;

use crate::common::{self, Bin};

/// Runs only as a child of the test below, on the bus where the hostile
/// service owns `org.freedesktop.secrets`.
#[test]
#[ignore = "run by the test below inside its own dbus-run-session"]
fn probe_hostile_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let imap = common::closed_port();
    let smtp = common::closed_port();
    let runs: [&[&str]; 6] = [
        &["--plain"],
        &["list"],
        &["password", "a@icloud.com"],
        &["verify"],
        &["verify", "--scheduled"],
        &["remove", "--yes", "a@icloud.com"],
    ];
    for args in runs {
        let out = Bin::new()
            .env("ICLOUD_MAIL_SETUP_CONFIG", &config)
            .env("ICLOUD_MAIL_SETUP_IMAP", format!("127.0.0.1:{}", imap.port))
            .env("ICLOUD_MAIL_SETUP_SMTP", format!("127.0.0.1:{}", smtp.port))
            .args(args)
            .run();
        let both = format!("{}{}", out.stdout, out.stderr);
        // The service's words are there, shown as escapes (so the test
        // looks at what it means to)...
        assert!(
            both.contains(r"\x1b]0;pwned\x07\x1b[2J\u{202e}evil"),
            "{args:?}: the keyring's message is not quoted:\n{both}"
        );
        // ...and nothing of it acts on the terminal.
        let acts = |c: char| c != '\n' && icloud_mail_setup::sys::text::acts_on_terminal(c);
        assert!(!both.chars().any(acts), "{args:?}: raw:\n{both:?}");
        // A bounded part of it: never its 100 000 characters.
        let longest = both.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest < 2000, "{args:?}: a line of {longest} characters");
    }
    println!("PROBE-OK");
}

#[test]
fn a_keyring_that_answers_with_escape_sequences_never_reaches_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let service = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/keyring_hostile/service.py");
    let script = "set -e\n\
         /usr/bin/python3 \"$IMS_SERVICE\" \"$IMS_READY\" &\n\
         i=0; until grep -qx ready \"$IMS_READY\" 2>/dev/null; do\n\
           i=$((i+1)); [ $i -lt 300 ] || { echo 'the hostile service did not start' >&2; exit 1; }\n\
           sleep 0.05\n\
         done\n\
         exec \"$0\" \"$@\"";
    let out = Bin::program("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(std::env::current_exe().unwrap())
        .args(common::bin::probe_args(
            "keyring_hostile::probe_hostile_keyring",
        ))
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("IMS_SERVICE", &service)
        .env("IMS_READY", &ready)
        .run();
    out.assert_probe_ok("the hostile Secret Service");
}
