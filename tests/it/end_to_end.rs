//! The whole product as a person meets it: the real binary in a real
//! terminal (tmux), real Dovecot for IMAP and SMTP, the real Secret Service
//! (gnome-keyring on the test's private bus) with `secret-tool` as a second
//! witness.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use crate::tmux;
use common::keyring::secret_tool_lookup as lookup;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::dovecot::Dovecot;
use common::keyring::require_bus;
use common::{Bin, account_field};
use tmux::{Tmux, bin, files_under, sh_quote};

const PW1: &str = "wxyz-abcd-efgh-ijkl";
const PW2: &str = "mnop-qrst-uvwx-yzab";

fn entries(email: &str) -> usize {
    let o = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            "icloud-mail-setup",
            "username",
            email,
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    text.lines().filter(|l| l.starts_with('[')).count()
}

fn clear(email: &str) {
    let _ = Command::new("secret-tool")
        .args(["clear", "service", "icloud-mail-setup", "username", email])
        .status();
}

struct World {
    dovecot: Dovecot,
    dir: tempfile::TempDir,
}

impl World {
    fn new(local: &str, password: &str) -> World {
        require_bus();
        let dovecot = Dovecot::start();
        dovecot.set_users(&[local, &format!("{local}@icloud.com")], password);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        World { dovecot, dir }
    }

    /// The world's private HOME.
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("cfg").join("config.toml")
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut e = self.dovecot.env();
        e.push((
            "ICLOUD_MAIL_SETUP_CONFIG".into(),
            self.config().display().to_string(),
        ));
        e.push(("TERM".into(), "xterm-256color".into()));
        e
    }

    /// A program with this world's HOME, servers and config.
    fn program(&self, program: &str) -> Bin {
        Bin::program(program).home(self.home()).envs(self.env())
    }

    /// The binary with these arguments and `stdin` on its input.
    fn spawn(&self, args: &[&str], stdin: &str) -> common::bin::Running {
        self.program(bin()).args(args).stdin(stdin).spawn()
    }

    fn cli(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        self.spawn(args, stdin).wait().triple()
    }

    fn tui(&self, extra: &str) -> Tmux {
        Tmux::start(&format!("{} {extra}", sh_quote(bin())), &self.env())
    }

    fn toml(&self) -> toml::Table {
        std::fs::read_to_string(self.config())
            .unwrap()
            .parse()
            .unwrap()
    }
}

fn assert_no_secret_in(dir: &Path, secret: &str) {
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "{} contains the password",
            f.display()
        );
        assert!(
            !text.contains(&secret.replace('-', "")),
            "{} contains the password without hyphens",
            f.display()
        );
    }
}

#[test]
fn first_run_wizard_verifies_against_dovecot_and_stores_in_the_keyring() {
    let email = "e2e-wizard@icloud.com";
    clear(email);
    let w = World::new("e2e-wizard", PW1);
    let t = w.tui("");
    t.wait_for("Secret Service is ready", 15);
    t.keys(&["Enter"]); // set up a new account
    t.wait_for("Is two-factor authentication on", 5);
    t.keys(&["Enter"]); // yes
    t.wait_for("App-Specific Passwords", 5);
    t.keys(&["Enter"]);
    t.wait_for("Which address", 5);
    t.type_text(email);
    t.keys(&["Enter"]);
    t.wait_for("Paste the app-specific password", 5);
    t.paste(PW1);
    t.wait_for("That looks like an app-specific password", 5);
    t.keys(&["Enter"]);
    let s = t.wait_for("Save it to the keyring", 20);
    assert!(
        s.contains("accepted as e2e-wizard "),
        "IMAP used the local part:\n{s}"
    );
    assert!(
        s.contains(&format!("accepted as {email}")),
        "SMTP used the address:\n{s}"
    );
    t.keys(&["Enter"]);
    let s = t.wait_for("is ready", 15);
    // The binary by its absolute path (a build directory is on no
    // client's PATH) and the config in use, `--` before the address.
    assert!(s.contains(&format!("password -- {email}")), "{s}");
    assert!(s.contains("debug/icloud-mail-setup --config"), "{s}");
    assert!(!s.contains(PW1));
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(5), "0");
    // What a person sees after the wizard, on the normal screen.
    let after = t.history();
    assert!(after.contains("is set up"), "{after}");
    assert!(!after.contains(PW1));

    assert_eq!(lookup(email).as_deref(), Some(PW1));
    let cfg = w.toml();
    assert_eq!(
        account_field(&cfg, email, "imap_username").as_deref(),
        Some("e2e-wizard")
    );
    assert_eq!(
        account_field(&cfg, email, "smtp_username").as_deref(),
        Some(email)
    );
    assert!(
        account_field(&cfg, email, "imap_server").is_some(),
        "test servers are recorded"
    );
    // The password is in no file: config dir, the terminal's scratch dir,
    // the snapshots, nor Dovecot's own log of our logins.
    assert_no_secret_in(w.config().parent().unwrap(), PW1);
    assert_no_secret_in(t.dir.path(), PW1);
    assert_no_secret_in(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots")),
        PW1,
    );
    // And the mail client's password command gives it back.
    let (code, out, _) = w.cli(&["password", email], "");
    assert_eq!((code, out.as_str()), (0, format!("{PW1}\n").as_str()));
}

#[test]
fn rerun_after_revocation_rotates_through_the_tui() {
    let email = "e2e-rotate@icloud.com";
    clear(email);
    let w = World::new("e2e-rotate", PW1);
    let (code, out, err) = w.cli(
        &[
            "store",
            email,
            "--password-stdin",
            "--label",
            "icloud-mail-setup on oldbox",
        ],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    // Timestamps are to the second: the stored ones are put back to 2001
    // (not waited past), so the rotation's must differ. Then revoke at
    // "Apple".
    let (stored_before, verified_before) = ("2001-01-01T00:00:00Z", "2001-01-01T00:00:00Z");
    common::set_account_fields(
        &w.config(),
        email,
        &[
            ("stored_at", stored_before),
            ("verified_at", verified_before),
        ],
    );
    w.dovecot.set_users(&["e2e-rotate", email], PW2);
    let (code, _, _) = w.cli(&["verify", email], "");
    assert_eq!(code, 3, "the revoked password is rejected");

    let t = w.tui(&format!("--account {email}"));
    let s = t.wait_for("Make a new app-specific password", 20);
    assert!(s.contains("password was rejected"), "{s}");
    assert!(s.contains("revokes every app-specific password"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for(&format!("Make a new password for {email}"), 5);
    t.keys(&["Enter"]);
    t.wait_for("Paste the app-specific password", 5);
    // Until the new one is saved, the old one is still there.
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    t.paste(PW2);
    t.keys(&["Enter"]);
    t.wait_for("Save it to the keyring", 20);
    t.keys(&["Enter"]);
    let s = t.wait_for("Revoke the old password", 15);
    assert!(s.contains("icloud-mail-setup on oldbox"), "{s}");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(5), "0");

    assert_eq!(
        lookup(email).as_deref(),
        Some(PW2),
        "the new password is stored"
    );
    assert_eq!(entries(email), 1, "the old one is gone, not kept beside it");
    let after = w.toml();
    assert_ne!(
        account_field(&after, email, "stored_at").unwrap(),
        stored_before
    );
    assert_ne!(
        account_field(&after, email, "verified_at").unwrap(),
        verified_before
    );
    let (code, _, _) = w.cli(&["verify", email], "");
    assert_eq!(code, 0);
}

/// The rotation screen says "paste it here": a paste there (bracketed, as
/// a terminal sends it) is kept, said so, and checked at once, with no
/// trip through the checklist and an empty password field (issue 17).
#[test]
fn a_paste_on_the_rotation_screen_is_checked_at_once() {
    let email = "e2e-rotpaste@icloud.com";
    clear(email);
    let w = World::new("e2e-rotpaste", PW1);
    let (code, out, err) = w.cli(
        &["store", email, "--password-stdin", "--label", "old label"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    // Revoked at "Apple": the stored password is refused.
    w.dovecot.set_users(&["e2e-rotpaste", email], PW2);

    let t = w.tui(&format!("--account {email}"));
    let s = t.wait_for("Make a new app-specific password", 20);
    assert!(s.contains("paste it here"), "{s}");
    t.paste(PW2);
    let s = t.wait_for("Save it to the keyring", 20);
    assert!(s.contains("kept (hidden)"), "{s}");
    assert!(!s.contains(PW2) && !s.contains("mnop"), "{s}");
    // The old one stays until the new one is saved.
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    t.keys(&["Enter"]);
    let s = t.wait_for("Revoke the old password", 15);
    assert!(s.contains("old label"), "{s}");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(5), "0");
    assert_eq!(lookup(email).as_deref(), Some(PW2));
    assert_eq!(entries(email), 1);
    assert_eq!(
        account_field(&w.toml(), email, "label").as_deref(),
        Some("old label (2)")
    );
}

#[test]
fn cli_store_verify_and_exit_codes_against_dovecot() {
    let email = "e2e-cli@icloud.com";
    clear(email);
    let w = World::new("e2e-cli", PW1);
    // A wrong password: rejected, nothing stored, no config written.
    let (code, out, err) = w.cli(&["store", email, "--password-stdin"], &format!("{PW2}\n"));
    assert_eq!(code, 3, "{out}{err}");
    assert!(lookup(email).is_none());
    assert!(!w.config().exists());
    assert!(!format!("{out}{err}").contains(PW2));
    // Both checks refused it the same way: the advice once, worded for a
    // command ("paste it here" is the wizard's screen) (issue 17).
    assert_eq!(
        out.matches("Make a new one at account.apple.com").count(),
        1,
        "{out}"
    );
    assert!(!out.contains("paste it here"), "{out}");
    assert!(
        out.contains(&format!("icloud-mail-setup store {email}")),
        "{out}"
    );
    // The right one, pasted sloppily.
    let (code, out, err) = w.cli(
        &["store", email, "--password-stdin"],
        &format!("  {}\n", PW1.replace('-', "").to_uppercase()),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!format!("{out}{err}").contains(PW1));
    let (code, out, err) = w.cli(&["verify", email, "--json"], "");
    assert_eq!(code, 0, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["imap"]["ok"], true);
    assert_eq!(j["imap"]["username"], "e2e-cli");
    assert_eq!(j["smtp"]["username"], email);
    assert!(j["imap"]["elapsed_ms"].as_u64().is_some());
    // Revoked: every username form tried is listed as refused, and the
    // text output gives the advice once (issue 17).
    w.dovecot.set_users(&["e2e-cli", email], PW2);
    let (code, out, err) = w.cli(&["verify", email, "--json"], "");
    assert_eq!(code, 3, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        j["imap"]["rejected_usernames"],
        serde_json::json!(["e2e-cli", email])
    );
    assert_eq!(j["smtp"]["rejected_usernames"], serde_json::json!([email]));
    let (code, out, err) = w.cli(&["verify", email], "");
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(
        out.matches("Make a new one at account.apple.com").count(),
        1,
        "{out}"
    );
    assert!(!out.contains("paste it here"), "{out}");
    w.dovecot.set_users(&["e2e-cli", email], PW1);
    // Nothing listening: a network error, exit 4, fast.
    let closed = common::closed_port();
    let started = std::time::Instant::now();
    let (code, out, _) = w.cli(
        &[
            "verify",
            email,
            "--imap",
            &format!("127.0.0.1:{}", closed.port),
            "--json",
        ],
        "",
    );
    assert_eq!(code, 4, "{out}");
    assert!(started.elapsed().as_secs() < 10);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["imap"]["error_kind"], "connection_refused");
    // No such account.
    let (code, _, _) = w.cli(&["password", "nobody@icloud.com"], "");
    assert_eq!(code, 6);
}

#[test]
fn welcome_says_when_no_keyring_is_reachable() {
    let w = World::new("e2e-nokeyring", PW1);
    let mut env = w.env();
    env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    ));
    let t = Tmux::start(&sh_quote(bin()), &env);
    let s = t.wait_for("Keyring:", 15);
    let s = if s.contains("checking") {
        t.wait_for("no keyring is reachable", 15)
    } else {
        s
    };
    assert!(s.contains("no keyring is reachable"), "{s}");
    assert!(s.contains("cannot be saved"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(5), "0");
    assert!(!w.config().exists(), "no config written");
}

#[test]
fn two_store_runs_at_once_keep_both_accounts() {
    let (a, b) = ("e2e-two-a@icloud.com", "e2e-two-b@icloud.com");
    clear(a);
    clear(b);
    let w = World::new("e2e-two-a", PW1);
    w.dovecot.set_users(&["e2e-two-a", a, "e2e-two-b", b], PW1);
    let spawn = |email: &str| w.spawn(&["store", email, "--password-stdin"], &format!("{PW1}\n"));
    let (ca, cb) = (spawn(a), spawn(b));
    for c in [ca, cb] {
        let o = c.wait();
        assert!(o.success(), "{}", o.stderr);
    }
    let cfg = w.toml();
    assert!(account_field(&cfg, a, "stored_at").is_some(), "{cfg}");
    assert!(account_field(&cfg, b, "stored_at").is_some(), "{cfg}");
    assert_eq!(lookup(a).as_deref(), Some(PW1));
    assert_eq!(lookup(b).as_deref(), Some(PW1));
}

#[test]
fn store_typed_at_a_terminal_does_not_echo_the_password() {
    let email = "e2e-tty@icloud.com";
    clear(email);
    let w = World::new("e2e-tty", PW1);
    let t = Tmux::start(
        &format!("{} store {email} --password-stdin", sh_quote(bin())),
        &w.env(),
    );
    t.wait_for("App-specific password (not shown)", 10);
    t.type_text(PW1);
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(20), "0");
    let screen = t.history();
    assert!(!screen.contains(PW1), "{screen}");
    assert!(
        screen.contains("Revoke") || screen.contains(email),
        "{screen}"
    );
    assert_eq!(lookup(email).as_deref(), Some(PW1));
}

/// The settings of the pane's terminal once the program has exited
/// (`stty -a`, recorded by the pane's shell).
fn stty_after(t: &Tmux) -> String {
    std::fs::read_to_string(t.path("stty")).unwrap_or_default()
}

/// A signal after a save ("was saved ... first") is tested by
/// `a_signal_during_saving_lets_the_save_finish_then_restores_the_terminal`.
#[test]
fn signals_at_welcome_restore_the_terminal_and_say_nothing_was_stored() {
    let w = World::new("e2e-sig", PW1);
    for (sig, code) in [
        (libc::SIGINT, "130"),
        (libc::SIGTERM, "143"),
        (libc::SIGHUP, "129"),
        (libc::SIGQUIT, "131"),
    ] {
        let t = Tmux::start_then(
            &format!("{} 2> err.txt", sh_quote(bin())),
            "stty -a > stty;",
            &w.env(),
        );
        t.wait_for("Welcome", 10);
        let pid = t.program_pid();
        // Core dumps are off in the running program.
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        assert_eq!(
            core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
            ["0", "0"],
            "{core}"
        );
        // SAFETY: kill(2) on the program's pid.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        assert_eq!(t.wait_exit(10), code, "signal {sig}");
        assert_eq!(t.var("alternate_on"), "0", "still in the alternate screen");
        let stty = stty_after(&t);
        assert!(
            stty.contains(" echo ") && stty.contains(" icanon "),
            "raw mode left on after signal {sig}: {stty}"
        );
        let err = std::fs::read_to_string(t.path("err.txt")).unwrap();
        assert!(err.contains("nothing was stored"), "{err}");
    }
}

#[test]
fn a_signal_at_the_store_prompt_turns_echo_back_on() {
    let email = "e2e-sigstore@icloud.com";
    clear(email);
    let w = World::new("e2e-sigstore", PW1);
    let t = Tmux::start_then(
        &format!("{} store {email} --password-stdin", sh_quote(bin())),
        "stty -a > stty;",
        &w.env(),
    );
    t.wait_for("App-specific password (not shown)", 10);
    t.type_text("abcd-ef");
    let pid = t.program_pid();
    // SAFETY: kill(2) on the program's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(t.wait_exit(10), "143");
    let stty = stty_after(&t);
    assert!(stty.contains(" echo "), "echo left off: {stty}");
    assert!(
        t.history().contains("nothing was stored"),
        "{}",
        t.history()
    );
    assert_eq!(lookup(email), None);
}

#[test]
fn a_save_cut_short_is_settled_by_the_next_run_with_the_real_keyring() {
    use icloud_mail_setup::domain::keyring::{KeyringStore, SecretStore, staging_account};
    use icloud_mail_setup::sys::secret::Secret;
    let email = "e2e-crash@icloud.com";
    let staging = staging_account(email);
    clear(email);
    clear(&staging);
    let w = World::new("e2e-crash", PW1);
    // A first save through the real binary: PW1 stored.
    let (code, _, err) = w.cli(
        &["store", email, "--password-stdin", "--label", "one"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{err}");

    // The state a kill between "config pending" and "main replaced"
    // leaves: PW2 staged (it had passed both checks), the config saying
    // what the account becomes.
    let store = KeyringStore::new();
    store.set(&staging, &Secret::new(PW2.into())).unwrap();
    let mut t = w.toml();
    let acct = t["account"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap();
    let mut pending = acct.clone();
    pending.insert("label".into(), "two".into());
    acct.insert("pending".into(), toml::Value::Table(pending));
    std::fs::write(w.config(), toml::to_string(&t).unwrap()).unwrap();

    // `password` (what mail clients run) finishes the save and answers
    // with the new password.
    let (code, out, err) = w.cli(&["password", email], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{PW2}\n"));
    assert!(err.contains("has now been finished"), "{err}");
    assert_eq!(lookup(email).as_deref(), Some(PW2));
    assert_eq!(lookup(&staging), None);
    assert_eq!(
        account_field(&w.toml(), email, "label").as_deref(),
        Some("two")
    );

    // A kill between "staged" and "config pending": the old password is
    // kept, and `verify` says it rolled back.
    store.set(&staging, &Secret::new(PW1.into())).unwrap();
    w.dovecot.set_users(&["e2e-crash", email], PW2);
    let (code, _, err) = w.cli(&["verify", email], "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rolled back"), "{err}");
    assert_eq!(lookup(email).as_deref(), Some(PW2));
    assert_eq!(lookup(&staging), None);
    assert_eq!(entries(email), 1);
}

// --- Plain mode: the same wizard, line by line -------------------------

/// The plain wizard with `input` on a pipe: (exit code, stdout, stderr).
fn plain(w: &World, args: &[&str], input: &str) -> (i32, String, String) {
    let (code, out, err) = w.cli(args, input);
    for text in [&out, &err] {
        assert!(!text.contains(PW1) && !text.contains(PW2), "{text}");
        assert!(!text.contains('\u{1b}'), "escape sequences: {text:?}");
    }
    (code, out, err)
}

#[test]
fn plain_mode_sets_up_an_account_from_a_pipe() {
    let email = "e2e-plain@icloud.com";
    clear(email);
    let w = World::new("e2e-plain", PW1);
    // Welcome: 1 (new). 2FA: 1 (on). Checklist: Enter. Address. Password
    // (hidden). Label: Enter keeps it. Save: 1. Done: the input ends (quit).
    let input = format!("1\n1\n\n{email}\n{PW1}\n\n1\n");
    let (code, out, err) = plain(&w, &[], &input);
    assert_eq!(code, 0, "{out}\n{err}");
    for step in [
        "== Welcome ==",
        "  1. Set up a new account",
        "== Step 1 of 5: Two-factor authentication ==",
        "== Step 2 of 5: App-specific password ==",
        "  1. Open account.apple.com",
        "https://account.apple.com\n",
        "== Step 3 of 5: Your iCloud address ==",
        "== Step 4 of 5: Paste the password ==",
        "Checking IMAP and SMTP",
        "accepted as e2e-plain ",
        &format!("accepted as {email}"),
        "  1. Save it to the keyring",
        "Saved.",
        &format!(" password -- {email}"),
        "debug/icloud-mail-setup --config ",
    ] {
        assert!(out.contains(step), "missing {step:?} in:\n{out}");
    }
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    assert_eq!(
        account_field(&w.toml(), email, "label").as_deref(),
        Some(
            format!(
                "icloud-mail-setup on {}",
                gethostname::gethostname()
                    .to_string_lossy()
                    .split('.')
                    .next()
                    .unwrap()
            )
            .as_str()
        )
    );
    assert_no_secret_in(w.dir.path(), PW1);
}

#[test]
fn plain_mode_rejected_then_good_custom_domain_then_rotation() {
    let email = "me@e2e-plain-custom.example";
    clear(email);
    let w = World::new("e2e-pcust", PW1);
    // A custom domain logs in with the primary address; a password of the
    // right form that is wrong, re-entered (choice 1), then the right one.
    let input = format!(
        "1\n1\n\n{email}\ne2e-pcust@icloud.com\nqrst-qrst-qrst-qrst\nmy label\n1\n{PW1}\n\n1\n"
    );
    let (code, out, err) = plain(&w, &[], &input);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("is a custom domain (iCloud+)"), "{out}");
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("  1. Re-enter the password"), "{out}");
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    let cfg = w.toml();
    assert_eq!(
        account_field(&cfg, email, "login").as_deref(),
        Some("e2e-pcust@icloud.com")
    );
    assert_eq!(
        account_field(&cfg, email, "label").as_deref(),
        Some("my label")
    );

    // Apple revoked it: the stored one is rejected; a new one replaces it.
    w.dovecot
        .set_users(&["e2e-pcust", "e2e-pcust@icloud.com"], PW2);
    let input = format!("1\n\n{PW2}\n\n1\n");
    let (code, out, err) = plain(&w, &["--account", email], &input);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("== Checking the stored password =="), "{out}");
    assert!(
        out.contains("  1. Make a new app-specific password"),
        "{out}"
    );
    assert!(out.contains("Revoke the old password"), "{out}");
    assert!(out.contains("\u{201c}my label\u{201d}"), "{out}");
    assert_eq!(lookup(email).as_deref(), Some(PW2));
    assert_eq!(entries(email), 1);
}

#[test]
fn plain_mode_at_a_terminal_reads_the_password_with_echo_off() {
    let email = "e2e-plain-tty@icloud.com";
    clear(email);
    let w = World::new("e2e-plain-tty", PW1);
    let t = w.tui("--plain");
    t.wait_for("Choose 1-1 [1]", 15);
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    t.type_text("1");
    t.keys(&["Enter"]);
    t.wait_for("Enter when done", 5);
    t.keys(&["Enter"]);
    t.wait_for("Email address:", 5);
    t.type_text(email);
    t.keys(&["Enter"]);
    t.wait_for("App-specific password (not shown)", 5);
    t.type_text(PW1);
    t.keys(&["Enter"]);
    t.wait_for("Label at Apple", 5);
    t.keys(&["Enter"]);
    t.wait_for("Save it to the keyring", 20);
    t.type_text("1");
    t.keys(&["Enter"]);
    t.wait_for("Copy the password", 20);
    t.keys(&["Enter"]); // Done: 1, quit
    assert_eq!(t.wait_exit(20), "0");
    let screen = t.history();
    assert!(!screen.contains(PW1), "{screen}");
    assert!(screen.contains("Saved."), "{screen}");
    assert_eq!(lookup(email).as_deref(), Some(PW1));
}

#[test]
fn done_sets_up_mbsync_for_real_with_no_password_in_its_config() {
    let email = "e2e-done@icloud.com";
    clear(email);
    let w = World::new("e2e-done", PW1);
    let home = w.home();
    // Setup, then on Done: 2 (mbsync is first among the clients found:
    // isync is installed by scripts/test), Enter writes it, 1 quits.
    let input = format!("1\n1\n\n{email}\n{PW1}\n\n1\n2\n\n1\n");
    let o = w.spawn(&[], &input).wait();
    let out = &o.stdout;
    assert_eq!(o.code, 0, "{out}\n{}", o.stderr);
    assert!(
        out.contains("  2. Set up mbsync to use it  (on PATH)"),
        "{out}"
    );
    assert!(out.contains("== Set up a mail client =="), "{out}");
    assert!(out.contains("mbsync: wrote"), "{out}");
    assert!(!out.contains(PW1));
    // After the wizard: the client's own next command.
    assert!(
        out.contains(&format!(
            "mbsync: Fetch mail with `mbsync {email}` (or `mbsync -a`)"
        )),
        "{out}"
    );
    // The program in a build directory: said, as `schedule` says it.
    let err = &o.stderr;
    assert!(err.contains("cargo build directory"), "{err}");
    let rc = std::fs::read_to_string(home.join(".mbsyncrc")).unwrap();
    // Its PassCmd, run as mbsync runs it (sh -c, the program on PATH),
    // gives the stored password.
    let pass_cmd = rc
        .lines()
        .find_map(|l| l.trim().strip_prefix("PassCmd "))
        .unwrap_or_else(|| panic!("no PassCmd:\n{rc}"));
    let pass_cmd = pass_cmd
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or_else(|| panic!("PassCmd not quoted: {pass_cmd}"))
        .replace("\\\"", "\"")
        .replace("\\\\", "\\");
    assert!(
        pass_cmd.starts_with('/') && pass_cmd.ends_with(&format!(" password -- {email}")),
        "{pass_cmd}"
    );
    let on_path = w.dir.path().join("bin");
    std::fs::create_dir_all(&on_path).unwrap();
    std::os::unix::fs::symlink(bin(), on_path.join("icloud-mail-setup")).unwrap();
    let o = w
        .program("sh")
        .args(["-c", &pass_cmd])
        .path_first(&on_path)
        .run();
    assert!(o.success(), "{pass_cmd}: {}", o.stderr);
    assert_eq!(o.stdout, format!("{PW1}\n"));
    assert!(
        rc.contains(&format!("# >>> icloud-mail-setup {email} >>>")),
        "{rc}"
    );
    assert_eq!(
        w.toml()["account"][0]["exported"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>()),
        Some(vec!["mbsync"])
    );
    // "Set up" made the Maildir: mbsync's own first run, nothing typed in
    // between and no variable of ours set, fetches a waiting message.
    assert!(home.join("Mail").join(email).is_dir());
    w.dovecot.deliver(
        "e2e-done",
        "From: a@example.org\r\nTo: e2e-done@icloud.com\r\nSubject: waiting-e2e-done\r\n\r\nHi.\r\n",
    );
    let o = Bin::program("mbsync").home(&home).arg("-a").run();
    assert!(o.success(), "mbsync -a: {}", o.stderr);
    let fetched = std::fs::read_dir(home.join("Mail").join(email).join("INBOX/new"))
        .unwrap()
        .any(|f| {
            std::fs::read_to_string(f.unwrap().path())
                .unwrap()
                .contains("waiting-e2e-done")
        });
    assert!(fetched, "the waiting message was not fetched");
    assert_no_secret_in(w.dir.path(), PW1);
}

#[test]
fn done_copies_the_password_by_osc52_and_quitting_clears_it() {
    let (_w, t) = plain_wizard_copied("e2e-copy");
    let buffers = String::from_utf8_lossy(&t.tmux(&["show-buffer"]).stdout).into_owned();
    assert_eq!(buffers, PW1, "tmux caught the OSC 52 copy");
    assert!(!t.history().contains(PW1));
    // Quitting clears it, well before the 45 s.
    t.wait_for("Choose 1-", 5);
    t.type_text("1");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(20), "0");
    let list = String::from_utf8_lossy(&t.tmux(&["list-buffers", "-F", "#{buffer_sample}"]).stdout)
        .into_owned();
    assert!(!list.contains(PW1), "still on the clipboard: {list}");
}

/// A signal while the wizard is saving: the save is let finish, then the
/// program leaves, restores the terminal and says the password was saved.
/// The save is held in the Saving step by holding the config lock (the
/// real one the save takes) from this test for a moment.
#[test]
fn a_signal_during_saving_lets_the_save_finish_then_restores_the_terminal() {
    let email = "e2e-sigsave@icloud.com";
    clear(email);
    let w = World::new("e2e-sigsave", PW1);
    std::fs::create_dir_all(w.config().parent().unwrap()).unwrap();
    let t = Tmux::start_then(
        &format!("{} 2> err.txt", sh_quote(bin())),
        "stty -a > stty;",
        &w.env(),
    );
    t.wait_for("Secret Service is ready", 15);
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("Which address", 5);
    t.type_text(email);
    t.keys(&["Enter"]);
    t.wait_for("Paste the app-specific password", 5);
    t.paste(PW1);
    t.keys(&["Enter"]);
    t.wait_for("Save it to the keyring", 20);
    let pid = t.program_pid();
    let lock = icloud_mail_setup::domain::config::ConfigLock::acquire(&w.config()).unwrap();
    t.keys(&["Enter"]);
    t.wait_for("Storing the password", 5);
    // SAFETY: kill(2) on the program's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    // No fixed wait for "it did not leave": the signal is taken (no
    // longer pending), and after that the wizard still answers a key
    // (`q` while saving says to wait), so it went on past the signal.
    t.wait_until("the SIGTERM to be taken", 10, || {
        !signal_pending(pid, libc::SIGTERM)
    });
    t.keys(&["q"]);
    t.wait_for("Quit once it is done", 10);
    assert!(
        t.path("exit-status").metadata().is_err(),
        "left before its save finished"
    );
    drop(lock);
    assert_eq!(t.wait_exit(20), "143");
    assert_eq!(t.var("alternate_on"), "0", "still in the alternate screen");
    let stty = stty_after(&t);
    assert!(
        stty.contains(" echo ") && stty.contains(" icanon "),
        "{stty}"
    );
    let err = std::fs::read_to_string(t.path("err.txt")).unwrap();
    assert!(
        err.contains("password was saved in the Secret Service first"),
        "{err}"
    );
    assert_eq!(lookup(email).as_deref(), Some(PW1));
    assert_eq!(entries(email), 1);
    assert_eq!(
        lookup(&icloud_mail_setup::domain::keyring::staging_account(email)),
        None,
        "the staging entry is gone"
    );
}

/// Whether `sig` is still pending for process `pid` (sent, not yet taken
/// by any of its threads), from /proc.
fn signal_pending(pid: i32, sig: i32) -> bool {
    let bit = 1u64 << (sig - 1);
    let pending = |status: &str, field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .map(|hex| u64::from_str_radix(hex.trim(), 16).unwrap() & bit != 0)
            .unwrap_or(false)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    if pending(&status, "ShdPnd:") {
        return true;
    }
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            pending(&status, "SigPnd:")
        })
}

/// Ctrl-Z (SIGTSTP) in the plain wizard after a copy: the password is
/// cleared before the process stops (a stopped process cannot clear it
/// later), and the wizard carries on when continued.
#[test]
fn ctrl_z_in_the_plain_wizard_clears_a_copied_password_before_stopping() {
    let (_w, t) = plain_wizard_copied("e2e-copy-tstp");
    let buffers = String::from_utf8_lossy(&t.tmux(&["show-buffer"]).stdout).into_owned();
    assert_eq!(buffers, PW1, "tmux caught the OSC 52 copy");
    let pid = t.program_pid();
    // SAFETY: signalling the program under test by its pid.
    unsafe { libc::kill(pid, libc::SIGTSTP) };
    t.wait_for("cleared before stopping (Ctrl-Z)", 10);
    // Stopped, with the clipboard already emptied.
    let state = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat.rsplit_once(") ").unwrap().1.chars().next().unwrap()
    };
    t.wait_until("the program to stop", 10, || state() == 'T');
    let list = String::from_utf8_lossy(&t.tmux(&["list-buffers", "-F", "#{buffer_sample}"]).stdout)
        .into_owned();
    assert!(
        !list.contains(PW1),
        "still on the clipboard while stopped: {list}"
    );
    // Continued, the wizard carries on and quits normally.
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    t.wait_until("the program to continue", 10, || state() != 'T');
    t.type_text("1");
    t.keys(&["Enter"]);
    assert_eq!(t.wait_exit(20), "0");
    assert!(!t.history().contains(PW1));
}

/// The plain wizard in tmux (OSC 52 on), through a save of
/// `NAME@icloud.com` to a copy of its password on the Done step.
fn plain_wizard_copied(name: &str) -> (World, Tmux) {
    let email = format!("{name}@icloud.com");
    let email = email.as_str();
    clear(email);
    let w = World::new(name, PW1);
    let t = Tmux::start_then(&format!("{} --plain", sh_quote(bin())), "", &w.env());
    t.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    for (wait, answer) in [
        ("Choose 1-1 [1]", "1"),
        ("Is two-factor authentication on", "1"),
        ("Enter when done", ""),
        ("Email address:", email),
        ("App-specific password (not shown)", PW1),
        ("Label at Apple", ""),
        ("Save it to the keyring", "1"),
    ] {
        t.wait_for(wait, 20);
        t.type_text(answer);
        t.keys(&["Enter"]);
    }
    t.wait_for("Copy the password", 20);
    t.wait_for("Choose 1-", 5);
    let s = t.history();
    let copy = s
        .lines()
        .filter_map(|l| l.trim().split_once(". Copy the password"))
        .map(|(n, _)| n.to_string())
        .next_back()
        .unwrap_or_else(|| panic!("no copy answer in:\n{s}"));
    assert!(copy.parse::<usize>().is_ok(), "{copy:?} in:\n{s}");
    t.type_text(&copy);
    t.keys(&["Enter"]);
    t.wait_for("Copied the password via OSC 52", 10);
    (w, t)
}
