//! One way to run the binary (or a program that runs it) in a test: a
//! private HOME and none of our environment variables, unless the test
//! gives them.
//!
//! ```ignore
//! let out = Bin::new()
//!     .home(dir.path())
//!     .env("ICLOUD_MAIL_SETUP_CONFIG", &config)
//!     .stdin("abcd-efgh-ijkl-mnop\n")
//!     .args(["store", "a@icloud.com", "--password-stdin"])
//!     .run();
//! assert_eq!(out.code, 0, "{}", out.stderr);
//! ```
//!
//! - [`Bin::new`]: this build's binary; [`Bin::program`]: another program
//!   (git, mbsync, sh, ...) with the same environment rules.
//! - Every `ICLOUD_MAIL_SETUP_*` variable of the test process is removed,
//!   and so are `PASSWORD_STORE_DIR`, `PASSWORD_STORE_GPG_OPTS` and
//!   `GIT_CONFIG_GLOBAL`: what the run sees is what the test set.
//! - HOME (and `XDG_CONFIG_HOME` below it) is a fresh empty directory
//!   that lives as long as the run, unless the test gives one with
//!   [`Bin::home`].
//! - stdin is empty (closed) unless given with [`Bin::stdin`]; it is
//!   written from a thread, so a program that stops reading early cannot
//!   block the test.
//! - [`Bin::run`] waits (bounded by [`Bin::within`], 120 s unless told) and
//!   gives an [`Out`]; [`Bin::spawn`] starts it and gives a [`Running`].

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// This build's binary.
pub fn bin_path() -> &'static str {
    env!("CARGO_BIN_EXE_icloud-mail-setup")
}

/// Variables besides ours that would point a run at the tester's own
/// setup.
const CLEARED: &[&str] = &[
    "PASSWORD_STORE_DIR",
    "PASSWORD_STORE_GPG_OPTS",
    "GIT_CONFIG_GLOBAL",
];

#[must_use = "a Bin does nothing until run or spawned"]
pub struct Bin {
    cmd: Command,
    own_home: Option<tempfile::TempDir>,
    stdin: Option<Vec<u8>>,
    within: Duration,
}

impl Bin {
    /// This build's binary.
    pub fn new() -> Bin {
        Bin::program(bin_path())
    }

    /// Another program, run with the same environment rules (it may run
    /// ours, as a mail client does).
    pub fn program(program: impl AsRef<OsStr>) -> Bin {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ICLOUD_MAIL_SETUP_") {
                cmd.env_remove(&key);
            }
        }
        for key in CLEARED {
            cmd.env_remove(key);
        }
        let home = tempfile::tempdir().expect("a private HOME");
        set_home(&mut cmd, home.path());
        Bin {
            cmd,
            own_home: Some(home),
            stdin: None,
            within: Duration::from_secs(120),
        }
    }

    /// This test binary, running only its ignored test `name` (such as
    /// `keyring_store::probe_expect`) on one thread with its output shown:
    /// for a test that needs a process of its own (another bus, another
    /// environment). The probe ends by printing `PROBE-OK`; see
    /// [`Out::assert_probe_ok`].
    pub fn probe(name: &str) -> Bin {
        Bin::program(std::env::current_exe().expect("the test binary")).args(probe_args(name))
    }

    /// HOME is `dir` (and `XDG_CONFIG_HOME` is `dir/.config`), not a
    /// fresh directory.
    pub fn home(mut self, dir: impl AsRef<Path>) -> Bin {
        set_home(&mut self.cmd, dir.as_ref());
        self.own_home = None;
        self
    }

    /// The private HOME this run has (the one given, or its own).
    pub fn home_dir(&self) -> PathBuf {
        self.cmd
            .get_envs()
            .find(|(k, _)| *k == "HOME")
            .and_then(|(_, v)| v)
            .map(PathBuf::from)
            .expect("HOME is always set")
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Bin {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Bin
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Bin {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Bin
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Bin {
        self.cmd.env_remove(key);
        self
    }

    /// `dir` first on PATH, before the test process's PATH.
    pub fn path_first(self, dir: impl AsRef<Path>) -> Bin {
        let path = format!(
            "{}{}{}",
            dir.as_ref().display(),
            if cfg!(windows) { ";" } else { ":" },
            std::env::var("PATH").unwrap_or_default()
        );
        self.env("PATH", path)
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Bin {
        self.cmd.current_dir(dir);
        self
    }

    /// `input` on its stdin, which is then closed.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Bin {
        self.stdin = Some(input.into());
        self
    }

    /// How long [`Bin::run`] waits before it kills the program and fails
    /// the test (a hang fails, it does not hang the suite).
    pub fn within(mut self, limit: Duration) -> Bin {
        self.within = limit;
        self
    }

    /// The command as built, for what the builder does not cover (a pty,
    /// `pre_exec`). The private HOME, if any, is gone when the `Bin` is
    /// dropped: use [`Bin::home`] with a directory of the test's.
    pub fn command(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Start it with stdout and stderr piped; stdin is written (if given)
    /// and closed.
    pub fn spawn(self) -> Running {
        self.spawn_with(false)
    }

    /// Start it with stdin left open as a pipe (`running.stdin`), for a
    /// test that writes as it goes.
    pub fn spawn_open(self) -> Running {
        self.spawn_with(true)
    }

    fn spawn_with(mut self, keep_stdin: bool) -> Running {
        self.cmd
            .stdin(if self.stdin.is_some() || keep_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{:?}: {e}", self.cmd.get_program()));
        let writer = self.stdin.take().map(|input| {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            std::thread::spawn(move || {
                // A program may stop reading early (a usage error, say).
                let _ = pipe.write_all(&input);
            })
        });
        Running {
            child,
            writer,
            within: self.within,
            _home: self.own_home,
        }
    }

    /// Run it to the end: its exit code, stdout and stderr.
    pub fn run(self) -> Out {
        self.spawn().wait()
    }
}

impl Default for Bin {
    fn default() -> Bin {
        Bin::new()
    }
}

/// The arguments that make this test binary run only the ignored test
/// `name` (for a wrapper such as `dbus-run-session` that runs it).
pub fn probe_args(name: &str) -> [&str; 5] {
    [
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
}

fn set_home(cmd: &mut Command, dir: &Path) {
    cmd.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"));
}

/// A program started by [`Bin::spawn`]; its private HOME lives as long as
/// this.
pub struct Running {
    pub child: Child,
    writer: Option<std::thread::JoinHandle<()>>,
    within: Duration,
    _home: Option<tempfile::TempDir>,
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its stdin, when started with [`Bin::spawn_open`].
    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("started with spawn_open")
    }

    /// Wait for it to end (bounded, see [`Bin::within`]): its exit code,
    /// stdout and stderr.
    pub fn wait(mut self) -> Out {
        drop(self.child.stdin.take());
        let pipe = |r: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let out = pipe(self.child.stdout.take().map(|p| Box::new(p) as _));
        let err = pipe(self.child.stderr.take().map(|p| Box::new(p) as _));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the program") {
                break status;
            }
            if start.elapsed() > self.within {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the program ran for over {:?} (killed); stderr so far:\n{}",
                    self.within,
                    String::from_utf8_lossy(&err.join().unwrap_or_default())
                );
            }
            // Polling for the exit: nothing is ordered by this pause.
            std::thread::sleep(Duration::from_millis(5));
        };
        if let Some(w) = self.writer.take() {
            w.join().expect("stdin writer");
        }
        let stdout = out.join().expect("stdout reader");
        let stderr = err.join().expect("stderr reader");
        Out {
            status,
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            stdout_bytes: stdout,
            elapsed: start.elapsed(),
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    /// The exit code; -1 when a signal ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// stdout as written, for output that need not be UTF-8.
    pub stdout_bytes: Vec<u8>,
    /// From the start of the wait to the end.
    pub elapsed: Duration,
}

impl Out {
    /// (code, stdout, stderr), the shape most tests here compare.
    pub fn triple(self) -> (i32, String, String) {
        (self.code, self.stdout, self.stderr)
    }

    /// stdout then stderr, for a test that looks for words in either.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// A probe run by [`Bin::probe`] (directly or under a wrapper) passed
    /// and got to its end.
    pub fn assert_probe_ok(&self, what: &str) {
        assert!(
            self.success() && self.stdout.contains("PROBE-OK"),
            "{what}: the child failed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}
