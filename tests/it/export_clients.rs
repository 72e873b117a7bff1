//! `export` with the real mail clients: the real binary writes their
//! configs into a private HOME, and the real mbsync, msmtp, neomutt, aerc
//! and git use them against a real Dovecot (IMAP + submission relaying to
//! an SMTP sink), the password coming only from the real Secret Service
//! through `icloud-mail-setup password` (the binary, first on PATH).
//!
//! These tests fail, rather than skip, without a session bus or Dovecot;
//! a missing neomutt or aerc fails its test under CI (CI=true), and
//! elsewhere is reported loudly and that test skips.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;
use crate::tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Bin;
use common::dovecot::Dovecot;
use common::keyring::require_bus;
use tmux::{Tmux, bin, files_under, sh_quote};

const PW1: &str = "wxyz-abcd-efgh-ijkl";
const PW2: &str = "mnop-qrst-uvwx-yzab";

/// A Dovecot with one user, a private HOME with our binary first on PATH,
/// and our config holding that user's account, its password stored.
struct World {
    dovecot: Dovecot,
    root: tempfile::TempDir,
    local: String,
    email: String,
}

/// Fail with the reason when the binary under test is not this build's:
/// a target directory shared between work trees (same binary name, same
/// hash) can have another branch's build in its place.
fn require_this_build() {
    let help = Bin::new().arg("--help").run();
    assert!(
        help.stdout.contains("\n  export "),
        "{} has no `export` command: it is not this build's binary (another work tree \
         sharing the target directory rebuilt it meanwhile). Run the tests again.",
        bin()
    );
}

impl World {
    fn new(tag: &str) -> World {
        require_bus();
        require_this_build();
        let dovecot = Dovecot::start();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let local = format!("{tag}-{}-{nanos}", std::process::id());
        let email = format!("{local}@icloud.com");
        dovecot.set_users(&[&local, &email], PW1);
        let root = tempfile::tempdir().unwrap();
        let w = World {
            dovecot,
            root,
            local,
            email,
        };
        std::fs::create_dir_all(w.home().join(".config")).unwrap();
        std::fs::create_dir_all(w.bin_dir()).unwrap();
        std::os::unix::fs::symlink(bin(), w.bin_dir().join("icloud-mail-setup")).unwrap();
        let (code, out, err) = w.store(PW1);
        assert_eq!(code, 0, "store: {out}\n{err}");
        w
    }

    /// A world for a test of `client`'s own run; `None` (the test skips,
    /// or fails under CI, see [`installed`]) when it is not installed.
    fn for_client(client: &str, tag: &str) -> Option<World> {
        installed(client).then(|| World::new(tag))
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    fn bin_dir(&self) -> PathBuf {
        self.root.path().join("bin")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("cfg/config.toml")
    }

    /// What every process here runs with: the private HOME, our binary
    /// first on PATH. The session bus (for the keyring) is inherited. The
    /// config is not the default one and is in no variable: our own runs
    /// name it with `--config` ([`World::ours`]), so a client finds it only
    /// if the password command we exported for it names it too.
    fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            ("HOME".into(), self.home().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                self.home().join(".config").display().to_string(),
            ),
            ("PATH".into(), path),
            (
                "GIT_CONFIG_GLOBAL".into(),
                self.home().join(".gitconfig").display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ]
    }

    /// `command` for a tmux pane: tmux (3.3) does not pass a session's
    /// PATH to the pane's first command, so it is set on the command line.
    fn in_terminal(&self, command: &str) -> String {
        let path = self
            .env()
            .into_iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v)
            .unwrap();
        format!("PATH={} exec {command}", sh_quote(&path))
    }

    fn command(&self, program: &str) -> Bin {
        Bin::program(program)
            .home(self.home())
            .envs(self.env())
            .current_dir(self.root.path())
    }

    fn run(&self, program: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
        self.command(program).args(args).stdin(stdin).run().triple()
    }

    /// Our binary (by its PATH name, as the clients run it), given this
    /// world's config with `--config`.
    fn ours(&self) -> Bin {
        self.command("icloud-mail-setup")
            .arg("--config")
            .arg(self.config())
    }

    /// Our command as the fixes we print name it: with this world's
    /// `--config`, so a fix acts on the same config.
    fn typed(&self) -> String {
        format!(
            "icloud-mail-setup --config {}",
            icloud_mail_setup::sys::text::shell_quote(&self.config().display().to_string())
        )
    }

    /// [`World::ours`] with `args`.
    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        self.ours().args(args).run().triple()
    }

    /// `store EMAIL --password-stdin` against this Dovecot.
    fn store(&self, password: &str) -> (i32, String, String) {
        self.spawn_store(password, &[]).wait().triple()
    }

    /// `store EMAIL --password-stdin` started with `env` added, the
    /// password written, its stdout and stderr piped.
    fn spawn_store(&self, password: &str, env: &[(&str, &str)]) -> common::bin::Running {
        self.ours()
            .envs(self.dovecot.env())
            .envs(env.iter().copied())
            .args(["store", &self.email, "--password-stdin", "--label", "test"])
            .stdin(format!("{password}\n"))
            .spawn()
    }

    fn export_write(&self, client: &str) -> String {
        let (code, out, err) = self.cli(&["export", client, &self.email, "--write"]);
        assert_eq!(code, 0, "export {client} --write: {out}\n{err}");
        out
    }

    /// A message with a unique subject, put into the user's INBOX.
    fn deliver(&self, subject: &str) {
        self.dovecot.deliver(
            &self.local,
            &format!(
                "From: someone@example.org\r\nTo: {}\r\nSubject: {subject}\r\n\
                 Message-ID: <{subject}@example.org>\r\n\r\nHello.\r\n",
                self.email
            ),
        );
    }

    /// `mbsync -a`, nothing prepared: `export mbsync --write` must have
    /// made what its first run needs.
    fn mbsync(&self) -> (i32, String, String) {
        self.run("mbsync", &["-a"], "")
    }

    /// The password command every export must carry: this build's binary
    /// by its absolute path (it is in no system directory), our config
    /// (not the default), `--` before the address.
    fn password_command(&self) -> String {
        format!(
            "{} --config {} password -- {}",
            this_binary(),
            self.config().display(),
            self.email
        )
    }

    /// `program ARGS` as cron runs it: `env -i` with only
    /// `PATH=/usr/bin:/bin`, HOME and the session bus (where the keyring
    /// is); no ICLOUD_MAIL_SETUP_CONFIG, no XDG_CONFIG_HOME, and our
    /// binary on no PATH it searches.
    fn run_as_cron(&self, program: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
        Bin::program("/usr/bin/env")
            .arg("-i")
            .arg("PATH=/usr/bin:/bin")
            .arg(format!("HOME={}", self.home().display()))
            .arg(format!(
                "DBUS_SESSION_BUS_ADDRESS={}",
                std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default()
            ))
            .arg(program)
            .args(args)
            .current_dir(self.root.path())
            .stdin(stdin)
            .run()
            .triple()
    }

    /// The local Maildir INBOX's messages.
    fn local_inbox(&self) -> String {
        let inbox = self.home().join("Mail").join(&self.email).join("INBOX");
        let mut all = String::new();
        for sub in ["new", "cur"] {
            for f in std::fs::read_dir(inbox.join(sub)).into_iter().flatten() {
                all.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
            }
        }
        all
    }

    fn msmtp_send(&self, subject: &str) -> (i32, String, String) {
        let msg = format!(
            "From: {}\nTo: friend@example.org\nSubject: {subject}\n\nHi.\n",
            self.email
        );
        self.run("msmtp", &["-a", &self.email, "friend@example.org"], &msg)
    }

    /// Wait (bounded) until the sink has received `subject`.
    fn sink_has(&self, subject: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            if self.dovecot.sink_log().contains(subject) {
                return true;
            }
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.home().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn our_config(&self) -> toml::Table {
        std::fs::read_to_string(self.config())
            .unwrap()
            .parse()
            .unwrap()
    }

    fn exported(&self) -> Vec<String> {
        let t = self.our_config();
        let account = t["account"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"].as_str() == Some(self.email.as_str()))
            .unwrap()
            .clone();
        account
            .get("exported")
            .and_then(|e| e.as_array())
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// No file under the private root holds a password.
    fn assert_no_password_in_files(&self) {
        let files = files_under(self.root.path());
        assert!(!files.is_empty());
        for f in files {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
            for pw in [PW1, PW2] {
                assert!(!text.contains(pw), "{} holds a password", f.display());
            }
        }
    }
}

/// The binary under test as the running program sees itself (symlinks
/// resolved, as /proc/self/exe has it).
fn this_binary() -> String {
    std::fs::canonicalize(bin()).unwrap().display().to_string()
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{nanos}")
}

/// Whether `program` is on PATH. Missing, it fails the test under CI
/// (CI=true: scripts/test installs it); elsewhere the test says so loudly
/// and skips.
fn installed(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false"),
            "{program} is not installed, and CI is set: scripts/test installs it \
             (apt-get install {program})"
        );
        eprintln!(
            "\n!!! SKIPPED: {program} is not installed; scripts/test installs it \
             (apt-get install {program}). !!!\n"
        );
    }
    found
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".icloud-mail-setup-")
        })
        .collect()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn mbsync_syncs_and_msmtp_sends_then_both_survive_a_rotation() {
    let w = World::new("sync");
    let out = w.export_write("mbsync");
    assert!(
        out.contains(".mbsyncrc") && out.contains("a new file"),
        "{out}"
    );
    let out = w.export_write("msmtp");
    assert!(out.contains("msmtp/config"), "{out}");
    assert_eq!(mode(&w.home().join(".mbsyncrc")), 0o600);
    assert_eq!(mode(&w.home().join(".config/msmtp/config")), 0o600);
    let mbsyncrc = w.read(".mbsyncrc");
    let msmtprc = w.read(".config/msmtp/config");
    assert!(
        mbsyncrc.contains(&format!("PassCmd \"{}\"", w.password_command())),
        "{mbsyncrc}"
    );
    assert!(
        msmtprc.contains(&format!("passwordeval \"{}\"", w.password_command())),
        "{msmtprc}"
    );
    // The file had no default account: this one is it.
    assert!(
        msmtprc.contains(&format!("\naccount default : {}\n", w.email)),
        "{msmtprc}"
    );
    assert_eq!(w.exported(), vec!["mbsync", "msmtp"]);

    // mbsync fetches a message put into the server's INBOX.
    let first = unique("first");
    w.deliver(&first);
    let (code, out, err) = w.mbsync();
    assert_eq!(code, 0, "mbsync: {out}\n{err}\n{}", w.dovecot.auth_log());
    assert!(w.local_inbox().contains(&first), "{out}\n{err}");
    assert!(w.dovecot.successful_logins("imap", &w.local) >= 1);

    // msmtp sends through submission; the sink behind it receives it.
    let sent = unique("sent");
    let (code, out, err) = w.msmtp_send(&sent);
    assert_eq!(code, 0, "msmtp: {out}\n{err}");
    assert!(w.sink_has(&sent), "{}", w.dovecot.sink_log());

    // The password changes at the server (a revoked app-specific password):
    // both fail, since all they have is what the keyring gives them.
    w.dovecot.set_users(&[&w.local, &w.email], PW2);
    let (code, _, _) = w.mbsync();
    assert_ne!(code, 0, "mbsync must fail with the revoked password");
    let (code, _, _) = w.msmtp_send(&unique("refused"));
    assert_ne!(code, 0, "msmtp must fail with the revoked password");

    // The new password goes into the keyring; the client configs stay as
    // they are, and both work again.
    let (code, out, err) = w.store(PW2);
    assert_eq!(code, 0, "store: {out}\n{err}");
    assert_eq!(w.read(".mbsyncrc"), mbsyncrc);
    assert_eq!(w.read(".config/msmtp/config"), msmtprc);
    let second = unique("second");
    w.deliver(&second);
    let (code, out, err) = w.mbsync();
    assert_eq!(code, 0, "mbsync after rotation: {out}\n{err}");
    assert!(w.local_inbox().contains(&second));
    let again = unique("again");
    let (code, out, err) = w.msmtp_send(&again);
    assert_eq!(code, 0, "msmtp after rotation: {out}\n{err}");
    assert!(w.sink_has(&again));
    // The rotation kept the record of what was exported.
    assert_eq!(w.exported(), vec!["mbsync", "msmtp"]);
    w.assert_no_password_in_files();
}

/// Under CI a missing client fails its test instead of passing in
/// silence: this test binary, run again with a PATH that has `sh` but no
/// neomutt (issue 17).
#[test]
fn a_missing_client_fails_its_test_under_ci() {
    let dir = tempfile::tempdir().unwrap();
    let sh = Command::new("sh")
        .args(["-c", "command -v sh"])
        .output()
        .unwrap();
    let sh = String::from_utf8_lossy(&sh.stdout).trim().to_string();
    std::os::unix::fs::symlink(&sh, dir.path().join("sh")).unwrap();
    let run = |ci: Option<&str>| {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args([
            "export_clients::neomutt_reads_its_export_and_gets_the_password_from_the_command",
            "--exact",
            "--nocapture",
        ])
        .env("PATH", dir.path())
        .env_remove("CI");
        if let Some(v) = ci {
            c.env("CI", v);
        }
        c.output().unwrap()
    };
    let o = run(Some("true"));
    let said =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{said}");
    assert!(
        said.contains("neomutt is not installed, and CI is set"),
        "{said}"
    );
    // Outside CI it says so loudly and skips.
    let o = run(None);
    let said =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{said}");
    assert!(said.contains("SKIPPED: neomutt is not installed"), "{said}");
}

#[test]
fn neomutt_reads_its_export_and_gets_the_password_from_the_command() {
    let Some(w) = World::for_client("neomutt", "mutt") else {
        return;
    };
    let out = w.export_write("neomutt");
    let rc = w.home().join(".config/neomutt/neomuttrc");
    assert!(out.contains("neomuttrc"), "{out}");
    let query = |var: &str| {
        let (code, out, err) = w.run(
            "neomutt",
            &["-n", "-F", rc.to_str().unwrap(), "-Q", var],
            "",
        );
        assert_eq!(code, 0, "neomutt -Q {var}: {out}\n{err}");
        assert!(!err.contains("Error"), "neomutt -Q {var}: {err}");
        // The live `mailboxes` line logs in as the file is read, with LOGIN.
        assert!(out.starts_with("Authenticating (LOGIN)...\n"), "{out}");
        out.lines().last().unwrap_or_default().trim().to_string()
    };
    assert_eq!(
        query("imap_user"),
        format!("set imap_user = \"{}\"", w.local)
    );
    assert_eq!(
        query("smtp_user"),
        format!("set smtp_user = \"{}\"", w.email)
    );
    assert_eq!(
        query("folder"),
        format!(
            "set folder = \"imaps://localhost:{}/\"",
            w.dovecot.imap.port
        )
    );
    assert_eq!(
        query("smtp_url"),
        format!(
            "set smtp_url = \"smtp://localhost:{}/\"",
            w.dovecot.smtp.port
        )
    );
    // `+` is the IMAP folder: iCloud's folder names on that server.
    let folder = format!("imaps://localhost:{}/", w.dovecot.imap.port);
    assert_eq!(
        query("record"),
        format!("set record = \"{folder}Sent Messages\"")
    );
    assert_eq!(
        query("trash"),
        format!("set trash = \"{folder}Deleted Messages\"")
    );
    assert_eq!(
        query("postponed"),
        format!("set postponed = \"{folder}Drafts\"")
    );
    assert_eq!(
        query("ssl_ca_certificates_file"),
        format!(
            "set ssl_ca_certificates_file = \"{}\"",
            w.dovecot.ca_file.display()
        )
    );
    // The backticks ran our binary, which read the keyring: neomutt holds
    // the password without it being in any file.
    assert_eq!(query("imap_pass"), format!("set imap_pass = \"{PW1}\""));
    assert_eq!(query("smtp_pass"), format!("set smtp_pass = \"{PW1}\""));

    // In a terminal, neomutt logs in (TLS checked against the exported CA
    // file) and shows the INBOX.
    let subject = format!("mutt-{}", std::process::id());
    w.deliver(&subject);
    let mut env = w.env();
    env.push(("TERM".into(), "xterm-256color".into()));
    let t = Tmux::start(
        &w.in_terminal(&format!("neomutt -n -F {}", sh_quote(rc.to_str().unwrap()))),
        &env,
    );
    t.wait_for(&subject, 30);
    assert!(w.dovecot.successful_logins("imap", &w.local) >= 1);
    t.keys(&["q"]);
    w.assert_no_password_in_files();
}

#[test]
fn aerc_reads_its_export_and_shows_the_inbox() {
    let Some(w) = World::for_client("aerc", "aerc") else {
        return;
    };
    let subject = format!("aerc-{}", std::process::id());
    w.deliver(&subject);
    w.export_write("aerc");
    let conf = w.home().join(".config/aerc/accounts.conf");
    assert_eq!(mode(&conf), 0o600);
    // aerc has no CA option: the exported comment says to use SSL_CERT_FILE.
    assert!(
        w.read(".config/aerc/accounts.conf")
            .contains("SSL_CERT_FILE=")
    );
    let mut env = w.env();
    env.push((
        "SSL_CERT_FILE".into(),
        w.dovecot.ca_file.display().to_string(),
    ));
    env.push(("TERM".into(), "xterm-256color".into()));
    let t = Tmux::start(&w.in_terminal("aerc"), &env);
    // aerc logs in with the password from source-cred-cmd (our binary, the
    // keyring) and lists the INBOX.
    let screen = t.wait_for(&subject, 30);
    assert!(screen.contains(&w.email), "{screen}");
    assert!(w.dovecot.successful_logins("imap", &w.local) >= 1);
    t.keys(&[":", "q", "u", "i", "t", "Enter"]);
    w.assert_no_password_in_files();
}

#[test]
fn himalaya_export_is_toml_with_the_account() {
    let w = World::new("hima");
    w.export_write("himalaya");
    let t: toml::Table = w.read(".config/himalaya/config.toml").parse().unwrap();
    let a = &t["accounts"][w.email.as_str()];
    assert_eq!(
        a["imap"]["server"].as_str().unwrap(),
        format!("imaps://localhost:{}", w.dovecot.imap.port)
    );
    // IMAP logs in with LOGIN, as our check does.
    assert_eq!(
        a["imap"]["sasl"]["login"]["username"].as_str().unwrap(),
        w.local
    );
    assert!(a["imap"]["sasl"].get("plain").is_none());
    // The only account: the default.
    assert_eq!(a["default"].as_bool(), Some(true));
    assert_eq!(
        a["smtp"]["server"].as_str().unwrap(),
        format!("smtp://localhost:{}", w.dovecot.smtp.port)
    );
    assert_eq!(a["smtp"]["starttls"].as_bool(), Some(true));
    assert_eq!(
        a["smtp"]["tls"]["cert"].as_str().unwrap(),
        w.dovecot.ca_file.display().to_string()
    );
    let cmd = a["smtp"]["sasl"]["plain"]["password"]["command"]
        .as_str()
        .unwrap();
    assert_eq!(cmd, w.password_command());
    // The command, run as himalaya runs it (sh -c), gives the password.
    let (code, out, _) = w.run("sh", &["-c", cmd], "");
    assert_eq!((code, out.as_str()), (0, format!("{PW1}\n").as_str()));
    assert_eq!(
        a["mailbox"]["alias"]["sent"].as_str(),
        Some("Sent Messages")
    );
    assert_eq!(
        a["mailbox"]["alias"]["trash"].as_str(),
        Some("Deleted Messages")
    );
}

#[test]
fn writing_into_an_existing_config_keeps_everything_else() {
    let w = World::new("keep");
    let conf = w.home().join(".config/aerc/accounts.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let theirs = "# my accounts\n[work]\nsource = imaps://me@work.example:993\nfrom = Me <me@work.example>\n";
    std::fs::write(&conf, theirs).unwrap();
    std::fs::set_permissions(&conf, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();

    let out = w.export_write("aerc");
    assert!(
        out.contains("Added to") && out.contains("previous version"),
        "{out}"
    );
    let after = std::fs::read_to_string(&conf).unwrap();
    assert!(after.starts_with(&format!(
        "{theirs}\n# >>> icloud-mail-setup {} >>>\n",
        w.email
    )));
    assert!(after.ends_with(&format!("# <<< icloud-mail-setup {} <<<\n", w.email)));
    assert_eq!(mode(&conf), 0o640, "the file keeps its mode");
    let made = backups(conf.parent().unwrap());
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(std::fs::read_to_string(&made[0]).unwrap(), theirs);
    assert_eq!(mode(&made[0]), 0o640);

    // Again: byte-identical, no new backup.
    let out = w.export_write("aerc");
    assert!(out.contains("already up to date"), "{out}");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), after);
    assert_eq!(backups(conf.parent().unwrap()).len(), 1);

    // The person adds a section after ours and edits inside our block:
    // the block is replaced in place, everything outside stays as it is.
    let later = "\n[later]\nsource = imaps://x@later.example:993\n";
    let edited =
        format!("{after}{later}").replace("copy-to           = Sent Messages", "copy-to = Sent");
    // (Within the same second the backup gets a `-2` name: no waiting.)
    std::fs::write(&conf, &edited).unwrap();
    let out = w.export_write("aerc");
    assert!(out.contains("Updated"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        format!("{after}{later}")
    );
    assert_eq!(backups(conf.parent().unwrap()).len(), 2);
    assert_eq!(w.exported(), vec!["aerc"]);
    w.assert_no_password_in_files();
}

#[test]
fn a_symlinked_config_is_written_through_and_stays_a_link() {
    let w = World::new("link");
    let real = w.home().join("dotfiles/msmtprc");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "defaults\nlogfile ~/.msmtp.log\n").unwrap();
    let link = w.home().join(".config/msmtp/config");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("../../dotfiles/msmtprc", &link).unwrap();

    let out = w.export_write("msmtp");
    assert!(out.contains("Added to"), "{out}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(text.starts_with("defaults\nlogfile ~/.msmtp.log\n\n# >>> icloud-mail-setup"));
    assert_eq!(
        backups(real.parent().unwrap()).len(),
        1,
        "the backup is next to the target"
    );
    // msmtp reads it through the link and sends.
    let subject = unique("linked");
    let (code, out, err) = w.msmtp_send(&subject);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(w.sink_has(&subject));
}

#[test]
fn an_unwritable_or_unparseable_config_is_refused_and_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new("refuse");
    let e = w.email.clone();
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "mbsync",
            ".mbsyncrc",
            "IMAPAccount mine\nHost x\n".into(),
            "read-only",
        ),
        (
            "himalaya",
            ".config/himalaya/config.toml",
            "[accounts.work\nemail = \"w@x.org\"\n".into(),
            "does not parse as TOML",
        ),
        (
            "aerc",
            ".config/aerc/accounts.conf",
            format!("[{e}]\nsource = imaps://x@y:993\n"),
            "already has an account",
        ),
        (
            "msmtp",
            ".config/msmtp/config",
            format!("# >>> icloud-mail-setup {e} >>>\naccount x\n"),
            "never closed",
        ),
        (
            "neomutt",
            ".config/neomutt/neomuttrc",
            format!(
                "# >>> icloud-mail-setup other@icloud.com >>>\n# >>> icloud-mail-setup {e} >>>\n\
                 # <<< icloud-mail-setup {e} <<<\n# <<< icloud-mail-setup other@icloud.com <<<\n"
            ),
            "inside the block for other@icloud.com",
        ),
    ];
    for (client, rel, content, why) in &cases {
        let path = w.home().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let m = if *why == "read-only" { 0o444 } else { 0o600 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        let (code, out, err) = w.cli(&["export", client, &e, "--write"]);
        assert_eq!(code, 1, "{client}: {out}\n{err}");
        assert!(err.contains(why), "{client}: {err}");
        assert!(err.contains("nothing was changed"), "{client}: {err}");
        assert!(out.is_empty(), "{client}: {out}");
        assert_eq!(
            &std::fs::read_to_string(&path).unwrap(),
            content,
            "{client}"
        );
        assert!(backups(path.parent().unwrap()).is_empty(), "{client}");
    }
    assert!(w.exported().is_empty());
}

#[test]
fn git_export_sets_the_keys_in_the_global_config() {
    let w = World::new("git");
    let gitconfig = w.home().join(".gitconfig");
    let theirs = "[user]\n\tname = Emily\n[credential]\n\thelper = store\n";
    std::fs::write(&gitconfig, theirs).unwrap();
    let out = w.export_write("git");
    assert!(
        out.contains(".gitconfig") && out.contains("previous version"),
        "{out}"
    );
    let git = |args: &[&str]| {
        let (code, out, err) = w.run("git", args, "");
        assert_eq!(code, 0, "git {args:?}: {err}");
        out.trim_end_matches('\n').to_string()
    };
    let port = w.dovecot.smtp.port.to_string();
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.smtpServer"]),
        "localhost"
    );
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.smtpServerPort"]),
        port
    );
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.smtpEncryption"]),
        "tls"
    );
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.smtpUser"]),
        w.email
    );
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.from"]),
        w.email
    );
    assert_eq!(
        git(&["config", "--global", "--get", "sendemail.smtpSSLCertPath"]),
        w.dovecot.ca_file.display().to_string()
    );
    // The helper is scoped to the SMTP URL git send-email asks about, and
    // resets the general `store` helper there.
    let url = format!("smtp://{}%40icloud.com@localhost:{port}", w.local);
    let helper = format!(
        "!{} --config {} git-credential",
        this_binary(),
        w.config().display()
    );
    let get = |how: &str, key: &str, url: &str| git(&["config", "--global", how, key, url]);
    assert_eq!(get("--get-urlmatch", "credential.helper", &url), helper);
    // All of them: the reset (empty), then ours.
    let all = git(&[
        "config",
        "--global",
        "--get-all",
        &format!("credential.{url}.helper"),
    ]);
    assert_eq!(all, format!("\n{helper}"));
    assert_eq!(
        get("--get-urlmatch", "credential.helper", "https://github.com"),
        "store"
    );
    assert_eq!(git(&["config", "--global", "--get", "user.name"]), "Emily");
    assert_eq!(backups(&w.home()).len(), 1);
    // Again: nothing changes.
    let before = std::fs::read_to_string(&gitconfig).unwrap();
    let out = w.export_write("git");
    assert!(out.contains("already up to date"), "{out}");
    assert_eq!(std::fs::read_to_string(&gitconfig).unwrap(), before);
    assert_eq!(backups(&w.home()).len(), 1);
    assert_eq!(w.exported(), vec!["git"]);
    // What `export git` prints is the same settings, as git reads them.
    let (code, printed, err) = w.cli(&["export", "git"]);
    assert_eq!(code, 0, "{err}");
    let snippet = w.root.path().join("snippet");
    std::fs::write(&snippet, printed).unwrap();
    assert_eq!(
        git(&[
            "config",
            "--file",
            snippet.to_str().unwrap(),
            "--get",
            "sendemail.smtpServerPort"
        ]),
        port
    );
    w.assert_no_password_in_files();
}

#[test]
fn printing_writes_nothing_and_every_client_prints() {
    let w = World::new("print");
    for client in ["mbsync", "msmtp", "neomutt", "aerc", "himalaya", "git"] {
        // One account configured: the address may be left out.
        let (code, out, err) = w.cli(&["export", client]);
        assert_eq!(code, 0, "{client}: {err}");
        assert!(out.contains(&w.email), "{client}: {out}");
        assert!(out.contains("icloud-mail-setup"), "{client}: {out}");
        assert!(!out.contains(PW1), "{client}");
    }
    let (_, out, _) = w.cli(&["export", "msmtp", &w.email]);
    assert!(out.starts_with(&format!("# >>> icloud-mail-setup {} >>>\n", w.email)));
    assert!(
        files_under(&w.home()).is_empty(),
        "{:?}",
        files_under(&w.home())
    );
    assert!(w.exported().is_empty());
}

#[test]
fn bad_input_exits_with_the_documented_codes() {
    require_this_build();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let entry = |email: &str, extra: &str| {
        format!("[[account]]\nemail = \"{email}\"\nlogin = \"{email}\"\n{extra}\n")
    };
    std::fs::write(&config, entry("a@icloud.com", "")).unwrap();
    let run = |args: &[&str]| {
        Bin::new()
            .args(args)
            .env("ICLOUD_MAIL_SETUP_CONFIG", &config)
            .home(dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .run()
            .triple()
    };
    let (code, _, err) = run(&["export", "thunderbird"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mbsync, msmtp, neomutt, aerc, himalaya, git"),
        "{err}"
    );
    let (code, _, err) = run(&["export", "mbsync", "nobody@icloud.com"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("no account nobody@icloud.com"), "{err}");
    let (code, _, err) = run(&["export", "mbsync", "not an address"]);
    assert_eq!(code, 2, "{err}");

    // Two accounts and no address: say which.
    std::fs::write(
        &config,
        entry("a@icloud.com", "") + &entry("b@icloud.com", ""),
    )
    .unwrap();
    let (code, _, err) = run(&["export", "aerc"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a@icloud.com, b@icloud.com"), "{err}");

    // A hand-edited config with a value no client format can carry safely:
    // refused as the config is read, at its line, nothing printed.
    std::fs::write(
        &config,
        entry(
            "a@icloud.com",
            "imap_username = \"a\\nPassCmd \\\"touch /tmp/pwned\\\"\"",
        ),
    )
    .unwrap();
    let (code, out, err) = run(&["export", "mbsync"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("config.toml:4:")
            && err.contains("IMAP username")
            && err.contains("control or invisible characters"),
        "{err}"
    );
    assert!(!err.contains('\n') || err.lines().count() <= 3, "{err}");
    // --file needs --write.
    let (code, _, err) = run(&["export", "mbsync", "--file", "/tmp/x"]);
    assert_eq!(code, 2, "{err}");
}

/// The iCloud folders the clients file copies in (Dovecot starts with
/// INBOX only).
const ICLOUD_FOLDERS: [&str; 5] = [
    "Sent Messages",
    "Drafts",
    "Archive",
    "Junk",
    "Deleted Messages",
];

#[test]
fn first_run_from_crons_path_mbsync_fetches_and_msmtp_sends() {
    let w = World::new("cron");
    // The binary under test lives in a cargo build directory: the export
    // says the password command would not last.
    let (code, out, err) = w.cli(&["export", "mbsync", &w.email, "--write"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("cargo build directory"), "{err}");
    assert!(out.contains("mbsync"), "{out}");
    assert!(w.home().join("Mail").join(&w.email).is_dir());
    w.export_write("msmtp");
    let waiting = unique("waiting");
    w.deliver(&waiting);
    // As cron runs them: PATH=/usr/bin:/bin, no config variable. The
    // password command names the binary and the config itself.
    let (code, out, err) = w.run_as_cron("mbsync", &["-a"], "");
    assert_eq!(code, 0, "mbsync from cron: {out}\n{err}");
    assert!(w.local_inbox().contains(&waiting), "{out}\n{err}");
    let sent = unique("cron-sent");
    // No -a: the export made this account msmtp's default.
    let (code, out, err) = w.run_as_cron(
        "msmtp",
        &["friend@example.org"],
        &format!(
            "From: {}\nTo: friend@example.org\nSubject: {sent}\n\nHi.\n",
            w.email
        ),
    );
    assert_eq!(code, 0, "msmtp from cron: {out}\n{err}");
    assert!(w.sink_has(&sent), "{}", w.dovecot.sink_log());
    w.assert_no_password_in_files();
}

#[test]
fn a_password_command_never_takes_an_address_for_an_option() {
    let w = World::new("dash");
    // The exported command ends the options before the address.
    let (code, out, err) = w.run("sh", &["-c", &w.password_command()], "");
    assert_eq!(
        (code, out.as_str()),
        (0, format!("{PW1}\n").as_str()),
        "{err}"
    );
    // An address that would be an option is refused at once, exit 2,
    // whether or not it comes after `--`, and no help text is printed.
    for args in [
        vec!["password", "--", "-h@icloud.com"],
        vec!["export", "msmtp", "--", "-x@icloud.com"],
    ] {
        let (code, out, err) = w.cli(&args);
        assert_eq!(code, 2, "{args:?}: {out}\n{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains("starts with `-`"), "{args:?}: {err}");
    }
}

#[test]
fn aerc_sends_with_its_first_export() {
    let Some(w) = World::for_client("aerc", "aercsend") else {
        return;
    };
    w.dovecot.create_mailboxes(&w.local, &ICLOUD_FOLDERS);
    w.export_write("aerc");
    let conf = w.read(".config/aerc/accounts.conf");
    let (code, version, _) = w.run("aerc", &["-v"], "");
    assert_eq!(code, 0);
    if version.contains("aerc 0.14") {
        assert!(conf.contains("\nsmtp-starttls     = yes\n"), "{conf}");
    }
    assert!(conf.contains("as installed"), "{conf}");
    let mut env = w.env();
    env.push((
        "SSL_CERT_FILE".into(),
        w.dovecot.ca_file.display().to_string(),
    ));
    env.push(("TERM".into(), "xterm-256color".into()));
    env.push(("EDITOR".into(), "true".into()));
    let t = Tmux::start(&w.in_terminal("aerc"), &env);
    t.wait_for("INBOX", 30);
    t.keys(&[":compose", "Enter"]);
    // EDITOR=true returns at once: the review screen.
    t.wait_for("Send this email", 30);
    t.keys(&[":header To friend@example.org", "Enter"]);
    // The header is set (shown, the command line gone) before `y` sends:
    // a `y` that arrives first is read by the command line.
    t.wait_until("the To header on the review screen", 30, || {
        let s = t.screen();
        s.contains("friend@example.org") && !s.contains(":header")
    });
    t.keys(&["y"]);
    // Sent over STARTTLS with AUTH (Dovecot's submission takes nothing
    // else), and relayed: the only message from this account. What is
    // waited for is the message at the relay, not aerc's status line:
    // "Message sent" shows for a moment, and under load a capture may see
    // only the "Copying to Sent Messages" that follows it.
    let from = format!("From: <{}>", w.email);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !w.sink_has(&from) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        w.sink_has(&from),
        "aerc did not send within 30 s; screen:\n{}\nsink:\n{}",
        t.screen(),
        w.dovecot.sink_log()
    );
    assert!(w.dovecot.successful_logins("submission", &w.email) >= 1);
    t.keys(&[":quit", "Enter"]);
    w.assert_no_password_in_files();
}

#[test]
fn neomutt_sends_in_batch_mode_with_its_first_export() {
    let Some(w) = World::for_client("neomutt", "muttsend") else {
        return;
    };
    w.dovecot.create_mailboxes(&w.local, &ICLOUD_FOLDERS);
    w.export_write("neomutt");
    let rc = w.home().join(".config/neomutt/neomuttrc");
    let rc = rc.to_str().unwrap();
    let query = |var: &str| {
        let (code, out, err) = w.run("neomutt", &["-n", "-F", rc, "-Q", var], "");
        assert_eq!(code, 0, "neomutt -Q {var}: {out}\n{err}");
        out.lines().last().unwrap_or_default().trim().to_string()
    };
    assert_eq!(
        query("imap_authenticators"),
        "set imap_authenticators = \"login\""
    );
    let cache = query("header_cache");
    assert!(cache.contains(".cache/neomutt/"), "{cache}");
    assert!(
        w.home().join(".cache/neomutt").join(&w.email).is_dir(),
        "the export made the header cache directory"
    );
    let subject = unique("mutt-sent");
    let (code, out, err) = w.run(
        "neomutt",
        &["-n", "-F", rc, "-s", &subject, "friend@example.org"],
        "Hello from neomutt.\n",
    );
    assert_eq!(code, 0, "neomutt batch send: {out}\n{err}");
    assert!(w.sink_has(&subject), "{}", w.dovecot.sink_log());
    w.assert_no_password_in_files();
}

impl World {
    /// `git send-email` of a one-line patch, in `dir`, never prompting.
    fn send_patch(&self, dir: &Path, subject: &str) -> (i32, String, String) {
        let patch = self.root.path().join(format!("{subject}.patch"));
        std::fs::write(
            &patch,
            format!(
                "From: {}\nSubject: [PATCH] {subject}\n\nbody\n---\n a | 1 +\n",
                self.email
            ),
        )
        .unwrap();
        self.command("git")
            .current_dir(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", &self.email)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", &self.email)
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
            .args([
                "send-email",
                "--confirm=never",
                "--suppress-cc=all",
                "--to=maintainer@example.org",
            ])
            .arg(&patch)
            .run()
            .triple()
    }

    /// Every `.git-credentials` under the private root, and what it holds.
    fn git_credentials_files(&self) -> Vec<(PathBuf, String)> {
        files_under(self.root.path())
            .into_iter()
            .filter(|f| f.file_name().is_some_and(|n| n == ".git-credentials"))
            .map(|f| {
                let t = std::fs::read_to_string(&f).unwrap_or_default();
                (f, t)
            })
            .collect()
    }
}

#[test]
fn git_send_email_sends_and_a_later_store_helper_never_gets_the_password() {
    let w = World::new("gitse");
    w.export_write("git");
    // First run, nothing in between: git send-email sends.
    let (code, out, err) = w.send_patch(w.root.path(), &unique("first"));
    assert_eq!(code, 0, "git send-email: {out}\n{err}");
    assert!(out.contains("Result: 250"), "{out}");

    // The person later turns on `store` for everything, in the global
    // config (after our block) and then in a repository's config. Each
    // time our helper answers nothing and says which helper, where, and
    // the command that fixes it; that command works.
    let repo = w.root.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let (code, _, err) = w.run("git", &["init", "-q", repo.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let global = w.home().join(".gitconfig");
    let local = repo.join(".git/config");
    for (config_args, file) in [
        (
            vec!["config", "--global", "--add", "credential.helper", "store"],
            &global,
        ),
        (
            vec![
                "-C",
                repo.to_str().unwrap(),
                "config",
                "--local",
                "--add",
                "credential.helper",
                "store",
            ],
            &local,
        ),
    ] {
        let (code, _, err) = w.run("git", &config_args, "");
        assert_eq!(code, 0, "{err}");
        let refused = unique("refused");
        let (_, out, err) = w.send_patch(&repo, &refused);
        // (git send-email exits 0 here all the same.)
        assert!(
            !out.contains("Result: 250") && !w.dovecot.sink_log().contains(&refused),
            "sent although `store` would keep the password: {out}\n{err}"
        );
        assert!(err.contains("credential helper `store`"), "{err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(!err.contains(PW1) && !out.contains(PW1));
        let fix = err
            .lines()
            .find_map(|l| l.split_once("Fix: ").map(|(_, f)| f.to_string()))
            .unwrap_or_else(|| panic!("no fix command: {err}"));
        let (code, _, e) = w.run("sh", &["-c", &fix], "");
        assert_eq!(code, 0, "{fix}: {e}");
        let (code, out, err) = w.send_patch(&repo, &unique("fixed"));
        assert_eq!(code, 0, "after `{fix}`: {out}\n{err}");
        assert!(out.contains("Result: 250"), "{out}");
    }
    for (f, t) in w.git_credentials_files() {
        assert!(!t.contains(PW1), "{} holds the password", f.display());
    }
    w.assert_no_password_in_files();
}

#[test]
fn the_git_export_warns_when_a_helper_after_ours_would_keep_the_password() {
    let w = World::new("gitwarn");
    w.export_write("git");
    let (code, _, err) = w.run(
        "git",
        &["config", "--global", "--add", "credential.helper", "cache"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    // Exporting again changes nothing, and says what is wrong.
    let (code, out, err) = w.cli(&["export", "git", &w.email, "--write"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("warning: git would hand the password to the credential helper `cache`"),
        "{err}"
    );
    assert!(err.contains("Fix: git config --file"), "{err}");
}

#[test]
fn doctor_reports_each_broken_state_with_its_fix() {
    let w = World::new("doctor");
    w.export_write("mbsync");
    w.export_write("msmtp");
    let doctor = |extra_env: &[(&str, &str)]| {
        let (code, out, err) = w
            .ours()
            .args(["doctor", &w.email, "--json"])
            .envs(extra_env.iter().copied())
            .run()
            .triple();
        assert!(!out.contains(PW1) && !err.contains(PW1));
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        (code, v)
    };
    let failing = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["accounts"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .map(|c| {
                (
                    c["detail"].as_str().unwrap().to_string(),
                    c["fix"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };

    // Healthy: everything ok, exit 0.
    let (code, v) = doctor(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(failing(&v), vec![], "{v:#}");
    assert!(v["daily_check"].is_string());

    // A client upgrade that changes the syntax (isync 1.5: TLSType), as a
    // stub `mbsync` first on PATH: the block is out of date.
    let stub = w.root.path().join("stub");
    std::fs::create_dir_all(&stub).unwrap();
    std::fs::write(stub.join("mbsync"), "#!/bin/sh\necho isync 1.5.0\n").unwrap();
    std::fs::set_permissions(
        stub.join("mbsync"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        stub.display(),
        w.env().iter().find(|(k, _)| k == "PATH").unwrap().1
    );
    let (code, v) = doctor(&[("PATH", &path)]);
    assert_eq!(code, 1, "{v:#}");
    let f = failing(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].0.contains("differs from what export writes now"),
        "{f:?}"
    );
    assert_eq!(
        f[0].1,
        format!("{} export mbsync {} --write", w.typed(), w.email)
    );

    // Our block removed from msmtp's config.
    let msmtp = w.home().join(".config/msmtp/config");
    std::fs::write(&msmtp, "defaults\n").unwrap();
    let (code, v) = doctor(&[]);
    assert_eq!(code, 1, "{v:#}");
    let f = failing(&v);
    assert!(
        f.iter()
            .any(|(d, fix)| d.contains("no longer holds our block")
                && fix == &format!("{} export msmtp {} --write", w.typed(), w.email)),
        "{f:?}"
    );
    w.export_write("msmtp");

    // The password revoked at the server: exit 3, the fix is the wizard.
    w.dovecot.set_users(&[&w.local, &w.email], PW2);
    let (code, v) = doctor(&[]);
    assert_eq!(code, 3, "{v:#}");
    assert!(
        failing(&v)
            .iter()
            .any(|(_, fix)| fix == &format!("{} --account={}", w.typed(), w.email)),
        "{v:#}"
    );

    // No keyring: exit 5.
    let (code, v) = doctor(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")]);
    assert_eq!(code, 5, "{v:#}");
    assert!(
        failing(&v).iter().any(|(d, _)| d.contains("keyring")),
        "{v:#}"
    );
}

#[test]
fn list_points_to_doctor() {
    let w = World::new("listdoc");
    let (code, out, err) = w.cli(&["list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("{} doctor", w.typed())), "{out}");
}

#[test]
fn doctor_never_prints_an_escape_sequence_from_the_environment_raw() {
    let w = World::new("doctoresc");
    w.export_write("msmtp");
    // XDG_CONFIG_HOME is where msmtp's config is looked for: a name with
    // a terminal title sequence and a C1 CSI, which doctor reports as a
    // file it cannot read.
    let hostile = "x\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}y";
    let xdg = w.root.path().join(hostile);
    let escaped = icloud_mail_setup::sys::text::escape_for_terminal(hostile).into_owned();
    assert_ne!(escaped, hostile);
    for json in [false, true] {
        let (code, out, err) = w
            .ours()
            .args(["doctor", &w.email])
            .args(json.then_some("--json"))
            .env("XDG_CONFIG_HOME", &xdg)
            .run()
            .triple();
        assert_eq!(code, 1, "{out}\n{err}");
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "raw control characters on stdout: {out:?}"
        );
        if json {
            let v: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
            // The JSON still means the path as it is.
            let details: Vec<&str> = v["accounts"][0]["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["detail"].as_str())
                .collect();
            assert!(
                details
                    .iter()
                    .any(|d| d.contains(&format!("{}/msmtp/config cannot be read", xdg.display()))),
                "{details:?}"
            );
        } else {
            assert!(
                out.contains(&format!("{escaped}/msmtp/config cannot be read")),
                "{out}"
            );
        }
    }
}

/// A real `store` SIGKILLed after each step of its save (held there by
/// the test-only `ICLOUD_MAIL_SETUP_TEST_PAUSE_SAVE`), against the real
/// Secret Service and Dovecot: the next runs serve a working password
/// (the old one before the new is recorded as pending, the new verified
/// one after), settle the save with the words that match, and leave
/// nothing to settle.
#[test]
fn a_store_killed_at_each_step_of_its_save_loses_no_password() {
    use std::io::BufRead;
    // The pause hook is compiled into debug builds only.
    #[cfg(not(debug_assertions))]
    panic!("needs a debug build: release builds ignore ICLOUD_MAIL_SETUP_TEST_PAUSE_SAVE");
    for step in 1..=4u8 {
        let w = World::new(&format!("kill{step}"));
        w.dovecot.set_users(&[&w.local, &w.email], PW2);
        let step_s = step.to_string();
        let mut child = w.spawn_store(PW2, &[("ICLOUD_MAIL_SETUP_TEST_PAUSE_SAVE", &step_s)]);
        let stderr = child.child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let marker = format!("test: save paused after step {step}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == marker => break,
                Ok(line) => seen.push(line),
                Err(e) => {
                    let _ = child.child.kill();
                    panic!("step {step}: no pause marker ({e:?}): {seen:?}");
                }
            }
        }
        child.child.kill().unwrap(); // SIGKILL
        child.wait();

        // The password served: never none, and the one the state says.
        let (code, out, first_err) = w.cli(&["password", &w.email]);
        let expected = if step == 1 { PW1 } else { PW2 };
        assert_eq!(code, 0, "step {step}: {first_err}");
        assert_eq!(out.trim_end(), expected, "step {step}: {first_err}");
        // `password` settles a pending save (steps 2, 3); a verify (as the
        // daily check, every check) settles a staging entry left without
        // one (steps 1, 4). Either says which way, once.
        let verify = || {
            w.ours()
                .envs(w.dovecot.env())
                .args(["verify", &w.email])
                .run()
                .triple()
        };
        let (code, out, err) = verify();
        let both = format!("{first_err}{err}");
        let words = if step == 1 {
            "it was rolled back, and the password stored before is kept"
        } else {
            "saving it has now been finished"
        };
        if step == 1 {
            // The server now wants PW2: the old password is kept and is
            // (truthfully) rejected.
            assert_eq!(code, 3, "step {step}: {out}\n{err}");
        } else {
            assert_eq!(code, 0, "step {step}: {out}\n{err}");
        }
        assert_eq!(both.matches(words).count(), 1, "step {step}: {both}");
        assert_eq!(
            both.matches("An earlier run was interrupted").count(),
            1,
            "step {step}: {both}"
        );
        // Nothing left to settle, and the same password served.
        let (_, out, err) = verify();
        assert!(!err.contains("interrupted"), "step {step}: {out}\n{err}");
        let (code, out, err) = w.cli(&["password", &w.email]);
        assert_eq!((code, out.trim_end()), (0, expected), "step {step}: {err}");
        let (code, out, err) = w.cli(&["list"]);
        assert_eq!(code, 0, "step {step}: {err}");
        assert!(out.contains(&w.email), "step {step}: {out}");
    }
}
