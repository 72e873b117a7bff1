//! Saving a verified password and its account: the one place where the
//! keyring and the config change together, so that a working password is
//! never lost. The old secret stays until the new one is written and read
//! back; a failure after that puts the old one back.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::account::Account;
use crate::config::ConfigError;
use crate::mail::CheckSettings;
use crate::secret::Secret;
use crate::secrets::{SecretStore, StoreError};

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

pub fn save_verified(
    store: &dyn SecretStore,
    config_path: &Path,
    req: &SaveRequest,
    now: SystemTime,
) -> Result<Saved, SaveError> {
    let _ = (store, config_path, req, now);
    todo!("issue 4")
}

/// Record that the stored password of `email` passed a live check now.
pub fn mark_verified(config_path: &Path, email: &str, now: SystemTime) -> Result<(), ConfigError> {
    let _ = (config_path, email, now);
    todo!("issue 4")
}
