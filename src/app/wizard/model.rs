//! The wizard's whole state. Rendering reads only this.

use crate::domain::account::Account;
use crate::domain::mail::{CheckReport, CheckSettings, ErrorKind};
use crate::domain::storage::Saved;
use crate::sys::secret::Secret;

use super::checklists::{Checklist, TwoFactorPath, suggested_label};
pub use super::choice::Choice;
pub use crate::domain::export::Client;

/// A configured account as the Welcome screen lists it: its config entry
/// (one type for both, so the wizard checks an account exactly as
/// `verify` does, recorded servers included).
pub type AccountSummary = crate::domain::config::AccountEntry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    Checking,
    Ready {
        name: String,
    },
    Problem {
        message: String,
        hint: String,
        /// There, but locked: the person can ask for it to be unlocked.
        locked: bool,
    },
}

/// Unlocking a locked keyring, which the person asks for on Welcome. The
/// keyring's own prompt is raised at most once per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlockState {
    NotAsked,
    /// The keyring's prompt is on the desktop.
    Prompting,
    /// It ended: unlocked, cancelled at the prompt, no answer in time (or
    /// the person stopped waiting), or an error.
    Ended(Result<crate::domain::keyring::Unlock, String>),
}

/// How long the keyring's unlock prompt is waited for.
pub const UNLOCK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountsStatus {
    Loading,
    Loaded(Vec<AccountSummary>),
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwoFactorStage {
    /// "Is two-factor authentication on?"
    Ask,
    /// "Where will you turn it on?"
    Pick,
    Steps {
        path: TwoFactorPath,
        checklist: Checklist,
    },
}

/// What a Verify screen is checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A password the user just pasted.
    NewPassword,
    /// The password already stored for a configured account.
    Stored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckLine {
    Running,
    Done(CheckReport),
    Cancelled,
    /// Not run (e.g. no stored password to check).
    Skipped,
}

impl CheckLine {
    pub fn is_running(&self) -> bool {
        matches!(self, CheckLine::Running)
    }

    pub fn report(&self) -> Option<&CheckReport> {
        match self {
            CheckLine::Done(r) => Some(r),
            _ => None,
        }
    }

    pub fn accepted(&self) -> bool {
        self.report().is_some_and(|r| r.accepted())
    }

    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.report()
            .and_then(|r| r.outcome.as_ref().err().map(|f| f.kind))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyState {
    pub purpose: Purpose,
    pub run: u64,
    /// Reading the stored secret from the keyring first.
    pub loading_secret: bool,
    pub imap: CheckLine,
    pub smtp: CheckLine,
    /// The keyring had no entry for this account.
    pub missing_secret: bool,
    /// The keyring could not be read.
    pub keyring_error: Option<String>,
}

impl VerifyState {
    pub fn new(purpose: Purpose, run: u64) -> Self {
        VerifyState {
            purpose,
            run,
            loading_secret: false,
            imap: CheckLine::Running,
            smtp: CheckLine::Running,
            missing_secret: false,
            keyring_error: None,
        }
    }

    pub fn running(&self) -> bool {
        self.loading_secret || self.imap.is_running() || self.smtp.is_running()
    }

    pub fn all_accepted(&self) -> bool {
        self.imap.accepted() && self.smtp.accepted()
    }

    pub fn any_rejected(&self) -> bool {
        [&self.imap, &self.smtp]
            .iter()
            .any(|l| l.error_kind() == Some(ErrorKind::PasswordRejected))
    }

    /// The choices offered once nothing is running, best first.
    pub fn choices(&self) -> Vec<Choice> {
        if self.running() {
            return Vec::new();
        }
        let needs_new = self.any_rejected() || self.missing_secret;
        match (self.purpose, self.all_accepted()) {
            (Purpose::NewPassword, true) => vec![Choice::Save],
            (Purpose::NewPassword, false) if self.any_rejected() => vec![
                Choice::ReEnter,
                Choice::NewPassword,
                Choice::Retry,
                Choice::ChangeAddress,
            ],
            (Purpose::NewPassword, false) => vec![
                Choice::Retry,
                Choice::ReEnter,
                Choice::NewPassword,
                Choice::ChangeAddress,
            ],
            (Purpose::Stored, true) => vec![Choice::BackToStart, Choice::RotateAnyway],
            (Purpose::Stored, false) if needs_new => {
                vec![Choice::NewPassword, Choice::Retry, Choice::BackToStart]
            }
            (Purpose::Stored, false) => {
                vec![Choice::Retry, Choice::NewPassword, Choice::BackToStart]
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saving,
    Failed(SaveFailed),
}

/// Why a save failed, and what storage knows of what it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailed {
    pub message: String,
    /// The keyring and the config are known to be as they were before.
    pub left_as_before: bool,
}

impl SaveFailed {
    /// A failure that left everything as it was (the usual case).
    pub fn unchanged(message: impl Into<String>) -> SaveFailed {
        SaveFailed {
            message: message.into(),
            left_as_before: true,
        }
    }
}

// One Screen lives in the one Model; its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    TwoFactor(TwoFactorStage),
    AppPassword {
        checklist: Checklist,
    },
    Account,
    Password,
    Verify(VerifyState),
    Save(SaveState),
    Done,
    /// Setting up a terminal mail client from Done.
    Export(ExportState),
}

/// A terminal mail client found on this machine, offered on Done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOffer {
    pub client: Client,
    /// Why it is offered: "on PATH", "~/.mbsyncrc exists".
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportState {
    pub client: Client,
    /// The file it goes to and the text (read from the world), or why not.
    pub preview: Option<Result<(String, String), String>>,
    /// Being written.
    pub writing: bool,
}

impl Screen {
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Welcome => "Welcome",
            Screen::TwoFactor(_) => "Two-factor authentication",
            Screen::AppPassword { .. } => "App-specific password",
            Screen::Account => "Your iCloud address",
            Screen::Password => "Paste the password",
            Screen::Verify(v) if v.purpose == Purpose::Stored => "Checking the stored password",
            Screen::Verify(_) => "Checking with iCloud",
            Screen::Save(_) => "Saving",
            Screen::Done => "Done",
            Screen::Export(_) => "Set up a mail client",
        }
    }

    /// Step n of 5 in the setup flow, for the header.
    pub fn step(&self) -> Option<usize> {
        match self {
            Screen::Welcome => None,
            Screen::TwoFactor(_) => Some(1),
            Screen::AppPassword { .. } => Some(2),
            Screen::Account => Some(3),
            Screen::Password => Some(4),
            Screen::Verify(v) if v.purpose == Purpose::NewPassword => Some(5),
            Screen::Save(_) => Some(5),
            Screen::Verify(_) | Screen::Done | Screen::Export(_) => None,
        }
    }
}

/// A password that passed both checks and is not yet saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub secret: Secret,
    pub imap_username: String,
    pub smtp_username: String,
}

/// What the user has told us so far, across screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The configured account being checked or rotated.
    pub existing: Option<AccountSummary>,
    /// The address and login as last submitted (front ends start their
    /// fields from these).
    pub email: String,
    pub login: String,
    /// Set when the submitted address (or the chosen existing account) is valid.
    pub account: Option<Account>,
    /// Why the submitted address was refused.
    pub account_error: Option<String>,
    /// The label the password is given at Apple (and kept in the config).
    pub label: String,
    /// Why the submitted password was refused (its form).
    pub password_error: Option<String>,
    /// The normalised password being checked, or pasted ahead of time.
    pub candidate: Option<Secret>,
    pub verified: Option<Verified>,
    pub saved: Option<Saved>,
    /// The IMAP and SMTP usernames that worked, kept for the Done screen
    /// after the secret itself has been dropped.
    pub usernames: Option<(String, String)>,
    /// The settings the account is checked (and recorded) with: the
    /// servers recorded for a configured account, else the program's.
    pub settings: Option<CheckSettings>,
    /// On Done: the terminal mail clients found here (`None` until
    /// looked for).
    pub clients: Option<Vec<ClientOffer>>,
    /// The clients already set up with the password command (the config's
    /// `exported`).
    pub exported: Vec<String>,
}

/// The wizard's state: what the person has said and what the world
/// answered. Nothing about how it is shown (selection, focus, reveal,
/// spinner, window size, colour): each front end keeps its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub screen: Screen,
    pub keyring: KeyringStatus,
    pub unlock: UnlockState,
    pub accounts: AccountsStatus,
    /// A one-line message (link opened, a refused paste, ...).
    pub notice: Option<String>,
    pub flow: Flow,
    pub settings: CheckSettings,
    /// `--imap` / `--smtp` were given: they win over an account's recorded
    /// servers.
    pub servers_given: (bool, bool),
    /// `--account EMAIL`: go straight to that account once accounts are read.
    pub start_account: Option<String>,
    pub next_run: u64,
    pub quitting: bool,
    /// A signal asked us to leave (as soon as a save in progress is done).
    pub terminating: bool,
    /// "Quit and lose the checked password?" is being asked.
    pub confirming_quit: bool,
    /// Where the config lives, for the Done screen.
    pub config_path: String,
    /// How mail clients start this program (the password command shown).
    pub invocation: crate::domain::invocation::Invocation,
}

impl Model {
    pub fn new(hostname: &str, settings: CheckSettings, start_account: Option<String>) -> Model {
        Model {
            screen: Screen::Welcome,
            keyring: KeyringStatus::Checking,
            unlock: UnlockState::NotAsked,
            accounts: AccountsStatus::Loading,
            notice: None,
            flow: Flow {
                existing: None,
                email: String::new(),
                login: String::new(),
                account: None,
                account_error: None,
                label: suggested_label(hostname),
                password_error: None,
                candidate: None,
                verified: None,
                saved: None,
                usernames: None,
                settings: None,
                clients: None,
                exported: Vec::new(),
            },
            settings,
            servers_given: (false, false),
            start_account: start_account.map(|s| s.trim().to_lowercase()),
            next_run: 1,
            quitting: false,
            terminating: false,
            confirming_quit: false,
            config_path: String::new(),
            invocation: crate::domain::invocation::Invocation::default(),
        }
    }

    /// Is anything in flight (a front end shows progress)?
    pub fn busy(&self) -> bool {
        match &self.screen {
            Screen::Verify(v) => v.running(),
            Screen::Save(SaveState::Saving) => true,
            Screen::Export(e) => e.preview.is_none() || e.writing,
            Screen::Done => self.flow.clients.is_none(),
            _ => self.keyring == KeyringStatus::Checking || self.unlock == UnlockState::Prompting,
        }
    }

    /// Still waiting for the keyring check or the accounts (Welcome's
    /// answers depend on them).
    pub fn starting(&self) -> bool {
        self.keyring == KeyringStatus::Checking || self.accounts == AccountsStatus::Loading
    }

    pub fn configured(&self) -> &[AccountSummary] {
        match &self.accounts {
            AccountsStatus::Loaded(a) => a,
            _ => &[],
        }
    }

    /// A verified password that would be lost by quitting now.
    pub fn unsaved(&self) -> bool {
        self.flow.verified.is_some() && self.flow.saved.is_none()
    }

    pub fn rotating(&self) -> bool {
        self.flow.existing.is_some()
    }

    /// The screens before the password step, where a password may be
    /// pasted ahead of time.
    pub fn before_password(&self) -> bool {
        matches!(
            self.screen,
            Screen::Welcome | Screen::TwoFactor(_) | Screen::AppPassword { .. } | Screen::Account
        )
    }

    /// Where a pasted password is kept and checked (the password step
    /// takes it in its field instead): the steps before it, and a check's
    /// answer once nothing is running (a rejected or missing password says
    /// "paste it here"), unless a checked password waits to be saved.
    pub fn takes_paste(&self) -> bool {
        match &self.screen {
            Screen::Verify(v) => !v.running() && !self.unsaved(),
            _ => self.before_password(),
        }
    }
}
