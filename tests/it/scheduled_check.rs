//! `verify --scheduled` (what the daily timer runs) with the real binary,
//! real Dovecot and the real Secret Service: exactly one IMAP login per
//! account and no SMTP, a desktop notice (a `notify-send` stub on PATH)
//! for the rejected account only, `rejected_since` recorded once and
//! cleared by a passing check. Run with /work/bin/with-keyring or
//! scripts/test.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Bin;
use common::dovecot::Dovecot;
use common::keyring::require_bus;

const PW: &str = "wxyz-abcd-efgh-ijkl";
const GOOD: &str = "sched-good@icloud.com";
const BAD: &str = "sched-bad@icloud.com";

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
        let servers = if with_servers {
            self.dovecot.env()
        } else {
            vec![]
        };
        Bin::new()
            .args(args)
            .arg("--config")
            .arg(self.config())
            .path_first(self.dir.path().join("stubs"))
            .envs(servers)
            .stdin(stdin)
            .run()
            .triple()
    }

    fn field(&self, email: &str, key: &str) -> Option<String> {
        let t: toml::Table = std::fs::read_to_string(self.config())
            .unwrap()
            .parse()
            .unwrap();
        common::account_field(&t, email, key)
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
        args.contains("icloud-mail-setup --config ") && args.contains(&format!(" --account={BAD}")),
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

    // Days later (the stored times put back to 2001, not waited for):
    // still rejected since the same date, checked again now.
    let since = "2001-01-01T00:00:00Z";
    common::set_account_fields(
        &w.config(),
        BAD,
        &[("rejected_since", since), ("checked_at", since)],
    );
    let (code, out, err) = w.run(&["verify", "--scheduled"], "", false);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(w.field(BAD, "rejected_since").as_deref(), Some(since));
    assert_ne!(w.field(BAD, "checked_at").as_deref(), Some(since));

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

/// A notification service on the test's session bus: a small
/// python3-dbus server owning org.freedesktop.Notifications that writes
/// each notice it is given to a file, as a desktop would show it.
struct NotificationService {
    child: std::process::Child,
    log: PathBuf,
}

const NOTIFICATION_SERVICE: &str = r#"
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
log, ready = sys.argv[1], sys.argv[2]
IFACE = "org.freedesktop.Notifications"
class Service(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        with open(log, "a") as f:
            f.write("--- notice\napp: %s\nurgency: %s\nsummary: %s\nbody: %s\n"
                    % (app, int(hints.get("urgency", -1)), summary, body))
        return 1
    @dbus.service.method(IFACE, out_signature="as")
    def GetCapabilities(self):
        return ["body"]
    @dbus.service.method(IFACE, out_signature="ssss")
    def GetServerInformation(self):
        return ("test", "icloud-mail-setup tests", "1", "1.2")
    @dbus.service.method(IFACE, in_signature="u")
    def CloseNotification(self, id):
        pass
bus = dbus.SessionBus()
name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
Service(bus, "/org/freedesktop/Notifications")
open(ready, "w").close()
GLib.MainLoop().run()
"#;

impl NotificationService {
    fn start(dir: &Path) -> NotificationService {
        let log = dir.join("desktop.log");
        let ready = dir.join("desktop.ready");
        let script = dir.join("notifications.py");
        std::fs::write(&script, NOTIFICATION_SERVICE).unwrap();
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&log)
            .arg(&ready)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 (python3-dbus, python3-gi; scripts/test installs them)");
        // Ready once it owns the name (it says so by creating the file);
        // an exit means it could not.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !ready.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("the notification service ended ({status}): {err}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no notification service"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        NotificationService { child, log }
    }

    fn notices(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for NotificationService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A world with one configured account whose password is not in the
/// keyring (the daily check's "no password" case), no Dovecot needed.
fn world_without_password(email: &str) -> (tempfile::TempDir, PathBuf) {
    clear(email);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("my cfg/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n"),
    )
    .unwrap();
    (dir, config)
}

/// `verify --scheduled --config CONFIG` with PATH set to `path`.
fn scheduled(config: &Path, path: &str) -> (i32, String, String) {
    Bin::new()
        .args(["verify", "--scheduled", "--config"])
        .arg(config)
        .env("PATH", path)
        .run()
        .triple()
}

/// No password stored: the real notify-send (libnotify-bin) tells a
/// notification service on the test's bus, with the fix command carrying
/// the check's --config (issue 17).
#[test]
fn no_stored_password_is_told_through_the_real_notify_send_with_the_config() {
    require_bus();
    assert!(
        Path::new("/usr/bin/notify-send").exists(),
        "notify-send is needed (libnotify-bin; scripts/test installs it)"
    );
    let email = "sched-nopw@icloud.com";
    let (dir, config) = world_without_password(email);
    let desktop = NotificationService::start(dir.path());
    let (code, out, err) = scheduled(&config, "/usr/bin:/bin");
    assert_eq!(code, 6, "{out}{err}");
    assert!(err.contains("no password is stored"), "{err}");
    assert!(!err.contains("no desktop notification"), "{err}");
    // notify-send returns once the service has the notice.
    let notices = desktop.notices();
    assert_eq!(notices.matches("--- notice").count(), 1, "{notices}");
    assert!(notices.contains("app: icloud-mail-setup"), "{notices}");
    assert!(notices.contains("urgency: 2"), "critical: {notices}");
    assert!(
        notices.contains("summary: iCloud Mail password missing"),
        "{notices}"
    );
    assert!(!notices.contains("refuses"), "{notices}");
    assert!(
        notices.contains(&format!("{email}: no password stored. Fix: ")),
        "{notices}"
    );
    let quoted = format!("'{}'", config.display());
    assert!(
        notices.contains(&format!(
            "icloud-mail-setup --config {quoted} --account={email}"
        )),
        "the fix command names the config: {notices}"
    );
    clear(email);
}

/// Without a notifier on PATH, or with one that fails, the check still
/// runs, records and exits as it should, and says why nobody was told.
#[test]
fn a_missing_or_failing_notifier_is_said_and_changes_nothing_else() {
    use std::os::unix::fs::PermissionsExt;
    require_bus();
    let email = "sched-nonotifier@icloud.com";
    let (dir, config) = world_without_password(email);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, out, err) = scheduled(&config, empty.to_str().unwrap());
    assert_eq!(code, 6, "{out}{err}");
    assert!(
        err.contains(
            "note: no desktop notification: no notifier (notify-send, osascript) was found on PATH"
        ),
        "{err}"
    );
    let failing = dir.path().join("failing");
    std::fs::create_dir_all(&failing).unwrap();
    let stub = failing.join("notify-send");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho 'cannot reach the notification daemon' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", failing.display());
    let (code, out, err) = scheduled(&config, &path);
    assert_eq!(code, 6, "{out}{err}");
    assert!(err.contains("note: no desktop notification: "), "{err}");
    assert!(
        err.contains("cannot reach the notification daemon"),
        "{err}"
    );
    let t: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
    assert_eq!(
        t["account"][0]["check_result"].as_str(),
        Some("no_password"),
        "{t}"
    );
    clear(email);
}

/// A locked keyring: nothing is checked and nobody is told (the password
/// may be fine; the person only has to unlock), exit 5 (issue 17).
#[test]
fn a_locked_keyring_gives_exit_5_and_no_notice() {
    use icloud_mail_setup::app::cli::{GlobalArgs, VerifyArgs};
    use icloud_mail_setup::app::commands::{Exit, scheduled};
    use icloud_mail_setup::app::context::Context;
    use icloud_mail_setup::domain::keyring::{SecretStore, StoreError};
    use icloud_mail_setup::domain::mail::Checker;
    use icloud_mail_setup::sys::secret::Secret;

    struct Locked;
    impl SecretStore for Locked {
        fn name(&self) -> String {
            "Secret Service".into()
        }
        fn preflight(&self) -> Result<(), StoreError> {
            Err(self.locked())
        }
        fn get(&self, _: &str) -> Result<Option<Secret>, StoreError> {
            Err(self.locked())
        }
        fn set(&self, _: &str, _: &Secret) -> Result<(), StoreError> {
            Err(self.locked())
        }
        fn delete(&self, _: &str) -> Result<(), StoreError> {
            Err(self.locked())
        }
    }
    impl Locked {
        fn locked(&self) -> StoreError {
            StoreError::Locked {
                hint: "Unlock your keyring".into(),
            }
        }
    }

    let email = "sched-locked@icloud.com";
    let (_dir, config) = world_without_password(email);
    let globals = GlobalArgs {
        config: Some(config.clone()),
        ..GlobalArgs::default()
    };
    let told = std::cell::RefCell::new(Vec::new());
    let notify = |n: &icloud_mail_setup::sys::notify::Notice| {
        told.borrow_mut().push(n.body.clone());
        Ok(())
    };
    let no_checker = |_| -> Box<dyn Checker> { panic!("nothing is checked without the password") };
    let args = VerifyArgs {
        email: None,
        json: false,
        scheduled: true,
    };
    let ctx = Context::new(&globals, &Locked).unwrap();
    let ctx = ctx.with_checker(&no_checker).with_notifier(&notify);
    let (code, _, err) = ctx.capture(|ctx| scheduled::run(ctx, args));
    assert_eq!(code, Exit::Keyring, "{err}");
    assert!(err.contains(&format!("{email}: not checked")), "{err}");
    assert!(err.contains("Unlock your keyring"), "{err}");
    assert!(told.borrow().is_empty(), "{:?}", told.borrow());
}

/// A check against servers other than the account's own (`--imap`,
/// `--smtp` or their variables) says nothing about its password: neither
/// `verify` nor the daily check records anything. The same run against
/// the recorded servers does record (the config changes), so the first
/// half could fail.
#[test]
fn a_check_against_other_servers_records_nothing_in_verify_or_the_daily_check() {
    require_bus();
    let email = "sched-other@icloud.com";
    clear(email);
    common::keyring::secret_tool_store(email, PW);
    let [own_imap, own_smtp, other_imap, other_smtp] = [(); 4].map(|_| common::closed_port());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let written = format!(
        "[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n\
         imap_server = \"127.0.0.1:{}\"\nsmtp_server = \"127.0.0.1:{}\"\n",
        own_imap.port, own_smtp.port
    );
    for args in [&["verify"][..], &["verify", "--scheduled"]] {
        std::fs::write(&config, &written).unwrap();
        let run = |other: bool| {
            let mut bin = Bin::new()
                .args(args)
                .env("ICLOUD_MAIL_SETUP_CONFIG", &config)
                .env("PATH", "/usr/bin:/bin");
            if other {
                bin = bin
                    .env(
                        "ICLOUD_MAIL_SETUP_IMAP",
                        format!("127.0.0.1:{}", other_imap.port),
                    )
                    .env(
                        "ICLOUD_MAIL_SETUP_SMTP",
                        format!("127.0.0.1:{}", other_smtp.port),
                    );
            }
            bin.run().triple()
        };
        let (code, out, err) = run(true);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            written,
            "{args:?} against other servers recorded something: {out}{err}"
        );
        let (code, out, err) = run(false);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        let after = std::fs::read_to_string(&config).unwrap();
        assert!(
            after != written && after.contains("check_result"),
            "{args:?} against the account's own servers recorded nothing: {out}{err}\n{after}"
        );
    }
    clear(email);
}
