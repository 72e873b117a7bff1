//! What can happen to the wizard (messages: the person's intents and the
//! world's answers) and what it asks the outside world to do (effects).
//! No message is a key: each front end turns its own input into these.

use crate::domain::account::Account;
use crate::domain::keyring::StoreError;
use crate::domain::mail::{CheckReport, CheckSettings, Protocol};
use crate::domain::storage::{SaveRequest, Saved};
use crate::sys::secret::{RawSecret, Secret};

use super::model::{AccountSummary, Choice};

#[derive(Debug, Clone)]
pub enum Msg {
    // --- What the person wants ---------------------------------------
    /// Pick an answer offered on this step (see `prompt`).
    Choose(Choice),
    /// The address to set up, and for a custom domain the primary iCloud
    /// address it logs in with (empty otherwise).
    SubmitAccount { email: String, login: String },
    /// The password as typed or pasted on the password step, with the
    /// label it was given at Apple.
    SubmitPassword { password: RawSecret, label: String },
    /// A password pasted before the password step: kept (never shown), and
    /// checked as soon as the address is known.
    PastePassword(RawSecret),
    /// Tick or untick step `n` (from 0) of the checklist on screen.
    ToggleStep(usize),
    /// Open the step's link in the browser.
    OpenLink,
    /// Copy the step's link to the clipboard (for a browser elsewhere).
    CopyLink,
    /// One step back (cancels running checks).
    Back,
    /// Leave (asks first when a checked password is unsaved).
    Quit,
    /// The answer to "quit and lose the checked password?".
    ConfirmQuit(bool),

    // --- What the world answered -------------------------------------
    /// The keyring pre-flight finished (`Ok(store name)`).
    KeyringChecked(Result<String, StoreError>),
    /// The unlock the person asked for ended.
    KeyringUnlocked(Result<crate::domain::keyring::Unlock, String>),
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
    Saved(Result<Saved, super::model::SaveFailed>),
    /// Opening a link in the browser finished.
    UrlOpened {
        url: String,
        result: Result<(), String>,
    },
    /// The terminal mail clients found here, and those already set up.
    ClientsDetected {
        offers: Vec<super::model::ClientOffer>,
        exported: Vec<String>,
    },
    /// A client's config to preview: (file, text), or why not.
    ExportPreviewed {
        client: super::model::Client,
        result: Result<(String, String), String>,
    },
    /// A client's config was written (what was done), or why not.
    ExportWritten {
        client: super::model::Client,
        result: Result<String, String>,
    },
    /// A link was copied (how), or why not.
    LinkCopied {
        url: String,
        result: Result<String, String>,
    },
    /// The password was copied (how, and when it is cleared), or why not.
    PasswordCopied(Result<String, String>),
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
    /// Raise the keyring's unlock prompt and wait for it (at most
    /// `deadline`); answers `KeyringUnlocked`.
    UnlockKeyring { deadline: std::time::Duration },
    /// Stop waiting for that prompt.
    StopUnlock,
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
    /// The stored password of an account passed a check just now, made
    /// with `settings`. Recorded through the check service, which records
    /// nothing for a check against other servers. `entry` is the account
    /// as read before its password (its `stored_at` names the password
    /// checked); the usernames are the ones accepted.
    MarkVerified {
        entry: Box<AccountSummary>,
        settings: Box<CheckSettings>,
        imap_username: Option<String>,
        smtp_username: Option<String>,
    },
    /// Open a link in the default browser.
    OpenUrl(String),
    /// Put a link (not a secret: never cleared) on the clipboard.
    CopyUrl(String),
    /// Find the terminal mail clients here, and which are set up already.
    DetectClients { email: String },
    /// Render a client's config for the account (with the program's
    /// settings and which servers were given, as `export` does).
    PreviewExport {
        client: super::model::Client,
        email: String,
        settings: Box<CheckSettings>,
        given: (bool, bool),
    },
    /// Write a client's config (and record it in ours).
    WriteExport {
        client: super::model::Client,
        email: String,
        settings: Box<CheckSettings>,
        given: (bool, bool),
    },
    /// Copy the stored password to the clipboard; cleared after 45 s or
    /// when the program ends, whichever is first.
    CopyPassword { email: String },
    /// Leave the program.
    Quit,
}
