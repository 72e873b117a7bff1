//! `verify` subcommand: check the stored password of one account (or all)
//! against the servers. Also home of the helpers the other subcommands share.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Exit;
use crate::app::checking::{exit_for, service, settled_config, worst};
use crate::app::cli::GlobalArgs;
use crate::app::output::{self, shown};
use crate::domain::account::Email;
use crate::domain::check::{Checked, MakeChecker, Verdict, live_checker, settle_leftovers};
use crate::domain::config::{self, AccountEntry, Config};
use crate::domain::keyring::{SecretStore, StoreError};
use crate::domain::mail::diagnosis::{diagnose, summary_line};
use crate::domain::mail::{CheckReport, CheckSettings};

/// `verify [EMAIL] [--json]` on stdout/stderr with the live checker.
/// `store` is the keyring (`KeyringStore::new()` in production).
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, email: Option<&str>, json: bool) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, &live_checker, email, json, out, err)
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
    // A save cut short that the config shows (`pending`) is settled first,
    // so the check below sees the keyring and config agree.
    let config = match settled_config(store, &path, config, &[], err) {
        Ok(c) => c,
        Err(e) => return e,
    };
    // One cut short before the config was written (a staging entry alone)
    // left every main entry as it was: each is settled beside its
    // account's check, once that check's password has been read.
    let mut leftovers = Leftovers(config.accounts.iter().map(|a| a.email.clone()).collect());
    let settings = match check_settings(globals, err) {
        Ok(s) => s,
        Err(code) => {
            leftovers.settle_now(store, &path, err);
            return code;
        }
    };
    let entries: Vec<AccountEntry> = match email {
        Some(raw) => match pick_account(&config, Some(raw), &path, "verify", err) {
            Ok(e) => vec![e.clone()],
            Err(code) => {
                leftovers.settle_now(store, &path, err);
                return code;
            }
        },
        None if config.accounts.is_empty() => {
            let _ = writeln!(
                err,
                "No accounts are configured in {}. {ADD_ONE}",
                shown(&path.display().to_string())
            );
            return Exit::NoSuchAccount;
        }
        None => config.accounts.clone(),
    };

    let service = service(globals, store, &path, &settings, make_checker);
    let to_settle = leftovers.take();
    let mut exit = Exit::Ok;
    let mut results = Vec::new();
    let mut cancelled = None;
    service.check_all(&entries, &to_settle, |checked| {
        if let Verdict::Cancelled(m) = &checked.verdict {
            cancelled = Some(m.clone());
            return false;
        }
        exit = worst(exit, exit_for(checked.result()));
        results.push(print_checked(&checked, json, out, err));
        true
    });
    if let Some(m) = cancelled {
        let _ = writeln!(err, "{m}");
        return Exit::Failure;
    }
    // The accounts not checked (one was named) are settled last.
    let checked: Vec<&str> = entries.iter().map(|e| e.email.as_str()).collect();
    leftovers.0 = to_settle
        .into_iter()
        .filter(|e| !checked.contains(&e.as_str()))
        .collect();
    leftovers.settle_now(store, &path, err);
    if json {
        let _ = if email.is_some() {
            match results.pop() {
                Some(one) => output::json(out, &one),
                None => output::json(out, &()),
            }
        } else {
            output::json(out, &results)
        };
    }
    exit
}

/// One account in `verify --json`: `{email, imap, smtp}`, with `error`
/// (and `imap`, `smtp` null) when it could not be checked.
#[derive(Serialize)]
struct AccountJson {
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    imap: Option<ReportJson>,
    smtp: Option<ReportJson>,
}

/// One check in `verify --json`.
#[derive(Serialize)]
struct ReportJson {
    ok: bool,
    username: Option<String>,
    rejected_usernames: Vec<String>,
    elapsed_ms: u64,
    error_kind: Option<&'static str>,
    message: String,
}

/// Print one account's check (text on `out` unless `json`, errors and
/// notes on `err`, every value escaped); its `--json` form.
fn print_checked(c: &Checked, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> AccountJson {
    for note in &c.notes {
        let _ = writeln!(err, "{}", shown(note));
    }
    let email = shown(&c.email);
    let failed = |error: String| AccountJson {
        email: c.email.clone(),
        error: Some(error),
        imap: None,
        smtp: None,
    };
    let (imap, smtp) = match &c.verdict {
        Verdict::Checked { imap, smtp } => (imap, smtp),
        Verdict::BadEntry(m) => {
            let _ = writeln!(err, "error: {email}: {}", shown(m));
            return failed(m.clone());
        }
        Verdict::NoPassword(store) => {
            let m = format!("no password for {} is stored in the {store}", c.email);
            let _ = writeln!(
                err,
                "error: {}. Store one with `icloud-mail-setup store {email} --password-stdin`.",
                shown(&m)
            );
            return failed(m);
        }
        Verdict::Keyring(e) => {
            report_store_error(err, e);
            return failed(e.to_string());
        }
        Verdict::Failed(m) | Verdict::Cancelled(m) => {
            let _ = writeln!(err, "error: {}", shown(m));
            return failed(m.clone());
        }
    };
    if !json {
        let _ = writeln!(out, "{email}:");
        if !c.settings.uses_default_servers() {
            let _ = writeln!(
                out,
                "  servers: IMAP {}, SMTP {} (not Apple's: recorded for this account or given)",
                shown(&c.settings.imap.to_string()),
                shown(&c.settings.smtp.to_string())
            );
        }
        // In the order they ended, as a live run would show them.
        let (first, second) = if smtp.elapsed < imap.elapsed {
            (smtp, imap)
        } else {
            (imap, smtp)
        };
        print_report_line(out, first);
        print_report_line(out, second);
        print_advice(out, &c.email, [imap, smtp]);
    }
    if let Some(e) = &c.unrecorded {
        let _ = writeln!(
            err,
            "warning: the result could not be recorded: {}",
            shown(e)
        );
    }
    AccountJson {
        email: c.email.clone(),
        error: None,
        imap: Some(report_json(imap)),
        smtp: Some(report_json(smtp)),
    }
}

/// Accounts whose staging entry (a save cut short before the config said
/// `pending`) is still to be looked for and settled.
struct Leftovers(Vec<String>);

impl Leftovers {
    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.0)
    }

    /// Settle what is left now, on this thread.
    fn settle_now(&mut self, store: &dyn SecretStore, path: &Path, err: &mut dyn Write) {
        for note in settle_leftovers(store, path, &self.take()) {
            let _ = writeln!(err, "{note}");
        }
    }
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
            crate::sys::text::escape_for_terminal(raw)
        );
        Exit::Usage
    })
}

/// The config's path and contents, or the exit code after saying why not.
/// The check settings the global options give (servers, CA file,
/// timeout), or a usage error said on `err` (escaped) and its exit code.
pub(crate) fn check_settings(
    globals: &GlobalArgs,
    err: &mut dyn Write,
) -> Result<CheckSettings, Exit> {
    globals.check_settings().map_err(|m| {
        let _ = writeln!(err, "error: {}", shown(&m));
        Exit::Usage
    })
}

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
    // Read (and so checked: a regular file of this user) before its mode
    // is touched.
    let config = config::load(path).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        if matches!(e, config::ConfigError::Parse { .. }) {
            let _ = writeln!(err, "Fix or move that file; it was left exactly as it is.");
        }
        Exit::Failure
    })?;
    if let Some(warning) = config::tighten_permissions(path) {
        let _ = writeln!(err, "warning: {warning}");
    }
    Ok(config)
}

/// The one account picker: the account `email` names (a usage error when
/// it is not an address, exit 6 when it is not configured), else the only
/// one configured; otherwise says why not on `err`. `command` is named in
/// the hint when several are configured.
pub(crate) fn pick_account<'a>(
    config: &'a Config,
    email: Option<&str>,
    path: &Path,
    command: &str,
    err: &mut dyn Write,
) -> Result<&'a AccountEntry, Exit> {
    match email {
        Some(raw) => {
            let email = email_arg(raw, err)?;
            config
                .find(email.as_str())
                .ok_or_else(|| no_such_account(err, &email, path))
        }
        None => match config.accounts.as_slice() {
            [only] => Ok(only),
            [] => {
                let _ = writeln!(
                    err,
                    "error: no accounts are configured in {}. {ADD_ONE}",
                    shown(&path.display().to_string())
                );
                Err(Exit::NoSuchAccount)
            }
            several => {
                let names: Vec<&str> = several.iter().map(|a| a.email.as_str()).collect();
                let _ = writeln!(
                    err,
                    "error: {} accounts are configured; say which: `icloud-mail-setup {command} \
                     EMAIL` with one of {}",
                    names.len(),
                    shown(&names.join(", "))
                );
                Err(Exit::Usage)
            }
        },
    }
}

pub(crate) fn no_such_account(err: &mut dyn Write, email: &Email, path: &Path) -> Exit {
    let _ = writeln!(
        err,
        "error: no account {email} in {}. {ADD_ONE}",
        shown(&path.display().to_string())
    );
    Exit::NoSuchAccount
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

/// `✓ IMAP  accepted as emily  (123 ms)`
pub(crate) fn print_report_line(out: &mut dyn Write, r: &CheckReport) {
    let mark = if r.accepted() { '✓' } else { '✗' };
    let _ = writeln!(
        out,
        "  {mark} {:<4}  {}  ({} ms)",
        r.protocol.label(),
        shown(&summary_line(r)),
        r.elapsed.as_millis()
    );
}

/// The diagnosis advice of the failed checks, indented, each once (both
/// checks failing the same way get one), worded for a command.
pub(crate) fn print_advice(out: &mut dyn Write, email: &str, reports: [&CheckReport; 2]) {
    let mut said: Vec<String> = Vec::new();
    for r in reports {
        if let Err(f) = &r.outcome {
            let d = diagnose(r.protocol, &r.endpoint, f.kind).for_command(email);
            if !d.advice.is_empty() && !said.contains(&d.advice) {
                let _ = writeln!(out, "    {}", shown(&d.advice));
                said.push(d.advice);
            }
        }
    }
}

fn report_json(r: &CheckReport) -> ReportJson {
    let (username, rejected, kind) = match &r.outcome {
        Ok(a) => (Some(a.username.clone()), a.rejected.clone(), None),
        Err(f) => (None, f.refused.clone(), Some(f.kind.id())),
    };
    ReportJson {
        ok: r.accepted(),
        username,
        rejected_usernames: rejected,
        elapsed_ms: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
        error_kind: kind,
        message: summary_line(r),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::domain::account::Account;
    use crate::domain::keyring::MemoryStore;
    use crate::domain::mail::{Accepted, Endpoint, ErrorKind, Failure, Protocol};
    use crate::domain::mail::{Checker, PendingPassword};
    use crate::sys::secret::Secret;

    const EMAIL: &str = "emily@icloud.com";
    const PASSWORD: &str = "abcd-efgh-ijkl-mnop";

    /// How many checks have started (a live checker would be connecting).
    type Started = Arc<(Mutex<usize>, Condvar)>;

    /// The checker of these tests. Each check counts itself as started
    /// (a live checker would be connecting), waits for the password, then,
    /// with `together`, until that many checks have started (at most 10 s,
    /// else it times out: checks made one after another never get there);
    /// with `no_such_host`, fails to look up the host it was given; else it
    /// is accepted as `emily` when the password is right.
    #[derive(Default)]
    struct Scripted {
        started: Started,
        together: usize,
        no_such_host: Option<CheckSettings>,
    }

    fn report(protocol: Protocol, outcome: Result<Accepted, Failure>) -> CheckReport {
        CheckReport {
            protocol,
            endpoint: Endpoint::new("localhost", 1),
            outcome,
            elapsed: Duration::from_millis(1),
            attempts: 1,
        }
    }

    impl Checker for Scripted {
        fn check(
            &self,
            _protocol: Protocol,
            _account: Account,
            _password: Secret,
        ) -> BoxFuture<'static, CheckReport> {
            unreachable!("verify gives its checks a pending password")
        }

        fn check_pending(
            &self,
            protocol: Protocol,
            _account: Account,
            password: PendingPassword,
        ) -> BoxFuture<'_, CheckReport> {
            let (n, cv) = &*self.started;
            *n.lock().unwrap() += 1;
            cv.notify_all();
            let (started, together) = (self.started.clone(), self.together);
            Box::pin(async move {
                let password = password.get().await;
                let waited = tokio::task::spawn_blocking(move || {
                    let (n, cv) = &*started;
                    let long = Duration::from_secs(10);
                    let (n, _) = cv
                        .wait_timeout_while(n.lock().unwrap(), long, |n| *n < together)
                        .unwrap();
                    *n >= together
                });
                let outcome = match (&self.no_such_host, password) {
                    _ if !waited.await.unwrap_or(false) => {
                        Err(Failure::new(ErrorKind::Timeout, "checked alone"))
                    }
                    (Some(s), _) => {
                        let endpoint = match protocol {
                            Protocol::Imap => s.imap.clone(),
                            Protocol::Smtp => s.smtp.clone(),
                        };
                        let failed = Err(Failure::new(ErrorKind::Dns, "no such host"));
                        return CheckReport {
                            endpoint,
                            ..report(protocol, failed)
                        };
                    }
                    (None, Some(p)) if p.expose() == PASSWORD => Ok(Accepted {
                        username: "emily".into(),
                        rejected: vec![],
                    }),
                    _ => Err(crate::domain::mail::no_password()),
                };
                report(protocol, outcome)
            })
        }
    }

    /// A keyring that answers only once both checks have started (at most
    /// 10 s, then an error): a `verify` that read it before starting them
    /// would get the error.
    struct AnswersOnceChecksStarted {
        inner: MemoryStore,
        started: Started,
    }

    impl SecretStore for AnswersOnceChecksStarted {
        fn name(&self) -> String {
            "test keyring".into()
        }
        fn preflight(&self) -> Result<(), StoreError> {
            self.inner.preflight()
        }
        fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
            let (n, cv) = &*self.started;
            let (started, _) = cv
                .wait_timeout_while(n.lock().unwrap(), Duration::from_secs(10), |n| *n < 2)
                .unwrap();
            if *started < 2 {
                return Err(StoreError::Other("read before the checks started".into()));
            }
            self.inner.get(account)
        }
        fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
            self.inner.set(account, secret)
        }
        fn delete(&self, account: &str) -> Result<(), StoreError> {
            self.inner.delete(account)
        }
    }

    fn config_with_account(dir: &Path) -> GlobalArgs {
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            format!("[[account]]\nemail = \"{EMAIL}\"\nlogin = \"{EMAIL}\"\n"),
        )
        .unwrap();
        GlobalArgs {
            config: Some(path),
            ..GlobalArgs::default()
        }
    }

    fn verify(
        store: &dyn SecretStore,
        started: &Started,
        globals: &GlobalArgs,
    ) -> (Exit, String, String) {
        let make = |_: CheckSettings| -> Box<dyn Checker> {
            Box::new(Scripted {
                started: started.clone(),
                ..Scripted::default()
            })
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(
            globals,
            store,
            &make,
            Some(EMAIL),
            false,
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn values_from_arguments_reach_the_terminal_escaped_in_text_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let evil = "evil\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}.example:1993";
        let globals = GlobalArgs {
            imap: Some(evil.into()),
            smtp: Some(evil.into()),
            ..config_with_account(dir.path())
        };
        let store = MemoryStore::new();
        store.set(EMAIL, &Secret::new(PASSWORD.into())).unwrap();
        let make = |s: CheckSettings| -> Box<dyn Checker> {
            Box::new(Scripted {
                no_such_host: Some(s),
                ..Scripted::default()
            })
        };
        for json in [false, true] {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run_with(&globals, &store, &make, None, json, &mut out, &mut err);
            let (out, err) = (
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            );
            assert_eq!(code, Exit::Network, "{out}{err}");
            for text in [&out, &err] {
                assert!(
                    !text
                        .chars()
                        .any(|c| (c.is_control() && c != '\n')
                            || crate::sys::text::is_bidi_control(c)),
                    "json {json}: {text:?}"
                );
            }
            if json {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v[0]["imap"]["error_kind"], "dns", "{out}");
                assert!(
                    v[0]["imap"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("evil\u{1b}]0;pwned"),
                    "{out}"
                );
            } else {
                assert!(
                    out.contains(r"evil\x1b]0;pwned\x07\u{009b}31m\u{202e}"),
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn several_accounts_are_checked_side_by_side_and_shown_in_config_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let emails = ["c@icloud.com", "a@icloud.com", "b@icloud.com"];
        let store = MemoryStore::new();
        let mut text = String::new();
        for e in emails {
            text.push_str(&format!("[[account]]\nemail = \"{e}\"\nlogin = \"{e}\"\n"));
            store.set(e, &Secret::new(PASSWORD.into())).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        let globals = GlobalArgs {
            config: Some(path),
            ..GlobalArgs::default()
        };
        let started = Started::default();
        let make = |_: CheckSettings| -> Box<dyn Checker> {
            Box::new(Scripted {
                started: started.clone(),
                together: 2 * emails.len(),
                ..Scripted::default()
            })
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(&globals, &store, &make, None, false, &mut out, &mut err);
        let (out, err) = (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        );
        assert_eq!(code, Exit::Ok, "{out}{err}");
        let headers: Vec<&str> = out.lines().filter(|l| l.ends_with(':')).collect();
        assert_eq!(
            headers,
            ["c@icloud.com:", "a@icloud.com:", "b@icloud.com:"],
            "{out}"
        );
        assert_eq!(out.matches('✓').count(), 6, "{out}");
    }

    #[test]
    fn the_checks_start_while_the_keyring_is_still_being_read() {
        let dir = tempfile::tempdir().unwrap();
        let globals = config_with_account(dir.path());
        let started = Started::default();
        let store = AnswersOnceChecksStarted {
            inner: MemoryStore::new(),
            started: started.clone(),
        };
        store
            .inner
            .set(EMAIL, &Secret::new(PASSWORD.into()))
            .unwrap();
        let (code, out, err) = verify(&store, &started, &globals);
        assert_eq!(code, Exit::Ok, "{out}{err}");
        assert_eq!(*started.0.lock().unwrap(), 2);
        assert!(out.starts_with(&format!("{EMAIL}:\n")), "{out}");
        assert_eq!(out.matches("✓").count(), 2, "{out}");
        assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    }

    #[test]
    fn no_password_in_the_keyring_is_reported_as_before_and_no_check_is_shown() {
        let dir = tempfile::tempdir().unwrap();
        let globals = config_with_account(dir.path());
        let started = Started::default();
        // Nothing stored.
        let (code, out, err) = verify(&MemoryStore::new(), &started, &globals);
        assert_eq!(code, Exit::NoSuchAccount, "{out}{err}");
        assert_eq!(out, "", "no header, no check line");
        assert!(
            err.contains("no password for emily@icloud.com is stored"),
            "{err}"
        );
        // The keyring unreachable: exit 5 with its hint, nothing else.
        let unreachable = MemoryStore::failing(StoreError::Unavailable {
            reason: "no bus".into(),
            hint: "Start a keyring.".into(),
        });
        let (code, out, err) = verify(&unreachable, &started, &globals);
        assert_eq!(code, Exit::Keyring, "{out}{err}");
        assert_eq!(out, "");
        assert!(
            err.contains("no keyring is reachable: no bus\nStart a keyring."),
            "{err}"
        );
        let config = std::fs::read_to_string(globals.config.as_ref().unwrap()).unwrap();
        assert!(!config.contains("verified_at"), "{config}");
    }
}
