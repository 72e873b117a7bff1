//! Saving a verified password and its account: the one place where the
//! keyring and the config change together, so that a working password is
//! never lost, and never only in memory.
//!
//! The save is staged, all under the config lock (so two runs for the same
//! address cannot mix one's secret with the other's label):
//!
//! 1. the new secret goes to the staging entry ([`keyring::staging_account`],
//!    `staging:EMAIL`) and is read back;
//! 2. the config records what the account becomes, as `pending`;
//! 3. the main entry gets the new secret, read back;
//! 4. the config commits `pending`;
//! 5. the staging entry is removed.
//!
//! A crash or kill between any two steps leaves a working password in the
//! keyring: the old one in the main entry until step 3, the new one
//! (verified) in the staging entry from step 1 to 5. The next run sees
//! what was left ([`recover`]) and finishes the save (a staging entry with
//! `pending`) or rolls it back (a staging entry without, or `pending`
//! without a staging entry), and says which.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::domain::account::Account;
use crate::domain::config::{self, AccountEntry, ConfigError, ConfigLock};
use crate::domain::keyring::{self, SecretStore, StoreError, staging_account};
use crate::domain::mail::CheckSettings;
use crate::sys::secret::Secret;

mod gate;
mod record;
mod recover;
#[cfg(test)]
mod testing;

use gate::Saving;
pub use gate::{SAVE_GRACE, hold_saves};
pub use record::{Check, CheckResult, Recorded, mark_verified, record_check};
use recover::recover_locked;
pub use recover::{current_password, has_pending, recover};

/// What to record with a verified password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    pub account: Account,
    pub secret: Secret,
    pub label: Option<String>,
    pub imap_username: String,
    pub smtp_username: String,
    /// Recorded as overrides when not Apple's servers.
    pub settings: CheckSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub store_name: String,
    pub config_path: PathBuf,
    /// A different secret was there before and has been replaced.
    pub replaced: bool,
    /// The label of the password that was replaced, if known.
    pub previous_label: Option<String>,
    /// An earlier save that had been cut short, dealt with first.
    pub recovered: Option<Recovered>,
}

/// What became of a save an earlier run did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The new password had been verified and staged: it now replaces the
    /// old one, with its settings.
    Finished { email: String },
    /// It had not got far enough: the password from before stays.
    RolledBack { email: String },
}

impl std::fmt::Display for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovered::Finished { email } => write!(
                f,
                "An earlier run was interrupted while saving a new password for {email}; that \
                 password had passed both checks, and saving it has now been finished."
            ),
            Recovered::RolledBack { email } => write!(
                f,
                "An earlier run was interrupted before it could save a new password for \
                 {email}; it was rolled back, and the password stored before is kept."
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    /// The keyring failed; it and the config are as they were.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The config failed; it and the keyring are as they were.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The save failed and what it left could not be confirmed or fully
    /// put back: the message says what is known and what to do.
    #[error("{0}")]
    Unsettled(String),
}

impl SaveError {
    /// The keyring and the config are known to be as they were.
    pub fn left_as_before(&self) -> bool {
        !matches!(self, SaveError::Unsettled(_))
    }

    /// What to do about it (the keyring's advice), if anything.
    pub fn hint(&self) -> &str {
        match self {
            SaveError::Store(e) => e.hint(),
            SaveError::Config(_) | SaveError::Unsettled(_) => "",
        }
    }
}

/// What to run after a save that did not settle.
fn settle_advice(email: &str) -> String {
    format!(
        "Run `icloud-mail-setup password {email}`: it finishes or rolls back what was left. \
         `icloud-mail-setup list` then shows what is stored"
    )
}

/// RFC 3339 in UTC to the second, as recorded in the config.
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Store a password that has just passed both live checks, and record its
/// account, in the staged steps described at the top of this module. Any
/// failure puts the keyring and config back as they were, or, where even
/// that fails, leaves the verified new password staged for the next run
/// to finish, and says so.
pub fn save_verified(
    store: &dyn SecretStore,
    config_path: &Path,
    req: &SaveRequest,
    now: SystemTime,
) -> Result<Saved, SaveError> {
    let email = req.account.email.as_str();
    let staging = staging_account(email);
    let _saving = Saving::start();

    // One lock over the whole save. A config that does not parse stops us
    // (in `recover_locked`) before the keyring is touched.
    let lock = ConfigLock::acquire(config_path)?;
    let recovered = recover_locked(store, &lock, email)?;
    let old_label = lock.load()?.find(email).and_then(|e| e.label.clone());
    let old_secret = store.get(email)?;

    // Before the main entry is touched, a failure removes the staged
    // secret; from step 3 on, it puts the old one back.
    let unstage = |cause: SaveError| {
        let _ = store.delete(&staging);
        unchanged_or_unknown(store, email, old_secret.as_ref(), cause)
    };
    let put_back = |cause: SaveError| roll_back(store, &lock, email, old_secret.as_ref(), cause);

    // (1) Stage the new secret.
    if let Err(e) = keyring::set_verified(store, &staging, &req.secret) {
        return Err(unstage(e.into()));
    }

    pause_for_test(1);

    // (2) Record what the account becomes.
    let mut entry = new_entry(req, now);
    entry.keyring = store.kind_for(email);
    if let Err(e) = lock.update(|c| set_pending(c, &req.account, entry.clone())) {
        return Err(unstage(e.into()));
    }

    pause_for_test(2);

    // (3) Replace the main entry.
    if let Err(e) = keyring::set_verified(store, email, &req.secret) {
        return Err(put_back(e.into()));
    }

    pause_for_test(3);

    // (4) Commit the account entry.
    if let Err(e) = lock.update(|c| commit_pending(c, email)) {
        return Err(put_back(e.into()));
    }

    pause_for_test(4);

    // (5) The staging entry is no longer needed; if removing it fails, the
    // next run sees it equals the main entry and removes it.
    let _ = store.delete(&staging);

    let replaced = old_secret.as_ref().is_some_and(|old| *old != req.secret);
    Ok(Saved {
        store_name: store.name_for(email),
        config_path: config_path.to_path_buf(),
        replaced,
        previous_label: if replaced { old_label } else { None },
        recovered,
    })
}

/// The config entry a saved request becomes.
fn new_entry(req: &SaveRequest, now: SystemTime) -> AccountEntry {
    let stamp = timestamp(now);
    let custom = !req.settings.uses_default_servers();
    AccountEntry {
        email: req.account.email.as_str().to_string(),
        login: req.account.login.as_str().to_string(),
        imap_username: Some(req.imap_username.clone()),
        smtp_username: Some(req.smtp_username.clone()),
        label: req.label.clone(),
        stored_at: Some(stamp.clone()),
        verified_at: Some(stamp.clone()),
        rejected_since: None,
        checked_at: Some(stamp),
        check_result: Some(CheckResult::Ok.id().to_string()),
        imap_server: custom.then(|| req.settings.imap.to_string()),
        smtp_server: custom.then(|| req.settings.smtp.to_string()),
        ca_file: req.settings.ca_file.as_deref().and_then(recorded_path),
        // Carried over from the entry this one replaces (`commit_pending`).
        exported: Vec::new(),
        // Where it is being saved (`save_verified`).
        keyring: None,
        pending: None,
    }
}

/// A CA file as the config records it: absolute, so an exported client
/// config finds it from any directory; `None` when it is not UTF-8 (the
/// config is TOML text).
fn recorded_path(p: &Path) -> Option<String> {
    std::path::absolute(p).ok()?.to_str().map(str::to_string)
}

fn set_pending(c: &mut config::Config, account: &Account, entry: AccountEntry) {
    let email = account.email.as_str();
    match c.accounts.iter_mut().find(|a| a.email == email) {
        Some(existing) => existing.pending = Some(Box::new(entry)),
        None => c.accounts.push(AccountEntry {
            pending: Some(Box::new(entry)),
            ..AccountEntry::new(email, account.login.as_str())
        }),
    }
}

fn commit_pending(c: &mut config::Config, email: &str) {
    if let Some(slot) = c.accounts.iter_mut().find(|a| a.email == email)
        && let Some(pending) = slot.pending.take()
    {
        // The clients exported to keep reading the password through the
        // password command: a new password does not change that.
        let exported = std::mem::take(&mut slot.exported);
        *slot = *pending;
        slot.exported = exported;
        slot.pending = None;
    }
}

/// Drop `pending`; an entry that was only ever pending goes entirely.
fn drop_pending(c: &mut config::Config, email: &str) {
    c.accounts
        .retain(|a| !(a.email == email && a.pending.is_some() && a.stored_at.is_none()));
    if let Some(slot) = c.accounts.iter_mut().find(|a| a.email == email) {
        slot.pending = None;
    }
}

/// After a failure before the main entry was touched: re-read it (a call
/// that timed out may still have landed) before saying nothing changed.
fn unchanged_or_unknown(
    store: &dyn SecretStore,
    email: &str,
    old: Option<&Secret>,
    cause: SaveError,
) -> SaveError {
    match store.get(email) {
        Ok(current) if current.as_ref() == old => cause,
        _ => SaveError::Unsettled(format!(
            "{cause}; the keyring's state could not be confirmed afterwards. {}",
            settle_advice(email)
        )),
    }
}

/// After a failure from step 3 on: put the old secret back, drop
/// `pending`, remove the staging entry. If putting back fails, keep the
/// staging entry and `pending` (the next run finishes the save with that
/// verified password) and say so rather than claim nothing changed.
fn roll_back(
    store: &dyn SecretStore,
    lock: &ConfigLock,
    email: &str,
    old: Option<&Secret>,
    cause: SaveError,
) -> SaveError {
    let put_back = match old {
        Some(old) => keyring::set_verified(store, email, old),
        None => store.delete(email),
    };
    match put_back {
        Ok(()) => {
            // Staging first: without it, a leftover `pending` can only be
            // rolled back, never finished, by the next run.
            let cleaned = store.delete(&staging_account(email)).is_ok()
                && lock.update(|c| drop_pending(c, email)).is_ok();
            if cleaned {
                cause
            } else {
                SaveError::Unsettled(format!(
                    "{cause}; the previous password was put back, but the save could not be \
                     fully cleaned up: the next run of icloud-mail-setup may still finish \
                     saving the new password, which passed both checks. {}",
                    settle_advice(email)
                ))
            }
        }
        Err(e) => SaveError::Unsettled(format!(
            "{cause}; putting the previous keyring entry back failed too ({e}). The new \
             password, which passed both checks, is kept in the keyring entry `{}`; the next \
             run of icloud-mail-setup finishes saving it. {}",
            staging_account(email),
            settle_advice(email)
        )),
    }
}

/// Test-only (like the hidden `--clear-after`): with
/// `ICLOUD_MAIL_SETUP_TEST_PAUSE_SAVE=N`, a save says so on stderr after
/// its step `N` and waits there for ever, so a test can SIGKILL a real
/// process at that point. The variable holds a step number, nothing else.
/// Debug builds only (the tests' build): a release build ignores it, so a
/// stray variable cannot stall a person's save.
pub const TEST_PAUSE_SAVE: &str = "ICLOUD_MAIL_SETUP_TEST_PAUSE_SAVE";

fn pause_for_test(step: u8) {
    if !cfg!(debug_assertions)
        || std::env::var(TEST_PAUSE_SAVE).ok().as_deref() != Some(&step.to_string())
    {
        return;
    }
    eprintln!("test: save paused after step {step}");
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::domain::keyring::MemoryStore;
    use crate::domain::mail::Endpoint;

    #[test]
    fn first_save_records_everything() {
        let d = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let path = d.path().join("config.toml");
        let saved =
            save_verified(&store, &path, &request("abcd-efgh-ijkl-mnop", "L"), t(5)).unwrap();
        assert!(!saved.replaced);
        assert_eq!(saved.previous_label, None);
        assert_eq!(saved.config_path, path);
        let c = config::load(&path).unwrap();
        let e = c.find(EMAIL).unwrap();
        assert_eq!(e.login, EMAIL);
        assert_eq!(e.imap_username.as_deref(), Some("emily"));
        assert_eq!(e.smtp_username.as_deref(), Some(EMAIL));
        assert_eq!(e.label.as_deref(), Some("L"));
        assert_eq!(e.stored_at.as_deref(), Some("2023-11-14T22:13:25Z"));
        assert_eq!(e.verified_at, e.stored_at);
        assert_eq!(e.imap_server, None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("abcd"), "{text}");
        assert_eq!(
            store.get(EMAIL).unwrap().unwrap().expose(),
            "abcd-efgh-ijkl-mnop"
        );
    }

    #[test]
    fn rotation_reports_the_replaced_label_and_custom_servers() {
        let d = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(d.path());
        let mut req = request("bbbb-bbbb-bbbb-bbbb", "new");
        req.settings.imap = Endpoint::new("127.0.0.1", 1993);
        let saved = save_verified(&store, &path, &req, t(10)).unwrap();
        assert!(saved.replaced);
        assert_eq!(saved.previous_label.as_deref(), Some("old"));
        let c = config::load(&path).unwrap();
        assert_eq!(c.accounts.len(), 1);
        let e = c.find(EMAIL).unwrap();
        assert_eq!(e.imap_server.as_deref(), Some("127.0.0.1:1993"));
        assert_eq!(e.smtp_server.as_deref(), Some("smtp.mail.me.com:587"));
        // Saving the same password again is not a replacement.
        let again = save_verified(&store, &path, &req, t(20)).unwrap();
        assert!(!again.replaced);
    }

    #[test]
    fn failed_write_leaves_old_secret_and_config_bytes() {
        for how in [Fault::Error, Fault::WriteThenError] {
            let d = tempfile::tempdir().unwrap();
            let (inner, path, bytes) = with_old(d.path());
            let store = faulty(inner, 0, 1, how);
            let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
            assert!(
                matches!(r, Err(SaveError::Store(StoreError::Other(_)))),
                "{r:?}"
            );
            assert_unchanged(&store, &path, &bytes);
        }
    }

    #[test]
    fn read_back_mismatch_restores_the_old_secret() {
        let d = tempfile::tempdir().unwrap();
        let (inner, path, bytes) = with_old(d.path());
        let store = faulty(inner, 0, 1, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert_eq!(r, Err(SaveError::Store(StoreError::Mismatch)));
        assert_unchanged(&store, &path, &bytes);
    }

    #[test]
    fn a_failed_restore_is_reported_and_the_new_password_kept_staged() {
        let d = tempfile::tempdir().unwrap();
        let (inner, path, _) = with_old(d.path());
        // Staging works; the main entry comes back garbled, and putting
        // the old one back garbles too.
        let store = faulty(inner, 1, usize::MAX, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        let Err(SaveError::Unsettled(msg)) = &r else {
            panic!("{r:?}")
        };
        // Not "as before", and what to do (issue 17).
        assert!(!r.as_ref().unwrap_err().left_as_before());
        assert!(
            msg.contains(&format!("icloud-mail-setup password {EMAIL}"))
                && msg.contains("icloud-mail-setup list"),
            "{msg}"
        );
        assert!(
            msg.contains("putting the previous keyring entry back failed"),
            "{msg}"
        );
        assert!(msg.contains("staging:"), "{msg}");
        assert!(!msg.contains("bbbb"), "{msg}");
        // The verified new password is not lost: the next run finishes.
        let healthy = store.inner.clone();
        assert_eq!(
            healthy
                .get(&staging_account(EMAIL))
                .unwrap()
                .unwrap()
                .expose(),
            "bbbb-bbbb-bbbb-bbbb"
        );
        let r = recover(healthy.as_ref(), &path, EMAIL).unwrap();
        assert_eq!(
            r,
            Some(Recovered::Finished {
                email: EMAIL.into()
            })
        );
        assert_eq!(
            healthy.get(EMAIL).unwrap().unwrap().expose(),
            "bbbb-bbbb-bbbb-bbbb"
        );
        assert_eq!(healthy.get(&staging_account(EMAIL)).unwrap(), None);
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.label.as_deref(), Some("new"));
        assert!(e.pending.is_none());
    }

    #[test]
    fn a_crash_at_any_step_leaves_a_working_password_and_the_next_run_settles_it() {
        let mut crashes = 0;
        for crash_at in 0.. {
            let d = tempfile::tempdir().unwrap();
            let (inner, path, _) = with_old(d.path());
            let inner = std::sync::Arc::new(inner);
            let store = crashing(inner.clone(), crash_at);
            let req = request("bbbb-bbbb-bbbb-bbbb", "new");
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                save_verified(&store, &path, &req, t(9))
            }));
            if let Ok(saved) = r {
                saved.unwrap();
                assert!(crash_at > 3, "the save has more steps than {crash_at}");
                break;
            }
            crashes += 1;
            // Right after the crash, a password that works is retrievable
            // from the main entry or, during the save, the staging entry.
            let main = inner.get(EMAIL).unwrap().map(|s| s.expose().to_string());
            let staged = inner
                .get(&staging_account(EMAIL))
                .unwrap()
                .map(|s| s.expose().to_string());
            assert!(
                main.as_deref() == Some("aaaa-aaaa-aaaa-aaaa")
                    || main.as_deref() == Some("bbbb-bbbb-bbbb-bbbb"),
                "crash {crash_at}: main {main:?}"
            );
            // The next run settles it, and the keyring and config agree.
            let outcome = recover(inner.as_ref(), &path, EMAIL).unwrap();
            let main = inner.get(EMAIL).unwrap().unwrap().expose().to_string();
            let entry = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
            assert!(entry.pending.is_none(), "crash {crash_at}");
            assert_eq!(inner.get(&staging_account(EMAIL)).unwrap(), None);
            match main.as_str() {
                "bbbb-bbbb-bbbb-bbbb" => assert_eq!(entry.label.as_deref(), Some("new")),
                "aaaa-aaaa-aaaa-aaaa" => assert_eq!(entry.label.as_deref(), Some("old")),
                other => panic!("crash {crash_at}: main holds {other}"),
            }
            if staged.is_some() || outcome.is_some() {
                assert!(outcome.is_some(), "crash {crash_at}: nothing said");
            }
        }
        assert!(crashes >= 4, "{crashes}");
    }

    #[test]
    fn two_saves_of_one_address_never_mix_secret_and_label() {
        let d = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(d.path());
        let store = std::sync::Arc::new(store);
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let path = path.clone();
                std::thread::spawn(move || {
                    let pw = format!("{0}{0}{0}{0}-bbbb-bbbb-bbbb", (b'c' + i as u8) as char);
                    let req = request(&pw, &format!("label-{pw}"));
                    save_verified(store.as_ref(), &path, &req, t(9)).unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let main = store.get(EMAIL).unwrap().unwrap().expose().to_string();
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.label, Some(format!("label-{main}")));
        assert_eq!(store.get(&staging_account(EMAIL)).unwrap(), None);
    }

    #[test]
    fn mismatch_without_an_old_secret_leaves_no_entry() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        let store = faulty(MemoryStore::new(), 0, 1, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert_eq!(r, Err(SaveError::Store(StoreError::Mismatch)));
        assert_eq!(store.get(EMAIL).unwrap(), None);
        assert!(!path.exists());
    }

    #[test]
    fn a_config_that_cannot_be_locked_stops_the_save_and_leaves_the_keyring_alone() {
        // The lock is taken before any keyring call, so this proves only
        // that nothing is touched; a config write failing after the
        // keyring was changed is tested against the real Secret Service
        // (commands_keyring::a_config_write_failing_at_each_step_of_a_save_loses_no_password).
        let d = tempfile::tempdir().unwrap();
        let (store, path, bytes) = with_old(d.path());
        // A directory where the lock file goes: the update cannot lock.
        let _ = std::fs::remove_file(config::lock_path(&path));
        std::fs::create_dir(config::lock_path(&path)).unwrap();
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert!(
            matches!(r, Err(SaveError::Config(ConfigError::Io { .. }))),
            "{r:?}"
        );
        assert_unchanged(&store, &path, &bytes);

        // And with no old secret, no entry is left behind.
        let other = d.path().join("other/config.toml");
        std::fs::create_dir_all(config::lock_path(&other)).unwrap();
        let fresh = MemoryStore::new();
        let r = save_verified(&fresh, &other, &request("bbbb-bbbb-bbbb-bbbb", "n"), t(9));
        assert!(r.is_err());
        assert_eq!(fresh.get(EMAIL).unwrap(), None);
    }

    #[test]
    fn corrupt_config_stops_before_the_keyring() {
        let d = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(d.path());
        std::fs::write(&path, "[[account]\n").unwrap();
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert!(
            matches!(
                r,
                Err(SaveError::Config(ConfigError::Parse { line: 1, .. }))
            ),
            "{r:?}"
        );
        assert_unchanged(&store, &path, b"[[account]\n");
    }
}
