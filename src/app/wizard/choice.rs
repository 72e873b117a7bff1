//! The answers a person picks (a menu entry, or Enter on a checklist), as
//! values both front ends send, and how each is worded.

use super::checklists::TwoFactorPath;
use crate::domain::export::Client;

/// An answer the person gives by picking it (a menu entry, or Enter on a
/// checklist): both front ends send these values, never positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Welcome: set up a new account.
    SetUpNew,
    /// Welcome: check (and perhaps rotate) this configured account.
    CheckAccount(String),
    /// Welcome: raise the keyring's own unlock prompt.
    UnlockKeyring,
    /// Welcome: stop waiting for that prompt.
    StopWaiting,
    /// Welcome: look at the keyring again (after unlocking it elsewhere).
    CheckKeyringAgain,
    /// "Is two-factor authentication on?"
    TwoFactorOn,
    TwoFactorOff,
    TwoFactorUnsure,
    /// Where to turn it on.
    Path(TwoFactorPath),
    /// A checklist is done (or skipped): on to the next step.
    Continue,
    Save,
    ReEnter,
    NewPassword,
    Retry,
    ChangeAddress,
    RotateAnyway,
    BackToStart,
    /// Saving failed: try again.
    RetrySave,
    /// Done: leave.
    Finish,
    /// Done: set up this terminal mail client (preview, then write).
    Export(Client),
    /// The preview: write it.
    WriteExport,
    /// Done: copy the password to the clipboard (for a GUI mail app).
    CopyPassword,
}

impl Choice {
    pub fn label(&self) -> String {
        match self {
            Choice::SetUpNew => "Set up a new account".into(),
            Choice::CheckAccount(email) => format!("Check {email}"),
            Choice::UnlockKeyring => "Unlock the keyring".into(),
            Choice::StopWaiting => "Stop waiting for the unlock prompt".into(),
            Choice::CheckKeyringAgain => "Check the keyring again".into(),
            Choice::TwoFactorOn => "Yes, it is on".into(),
            Choice::TwoFactorOff => "No, it is off".into(),
            Choice::TwoFactorUnsure => "I'm not sure".into(),
            Choice::Path(p) => p.label().into(),
            Choice::Continue => "Continue".into(),
            Choice::Save => "Save it to the keyring".into(),
            Choice::ReEnter => "Re-enter the password".into(),
            Choice::NewPassword => "Make a new app-specific password".into(),
            Choice::Retry => "Retry the check".into(),
            Choice::ChangeAddress => "Change the email address".into(),
            Choice::RotateAnyway => "Replace it with a new password anyway".into(),
            Choice::BackToStart => "Back to the start".into(),
            Choice::RetrySave => "Try saving again".into(),
            Choice::Finish => "Quit".into(),
            Choice::Export(c) => format!("Set up {} to use it", c.name()),
            Choice::WriteExport => "Write it".into(),
            Choice::CopyPassword => {
                "Copy the password, for a GUI mail app (cleared after 45 s)".into()
            }
        }
    }
}
