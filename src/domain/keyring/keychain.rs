//! macOS: the login keychain, through `security-framework` (the crate
//! `keyring`'s own Apple store is built on), with items laid out as that
//! store lays them out: generic passwords, service `icloud-mail-setup`,
//! account the address. Only type-checked here (scripts/check-platforms),
//! never run.
//!
//! Spoken to directly rather than through `keyring` because a Keychain
//! item's access list names the binary that created it: after a rebuild
//! or an upgrade, a read makes macOS show "… wants to use your confidential
//! information". So:
//! - unless the store is interactive (the wizard), user interaction is
//!   turned off around each call, and a read that would ask fails at once
//!   with errSecInteractionNotAllowed, reported with a hint
//!   ([`keychain_error`]);
//! - `exists` and the pre-flight search attributes only, never the secret,
//!   so they never need the access list's consent;
//! - `set` updates the item it finds, adds one only when the search says
//!   there is none (never "already exists" after a failed lookup).

use security_framework::item::{ItemClass, ItemSearchOptions, Reference, SearchResult};
use security_framework::os::macos::keychain::{KeychainUserInteractionLock, SecKeychain};
use security_framework::os::macos::passwords::find_generic_password;

use super::{KeychainError, SERVICE, StoreError, keychain_error};
use crate::sys::secret::Secret;

pub const NAME: &str = "macOS Keychain";

/// The Keychain's "allow access" and unlock dialogs.
pub const MAY_ASK: bool = true;

pub const UNAVAILABLE_HINT: &str = "The login keychain could not be used. Open Keychain \
     Access and check that the login keychain exists and is unlocked; over SSH run \
     `security unlock-keychain` first.";

pub struct Backend {
    ui_allowed: bool,
}

impl Backend {
    pub fn new() -> Backend {
        Backend { ui_allowed: false }
    }

    pub fn allow_ui(&mut self, allowed: bool) {
        self.ui_allowed = allowed;
    }

    /// No dialog for the length of one call, unless allowed.
    fn quiet(&self) -> Result<Option<KeychainUserInteractionLock>, StoreError> {
        if self.ui_allowed {
            return Ok(None);
        }
        SecKeychain::disable_user_interaction()
            .map(Some)
            .map_err(|e| mapped(e.code(), KeychainError::Other))
    }

    /// A search for our items, attributes only, with no dialog ever
    /// (even in the wizard): on a locked keychain it fails with
    /// errSecInteractionNotAllowed instead of asking to unlock.
    pub fn preflight(&mut self) -> Result<(), StoreError> {
        let _quiet = SecKeychain::disable_user_interaction()
            .map_err(|e| mapped(e.code(), KeychainError::Other))?;
        let keychain = login_keychain()?;
        match search(&keychain, None).load_attributes(true).search() {
            Ok(_) => Ok(()),
            Err(e) => match keychain_error(e.code()) {
                KeychainError::NotFound => Ok(()),
                kind => Err(mapped(e.code(), kind)),
            },
        }
    }

    pub fn get(&mut self, account: &str) -> Result<Option<Secret>, StoreError> {
        let _quiet = self.quiet()?;
        let keychain = login_keychain()?;
        match find_generic_password(Some(&[keychain]), SERVICE, account) {
            Ok((bytes, _item)) => match std::str::from_utf8(&bytes) {
                Ok(text) => Ok(Some(Secret::new(text.to_string()))),
                Err(_) => Err(StoreError::Other(
                    "the stored password is not valid text".into(),
                )),
            },
            Err(e) => match keychain_error(e.code()) {
                KeychainError::NotFound => Ok(None),
                kind => Err(mapped(e.code(), kind)),
            },
        }
    }

    /// Attributes only: the secret is never read, so no dialog is
    /// needed whoever created the item.
    pub fn exists(&mut self, account: &str) -> Result<bool, StoreError> {
        let _quiet = self.quiet()?;
        let keychain = login_keychain()?;
        match search(&keychain, Some(account))
            .load_attributes(true)
            .search()
        {
            Ok(found) => Ok(!found.is_empty()),
            Err(e) => match keychain_error(e.code()) {
                KeychainError::NotFound => Ok(false),
                kind => Err(mapped(e.code(), kind)),
            },
        }
    }

    pub fn set(&mut self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let _quiet = self.quiet()?;
        let keychain = login_keychain()?;
        let bytes = secret.expose().as_bytes();
        let found = match search(&keychain, Some(account)).load_refs(true).search() {
            Ok(found) => found,
            Err(e) => match keychain_error(e.code()) {
                KeychainError::NotFound => Vec::new(),
                kind => return Err(mapped(e.code(), kind)),
            },
        };
        let mut item = found.into_iter().find_map(|r| match r {
            SearchResult::Ref(Reference::KeychainItem(item)) => Some(item),
            _ => None,
        });
        match item.as_mut() {
            Some(item) => item.set_password(bytes),
            None => keychain.add_generic_password(SERVICE, account, bytes),
        }
        .map_err(|e| {
            let kind = keychain_error(e.code());
            mapped(e.code(), kind)
        })
    }

    pub fn delete(&mut self, account: &str) -> Result<(), StoreError> {
        let _quiet = self.quiet()?;
        let keychain = login_keychain()?;
        match search(&keychain, Some(account)).delete() {
            Ok(()) => Ok(()),
            Err(e) => match keychain_error(e.code()) {
                KeychainError::NotFound => Ok(()),
                kind => Err(mapped(e.code(), kind)),
            },
        }
    }
}

fn login_keychain() -> Result<SecKeychain, StoreError> {
    SecKeychain::default().map_err(|e| StoreError::Unavailable {
        reason: format!("no default keychain: {e}"),
        hint: UNAVAILABLE_HINT.to_string(),
    })
}

/// Our generic passwords in the login keychain (one account's, or all).
fn search(keychain: &SecKeychain, account: Option<&str>) -> ItemSearchOptions {
    let mut options = ItemSearchOptions::new();
    options
        .keychains(std::slice::from_ref(keychain))
        .class(ItemClass::generic_password())
        .service(SERVICE)
        .limit(1);
    if let Some(account) = account {
        options.account(account);
    }
    options
}

fn mapped(code: i32, kind: KeychainError) -> StoreError {
    let reason = security_framework::base::Error::from_code(code).to_string();
    super::keychain_store_error(kind, &reason, UNAVAILABLE_HINT)
}
