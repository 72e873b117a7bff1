//! What a Keychain status code means to us: a pure mapping, used on
//! macOS and tested on every platform.

use super::StoreError;

/// What a Keychain status code means to us (macOS; a pure function, so
/// the mapping is tested on every platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeychainError {
    NotFound,
    /// errSecInteractionNotAllowed: a dialog was needed and is turned off
    /// (an item this build may not read yet, or a locked keychain).
    NeedsDialog,
    /// errSecAuthFailed, errSecUserCanceled (-128): a Deny, a cancelled
    /// dialog or a wrong keychain password.
    Denied,
    /// No keychain to use.
    NoKeychain,
    Other,
}

pub(super) fn keychain_error(code: i32) -> KeychainError {
    match code {
        -25300 => KeychainError::NotFound,      // errSecItemNotFound
        -25308 => KeychainError::NeedsDialog,   // errSecInteractionNotAllowed
        -25293 | -128 => KeychainError::Denied, // errSecAuthFailed, errSecUserCanceled
        -25294 | -25295 | -25291 | -61 => KeychainError::NoKeychain, // no such / invalid / not available / no write permission
        _ => KeychainError::Other,
    }
}

/// What the person can do: allow this build once, in a terminal or in
/// Keychain Access.
pub(super) const KEYCHAIN_ALLOW_HINT: &str = "The Keychain wants to ask before it gives this build of \
    icloud-mail-setup the password (after an install or an upgrade it asks again), or the \
    login keychain is locked, and no dialog is shown from here. Run `icloud-mail-setup \
    verify EMAIL` once in a Terminal window on the Mac and choose Always Allow when the \
    Keychain asks (or allow it in Keychain Access, on the item's Access Control tab); unlock a locked keychain with \
    `security unlock-keychain`.";

pub(super) const KEYCHAIN_DENIED_HINT: &str = "Access to the password was denied in the Keychain's \
    dialog (or the keychain password was wrong). Run this again and choose Allow or Always \
    Allow, or allow icloud-mail-setup in Keychain Access, on the item's Access Control tab.";

pub(super) fn keychain_store_error(
    kind: KeychainError,
    reason: &str,
    unavailable_hint: &str,
) -> StoreError {
    match kind {
        KeychainError::NeedsDialog => StoreError::Locked {
            hint: KEYCHAIN_ALLOW_HINT.to_string(),
        },
        KeychainError::Denied => StoreError::Denied {
            hint: KEYCHAIN_DENIED_HINT.to_string(),
        },
        KeychainError::NoKeychain => StoreError::Unavailable {
            reason: super::said(reason),
            hint: unavailable_hint.to_string(),
        },
        KeychainError::NotFound | KeychainError::Other => StoreError::Other(super::said(reason)),
    }
}
