//! The keyring behind a small trait: the OS store in production, an
//! in-memory map in unit tests.
//!
//! Entries: service `icloud-mail-setup`, account = the lowercased address.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use crate::secret::Secret;

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
    #[error("no keyring is reachable: {reason}")]
    Unavailable { reason: String, hint: String },
    /// The store is there but locked.
    #[error("the keyring is locked")]
    Locked { hint: String },
    /// What was read back differs from what was written.
    #[error("the keyring returned something other than what was just stored")]
    Mismatch,
    #[error("keyring error: {0}")]
    Other(String),
}

impl StoreError {
    /// What the user can do about it, one or two sentences.
    pub fn hint(&self) -> &str {
        match self {
            StoreError::Unavailable { hint, .. } | StoreError::Locked { hint } => hint,
            StoreError::Mismatch => "Your keyring may be misbehaving; nothing was replaced.",
            StoreError::Other(_) => "",
        }
    }
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
}

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

/// An in-memory store for tests and the whole-loop test.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Secret>>,
    unavailable: Option<StoreError>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that fails every call with `err` (pre-flight included).
    pub fn failing(err: StoreError) -> Self {
        MemoryStore {
            entries: Mutex::default(),
            unavailable: Some(err),
        }
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Secret>>, StoreError> {
        if let Some(e) = &self.unavailable {
            return Err(e.clone());
        }
        self.entries
            .lock()
            .map_err(|_| StoreError::Other("memory store poisoned".into()))
    }
}

impl SecretStore for MemoryStore {
    fn name(&self) -> String {
        "in-memory store".into()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        self.check().map(|_| ())
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.check()?.get(account).cloned())
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.check()?.insert(account.to_string(), secret.clone());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.check()?.remove(account);
        Ok(())
    }
}

/// How long one keyring call may take before the program gives up on it.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// The lazily created store of the platform, shared with the call threads.
type Slot = Arc<Mutex<Option<Arc<CredentialStore>>>>;

/// The operating system's keyring (Secret Service / Keychain / Credential
/// Manager), through keyring-core and an explicitly chosen store.
///
/// The store is connected on first use and kept; a failure to connect is
/// reported and tried again on the next call, never cached. Every call runs
/// on its own thread and is abandoned after [`KEYRING_TIMEOUT`], so a
/// daemon that does not answer (or waits on an unlock prompt nobody sees)
/// cannot hang the program.
pub struct KeyringStore {
    slot: Slot,
    timeout: Duration,
}

impl KeyringStore {
    /// Does not touch the store yet: that happens on first use.
    pub fn new() -> Self {
        Self::with_timeout(KEYRING_TIMEOUT)
    }

    /// The same, with another bound on each call.
    pub fn with_timeout(timeout: Duration) -> Self {
        KeyringStore {
            slot: Arc::new(Mutex::new(None)),
            timeout,
        }
    }

    /// Run `op` on the entry of `account` (lowercased), on a thread, bounded.
    fn with_entry<T: Send + 'static>(
        &self,
        what: &'static str,
        account: &str,
        op: impl FnOnce(&Entry) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let slot = self.slot.clone();
        let account = account.to_lowercase();
        run_bounded(self.timeout, what, move || {
            // Refuse a locked keyring up front: touching its items would
            // ask for an unlock prompt, which may never be answered.
            platform::preflight()?;
            let store = connect(&slot)?;
            let entry = platform::build(&store, &account).map_err(classify)?;
            op(&entry)
        })
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

/// The store of this platform: the cached one, or a new connection.
fn connect(slot: &Slot) -> Result<Arc<CredentialStore>, StoreError> {
    let mut guard = slot
        .lock()
        .map_err(|_| StoreError::Other("the keyring connection is unusable (poisoned)".into()))?;
    if let Some(store) = guard.as_ref() {
        return Ok(store.clone());
    }
    let store = platform::new_store().map_err(|e| StoreError::Unavailable {
        reason: format!(
            "could not connect to the {}: {}",
            platform::NAME,
            describe(&e)
        ),
        hint: platform::UNAVAILABLE_HINT.to_string(),
    })?;
    *guard = Some(store.clone());
    Ok(store)
}

/// Run `f` on its own thread and wait at most `timeout` for its answer.
/// On timeout the thread is left to finish (or not) on its own.
pub fn run_bounded<T: Send + 'static>(
    timeout: Duration,
    what: &str,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| StoreError::Other(format!("could not start a thread for the keyring: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(StoreError::Unavailable {
            reason: format!(
                "the {} did not answer within {} s ({what})",
                platform::NAME,
                timeout.as_secs_f64()
            ),
            hint: format!(
                "It may be waiting for an unlock prompt that cannot be shown here. {}",
                platform::UNAVAILABLE_HINT
            ),
        }),
        Err(RecvTimeoutError::Disconnected) => Err(StoreError::Other(format!(
            "the keyring call failed unexpectedly ({what})"
        ))),
    }
}

/// A keyring-core error as a sentence that never contains secret bytes
/// (`BadEncoding` and `BadDataFormat` carry them: never print those).
fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
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

fn classify(e: keyring_core::Error) -> StoreError {
    use keyring_core::Error as E;
    match &e {
        E::PlatformFailure(inner) => platform::classify(inner.as_ref(), false)
            .unwrap_or_else(|| StoreError::Other(describe(&e))),
        E::NoStorageAccess(inner) => {
            platform::classify(inner.as_ref(), true).unwrap_or_else(|| StoreError::Locked {
                hint: platform::LOCKED_HINT.to_string(),
            })
        }
        _ => StoreError::Other(describe(&e)),
    }
}

impl SecretStore for KeyringStore {
    fn name(&self) -> String {
        platform::NAME.to_string()
    }

    fn preflight(&self) -> Result<(), StoreError> {
        run_bounded(self.timeout, "checking the keyring", platform::preflight)
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.with_entry("reading a password", account, |entry| {
            match entry.get_password() {
                Ok(p) => Ok(Some(Secret::new(p))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(classify(e)),
            }
        })
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let secret = secret.clone();
        self.with_entry("storing a password", account, move |entry| {
            entry.set_password(secret.expose()).map_err(classify)
        })
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.with_entry("deleting a password", account, |entry| {
            match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// Linux and the BSDs: the Secret Service over D-Bus (gnome-keyring,
/// KeePassXC, KWallet's bridge).
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod platform {
    use std::collections::HashMap;
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry};
    use secret_service::EncryptionType;
    use secret_service::blocking::SecretService;

    use super::{SERVICE, StoreError};

    pub const NAME: &str = "Secret Service";

    pub const UNAVAILABLE_HINT: &str = "Start or unlock gnome-keyring or KeePassXC's Secret \
        Service integration, or run inside a desktop session. Over SSH: start a session bus \
        with `dbus-run-session -- $SHELL` and unlock a keyring, e.g. \
        `echo -n PW | gnome-keyring-daemon --unlock`.";

    pub const LOCKED_HINT: &str = "Unlock your keyring (log in to the desktop session, or open \
        \"Passwords and Keys\"; over SSH: `echo -n PW | gnome-keyring-daemon --unlock`), then \
        run this again.";

    const NO_COLLECTION_HINT: &str = "The Secret Service has no default keyring. Create one \
        (in \"Passwords and Keys\", or with gnome-keyring over SSH: \
        `echo -n PW | gnome-keyring-daemon --unlock` creates and unlocks the login keyring), \
        or set a default collection in KeePassXC, then run this again.";

    pub fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
        Ok(store)
    }

    pub fn build(store: &Arc<CredentialStore>, account: &str) -> keyring_core::Result<Entry> {
        let label = format!("{SERVICE}: {account}");
        let mods = HashMap::from([("label", label.as_str())]);
        store.build(SERVICE, account, Some(&mods))
    }

    /// Connect, find the default collection, and ask whether it is locked.
    /// Never unlocks, so never prompts.
    pub fn preflight() -> Result<(), StoreError> {
        let ss =
            SecretService::connect(EncryptionType::Dh).map_err(|e| StoreError::Unavailable {
                reason: format!("could not connect to the Secret Service: {e}"),
                hint: UNAVAILABLE_HINT.to_string(),
            })?;
        let collection = match ss.get_default_collection() {
            Ok(c) => c,
            Err(secret_service::Error::NoResult) => return Err(no_collection()),
            Err(e) => return Err(from_ss(&e, false)),
        };
        match collection.is_locked() {
            Ok(false) => Ok(()),
            Ok(true) => Err(StoreError::Locked {
                hint: LOCKED_HINT.to_string(),
            }),
            Err(e) => Err(from_ss(&e, false)),
        }
    }

    fn no_collection() -> StoreError {
        StoreError::Unavailable {
            reason: "the Secret Service has no default keyring to store passwords in".into(),
            hint: NO_COLLECTION_HINT.to_string(),
        }
    }

    fn from_ss(e: &secret_service::Error, no_access: bool) -> StoreError {
        use secret_service::Error as S;
        match e {
            S::Locked | S::Prompt | S::PromptDisconnected => StoreError::Locked {
                hint: LOCKED_HINT.to_string(),
            },
            S::NoResult if no_access => no_collection(),
            S::Unavailable => StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            },
            S::Zbus(_) | S::ZbusFdo(_) if looks_gone(&e.to_string()) => StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            },
            _ => StoreError::Other(e.to_string()),
        }
    }

    /// D-Bus errors that mean nobody (or nobody working) is there.
    fn looks_gone(text: &str) -> bool {
        [
            "ServiceUnknown",
            "NameHasNoOwner",
            "NoReply",
            "Disconnected",
            "I/O error",
            "InputOutput",
            "Connection refused",
            "No such file",
            "Broken pipe",
        ]
        .iter()
        .any(|needle| text.contains(needle))
    }

    /// The store's errors wrap secret-service errors: look inside.
    pub fn classify(
        inner: &(dyn std::error::Error + Send + Sync + 'static),
        no_access: bool,
    ) -> Option<StoreError> {
        inner
            .downcast_ref::<secret_service::Error>()
            .map(|e| from_ss(e, no_access))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry};

    use super::{SERVICE, StoreError};

    pub const NAME: &str = "macOS Keychain";
    pub const UNAVAILABLE_HINT: &str = "The login keychain could not be used. Open Keychain \
        Access and check that the login keychain exists and is unlocked; over SSH run \
        `security unlock-keychain` first.";
    pub const LOCKED_HINT: &str = "Unlock the login keychain (Keychain Access, or over SSH \
        `security unlock-keychain`), then run this again.";

    pub fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
        Ok(store)
    }

    pub fn build(store: &Arc<CredentialStore>, account: &str) -> keyring_core::Result<Entry> {
        store.build(SERVICE, account, None)
    }

    pub fn preflight() -> Result<(), StoreError> {
        // Creating the store is what can fail here; the Keychain has no
        // separate "locked?" question that does not risk a prompt.
        new_store()
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            })
    }

    pub fn classify(
        _inner: &(dyn std::error::Error + Send + Sync + 'static),
        _no_access: bool,
    ) -> Option<StoreError> {
        None
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry};

    use super::{SERVICE, StoreError};

    pub const NAME: &str = "Windows Credential Manager";
    pub const UNAVAILABLE_HINT: &str = "The Windows Credential Manager could not be used. \
        Run this from your own interactive Windows session.";
    pub const LOCKED_HINT: &str = "The Windows Credential Manager refused access. Run this \
        from your own interactive Windows session.";

    pub fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
        Ok(store)
    }

    pub fn build(store: &Arc<CredentialStore>, account: &str) -> keyring_core::Result<Entry> {
        store.build(SERVICE, account, None)
    }

    pub fn preflight() -> Result<(), StoreError> {
        new_store()
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            })
    }

    pub fn classify(
        _inner: &(dyn std::error::Error + Send + Sync + 'static),
        _no_access: bool,
    ) -> Option<StoreError> {
        None
    }
}

/// Anything else: no keyring support.
#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
mod platform {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Entry};

    use super::StoreError;

    pub const NAME: &str = "system keyring";
    pub const UNAVAILABLE_HINT: &str = "This platform has no supported keyring.";
    pub const LOCKED_HINT: &str = UNAVAILABLE_HINT;

    pub fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
        Err(keyring_core::Error::NotSupportedByStore(
            "no keyring on this platform".into(),
        ))
    }

    pub fn build(_store: &Arc<CredentialStore>, _account: &str) -> keyring_core::Result<Entry> {
        Err(keyring_core::Error::NoDefaultStore)
    }

    pub fn preflight() -> Result<(), StoreError> {
        Err(StoreError::Unavailable {
            reason: "no keyring on this platform".into(),
            hint: UNAVAILABLE_HINT.to_string(),
        })
    }

    pub fn classify(
        _inner: &(dyn std::error::Error + Send + Sync + 'static),
        _no_access: bool,
    ) -> Option<StoreError> {
        None
    }
}

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
    fn bounded_calls_give_up_in_time() {
        let start = std::time::Instant::now();
        let r: Result<(), StoreError> = run_bounded(Duration::from_millis(100), "test", || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(r, Err(StoreError::Unavailable { .. })), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(run_bounded(Duration::from_secs(5), "test", || Ok(7)), Ok(7));
    }

    #[test]
    fn errors_never_show_secret_bytes() {
        let e = keyring_core::Error::BadEncoding(b"abcd-efgh-ijkl-mnop".to_vec());
        let shown = format!("{:?}", classify(e));
        assert!(!shown.contains("abcd") && !shown.contains("97"), "{shown}");
    }
}
