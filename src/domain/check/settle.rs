//! Settling a save an earlier run cut short, so that a check sees the
//! keyring and the config agree. Every check of a stored account (the
//! commands and the wizard) settles through here.

use std::path::Path;

use crate::domain::config::Config;
use crate::domain::keyring::{SecretStore, staging_account};
use crate::domain::storage::{self, Recovered, SaveError};

/// What settling one account's unfinished save came to.
#[derive(Debug)]
pub enum Settled {
    /// Finished or rolled back.
    Done(Recovered),
    /// It could not be settled now.
    Failed { email: String, error: SaveError },
}

impl std::fmt::Display for Settled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Settled::Done(r) => r.fmt(f),
            Settled::Failed { email, error } => {
                write!(f, "could not settle an unfinished save of {email}: {error}")
            }
        }
    }
}

impl Settled {
    /// As a sentence on its own (the wizard's notice).
    pub fn sentence(&self) -> String {
        let text = self.to_string();
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }

    /// The line a command prints on stderr: `note: …` or `warning: …`.
    pub fn line(&self) -> String {
        match self {
            Settled::Done(_) => format!("note: {self}"),
            Settled::Failed { .. } => format!("warning: {self}"),
        }
    }
}

/// Finish or roll back `email`'s unfinished save, if it has one (under the
/// config lock); `None`: there was nothing to settle.
pub fn settle(store: &dyn SecretStore, path: &Path, email: &str) -> Option<Settled> {
    match storage::recover(store, path, email) {
        Ok(r) => r.map(Settled::Done),
        Err(error) => Some(Settled::Failed {
            email: email.to_string(),
            error,
        }),
    }
}

/// Only when `config` shows a save of `email` cut short (`pending`; no
/// keyring call otherwise): settle it.
pub fn settle_if_pending(
    store: &dyn SecretStore,
    path: &Path,
    config: &Config,
    email: &str,
) -> Option<Settled> {
    storage::has_pending(config, email)
        .then(|| settle(store, path, email))
        .flatten()
}

/// Settle every save cut short that `config` shows (`pending`).
pub fn settle_pending(store: &dyn SecretStore, path: &Path, config: &Config) -> Vec<Settled> {
    config
        .accounts
        .iter()
        .filter_map(|e| settle_if_pending(store, path, config, &e.email))
        .collect()
}

/// Settle the saves of `emails` cut short before the config recorded
/// them; the lines to print on stderr. Such a save leaves a staging entry
/// (and nothing else), so one search per account, without the config
/// lock, finds whether there is anything to do.
pub fn settle_leftovers(store: &dyn SecretStore, path: &Path, emails: &[String]) -> Vec<String> {
    emails
        .iter()
        // A locked or unreachable keyring: nothing can be settled now,
        // and the check itself reports the keyring's state.
        .filter(|email| matches!(store.exists(&staging_account(email)), Ok(true)))
        .filter_map(|email| settle(store, path, email))
        .map(|s| s.line())
        .collect()
}
