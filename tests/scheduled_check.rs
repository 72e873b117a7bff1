//! `verify --scheduled` (what the daily timer runs) with the real binary,
//! real Dovecot and the real Secret Service: exactly one IMAP login per
//! account and no SMTP, a desktop notice (a `notify-send` stub on PATH)
//! for the rejected account only, `rejected_since` recorded once and
//! cleared by a passing check. Run with /work/bin/with-keyring or
//! scripts/test.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::dovecot::Dovecot;
use common::keyring::require_bus;

const PW: &str = "wxyz-abcd-efgh-ijkl";
const GOOD: &str = "sched-good@icloud.com";
const BAD: &str = "sched-bad@icloud.com";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_icloud-mail-setup")
}

fn clear(email: &str) {
    for account in [email.to_string(), format!("staging:{email}")] {
        let _ = Command::new("secret-tool")
            .args([
                "clear",
                "service",
                "icloud-mail-setup",
                "username",
                &account,
            ])
            .status();
    }
}

struct World {
    dovecot: Dovecot,
    dir: tempfile::TempDir,
}

impl World {
    fn config(&self) -> PathBuf {
        self.dir.path().join("cfg/config.toml")
    }

    fn notices(&self) -> PathBuf {
        self.dir.path().join("notices.log")
    }

    /// The binary with `args`, `stdin` on its input. Only the config is
    /// given (as the timer does): servers and CA come from the config.
    fn run(&self, args: &[&str], stdin: &str, with_servers: bool) -> (i32, String, String) {
        let path = format!(
            "{}:{}",
            self.dir.path().join("stubs").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(bin());
        cmd.env_remove("ICLOUD_MAIL_SETUP_LOG");
        cmd.args(args)
            .arg("--config")
            .arg(self.config())
            .env("PATH", path)
            .env_remove("ICLOUD_MAIL_SETUP_IMAP")
            .env_remove("ICLOUD_MAIL_SETUP_SMTP")
            .env_remove("ICLOUD_MAIL_SETUP_CA_FILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if with_servers {
            cmd.envs(self.dovecot.env());
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    fn field(&self, email: &str, key: &str) -> Option<String> {
        let t: toml::Table = std::fs::read_to_string(self.config())
            .unwrap()
            .parse()
            .unwrap();
        t["account"]
            .as_array()?
            .iter()
            .find(|a| a["email"].as_str() == Some(email))?
            .get(key)?
            .as_str()
            .map(str::to_string)
    }

    /// (imap logins ok, failed logins, submission logins) per login name.
    fn logins(&self, user: &str) -> (usize, usize, usize) {
        (
            self.dovecot.successful_logins("imap", user),
            self.dovecot.failed_logins(user),
            self.dovecot.successful_logins("submission", user),
        )
    }
}

fn notify_stub(dir: &Path, log: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let stubs = dir.join("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let stub = stubs.join("notify-send");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\n{{ echo '--- call'; for a in \"$@\"; do printf 'arg: %s\\n' \"$a\"; done; env; }} >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn diff(a: (usize, usize, usize), b: (usize, usize, usize)) -> (usize, usize, usize) {
    (b.0 - a.0, b.1 - a.1, b.2 - a.2)
}

#[test]
fn the_scheduled_check_logs_in_once_per_account_and_tells_about_a_rejection() {
    require_bus();
    clear(GOOD);
    clear(BAD);
    let dovecot = Dovecot::start();
    let all = ["sched-good", GOOD, "sched-bad", BAD];
    dovecot.set_users(&all, PW);
    let w = World {
        dovecot,
        dir: tempfile::tempdir().unwrap(),
    };
    notify_stub(w.dir.path(), &w.notices());
    for email in [GOOD, BAD] {
        let (code, out, err) = w.run(
            &["store", email, "--password-stdin"],
            &format!("{PW}\n"),
            true,
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    // The form that worked is recorded: the full address would be a
    // second form to try.
    assert_eq!(w.field(BAD, "imap_username").as_deref(), Some("sched-bad"));

    // The bad account's password is revoked.
    w.dovecot.set_users(&["sched-good", GOOD], PW);
    let before = [
        w.logins("sched-good"),
        w.logins(GOOD),
        w.logins("sched-bad"),
        w.logins(BAD),
    ];
    let (code, out, err) = w.run(&["verify", "--scheduled"], "", false);
    assert_eq!(code, 3, "{out}{err}");
    let after = [
        w.logins("sched-good"),
        w.logins(GOOD),
        w.logins("sched-bad"),
        w.logins(BAD),
    ];
    // One IMAP login each; no second form, no SMTP.
    assert_eq!(diff(before[0], after[0]), (1, 0, 0), "good, local part");
    assert_eq!(diff(before[1], after[1]), (0, 0, 0), "good, full address");
    assert_eq!(diff(before[2], after[2]), (0, 1, 0), "bad, local part");
    assert_eq!(diff(before[3], after[3]), (0, 0, 0), "bad, full address");
    assert!(
        out.contains(&format!("{GOOD}: IMAP accepted as sched-good")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{BAD}: the password is REJECTED")),
        "{out}"
    );

    // One notice, about the bad account, with the command that fixes it.
    let notices = std::fs::read_to_string(w.notices()).unwrap();
    assert_eq!(notices.matches("--- call").count(), 1, "{notices}");
    // (The body has a line per account: the whole record is read.)
    let args = &notices;
    assert!(args.contains(BAD), "{args}");
    assert!(
        args.contains(&format!("icloud-mail-setup --account={BAD}")),
        "{args}"
    );
    assert!(!args.contains(GOOD), "{args}");
    // No password in its arguments or environment, nor in the config.
    assert!(!notices.contains(PW) && !notices.contains(&PW.replace('-', "")));
    assert!(!std::fs::read_to_string(w.config()).unwrap().contains(PW));

    let since = w.field(BAD, "rejected_since").expect("rejected_since");
    assert_eq!(w.field(GOOD, "rejected_since"), None);
    assert_eq!(w.field(GOOD, "check_result").as_deref(), Some("ok"));
    let (code, out, _) = w.run(&["list"], "", false);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("rejected since {since}")) && out.contains("--account"),
        "{out}"
    );
    let (_, out, _) = w.run(&["list", "--json"], "", false);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bad = j
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == BAD)
        .unwrap();
    assert_eq!(bad["rejected_since"], since.as_str());

    // A day later (a second or more here): still rejected, same date.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, out, err) = w.run(&["verify", "--scheduled"], "", false);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(
        w.field(BAD, "rejected_since").as_deref(),
        Some(since.as_str())
    );
    assert_ne!(w.field(BAD, "checked_at").as_deref(), Some(since.as_str()));

    // Accepted again: the next check clears it.
    w.dovecot.set_users(&all, PW);
    let (code, out, err) = w.run(&["verify", "--scheduled"], "", false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.field(BAD, "rejected_since"), None);
    let (_, out, _) = w.run(&["list"], "", false);
    assert!(!out.contains("rejected since"), "{out}");
    assert_eq!(
        std::fs::read_to_string(w.notices())
            .unwrap()
            .matches("--- call")
            .count(),
        2,
        "one notice per run that found a rejection"
    );

    // A manual verify with only the config (no --imap/--ca-file, as
    // typed by the fix command's user) uses the account's recorded
    // servers and the CA file it was verified with, as the timer does.
    let (code, out, err) = w.run(&["verify"], "", false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.field(BAD, "check_result").as_deref(), Some("ok"));

    // Only the full address is accepted now: a manual verify (it tries
    // both forms) records that form, so the daily check uses it and does
    // not flag the account again.
    w.dovecot.set_users(&["sched-good", GOOD, BAD], PW);
    let (code, out, err) = w.run(&["verify", BAD], "", true);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.field(BAD, "imap_username").as_deref(), Some(BAD));
    let (code, out, err) = w.run(&["verify", "--scheduled"], "", false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.field(BAD, "rejected_since"), None);
    clear(GOOD);
    clear(BAD);
}
