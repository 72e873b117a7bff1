//! Running a helper program (`systemctl`, `notify-send`, `launchctl`...):
//! found on `PATH`, run with arguments and no shell, stdin closed, its
//! output read up to a bound, and killed when it takes too long.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The most of a program's stdout or stderr kept.
const OUTPUT_LIMIT: u64 = 64 * 1024;

/// The file `name` names in a directory of `path` (a `PATH` value), if it
/// is an executable file there.
pub fn find_in(path: &OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// [`find_in`] this process's `PATH`.
pub fn find(name: &str) -> Option<PathBuf> {
    find_in(&std::env::var_os("PATH")?, name)
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// How a program run ended.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its stderr (else stdout), trimmed, for a message.
    pub fn said(&self) -> &str {
        let e = self.stderr.trim();
        if e.is_empty() { self.stdout.trim() } else { e }
    }
}

/// Run `program` with `args`, killed after `timeout`. `Err` says why it
/// could not be run or did not finish; a non-zero exit is an `Ok` whose
/// status says so.
pub fn run<S: AsRef<OsStr>>(program: &Path, args: &[S], timeout: Duration) -> Result<Ran, String> {
    let name = program.display();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {name}: {e}"))?;
    // Readers on their own threads; a program that leaves a child behind
    // holding the pipes must not keep us waiting, so they are awaited with
    // a bound, never joined.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = pipe {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.take(OUTPUT_LIMIT).read_to_end(&mut buf);
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            });
        }
        rx
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{name} did not finish within {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("{name}: {e}")),
        }
    };
    let collect = |rx: mpsc::Receiver<String>| {
        rx.recv_timeout(Duration::from_millis(500))
            .unwrap_or_default()
    };
    Ok(Ran {
        status,
        stdout: collect(out),
        stderr: collect(err),
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path_and_bounded_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("slow");
        std::fs::write(&script, "#!/bin/sh\necho \"$1\"; echo oops >&2; sleep 30\n").unwrap();
        let not_exec = dir.path().join("plain");
        std::fs::write(&not_exec, "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths(["relative/dir".as_ref(), dir.path()]).unwrap();
        assert_eq!(find_in(&path, "slow"), Some(script.clone()));
        assert_eq!(find_in(&path, "plain"), None);
        assert_eq!(find_in(&path, "absent"), None);

        let started = Instant::now();
        let e = run(&script, &["hi"], Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("did not finish"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));

        let ran = run(
            Path::new("/bin/sh"),
            &["-c", "echo out; echo err >&2; exit 3"],
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(ran.status.code(), Some(3));
        assert_eq!((ran.stdout.as_str(), ran.said()), ("out\n", "err"));
    }
}
