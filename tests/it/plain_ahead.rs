//! Plain mode at a real terminal (tmux): what a person types or pastes
//! before its question appears. Nothing typed while the program is busy is
//! shown, and a password typed ahead reaches the question that takes a
//! password, never a question shown in clear.

// A pty, the Secret Service: Unix only.
#![cfg(unix)]

use crate::common::fault::{Fault, FaultServer};
use crate::common::keyring::require_bus;
use crate::tmux::{Tmux, bin, sh_quote};

const FIRST: &str = "wxyz-abcd-efgh-ijkl";
const AHEAD: &str = "mnop-qrst-uvwx-yzab";

/// A wizard whose checks wait on a server that never answers, at the
/// password step, the first password given: the check is running.
fn checking(server: &FaultServer, dir: &std::path::Path) -> Tmux {
    let env = vec![
        ("ICLOUD_MAIL_SETUP_IMAP".into(), server.endpoint.to_string()),
        ("ICLOUD_MAIL_SETUP_SMTP".into(), server.endpoint.to_string()),
        (
            "ICLOUD_MAIL_SETUP_CA_FILE".into(),
            server.ca_file.display().to_string(),
        ),
        (
            "ICLOUD_MAIL_SETUP_CONFIG".into(),
            dir.join("config.toml").display().to_string(),
        ),
        ("TERM".into(), "xterm-256color".into()),
    ];
    let t = Tmux::start(&format!("{} --plain --timeout 2", sh_quote(bin())), &env);
    t.wait_for("Choose 1-1 [1]", 15);
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    t.type_text("1");
    t.keys(&["Enter"]);
    t.wait_for("Enter when done", 5);
    t.keys(&["Enter"]);
    t.wait_for("Email address:", 5);
    t.type_text("ahead@icloud.com");
    t.keys(&["Enter"]);
    t.wait_for("App-specific password (not shown)", 5);
    t.type_text(FIRST);
    t.keys(&["Enter"]);
    t.wait_for("Label at Apple", 5);
    t.keys(&["Enter"]);
    t.wait_for("Checking IMAP and SMTP", 5);
    t
}

/// A new password pasted while the check runs (the person knows the first
/// one was wrong): the terminal does not show it, and when the check's
/// answer asks its question, the line is taken as the password, kept and
/// checked, not refused as a wrong number.
#[test]
fn a_password_typed_while_a_check_runs_is_not_shown_and_is_checked_next() {
    require_bus();
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let t = checking(&server, dir.path());
    t.type_text(AHEAD);
    t.keys(&["Enter"]);
    t.wait_for("checking it now", 20);
    let seen = t.history();
    assert!(!seen.contains(AHEAD), "typed ahead, shown:\n{seen}");
    assert!(!seen.contains(FIRST), "{seen}");
    assert!(!seen.contains("Type a number"), "{seen}");
    t.keys(&["C-c"]);
}

/// An answer typed ahead that is not a password is shown once its
/// question is asked, so the transcript reads as it was answered.
#[test]
fn an_answer_typed_while_a_check_runs_is_shown_at_its_question() {
    require_bus();
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let t = checking(&server, dir.path());
    // `q` (quit), typed before the check's question exists.
    t.type_text("q");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(20), "0");
    let seen = t.history();
    let asked = seen
        .lines()
        .filter(|l| l.starts_with("Choose 1-"))
        .last()
        .unwrap_or_else(|| panic!("no question:\n{seen}"));
    assert!(asked.trim_end().ends_with("q"), "{asked:?} in:\n{seen}");
}
