//! Finishing or rolling back a save an earlier run left unfinished, and
//! which password to hand out meanwhile.

use std::path::Path;

use super::{Recovered, SaveError, commit_pending, drop_pending};
use crate::domain::config::{self, ConfigLock};
use crate::domain::keyring::{self, SecretStore, StoreError, staging_account};
use crate::sys::secret::Secret;

/// Finish or roll back a save of `email` that an earlier run left
/// unfinished (see the top of this module). Nothing to do: `Ok(None)`.
pub fn recover(
    store: &dyn SecretStore,
    config_path: &Path,
    email: &str,
) -> Result<Option<Recovered>, SaveError> {
    let lock = ConfigLock::acquire(config_path)?;
    recover_locked(store, &lock, &email.to_lowercase())
}

/// Whether the config shows a save of `email` in progress or cut short
/// (cheap: no keyring call). Crashes that leave only a staging entry keep
/// the old password in the main entry, so the main entry can be used.
pub fn has_pending(config: &config::Config, email: &str) -> bool {
    config.find(email).is_some_and(|e| e.pending.is_some())
}

/// The password to hand out for `email` now: the main entry's, except
/// while the config still records a save of it as `pending` that could
/// not be settled (a keyring that refuses the write, a full disk). Then
/// the staging entry holds the new password, which passed both checks
/// before `pending` was recorded, while the main entry may hold the old
/// one (perhaps revoked already) or nothing usable: the staged one is
/// handed out, if it is there. A staging entry without `pending` is never
/// handed out.
pub fn current_password(
    store: &dyn SecretStore,
    config_path: &Path,
    email: &str,
) -> Result<Option<Secret>, StoreError> {
    let email = email.to_lowercase();
    let pending = config::load(config_path).is_ok_and(|c| has_pending(&c, &email));
    if pending && let Ok(Some(staged)) = store.get(&staging_account(&email)) {
        return Ok(Some(staged));
    }
    store.get(&email)
}

pub(super) fn recover_locked(
    store: &dyn SecretStore,
    lock: &ConfigLock,
    email: &str,
) -> Result<Option<Recovered>, SaveError> {
    // The config first: one that does not parse stops us before the
    // keyring is touched.
    let pending = has_pending(&lock.load()?, email);
    let staging = staging_account(email);
    let staged = match store.get(&staging) {
        Ok(staged) => staged,
        // With no save in progress the staging entry is never needed: one
        // that cannot be read (half written) goes, or it would block every
        // later save. A locked or absent store says nothing about it.
        Err(e)
            if !pending
                && !matches!(
                    e,
                    StoreError::Locked { .. } | StoreError::Unavailable { .. }
                ) =>
        {
            let _ = store.delete(&staging);
            None
        }
        Err(e) => return Err(e.into()),
    };
    let email_owned = email.to_string();
    match (staged, pending) {
        (None, false) => Ok(None),
        // Staging already removed, or never written: the main entry is
        // what it was.
        (None, true) => {
            lock.update(|c| drop_pending(c, email))?;
            Ok(Some(Recovered::RolledBack { email: email_owned }))
        }
        (Some(new), true) => {
            keyring::set_verified(store, email, &new)?;
            lock.update(|c| commit_pending(c, email))?;
            // The staging entry now equals the main one or is stale: if it
            // cannot be removed now (a store that asks first), the next run
            // tries again; it must never block saving.
            let _ = store.delete(&staging);
            Ok(Some(Recovered::Finished { email: email_owned }))
        }
        (Some(new), false) => {
            let finished = store.get(email)?.as_ref() == Some(&new);
            // The staging entry now equals the main one or is stale: if it
            // cannot be removed now (a store that asks first), the next run
            // tries again; it must never block saving.
            let _ = store.delete(&staging);
            Ok(Some(if finished {
                Recovered::Finished { email: email_owned }
            } else {
                Recovered::RolledBack { email: email_owned }
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::save_verified;
    use super::super::testing::*;
    use super::*;

    /// Reading the staging entry fails (a half-written entry) until it
    /// is deleted.
    #[test]
    fn an_unreadable_staging_entry_without_a_pending_save_does_not_block_saving() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let d = tempfile::tempdir().unwrap();
        let (inner, path, _) = with_old(d.path());
        let broken = Arc::new(AtomicBool::new(true));
        let staging = staging_account(EMAIL);
        let store = Hooked::new(inner, {
            let broken = broken.clone();
            move |call, _| match call {
                Call::Get(a) if a == staging && broken.load(Ordering::SeqCst) => {
                    Some(Err(StoreError::Other("cannot decrypt".into())))
                }
                Call::Delete(a) if a == staging => {
                    broken.store(false, Ordering::SeqCst);
                    None
                }
                _ => None,
            }
        });
        let saved =
            save_verified(&store, &path, &request("bbbb-bbbb-bbbb-bbbb", "new"), t(9)).unwrap();
        assert!(saved.replaced);
        assert_eq!(
            store.get(EMAIL).unwrap().unwrap().expose(),
            "bbbb-bbbb-bbbb-bbbb"
        );
        assert!(!broken.load(Ordering::SeqCst));
    }

    /// A save whose main entry could not be written (a keyring that
    /// refuses writes, a full disk) leaves `pending` and the staged new
    /// password, which passed both checks; settling it fails again while
    /// the store refuses writes. Meanwhile the staged password is the one
    /// handed out, not the main entry's old (perhaps revoked) one.
    #[test]
    fn while_a_pending_save_cannot_be_settled_the_staged_verified_password_is_handed_out() {
        let d = tempfile::tempdir().unwrap();
        let (inner, path, _) = with_old(d.path());
        // Staging works; writing the main entry, and putting the old one
        // back, fail.
        let store = faulty(inner, 1, usize::MAX, Fault::Error);
        let r = super::super::save_verified(
            &store,
            &path,
            &request("bbbb-bbbb-bbbb-bbbb", "new"),
            t(9),
        );
        assert!(matches!(r, Err(SaveError::Unsettled(_))), "{r:?}");
        assert!(has_pending(&config::load(&path).unwrap(), EMAIL));
        // Settling fails: the keyring still refuses the write.
        assert!(recover(&store, &path, EMAIL).is_err());
        assert_eq!(
            store.get(EMAIL).unwrap().unwrap().expose(),
            "aaaa-aaaa-aaaa-aaaa"
        );
        let handed = current_password(&store, &path, "Emily@iCloud.com").unwrap();
        assert_eq!(handed.unwrap().expose(), "bbbb-bbbb-bbbb-bbbb");
    }

    /// Without `pending`, a staging entry proves nothing about the main
    /// one (an earlier run stopped before recording the save): the main
    /// entry is handed out; so it is once a pending save is settled.
    #[test]
    fn without_a_pending_save_the_main_entry_is_handed_out() {
        let d = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(d.path());
        store
            .set(
                &staging_account(EMAIL),
                &Secret::new("cccc-cccc-cccc-cccc".into()),
            )
            .unwrap();
        let handed = current_password(&store, &path, EMAIL).unwrap();
        assert_eq!(handed.unwrap().expose(), "aaaa-aaaa-aaaa-aaaa");
        // A pending save with no staging entry left: the main entry too.
        store.delete(&staging_account(EMAIL)).unwrap();
        let now = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        config::update(&path, |c| {
            c.accounts[0].pending = Some(Box::new(now.clone()))
        })
        .unwrap();
        let handed = current_password(&store, &path, EMAIL).unwrap();
        assert_eq!(handed.unwrap().expose(), "aaaa-aaaa-aaaa-aaaa");
    }
}
