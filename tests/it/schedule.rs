//! `schedule daily|off` with the real binary: the systemd user units it
//! writes (checked by `systemd-analyze verify` when installed), what it
//! asks `systemctl` (a stub on PATH that records its arguments), and that
//! writing, replacing and removing are idempotent.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

struct World {
    dir: tempfile::TempDir,
    /// The real binary, linked into a directory whose name needs escaping.
    bin: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let bin_dir = dir.path().join("my bin %i $HOME");
        std::fs::create_dir_all(&bin_dir).unwrap();
        let bin = bin_dir.join("icloud-mail-setup");
        let real = env!("CARGO_BIN_EXE_icloud-mail-setup");
        if std::fs::hard_link(real, &bin).is_err() {
            std::fs::copy(real, &bin).unwrap();
        }
        for d in ["stubs", "empty", "xdg", "rt"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("rt"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let log = dir.path().join("systemctl.log");
        let stub = dir.path().join("stubs/systemctl");
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n\
                 [ -f '{fail}' ] && while IFS= read -r l; do [ \"$l\" = \"$*\" ] && {{\n\
                 echo 'Failed to connect to bus: No medium found' >&2; exit 1; }}; done < '{fail}'\n\
                 exit 0\n",
                log.display(),
                fail = dir.path().join("fail").display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        World { dir, bin }
    }

    /// The stub systemctl fails these calls from now on (none: all pass).
    fn failing(&self, calls: &[&str]) {
        let f = self.dir.path().join("fail");
        let text: String = calls.iter().map(|c| format!("{c}\n")).collect();
        std::fs::write(f, text).unwrap();
    }

    fn units(&self) -> PathBuf {
        self.dir.path().join("xdg/systemd/user")
    }

    fn service(&self) -> PathBuf {
        self.units().join("icloud-mail-setup-check.service")
    }

    fn timer(&self) -> PathBuf {
        self.units().join("icloud-mail-setup-check.timer")
    }

    /// What the stub systemctl was asked since the last call.
    fn systemctl_calls(&self) -> Vec<String> {
        let log = self.dir.path().join("systemctl.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        text.lines().map(str::to_string).collect()
    }

    /// Run the binary with `args`; `path` is the stub dir or the empty one.
    fn run(&self, path_dir: &str, args: &[&str]) -> (i32, String, String) {
        let o = Command::new(&self.bin)
            .args(args)
            .env_clear()
            .env("PATH", self.dir.path().join(path_dir))
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

/// Date the file `p` back to 2001 (its content as it is).
fn set_mtime_past(p: &Path) {
    let past = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let file = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    file.set_modified(past).unwrap();
    assert_eq!(mtime(p), past);
}

/// `systemd-analyze verify --user` on the written units (offline: no
/// running systemd is needed, only a private XDG_RUNTIME_DIR):
/// it parses them as systemd does, resolves the ExecStart path (so the
/// escaping must be right for the binary to be found) and reports unknown
/// settings.
fn systemd_analyze(w: &World) {
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--user")
        .arg(w.service())
        .arg(w.timer())
        .env("XDG_RUNTIME_DIR", w.dir.path().join("rt"))
        .output()
        .expect("systemd-analyze (Debian package systemd; scripts/test installs it)");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "systemd-analyze verify failed:\n{err}");
    assert_eq!(err.trim(), "", "systemd-analyze had remarks");
}

#[test]
fn daily_writes_replaces_and_off_removes_the_units_idempotently() {
    let w = World::new();
    let config = w.dir.path().join("conf 100% $USER's/config.toml");
    let config_s = config.to_str().unwrap();
    let (code, out, err) = w.run("stubs", &["schedule", "daily", "--config", config_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("The daily check is installed"), "{out}");
    // The binary sits in a temporary directory: the user is warned.
    assert!(err.contains("inside a temporary directory"), "{err}");

    let service = std::fs::read_to_string(w.service()).unwrap();
    let bin = w.bin.to_str().unwrap();
    let expected_exec = format!(
        "ExecStart=\"{}\" verify --scheduled --config \"{}\"\n",
        // The program path: `%` doubled, `$` not (systemd expands
        // variables in arguments only).
        bin.replace('%', "%%"),
        config_s.replace('%', "%%").replace('$', "$$")
    );
    assert!(
        service.contains(&expected_exec),
        "{service}\nwanted {expected_exec}"
    );
    assert!(service.contains("Type=oneshot\n"), "{service}");
    let timer = std::fs::read_to_string(w.timer()).unwrap();
    assert!(timer.contains("OnCalendar=daily\n") && timer.contains("Persistent=true\n"));
    systemd_analyze(&w);
    assert_eq!(
        w.systemctl_calls(),
        [
            "--user daemon-reload",
            "--user enable --now icloud-mail-setup-check.timer"
        ]
    );

    // Again: nothing changes. The units are dated back (not waited past):
    // a rewrite would give them today's time, however coarse the clock.
    set_mtime_past(&w.service());
    set_mtime_past(&w.timer());
    let before = (
        std::fs::read(w.service()).unwrap(),
        mtime(&w.service()),
        mtime(&w.timer()),
    );
    let (code, out, err) = w.run("stubs", &["schedule", "daily", "--config", config_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("already installed"), "{out}");
    assert_eq!(
        before,
        (
            std::fs::read(w.service()).unwrap(),
            mtime(&w.service()),
            mtime(&w.timer())
        )
    );
    assert_eq!(
        w.systemctl_calls(),
        ["--user is-active icloud-mail-setup-check.timer"]
    );

    // Another config: the service is replaced; the timer, the same, is
    // not rewritten.
    let timer_date = mtime(&w.timer());
    let other = w.dir.path().join("other/config.toml");
    let (code, out, err) = w.run(
        "stubs",
        &["schedule", "daily", "--config", other.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("Replaced {}", w.service().display())),
        "{out}"
    );
    assert_eq!(mtime(&w.timer()), timer_date, "the timer was rewritten");
    let service = std::fs::read_to_string(w.service()).unwrap();
    assert!(
        service.contains(&format!("--config {}\n", other.display())),
        "{service}"
    );
    systemd_analyze(&w);
    assert!(
        w.systemctl_calls()
            .contains(&"--user daemon-reload".to_string())
    );

    // The state.
    let (code, out, _) = w.run("stubs", &["schedule", "--config", other.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("active: yes") && out.contains("up to date"),
        "{out}"
    );
    w.systemctl_calls();

    // Off, twice (the second time systemd no longer has the timer).
    let (code, out, err) = w.run("stubs", &["schedule", "off"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!w.service().exists() && !w.timer().exists());
    assert_eq!(
        w.systemctl_calls(),
        [
            "--user is-active icloud-mail-setup-check.timer",
            "--user disable --now icloud-mail-setup-check.timer",
            "--user daemon-reload"
        ]
    );
    w.failing(&["--user is-active icloud-mail-setup-check.timer"]);
    let (code, out, err) = w.run("stubs", &["schedule", "off"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("not installed"), "{out}");
    assert_eq!(
        w.systemctl_calls(),
        ["--user is-active icloud-mail-setup-check.timer"]
    );
}

#[test]
fn without_systemctl_the_files_are_written_and_the_next_step_is_said() {
    let w = World::new();
    let (code, out, err) = w.run("empty", &["schedule", "daily"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(w.service().exists() && w.timer().exists());
    assert!(err.contains("`systemctl` was not found"), "{err}");
    assert!(
        err.contains("  systemctl --user enable --now icloud-mail-setup-check.timer"),
        "{err}"
    );
    assert!(err.contains("0 10 * * * "), "a crontab line: {err}");
    // Without --config, the unit runs with the default config.
    let service = std::fs::read_to_string(w.service()).unwrap();
    assert!(service.contains(" verify --scheduled\n"), "{service}");
    // The status says so too.
    let (code, out, _) = w.run("empty", &["schedule"]);
    assert_eq!(code, 0);
    assert!(out.contains("active: unknown"), "{out}");
}

/// docs/daily-check.md's own example: the real `systemctl` in a session with no
/// user manager (a container, `su -`): activation fails, and the crontab
/// line that does the same is printed (issue 17).
#[test]
fn the_real_systemctl_without_a_user_manager_gets_the_crontab_line() {
    let real = ["/usr/bin/systemctl", "/bin/systemctl"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("systemctl (Debian package systemd; scripts/test installs it)");
    let w = World::new();
    let real_dir = w.dir.path().join("real");
    std::fs::create_dir_all(&real_dir).unwrap();
    std::os::unix::fs::symlink(real, real_dir.join("systemctl")).unwrap();
    // env_clear: no DBUS_SESSION_BUS_ADDRESS; XDG_RUNTIME_DIR is unset,
    // so no user manager can be reached.
    let (code, out, err) = w.run("real", &["schedule", "daily"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(w.service().exists() && w.timer().exists());
    assert!(err.contains("the check is not active"), "{err}");
    assert!(
        err.contains("  systemctl --user enable --now icloud-mail-setup-check.timer"),
        "{err}"
    );
    assert!(err.contains("0 10 * * * "), "a crontab line: {err}");
    assert!(err.contains(" verify --scheduled"), "{err}");
}

#[test]
fn a_failing_systemctl_is_reported_and_never_called_success() {
    let timer = "icloud-mail-setup-check.timer";
    let enable = format!("--user enable --now {timer}");
    let disable = format!("--user disable --now {timer}");
    let is_active = format!("--user is-active {timer}");
    let w = World::new();

    // daily: the files are written, but enabling fails (no user bus).
    w.failing(&[&enable]);
    let (code, out, err) = w.run("stubs", &["schedule", "daily"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("the check is not active"), "{err}");
    assert!(err.contains("No medium found"), "{err}");
    assert!(err.contains(&format!("  systemctl {enable}")), "{err}");
    assert!(err.contains("0 10 * * * "), "a crontab line: {err}");
    assert!(!out.contains("is installed"), "{out}");

    // Files in place but the timer stopped: `daily` starts it again.
    w.failing(&[&is_active]);
    w.systemctl_calls();
    let (code, out, err) = w.run("stubs", &["schedule", "daily"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("is installed"), "{out}");
    assert!(w.systemctl_calls().contains(&enable), "enable --now again");
    let (_, out, _) = w.run("stubs", &["schedule"]);
    assert!(out.contains("active: no"), "{out}");

    // off: disabling fails. The files and the wants link `enable` made
    // go, but it says so and exits non-zero, with the command to run.
    let wants = w.units().join("timers.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(w.timer(), wants.join(timer)).unwrap();
    w.failing(&[&disable]);
    let (code, out, err) = w.run("stubs", &["schedule", "off"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("is off"), "{out}");
    assert!(err.contains(&format!("  systemctl {disable}")), "{err}");
    assert!(!w.service().exists() && !w.timer().exists());
    assert!(
        wants.join(timer).symlink_metadata().is_err(),
        "the link stays"
    );

    // No files left, but systemd still runs the timer: off unloads it.
    w.failing(&[]);
    w.systemctl_calls();
    let (code, out, err) = w.run("stubs", &["schedule", "off"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(w.systemctl_calls().contains(&disable));
}
