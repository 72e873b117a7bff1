//! The real binary in a real terminal (tmux): typing and pasting as a
//! person would, and leaving the terminal as it found it.

mod tmux;

use tmux::{Tmux, bin, children, sh_quote};

const PASSWORD: &str = "wxyz-abcd-efgh-ijkl";

/// Environment for a run that touches nothing outside `t.dir`: its own
/// config, and servers on a closed loopback port (checks fail fast).
fn env(t_dir: &std::path::Path) -> Vec<(String, String)> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
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

fn start(wrapper: impl Fn(&str) -> String) -> Tmux {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path());
    let t = Tmux::start(&wrapper(&sh_quote(bin())), &e);
    drop(dir);
    t
}

#[test]
fn a_person_types_and_pastes_their_way_to_verify() {
    let t = start(|b| b.to_string());
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

#[test]
fn sigterm_mid_flow_restores_the_terminal() {
    // The shell runs the program, then records how it left the terminal.
    let t = start(|b| {
        format!(
            "sh -c {}",
            sh_quote(&format!(
                "{b}; echo \"exit=$?\" > status; stty -a > stty.txt; sleep 30"
            ))
        )
    });
    t.wait_for("Set up a new account", 10);
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    assert_eq!(t.var("alternate_on"), "1");
    let shell: u32 = t.var("pane_pid").parse().unwrap();
    let kids = children(shell);
    assert_eq!(kids.len(), 1, "one program under the shell: {kids:?}");
    let pid = kids[0] as i32;
    // SAFETY: plain kill(2) on our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let cwd = t.var("pane_current_path");
    let stty = std::path::Path::new(&cwd).join("stty.txt");
    let status = std::path::Path::new(&cwd).join("status");
    t.wait_until("the shell to record the terminal state", 10, || {
        stty.exists()
            && std::fs::metadata(&stty)
                .map(|m| m.len() > 0)
                .unwrap_or(false)
    });
    let stty = std::fs::read_to_string(&stty).unwrap();
    let _ = std::fs::remove_file(cwd.clone() + "/stty.txt");
    let status = std::fs::read_to_string(&status).unwrap();
    let _ = std::fs::remove_file(cwd + "/status");
    assert_eq!(status.trim(), "exit=143", "ended by SIGTERM, 128+15");
    let flags: Vec<&str> = stty.split_whitespace().collect();
    assert!(flags.contains(&"echo"), "echo is back on: {stty}");
    assert!(flags.contains(&"icanon"), "canonical mode is back: {stty}");
    assert_eq!(t.var("alternate_on"), "0", "the alternate screen was left");
}

#[test]
fn sighup_and_ctrl_c_also_restore() {
    for how in ["hup", "ctrl-c"] {
        let t = start(|b| {
            format!(
                "sh -c {}",
                sh_quote(&format!("{b}; stty -a > stty-{how}.txt; sleep 30"))
            )
        });
        t.wait_for("Set up a new account", 10);
        if how == "hup" {
            let shell: u32 = t.var("pane_pid").parse().unwrap();
            let pid = children(shell)[0] as i32;
            // SAFETY: plain kill(2) on our own child process.
            assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
        } else {
            t.keys(&["C-c"]);
        }
        let cwd = t.var("pane_current_path");
        let p = std::path::PathBuf::from(&cwd).join(format!("stty-{how}.txt"));
        t.wait_until("the terminal state", 10, || {
            std::fs::metadata(&p).map(|m| m.len() > 0).unwrap_or(false)
        });
        let stty = std::fs::read_to_string(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        assert!(
            stty.split_whitespace().any(|f| f == "echo"),
            "{how}: {stty}"
        );
        assert_eq!(t.var("alternate_on"), "0", "{how}");
    }
}

#[test]
fn resizing_redraws_and_tiny_windows_get_a_message() {
    let t = start(|b| b.to_string());
    t.wait_for("Set up a new account", 10);
    t.tmux(&["resize-window", "-t", "t", "-x", "30", "-y", "10"]);
    t.wait_for("Make the window", 5);
    t.tmux(&["resize-window", "-t", "t", "-x", "40", "-y", "12"]);
    t.wait_for("Set up a new account", 5);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(5), "0");
}
