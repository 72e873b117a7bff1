//! Anything else: no keyring support.

use super::StoreError;
use crate::sys::secret::Secret;

pub const NAME: &str = "system keyring";
pub const MAY_ASK: bool = false;
pub const UNAVAILABLE_HINT: &str = "This platform has no supported keyring.";

pub struct Backend;

fn none() -> StoreError {
    StoreError::Unavailable {
        reason: "no keyring on this platform".into(),
        hint: UNAVAILABLE_HINT.to_string(),
    }
}

impl Backend {
    pub fn new() -> Backend {
        Backend
    }
    pub fn allow_ui(&mut self, _allowed: bool) {}
    pub fn preflight(&mut self) -> Result<(), StoreError> {
        Err(none())
    }
    pub fn get(&mut self, _account: &str) -> Result<Option<Secret>, StoreError> {
        Err(none())
    }
    pub fn exists(&mut self, _account: &str) -> Result<bool, StoreError> {
        Err(none())
    }
    pub fn set(&mut self, _account: &str, _secret: &Secret) -> Result<(), StoreError> {
        Err(none())
    }
    pub fn delete(&mut self, _account: &str) -> Result<(), StoreError> {
        Err(none())
    }
}
