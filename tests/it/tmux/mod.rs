//! Drive the real binary in a real terminal: tmux on a private socket,
//! `send-keys` to type, `paste-buffer -p` to paste (bracketed), and
//! `capture-pane` to read the screen.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    pub dir: tempfile::TempDir,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_icloud-mail-setup")
}

/// Quote for `sh -c`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Start `command` (a shell command line) in an 80×24 pane. The pane
    /// stays after the program exits so its end state can be read.
    pub fn start(command: &str, env: &[(String, String)]) -> Tmux {
        Tmux::start_then(command, "", env)
    }

    /// Like `start`, and run `after` (shell, in the scratch dir) once the
    /// program has exited, e.g. to record the terminal's state. A shell
    /// runs the program and records its exit status in `exit-status`.
    pub fn start_then(command: &str, after: &str, env: &[(String, String)]) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("exit-status");
        let script = format!(
            "cd {}; {command}; s=$?; {after} echo $s > {}.tmp; mv {}.tmp {}",
            sh_quote(&dir.path().display().to_string()),
            sh_quote(&status.display().to_string()),
            sh_quote(&status.display().to_string()),
            sh_quote(&status.display().to_string()),
        );
        Tmux::launch(&format!("sh -c {}", sh_quote(&script)), env, "", dir)
    }

    /// Start `argv` under a shell that only waits for it and records its
    /// exit status (read it with `wait_exit`), on a tmux server started
    /// with the config lines `conf` (e.g. `set -g set-clipboard on`). The
    /// shell traps Ctrl-C and the termination signals with a no-op (a
    /// trapped signal is reset to default in the program, unlike an
    /// ignored one), so they end the program, not the shell.
    ///
    /// Not `exec` with tmux's "Pane is dead": tmux 3.3a here often never
    /// reaps a pane's own process that exits (it stays a zombie and the
    /// pane is never marked dead; measured: `exec /bin/echo` 7 times in
    /// 12), while a shell's child is always reaped by the shell.
    pub fn start_exec(argv: &[&str], env: &[(String, String)], conf: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let command = argv
            .iter()
            .map(|a| sh_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        let status = dir.path().join("exit-status");
        let status = sh_quote(&status.display().to_string());
        let script = format!(
            "trap : INT TERM HUP QUIT; {command}; s=$?; echo $s > {status}.tmp; mv {status}.tmp {status}"
        );
        Tmux::launch(&format!("sh -c {}", sh_quote(&script)), env, conf, dir)
    }

    fn launch(command: &str, env: &[(String, String)], conf: &str, dir: tempfile::TempDir) -> Tmux {
        // The pane stays after the program exits, from the very start.
        let conf_file = dir.path().join("tmux.conf");
        std::fs::write(&conf_file, format!("set -g remain-on-exit on\n{conf}\n")).unwrap();
        let socket = format!("ims-test-{}-{}", std::process::id(), unique());
        let t = Tmux { socket, dir };
        let mut args: Vec<String> = vec![
            "-f".into(),
            conf_file.display().to_string(),
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            "t".into(),
            "-x".into(),
            "80".into(),
            "-y".into(),
            "24".into(),
        ];
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push(command.to_string());
        let out = t.tmux(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            out.status.success(),
            "tmux could not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is installed (scripts/test installs it)")
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// Type literal text.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", "t", "-l", text])
                .status
                .success()
        );
    }

    /// Paste as a terminal does (bracketed when the program asked for it).
    /// The text goes through a file, not tmux's argv.
    pub fn paste(&self, text: &str) {
        let f = self.dir.path().join("paste");
        std::fs::write(&f, text).unwrap();
        assert!(
            self.tmux(&["load-buffer", "-b", "p", f.to_str().unwrap()])
                .status
                .success()
        );
        std::fs::remove_file(&f).unwrap();
        assert!(
            self.tmux(&["paste-buffer", "-p", "-d", "-b", "p", "-t", "t"])
                .status
                .success()
        );
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// The screen with its scrollback (what stays after the program exits).
    pub fn history(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-S", "-200", "-t", "t"])
                .stdout,
        )
        .into_owned()
    }

    pub fn var(&self, name: &str) -> String {
        let f = format!("#{{{name}}}");
        String::from_utf8_lossy(&self.tmux(&["display-message", "-p", "-t", "t", &f]).stdout)
            .trim()
            .to_string()
    }

    /// Wait until the screen contains `needle`; panic with the screen if not.
    pub fn wait_for(&self, needle: &str, secs: u64) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if Instant::now() > end {
                panic!("waited {secs} s for {needle:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_until(&self, what: &str, secs: u64, mut f: impl FnMut() -> bool) {
        let end = Instant::now() + Duration::from_secs(secs);
        while !f() {
            if Instant::now() > end {
                panic!(
                    "waited {secs} s for {what}; the screen shows:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait for the program to exit; its exit status as the shell saw it
    /// (128+N for a signal).
    pub fn wait_exit(&self, secs: u64) -> String {
        let status = self.path("exit-status");
        self.wait_until("the program to exit", secs, || status.exists());
        std::fs::read_to_string(status).unwrap().trim().to_string()
    }

    /// The program's pid (the one child of the pane's shell).
    pub fn program_pid(&self) -> i32 {
        let shell: u32 = self.var("pane_pid").parse().unwrap();
        let kids = children(shell);
        assert_eq!(kids.len(), 1, "one program under the shell: {kids:?}");
        kids[0] as i32
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// The direct children of `pid` (from /proc).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let ppid = rest
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse::<u32>().ok());
            if ppid == Some(pid) {
                out.push(p);
            }
        }
    }
    out
}

/// Files under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
