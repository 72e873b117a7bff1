//! The keyring behind a small trait: the OS store in production, an
//! in-memory map in unit tests.
//!
//! Entries: service `icloud-mail-setup`, account = the lowercased address.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::secret::Secret;

pub const SERVICE: &str = "icloud-mail-setup";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No store can be reached (no Secret Service on the bus, ...).
    #[error("no keyring is reachable: {reason}")]
    Unavailable { reason: String, hint: String },
    /// The store is there but locked.
    #[error("the keyring is locked")]
    Locked { hint: String },
    /// What was read back differs from what was written.
    #[error("the keyring returned something other than what was just stored")]
    Mismatch,
    #[error("keyring error: {0}")]
    Other(String),
}

impl StoreError {
    /// What the user can do about it, one or two sentences.
    pub fn hint(&self) -> &str {
        match self {
            StoreError::Unavailable { hint, .. } | StoreError::Locked { hint } => hint,
            StoreError::Mismatch => "Your keyring may be misbehaving; nothing was replaced.",
            StoreError::Other(_) => "",
        }
    }
}

/// Blocking calls: run them off the UI thread (`spawn_blocking`).
pub trait SecretStore: Send + Sync + 'static {
    /// Human name of the store, e.g. "Secret Service (gnome-keyring)".
    fn name(&self) -> String;
    /// Reachable and unlocked?
    fn preflight(&self) -> Result<(), StoreError>;
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError>;
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError>;
    /// Deleting an absent entry is not an error.
    fn delete(&self, account: &str) -> Result<(), StoreError>;
}

/// Write, then read back and compare.
pub fn set_verified(
    store: &dyn SecretStore,
    account: &str,
    secret: &Secret,
) -> Result<(), StoreError> {
    store.set(account, secret)?;
    match store.get(account)? {
        Some(back) if back == *secret => Ok(()),
        _ => Err(StoreError::Mismatch),
    }
}

/// An in-memory store for tests and the whole-loop test.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Secret>>,
    unavailable: Option<StoreError>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that fails every call with `err` (pre-flight included).
    pub fn failing(err: StoreError) -> Self {
        MemoryStore {
            entries: Mutex::default(),
            unavailable: Some(err),
        }
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Secret>>, StoreError> {
        if let Some(e) = &self.unavailable {
            return Err(e.clone());
        }
        self.entries
            .lock()
            .map_err(|_| StoreError::Other("memory store poisoned".into()))
    }
}

impl SecretStore for MemoryStore {
    fn name(&self) -> String {
        "in-memory store".into()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        self.check().map(|_| ())
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.check()?.get(account).cloned())
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.check()?.insert(account.to_string(), secret.clone());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.check()?.remove(account);
        Ok(())
    }
}

/// The operating system's keyring (Secret Service / Keychain / Credential
/// Manager), through keyring-core and an explicitly chosen store.
pub struct KeyringStore {
    _private: (),
}

impl KeyringStore {
    /// Does not touch the store yet: that happens on first use.
    pub fn new() -> Self {
        KeyringStore { _private: () }
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore for KeyringStore {
    fn name(&self) -> String {
        todo!("issue 4")
    }
    fn preflight(&self) -> Result<(), StoreError> {
        todo!("issue 4")
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        let _ = account;
        todo!("issue 4")
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let _ = (account, secret);
        todo!("issue 4")
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let _ = account;
        todo!("issue 4")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_verified_reads_back() {
        let s = MemoryStore::new();
        let p = Secret::new("abcd-efgh-ijkl-mnop".into());
        set_verified(&s, "a@icloud.com", &p).unwrap();
        assert_eq!(s.get("a@icloud.com").unwrap(), Some(p));
        let f = MemoryStore::failing(StoreError::Unavailable {
            reason: "x".into(),
            hint: "y".into(),
        });
        assert!(set_verified(&f, "a@icloud.com", &Secret::new("z".into())).is_err());
    }
}
