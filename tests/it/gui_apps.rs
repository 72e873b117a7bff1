//! For GUI mail apps: `settings` (the table a person types in) and
//! `password --copy` with real clipboards: OSC 52 into a real tmux with
//! `set-clipboard on` (read back with `tmux show-buffer`), and xclip on a
//! real X server (Xvfb). The password comes from the real Secret Service
//! (gnome-keyring on the test's private bus).

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use crate::tmux;
use common::keyring::secret_tool_store as keyring_put;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::keyring::{require_bus, unique_email};
use tmux::{Tmux, bin};

const PW: &str = "copy-abcd-efgh-ijkl";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn b64(s: &str) -> String {
    icloud_mail_setup::sys::base64::encode(s.as_bytes()).to_string()
}

fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("cfg/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, toml).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn one_account(dir: &Path, email: &str) -> PathBuf {
    write_config(
        dir,
        &format!("[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"),
    )
}

/// The binary with a private config, outside any terminal session: no
/// controlling terminal (so no OSC 52 reaches whoever runs the tests), no
/// tmux, screen or display of the caller's.
fn detached(config: &Path, args: &[&str]) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(bin());
    c.env_remove("ICLOUD_MAIL_SETUP_LOG");
    c.args(args)
        .env("ICLOUD_MAIL_SETUP_CONFIG", config)
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .env_remove("STY")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; nothing else runs between fork
    // and exec.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    c
}

// ---- settings ----------------------------------------------------------

fn settings(config: &Path, email: Option<&str>) -> Output {
    let mut args = vec!["settings"];
    args.extend(email);
    detached(config, &args).output().unwrap()
}

fn row(shown: &str, label: &str) -> String {
    shown
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {label} row:\n{shown}"))
}

#[test]
fn settings_shows_the_recorded_servers_and_logins() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[account]]\n\
         email = \"me@example.org\"\n\
         login = \"primary@icloud.com\"\n\
         imap_username = \"primary\"\n\
         smtp_username = \"primary@icloud.com\"\n\
         imap_server = \"mail.test:1993\"\n\
         smtp_server = \"[::1]:1587\"\n\n\
         [[account]]\n\
         email = \"emily@icloud.com\"\n\
         login = \"emily@icloud.com\"\n",
    );
    let out = settings(&config, Some("ME@example.org"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("Thunderbird"), "{shown}");
    assert_eq!(row(&shown, "Email address"), "me@example.org");
    assert_eq!(row(&shown, "Incoming server (IMAP)"), "mail.test");
    assert_eq!(row(&shown, "Incoming port"), "1993");
    assert_eq!(row(&shown, "Incoming security"), "SSL/TLS");
    assert_eq!(row(&shown, "Incoming username"), "primary");
    assert_eq!(row(&shown, "Outgoing server (SMTP)"), "::1");
    assert_eq!(row(&shown, "Outgoing port"), "1587");
    assert_eq!(row(&shown, "Outgoing security"), "STARTTLS");
    assert_eq!(row(&shown, "Outgoing username"), "primary@icloud.com");
    assert!(row(&shown, "Authentication").starts_with("Normal password"));
    // The config in use is named, so the copy acts on the same one.
    assert!(
        row(&shown, "Password").contains(&format!(
            "`icloud-mail-setup --config {} password --copy me@example.org`",
            icloud_mail_setup::sys::text::shell_quote(&config.display().to_string())
        )),
        "{shown}"
    );

    // Apple's servers and the derived logins for the other one.
    let out = settings(&config, Some("emily@icloud.com"));
    let shown = text(&out.stdout);
    assert_eq!(row(&shown, "Incoming server (IMAP)"), "imap.mail.me.com");
    assert_eq!(row(&shown, "Incoming port"), "993");
    assert_eq!(row(&shown, "Incoming username"), "emily");
    assert_eq!(row(&shown, "Outgoing server (SMTP)"), "smtp.mail.me.com");
    assert_eq!(row(&shown, "Outgoing port"), "587");
    assert_eq!(row(&shown, "Outgoing username"), "emily@icloud.com");

    // Two accounts and no address: a usage error naming them.
    let out = settings(&config, None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("me@example.org") && err.contains("emily@icloud.com"),
        "{err}"
    );
    // Unknown account: 6. Not an address: 2.
    assert_eq!(
        settings(&config, Some("nobody@icloud.com")).status.code(),
        Some(6)
    );
    assert_eq!(settings(&config, Some("$(id)")).status.code(), Some(2));
}

#[test]
fn settings_of_the_only_account_and_of_a_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let config = one_account(dir.path(), "solo@me.com");
    let out = settings(&config, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(row(&text(&out.stdout), "Email address"), "solo@me.com");

    let config = write_config(
        dir.path(),
        "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n\
         smtp_server = \"no-port-\\u001b[2J\"\n",
    );
    let out = settings(&config, None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("smtp_server"), "{err}");
    assert!(!err.contains('\u{1b}'), "escaped for the terminal: {err:?}");
    assert!(out.stdout.is_empty());

    let empty = write_config(dir.path(), "");
    assert_eq!(settings(&empty, None).status.code(), Some(6));
}

// ---- password --copy in tmux (OSC 52) --------------------------------------

const TMUX_CONF: &str = "set -g set-clipboard on\n\
     set-environment -gu DISPLAY\n\
     set-environment -gu WAYLAND_DISPLAY";

fn copy_in_tmux(config: &Path, email: &str, extra: &[&str]) -> Tmux {
    let mut argv = vec![bin(), "password", "--copy", email];
    argv.extend_from_slice(extra);
    Tmux::start_exec(
        &argv,
        &[
            (
                "ICLOUD_MAIL_SETUP_CONFIG".into(),
                config.display().to_string(),
            ),
            ("TERM".into(), "xterm-256color".into()),
        ],
        TMUX_CONF,
    )
}

/// Every tmux paste buffer's content.
fn tmux_buffers(t: &Tmux) -> Vec<String> {
    let names = text(&t.tmux(&["list-buffers", "-F", "#{buffer_name}"]).stdout);
    names
        .lines()
        .map(|n| text(&t.tmux(&["show-buffer", "-b", n]).stdout))
        .collect()
}

fn assert_never_shown(t: &Tmux) {
    let all = t.history();
    assert!(!all.contains(PW), "the password is on the screen:\n{all}");
    assert!(
        !all.contains(&b64(PW)),
        "its base64 is on the screen:\n{all}"
    );
    assert!(!all.contains(&PW.replace('-', "")));
}

#[test]
fn copy_in_tmux_lands_in_a_tmux_buffer_and_ctrl_c_clears_it() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-tmux");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    // The tmux we start here must not be confused with one the tests run in.
    let t = copy_in_tmux(&config, &email, &[]);
    let s = t.wait_for("Ctrl-C clears it now", 20);
    assert!(s.contains("via OSC 52 (tmux)"), "{s}");
    assert!(s.contains("cleared in 45 s"), "{s}");
    // tmux took the OSC 52 into a paste buffer, which holds the password.
    let shown = text(&t.tmux(&["show-buffer"]).stdout);
    assert_eq!(shown, PW);
    assert_never_shown(&t);

    // Ctrl-C clears it now.
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(20), "0", "a normal end");
    let all = t.history();
    assert!(all.contains("tmux buffer deleted"), "{all}");
    assert!(
        !tmux_buffers(&t).iter().any(|b| b.contains(PW)),
        "{:?}",
        tmux_buffers(&t)
    );
    assert_never_shown(&t);
}

#[test]
fn copy_in_tmux_is_cleared_after_the_delay_and_other_buffers_are_kept() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-delay");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    let t = copy_in_tmux(&config, &email, &["--clear-after", "1"]);
    // A buffer of the person's own, made before: it must stay.
    let mine = t.path("mine");
    std::fs::write(&mine, "my own clipboard text").unwrap();
    t.tmux(&["load-buffer", "-b", "mine", mine.to_str().unwrap()]);
    assert_eq!(t.wait_exit(20), "0");
    let all = t.history();
    assert!(all.contains("cleared in 1 s"), "{all}");
    assert!(all.contains("tmux buffer deleted"), "{all}");
    let buffers = tmux_buffers(&t);
    assert!(!buffers.iter().any(|b| b.contains(PW)), "{buffers:?}");
    assert!(
        buffers.iter().any(|b| b == "my own clipboard text"),
        "{buffers:?}"
    );
    assert_never_shown(&t);
}

#[test]
fn copy_with_tmux_set_clipboard_off_says_how_to_turn_it_on() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-off");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    let t = Tmux::start_exec(
        &[bin(), "password", "--copy", &email],
        &[(
            "ICLOUD_MAIL_SETUP_CONFIG".into(),
            config.display().to_string(),
        )],
        "set -g set-clipboard off\nset-environment -gu DISPLAY\nset-environment -gu WAYLAND_DISPLAY",
    );
    assert_eq!(t.wait_exit(20), "1");
    let all = t.history();
    assert!(all.contains("set-clipboard on"), "{all}");
    assert!(!tmux_buffers(&t).iter().any(|b| b.contains(PW)));
    assert_never_shown(&t);
}

// ---- password --copy with xclip on a real X server ------------------------

/// Xvfb on a display it picks itself (`-displayfd`); killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut fds = [0; 2];
        // SAFETY: a plain pipe(2); the write end is meant to be inherited.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let child = Command::new("Xvfb")
            .args(["-displayfd", &fds[1].to_string(), "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (scripts/test installs xvfb)");
        // SAFETY: our copy of the write end; read end owned by the File.
        unsafe { libc::close(fds[1]) };
        let mut read_end = unsafe {
            use std::os::fd::FromRawFd;
            std::fs::File::from_raw_fd(fds[0])
        };
        let mut number = Vec::new();
        let mut byte = [0u8; 1];
        while read_end.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            number.push(byte[0]);
        }
        let number = text(&number);
        assert!(!number.is_empty(), "Xvfb did not start");
        Xvfb {
            child,
            display: format!(":{}", number.trim()),
        }
    }

    fn xclip(&self, args: &[&str], input: Option<&str>) -> String {
        let mut c = Command::new("xclip");
        c.args(["-selection", "clipboard"])
            .args(args)
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(if input.is_some() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(Stdio::null());
        let mut child = c
            .spawn()
            .expect("xclip is installed (scripts/test installs it)");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
        drop(stdin);
        text(&child.wait_with_output().unwrap().stdout)
    }

    fn clipboard(&self) -> String {
        self.xclip(&["-out"], None)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `password --copy` without a terminal, on `x`; its stderr line by line.
struct Copying {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Copying {
    fn start(config: &Path, email: &str, x: &Xvfb) -> Copying {
        let mut c = detached(config, &["password", "--copy", email]);
        c.env("DISPLAY", &x.display);
        let mut child = c.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Copying {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    fn wait_line(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; stderr so far: {:?}", self.seen),
            }
        }
    }

    /// Ctrl-C's signal; the exit status.
    fn interrupt(&mut self) -> Option<i32> {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        self.child.wait().unwrap().code()
    }
}

/// Processes whose command line or environment holds `needle` (root can
/// read them all).
fn processes_exposing(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        for what in ["cmdline", "environ"] {
            let bytes = std::fs::read(e.path().join(what)).unwrap_or_default();
            if text(&bytes).contains(needle) {
                found.push(format!("{name} {what}"));
            }
        }
    }
    found
}

#[test]
fn copy_with_xclip_on_a_real_x_server_and_clear_only_what_is_ours() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-x11");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    let x = Xvfb::start();

    let mut run = Copying::start(&config, &email, &x);
    let line = run.wait_line("Ctrl-C clears it now");
    assert!(line.contains("via xclip"), "{line}");
    assert!(!line.contains("OSC 52"), "no terminal, no OSC 52: {line}");
    assert_eq!(x.clipboard(), PW);
    // The password reached xclip on its stdin: no process (xclip serving
    // the selection included) has it in its argv or environment.
    assert_eq!(processes_exposing(PW), Vec::<String>::new());
    assert_eq!(run.interrupt(), Some(0));
    run.wait_line("xclip emptied");
    assert_eq!(x.clipboard(), "");

    // Copied over by the person meanwhile: left alone.
    let mut run = Copying::start(&config, &email, &x);
    run.wait_line("Ctrl-C clears it now");
    assert_eq!(x.clipboard(), PW);
    x.xclip(&["-in"], Some("something the person copied"));
    assert_eq!(run.interrupt(), Some(0));
    run.wait_line("left alone");
    assert_eq!(x.clipboard(), "something the person copied");
    assert!(!run.seen.iter().any(|l| l.contains(PW)), "{:?}", run.seen);
}

#[test]
fn copy_with_no_clipboard_at_all_fails_and_says_why() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-none");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    let out = detached(&config, &["password", "--copy", &email])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no clipboard to copy to"), "{err}");
    assert!(err.contains("no controlling terminal"), "{err}");
    assert!(!err.contains(PW) && out.stdout.is_empty());
    // The hidden test option is bounded and needs --copy.
    for bad in [
        vec!["password", &email, "--copy", "--clear-after", "46"],
        vec!["password", &email, "--clear-after", "5"],
    ] {
        let out = detached(&config, &bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn ctrl_z_during_copy_clears_the_clipboard_before_the_process_stops() {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let email = unique_email("copy-tstp");
    let config = one_account(dir.path(), &email);
    keyring_put(&email, PW);
    let x = Xvfb::start();

    let mut run = Copying::start(&config, &email, &x);
    run.wait_line("Ctrl-C clears it now");
    assert_eq!(x.clipboard(), PW);
    let pid = run.child.id() as i32;
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(pid, libc::SIGTSTP) };
    run.wait_line("xclip emptied");
    run.wait_line("Cleared before stopping (Ctrl-Z)");
    // It really stops (as the shell's job control expects)...
    let mut status = 0;
    // SAFETY: waiting for our own child; WUNTRACED reports a stop.
    let got = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
    assert_eq!(got, pid);
    assert!(libc::WIFSTOPPED(status), "status {status:#x}");
    // ...with the clipboard already empty while it is stopped.
    assert_eq!(x.clipboard(), "");
    // Continued, it ends without copying again.
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert_eq!(run.child.wait().unwrap().code(), Some(0));
    assert_eq!(x.clipboard(), "");
    assert!(!run.seen.iter().any(|l| l.contains(PW)), "{:?}", run.seen);
}
