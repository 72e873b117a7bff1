//! The non-secret settings: `config.toml`, one `[[account]]` table per
//! account. Never holds a password.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod lock;
mod open;
mod valid;

pub use lock::{
    ConfigLock, LOCK_WAIT, create_private_dir, lock_path, resolve, tighten_permissions, update,
};
pub use open::open_checked;
use open::read_checked;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, rename = "account", skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The address mail is read at (lowercased); the keyring account name.
    #[serde(deserialize_with = "valid::email")]
    pub email: String,
    /// The primary iCloud address used to log in (= email unless custom domain).
    #[serde(deserialize_with = "valid::email")]
    pub login: String,
    /// The IMAP username form that worked last.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::imap_username"
    )]
    pub imap_username: Option<String>,
    /// The SMTP username that worked last.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::smtp_username"
    )]
    pub smtp_username: Option<String>,
    /// The label given to the app-specific password at Apple.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::label"
    )]
    pub label: Option<String>,
    /// RFC 3339, when the current password was stored.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::timestamp"
    )]
    pub stored_at: Option<String>,
    /// RFC 3339, when the stored password last passed a live check.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::timestamp"
    )]
    pub verified_at: Option<String>,
    /// RFC 3339, when a check first found the stored password rejected;
    /// kept (not moved) by later rejections, removed by a check that
    /// passes and by saving a new password.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::timestamp"
    )]
    pub rejected_since: Option<String>,
    /// RFC 3339, when the stored password was last checked, whatever came
    /// of it (see `check_result`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::timestamp"
    )]
    pub checked_at: Option<String>,
    /// What that check came to: `ok`, `rejected`, or why it could not
    /// tell (`network`, `keyring`, `no_password`, `error`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::check_result"
    )]
    pub check_result: Option<String>,
    /// IMAP server override in use (HOST:PORT), absent for Apple's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::imap_server"
    )]
    pub imap_server: Option<String>,
    /// SMTP server override in use (HOST:PORT), absent for Apple's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::smtp_server"
    )]
    pub smtp_server: Option<String>,
    /// The extra trust anchors (PEM file) the account was verified with,
    /// absent when only the built-in roots were needed. Exported configs
    /// map it to the client's CA option.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid::ca_file"
    )]
    pub ca_file: Option<String>,
    /// The mail clients whose config `export --write` installed this
    /// account into (`mbsync`, `msmtp`...): they fetch the password through
    /// the password command, so a rotation reaches them by itself.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "valid::clients"
    )]
    pub exported: Vec<String>,
    /// Where the password is kept: `secret-service` (the system keyring)
    /// or `pass`. Absent in entries written before there was a choice:
    /// the system keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring: Option<crate::domain::keyring_choice::Kind>,
    /// A save in progress: what this entry becomes once the new password
    /// (held meanwhile in the staging keyring entry) has replaced the old
    /// one. Present only between those steps, or after a crash between
    /// them; the next run finishes or rolls back (see `storage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Box<AccountEntry>>,
}

impl AccountEntry {
    /// An entry with only its address and login: nothing stored, checked
    /// or recorded yet.
    pub fn new(email: &str, login: &str) -> AccountEntry {
        AccountEntry {
            email: email.to_string(),
            login: login.to_string(),
            ..AccountEntry::default()
        }
    }

    /// The account this entry describes, with the IMAP username form that
    /// worked before.
    pub fn account(&self) -> Result<crate::domain::account::Account, String> {
        use crate::domain::account::{Account, Email};
        let email =
            Email::parse(&self.email).map_err(|e| format!("bad email in the config: {e}"))?;
        let login =
            Email::parse(&self.login).map_err(|e| format!("bad login in the config: {e}"))?;
        Ok(Account::new(email, login).with_imap_username(self.imap_username.clone()))
    }

    /// The settings to check this account with: `base`, with the servers
    /// recorded for the account unless a server was given explicitly
    /// (`imap_given`, `smtp_given`: on the command line or in the
    /// environment), and the extra trust anchors the account was verified
    /// with unless `base` names some (`--ca-file`): every check of a stored
    /// account (`verify`, the wizard, the daily check) sees the same
    /// servers with the same trust.
    pub fn check_settings(
        &self,
        base: &crate::domain::mail::CheckSettings,
        imap_given: bool,
        smtp_given: bool,
    ) -> crate::domain::mail::CheckSettings {
        use crate::domain::mail::Endpoint;
        let mut settings = base.clone();
        if !imap_given
            && let Some(s) = self
                .imap_server
                .as_deref()
                .and_then(|s| Endpoint::parse(s).ok())
        {
            settings.imap = s;
        }
        if !smtp_given
            && let Some(s) = self
                .smtp_server
                .as_deref()
                .and_then(|s| Endpoint::parse(s).ok())
        {
            settings.smtp = s;
        }
        if settings.ca_file.is_none() {
            settings.ca_file = self.ca_file.as_deref().map(Into::into);
        }
        settings
    }

    /// Whether `settings` use this account's own servers (the recorded
    /// ones, else Apple's): only a check against those says anything about
    /// the account's stored password to record.
    pub fn uses_own_servers(&self, settings: &crate::domain::mail::CheckSettings) -> bool {
        let own = self.check_settings(&crate::domain::mail::CheckSettings::default(), false, false);
        own.imap == settings.imap && own.smtp == settings.smtp
    }
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
    #[error(
        "{}:{line}:{column}: the config file does not parse: {message}",
        shown(path)
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {}", shown(path), crate::sys::text::escape_for_terminal(message))]
    Io { path: PathBuf, message: String },
    /// Not a config file of ours (see [`open_checked`]): left alone.
    #[error("{}: {why}", shown(path))]
    Refused { path: PathBuf, why: String },
    #[error("no config directory could be found (set XDG_CONFIG_HOME or use --config)")]
    NoConfigDir,
}

/// A path as a terminal may show it.
fn shown(path: &Path) -> String {
    crate::sys::text::escape_for_terminal(&path.display().to_string()).into_owned()
}

/// The first lines of every file this program writes.
pub const HEADER: &str = "\
# Written by icloud-mail-setup. No passwords here: they live in the system keyring.
# Comments you add are not kept when the program rewrites this file.

";

/// `$XDG_CONFIG_HOME/icloud-mail-setup/config.toml` on Linux; the platform's
/// convention elsewhere.
pub fn default_path() -> Result<PathBuf, ConfigError> {
    let dirs = directories::ProjectDirs::from("", "", "icloud-mail-setup")
        .ok_or(ConfigError::NoConfigDir)?;
    Ok(dirs.config_dir().join("config.toml"))
}

/// The largest config file that is read: a real one is a few kilobytes,
/// and a larger file is refused after reading at most one byte more.
pub const MAX_SIZE: u64 = 1 << 20;

/// A missing file is an empty config; a file that does not parse, or has
/// a value that is not valid, is an error with its line, and is left
/// untouched. So is anything that is not a regular file of this user, or
/// larger than [`MAX_SIZE`], or not UTF-8: see [`open_checked`].
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let result = read_checked(path).and_then(|text| match text {
        Some(t) => parse(path, &t),
        None => Ok(Config::default()),
    });
    crate::log!(
        crate::sys::log::Component::Config,
        "read {}: {}",
        path.display(),
        match &result {
            Ok(c) => format!("{} account(s)", c.accounts.len()),
            Err(e) => e.to_string(),
        }
    );
    result
}

fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    toml::from_str::<Config>(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => line_column(text, span.start),
            None => (1, 1),
        };
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: crate::sys::text::escape_for_terminal(e.message().trim()).into_owned(),
        }
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> ConfigError {
    ConfigError::Io {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An entry whose login is its address.
    pub(super) fn entry(email: &str) -> AccountEntry {
        AccountEntry::new(email, email)
    }

    #[test]
    fn missing_file_is_empty() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            load(&d.path().join("none.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn parse_error_has_line_and_leaves_file_alone() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        let bad = "# comment\n[[account]]\nemail = \"a@icloud.com\"\nlogin = = \"x\"\n";
        std::fs::write(&path, bad).unwrap();
        match load(&path) {
            Err(ConfigError::Parse { path: p, line, .. }) => {
                assert_eq!(p, path);
                assert_eq!(line, 4);
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let r = update(&path, |c| c.upsert(entry("b@icloud.com")));
        assert!(
            matches!(r, Err(ConfigError::Parse { line: 4, .. })),
            "{r:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bad.as_bytes());
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("abc", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
    }

    #[test]
    fn default_path_ends_in_config_toml() {
        let p = default_path().expect("a config directory (HOME is set in tests)");
        assert!(p.ends_with("icloud-mail-setup/config.toml"), "{p:?}");
    }
}
