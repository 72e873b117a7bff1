//! The binary without a terminal: --help, --version, and the wizard in
//! plain mode.

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_and_version_work_without_a_terminal() {
    let h = run(&["--help"]);
    assert!(h.status.success());
    let text = String::from_utf8_lossy(&h.stdout);
    for word in [
        "verify",
        "list",
        "password",
        "store",
        "remove",
        "--imap",
        "--smtp",
        "--ca-file",
        "--timeout",
        "--account",
        "Exit codes",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let v = run(&["--version"]);
    assert!(v.status.success());
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("icloud-mail-setup {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn without_a_terminal_the_wizard_runs_line_by_line_and_says_when_input_ends() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
        .env("ICLOUD_MAIL_SETUP_CONFIG", dir.path().join("config.toml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        out.contains("== Welcome =="),
        "{out}\n{err}\n{:?}",
        o.status
    );
    assert!(out.contains("  1. Set up a new account"), "{out}");
    // No escape sequences: no cursor movement, no colour.
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(err.contains("input ended"), "{err}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bad_options_are_usage_errors() {
    let o = run(&["verify", "--imap", "no-port-here"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    // The password is never an argument.
    let o = run(&["store", "a@icloud.com", "--password", "abcd-efgh-ijkl-mnop"]);
    assert_eq!(o.status.code(), Some(2));
}
