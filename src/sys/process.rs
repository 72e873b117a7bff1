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
pub const OUTPUT_LIMIT: u64 = 64 * 1024;

/// The file `name` names in a directory of `path` (a `PATH` value), if it
/// is an executable file there: `name` itself, else `name` with each of
/// `extensions` appended (Windows runs `schtasks.exe` for `schtasks`:
/// the extensions come from `PATHEXT` there, and are none elsewhere).
pub fn find_in(path: &OsStr, name: &str, extensions: &[String]) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| {
            std::iter::once(dir.join(name)).chain(
                extensions
                    .iter()
                    .map(move |ext| dir.join(format!("{name}{ext}"))),
            )
        })
        .find(|candidate| is_executable(candidate))
}

/// The extensions a command name may leave out: `PATHEXT` (`.COM;.EXE;...`)
/// on Windows, none elsewhere.
pub fn path_extensions(windows: bool, pathext: Option<&OsStr>) -> Vec<String> {
    if !windows {
        return Vec::new();
    }
    let list = pathext
        .and_then(OsStr::to_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(".COM;.EXE;.BAT;.CMD");
    list.split(';')
        .map(str::trim)
        .filter(|e| e.starts_with('.') && e.len() > 1)
        // Windows ignores case; lowercase is how the files are named.
        .map(str::to_lowercase)
        .collect()
}

/// [`find_in`] this process's `PATH`.
pub fn find(name: &str) -> Option<PathBuf> {
    let extensions = path_extensions(cfg!(windows), std::env::var_os("PATHEXT").as_deref());
    find_in(&std::env::var_os("PATH")?, name, &extensions)
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
    /// Whether it printed more than the bound to stdout: `stdout` is then
    /// only its start, which a caller that parses it must not trust.
    pub stdout_truncated: bool,
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
    run_with(program, args, &Feed::default(), timeout)
}

/// What a run is given besides its arguments.
#[derive(Default)]
pub struct Feed<'a> {
    /// Written to its stdin, which is then closed (a secret goes here,
    /// never into an argument or a variable); none: stdin is `/dev/null`.
    pub stdin: Option<&'a [u8]>,
    /// Variables set for it, on top of this process's environment.
    pub env: Vec<(&'a str, std::ffi::OsString)>,
}

/// [`run`], with `feed`. Its stdout and stderr are zeroed once copied out:
/// a program that prints a secret (`pass show`) leaves it only in the
/// returned [`Ran`], which the caller clears.
pub fn run_with<S: AsRef<OsStr>>(
    program: &Path,
    args: &[S],
    feed: &Feed<'_>,
    timeout: Duration,
) -> Result<Ran, String> {
    let name = program.display();
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(feed.env.iter().map(|(k, v)| (k, v)))
        .stdin(if feed.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so that a timeout stops what it started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not run {name}: {e}"))?;
    // Fed from a thread: a program that does not read it all must not
    // block us (the deadline below still applies).
    if let (Some(bytes), Some(mut stdin)) = (feed.stdin, child.stdin.take()) {
        let bytes = zeroize::Zeroizing::new(bytes.to_vec());
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&bytes);
        });
    }
    // Readers on their own threads; a program that leaves a child behind
    // holding the pipes must not keep us waiting, so they are awaited with
    // a bound, never joined.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = pipe {
            std::thread::spawn(move || {
                // Room for all that is kept up front (and the byte past
                // it that read_to_end probes with): never reallocated, so
                // no unzeroed copy is left behind.
                let mut buf = Vec::with_capacity(OUTPUT_LIMIT as usize + 1);
                let mut pipe = pipe;
                let _ = (&mut pipe).take(OUTPUT_LIMIT).read_to_end(&mut buf);
                // Past the limit the rest is read and dropped: a closed
                // pipe would kill the program (SIGPIPE) mid-way.
                let rest = std::io::copy(&mut pipe, &mut std::io::sink()).unwrap_or(0);
                // Zeroed if never received (a timeout dropped the receiver,
                // or it came too late and waits in the channel).
                let text = zeroize::Zeroizing::new(String::from_utf8_lossy(&buf).into_owned());
                let _ = tx.send((text, rest > 0));
                zeroize::Zeroize::zeroize(&mut buf);
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
    let status = wait(&mut child, &name, timeout)?;
    let collect = |rx: mpsc::Receiver<(zeroize::Zeroizing<String>, bool)>| {
        rx.recv_timeout(Duration::from_millis(500))
            // Moved out, not copied: the caller clears what it gets.
            .map(|(mut text, cut)| (std::mem::take(&mut *text), cut))
            .unwrap_or_default()
    };
    let (stdout, stdout_truncated) = collect(out);
    Ok(Ran {
        status,
        stdout,
        stderr: collect(err).0,
        stdout_truncated,
    })
}

/// Run `program` with `args`, `input` on its stdin (then closed), killed
/// with its process group after `timeout`; its stdout, at most
/// `read_back` bytes into memory that is zeroed when dropped (it may be a
/// secret: a clipboard read back), when `read_back` is given, else none.
/// Its stderr is not kept, and without `read_back` it gets no pipe but
/// stdin, so a program that stays behind (wl-copy, xclip and xsel fork to
/// serve a selection) keeps nothing of ours open. A non-zero exit is an
/// `Ok` whose status says so.
pub fn pipe<S: AsRef<OsStr>>(
    program: &Path,
    args: &[S],
    input: &[u8],
    read_back: Option<u64>,
    timeout: Duration,
) -> Result<(ExitStatus, zeroize::Zeroizing<Vec<u8>>), String> {
    use std::io::Write as _;
    let name = program.display();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(if read_back.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not run {name}: {e}"))?;
    // Fed from a thread, as in `run_with`: a program that does not read
    // its input (not an error here) must not keep us past the deadline.
    if let Some(mut stdin) = child.stdin.take() {
        let bytes = zeroize::Zeroizing::new(input.to_vec());
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let reader = child.stdout.take().zip(read_back).map(|(stdout, limit)| {
        std::thread::spawn(move || {
            // Never reallocated (see `run_with`).
            let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(
                usize::try_from(limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
            ));
            let _ = stdout.take(limit).read_to_end(&mut buf);
            buf
        })
    });
    let status = wait(&mut child, &name, timeout)?;
    let output = reader
        .and_then(|r| r.join().ok())
        .unwrap_or_else(|| zeroize::Zeroizing::new(Vec::new()));
    Ok((status, output))
}

/// Wait for `child` to exit, at most `timeout`; past it, it and its
/// process group are stopped and `Err` says so.
fn wait(
    child: &mut std::process::Child,
    name: &dyn std::fmt::Display,
    timeout: Duration,
) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                stop(child);
                return Err(format!(
                    "{name} did not finish within {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Err(e) => {
                stop(child);
                return Err(format!("{name}: {e}"));
            }
        }
    }
}

/// Kill `child` and its process group, and reap it.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill has no memory preconditions; the group is the
        // child's own (process_group(0) above), so nothing else is hit.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path_and_bounded_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("slow");
        // The sleep is its own process (a child of the shell, not exec'd):
        // it must be stopped with the shell, pipes and all.
        std::fs::write(
            &script,
            "#!/bin/sh\necho \"$1\"; echo oops >&2; sleep 30; echo done\n",
        )
        .unwrap();
        let not_exec = dir.path().join("plain");
        std::fs::write(&not_exec, "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths(["relative/dir".as_ref(), dir.path()]).unwrap();
        assert_eq!(find_in(&path, "slow", &[]), Some(script.clone()));
        assert_eq!(find_in(&path, "plain", &[]), None);
        assert_eq!(find_in(&path, "absent", &[]), None);

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

    /// A shell script leaving a grandchild behind, run by `start` (which
    /// must time out); fails if that grandchild outlived the timeout.
    fn assert_group_stopped(start: impl FnOnce(&str) -> Result<(), String>) {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pidfile.display());
        let e = start(&script).unwrap_err();
        assert!(e.contains("did not finish"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Running or sleeping, not gone or a zombie nobody reaped yet.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        let alive = !stat.is_empty() && !state.starts_with('Z') && !state.starts_with('X');
        if alive {
            // SAFETY: as above; clean up what the code under test left.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        assert!(!alive, "the grandchild outlived the timeout");
    }

    #[test]
    fn a_timeout_stops_the_whole_process_group() {
        assert_group_stopped(|script| {
            let sh = Path::new("/bin/sh");
            run(sh, &["-c", script], Duration::from_millis(300)).map(drop)
        });
    }

    #[test]
    fn a_pipe_gives_input_reads_back_a_bound_and_stops_its_group_in_time() {
        let (status, out) = pipe(
            Path::new("cat"),
            &[] as &[&str],
            b"hello",
            Some(3),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(status.success());
        assert_eq!(out.as_slice(), b"hel");
        let (status, out) = pipe(
            Path::new("false"),
            &[] as &[&str],
            b"",
            None,
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(!status.success() && out.is_empty());
        let started = Instant::now();
        assert_group_stopped(|script| {
            let sh = Path::new("/bin/sh");
            pipe(
                sh,
                &["-c", script],
                b"",
                Some(10),
                Duration::from_millis(300),
            )
            .map(drop)
        });
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_past_the_limit_is_drained_not_cut() {
        // 200 KiB on stdout, then a status: without draining the program
        // would die of SIGPIPE (or block) before its `exit 7`.
        let ran = run(
            Path::new("/bin/sh"),
            &["-c", "head -c 204800 /dev/zero || exit 9; exit 7"],
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(ran.status.code(), Some(7));
        assert_eq!(ran.stdout.len(), OUTPUT_LIMIT as usize);
        assert!(ran.stdout_truncated);
        // Exactly the limit is all of it.
        let ran = run(
            Path::new("/bin/sh"),
            &["-c", "head -c 65536 /dev/zero"],
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(ran.stdout.len(), OUTPUT_LIMIT as usize);
        assert!(!ran.stdout_truncated);
    }

    #[test]
    fn stdin_is_fed_then_closed_and_variables_set() {
        let ran = run_with(
            Path::new("/bin/sh"),
            &["-c", "read -r line; rest=$(cat); echo \"$line|$rest|$FED\""],
            &Feed {
                stdin: Some(b"first\nsecond\n"),
                env: vec![("FED", "yes".into())],
            },
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(ran.stdout, "first|second|yes\n");
    }

    #[test]
    fn windows_names_are_found_with_their_extension() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("schtasks.exe");
        std::fs::write(&exe, "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().as_os_str();
        let exts = path_extensions(true, Some(OsStr::new(".COM; .EXE;;bad;.BAT")));
        assert_eq!(exts, [".com", ".exe", ".bat"]);
        assert_eq!(find_in(path, "schtasks", &exts), Some(exe.clone()));
        assert_eq!(find_in(path, "schtasks", &[]), None);
        // No PATHEXT: Windows' default list.
        let default = path_extensions(true, None);
        assert_eq!(find_in(path, "schtasks", &default), Some(exe));
        assert!(path_extensions(false, Some(OsStr::new(".EXE"))).is_empty());
    }

    /// A program that never reads its (large) input cannot keep `pipe`
    /// past its deadline.
    #[cfg(unix)]
    #[test]
    fn pipe_is_bounded_when_the_program_does_not_read_its_input() {
        let started = Instant::now();
        let input = vec![b'x'; 1 << 20];
        let r = pipe(
            Path::new("/bin/sh"),
            &["-c", "exec sleep 30"],
            &input,
            None,
            Duration::from_millis(300),
        );
        assert!(r.is_err(), "stopped at its deadline");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
