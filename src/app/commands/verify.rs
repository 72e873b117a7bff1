//! `verify` subcommand: check the stored password of one account (or all)
//! against the servers.

use std::io::Write;
use std::path::Path;

use crate::app::checking::{exit_for, service, settled_config, worst};
use crate::app::cli::VerifyArgs;
use crate::app::context::{ADD_ONE, Context};
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::output;
use crate::domain::check::{Verdict, settle_leftovers};
use crate::domain::config::AccountEntry;
use crate::domain::keyring::SecretStore;

mod print;

use print::print_checked;
pub(crate) use print::{print_advice, print_report_line};

/// `verify [EMAIL] [--json]`.
pub fn run(ctx: &Context<'_>, args: VerifyArgs) -> Result<Outcome, Error> {
    let (path, config) = ctx.open_config()?;
    let store = ctx.store();
    // A save cut short that the config shows (`pending`) is settled first,
    // so the check below sees the keyring and config agree.
    let config =
        settled_config(store, &path, config, &[], &mut **ctx.err()).map_err(Error::already_said)?;
    // One cut short before the config was written (a staging entry alone)
    // left every main entry as it was: each is settled beside its
    // account's check, once that check's password has been read.
    let mut leftovers = Leftovers(config.accounts.iter().map(|a| a.email.clone()).collect());
    let entries: Vec<AccountEntry> = match args.email.as_deref() {
        Some(raw) => match ctx.pick_account(&config, Some(raw), &path, "verify") {
            Ok(e) => vec![e.clone()],
            Err(e) => {
                leftovers.settle_now(store, &path, &mut **ctx.err());
                return Err(e);
            }
        },
        None if config.accounts.is_empty() => {
            return Err(Error::bare(
                Exit::NoSuchAccount,
                format!(
                    "No accounts are configured in {}. {ADD_ONE}",
                    path.display()
                ),
            ));
        }
        None => config.accounts.clone(),
    };
    let (exit, mut results) = check(ctx, &args, &path, &entries, &mut leftovers)?;
    leftovers.settle_now(store, &path, &mut **ctx.err());
    if args.json {
        let out = &mut *ctx.out();
        let _ = if args.email.is_some() {
            match results.pop() {
                Some(one) => output::json(out, &one),
                None => output::json(out, &()),
            }
        } else {
            output::json(out, &results)
        };
    }
    Ok(exit.into())
}

/// Check `entries` side by side, each printed as it ends (with `--json`:
/// kept for the end); the accounts left to settle are then those not
/// checked.
fn check(
    ctx: &Context<'_>,
    args: &VerifyArgs,
    path: &Path,
    entries: &[AccountEntry],
    leftovers: &mut Leftovers,
) -> Result<(Exit, Vec<print::AccountJson>), Error> {
    let service = service(
        ctx.globals(),
        ctx.store(),
        path,
        ctx.settings(),
        ctx.make_checker(),
    );
    let to_settle = leftovers.take();
    let mut exit = Exit::Ok;
    let mut results = Vec::new();
    let mut cancelled = None;
    let ims = ctx.typed_command();
    {
        let out = &mut *ctx.out();
        let err = &mut *ctx.err();
        service.check_all(entries, &to_settle, |checked| {
            if let Verdict::Cancelled(m) = &checked.verdict {
                cancelled = Some(m.clone());
                return false;
            }
            exit = worst(exit, exit_for(checked.result()));
            results.push(print_checked(&checked, args.json, &ims, out, err));
            true
        });
    }
    if let Some(m) = cancelled {
        return Err(Error::bare(Exit::Failure, m));
    }
    // The accounts not checked (one was named) are settled last.
    let checked: Vec<&str> = entries.iter().map(|e| e.email.as_str()).collect();
    leftovers.0 = to_settle
        .into_iter()
        .filter(|e| !checked.contains(&e.as_str()))
        .collect();
    Ok((exit, results))
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::app::cli::GlobalArgs;
    use crate::domain::account::Account;
    use crate::domain::keyring::{MemoryStore, StoreError};
    use crate::domain::mail::{Accepted, Endpoint, ErrorKind, Failure, Protocol};
    use crate::domain::mail::{CheckReport, CheckSettings, Checker, PendingPassword};
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
    ) -> (Outcome, String, String) {
        let make = |_: CheckSettings| -> Box<dyn Checker> {
            Box::new(Scripted {
                started: started.clone(),
                ..Scripted::default()
            })
        };
        let ctx = Context::new(globals, store).unwrap().with_checker(&make);
        let (code, out, err) = ctx.capture(|ctx| run(ctx, args(Some(EMAIL), false)));
        (code, out, err)
    }

    fn args(email: Option<&str>, json: bool) -> VerifyArgs {
        VerifyArgs {
            email: email.map(String::from),
            json,
            scheduled: false,
        }
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
            let ctx = Context::new(&globals, &store).unwrap().with_checker(&make);
            let (code, out, err) = ctx.capture(|ctx| run(ctx, args(None, json)));
            assert_eq!(code, Exit::Network, "{out}{err}");
            for text in [&out, &err] {
                crate::app::output::assert_inert(text, &format!("json {json}"));
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
        let ctx = Context::new(&globals, &store).unwrap().with_checker(&make);
        let (code, out, err) = ctx.capture(|ctx| run(ctx, args(None, false)));
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
