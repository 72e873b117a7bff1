//! pass (password-store) as the keyring: the real binary, real `pass` and
//! `gpg` (Debian's packages) with a GPG home and a store made in the test,
//! real Dovecot. The first tests run with no D-Bus session at all: no
//! address, an empty runtime directory, and `dbus-launch`/`dbus-daemon`
//! stand-ins on PATH that record being run (nothing may start a bus).

// Real pass/gpg, dpkg-deb and Unix file modes: Unix only. On Windows this
// file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;
use crate::tmux;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::dovecot::Dovecot;
use common::{Bin, Out};
use tmux::{bin, files_under};

const PW1: &str = "wxyz-abcd-efgh-ijkl";
const PW2: &str = "mnop-qrst-uvwx-yzab";
const PASSPHRASE: &str = "correct horse battery staple";

/// A GPG home, a password store, a home and a runtime directory of the
/// test's own. gpg-agent is stopped on drop.
struct PassWorld {
    dir: tempfile::TempDir,
    /// Keep the D-Bus session of the test run (when there is one).
    keep_bus: bool,
}

impl PassWorld {
    fn new() -> PassWorld {
        for tool in ["pass", "gpg", "gpgconf"] {
            assert!(
                Command::new("sh")
                    .args(["-c", &format!("command -v {tool}")])
                    .output()
                    .unwrap()
                    .status
                    .success(),
                "{tool} is not installed: these tests need Debian's pass and gnupg"
            );
        }
        // Short paths: gpg-agent's socket lives in GNUPGHOME.
        let dir = tempfile::Builder::new()
            .prefix("pw")
            .tempdir_in("/tmp")
            .unwrap();
        let w = PassWorld {
            dir,
            keep_bus: false,
        };
        for sub in ["g", "store", "home", "run", "stubs", "cfg"] {
            std::fs::create_dir_all(w.path(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(w.path("g"), std::fs::Permissions::from_mode(0o700)).unwrap();
        // Anything that would start a session bus leaves a mark.
        for stub in ["dbus-launch", "dbus-daemon", "dbus-run-session"] {
            let p = w.path("stubs").join(stub);
            std::fs::write(
                &p,
                format!(
                    "#!/bin/sh\necho \"$0 $*\" >> '{}'\nexit 1\n",
                    w.path("dbus-started").display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        w
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn config(&self) -> PathBuf {
        self.path("cfg").join("config.toml")
    }

    /// A program with this world's environment.
    fn command(&self, program: &str) -> Bin {
        let c = Bin::program(program)
            .home(self.path("home"))
            .path_first(self.path("stubs"))
            .env("GNUPGHOME", self.path("g"))
            .env("PASSWORD_STORE_DIR", self.path("store"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("ICLOUD_MAIL_SETUP_CONFIG", self.config())
            .env_remove("GPG_AGENT_INFO")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        match self.keep_bus {
            true => c,
            false => c.env_remove("DBUS_SESSION_BUS_ADDRESS"),
        }
    }

    fn run(&self, program: &str, args: &[&str], stdin: &str) -> Out {
        self.command(program).args(args).stdin(stdin).run()
    }

    /// The binary: exit code, stdout, stderr. The password never shows on
    /// its stderr.
    fn cli(&self, dv: &Dovecot, args: &[&str], stdin: &str) -> (i32, String, String) {
        let o = self
            .command(bin())
            .envs(dv.env())
            .args(args)
            .stdin(stdin)
            .run();
        assert!(
            !o.stderr.contains(PW1) && !o.stderr.contains(PW2),
            "{}",
            o.stderr
        );
        o.triple()
    }

    /// `password EMAIL` prints `expected`.
    fn assert_serves(&self, dv: &Dovecot, email: &str, expected: &str) {
        let (code, out, err) = self.cli(dv, &["password", email], "");
        assert_eq!(
            (code, out.as_str()),
            (0, format!("{expected}\n").as_str()),
            "{err}"
        );
    }

    fn ok(&self, program: &str, args: &[&str], stdin: &str) -> String {
        let o = self.run(program, args, stdin);
        assert!(o.success(), "{program} {args:?}: {}", o.stderr);
        o.stdout
    }

    /// A key for `uid` (no passphrase when `passphrase` is empty) and a
    /// store initialised with it.
    fn init_store(&self, uid: &str, passphrase: &str) {
        self.ok(
            "gpg",
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                passphrase,
                "--quick-gen-key",
                uid,
                "default",
                "default",
                "never",
            ],
            "",
        );
        self.ok("pass", &["init", uid], "");
    }

    /// What `pass show` has as the entry's first line (None: no entry).
    fn pass_first_line(&self, entry: &str) -> Option<String> {
        let o = self.run("pass", &["show", entry], "");
        o.success()
            .then(|| o.stdout.lines().next().unwrap_or("").to_string())
    }

    /// The entries under icloud-mail-setup/ in the store.
    fn entries(&self) -> Vec<String> {
        let dir = self.path("store").join("icloud-mail-setup");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn config_text(&self) -> String {
        std::fs::read_to_string(self.config()).unwrap_or_default()
    }

    fn assert_no_bus_started(&self) {
        let marks = std::fs::read_to_string(self.path("dbus-started")).unwrap_or_default();
        assert!(marks.is_empty(), "something tried to start D-Bus: {marks}");
    }
}

impl Drop for PassWorld {
    fn drop(&mut self) {
        let _ = self.run("gpgconf", &["--kill", "gpg-agent"], "");
    }
}

fn dovecot_for(local: &str, password: &str) -> Dovecot {
    let dv = Dovecot::start();
    dv.set_users(&[local, &format!("{local}@icloud.com")], password);
    dv
}

#[test]
fn without_any_dbus_pass_stores_serves_rotates_and_removes() {
    let email = "pass-nobus@icloud.com";
    let w = PassWorld::new();
    w.init_store("nobus@example.com", "");
    let dv = dovecot_for("pass-nobus", PW1);

    // Stored (automatic choice: no Secret Service answers, pass is set up).
    let (code, out, err) = w.cli(
        &dv,
        &["store", email, "--password-stdin"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pass"), "the output names the store: {out}");
    assert_eq!(
        w.pass_first_line(&format!("icloud-mail-setup/{email}")),
        Some(PW1.to_string())
    );
    assert_eq!(
        w.entries(),
        [format!("{email}.gpg")],
        "no staging entry left"
    );
    let cfg = w.config_text();
    assert!(cfg.contains("keyring = \"pass\""), "{cfg}");
    assert!(!cfg.contains(PW1));

    // Served: password, list, the git helper, the daily check.
    w.assert_serves(&dv, email, PW1);
    let (code, out, err) = w.cli(&dv, &["list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(email), "{out}");
    let (code, out, err) = w.cli(&dv, &["list", "--json"], "");
    assert_eq!(code, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["keyring"], "pass", "{out}");
    assert_eq!(listed[0]["password_stored"], true, "{out}");
    let request = format!("protocol=smtp\nhost={}\nusername={email}\n\n", dv.smtp);
    let (code, out, err) = w.cli(&dv, &["git-credential", "get"], &request);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("password={PW1}\n")), "{out}{err}");
    let (code, out, err) = w.cli(&dv, &["verify", "--scheduled"], "");
    assert_eq!(code, 0, "{out}{err}");

    // Apple revoked it: the stored one is rejected; the wizard (plain)
    // rotates to a new one, checked against Dovecot, through the staging
    // entry.
    dv.set_users(&["pass-nobus", "pass-nobus@icloud.com"], PW2);
    let (code, out, err) = w.cli(&dv, &["verify", email], "");
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(
        w.pass_first_line(&format!("icloud-mail-setup/{email}")),
        Some(PW1.to_string()),
        "a rejection keeps the stored password"
    );
    let (code, out, err) = w.cli(
        &dv,
        &["--plain", "--account", email],
        &format!("1\n\n{PW2}\n\n1\n"),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Saved."), "{out}");
    assert_eq!(
        w.pass_first_line(&format!("icloud-mail-setup/{email}")),
        Some(PW2.to_string())
    );
    assert_eq!(
        w.entries(),
        [format!("{email}.gpg")],
        "no staging entry left"
    );
    w.assert_serves(&dv, email, PW2);
    let (code, out, err) = w.cli(&dv, &["verify", email], "");
    assert_eq!(code, 0, "{out}{err}");

    // A save cut short after the verified new password was staged and
    // the config said what the account becomes: the next `password`
    // (what mail clients run) finishes it, from pass.
    w.ok(
        "pass",
        &[
            "insert",
            "-m",
            "-f",
            &format!("icloud-mail-setup/staging:{email}"),
        ],
        &format!("{PW1}\n"),
    );
    let mut t: toml::Table = w.config_text().parse().unwrap();
    let acct = t["account"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap();
    let mut pending = acct.clone();
    pending.insert("label".into(), "after a crash".into());
    acct.insert("pending".into(), toml::Value::Table(pending));
    std::fs::write(w.config(), toml::to_string(&t).unwrap()).unwrap();
    let (code, out, err) = w.cli(&dv, &["password", email], "");
    assert_eq!(
        (code, out.as_str()),
        (0, format!("{PW1}\n").as_str()),
        "{err}"
    );
    assert!(err.contains("has now been finished"), "{err}");
    assert_eq!(
        w.entries(),
        [format!("{email}.gpg")],
        "the staging entry is gone"
    );
    assert!(w.config_text().contains("after a crash"));

    // The wizard's keyring line names pass.
    let (code, out, err) = w.cli(&dv, &["--plain"], "q\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Keyring: pass (password-store) is ready."),
        "{out}"
    );

    // Removed: the entry and the account.
    let (code, out, err) = w.cli(&dv, &["remove", email, "--yes"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(w.entries().is_empty(), "{:?}", w.entries());
    assert!(!w.config_text().contains(email));
    w.assert_no_bus_started();
}

/// The encryption subkey's keygrip (what gpg-agent caches a passphrase by).
fn encryption_keygrip(w: &PassWorld) -> String {
    let colons = w.ok("gpg", &["--with-keygrip", "--with-colons", "-K"], "");
    let mut in_sub = false;
    for line in colons.lines() {
        if line.starts_with("ssb:") {
            in_sub = true;
        } else if in_sub && line.starts_with("grp:") {
            return line.split(':').nth(9).unwrap().to_string();
        }
    }
    panic!("no encryption subkey in:\n{colons}");
}

impl PassWorld {
    /// gpg-agent's pinentry becomes a stub `name` that records each start
    /// in `pinentry-started`, then runs `then`; `agent_options` are put
    /// before the pinentry lines of gpg-agent.conf.
    fn recording_pinentry(&self, name: &str, then: &str, agent_options: &str) {
        use std::os::unix::fs::PermissionsExt;
        let pinentry = self.path("stubs").join(name);
        std::fs::write(
            &pinentry,
            format!(
                "#!/bin/sh\necho started >> '{}'\n{then}\n",
                self.path("pinentry-started").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&pinentry, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            self.path("g").join("gpg-agent.conf"),
            format!(
                "{agent_options}allow-loopback-pinentry\npinentry-program {}\n",
                pinentry.display()
            ),
        )
        .unwrap();
    }
}

#[test]
fn a_locked_key_is_reported_without_a_prompt_and_a_preset_passphrase_works() {
    let email = "pass-preset@icloud.com";
    let w = PassWorld::new();
    // A pinentry that would hang (and records that it was started): the
    // program must never get gpg-agent to ask.
    w.recording_pinentry("pinentry-hangs", "sleep 60", "allow-preset-passphrase\n");
    w.init_store("preset@example.com", PASSPHRASE);
    let dv = dovecot_for("pass-preset", PW1);
    // Whatever key generation left cached goes.
    w.ok("gpgconf", &["--kill", "gpg-agent"], "");

    // Locked: encrypting works, reading back cannot; a clear error, fast,
    // nothing left behind.
    let started = Instant::now();
    let (code, out, err) = w.cli(
        &dv,
        &["store", email, "--password-stdin"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("locked"), "{err}");
    assert!(
        err.contains("passphrase") && err.contains("pass show"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !w.path("pinentry-started").exists(),
        "gpg-agent was made to ask for the passphrase"
    );
    assert!(w.entries().is_empty(), "{:?}", w.entries());
    assert!(!w.config_text().contains(email));

    // Preset in gpg-agent: everything works.
    let grip = encryption_keygrip(&w);
    w.ok(
        "/usr/lib/gnupg/gpg-preset-passphrase",
        &["--preset", &grip],
        PASSPHRASE,
    );
    let (code, out, err) = w.cli(
        &dv,
        &["store", email, "--password-stdin"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    w.assert_serves(&dv, email, PW1);
    assert_eq!(w.entries(), [format!("{email}.gpg")]);
    assert!(!w.path("pinentry-started").exists());
    w.assert_no_bus_started();
}

#[test]
fn with_neither_keyring_the_cli_and_the_wizard_say_how_to_set_one_up() {
    let w = PassWorld::new();
    let dv = dovecot_for("pass-none", PW1);
    let email = "pass-none@icloud.com";
    let (code, out, err) = w.cli(
        &dv,
        &["store", email, "--password-stdin"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 5, "{out}{err}");
    for how in [
        "dbus-run-session",
        "gnome-keyring-daemon --unlock",
        "pass init",
        "gpg --quick-gen-key",
    ] {
        assert!(err.contains(how), "missing {how:?} in: {err}");
    }
    assert!(!w.config_text().contains(email));
    // The wizard's keyring line says the same.
    let (code, out, err) = w.cli(&dv, &["--plain"], "q\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Keyring:"), "{out}");
    assert!(
        out.contains("pass init") && out.contains("dbus-run-session"),
        "{out}"
    );
    // Nothing in plaintext anywhere.
    for f in files_under(w.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
        assert!(!text.contains(PW1), "{} holds the password", f.display());
    }
    w.assert_no_bus_started();
}

#[test]
fn an_explicit_keyring_is_recorded_and_password_never_guesses() {
    common::keyring::require_bus();
    let email = common::keyring::unique_email("pass-explicit");
    let mut w = PassWorld::new();
    w.keep_bus = true;
    w.init_store("explicit@example.com", "");
    let local = email.split('@').next().unwrap().to_string();
    let dv = dovecot_for(&local, PW1);

    // The Secret Service answers, but pass is asked for.
    let (code, out, err) = w.cli(
        &dv,
        &["store", &email, "--password-stdin", "--keyring", "pass"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        w.pass_first_line(&format!("icloud-mail-setup/{email}")),
        Some(PW1.to_string())
    );
    assert_eq!(common::keyring::secret_tool_lookup(&email), None);
    assert!(w.config_text().contains("keyring = \"pass\""));

    // Later runs read where it was recorded, with the Secret Service there.
    w.assert_serves(&dv, &email, PW1);
    // Asking for another keyring than the recorded one is refused.
    let (code, out, err) = w.cli(
        &dv,
        &["password", &email, "--keyring", "secret-service"],
        "",
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("kept in pass"), "{err}");
    let (code, out, err) = w.cli(&dv, &["remove", &email, "--yes"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(w.entries().is_empty());
}

/// A store that is a git repository, with git set to sign every commit
/// (`commit.gpgsign`) with a key whose passphrase gpg-agent does not
/// have: pass commits each change, and git's gpg would ask through
/// pinentry. Saving commits unsigned instead, and no pinentry starts.
#[test]
fn a_git_backed_store_with_signed_commits_never_starts_a_pinentry() {
    let email = "pass-gitsign@icloud.com";
    let w = PassWorld::new();
    w.recording_pinentry("pinentry-records", "exit 1", "");
    // Encryption needs no passphrase; signing does.
    w.init_store("gitsign@example.com", "");
    w.ok(
        "gpg",
        &[
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            PASSPHRASE,
            "--quick-gen-key",
            "signer@example.com",
            "default",
            "sign",
            "never",
        ],
        "",
    );
    w.ok("gpgconf", &["--kill", "gpg-agent"], "");
    let user = "[user]\n\tname = Emily\n\temail = emily@example.com\n";
    std::fs::write(w.path("home").join(".gitconfig"), user).unwrap();
    w.ok("pass", &["git", "init"], "");
    // Signing asked for from now on.
    std::fs::write(
        w.path("home").join(".gitconfig"),
        format!("{user}\tsigningkey = signer@example.com\n[commit]\n\tgpgsign = true\n"),
    )
    .unwrap();
    let dv = dovecot_for("pass-gitsign", PW1);

    let (code, out, err) = w.cli(
        &dv,
        &["store", email, "--password-stdin"],
        &format!("{PW1}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !w.path("pinentry-started").exists(),
        "a pinentry was started for git's signature"
    );
    let log = w.ok(
        "git",
        &[
            "-C",
            w.path("store").to_str().unwrap(),
            "log",
            "--format=%G? %s",
        ],
        "",
    );
    assert!(log.contains(email), "the save was committed: {log}");
    assert!(
        log.lines().all(|l| l.starts_with("N ")),
        "unsigned commits: {log}"
    );
}

/// gpg writes a pass entry without fsync, so a power cut just after a
/// rotation could leave it empty. After `pass insert` the binary itself
/// flushes the entry file and the directory naming it: watched with
/// strace, which shows the path behind each synced descriptor, and only
/// in the binary's own process (not pass's or gpg's). The entry then
/// decrypts, read straight from its file, to the whole password. What no
/// test here can show is that the disk honours the flush: that takes
/// pulling the power.
#[test]
fn a_stored_pass_entry_is_flushed_to_disk_by_the_binary() {
    let email = "pass-fsync@icloud.com";
    let w = PassWorld::new();
    assert!(
        w.run("sh", &["-c", "command -v strace"], "")
            .status
            .success(),
        "strace is not installed: this test needs Debian's strace"
    );
    w.init_store("fsync@example.com", "");
    let dv = dovecot_for("pass-fsync", PW1);
    let trace = w.path("trace");
    let o = w
        .command("strace")
        .args(["-f", "-y", "-qq", "-e", "trace=execve,fsync,fdatasync"])
        .args(["-e", "signal=none", "-o"])
        .arg(&trace)
        .args([bin(), "store", email, "--password-stdin"])
        .envs(dv.env())
        .stdin(format!("{PW1}\n"))
        .run();
    assert!(o.status.success(), "{}", o.stderr);
    let trace = std::fs::read_to_string(&trace).unwrap();
    let pid_of = |line: &str| line.split_whitespace().next().unwrap_or("").to_string();
    let ours = trace
        .lines()
        .find(|l| l.contains(&format!("execve(\"{}\"", bin())))
        .map(pid_of)
        .unwrap_or_else(|| panic!("the binary's start is not in the trace:\n{trace}"));
    let dir = w.path("store").join("icloud-mail-setup");
    let synced_by_us = |path: &std::path::Path| {
        trace.lines().any(|l| {
            pid_of(l) == ours
                && (l.contains(" fsync(") || l.contains(" fdatasync("))
                && l.contains(&format!("<{}>)", path.display()))
                && l.trim_end().ends_with("= 0")
        })
    };
    for file in [dir.join(format!("{email}.gpg")), dir.clone()] {
        assert!(
            synced_by_us(&file),
            "{} not flushed by the binary (pid {ours}):\n{trace}",
            file.display()
        );
    }
    let plain = w.ok(
        "gpg",
        &[
            "--batch",
            "--quiet",
            "--decrypt",
            dir.join(format!("{email}.gpg")).to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(plain, format!("{PW1}\n"), "the entry is complete");
}
