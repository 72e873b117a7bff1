//! The git credential helper with real git (`git credential
//! fill|approve|reject`, which drive helpers exactly as `git send-email`
//! does), the real Secret Service (gnome-keyring on the test's private
//! bus, `secret-tool` as a second witness) and, for an account whose
//! servers were recorded by a real `store`, real Dovecot.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use common::keyring::{secret_tool_lookup as lookup, secret_tool_store as keyring_put};

use std::path::PathBuf;

use common::dovecot::Dovecot;
use common::keyring::{require_bus, unique_email};
use common::{Bin, Out};

const PW: &str = "gitc-abcd-efgh-ijkl";
const PW_OTHER: &str = "qrst-uvwx-yzab-cdef";

fn bin() -> &'static str {
    common::bin::bin_path()
}

/// A private git and icloud-mail-setup configuration.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        require_bus();
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("cfg/config.toml")
    }

    fn write_config(&self, toml: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(self.config().parent().unwrap()).unwrap();
        std::fs::write(self.config(), toml).unwrap();
        std::fs::set_permissions(self.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// `[credential "URL"] helper = "!BIN git-credential"`, one per URL;
    /// `None` for an unscoped helper (git then asks it about everything).
    fn git_config(&self, urls: &[Option<&str>]) {
        let mut text = String::new();
        for url in urls {
            match url {
                Some(u) => text.push_str(&format!("[credential \"{u}\"]\n")),
                None => text.push_str("[credential]\n"),
            }
            text.push_str(&format!("\thelper = \"!'{}' git-credential\"\n", bin()));
        }
        std::fs::write(self.dir.path().join("gitconfig"), text).unwrap();
    }

    /// A command with this home's configuration and nothing of the
    /// caller's git or mail setup.
    fn command(&self, program: &str) -> Bin {
        Bin::program(program)
            .home(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", self.dir.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("ICLOUD_MAIL_SETUP_CONFIG", self.config())
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
    }

    /// `git credential ACTION` with `request` on stdin.
    fn git(&self, action: &str, request: &str) -> Out {
        self.command("git")
            .args(["credential", action])
            .stdin(request)
            .run()
    }

    /// Our helper alone: `icloud-mail-setup git-credential ACTION`.
    fn helper(&self, action: &str, request: impl Into<Vec<u8>>) -> Out {
        self.command(bin())
            .args(["git-credential", action])
            .stdin(request)
            .run()
    }

    /// A Dovecot with one user named after `tag`, whose password `PW` is
    /// stored by a real `store` (which records the servers): the Dovecot
    /// and the address.
    fn stored_account(&self, tag: &str) -> (Dovecot, String) {
        let local = format!("{tag}{}", std::process::id());
        let email = format!("{local}@icloud.com");
        let dovecot = Dovecot::start();
        dovecot.set_users(&[&local, &email], PW);
        let out = self
            .command(bin())
            .args(["store", &email, "--password-stdin"])
            .envs(dovecot.env())
            .stdin(format!("{PW}\n"))
            .run();
        assert!(out.success(), "{}", out.stderr);
        (dovecot, email)
    }
}

fn text(b: impl AsRef<[u8]>) -> String {
    String::from_utf8_lossy(b.as_ref()).into_owned()
}

/// The URL git matches `credential.<url>.*` against: the username with
/// its `@` percent-encoded.
fn smtp_url(user: &str, host_port: &str) -> String {
    format!("smtp://{}@{host_port}", user.replace('@', "%40"))
}

fn request(host: &str, username: Option<&str>) -> String {
    let mut r = format!("protocol=smtp\nhost={host}\n");
    if let Some(u) = username {
        r.push_str(&format!("username={u}\n"));
    }
    r.push('\n');
    r
}

#[test]
fn git_credential_fill_answers_from_the_keyring_for_the_recorded_smtp_server() {
    let home = Home::new();
    // A real store against Dovecot records its servers with the account.
    let (dovecot, email) = home.stored_account("gitc");
    let local = email.strip_suffix("@icloud.com").unwrap();
    let smtp = dovecot.smtp.to_string();
    let cfg = std::fs::read_to_string(home.config()).unwrap();
    assert!(cfg.contains(&format!("smtp_server = \"{smtp}\"")), "{cfg}");

    // Configured as the git export does: scoped to the SMTP URL.
    home.git_config(&[Some(&smtp_url(&email, &smtp))]);
    let out = home.git("fill", &request(&smtp, Some(&email)));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer = text(&out.stdout);
    assert!(answer.contains(&format!("password={PW}\n")), "{answer}");
    assert!(answer.contains(&format!("username={email}\n")), "{answer}");
    assert!(!text(&out.stderr).contains(PW));

    // The same account's settings for a GUI app show those servers.
    let out = home.command(bin()).args(["settings", &email]).run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let row = |label: &str| {
        shown
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {label} row:\n{shown}"))
    };
    assert_eq!(row("Incoming server (IMAP)"), dovecot.imap.host);
    assert_eq!(row("Incoming port"), dovecot.imap.port.to_string());
    assert_eq!(row("Incoming username"), local);
    assert_eq!(row("Outgoing server (SMTP)"), dovecot.smtp.host);
    assert_eq!(row("Outgoing port"), dovecot.smtp.port.to_string());
    assert_eq!(row("Outgoing security"), "STARTTLS");
    assert_eq!(row("Outgoing username"), email);
    assert!(!shown.contains(PW));
}

/// The whole path git send-email takes: git send-email → git credential
/// fill → our helper → the keyring, then AUTH on Dovecot's submission
/// (STARTTLS, test CA) and the message relayed to the sink.
#[test]
fn git_send_email_logs_in_with_the_password_from_the_helper() {
    let home = Home::new();
    let (dovecot, email) = home.stored_account("gitse");
    let logins_before = dovecot.successful_logins("submission", &email);

    let smtp = &dovecot.smtp;
    home.git_config(&[Some(&smtp_url(&email, &smtp.to_string()))]);
    let mut gitconfig = std::fs::read_to_string(home.dir.path().join("gitconfig")).unwrap();
    gitconfig.push_str(&format!(
        "[user]\n\tname = Test\n\temail = {email}\n[sendemail]\n\tsmtpServer = {}\n\tsmtpServerPort = {}\n\tsmtpEncryption = tls\n\
         \tsmtpUser = {email}\n\tsmtpSSLCertPath = {}\n\tfrom = {email}\n\tconfirm = never\n\
         \tsuppresscc = all\n",
        smtp.host,
        smtp.port,
        dovecot.ca_file.display()
    ));
    std::fs::write(home.dir.path().join("gitconfig"), gitconfig).unwrap();
    let patch = home.dir.path().join("0001-test.patch");
    std::fs::write(
        &patch,
        format!(
            "From: {email}\nSubject: [PATCH] a test through the credential helper\n\n\
             body\n---\n a | 1 +\n"
        ),
    )
    .unwrap();
    let out = home
        .command("git")
        .current_dir(home.dir.path())
        .args(["send-email", "--to=maintainer@example.org"])
        .arg(&patch)
        .run();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Result: 250"), "{stdout}");
    assert!(!stdout.contains(PW) && !stderr.contains(PW));
    assert_eq!(
        dovecot.successful_logins("submission", &email),
        logins_before + 1,
        "git send-email logged in once, as {email}"
    );
}

#[test]
fn other_hosts_ports_and_protocols_get_no_answer_from_us() {
    let home = Home::new();
    let email = unique_email("gitc-other");
    home.write_config(&format!(
        "[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"
    ));
    keyring_put(&email, PW);
    // Unscoped: git asks our helper about every credential.
    home.git_config(&[None]);
    for req in [
        request("smtp.gmail.com:587", Some(&email)),
        request("smtp.mail.me.com:465", Some(&email)),
        "protocol=https\nhost=smtp.mail.me.com\n\n".to_string(),
        "protocol=imap\nhost=smtp.mail.me.com:587\n\n".to_string(),
    ] {
        let out = home.helper("get", req.clone());
        assert_eq!(out.status.code(), Some(0), "{req}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{req}: {}", text(&out.stdout));
        assert!(out.stderr.is_empty(), "{req}: {}", text(&out.stderr));
        // git finds nothing, and cannot prompt: it fails without a password.
        let out = home.git("fill", &req);
        assert!(!out.status.success(), "{req}");
        assert!(!text(&out.stdout).contains(PW), "{req}");
        assert!(!text(&out.stderr).contains(PW), "{req}");
    }
    // Apple's server, no port given: 587, answered.
    let out = home.helper("get", request("smtp.mail.me.com", Some(&email)));
    assert_eq!(
        text(&out.stdout),
        format!("username={email}\npassword={PW}\n")
    );
}

#[test]
fn the_username_picks_among_accounts_on_the_same_server() {
    let home = Home::new();
    let a = unique_email("gitc-a");
    let b = unique_email("gitc-b");
    home.write_config(&format!(
        "[[account]]\nemail = \"{a}\"\nlogin = \"{a}\"\n\n\
         [[account]]\nemail = \"{b}\"\nlogin = \"{b}\"\nsmtp_username = \"{b}\"\n"
    ));
    keyring_put(&a, PW);
    keyring_put(&b, PW_OTHER);
    let host = "smtp.mail.me.com:587";
    home.git_config(&[Some(&smtp_url(&a, host)), Some(&smtp_url(&b, host))]);
    let out = home.git("fill", &request(host, Some(&b)));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("password={PW_OTHER}\n")),
        "{}",
        text(&out.stdout)
    );
    let out = home.git("fill", &request(host, Some(&a)));
    assert!(text(&out.stdout).contains(&format!("password={PW}\n")));
    // Addresses are matched without regard to case (git's own URL
    // matching is exact, so this is the helper alone).
    let out = home.helper("get", request(host, Some(&b.to_uppercase())));
    assert_eq!(
        text(&out.stdout),
        format!("username={b}\npassword={PW_OTHER}\n")
    );
    // No username and two accounts there: no guess, a hint instead.
    let out = home.helper("get", request(host, None));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("sendemail.smtpUser"),
        "{}",
        text(&out.stderr)
    );
    // A username no account has on this server.
    let out = home.helper("get", request(host, Some("stranger@icloud.com")));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("stranger@icloud.com"));
}

#[test]
fn reject_and_approve_never_change_the_keyring_entry() {
    let home = Home::new();
    let email = unique_email("gitc-reject");
    home.write_config(&format!(
        "[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"
    ));
    keyring_put(&email, PW);
    let host = "smtp.mail.me.com:587";
    home.git_config(&[Some(&smtp_url(&email, host))]);
    let with_password =
        |pw: &str| format!("protocol=smtp\nhost={host}\nusername={email}\npassword={pw}\n\n");

    // What git does after a failed login: reject (erase) the credential.
    let out = home.git("reject", &with_password(PW));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("icloud-mail-setup --config ") && err.contains(&format!(" --account {email}")),
        "{err}"
    );
    assert!(!err.contains(PW), "{err}");
    assert_eq!(lookup(&email).as_deref(), Some(PW));

    // After a login that worked with some other password: approve (store).
    let out = home.git("approve", &with_password(PW_OTHER));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lookup(&email).as_deref(), Some(PW));
    // And it still answers with the keyring's password.
    let out = home.git("fill", &request(host, Some(&email)));
    assert!(text(&out.stdout).contains(&format!("password={PW}\n")));
}

#[test]
fn a_huge_or_endless_request_is_refused_clearly() {
    let home = Home::new();
    home.write_config("");
    // One 1 MiB line.
    let mut big = b"protocol=smtp\nhost=".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1 << 20));
    big.extend(b"\n\n");
    let out = home.helper("get", big);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("longer than 8192 bytes"), "{err}");
    assert!(err.len() < 200, "the error is one short line: {err}");
    // Many short lines past 64 KiB.
    let many = "wwwauth[]=Basic realm=\"x\"\n".repeat(4000).into_bytes();
    let out = home.helper("get", many);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("longer than 65536 bytes"));
    // Not key=value.
    let out = home.helper("get", "protocol=smtp\nhello\n\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("line 2 is not key=value"));
    // An action git may add one day: ignored, stdin unread.
    let out = home.helper("frobnicate", "protocol=smtp\n\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn without_a_keyring_get_says_why_and_git_falls_back() {
    let home = Home::new();
    let email = unique_email("gitc-nokeyring");
    home.write_config(&format!(
        "[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"
    ));
    let host = "smtp.mail.me.com:587";
    home.git_config(&[Some(&smtp_url(&email, host))]);
    let no_bus = |program: &str, args: [&str; 2]| {
        home.command(program)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .args(args)
            .stdin(request(host, Some(&email)))
            .run()
    };
    let out = no_bus(bin(), ["git-credential", "get"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("no keyring is reachable"), "{err}");
    // git goes on to prompting (here: disabled), our message shown first.
    let out = no_bus("git", ["credential", "fill"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("no keyring is reachable"), "{err}");
    assert!(err.contains("terminal prompts disabled"), "{err}");
}

#[test]
fn a_configured_account_without_a_stored_password_says_how_to_store_one() {
    let home = Home::new();
    let email = unique_email("gitc-nopw");
    home.write_config(&format!(
        "[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"
    ));
    let out = home.helper("get", request("smtp.mail.me.com:587", Some(&email)));
    assert_eq!(out.status.code(), Some(6));
    assert!(out.stdout.is_empty());
    // The config git's helper line names is the one the fix names too.
    assert!(
        text(&out.stderr).contains("icloud-mail-setup --config ")
            && text(&out.stderr).contains(&format!(" --account {email}")),
        "{}",
        text(&out.stderr)
    );
}
