//! Run a program to its end and measure its peak memory the way the
//! kernel counts it (`wait4`'s `ru_maxrss`), for the memory tests and the
//! speed bench.

use std::io::Write;
use std::process::{Command, Stdio};

/// Run `cmd` with `stdin` written to a pipe; (exit code, peak RSS in KiB,
/// stdout + stderr). The child is reaped by `wait4` itself (to get its own
/// rusage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut cmd: Command, stdin: &str) -> (i32, i64, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
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
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage filled by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let text = readers.join().expect("reader");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss, text)
}
