//! The keyring behind a small trait: the OS store in production, an
//! in-memory map in unit tests.
//!
//! Entries: service `icloud-mail-setup`, account = the lowercased address.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::sys::secret::Secret;

pub const SERVICE: &str = "icloud-mail-setup";

/// The keyring account that holds a new password while it is being saved
/// (see `storage`): `staging:EMAIL`, under the same service. It exists only
/// during a save, or after one was cut short until the next run.
pub fn staging_account(email: &str) -> String {
    format!("staging:{}", email.to_lowercase())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No store can be reached (no Secret Service on the bus, ...).
    #[error("no keyring is reachable: {}", crate::sys::text::escape_for_terminal(.reason))]
    Unavailable { reason: String, hint: String },
    /// The store is there but locked.
    #[error("the keyring is locked")]
    Locked { hint: String },
    /// The store refused this program the item (macOS: a Deny in the
    /// Keychain's dialog, or the wrong keychain password).
    #[error("the keyring refused access to the password")]
    Denied { hint: String },
    /// What was read back differs from what was written.
    #[error("the keyring returned something other than what was just stored")]
    Mismatch,
    #[error("keyring error: {}", crate::sys::text::escape_for_terminal(.0))]
    Other(String),
}

/// The most of a keyring's own words (a D-Bus error's message, a tool's
/// output) a message quotes.
pub const MAX_SAID: usize = 300;

/// What a keyring said, as a message may quote it: its first
/// [`MAX_SAID`] characters, every character a terminal would act on
/// escaped. A keyring is outside the program: a Secret Service can answer
/// with any text (the Display of [`StoreError`] escapes too, so a reason
/// made elsewhere cannot slip through).
pub fn said(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_SAID).collect();
    if text.chars().nth(MAX_SAID).is_some() {
        short.push('\u{2026}');
    }
    crate::sys::text::escape_for_terminal(&short).into_owned()
}

impl StoreError {
    /// What the user can do about it, one or two sentences.
    pub fn hint(&self) -> &str {
        match self {
            StoreError::Unavailable { hint, .. }
            | StoreError::Locked { hint }
            | StoreError::Denied { hint } => hint,
            StoreError::Mismatch => "Your keyring may be misbehaving; nothing was replaced.",
            StoreError::Other(_) => "",
        }
    }
}

/// How an unlock the person asked for ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock {
    /// The keyring is unlocked now.
    Unlocked,
    /// The person cancelled the keyring's prompt; it is still locked.
    Dismissed,
    /// No answer before the deadline, or the wizard stopped waiting: the
    /// prompt may still be on the desktop, and answering it later still
    /// unlocks the keyring.
    StoppedWaiting,
}

/// Blocking calls: run them off the UI thread (`spawn_blocking`).
pub trait SecretStore: Send + Sync + 'static {
    /// Human name of the store, e.g. "Secret Service (gnome-keyring)".
    fn name(&self) -> String;
    /// Reachable and unlocked?
    fn preflight(&self) -> Result<(), StoreError>;
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError>;
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError>;
    /// Deleting an absent entry is not an error.
    fn delete(&self, account: &str) -> Result<(), StoreError>;
    /// Whether an entry exists. Stores that can answer without reading the
    /// secret do (so `list` never makes a store that confirms reads ask).
    fn exists(&self, account: &str) -> Result<bool, StoreError> {
        self.get(account).map(|s| s.is_some())
    }
    /// The keyring `account` is kept in, to record in its config entry,
    /// where this store can tell (see `keyring_choice`).
    fn kind_for(&self, _account: &str) -> Option<crate::domain::keyring_choice::Kind> {
        None
    }
    /// The name of the store that keeps `account`.
    fn name_for(&self, _account: &str) -> String {
        self.name()
    }
    /// Ask the store to unlock its default keyring, which shows its own
    /// prompt on the desktop. Only the wizard calls this, when the person
    /// asks: nothing else ever prompts. Waits at most `deadline`, and
    /// stops waiting as soon as `stop` is set.
    fn unlock(&self, _deadline: Duration, _stop: Arc<AtomicBool>) -> Result<Unlock, StoreError> {
        Err(StoreError::Other(format!(
            "{} cannot be unlocked from here",
            self.name()
        )))
    }
}

/// The system keyring's name, and what to do when it cannot be reached
/// (on Linux: how to start and unlock a Secret Service).
pub const SYSTEM_NAME: &str = platform::NAME;
pub const SYSTEM_SETUP_HINT: &str = platform::UNAVAILABLE_HINT;
/// Whether the system keyring has an unlock prompt to raise on request
/// (the Secret Service does; the Keychain and Credential Manager ask on
/// their own).
pub const CAN_UNLOCK: bool = cfg!(all(
    unix,
    not(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "android"
    ))
));

/// Write, then read back and compare.
pub fn set_verified(
    store: &dyn SecretStore,
    account: &str,
    secret: &Secret,
) -> Result<(), StoreError> {
    store.set(account, secret)?;
    match store.get(account)? {
        Some(back) if back == *secret => Ok(()),
        _ => Err(StoreError::Mismatch),
    }
}

mod memory;
pub use memory::MemoryStore;

/// How long one keyring call may take before the program gives up on it.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

mod serial;
pub use serial::Serial;

/// The operating system's keyring (Secret Service / Keychain / Credential
/// Manager).
///
/// Every call runs on one long-lived thread (a [`Serial`]) that owns the
/// connection: one D-Bus connection per process on Linux, made on first
/// use and again only after it fails. The caller waits at most the
/// timeout, so a daemon that does not answer (or waits on an unlock prompt
/// nobody sees) cannot hang the program, and a late call never lands after
/// a later one.
///
/// A store made with [`KeyringStore::new`] never makes the system show a
/// dialog (macOS: Keychain user interaction is turned off around each
/// call, so a read that would ask fails with a hint instead): for what
/// runs unattended or for another program (the daily check, the git
/// helper, `list`, `password` for a mail client; see
/// `commands::may_show_dialogs`). The wizard's store, and a command a
/// person types at a terminal, ([`KeyringStore::interactive`]) let the
/// Keychain ask, and wait longer.
pub struct KeyringStore {
    worker: Serial<platform::Backend>,
    timeout: Duration,
    ui: bool,
}

/// How long the wizard waits on a keyring call where the system may be
/// showing a dialog (macOS "allow access").
pub const INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

impl KeyringStore {
    /// Does not touch the store yet: that happens on first use.
    pub fn new() -> Self {
        Self::with_timeout(KEYRING_TIMEOUT)
    }

    /// The same, with another bound on each call.
    pub fn with_timeout(timeout: Duration) -> Self {
        KeyringStore {
            worker: Serial::new("keyring", platform::Backend::new),
            timeout,
            ui: false,
        }
    }

    /// For the wizard, where a person is at the screen: the system may show
    /// its own dialog (only the macOS Keychain does), and a call may wait
    /// [`INTERACTIVE_TIMEOUT`] for the answer there.
    pub fn interactive() -> Self {
        let mut store = Self::with_timeout(if platform::MAY_ASK {
            INTERACTIVE_TIMEOUT
        } else {
            KEYRING_TIMEOUT
        });
        store.ui = true;
        store
    }

    fn call<T: Send + 'static>(
        &self,
        what: &str,
        account: &str,
        op: impl FnOnce(&mut platform::Backend) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let started = std::time::Instant::now();
        let ui = self.ui;
        let result = match self.worker.call(self.timeout, move |b| {
            b.allow_ui(ui);
            op(b)
        }) {
            Ok(result) => result,
            Err(None) => Err(timed_out(self.timeout, what)),
            Err(Some(e)) => Err(StoreError::Other(format!("keyring: {e} ({what})"))),
        };
        // The operation, the entry and the outcome; never a value.
        crate::log!(
            crate::sys::log::Component::Keyring,
            "{what} [{account}] in the {}: {} after {} ms",
            platform::NAME,
            match &result {
                Ok(_) => "done".to_string(),
                Err(e) => format!("failed: {e}"),
            },
            started.elapsed().as_millis()
        );
        result
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

fn timed_out(timeout: Duration, what: &str) -> StoreError {
    StoreError::Unavailable {
        reason: format!(
            "the {} did not answer within {} s ({what})",
            platform::NAME,
            timeout.as_secs_f64()
        ),
        hint: format!(
            "It may be waiting for an unlock prompt that cannot be shown here. {}",
            platform::UNAVAILABLE_HINT
        ),
    }
}

impl SecretStore for KeyringStore {
    fn name(&self) -> String {
        platform::NAME.to_string()
    }

    fn preflight(&self) -> Result<(), StoreError> {
        self.call("checking the keyring", "", |b| b.preflight())
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        let account = account.to_lowercase();
        let read = self.call("reading a password", &account.clone(), move |b| {
            b.get(&account)
        });
        // The debug log's filter learns a password the moment it is read,
        // before any server line of a check that uses it is logged (a
        // server could echo it in a greeting).
        if let Ok(Some(secret)) = &read {
            crate::sys::log::register_password(secret);
        }
        read
    }

    fn exists(&self, account: &str) -> Result<bool, StoreError> {
        let account = account.to_lowercase();
        self.call("looking for a password", &account.clone(), move |b| {
            b.exists(&account)
        })
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let account = account.to_lowercase();
        let secret = secret.clone();
        self.call("storing a password", &account.clone(), move |b| {
            b.set(&account, &secret)
        })
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_lowercase();
        self.call("deleting a password", &account.clone(), move |b| {
            b.delete(&account)
        })
    }

    /// The Secret Service's own prompt (the Keychain and the Credential
    /// Manager have no separate unlock: the default says so).
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn unlock(&self, deadline: Duration, stop: Arc<AtomicBool>) -> Result<Unlock, StoreError> {
        // The worker gives up on its own at the deadline; the caller waits
        // a little longer for that answer (and the usual bound for the
        // calls queued before it).
        let op = move |b: &mut platform::Backend| b.unlock(deadline, &stop);
        let started = std::time::Instant::now();
        let result = match self.worker.call(deadline + self.timeout, op) {
            Ok(result) => result,
            Err(None) => Ok(Unlock::StoppedWaiting),
            Err(Some(e)) => Err(StoreError::Other(format!("keyring: {e} (unlocking)"))),
        };
        crate::log!(
            crate::sys::log::Component::Keyring,
            "unlocking the {}: {result:?} after {} ms",
            platform::NAME,
            started.elapsed().as_millis()
        );
        result
    }
}

/// The system keyring here: see `secret_service.rs`.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
#[path = "secret_service.rs"]
mod platform;

/// The system keyring here: see `keychain.rs`.
#[cfg(target_os = "macos")]
#[path = "keychain.rs"]
mod platform;

#[cfg(any(test, target_os = "macos"))]
mod keychain_codes;
#[cfg(any(test, target_os = "macos"))]
use keychain_codes::*;

/// The system keyring here: see `credential_manager.rs`.
#[cfg(target_os = "windows")]
#[path = "credential_manager.rs"]
mod platform;

/// The system keyring here: see `unsupported.rs`.
#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
#[path = "unsupported.rs"]
mod platform;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_verified_reads_back() {
        let s = MemoryStore::new();
        let p = Secret::new("abcd-efgh-ijkl-mnop".into());
        set_verified(&s, "a@icloud.com", &p).unwrap();
        assert_eq!(s.get("a@icloud.com").unwrap(), Some(p));
        let f = MemoryStore::failing(StoreError::Unavailable {
            reason: "x".into(),
            hint: "y".into(),
        });
        assert!(set_verified(&f, "a@icloud.com", &Secret::new("z".into())).is_err());
    }

    #[test]
    fn serial_calls_give_up_in_time_and_never_overtake_a_late_one() {
        let worker: Serial<Vec<&'static str>> = Serial::new("test", Vec::new);
        let start = std::time::Instant::now();
        // A slow write whose caller gives up...
        let slow = worker.call(Duration::from_millis(100), |log| {
            std::thread::sleep(Duration::from_millis(600));
            log.push("write");
        });
        assert_eq!(slow, Err(None));
        assert!(start.elapsed() < Duration::from_millis(500));
        // ...still lands before the roll-back queued after it.
        worker
            .call(Duration::from_secs(5), |log| log.push("roll back"))
            .unwrap();
        let seen = worker
            .call(Duration::from_secs(5), |log| log.clone())
            .unwrap();
        assert_eq!(seen, ["write", "roll back"]);
    }

    #[test]
    fn a_panicking_call_fails_alone() {
        let worker: Serial<u32> = Serial::new("test", || 7);
        let r = worker.call(Duration::from_secs(5), |_| -> u32 {
            panic!("inside a library")
        });
        assert!(matches!(r, Err(Some(_))), "{r:?}");
        assert_eq!(worker.call(Duration::from_secs(5), |n| *n), Ok(7));
    }

    #[test]
    fn keychain_codes_keep_their_hints() {
        // errSecInteractionNotAllowed: the dialog that was not shown.
        let e = keychain_store_error(keychain_error(-25308), "x", "unavailable");
        let StoreError::Locked { hint } = &e else {
            panic!("{e:?}")
        };
        assert!(hint.contains("Always Allow"), "{hint}");
        assert!(hint.contains("icloud-mail-setup verify EMAIL"), "{hint}");
        // errSecAuthFailed and a Deny / Cancel in the dialog.
        for code in [-25293, -128] {
            let e = keychain_store_error(keychain_error(code), "x", "unavailable");
            assert!(
                matches!(&e, StoreError::Denied { hint } if hint.contains("Allow")),
                "{code}: {e:?}"
            );
            assert_eq!(e.to_string(), "the keyring refused access to the password");
        }
        // No keychain at all: unavailable, with the platform's hint.
        let e = keychain_store_error(keychain_error(-25294), "no such keychain", "open it");
        assert_eq!(
            e,
            StoreError::Unavailable {
                reason: "no such keychain".into(),
                hint: "open it".into()
            }
        );
        // Not found is an answer, not an error; anything else stays itself.
        assert_eq!(keychain_error(-25300), KeychainError::NotFound);
        assert_eq!(keychain_error(-25299), KeychainError::Other);
    }
}
