//! The real binary in a real terminal (tmux): typing and pasting as a
//! person would, and leaving the terminal as it found it.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;
use crate::tmux;

use tmux::{Tmux, bin, sh_quote};

const PASSWORD: &str = "wxyz-abcd-efgh-ijkl";

/// Environment for a run that touches nothing outside `t.dir`: its own
/// config, and servers on a closed loopback port (checks fail fast).
fn env(t_dir: &std::path::Path) -> Vec<(String, String)> {
    // Held for the whole test binary: nothing else can take the port.
    static CLOSED: std::sync::OnceLock<common::ClosedPort> = std::sync::OnceLock::new();
    let port = CLOSED.get_or_init(common::closed_port).port;
    vec![
        (
            "ICLOUD_MAIL_SETUP_CONFIG".into(),
            t_dir.join("config.toml").display().to_string(),
        ),
        ("ICLOUD_MAIL_SETUP_IMAP".into(), format!("127.0.0.1:{port}")),
        ("ICLOUD_MAIL_SETUP_SMTP".into(), format!("127.0.0.1:{port}")),
        ("TERM".into(), "xterm-256color".into()),
    ]
}

/// The program in tmux with its own config dir; `after` runs in the pane's
/// shell once it has exited.
fn start_with(after: &str) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start_then(&sh_quote(bin()), after, &env(dir.path()));
    (t, dir)
}

#[test]
fn a_person_types_and_pastes_their_way_to_verify() {
    let (t, _cfg) = start_with("");
    t.wait_for("Set up a new account", 10);
    assert_eq!(
        t.var("alternate_on"),
        "1",
        "the wizard uses the alternate screen"
    );
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    t.keys(&["Down", "Enter"]);
    t.wait_for("Where will you turn it on?", 5);
    t.keys(&["Enter"]);
    t.wait_for("System Settings", 5);
    t.keys(&["Space", "Space", "Enter"]);
    let s = t.wait_for("App-Specific Passwords", 5);
    assert!(s.contains("https://account.apple.com"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("Which address do you read mail at?", 5);
    t.type_text("emily@icloud");
    t.wait_for("domain after the @", 5);
    t.type_text(".com");
    t.wait_for("An iCloud address", 5);
    t.keys(&["Enter"]);
    t.wait_for("Paste the app-specific password", 5);
    // A paste with a trailing newline and an escape sequence in it.
    t.paste(&format!("{}\x1b[31m\n", PASSWORD.to_uppercase()));
    let s = t.wait_for("That looks like an app-specific password", 5);
    assert!(
        !s.contains(PASSWORD) && !s.to_lowercase().contains("wxyz"),
        "{s}"
    );
    assert!(s.contains("\u{2022}\u{2022}\u{2022}\u{2022}-"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("Checking with iCloud", 5);
    let s = t.wait_for("Retry the check", 10);
    assert_eq!(s.matches("refused the connection").count(), 2, "{s}");
    assert!(!s.contains(PASSWORD));
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(5), "0");
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: plain kill(2) on our own child process.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// After the program is gone: echo and canonical mode back on, the
/// alternate screen left.
fn assert_restored(t: &Tmux, how: &str) {
    let stty = std::fs::read_to_string(t.path("stty.txt")).unwrap();
    let flags: Vec<&str> = stty.split_whitespace().collect();
    assert!(flags.contains(&"echo"), "{how}: echo is back on: {stty}");
    assert!(
        flags.contains(&"icanon"),
        "{how}: canonical mode is back: {stty}"
    );
    assert_eq!(
        t.var("alternate_on"),
        "0",
        "{how}: the alternate screen was left"
    );
}

#[test]
fn sigterm_mid_flow_restores_the_terminal() {
    let (t, _cfg) = start_with("stty -a > stty.txt;");
    t.wait_for("Set up a new account", 10);
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    assert_eq!(t.var("alternate_on"), "1");
    kill(t.program_pid(), libc::SIGTERM);
    assert_eq!(t.wait_exit(10), "143", "ended by SIGTERM, 128+15");
    assert_restored(&t, "SIGTERM");
}

#[test]
fn sighup_and_ctrl_c_also_restore() {
    let (t, _cfg) = start_with("stty -a > stty.txt;");
    t.wait_for("Set up a new account", 10);
    kill(t.program_pid(), libc::SIGHUP);
    assert_eq!(t.wait_exit(10), "129", "ended by SIGHUP, 128+1");
    assert_restored(&t, "SIGHUP");

    let (t, _cfg) = start_with("stty -a > stty.txt;");
    t.wait_for("Set up a new account", 10);
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(10), "0");
    assert_restored(&t, "Ctrl-C");
}

#[test]
fn resizing_redraws_and_tiny_windows_get_a_message() {
    let (t, _cfg) = start_with("");
    t.wait_for("Set up a new account", 10);
    t.tmux(&["resize-window", "-t", "t", "-x", "30", "-y", "10"]);
    t.wait_for("Make the window", 5);
    t.tmux(&["resize-window", "-t", "t", "-x", "40", "-y", "12"]);
    t.wait_for("Set up a new account", 5);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(5), "0");
}

#[test]
fn esc_cancels_both_checks_at_once() {
    // Servers that accept and never speak: the checks would wait for their
    // whole deadline. Esc must stop both, closing their connections.
    let imap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut e = env(dir.path());
    e.retain(|(k, _)| !k.ends_with("_IMAP") && !k.ends_with("_SMTP"));
    e.push((
        "ICLOUD_MAIL_SETUP_IMAP".into(),
        imap.local_addr().unwrap().to_string(),
    ));
    e.push((
        "ICLOUD_MAIL_SETUP_SMTP".into(),
        smtp.local_addr().unwrap().to_string(),
    ));
    let t = Tmux::start(&format!("{} --timeout 60", sh_quote(bin())), &e);
    t.wait_for("Set up a new account", 10);
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("Which address", 5);
    t.type_text("emily@icloud.com");
    t.keys(&["Enter"]);
    t.wait_for("Paste the app-specific password", 5);
    t.paste(PASSWORD);
    t.keys(&["Enter"]);
    let (mut i, _) = imap.accept().unwrap();
    let (mut s, _) = smtp.accept().unwrap();
    t.wait_for("going back cancels", 5);
    t.keys(&["Escape"]);
    let screen = t.wait_for("Retry the check", 5);
    assert_eq!(screen.matches("cancelled").count(), 2, "{screen}");
    // Both connections were dropped by the program (EOF), not left open.
    for (name, sock) in [("IMAP", &mut i), ("SMTP", &mut s)] {
        use std::io::Read;
        sock.set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .unwrap();
        // Drain what the client sent (a TLS ClientHello for IMAP) to EOF.
        let mut buf = Vec::new();
        sock.read_to_end(&mut buf)
            .unwrap_or_else(|e| panic!("{name}: the connection is still open: {e}"));
    }
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(5), "0");
}
