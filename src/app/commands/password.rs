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

use crate::app::cli::PasswordArgs;
use crate::app::context::{Context, email_arg, no_such_account};
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::domain::account::Email;
use crate::sys::clipboard::{self, Clipboard};
use crate::sys::secret::Secret;
use crate::sys::stop_signals::{self, StopSignals};

/// `password EMAIL`: the password and a newline on stdout; with
/// `--copy`, on the clipboard instead.
pub fn run(ctx: &Context<'_>, args: PasswordArgs) -> Result<Outcome, Error> {
    if args.copy {
        return copy(ctx, &args.email, clear_delay(args.clear_after));
    }
    let (_, secret) = stored_password(ctx, &args.email)?;
    let out = &mut *ctx.out();
    out.write_all(secret.expose().as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::failure("could not write the password").because(e))?;
    Ok(Outcome::OK)
}

/// `password --copy EMAIL`: to the clipboard, cleared after `clear_after`
/// (or at Ctrl-C). Says on stderr what was done; nothing on stdout.
fn copy(ctx: &Context<'_>, email: &str, clear_after: Duration) -> Result<Outcome, Error> {
    let (email, secret) = stored_password(ctx, email)?;
    let waiter = Waiter::new().map_err(|e| {
        Error::failure(format!(
            "could not watch for Ctrl-C: {e}; nothing was copied."
        ))
    })?;
    let copied = Clipboard::detect().copy(&secret).map_err(|e| {
        Error::failure(format!(
            "{e}. Print it instead with `{} password {}`.",
            ctx.typed_command(),
            crate::sys::text::shell_quote(email.as_str())
        ))
    })?;
    drop(secret);
    let err = &mut *ctx.err();
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
        Woke::Timer | Woke::Interrupt => Ok(Outcome::OK),
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
            Ok(Outcome::OK)
        }
    }
}

/// The address and its stored password. A save cut short is settled
/// first.
fn stored_password(ctx: &Context<'_>, email: &str) -> Result<(Email, Secret), Error> {
    let email = email_arg(email)?;
    let (path, config) = ctx.open_config()?;
    if config.find(email.as_str()).is_none() {
        return Err(no_such_account(&email, &path));
    }
    let store = ctx.store();
    crate::app::checking::settle_if_pending(
        store,
        &path,
        &config,
        email.as_str(),
        &mut **ctx.err(),
    );
    match crate::domain::storage::current_password(store, &path, email.as_str()) {
        Ok(Some(secret)) => Ok((email, secret)),
        Ok(None) => Err(Error::new(
            Exit::NoSuchAccount,
            format!(
                "{email} is configured but the {} holds no password for it. Store one with \
                 `{} store {email} --password-stdin`.",
                store.name(),
                ctx.typed_command()
            ),
        )),
        Err(e) => Err(Error::keyring(&e)),
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
fn clear_delay(test_override: Option<u64>) -> Duration {
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
