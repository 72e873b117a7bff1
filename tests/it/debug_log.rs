//! `--log FILE` / `ICLOUD_MAIL_SETUP_LOG`: the real binary, a real Dovecot
//! (IMAP LOGIN, SMTP AUTH PLAIN), a scripted server that runs AUTH LOGIN
//! to the end, and the real Secret Service. The log must show the steps
//! and hold no form of any password that was sent.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};

use common::Bin;
use common::dovecot::Dovecot;
use common::fault::{Fault, FaultServer};
use common::keyring::{require_bus, unique_email};
use icloud_mail_setup::domain::mail::wire::base64_into;
use zeroize::Zeroizing;

const GOOD: &str = "wqxz-kjhd-pmnt-rvbc";
const WRONG: &str = "zzyx-wvut-srqp-onml";

/// The binary: its exit code and its stdout then stderr.
fn run(args: &[&str], env: &[(&str, &Path)], stdin: &str) -> (i32, String) {
    let o = Bin::new()
        .args(args)
        .envs(env.iter().copied())
        .stdin(stdin)
        .run();
    (o.code, o.text())
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn b64(raw: &[u8]) -> String {
    let mut out = Zeroizing::new(Vec::with_capacity(raw.len() * 2 + 4));
    base64_into(raw, &mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

/// Every form `password` can take in a protocol line or a paste.
fn forms(password: &str, usernames: &[&str]) -> Vec<String> {
    let bare = password.replace('-', "");
    let mut out = vec![
        password.to_string(),
        bare.clone(),
        password.to_uppercase(),
        bare.to_uppercase(),
        b64(password.as_bytes()),
        b64(bare.as_bytes()),
    ];
    for user in usernames {
        out.push(b64(format!("\0{user}\0{password}").as_bytes()));
        out.push(b64(format!("{user}\0{user}\0{password}").as_bytes()));
    }
    out
}

#[test]
fn the_debug_log_shows_every_step_and_no_secret_in_any_form() {
    require_bus();
    let email = unique_email("dlog");
    let local = email.split('@').next().unwrap().to_string();
    let dovecot = Dovecot::start();
    dovecot.set_users(&[&local, &email], GOOD);
    let login_only = FaultServer::start(Fault::SmtpLoginOnly);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let log = dir.path().join("debug.log");
    // One anchor file trusting both Dovecot's CA and the scripted server's.
    let dovecot_ca = dovecot.settings().ca_file.unwrap();
    let cas = dir.path().join("cas.pem");
    std::fs::write(
        &cas,
        [
            std::fs::read(&dovecot_ca).unwrap(),
            std::fs::read(&login_only.ca_file).unwrap(),
        ]
        .concat(),
    )
    .unwrap();
    let imap = dovecot.settings().imap.to_string();
    let smtp = dovecot.settings().smtp.to_string();
    let base = ["--config", config.to_str().unwrap()];
    let servers = [
        "--imap",
        imap.as_str(),
        "--smtp",
        smtp.as_str(),
        "--ca-file",
        cas.to_str().unwrap(),
    ];
    let args = |rest: &[&str]| -> Vec<String> {
        base.iter()
            .chain(servers.iter())
            .chain(rest.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let log_arg = log.to_str().unwrap();

    // A rejected password (both IMAP username forms tried), then the good
    // one pasted without hyphens in capitals, given by the variable.
    let a = args(&["--log", log_arg, "store", &email, "--password-stdin"]);
    let (code, out) = run(&strs(&a), &[], &format!("{WRONG}\n"));
    assert_eq!(code, 3, "{out}");
    let a = args(&["store", &email, "--password-stdin"]);
    let sloppy = format!("{}\n", GOOD.replace('-', "").to_uppercase());
    let (code, out) = run(&strs(&a), &[("ICLOUD_MAIL_SETUP_LOG", &log)], &sloppy);
    assert_eq!(code, 0, "{out}");
    // Read back from the keyring and checked again.
    let a = args(&["--log", log_arg, "verify", &email]);
    let (code, out) = run(&strs(&a), &[], "");
    assert_eq!(code, 0, "{out}");
    // SMTP through AUTH LOGIN, to its end.
    let fault_smtp = login_only.endpoint.to_string();
    let a = args(&[
        "--log",
        log_arg,
        "verify",
        &email,
        "--smtp",
        fault_smtp.as_str(),
    ]);
    let (code, out) = run(&strs(&a), &[], "");
    assert_eq!(code, 0, "{out}");
    assert!(login_only.saw_auth());

    let text = std::fs::read_to_string(&log).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // No secret in any form; and the placeholders alone kept it out: the
    // last-line filter never had to act.
    let users = [local.as_str(), email.as_str()];
    for secret in forms(GOOD, &users).iter().chain(&forms(WRONG, &users)) {
        assert!(
            !text.contains(secret.as_str()),
            "{secret} is in the log:\n{text}"
        );
        assert!(!text.to_lowercase().contains(&secret.to_lowercase()));
    }
    assert!(!text.contains("line redacted"), "{text}");
    // The steps are there, each line timestamped.
    for line in text.lines() {
        let time = line.split(' ').next().unwrap();
        assert!(
            time.len() == 24 && time.ends_with('Z') && time.as_bytes()[19] == b'.',
            "{line}"
        );
    }
    for step in [
        " cli icloud-mail-setup ",
        " net connecting to ",
        " tls localhost: TLSv1_3, TLS13_",
        " imap S: * OK ",
        &format!(" imap C: a1 LOGIN \"{local}\" <password redacted>"),
        &format!(" imap C: a1 LOGIN \"{email}\" <password redacted>"),
        " imap S: a1 NO [AUTHENTICATIONFAILED]",
        " imap S: a1 OK ",
        " smtp S: 220 ",
        " smtp C: EHLO localhost",
        " smtp C: STARTTLS",
        " smtp C: AUTH PLAIN <redacted>",
        " smtp S: 535 ",
        " smtp S: 235 ",
        " smtp C: AUTH LOGIN",
        " smtp S: 334 VXNlcm5hbWU6",
        " smtp C: <redacted>",
        // The challenge after the username: credentials were sent, so
        // only its code is shown.
        " smtp S: 334 <text omitted>",
        &format!(" keyring storing a password [{email}]"),
        &format!(" keyring reading a password [{email}]"),
        " config wrote ",
        " cli exit status ",
    ] {
        assert!(text.contains(step), "the log lacks {step:?}:\n{text}");
    }
}

#[test]
fn a_log_that_cannot_be_written_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("debug.log");
    let (code, out) = run(&["--log", bad.to_str().unwrap(), "list"], &[], "");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--log: cannot write the log to") && out.contains("No such file"),
        "{out}"
    );
    assert!(!out.contains("panicked"), "{out}");
    // A symlink is not followed.
    let target = dir.path().join("target");
    std::fs::write(&target, "").unwrap();
    let link = dir.path().join("link.log");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (code, out) = run(&["--log", link.to_str().unwrap(), "list"], &[], "");
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("symbolic link"), "{out}");
        // Named by the variable only: a warning, and the command runs.
        let (code, out) = run(&["list"], &[("ICLOUD_MAIL_SETUP_LOG", &link)], "");
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("ICLOUD_MAIL_SETUP_LOG: not logging to") && out.contains("symbolic link"),
            "{out}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
        // An empty variable is no log, silently.
        let (code, out) = run(&["list"], &[("ICLOUD_MAIL_SETUP_LOG", Path::new(""))], "");
        assert_eq!(code, 0, "{out}");
        assert!(!out.contains("log"), "{out}");
        // A relative path in the variable: a warning, no file where the
        // command ran (git and mail clients run it from anywhere).
        let cwd = tempfile::tempdir().unwrap();
        let o = Bin::new()
            .arg("list")
            .current_dir(cwd.path())
            .env("ICLOUD_MAIL_SETUP_LOG", "debug.log")
            .run();
        let err = &o.stderr;
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(err.contains("give an absolute path"), "{err}");
        assert!(!cwd.path().join("debug.log").exists());
    }
}

/// A FIFO as the log would block the open until a reader came: refused at
/// once instead, by the flag (usage error) and by the variable (warning).
#[cfg(unix)]
#[test]
fn a_fifo_as_the_log_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let (code, out) = run(&["--log", fifo.to_str().unwrap(), "list"], &[], "");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a regular file"), "{out}");
    let (code, out) = run(&["list"], &[("ICLOUD_MAIL_SETUP_LOG", &fifo)], "");
    assert_eq!(code, 0, "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// The log cannot be pointed at the config file (it would break it) nor at
/// any file that is not already a log of ours; a log others could read is
/// made 0600 and the user is told.
#[cfg(unix)]
#[test]
fn the_log_is_never_a_user_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let text = "# my config\n";
    std::fs::write(&config, text).unwrap();
    let c = config.to_str().unwrap();
    for target in [config.clone(), dir.path().join("notes.txt")] {
        std::fs::write(&target, text).unwrap();
        let (code, out) = run(
            &["--config", c, "--log", target.to_str().unwrap(), "list"],
            &[],
            "",
        );
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("--log: cannot write the log to"), "{out}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), text);
    }
    // The config by its own name, empty: still refused (same file).
    std::fs::write(&config, "").unwrap();
    let (code, out) = run(&["--config", c, "--log", c, "list"], &[], "");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("it is the config file"), "{out}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "");
    // A log of ours that others can read: appended to, made 0600.
    let log = dir.path().join("old.log");
    std::fs::write(&log, "2026-01-01T00:00:00.000Z cli old line\n").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out) = run(
        &["--config", c, "--log", log.to_str().unwrap(), "list"],
        &[],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("made it 0600"), "{out}");
    let mode = std::fs::metadata(&log).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.starts_with("2026-01-01T00:00:00.000Z cli old line\n"),
        "{logged}"
    );
    assert!(logged.contains(" cli exit status "), "{logged}");
}

/// The command line is logged by its shape: a password typed where a value
/// goes (the address, --label) never reaches the log; an argument that is
/// not UTF-8 is no panic.
#[test]
fn the_command_line_is_logged_without_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    let config = dir.path().join("config.toml");
    let (l, c) = (log.to_str().unwrap(), config.to_str().unwrap());
    let (code, out) = run(
        &["--config", c, "--log", l, "verify", "qpwo-eiru-tyal-skdj"],
        &[],
        "",
    );
    assert_ne!(code, 0, "{out}");
    let (_, out) = run(
        &[
            "--config",
            c,
            "store",
            "me@icloud.com",
            "--password-stdin",
            "--label",
            "zmxn-cbva-lskd-jfhg",
            "--log",
            l,
        ],
        &[],
        "",
    );
    let text = std::fs::read_to_string(&log).unwrap();
    for secret in ["qpwo", "zmxn", "me@icloud.com"] {
        assert!(
            !text.contains(secret),
            "{secret} in the log:\n{text}\n{out}"
        );
    }
    assert!(
        text.contains("arguments: --config <value> --log <value> verify <value>"),
        "{text}"
    );
    assert!(
        text.contains(" store <value> --password-stdin --label <value>"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"--ca-file=/tmp/\xff\xfe");
        let o = Bin::new()
            .args(["--config", c, "--log", l, "list"])
            .arg(odd)
            .run();
        let err = &o.stderr;
        assert!(!err.contains("panicked"), "{err}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("--config <value> --ca-file <value> --log <value> list"),
            "{text}"
        );
    }
}

#[test]
fn the_wizard_logs_its_effects() {
    let dir = tempfile::tempdir().unwrap();
    let log: PathBuf = dir.path().join("w.log");
    let config = dir.path().join("config.toml");
    let (code, out) = run(
        &[
            "--plain",
            "--config",
            config.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(code, 1, "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(" wizard starting (line by line)"), "{text}");
    assert!(text.contains(" wizard effect "), "{text}");
}

/// Servers that echo the credentials they were sent (the LOGIN line, the
/// AUTH PLAIN base64 whole, without padding and cut short, after filler
/// that a cut at 1 KiB would split them at): no piece of the password
/// reaches the log. The replies that answer the credentials show only
/// their tag, status and code (by construction); a later greeting that
/// repeats the password is caught by the last-line filter.
#[test]
fn servers_echoing_the_credentials_put_no_piece_of_them_in_the_log() {
    require_bus();
    let email = unique_email("echo");
    let local = email.split('@').next().unwrap().to_string();
    let dovecot = Dovecot::start();
    dovecot.set_users(&[&local, &email], GOOD);
    let imap_echo = FaultServer::start(Fault::ImapEchoLogin);
    let smtp_echo = FaultServer::start(Fault::SmtpEchoAuth);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let log = dir.path().join("echo.log");
    let cas = dir.path().join("cas.pem");
    let mut pem = std::fs::read(dovecot.settings().ca_file.unwrap()).unwrap();
    pem.extend(std::fs::read(&imap_echo.ca_file).unwrap());
    pem.extend(std::fs::read(&smtp_echo.ca_file).unwrap());
    std::fs::write(&cas, pem).unwrap();
    let (c, l, ca) = (
        config.to_str().unwrap(),
        log.to_str().unwrap(),
        cas.to_str().unwrap(),
    );
    let good_imap = dovecot.settings().imap.to_string();
    let good_smtp = dovecot.settings().smtp.to_string();
    let (echo_imap, echo_smtp) = (
        imap_echo.endpoint.to_string(),
        smtp_echo.endpoint.to_string(),
    );
    let stdin = format!("{GOOD}\n");
    let store_with = |imap: &str, smtp: &str| {
        let args = ["--config", c, "--ca-file", ca, "--log", l, "--imap", imap];
        let rest = ["--smtp", smtp, "store", &email, "--password-stdin"];
        run(&[&args[..], &rest].concat(), &[], &stdin)
    };
    // IMAP echoes (both username forms: two connections, the second
    // greeting repeating the first password).
    let (code, out) = store_with(&echo_imap, &good_smtp);
    assert_ne!(code, 0, "{out}");
    assert_eq!(imap_echo.logins(), 2, "{out}");
    // SMTP echoes.
    let (code, out) = store_with(&good_imap, &echo_smtp);
    assert_ne!(code, 0, "{out}");
    assert!(smtp_echo.saw_auth(), "{out}");
    assert!(!config.exists() || !std::fs::read_to_string(&config).unwrap().contains(&email));

    let text = std::fs::read_to_string(&log).unwrap();
    let lower = text.to_lowercase();
    // Any 8 characters of the password in a row, either spelling.
    let bare = GOOD.replace('-', "");
    for pw in [GOOD, bare.as_str()] {
        let chars: Vec<char> = pw.chars().collect();
        for w in chars.windows(8) {
            let w: String = w.iter().collect();
            assert!(!lower.contains(&w), "{w} is in the log:\n{text}");
        }
    }
    // Any 12 characters in a row of what the servers quoted back.
    let echoed = smtp_echo.echoed();
    assert_eq!(echoed.len(), 1, "{echoed:?}");
    assert_eq!(imap_echo.echoed(), vec![GOOD.to_string()]);
    for sent in &echoed {
        let chars: Vec<char> = sent.chars().collect();
        for w in chars.windows(12) {
            let w: String = w.iter().collect();
            assert!(!text.contains(&w), "{w} is in the log:\n{text}");
        }
    }
    // By construction: the answers show no free text.
    for step in [
        " imap S: * BAD <text omitted>",
        " imap S: a1 NO [AUTHENTICATIONFAILED] <text omitted>",
        " smtp S: 535-5.7.8 <text omitted>",
        " smtp S: 535 5.7.8 <text omitted>",
    ] {
        assert!(text.contains(step), "the log lacks {step:?}:\n{text}");
    }
    // The filter: the second greeting, which repeats the password, went
    // whole.
    assert_eq!(
        text.matches(" imap <line redacted: it held a secret>")
            .count(),
        1,
        "{text}"
    );
}

/// The session bus behind a door: a proxy socket that takes no connection
/// until [`HeldBus::open`], so no keyring answer can come before then.
#[cfg(target_os = "linux")]
struct HeldBus {
    address: String,
    open: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

#[cfg(target_os = "linux")]
impl HeldBus {
    fn start(dir: &Path) -> HeldBus {
        use std::os::unix::net::{UnixListener, UnixStream};
        let real = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap();
        let unix = real
            .split(';')
            .find_map(|a| a.strip_prefix("unix:"))
            .unwrap_or_else(|| panic!("no unix: address in {real}"))
            .to_string();
        let connect = move || -> UnixStream {
            for kv in unix.split(',') {
                if let Some(p) = kv.strip_prefix("path=") {
                    return UnixStream::connect(p).unwrap();
                }
                if let Some(name) = kv.strip_prefix("abstract=") {
                    use std::os::linux::net::SocketAddrExt;
                    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
                    return UnixStream::connect_addr(&addr).unwrap();
                }
            }
            panic!("cannot connect to {unix}");
        };
        let path = dir.join("held-bus");
        let listener = UnixListener::bind(&path).unwrap();
        let open = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let gate = open.clone();
        std::thread::spawn(move || {
            let (lock, cv) = &*gate;
            let _open = cv.wait_while(lock.lock().unwrap(), |o| !*o).unwrap();
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let bus = connect();
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), bus.try_clone().unwrap()),
                    (bus, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        HeldBus {
            address: format!("unix:path={}", path.display()),
            open,
        }
    }

    fn open(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }
}

/// A greeting that repeats the stored password, read before the keyring
/// has answered (the bus is held shut until the client has answered the
/// greeting): the log holds that line until the password is known, then
/// filters it out.
#[cfg(target_os = "linux")]
#[test]
fn a_greeting_repeating_the_password_before_the_keyring_answered_is_not_in_the_log() {
    use std::io::{BufRead, BufReader, Write};
    require_bus();
    let email = unique_email("early");
    common::keyring::secret_tool_store(&email, GOOD);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"),
    )
    .unwrap();
    let log = dir.path().join("early.log");
    let bus = std::sync::Arc::new(HeldBus::start(dir.path()));

    // SMTP: a greeting with the password (as typed, and as base64 of a
    // SASL string); once the client has answered it (EHLO: the greeting
    // was read, and logged), the bus opens; then a refusal.
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_at = format!("127.0.0.1:{}", smtp.local_addr().unwrap().port());
    let ehlo_seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (bus, ehlo_seen) = (bus.clone(), ehlo_seen.clone());
        let sasl = b64(format!("\0{email}\0{GOOD}").as_bytes());
        std::thread::spawn(move || {
            let Ok((mut s, _)) = smtp.accept() else {
                return;
            };
            let _ = write!(s, "220 fault ready; you will send {GOOD} or {sasl}\r\n");
            let mut line = String::new();
            let _ = BufReader::new(s.try_clone().unwrap()).read_line(&mut line);
            if line.to_ascii_uppercase().starts_with("EHLO") {
                ehlo_seen.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            bus.open();
            let _ = s.write_all(b"554 5.3.2 not today\r\n");
        });
    }
    // Whatever happens, the bus opens in the end (a failure, not a hang).
    {
        let bus = bus.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(30));
            bus.open();
        });
    }
    // Held (bound, never listening) until the test ends.
    let closed = common::closed_port();
    let imap = format!("127.0.0.1:{}", closed.port);
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--imap",
        &imap,
        "--smtp",
        &smtp_at,
        "verify",
        &email,
    ];
    let o = Bin::new()
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .run();
    let out = o.text();
    assert!(
        ehlo_seen.load(std::sync::atomic::Ordering::SeqCst),
        "the greeting was answered before the keyring: {out}"
    );
    // The keyring was read (the checks ran with the password).
    assert_eq!(o.status.code(), Some(4), "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    for secret in forms(GOOD, &[email.as_str()]) {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} is in the log:\n{text}"
        );
    }
    assert_eq!(
        text.matches(" smtp <line redacted: it held a secret>")
            .count(),
        1,
        "{text}"
    );
    for step in [
        " smtp C: EHLO",
        &format!(" keyring reading a password [{email}]"),
        " cli exit status ",
    ] {
        assert!(text.contains(step), "the log lacks {step:?}:\n{text}");
    }
}
