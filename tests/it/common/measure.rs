//! Run a program to its end and measure its peak memory the way the
//! kernel counts it (`ru_maxrss`), for the memory tests and the speed
//! bench.
//!
//! The peak is taken by GNU time (`/usr/bin/time`, Debian package `time`),
//! a small program standing between us and the child, not by our own
//! `wait4`: the kernel carries the peak of the process a child was started
//! from over `exec` into the child's `ru_maxrss`, so a child of the test
//! binary (hundreds of tests in one process) would be charged the test
//! binary's own peak. Started from `time`, it is charged a megabyte or two.

use std::io::Write;
use std::process::{Command, Stdio};

/// Run `cmd` with `stdin` written to a pipe; (exit code, peak RSS in KiB,
/// stdout + stderr). A child killed by signal N gives 128 + N, as in a
/// shell. Only the program, arguments, environment changes and directory
/// of `cmd` are carried over.
pub fn run_measured(cmd: Command, stdin: &str) -> (i32, i64, String) {
    let report = tempfile::NamedTempFile::new().expect("temp file for time's report");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["--quiet", "--format=%M", "--output"])
        .arg(report.path())
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let mut child = timed
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/time (Debian package time) must be installed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let readers = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let status = child.wait().expect("wait for time");
    let text = readers.join().expect("reader");
    let said = std::fs::read_to_string(report.path()).expect("time's report");
    let kib = said
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("time reported {said:?}; the program said:\n{text}"));
    (status.code().unwrap_or(-1), kib, text)
}
