//! `store EMAIL --password-stdin [--login ADDR] [--label L]`: read a
//! password from stdin, verify it live, and only then store it.

use std::io::{BufRead, Read, Write};
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::verify::{print_advice, print_report_line};
use crate::app::checking::{exit_for_report, worst};
use crate::app::cli::StoreArgs;
use crate::app::context::{Context, Input};
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::domain::account::{Account, Email};
use crate::domain::apppass;
use crate::domain::check::{Progress, run_checks};
use crate::domain::keyring::SERVICE;
use crate::domain::mail::PendingPassword;
use crate::domain::storage::{self, SaveError, SaveRequest, Saved};
use crate::sys::secret::Secret;

/// The most read from stdin for the password line.
pub const MAX_STDIN_LINE: usize = 4096;

/// `store EMAIL --password-stdin`: the password read from stdin (typed
/// at a terminal: not echoed), checked, and only then stored.
pub fn run(ctx: &Context<'_>, args: StoreArgs) -> Result<Outcome, Error> {
    let mut input = ctx.input();
    match &mut *input {
        Input::Given(given) => save(ctx, &args, &mut **given),
        Input::Nothing => save(ctx, &args, &mut std::io::empty()),
        Input::Stdin => {
            signals::watch();
            // Typed at a terminal, the password must not be echoed into
            // its scrollback.
            let echo_off = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                // Echo off first, then the prompt: what is typed after the
                // prompt appears is never shown.
                let off = crate::sys::echo::EchoOff::new();
                eprint!("App-specific password (not shown), then Enter: ");
                off
            } else {
                None
            };
            // Echo comes back as soon as the line is read (on Windows the
            // console then moves to a new line, which it does not do for
            // Enter with echo off).
            let stdin = std::io::stdin().lock();
            save(
                ctx,
                &args,
                &mut crate::sys::echo::HiddenLine::new(stdin, echo_off),
            )
        }
    }
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT during `store` (on Windows:
/// Ctrl-C, Ctrl-Break and closing the console window, see
/// `stop_signals`): echo is turned back on, a save in progress is let
/// finish (bounded), and one line says whether the password was stored,
/// before the process leaves with 128 + the signal.
mod signals {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::domain::storage;

    /// Set once the password is stored.
    pub static STORED: AtomicBool = AtomicBool::new(false);

    /// Block the four signals in this thread (and so in every thread it
    /// starts later) and handle them on a thread of their own.
    #[cfg(unix)]
    pub fn watch() {
        // SAFETY: sigset operations on a zeroed set we own; the mask is
        // changed for this thread only.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::sigaddset(&mut set, sig);
            }
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return;
            }
            set
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut sig = 0;
                // SAFETY: sigwait on the set blocked above.
                if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                    return;
                }
                stop(sig);
            });
    }

    /// Console control events, handled on a thread of their own (their
    /// handler is registered before this returns).
    #[cfg(windows)]
    pub fn watch() {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let signals = {
            let _entered = rt.enter();
            crate::sys::stop_signals::StopSignals::new()
        };
        let Ok(mut signals) = signals else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || stop(rt.block_on(signals.recv())));
    }

    #[cfg(not(any(unix, windows)))]
    pub fn watch() {}

    #[cfg(any(unix, windows))]
    fn stop(sig: i32) {
        // Held until _exit: no save can start after this.
        let held = storage::hold_saves(storage::SAVE_GRACE);
        let finished = held.is_some();
        crate::sys::echo::restore();
        let line = if STORED.load(Ordering::SeqCst) {
            "stopped by a signal; the password had been checked and stored first."
        } else if finished {
            "stopped by a signal; nothing was stored."
        } else {
            "stopped by a signal while saving; the next run finishes or rolls back \
             that save."
        };
        // Straight to fd 2 and out: the main thread may hold the stderr and
        // stdout locks, so neither eprintln! nor process::exit (which
        // flushes stdout) is safe here.
        let text = format!("\nicloud-mail-setup: {line}\n");
        // SAFETY: write(2) of a buffer we own, then _exit(2).
        unsafe {
            libc::write(2, text.as_ptr().cast(), text.len() as _);
            libc::_exit(128 + sig);
        }
    }
}

/// `store` with the password read from `input`.
fn save(ctx: &Context<'_>, args: &StoreArgs, input: &mut dyn BufRead) -> Result<Outcome, Error> {
    let account = account_from_args(&args.email, args.login.as_deref()).map_err(Error::usage)?;
    let label = label_arg(args.label.as_deref())?;
    let settings = ctx.settings().clone();
    // A config that does not parse stops us before anything else happens.
    let (path, _) = ctx.open_config()?;
    let secret = read_password(input).map_err(Error::usage)?;
    let store = ctx.store();
    // The keyring first: no point checking a password that cannot be kept.
    if let Err(e) = store.preflight() {
        let _ = writeln!(ctx.err(), "Nothing was checked or stored.");
        return Err(Error::keyring(&e));
    }

    // Known to the debug log's filter before any server line is logged.
    crate::sys::log::register_password(&secret);
    let checker = (ctx.make_checker())(settings.clone());
    let _ = writeln!(ctx.out(), "Checking {} …", account.email);
    let password = PendingPassword::ready(secret.clone());
    let reports = run_checks(&*checker, &account, &password, |progress| {
        if let Progress::Report(r) = progress {
            print_report_line(&mut **ctx.out(), r);
        }
    });
    let (imap, smtp) = match reports {
        Ok(Some(r)) => r,
        // Not with a password in hand.
        Ok(None) => return Err(Error::failure("the checks did not get the password")),
        Err(m) => return Err(Error::bare(Exit::Failure, m)),
    };
    let (Ok(imap_ok), Ok(smtp_ok)) = (&imap.outcome, &smtp.outcome) else {
        let out = &mut *ctx.out();
        print_advice(out, account.email.as_str(), [&imap, &smtp]);
        let _ = writeln!(
            out,
            "Nothing was stored: the password is kept only when both checks pass."
        );
        return Ok(worst(exit_for_report(&imap), exit_for_report(&smtp)).into());
    };

    let req = SaveRequest {
        account: account.clone(),
        secret,
        label,
        imap_username: imap_ok.username.clone(),
        smtp_username: smtp_ok.username.clone(),
        settings,
    };
    let saved = storage::save_verified(store, &path, &req, SystemTime::now()).map_err(not_saved)?;
    signals::STORED.store(true, std::sync::atomic::Ordering::SeqCst);
    say_stored(ctx, &account, saved);
    Ok(Outcome::OK)
}

/// `--label`: it goes to the config in clear, so printable, bounded, and
/// never a password.
fn label_arg(label: Option<&str>) -> Result<Option<String>, Error> {
    match label.map(crate::domain::account::check_label).transpose() {
        Ok(Some(l)) if apppass::holds_password(&l) => Err(Error::usage(
            "--label looks like an app-specific password; labels are stored in clear, so give \
             the name you typed at account.apple.com instead.",
        )),
        Ok(l) => Ok(l),
        Err(e) => Err(Error::usage(format!("--label: {e}"))),
    }
}

/// Where the password went, and which one to revoke when it replaced one.
fn say_stored(ctx: &Context<'_>, account: &Account, saved: Saved) {
    if let Some(r) = &saved.recovered {
        let _ = writeln!(ctx.err(), "note: {r}");
    }
    let out = &mut *ctx.out();
    let _ = writeln!(
        out,
        "Stored in the {} (service {SERVICE}, account {}); settings in {}.",
        saved.store_name,
        account.email,
        crate::app::output::shown(&saved.config_path.display().to_string())
    );
    if saved.replaced {
        let which = saved
            .previous_label
            .map(|l| format!("\"{l}\""))
            .unwrap_or_else(|| "the old password's label".into());
        let _ = writeln!(
            out,
            "This replaced the previous password. Revoke that one at account.apple.com: \
             Sign-In and Security → App-Specific Passwords → {which} → Revoke."
        );
    }
}

/// A save that failed, with what is known of the keyring and the config.
fn not_saved(e: SaveError) -> Error {
    match e {
        SaveError::Store(e) => Error::bare(
            Exit::Keyring,
            "The password works, but it could not be stored; the keyring and the settings are \
             as they were.",
        )
        .hint(format!("error: {e}"))
        .hint(e.hint()),
        SaveError::Config(e) => Error::failure(e.to_string()).hint(
            "The password works, but the settings could not be written; the keyring is as it \
             was.",
        ),
        e @ SaveError::Unsettled(_) => Error::new(Exit::Keyring, e.to_string()).hint(
            "The password works, but the save did not finish, and what is stored now is not \
             certain.",
        ),
    }
}

/// `EMAIL` and `--login` as an account, or what is wrong with them.
pub fn account_from_args(email: &str, login: Option<&str>) -> Result<Account, String> {
    let email = Email::parse(email)
        .map_err(|e| format!("`{}`: {e}", crate::sys::text::escape_for_terminal(email)))?;
    match login {
        None if email.is_apple() => Ok(Account::apple(email)),
        None => Err(format!(
            "{email} is on a custom domain, which logs in with the account's primary iCloud \
             Mail address: give it with --login NAME@icloud.com (or @me.com, @mac.com)."
        )),
        Some(raw) => {
            let login = Email::parse_apple(raw).map_err(|e| {
                format!(
                    "--login `{}`: {e}",
                    crate::sys::text::escape_for_terminal(raw)
                )
            })?;
            if email.is_apple() && login != email {
                return Err(format!(
                    "{email} is an iCloud address and logs in as itself; --login is only for \
                     custom-domain addresses."
                ));
            }
            Ok(Account::new(email, login))
        }
    }
}

/// One line of at most [`MAX_STDIN_LINE`] bytes, normalised to the
/// app-specific password form. The raw bytes are zeroed when dropped.
pub fn read_password(input: &mut dyn BufRead) -> Result<Secret, String> {
    // Room for the longest line read, so the buffer never grows (a
    // reallocation would leave an unzeroed copy behind).
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_STDIN_LINE + 2));
    let limit = (MAX_STDIN_LINE + 1) as u64;
    Read::take(input, limit)
        .read_until(b'\n', &mut buf)
        .map_err(|e| format!("could not read standard input: {e}"))?;
    if buf.len() > MAX_STDIN_LINE {
        return Err(format!(
            "the first line of standard input is longer than {MAX_STDIN_LINE} bytes; it was \
             not used."
        ));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    let text = std::str::from_utf8(&buf)
        .map_err(|_| "standard input is not text; it was not used.".to_string())?;
    if text.trim().is_empty() {
        return Err("no password on standard input (pipe it in, one line).".into());
    }
    apppass::normalise(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_line_and_normalises() {
        let mut input: &[u8] = b"ABCD efgh IJKL mnop\r\nsecond line\n";
        assert_eq!(
            read_password(&mut input).unwrap().expose(),
            "abcd-efgh-ijkl-mnop"
        );
        let mut empty: &[u8] = b"";
        assert!(read_password(&mut empty).is_err());
        let long = vec![b'a'; 5000];
        let e = read_password(&mut &long[..]).unwrap_err();
        assert!(e.contains("4096"), "{e}");
        let mut digits: &[u8] = b"abcd-efgh-ijkl-mno1\n";
        let e = read_password(&mut digits).unwrap_err();
        assert!(e.contains("digits"), "{e}");
        assert!(!e.contains("mno1"), "{e}");
    }

    #[test]
    fn custom_domains_need_an_apple_login() {
        assert!(account_from_args("me@example.org", None).is_err());
        assert!(account_from_args("me@example.org", Some("me@example.org")).is_err());
        let a = account_from_args("me@example.org", Some("Emily@iCloud.com")).unwrap();
        assert_eq!(a.login.as_str(), "emily@icloud.com");
        assert!(account_from_args("a@icloud.com", Some("b@icloud.com")).is_err());
        assert!(account_from_args("a@icloud.com", Some("A@icloud.com")).is_ok());
        assert!(account_from_args("not-an-address", None).is_err());
    }
}
