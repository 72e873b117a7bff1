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
/// password step, the first password given: the check is running. The
/// server and the config's directory live as long as the wizard.
struct Checking {
    t: Tmux,
    _server: FaultServer,
    _dir: tempfile::TempDir,
}

fn checking() -> Checking {
    require_bus();
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = server.endpoint.to_string();
    let env: Vec<(String, String)> = [
        ("ICLOUD_MAIL_SETUP_IMAP", endpoint.clone()),
        ("ICLOUD_MAIL_SETUP_SMTP", endpoint),
        (
            "ICLOUD_MAIL_SETUP_CA_FILE",
            server.ca_file.display().to_string(),
        ),
        (
            "ICLOUD_MAIL_SETUP_CONFIG",
            dir.path().join("config.toml").display().to_string(),
        ),
        ("TERM", "xterm-256color".into()),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into();
    let t = Tmux::start(&format!("{} --plain --timeout 2", sh_quote(bin())), &env);
    // Each question, then its answer and Enter: Welcome, two-factor, the
    // checklist, the address, the password (hidden), the label.
    for (question, answer) in [
        ("Choose 1-1 [1]", ""),
        ("Is two-factor authentication on", "1"),
        ("Enter when done", ""),
        ("Email address:", "ahead@icloud.com"),
        ("App-specific password (not shown)", FIRST),
        ("Label at Apple", ""),
    ] {
        t.wait_for(question, 15);
        t.type_text(answer);
        t.keys(&["Enter"]);
    }
    t.wait_for("Checking IMAP and SMTP", 5);
    Checking {
        t,
        _server: server,
        _dir: dir,
    }
}

/// A new password pasted while the check runs (the person knows the first
/// one was wrong): the terminal does not show it, and when the check's
/// answer asks its question, the line is taken as the password, kept and
/// checked, not refused as a wrong number.
#[test]
fn a_password_typed_while_a_check_runs_is_not_shown_and_is_checked_next() {
    let Checking { t, .. } = &checking();
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
    let Checking { t, .. } = &checking();
    // `q` (quit), typed before the check's question exists.
    t.type_text("q");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(20), "0");
    let seen = t.history();
    let asked = seen
        .lines()
        .rev()
        .find(|l| l.starts_with("Choose 1-"))
        .unwrap_or_else(|| panic!("no question:\n{seen}"));
    assert!(asked.trim_end().ends_with("q"), "{asked:?} in:\n{seen}");
}
