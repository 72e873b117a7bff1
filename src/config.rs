//! The non-secret settings: `config.toml`, one `[[account]]` table per
//! account. Never holds a password.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, rename = "account", skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The address mail is read at (lowercased); the keyring account name.
    pub email: String,
    /// The primary iCloud address used to log in (= email unless custom domain).
    pub login: String,
    /// The IMAP username form that worked last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_username: Option<String>,
    /// The SMTP username that worked last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_username: Option<String>,
    /// The label given to the app-specific password at Apple.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// RFC 3339, when the current password was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_at: Option<String>,
    /// RFC 3339, when the stored password last passed a live check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// IMAP server override in use (HOST:PORT), absent for Apple's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_server: Option<String>,
    /// SMTP server override in use (HOST:PORT), absent for Apple's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_server: Option<String>,
}

impl Config {
    pub fn find(&self, email: &str) -> Option<&AccountEntry> {
        let email = email.to_lowercase();
        self.accounts.iter().find(|a| a.email == email)
    }

    /// Replace the entry with the same email, or append.
    pub fn upsert(&mut self, entry: AccountEntry) {
        match self.accounts.iter_mut().find(|a| a.email == entry.email) {
            Some(slot) => *slot = entry,
            None => self.accounts.push(entry),
        }
    }

    pub fn remove(&mut self, email: &str) -> bool {
        let email = email.to_lowercase();
        let before = self.accounts.len();
        self.accounts.retain(|a| a.email != email);
        self.accounts.len() != before
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}:{line}:{column}: the config file does not parse: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("no config directory could be found (set XDG_CONFIG_HOME or use --config)")]
    NoConfigDir,
}

/// `$XDG_CONFIG_HOME/icloud-mail-setup/config.toml` on Linux; the platform's
/// convention elsewhere.
pub fn default_path() -> Result<PathBuf, ConfigError> {
    todo!("issue 4")
}

/// A missing file is an empty config; a file that does not parse is an
/// error with its line, and is left untouched.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let _ = path;
    todo!("issue 4")
}

/// Lock, re-read, change, write atomically (temp + fsync + rename, 0600).
pub fn update<T>(path: &Path, f: impl FnOnce(&mut Config) -> T) -> Result<T, ConfigError> {
    let _ = (path, f);
    todo!("issue 4")
}
