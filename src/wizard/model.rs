//! The wizard's whole state. Rendering reads only this.

use crate::account::Account;
use crate::mail::{CheckReport, CheckSettings, ErrorKind};
use crate::secret::Secret;
use crate::storage::Saved;

use super::checklists::{Checklist, TwoFactorPath, suggested_label};
use super::input::{SecretField, TextInput};

/// Below this the screen only asks for a larger window.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// A configured account as the Welcome screen lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSummary {
    pub email: String,
    pub login: String,
    pub label: Option<String>,
    pub verified_at: Option<String>,
    /// The IMAP username form that worked before.
    pub imap_username: Option<String>,
    /// Servers recorded for the account (HOST:PORT), absent for Apple's.
    pub imap_server: Option<String>,
    pub smtp_server: Option<String>,
}

impl AccountSummary {
    pub fn from_entry(e: crate::config::AccountEntry) -> AccountSummary {
        AccountSummary {
            email: e.email,
            login: e.login,
            label: e.label,
            verified_at: e.verified_at,
            imap_username: e.imap_username,
            imap_server: e.imap_server,
            smtp_server: e.smtp_server,
        }
    }

    /// The config entry this summary came from (its checking fields).
    pub fn entry(&self) -> crate::config::AccountEntry {
        crate::config::AccountEntry {
            email: self.email.clone(),
            login: self.login.clone(),
            imap_username: self.imap_username.clone(),
            label: self.label.clone(),
            verified_at: self.verified_at.clone(),
            imap_server: self.imap_server.clone(),
            smtp_server: self.smtp_server.clone(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    Checking,
    Ready { name: String },
    Problem { message: String, hint: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountsStatus {
    Loading,
    Loaded(Vec<AccountSummary>),
    Error(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    ConfirmQuit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    Email,
    Login,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordField {
    Password,
    Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwoFactorStage {
    /// "Is two-factor authentication on?"
    Ask { selected: usize },
    /// "Where will you turn it on?"
    Pick { selected: usize },
    Steps {
        path: TwoFactorPath,
        checklist: Checklist,
    },
}

pub const TWO_FACTOR_ANSWERS: [&str; 3] = ["Yes, it is on", "No, it is off", "I'm not sure"];

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

/// What the user can do once checks have finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Save,
    ReEnter,
    NewPassword,
    Retry,
    ChangeAddress,
    RotateAnyway,
    BackToStart,
}

impl Choice {
    pub fn label(self) -> &'static str {
        match self {
            Choice::Save => "Save it to the keyring",
            Choice::ReEnter => "Re-enter the password",
            Choice::NewPassword => "Make a new app-specific password",
            Choice::Retry => "Retry the check",
            Choice::ChangeAddress => "Change the email address",
            Choice::RotateAnyway => "Replace it with a new password anyway",
            Choice::BackToStart => "Back to the start",
        }
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
    pub selected: usize,
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
            selected: 0,
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
    Failed(String),
}

// One Screen lives in the one Model; its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Welcome { selected: usize },
    TwoFactor(TwoFactorStage),
    AppPassword { checklist: Checklist },
    Account,
    Password,
    Verify(VerifyState),
    Save(SaveState),
    Done,
}

impl Screen {
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Welcome { .. } => "Welcome",
            Screen::TwoFactor(_) => "Two-factor authentication",
            Screen::AppPassword { .. } => "App-specific password",
            Screen::Account => "Your iCloud address",
            Screen::Password => "Paste the password",
            Screen::Verify(v) if v.purpose == Purpose::Stored => "Checking the stored password",
            Screen::Verify(_) => "Checking with iCloud",
            Screen::Save(_) => "Saving",
            Screen::Done => "Done",
        }
    }

    /// Step n of 5 in the setup flow, for the header.
    pub fn step(&self) -> Option<usize> {
        match self {
            Screen::Welcome { .. } => None,
            Screen::TwoFactor(_) => Some(1),
            Screen::AppPassword { .. } => Some(2),
            Screen::Account => Some(3),
            Screen::Password => Some(4),
            Screen::Verify(v) if v.purpose == Purpose::NewPassword => Some(5),
            Screen::Save(_) => Some(5),
            Screen::Verify(_) | Screen::Done => None,
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
    pub email: TextInput,
    pub login: TextInput,
    pub account_focus: AccountField,
    /// Set when the Account screen (or the chosen existing account) is valid.
    pub account: Option<Account>,
    pub password: SecretField,
    pub label: TextInput,
    pub password_focus: PasswordField,
    pub reveal: bool,
    /// Shown under the password field after Enter or a refused paste.
    pub password_error: Option<String>,
    /// The normalised password being checked.
    pub candidate: Option<Secret>,
    pub verified: Option<Verified>,
    pub saved: Option<Saved>,
    /// The IMAP and SMTP usernames that worked, kept for the Done screen
    /// after the secret itself has been dropped.
    pub usernames: Option<(String, String)>,
    /// The settings the account is checked (and recorded) with: the
    /// servers recorded for a configured account, else the program's.
    pub settings: Option<CheckSettings>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub screen: Screen,
    pub keyring: KeyringStatus,
    pub accounts: AccountsStatus,
    pub overlay: Overlay,
    /// A one-line message under the screen (link opened, ...).
    pub notice: Option<String>,
    pub spinner: usize,
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
    /// The window is below the minimum size: only Quit is taken.
    pub too_small: bool,
    /// `NO_COLOR` is set: render without colour.
    pub no_color: bool,
    /// Where the config lives, for the Done screen.
    pub config_path: String,
}

impl Model {
    pub fn new(hostname: &str, settings: CheckSettings, start_account: Option<String>) -> Model {
        Model {
            screen: Screen::Welcome { selected: 0 },
            keyring: KeyringStatus::Checking,
            accounts: AccountsStatus::Loading,
            overlay: Overlay::None,
            notice: None,
            spinner: 0,
            flow: Flow {
                existing: None,
                email: TextInput::default(),
                login: TextInput::default(),
                account_focus: AccountField::Email,
                account: None,
                password: SecretField::default(),
                label: TextInput::with(&suggested_label(hostname)),
                password_focus: PasswordField::Password,
                reveal: false,
                password_error: None,
                candidate: None,
                verified: None,
                saved: None,
                usernames: None,
                settings: None,
            },
            settings,
            servers_given: (false, false),
            start_account: start_account.map(|s| s.trim().to_lowercase()),
            next_run: 1,
            quitting: false,
            terminating: false,
            too_small: false,
            no_color: false,
            config_path: String::new(),
        }
    }

    /// Does a text field have the keyboard (letters are typed, not commands)?
    pub fn text_entry(&self) -> bool {
        self.overlay == Overlay::None && matches!(self.screen, Screen::Account | Screen::Password)
    }

    /// Is anything in flight that the spinner should show?
    pub fn busy(&self) -> bool {
        match &self.screen {
            Screen::Verify(v) => v.running(),
            Screen::Save(SaveState::Saving) => true,
            _ => self.keyring == KeyringStatus::Checking,
        }
    }

    pub fn configured(&self) -> &[AccountSummary] {
        match &self.accounts {
            AccountsStatus::Loaded(a) => a,
            _ => &[],
        }
    }

    /// The Welcome menu: "set up new" first, then each configured account.
    pub fn welcome_items(&self) -> usize {
        1 + self.configured().len()
    }

    /// A verified password that would be lost by quitting now.
    pub fn unsaved(&self) -> bool {
        self.flow.verified.is_some() && self.flow.saved.is_none()
    }

    pub fn rotating(&self) -> bool {
        self.flow.existing.is_some()
    }
}
