//! A program in a pseudo-terminal of its own (80×24), its output read as a
//! terminal would show it (the `vt100` crate), for the benches.
//!
//! [`Pty::spawn`] starts the program as the session leader of a new pty;
//! [`Pty::read_until`] reads its output until the screen satisfies a test,
//! and returns when that happened, counted from just before the spawn.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ROWS: u16 = 24;
pub const COLS: u16 = 80;

pub struct Pty {
    pub child: Child,
    master: File,
    pub started: Instant,
    /// Everything the program wrote so far.
    pub bytes: Vec<u8>,
    pub screen: vt100::Parser,
}

impl Pty {
    /// Start `cmd` on a new 80×24 pty (stdin, stdout and stderr; its
    /// controlling terminal).
    pub fn spawn(mut cmd: Command) -> Pty {
        let mut master: libc::c_int = -1;
        let mut slave: libc::c_int = -1;
        let mut size = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two descriptors we then own.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                // Mutable pointers: macOS declares them so (Linux, const).
                std::ptr::null_mut(),
                &raw mut size,
            )
        };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are ours alone.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the pty"));
        cmd.stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as libc::c_ulong, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd.spawn().expect("spawn in the pty");
        drop(slave);
        Pty {
            child,
            master,
            started,
            bytes: Vec::new(),
            screen: vt100::Parser::new(ROWS, COLS, 0),
        }
    }

    /// Read until `done(screen text)` holds; the time since the spawn when
    /// it first did. Panics (with the screen) after `limit`.
    pub fn read_until(&mut self, limit: Duration, done: impl Fn(&str) -> bool) -> Duration {
        let mut buf = [0u8; 16 * 1024];
        loop {
            if done(&self.screen.screen().contents()) {
                return self.started.elapsed();
            }
            let left = limit.saturating_sub(self.started.elapsed());
            assert!(
                !left.is_zero(),
                "the screen never got there:\n{}",
                self.screen.screen().contents()
            );
            if !self.wait_readable(left) {
                continue;
            }
            match self.master.read(&mut buf) {
                Ok(0) | Err(_) => panic!(
                    "the program left before the screen got there:\n{}",
                    self.screen.screen().contents()
                ),
                Ok(n) => {
                    self.bytes.extend_from_slice(&buf[..n]);
                    self.screen.process(&buf[..n]);
                }
            }
        }
    }

    /// Read (and discard) whatever comes for `period`.
    pub fn drain_for(&mut self, period: Duration) {
        let until = Instant::now() + period;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            if self.wait_readable(left) {
                match self.master.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => self.screen.process(&buf[..n]),
                }
            }
        }
    }

    /// Type `bytes` as keys.
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.master.write_all(bytes).expect("write to the pty");
    }

    /// Wait for the program to exit (reading its output meanwhile, so it
    /// never blocks on a full pty), at most `limit`; kill it after that.
    pub fn finish(mut self, limit: Duration) {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            self.drain_for(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_readable(&self, within: Duration) -> bool {
        let mut fds = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(within.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: one pollfd we own.
        let r = unsafe { libc::poll(&mut fds, 1, ms) };
        r > 0
    }
}
