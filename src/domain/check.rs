//! The one service that checks a stored account: resolves its servers and
//! CA, reads its password from the keyring while the checks connect, runs
//! them, and records the verdict and the accepted usernames under the
//! config lock. The rule "a check against other servers records nothing"
//! lives here ([`record`]); `verify --scheduled`, `doctor` and the
//! wizard record through it too. Several accounts are checked side by side, [`AT_ONCE`] at a
//! time ([`Service::check_all`]), so three take about as long as one.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use crate::domain::config::{AccountEntry, ConfigError};
use crate::domain::keyring::{SecretStore, StoreError};
use crate::domain::mail::{CheckReport, CheckSettings, PendingPassword};
use crate::domain::storage::{self, CheckResult, Recorded};

mod result;
mod run;
mod settle;

pub use result::{result_for_kind, result_for_report, worse};
pub use run::{MakeChecker, Progress, live_checker, run_checks};
pub use settle::{settle, settle_if_pending, settle_leftovers, settle_pending};

/// Record a check of `entry` made with `settings` in the config at
/// `path`, under its lock. Other servers (`--imap`, `--smtp`, their
/// environment variables) say nothing about the account's password:
/// `None`, nothing is recorded. Every check of a stored account records
/// through here: `verify`, `verify --scheduled`, `doctor`, the wizard.
pub fn record(
    path: &Path,
    entry: &AccountEntry,
    settings: &CheckSettings,
    check: storage::Check<'_>,
) -> Option<Result<Recorded, ConfigError>> {
    if !entry.uses_own_servers(settings) {
        return None;
    }
    Some(storage::record_check(
        path,
        &entry.email,
        SystemTime::now(),
        check,
    ))
}

/// How many accounts are checked at once.
pub const AT_ONCE: usize = 4;

/// What every check of a stored account shares.
pub struct Service<'a> {
    pub store: &'a dyn SecretStore,
    /// The config file (its lock serialises the records).
    pub path: &'a Path,
    /// The settings from the command line and the environment.
    pub base: &'a CheckSettings,
    /// Whether the IMAP and the SMTP server were given there (then the
    /// account's recorded ones do not apply).
    pub given: (bool, bool),
    pub make_checker: &'a MakeChecker<'a>,
}

/// One account's check, as data for the caller to print.
pub struct Checked {
    pub email: String,
    /// The servers and trust it was checked with.
    pub settings: CheckSettings,
    /// Lines for stderr: unfinished saves settled on the way.
    pub notes: Vec<String>,
    pub verdict: Verdict,
    /// Why the verdict could not be recorded, if it could not.
    pub unrecorded: Option<String>,
}

/// What a check came to.
pub enum Verdict {
    /// Both checks ran with the stored password.
    Checked {
        imap: Box<CheckReport>,
        smtp: Box<CheckReport>,
    },
    /// The config entry is not a usable account.
    BadEntry(String),
    /// The keyring holds no password for it (the store's name).
    NoPassword(String),
    /// The keyring could not be asked.
    Keyring(StoreError),
    /// Something else stopped the checks.
    Failed(String),
    /// Ctrl-C during the checks: the sentence to print.
    Cancelled(String),
}

impl Checked {
    /// What this account's check says about its password.
    pub fn result(&self) -> CheckResult {
        match &self.verdict {
            Verdict::Checked { imap, smtp } => {
                worse(result_for_report(imap), result_for_report(smtp))
            }
            Verdict::NoPassword(_) => CheckResult::NoPassword,
            Verdict::Keyring(_) => CheckResult::Keyring,
            Verdict::BadEntry(_) | Verdict::Failed(_) | Verdict::Cancelled(_) => CheckResult::Error,
        }
    }
}

impl Service<'_> {
    /// The settings to check `entry` with: its recorded servers unless
    /// others were given, its recorded CA unless one was given.
    pub fn settings_for(&self, entry: &AccountEntry) -> CheckSettings {
        entry.check_settings(self.base, self.given.0, self.given.1)
    }

    /// Record a check of `entry` made with `settings` ([`record`]).
    pub fn record(
        &self,
        entry: &AccountEntry,
        settings: &CheckSettings,
        check: storage::Check<'_>,
    ) -> Option<Result<Recorded, ConfigError>> {
        record(self.path, entry, settings, check)
    }

    /// Check one account. The keyring read runs on its own thread while
    /// both checks resolve, connect, handshake TLS and read the greetings:
    /// they wait for the password only right before `LOGIN` and `AUTH`.
    /// If the keyring cannot give it, the checks stop there (nothing but
    /// greetings sent) and the keyring's answer is the verdict. The same
    /// thread then settles the saves of `to_settle` cut short before the
    /// config recorded them.
    pub fn check(&self, entry: &AccountEntry, to_settle: &[String]) -> Checked {
        let settings = self.settings_for(entry);
        let mut checked = Checked {
            email: entry.email.clone(),
            settings: settings.clone(),
            notes: Vec::new(),
            verdict: Verdict::Failed(String::new()),
            unrecorded: None,
        };
        let account = match entry.account() {
            Ok(a) => a,
            Err(m) => {
                checked.notes = settle_leftovers(self.store, self.path, to_settle);
                checked.verdict = Verdict::BadEntry(m);
                return checked;
            }
        };
        let checker = (self.make_checker)(settings.clone());
        let (read, notes, reports) = std::thread::scope(|scope| {
            let (tx, rx) = futures::channel::oneshot::channel();
            let (store, path) = (self.store, self.path);
            let email = account.email.as_str().to_string();
            let reader = scope.spawn(move || {
                let read = store.get(&email);
                let _ = tx.send(read.as_ref().ok().cloned().flatten());
                (read, settle_leftovers(store, path, to_settle))
            });
            let password = PendingPassword::later(async move { rx.await.ok().flatten() });
            let reports = run_checks(&*checker, &account, &password, |_| {});
            let (read, notes) = match reader.join() {
                Ok(done) => done,
                Err(_) => (
                    Err(StoreError::Other(
                        "the keyring read failed unexpectedly".into(),
                    )),
                    Vec::new(),
                ),
            };
            (read, notes, reports)
        });
        checked.notes = notes;
        checked.verdict = match (read, reports) {
            (Ok(None), _) => Verdict::NoPassword(self.store.name_for(&entry.email)),
            (Err(e), _) => Verdict::Keyring(e),
            (Ok(Some(_)), Err(m)) => Verdict::Cancelled(m),
            // The password was read, so the checks had it.
            (Ok(Some(_)), Ok(None)) => {
                Verdict::Failed("the checks did not get the password".into())
            }
            (Ok(Some(_)), Ok(Some((imap, smtp)))) => Verdict::Checked {
                imap: Box::new(imap),
                smtp: Box::new(smtp),
            },
        };
        if let Verdict::Checked { imap, smtp } = &checked.verdict {
            let accepted = |r: &CheckReport| r.outcome.as_ref().ok().map(|a| a.username.clone());
            let (imap_user, smtp_user) = (accepted(imap), accepted(smtp));
            let check = storage::Check {
                result: checked.result(),
                stored_at: entry.stored_at.as_deref(),
                imap_username: imap_user.as_deref(),
                smtp_username: smtp_user.as_deref(),
            };
            if let Some(Err(e)) = self.record(entry, &settings, check) {
                checked.unrecorded = Some(e.to_string());
            }
        }
        checked
    }

    /// Check `entries`, [`AT_ONCE`] at a time, each settling its own
    /// leftover save if `leftovers` names it. `done` hears each result in
    /// the order of `entries`, as soon as it and those before it are in;
    /// when it returns `false` (Ctrl-C), no further check is started.
    pub fn check_all(
        &self,
        entries: &[AccountEntry],
        leftovers: &[String],
        mut done: impl FnMut(Checked) -> bool,
    ) {
        let next = AtomicUsize::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel();
            for _ in 0..AT_ONCE.min(entries.len()) {
                let tx = tx.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(entry) = entries.get(i) else { return };
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let mine: Vec<String> = leftovers
                            .iter()
                            .filter(|e| **e == entry.email)
                            .cloned()
                            .collect();
                        if tx.send((i, self.check(entry, &mine))).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            let mut slots: Vec<Option<Checked>> = entries.iter().map(|_| None).collect();
            let mut shown = 0;
            let mut going = true;
            for (i, checked) in rx {
                slots[i] = Some(checked);
                while going && let Some(c) = slots.get_mut(shown).and_then(Option::take) {
                    shown += 1;
                    if !done(c) {
                        going = false;
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            }
        });
    }
}
