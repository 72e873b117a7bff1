//! `verify --scheduled`: what the daily timer runs (`schedule daily`).
//!
//! Never prompts, never reads a terminal. Every account gets exactly one
//! login: IMAP `LOGIN` with the username form that worked last, no second
//! form when it is refused (each refused login is a security event for the
//! person), no SMTP (the same password: one verdict is enough). The result
//! is recorded in the config (`checked_at`, `check_result`,
//! `rejected_since`); the rejected accounts, and those whose keyring entry
//! is gone (mail is broken just the same), are put on the desktop in one
//! notice when a notifier is there. Unfinished saves are settled first, as `verify` does.
//! A locked or unreachable keyring is reported on stderr (the journal) and
//! recorded, without a notification: it says nothing about the password.

use std::io::Write;
use std::path::Path;

use crate::app::checking::{exit_for, settled_config, worst};
use crate::app::cli::VerifyArgs;
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::domain::check::result_for_report;
use crate::domain::config::AccountEntry;
use crate::domain::mail::diagnosis::summary_line;
use crate::domain::mail::{PendingPassword, Protocol};
use crate::domain::storage::{self, CheckResult, Recorded};
use crate::sys::notify::Notice;

/// `verify --scheduled`: every account checked once, the verdicts
/// recorded, the broken ones put on the desktop.
pub fn run(ctx: &Context<'_>, _args: VerifyArgs) -> Result<Outcome, Error> {
    // launchd appends this run's output to the agent's log: keep it bounded.
    #[cfg(target_os = "macos")]
    if let Some(home) = std::env::var_os("HOME") {
        let log = crate::domain::schedule::launchd::log_path(Path::new(&home));
        crate::domain::schedule::launchd::bound_log(
            &log,
            crate::domain::schedule::launchd::LOG_LIMIT,
        );
    }
    let (path, config) = ctx.open_config()?;
    let store = ctx.store();
    if config.accounts.is_empty() {
        let _ = writeln!(
            ctx.out(),
            "No accounts are configured in {}.",
            crate::app::output::shown(&path.display().to_string())
        );
        return Ok(Outcome::OK);
    }
    let emails: Vec<String> = config.accounts.iter().map(|a| a.email.clone()).collect();
    let config = settled_config(store, &path, config, &emails, &mut **ctx.err())
        .map_err(Error::already_said)?;
    let service = crate::app::checking::service(
        ctx.globals(),
        store,
        &path,
        ctx.settings(),
        ctx.make_checker(),
    );
    let fix_config = ctx.config_given();
    let out = &mut *ctx.out();
    let err = &mut *ctx.err();
    let mut exit = Exit::Ok;
    let mut broken = Broken::default();
    for entry in &config.accounts {
        let (code, result, accepted) = check_one(&service, entry, out, err);
        exit = worst(exit, code);
        let check = storage::Check {
            imap_username: accepted.as_deref(),
            ..storage::Check::of(result, entry.stored_at.as_deref())
        };
        let since = match service.record(entry, &service.settings_for(entry), check) {
            // Servers given in the environment: nothing to record or tell.
            None => continue,
            Some(Ok(Recorded::Yes { rejected_since })) => rejected_since,
            Some(Ok(Recorded::NoAccount)) => {
                let _ = writeln!(
                    out,
                    "{}: removed during the check; nothing recorded",
                    entry.email
                );
                continue;
            }
            Some(Ok(Recorded::Replaced)) => {
                let _ = writeln!(
                    out,
                    "{}: a new password was saved during the check; it is checked next time",
                    entry.email
                );
                continue;
            }
            Some(Err(e)) => {
                let _ = writeln!(err, "warning: the result could not be recorded: {e}");
                entry.rejected_since.clone()
            }
        };
        let fix = fix_command(&entry.email, fix_config);
        match result {
            CheckResult::Rejected => {
                let since = since.map(|s| format!(" (since {s})")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{}: the password is REJECTED{since}. Fix: {fix}",
                    entry.email
                );
                broken.rejected += 1;
                broken
                    .lines
                    .push(format!("{}: refused{since}. Fix: {fix}", entry.email));
            }
            CheckResult::NoPassword => {
                broken.missing += 1;
                broken
                    .lines
                    .push(format!("{}: no password stored. Fix: {fix}", entry.email));
            }
            _ => {}
        }
    }
    // One notice for all: a changed Apple Account password revokes every
    // app-specific password at once.
    if let Some(notice) = broken.notice()
        && let Err(e) = (ctx.notify())(&notice)
    {
        let _ = writeln!(err, "note: no desktop notification: {e}");
    }
    Ok(exit.into())
}

/// The accounts the daily check found without a working password: what
/// their one notice says.
#[derive(Default)]
struct Broken {
    rejected: usize,
    missing: usize,
    /// One line per account, with its fix.
    lines: Vec<String>,
}

impl Broken {
    /// The notice, worded for what was found: refused, missing, or both.
    fn notice(&self) -> Option<Notice> {
        let (title, why) = match (self.rejected > 0, self.missing > 0) {
            (false, false) => return None,
            (true, false) => (
                "iCloud Mail password rejected",
                "The iCloud Mail server refuses the stored password: it was revoked or the \
                 Apple Account password changed. Mail stops until it is replaced.",
            ),
            (false, true) => (
                "iCloud Mail password missing",
                "No iCloud Mail password is stored in the keyring: mail clients that ask \
                 icloud-mail-setup for it get none. Mail stops until one is stored.",
            ),
            (true, true) => (
                "iCloud Mail passwords need replacing",
                "The iCloud Mail server refuses a stored password, and another account has \
                 none stored. Mail stops for them until each has a new one.",
            ),
        };
        Some(Notice {
            title: title.into(),
            body: format!("{why}\n{}", self.lines.join("\n")),
        })
    }
}

/// One login for one account; its exit code and what to record.
pub(crate) fn check_one(
    service: &crate::domain::check::Service<'_>,
    entry: &AccountEntry,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> (Exit, CheckResult, Option<String>) {
    let store = service.store;
    let email = &entry.email;
    let account = match entry.account() {
        Ok(a) => a.with_one_imap_form(),
        Err(m) => {
            Error::failure(format!("{email}: {m}")).print(err);
            return (Exit::Failure, CheckResult::Error, None);
        }
    };
    // The timer carries no --ca-file: `check_settings` adds the one the
    // account was verified with.
    let settings = service.settings_for(entry);
    let password = match store.get(email) {
        Ok(Some(p)) => p,
        Ok(None) => {
            let _ = writeln!(
                err,
                "{email}: no password is stored in the {}; nothing was checked",
                store.name()
            );
            return (Exit::NoSuchAccount, CheckResult::NoPassword, None);
        }
        Err(e) => {
            let _ = writeln!(err, "{email}: not checked: {e}. {}", e.hint());
            return (Exit::Keyring, CheckResult::Keyring, None);
        }
    };
    let checker = (service.make_checker)(settings);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            Error::failure("could not start the async runtime")
                .because(e)
                .print(err);
            return (Exit::Failure, CheckResult::Error, None);
        }
    };
    let report = rt.block_on(checker.check_pending(
        Protocol::Imap,
        account,
        PendingPassword::ready(password),
    ));
    let result = result_for_report(&report);
    let code = exit_for(result);
    if result != CheckResult::Rejected {
        let _ = writeln!(out, "{email}: IMAP {}", summary_line(&report));
    }
    let accepted = report.outcome.as_ref().ok().map(|a| a.username.clone());
    (code, result, accepted)
}

/// The one command that replaces a rejected password; with `--config`
/// when the check ran with a config file of its own.
pub fn fix_command(email: &str, config: Option<&Path>) -> String {
    format!(
        "{} --account={}",
        crate::domain::invocation::Invocation::typed(config),
        crate::sys::text::shell_quote(email)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_what_was_found() {
        let title = |rejected, missing| {
            let b = Broken {
                rejected,
                missing,
                lines: vec!["a@icloud.com: …".into()],
            };
            b.notice().map(|n| (n.title, n.body))
        };
        assert!(title(0, 0).is_none());
        let (t, body) = title(1, 0).unwrap();
        assert_eq!(t, "iCloud Mail password rejected");
        assert!(body.contains("refuses the stored password") && body.ends_with("a@icloud.com: …"));
        let (t, body) = title(0, 2).unwrap();
        assert_eq!(t, "iCloud Mail password missing");
        assert!(!body.contains("refuses"), "{body}");
        assert_eq!(
            title(1, 1).unwrap().0,
            "iCloud Mail passwords need replacing"
        );
    }
}
