//! What the storage tests share: an address, a clock, requests, a store
//! holding an old password, and [`Hooked`], a store whose calls can be
//! made to fail, garble or crash.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::{SaveRequest, save_verified};
use crate::domain::account::{Account, Email};
use crate::domain::keyring::{MemoryStore, SecretStore, StoreError};
use crate::domain::mail::CheckSettings;
use crate::sys::secret::Secret;

pub(super) const EMAIL: &str = "emily@icloud.com";

pub(super) fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

pub(super) fn request(password: &str, label: &str) -> SaveRequest {
    SaveRequest {
        account: Account::apple(Email::parse(EMAIL).unwrap()),
        secret: Secret::new(password.into()),
        label: Some(label.into()),
        imap_username: "emily".into(),
        smtp_username: EMAIL.into(),
        settings: CheckSettings::default(),
    }
}

/// A store and config holding "old" for EMAIL, saved through `save_verified`.
pub(super) fn with_old(dir: &Path) -> (MemoryStore, PathBuf, Vec<u8>) {
    let store = MemoryStore::new();
    let path = dir.join("config.toml");
    save_verified(&store, &path, &request("aaaa-aaaa-aaaa-aaaa", "old"), t(0)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (store, path, bytes)
}

pub(super) fn assert_unchanged(store: &dyn SecretStore, path: &Path, bytes: &[u8]) {
    assert_eq!(
        store.get(EMAIL).unwrap().unwrap().expose(),
        "aaaa-aaaa-aaaa-aaaa"
    );
    assert_eq!(std::fs::read(path).unwrap(), bytes);
}

/// One call to a store.
#[derive(Clone, Copy)]
pub(super) enum Call<'a> {
    Get(&'a str),
    Set(&'a str, &'a Secret),
    Delete(&'a str),
}

/// What a hook makes of a call: `None` lets it through to the memory
/// store; `Some` answers instead (a `set` or `delete` answers `Ok(None)`).
type Answer = Option<Result<Option<Secret>, StoreError>>;
type Hook = Box<dyn Fn(Call<'_>, &MemoryStore) -> Answer + Send + Sync>;

/// A memory store whose every call goes through a hook first.
pub(super) struct Hooked {
    pub(super) inner: Arc<MemoryStore>,
    hook: Hook,
}

impl Hooked {
    pub(super) fn new(
        inner: impl Into<Arc<MemoryStore>>,
        hook: impl Fn(Call<'_>, &MemoryStore) -> Answer + Send + Sync + 'static,
    ) -> Hooked {
        Hooked {
            inner: inner.into(),
            hook: Box::new(hook),
        }
    }

    fn call(&self, call: Call<'_>) -> Result<Option<Secret>, StoreError> {
        let answer = (self.hook)(call, &self.inner);
        if let Some(answer) = answer {
            return answer;
        }
        match call {
            Call::Get(a) => self.inner.get(a),
            Call::Set(a, s) => self.inner.set(a, s).map(|()| None),
            Call::Delete(a) => self.inner.delete(a).map(|()| None),
        }
    }
}

impl SecretStore for Hooked {
    fn name(&self) -> String {
        "hooked".into()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        self.inner.preflight()
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.call(Call::Get(account))
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.call(Call::Set(account, secret)).map(|_| ())
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.call(Call::Delete(account)).map(|_| ())
    }
}

/// How a faulty `set` misbehaves.
#[derive(Clone, Copy)]
pub(super) enum Fault {
    /// Return an error without writing.
    Error,
    /// Write something else (a store that garbles).
    Garble,
    /// Write the value, then say it failed.
    WriteThenError,
}

/// Wraps a store; its `set` calls number `fail_from..fail_until` misbehave
/// as `how` says.
pub(super) fn faulty(
    inner: MemoryStore,
    fail_from: usize,
    fail_until: usize,
    how: Fault,
) -> Hooked {
    let sets = AtomicUsize::new(0);
    Hooked::new(inner, move |call, inner| {
        let Call::Set(account, secret) = call else {
            return None;
        };
        let n = sets.fetch_add(1, Ordering::SeqCst);
        if n < fail_from || n >= fail_until {
            return None;
        }
        let injected = || StoreError::Other("injected".into());
        Some(match how {
            Fault::Error => Err(injected()),
            Fault::Garble => inner
                .set(account, &Secret::new("garbled".into()))
                .map(|()| None),
            Fault::WriteThenError => inner.set(account, secret).and(Err(injected())),
        })
    })
}

/// A store that "crashes" (panics, so nothing after it runs: no roll-back)
/// at its `crash_at`-th call, counting every call.
pub(super) fn crashing(inner: Arc<MemoryStore>, crash_at: usize) -> Hooked {
    let calls = AtomicUsize::new(0);
    Hooked::new(inner, move |_, _| {
        if calls.fetch_add(1, Ordering::SeqCst) == crash_at {
            panic!("simulated crash");
        }
        None
    })
}
