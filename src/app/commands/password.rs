//! `password EMAIL`: print the stored password and a newline, nothing else
//! on stdout (for mail clients' password commands).
//!
//! `password --copy EMAIL`: put it on the clipboard instead (for GUI mail
//! apps), never on the screen, and clear it again after
//! [`clipboard::CLEAR_AFTER`]. The command stays in the foreground until
//! then ("Ctrl-C clears it now"): a clearer left running in the background
//! would write to the terminal at a moment nobody chose (in the middle of
//! another program's output) and hold the password in a process the
//! person no longer sees. SIGTERM, SIGHUP and SIGQUIT clear it too, then
//! exit 128+N. Ctrl-Z (SIGTSTP) clears it, says so, then stops the
//! process (a stopped process's timer cannot clear); continued, it ends
//! without copying again. Only SIGKILL (and SIGSTOP) leave it on the
//! clipboard.

use std::io::Write;
use std::time::Duration;

use super::Exit;
use super::verify::{
    email_arg, no_such_account, open_config, report_store_error, settle_if_pending,
};
use crate::app::cli::GlobalArgs;
use crate::domain::account::Email;
use crate::domain::keyring::SecretStore;
use crate::sys::clipboard::{self, Clipboard};
use crate::sys::secret::Secret;
use crate::sys::stop_signals::{self, StopSignals};

/// `password EMAIL` on stdout/stderr.
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, email: &str) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, email, out, err)
}

/// `password` with its output streams given (for tests).
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    email: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let (_, secret) = match stored_password(globals, store, email, err) {
        Ok(es) => es,
        Err(e) => return e,
    };
    let written = out
        .write_all(secret.expose().as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Exit::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: could not write the password: {e}");
            Exit::Failure
        }
    }
}

/// `password --copy EMAIL`: to the clipboard, cleared after `clear_after`
/// (or at Ctrl-C). Says on stderr what was done; nothing on stdout.
pub fn copy(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    email: &str,
    clear_after: Duration,
) -> Exit {
    let err = &mut std::io::stderr();
    let (email, secret) = match stored_password(globals, store, email, err) {
        Ok(es) => es,
        Err(e) => return e,
    };
    let waiter = match Waiter::new() {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: could not watch for Ctrl-C: {e}; nothing was copied."
            );
            return Exit::Failure;
        }
    };
    let copied = match Clipboard::detect().copy(&secret) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: {e}. Print it instead with `icloud-mail-setup password {}`.",
                crate::sys::text::shell_quote(email.as_str())
            );
            return Exit::Failure;
        }
    };
    drop(secret);
    let _ = writeln!(
        err,
        "Copied the password of {email} to the clipboard via {}; it will be cleared in {} s. \
         Ctrl-C clears it now.",
        copied.summary(),
        clear_after.as_secs()
    );
    for note in copied.notes() {
        let _ = writeln!(err, "note: {note}");
    }
    let woke = waiter.wait(clear_after);
    let done = copied.clear_report();
    let _ = writeln!(err, "Clipboard: {}.", done.lines.join("; "));
    drop(copied);
    match woke {
        Woke::Timer | Woke::Interrupt => Exit::Ok,
        Woke::Signal(n) => std::process::exit(128 + n),
        Woke::Suspend => {
            let _ = if done.failed {
                writeln!(
                    err,
                    "Stopping (Ctrl-Z), though the password may still be on the clipboard (see \
                     above): clear it by copying something else. Nothing is copied again when \
                     it continues."
                )
            } else {
                writeln!(
                    err,
                    "Cleared before stopping (Ctrl-Z): a stopped process cannot clear it later. \
                     Nothing is copied again when it continues."
                )
            };
            let _ = err.flush();
            #[cfg(unix)]
            stop_signals::stop_now();
            Exit::Ok
        }
    }
}

/// The address and its stored password, or the exit code after saying
/// why not. A save cut short is settled first.
fn stored_password(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    email: &str,
    err: &mut dyn Write,
) -> Result<(Email, Secret), Exit> {
    let email = email_arg(email, err)?;
    let (path, config) = open_config(globals, err)?;
    if config.find(email.as_str()).is_none() {
        return Err(no_such_account(err, &email, &path));
    }
    settle_if_pending(store, &path, &config, email.as_str(), err);
    match crate::domain::storage::current_password(store, &path, email.as_str()) {
        Ok(Some(secret)) => Ok((email, secret)),
        Ok(None) => {
            let _ = writeln!(
                err,
                "error: {email} is configured but the {} holds no password for it. Store one \
                 with `icloud-mail-setup store {email} --password-stdin`.",
                store.name()
            );
            Err(Exit::NoSuchAccount)
        }
        Err(e) => Err(report_store_error(err, &e)),
    }
}

/// What ended the wait.
#[derive(Debug, Clone, Copy)]
enum Woke {
    Timer,
    /// Ctrl-C: clear now, a normal end.
    Interrupt,
    /// SIGTERM, SIGHUP or SIGQUIT: clear, then leave with 128+N.
    Signal(i32),
    /// SIGTSTP (Ctrl-Z): clear, then stop; when continued, end normally.
    #[cfg_attr(not(unix), allow(dead_code))]
    Suspend,
}

/// Ctrl-C and the termination signals, listened for from before the copy
/// is made, so that none of them can end the process with the password
/// left on the clipboard (on Windows: Ctrl-C, Ctrl-Break and closing the
/// console window, see `stop_signals`).
struct Waiter {
    rt: tokio::runtime::Runtime,
    signals: StopSignals,
}

impl Waiter {
    fn new() -> std::io::Result<Waiter> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let signals = {
            let _entered = rt.enter();
            StopSignals::with_suspend()?
        };
        Ok(Waiter { rt, signals })
    }

    /// Until `after` has passed or a signal came.
    fn wait(mut self, after: Duration) -> Woke {
        self.rt.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(after) => Woke::Timer,
                n = self.signals.recv() => woke_by(n),
            }
        })
    }
}

/// Ctrl-C ends the wait normally, Ctrl-Z stops after the clear; any other
/// signal, with 128+N.
fn woke_by(signal: i32) -> Woke {
    #[cfg(unix)]
    if signal == stop_signals::SUSPEND {
        return Woke::Suspend;
    }
    if signal == stop_signals::INTERRUPT {
        Woke::Interrupt
    } else {
        Woke::Signal(signal)
    }
}

/// The clear delay: [`clipboard::CLEAR_AFTER`], or the test-only hidden
/// `--clear-after SECS` (1 to 45: never longer than the default).
pub fn clear_delay(test_override: Option<u64>) -> Duration {
    test_override
        .map(Duration::from_secs)
        .unwrap_or(clipboard::CLEAR_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_c_ends_the_wait_normally_and_other_signals_exit_128_plus_n() {
        assert!(matches!(woke_by(stop_signals::INTERRUPT), Woke::Interrupt));
        assert!(matches!(
            woke_by(stop_signals::HANGUP),
            Woke::Signal(n) if n == stop_signals::HANGUP
        ));
        assert!(matches!(woke_by(15), Woke::Signal(15)));
        #[cfg(unix)]
        assert!(matches!(woke_by(libc::SIGTSTP), Woke::Suspend));
    }
}
