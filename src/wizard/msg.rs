//! What can happen to the wizard (messages) and what it asks the outside
//! world to do (effects).

use crate::account::Account;
use crate::mail::{CheckReport, CheckSettings, Protocol};
use crate::secret::Secret;
use crate::secrets::StoreError;
use crate::storage::{SaveRequest, Saved};

use super::keys::Action;
use super::model::AccountSummary;

#[derive(Debug, Clone)]
pub enum Msg {
    /// A key, already mapped through the key table.
    Action(Action),
    /// Bracketed paste (raw: sanitised by `update`).
    Paste(crate::secret::Pasted),
    /// Spinner tick, sent only while something is in flight.
    Tick,
    /// The terminal's size (at start and on every resize).
    Resize { width: u16, height: u16 },
    /// The keyring pre-flight finished (`Ok(store name)`).
    KeyringChecked(Result<String, StoreError>),
    /// The configured accounts were read (or could not be).
    AccountsLoaded(Result<Vec<AccountSummary>, String>),
    /// The stored secret of an account, read for a check.
    SecretLoaded {
        run: u64,
        result: Result<Option<Secret>, StoreError>,
    },
    /// One check finished.
    CheckDone { run: u64, report: CheckReport },
    /// Saving finished.
    Saved(Result<Saved, String>),
    /// Opening a link in the browser finished.
    UrlOpened {
        url: String,
        result: Result<(), String>,
    },
    /// A sentence for the notice line (an earlier unfinished save was
    /// settled, ...).
    Note(String),
    /// SIGINT / SIGTERM / SIGHUP / SIGQUIT: leave (after a save in
    /// progress).
    Terminate,
}

#[derive(Debug, Clone)]
pub enum Effect {
    /// Find out whether the keyring is reachable and unlocked.
    CheckKeyring,
    /// Read the configured accounts.
    LoadAccounts,
    /// Read the stored secret of `email` (for checking an existing account).
    LoadSecret { run: u64, email: String },
    /// Run the IMAP and SMTP checks side by side; each reports as `CheckDone`.
    Verify {
        run: u64,
        account: Account,
        password: Secret,
        protocols: Vec<Protocol>,
        /// Servers other than the program's (an account's recorded ones).
        settings: Option<Box<CheckSettings>>,
    },
    /// Stop the checks of a run.
    CancelVerify { run: u64 },
    /// Store the verified password and write the config.
    Save(Box<SaveRequest>),
    /// The stored password of an account passed a check just now.
    MarkVerified { email: String },
    /// Open a link in the default browser.
    OpenUrl(String),
    /// Leave the program.
    Quit,
}
