//! Windows: the `keyring` crate's Credential Manager store, which its CI
//! builds and tests. Only type-checked here, never run. The Credential
//! Manager never shows a dialog.

use super::{SERVICE, StoreError};
use crate::sys::secret::Secret;

pub const NAME: &str = "Windows Credential Manager";
pub const MAY_ASK: bool = false;
pub const UNAVAILABLE_HINT: &str = "The Windows Credential Manager could not be used. Run \
     this from your own interactive Windows session.";
const DENIED_HINT: &str = "The Windows Credential Manager refused access. Run this from \
     your own interactive Windows session.";

pub struct Backend;

impl Backend {
    pub fn new() -> Backend {
        Backend
    }

    pub fn allow_ui(&mut self, _allowed: bool) {}

    /// Creating the store is what can fail here.
    pub fn preflight(&mut self) -> Result<(), StoreError> {
        match ::keyring::Entry::store_status() {
            Ok(()) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn get(&mut self, account: &str) -> Result<Option<Secret>, StoreError> {
        match entry(account)?.get_password() {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(::keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(&e)),
        }
    }

    pub fn exists(&mut self, account: &str) -> Result<bool, StoreError> {
        self.get(account).map(|s| s.is_some())
    }

    pub fn set(&mut self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        entry(account)?
            .set_password(secret.expose())
            .map_err(|e| classify(&e))
    }

    pub fn delete(&mut self, account: &str) -> Result<(), StoreError> {
        match entry(account)?.delete_credential() {
            Ok(()) | Err(::keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }
}

fn entry(account: &str) -> Result<::keyring::Entry, StoreError> {
    ::keyring::Entry::new(SERVICE, account).map_err(|e| unavailable(&e))
}

fn unavailable(e: &::keyring::Error) -> StoreError {
    StoreError::Unavailable {
        reason: super::said(&describe(e)),
        hint: UNAVAILABLE_HINT.to_string(),
    }
}

fn classify(e: &::keyring::Error) -> StoreError {
    match e {
        ::keyring::Error::NoStorageAccess(_) => StoreError::Denied {
            hint: DENIED_HINT.to_string(),
        },
        ::keyring::Error::NoDefaultStore => unavailable(e),
        _ => StoreError::Other(super::said(&describe(e))),
    }
}

/// A keyring error as a sentence that never contains secret bytes
/// (`BadEncoding` and `BadDataFormat` carry them: never print those).
fn describe(e: &::keyring::Error) -> String {
    use ::keyring::Error as E;
    match e {
        E::PlatformFailure(inner) | E::NoStorageAccess(inner) => inner.to_string(),
        E::BadEncoding(_) => "the stored password is not valid text".into(),
        E::BadDataFormat(..) => "the stored data is malformed".into(),
        E::Ambiguous(entries) => format!(
            "{} keyring entries match this account; remove the extra ones",
            entries.len()
        ),
        other => other.to_string(),
    }
}
