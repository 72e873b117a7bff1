//! Saving a verified password and its account: the one place where the
//! keyring and the config change together, so that a working password is
//! never lost. The old secret stays until the new one is written and read
//! back; a failure after that puts the old one back.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::account::Account;
use crate::config::{self, AccountEntry, ConfigError};
use crate::mail::CheckSettings;
use crate::secret::Secret;
use crate::secrets::{self, SecretStore, StoreError};

/// What to record with a verified password.
#[derive(Debug, Clone)]
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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// RFC 3339 in UTC to the second, as recorded in the config.
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Store a password that has just passed both live checks, and record its
/// account. The old secret is kept in memory until the end: if writing the
/// new one, reading it back, or writing the config fails, the keyring is
/// put back as it was (and the config is never half-written).
pub fn save_verified(
    store: &dyn SecretStore,
    config_path: &Path,
    req: &SaveRequest,
    now: SystemTime,
) -> Result<Saved, SaveError> {
    let email = req.account.email.as_str();

    // (a) What is there now. A config that does not parse stops us before
    // the keyring is touched.
    let old_config = config::load(config_path)?;
    let old_label = old_config.find(email).and_then(|e| e.label.clone());
    let old_secret = store.get(email)?;

    // (b) The new secret, written and read back.
    if let Err(e) = secrets::set_verified(store, email, &req.secret) {
        return Err(match store.get(email) {
            Ok(current) if current == old_secret => e.into(),
            _ => restore(store, email, old_secret.as_ref(), e.into()),
        });
    }

    // (c) The account entry.
    let stamp = timestamp(now);
    let custom = !req.settings.uses_default_servers();
    let entry = AccountEntry {
        email: email.to_string(),
        login: req.account.login.as_str().to_string(),
        imap_username: Some(req.imap_username.clone()),
        smtp_username: Some(req.smtp_username.clone()),
        label: req.label.clone(),
        stored_at: Some(stamp.clone()),
        verified_at: Some(stamp),
        imap_server: custom.then(|| req.settings.imap.to_string()),
        smtp_server: custom.then(|| req.settings.smtp.to_string()),
    };
    if let Err(e) = config::update(config_path, |c| c.upsert(entry)) {
        return Err(restore(store, email, old_secret.as_ref(), e.into()));
    }

    let replaced = old_secret.as_ref().is_some_and(|old| *old != req.secret);
    Ok(Saved {
        store_name: store.name(),
        config_path: config_path.to_path_buf(),
        replaced,
        previous_label: if replaced { old_label } else { None },
    })
}

/// Put the keyring entry back as it was, and return the error that made
/// this necessary; if putting it back fails too, say so in that error
/// rather than let the caller claim nothing changed.
fn restore(
    store: &dyn SecretStore,
    email: &str,
    old: Option<&Secret>,
    cause: SaveError,
) -> SaveError {
    let put_back = match old {
        Some(old) => secrets::set_verified(store, email, old),
        None => store.delete(email),
    };
    match put_back {
        Ok(()) => cause,
        Err(e) => SaveError::Store(StoreError::Other(format!(
            "{cause}; putting the previous keyring entry back failed too ({e}). Run \
             `icloud-mail-setup verify {email}` to see what is stored now"
        ))),
    }
}

/// Record that the stored password of `email` passed a live check now.
/// An account that is not in the config is left alone (nothing is written).
pub fn mark_verified(config_path: &Path, email: &str, now: SystemTime) -> Result<(), ConfigError> {
    if config::load(config_path)?.find(email).is_none() {
        return Ok(());
    }
    let email = email.to_lowercase();
    let stamp = timestamp(now);
    config::update(config_path, |c| {
        if let Some(e) = c.accounts.iter_mut().find(|a| a.email == email) {
            e.verified_at = Some(stamp);
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::account::Email;
    use crate::mail::Endpoint;
    use crate::secrets::MemoryStore;

    const EMAIL: &str = "emily@icloud.com";

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn request(password: &str, label: &str) -> SaveRequest {
        SaveRequest {
            account: Account::apple(Email::parse(EMAIL).unwrap()),
            secret: Secret::new(password.into()),
            label: Some(label.into()),
            imap_username: "emily".into(),
            smtp_username: EMAIL.into(),
            settings: CheckSettings::default(),
        }
    }

    /// Wraps a store; its `set` calls number `fail_from..` misbehave.
    struct Faulty {
        inner: MemoryStore,
        sets: AtomicUsize,
        fail_from: usize,
        fail_until: usize,
        how: Fault,
    }

    #[derive(Clone, Copy)]
    enum Fault {
        /// Return an error without writing.
        Error,
        /// Write something else (a store that garbles).
        Garble,
        /// Write the value, then say it failed.
        WriteThenError,
    }

    impl Faulty {
        fn new(inner: MemoryStore, fail_from: usize, fail_until: usize, how: Fault) -> Self {
            Faulty {
                inner,
                sets: AtomicUsize::new(0),
                fail_from,
                fail_until,
                how,
            }
        }
    }

    impl SecretStore for Faulty {
        fn name(&self) -> String {
            "faulty".into()
        }
        fn preflight(&self) -> Result<(), StoreError> {
            self.inner.preflight()
        }
        fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
            self.inner.get(account)
        }
        fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
            let n = self.sets.fetch_add(1, Ordering::SeqCst);
            if n < self.fail_from || n >= self.fail_until {
                return self.inner.set(account, secret);
            }
            match self.how {
                Fault::Error => Err(StoreError::Other("injected".into())),
                Fault::Garble => self.inner.set(account, &Secret::new("garbled".into())),
                Fault::WriteThenError => {
                    self.inner.set(account, secret)?;
                    Err(StoreError::Other("injected".into()))
                }
            }
        }
        fn delete(&self, account: &str) -> Result<(), StoreError> {
            self.inner.delete(account)
        }
    }

    /// A store and config holding "old" for EMAIL, saved through `save_verified`.
    fn with_old(dir: &Path) -> (MemoryStore, PathBuf, Vec<u8>) {
        let store = MemoryStore::new();
        let path = dir.join("config.toml");
        save_verified(&store, &path, &request("aaaa-aaaa-aaaa-aaaa", "old"), t(0)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        (store, path, bytes)
    }

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

    fn assert_unchanged(store: &dyn SecretStore, path: &Path, bytes: &[u8]) {
        assert_eq!(
            store.get(EMAIL).unwrap().unwrap().expose(),
            "aaaa-aaaa-aaaa-aaaa"
        );
        assert_eq!(std::fs::read(path).unwrap(), bytes);
    }

    #[test]
    fn failed_write_leaves_old_secret_and_config_bytes() {
        for how in [Fault::Error, Fault::WriteThenError] {
            let d = tempfile::tempdir().unwrap();
            let (inner, path, bytes) = with_old(d.path());
            let store = Faulty::new(inner, 0, 1, how);
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
        let store = Faulty::new(inner, 0, 1, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert_eq!(r, Err(SaveError::Store(StoreError::Mismatch)));
        assert_unchanged(&store, &path, &bytes);
    }

    #[test]
    fn a_failed_restore_is_reported_not_hidden() {
        let d = tempfile::tempdir().unwrap();
        let (inner, path, _) = with_old(d.path());
        // The new write lands but the following read-back fails (a
        // garbled store), and putting the old one back fails too.
        let store = Faulty::new(inner, 0, usize::MAX, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        let Err(SaveError::Store(StoreError::Other(msg))) = r else {
            panic!("{r:?}")
        };
        assert!(
            msg.contains("putting the previous keyring entry back failed"),
            "{msg}"
        );
        assert!(!msg.contains("bbbb"), "{msg}");
    }

    #[test]
    fn mismatch_without_an_old_secret_leaves_no_entry() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        let store = Faulty::new(MemoryStore::new(), 0, 1, Fault::Garble);
        let r = save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9));
        assert_eq!(r, Err(SaveError::Store(StoreError::Mismatch)));
        assert_eq!(store.get(EMAIL).unwrap(), None);
        assert!(!path.exists());
    }

    #[test]
    fn config_write_failure_restores_the_keyring() {
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

        // And with no old secret, the new entry is removed again.
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

    #[test]
    fn mark_verified_touches_only_verified_at() {
        let d = tempfile::tempdir().unwrap();
        let (_store, path, _) = with_old(d.path());
        mark_verified(&path, "Emily@iCloud.com", t(3600)).unwrap();
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.stored_at.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(e.verified_at.as_deref(), Some("2023-11-14T23:13:20Z"));
        // Unknown account: nothing written.
        let none = d.path().join("none.toml");
        mark_verified(&none, EMAIL, t(1)).unwrap();
        assert!(!none.exists());
    }
}
