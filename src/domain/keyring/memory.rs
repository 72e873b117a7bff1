//! An in-memory store for tests and the whole-loop test.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{SecretStore, StoreError};
use crate::sys::secret::Secret;

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
