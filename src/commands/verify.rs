//! `verify` subcommand: check the stored password of one account (or all)
//! against the servers. Also home of the helpers the other subcommands share.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Value, json};

use super::Exit;
use crate::account::{Account, Email};
use crate::cli::GlobalArgs;
use crate::config::{self, AccountEntry, Config};
use crate::keyring::{SecretStore, StoreError};
use crate::mail::diagnosis::{diagnose, summary_line};
use crate::mail::{CheckReport, CheckSettings, Checker, ErrorKind, LiveChecker};
use crate::secret::Secret;
use crate::storage;

/// `verify [EMAIL] [--json]` on stdout/stderr with the live checker.
/// `store` is the keyring (`KeyringStore::new()` in production).
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, email: Option<&str>, json: bool) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, &live_checker, email, json, out, err)
}

/// Builds the checker for one account's settings.
pub type MakeChecker<'a> = dyn Fn(CheckSettings) -> Box<dyn Checker> + 'a;

/// The production [`MakeChecker`]: a [`LiveChecker`].
pub fn live_checker(settings: CheckSettings) -> Box<dyn Checker> {
    Box::new(LiveChecker::new(settings))
}

/// `verify` with its checker and output streams given (for tests).
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    make_checker: &MakeChecker<'_>,
    email: Option<&str>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let (path, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    // A save an earlier run did not finish is settled first, so the check
    // below sees the keyring and config agree.
    let config = if settle_unfinished(store, &path, &config, err) {
        match load_config(&path, err) {
            Ok(c) => c,
            Err(e) => return e,
        }
    } else {
        config
    };
    let settings = match globals.check_settings() {
        Ok(s) => s,
        Err(m) => {
            let _ = writeln!(err, "error: {m}");
            return Exit::Usage;
        }
    };
    let entries: Vec<AccountEntry> = match email {
        Some(raw) => {
            let email = match email_arg(raw, err) {
                Ok(e) => e,
                Err(e) => return e,
            };
            match config.find(email.as_str()) {
                Some(e) => vec![e.clone()],
                None => return no_such_account(err, &email, &path),
            }
        }
        None if config.accounts.is_empty() => {
            let _ = writeln!(
                err,
                "No accounts are configured in {}. {ADD_ONE}",
                path.display()
            );
            return Exit::NoSuchAccount;
        }
        None => config.accounts.clone(),
    };

    let mut exit = Exit::Ok;
    let mut results = Vec::new();
    for entry in &entries {
        let (code, value) = verify_one(
            globals,
            store,
            make_checker,
            &settings,
            &path,
            entry,
            json,
            out,
            err,
        );
        if code == Exit::Failure && value.get("cancelled").is_some() {
            return code;
        }
        exit = worst(exit, code);
        results.push(value);
    }
    if json {
        let doc = if email.is_some() {
            results.pop().unwrap_or(Value::Null)
        } else {
            Value::Array(results)
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
    exit
}

#[allow(clippy::too_many_arguments)]
fn verify_one(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    make_checker: &MakeChecker<'_>,
    settings: &CheckSettings,
    path: &Path,
    entry: &AccountEntry,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> (Exit, Value) {
    let fail =
        |error: String| json!({ "email": entry.email, "error": error, "imap": null, "smtp": null });
    let account = match entry.account() {
        Ok(a) => a,
        Err(m) => {
            let _ = writeln!(err, "error: {}: {m} (in {})", entry.email, path.display());
            return (Exit::Failure, fail(m));
        }
    };
    let secret = match store.get(account.email.as_str()) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let m = format!(
                "no password for {} is stored in the {}",
                entry.email,
                store.name()
            );
            let _ = writeln!(
                err,
                "error: {m}. Store one with `icloud-mail-setup store {} --password-stdin`.",
                entry.email
            );
            return (Exit::NoSuchAccount, fail(m));
        }
        Err(e) => {
            let code = report_store_error(err, &e);
            return (code, fail(e.to_string()));
        }
    };

    // Servers recorded with the account apply unless given on the command line.
    let settings = entry.check_settings(settings, globals.imap.is_some(), globals.smtp.is_some());
    if !json {
        let _ = writeln!(out, "{}:", entry.email);
        if !settings.uses_default_servers() {
            let _ = writeln!(
                out,
                "  servers: IMAP {}, SMTP {} (not Apple's: recorded for this account or given)",
                settings.imap, settings.smtp
            );
        }
    }
    let checker = make_checker(settings);
    let reports = run_checks(&*checker, &account, &secret, |r| {
        if !json {
            print_report_line(out, r);
        }
    });
    let (imap, smtp) = match reports {
        Ok(r) => r,
        Err(m) => {
            let _ = writeln!(err, "{m}");
            return (Exit::Failure, json!({ "cancelled": true }));
        }
    };
    if !json {
        print_advice(out, &imap);
        print_advice(out, &smtp);
    }
    let code = worst(exit_for_report(&imap), exit_for_report(&smtp));
    if code == Exit::Ok
        && let Err(e) = storage::mark_verified(path, &entry.email, SystemTime::now())
    {
        let _ = writeln!(
            err,
            "warning: the check passed but could not be recorded: {e}"
        );
    }
    let value = json!({
        "email": entry.email,
        "imap": report_json(&imap),
        "smtp": report_json(&smtp),
    });
    (code, value)
}

const ADD_ONE: &str = "Add one with `icloud-mail-setup` (the wizard) or \
    `icloud-mail-setup store EMAIL --password-stdin`.";

/// The config file: `--config`, else the platform default.
pub(crate) fn config_path(globals: &GlobalArgs, err: &mut dyn Write) -> Result<PathBuf, Exit> {
    globals.config_path().map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        Exit::Failure
    })
}

/// An address given on the command line, or a usage error saying why not.
pub(crate) fn email_arg(raw: &str, err: &mut dyn Write) -> Result<Email, Exit> {
    Email::parse(raw).map_err(|e| {
        let _ = writeln!(
            err,
            "error: `{}`: {e}",
            crate::text::escape_for_terminal(raw)
        );
        Exit::Usage
    })
}

/// The config's path and contents, or the exit code after saying why not.
pub(crate) fn open_config(
    globals: &GlobalArgs,
    err: &mut dyn Write,
) -> Result<(PathBuf, Config), Exit> {
    let path = config_path(globals, err)?;
    let config = load_config(&path, err)?;
    Ok((path, config))
}

/// Load the config or say why not (a parse error names path, line, column).
pub(crate) fn load_config(path: &Path, err: &mut dyn Write) -> Result<Config, Exit> {
    if let Some(warning) = config::tighten_permissions(path) {
        let _ = writeln!(err, "warning: {warning}");
    }
    config::load(path).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        if matches!(e, config::ConfigError::Parse { .. }) {
            let _ = writeln!(err, "Fix or move that file; it was left exactly as it is.");
        }
        Exit::Failure
    })
}

pub(crate) fn no_such_account(err: &mut dyn Write, email: &Email, path: &Path) -> Exit {
    let _ = writeln!(
        err,
        "error: no account {email} in {}. {ADD_ONE}",
        path.display()
    );
    Exit::NoSuchAccount
}

/// Finish or roll back any save an earlier run left unfinished, for every
/// account in `config`, saying what was done on `err`. Returns whether
/// anything changed.
pub(crate) fn settle_unfinished(
    store: &dyn SecretStore,
    path: &Path,
    config: &Config,
    err: &mut dyn Write,
) -> bool {
    let mut changed = false;
    for entry in &config.accounts {
        match storage::recover(store, path, &entry.email) {
            Ok(Some(r)) => {
                let _ = writeln!(err, "note: {r}");
                changed = true;
            }
            Ok(None) => {}
            Err(e) => {
                let _ = writeln!(
                    err,
                    "warning: could not settle an unfinished save of {}: {e}",
                    entry.email
                );
            }
        }
    }
    changed
}

/// Only when the config shows a save of `email` cut short (no keyring
/// call otherwise): finish or roll it back, saying what was done on `err`.
pub(crate) fn settle_if_pending(
    store: &dyn SecretStore,
    path: &Path,
    config: &Config,
    email: &str,
    err: &mut dyn Write,
) {
    if !storage::has_pending(config, email) {
        return;
    }
    match storage::recover(store, path, email) {
        Ok(Some(r)) => {
            let _ = writeln!(err, "note: {r}");
        }
        Ok(None) => {}
        Err(e) => {
            let _ = writeln!(err, "warning: could not settle an unfinished save: {e}");
        }
    }
}

/// Print a keyring error with what to do about it; always exit 5.
pub(crate) fn report_store_error(err: &mut dyn Write, e: &StoreError) -> Exit {
    let _ = writeln!(err, "error: {e}");
    let hint = e.hint();
    if !hint.is_empty() {
        let _ = writeln!(err, "{hint}");
    }
    Exit::Keyring
}

/// Run both checks on a current-thread runtime; Ctrl-C stops them.
/// `Err` carries the sentence to print when cancelled or when no runtime
/// could be made.
pub(crate) fn run_checks(
    checker: &dyn Checker,
    account: &Account,
    secret: &Secret,
    on_report: impl FnMut(&CheckReport),
) -> Result<(CheckReport, CheckReport), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: could not start the async runtime: {e}"))?;
    rt.block_on(async {
        tokio::select! {
            r = crate::mail::check_both(checker, account, secret, on_report) => Ok(r),
            _ = tokio::signal::ctrl_c() => Err("Cancelled. Nothing was changed.".to_string()),
        }
    })
}

/// `✓ IMAP  accepted as emily  (123 ms)`
pub(crate) fn print_report_line(out: &mut dyn Write, r: &CheckReport) {
    let mark = if r.accepted() { '✓' } else { '✗' };
    let _ = writeln!(
        out,
        "  {mark} {:<4}  {}  ({} ms)",
        r.protocol.label(),
        summary_line(r),
        r.elapsed.as_millis()
    );
}

/// The diagnosis advice of a failed check, indented.
pub(crate) fn print_advice(out: &mut dyn Write, r: &CheckReport) {
    if let Err(f) = &r.outcome {
        let d = diagnose(r.protocol, &r.endpoint, f.kind);
        if !d.advice.is_empty() {
            let _ = writeln!(out, "    {}", d.advice);
        }
    }
}

fn report_json(r: &CheckReport) -> Value {
    let (username, rejected, kind, message) = match &r.outcome {
        Ok(a) => (
            Some(a.username.clone()),
            a.rejected.clone(),
            None,
            summary_line(r),
        ),
        Err(f) => (None, Vec::new(), Some(f.kind.id()), summary_line(r)),
    };
    json!({
        "ok": r.accepted(),
        "username": username,
        "rejected_usernames": rejected,
        "elapsed_ms": u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
        "error_kind": kind,
        "message": message,
    })
}

/// The exit code a failure kind maps to.
pub fn exit_for_kind(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::PasswordRejected => Exit::Rejected,
        ErrorKind::Dns
        | ErrorKind::ConnectionRefused
        | ErrorKind::Timeout
        | ErrorKind::UntrustedCertificate
        | ErrorKind::HostnameMismatch
        | ErrorKind::Tls
        | ErrorKind::ConnectionClosed
        | ErrorKind::UnexpectedReply
        | ErrorKind::StartTlsNotOffered
        | ErrorKind::ServerUnavailable
        | ErrorKind::Oversized
        | ErrorKind::StartTlsInjection
        | ErrorKind::Network => Exit::Network,
        ErrorKind::Cancelled | ErrorKind::CaFile => Exit::Failure,
    }
}

pub(crate) fn exit_for_report(r: &CheckReport) -> Exit {
    match &r.outcome {
        Ok(_) => Exit::Ok,
        Err(f) => exit_for_kind(f.kind),
    }
}

/// The more serious of two outcomes: rejected (3) > network (4) >
/// keyring (5) > no such account (6) > other (1) > usage (2) > ok (0).
pub fn worst(a: Exit, b: Exit) -> Exit {
    fn rank(e: Exit) -> u8 {
        match e {
            Exit::Ok => 0,
            Exit::Usage => 1,
            Exit::Failure => 2,
            Exit::NoSuchAccount => 3,
            Exit::Keyring => 4,
            Exit::Network => 5,
            Exit::Rejected => 6,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}
