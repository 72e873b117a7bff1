//! The requests to stop that the program handles instead of dying on
//! them, one listener for every platform.
//!
//! Unix: SIGINT, SIGTERM, SIGHUP, SIGQUIT. Windows: Ctrl-C and Ctrl-Break
//! (handled as SIGINT) and the console window being closed (as SIGHUP;
//! Windows ends the process a few seconds after that event whatever the
//! program does). Windows is only type-checked here, never run.
//!
//! The number received is the Unix signal's (also on Windows, where it
//! only picks the exit code 128 + N and the message).

/// Ctrl-C (SIGINT; Ctrl-C and Ctrl-Break on Windows).
pub const INTERRUPT: i32 = 2;
/// The terminal went away (SIGHUP; the console window closed on Windows).
pub const HANGUP: i32 = 1;

/// Ctrl-Z (SIGTSTP), Unix only: heard by [`StopSignals::with_suspend`].
#[cfg(unix)]
pub const SUSPEND: i32 = libc::SIGTSTP;

/// Stop this process as Ctrl-Z would have (SIGSTOP: a SIGTSTP handler
/// from [`StopSignals::with_suspend`] stays in place), until the shell
/// continues it. For a caller that heard [`SUSPEND`] and did what had to
/// be done before stopping.
#[cfg(unix)]
pub fn stop_now() {
    // SAFETY: raise(3) with a valid signal number has no preconditions.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
}

#[cfg(unix)]
const _: () = assert!(INTERRUPT == libc::SIGINT && HANGUP == libc::SIGHUP);

/// Listening from creation on; create it inside a tokio runtime.
pub struct StopSignals {
    #[cfg(unix)]
    signals: Vec<(i32, tokio::signal::unix::Signal)>,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
    #[cfg(windows)]
    ctrl_close: tokio::signal::windows::CtrlClose,
}

impl StopSignals {
    #[cfg(unix)]
    pub fn new() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            signals: vec![
                (libc::SIGINT, signal(SignalKind::interrupt())?),
                (libc::SIGTERM, signal(SignalKind::terminate())?),
                (libc::SIGHUP, signal(SignalKind::hangup())?),
                (libc::SIGQUIT, signal(SignalKind::quit())?),
            ],
        })
    }

    #[cfg(windows)]
    pub fn new() -> std::io::Result<StopSignals> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        Ok(StopSignals {
            ctrl_c: ctrl_c()?,
            ctrl_break: ctrl_break()?,
            ctrl_close: ctrl_close()?,
        })
    }

    /// The same, and on Unix Ctrl-Z (SIGTSTP, reported as [`SUSPEND`]) too,
    /// for a caller that must act before the process stops (Windows has
    /// no such stop).
    pub fn with_suspend() -> std::io::Result<StopSignals> {
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut signals = StopSignals::new()?;
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            signals
                .signals
                .push((SUSPEND, signal(SignalKind::from_raw(SUSPEND))?));
        }
        Ok(signals)
    }

    #[cfg(not(any(unix, windows)))]
    pub fn new() -> std::io::Result<StopSignals> {
        Err(std::io::Error::other("no signals on this platform"))
    }

    /// The next request to stop, as a Unix signal number.
    #[cfg(unix)]
    pub async fn recv(&mut self) -> i32 {
        let waits = self.signals.iter_mut().map(|(n, s)| {
            Box::pin(async move {
                s.recv().await;
                *n
            })
        });
        futures::future::select_all(waits).await.0
    }

    #[cfg(windows)]
    pub async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.ctrl_c.recv() => INTERRUPT,
            _ = self.ctrl_break.recv() => INTERRUPT,
            _ = self.ctrl_close.recv() => HANGUP,
        }
    }

    #[cfg(not(any(unix, windows)))]
    pub async fn recv(&mut self) -> i32 {
        std::future::pending().await
    }
}
