//! The keyring behind a small trait: the OS store in production, an
//! in-memory map in unit tests.
//!
//! Entries: service `icloud-mail-setup`, account = the lowercased address.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// The store refused this program the item (macOS: a Deny in the
    /// Keychain's dialog, or the wrong keychain password).
    #[error("the keyring refused access to the password")]
    Denied { hint: String },
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
    fn kind_for(&self, _account: &str) -> Option<crate::keyring_choice::Kind> {
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

/// A thread that owns some state (the keyring connection) and runs the
/// calls given to it one after another, each caller waiting a bounded time.
///
/// Because calls run in order, a call that timed out and lands late still
/// lands *before* any later call: a roll-back can never be overtaken by the
/// write it undoes.
pub struct Serial<B: 'static> {
    name: &'static str,
    make: fn() -> B,
    tx: Mutex<Option<mpsc::Sender<Job<B>>>>,
}

type Job<B> = Box<dyn FnOnce(&mut B) + Send>;

impl<B: 'static> Serial<B> {
    /// The thread starts on the first call, with the state `make()` gives.
    pub fn new(name: &'static str, make: fn() -> B) -> Self {
        Serial {
            name,
            make,
            tx: Mutex::new(None),
        }
    }

    /// Run `op` after every call queued before it; wait at most `timeout`.
    /// On timeout, `Err(None)`; the call still runs, later.
    pub fn call<T: Send + 'static>(
        &self,
        timeout: Duration,
        op: impl FnOnce(&mut B) -> T + Send + 'static,
    ) -> Result<T, Option<String>> {
        let (tx, rx) = mpsc::channel();
        self.submit(Box::new(move |state| {
            let _ = tx.send(op(state));
        }))
        .map_err(Some)?;
        match rx.recv_timeout(timeout) {
            Ok(result) => Ok(result),
            Err(RecvTimeoutError::Timeout) => Err(None),
            Err(RecvTimeoutError::Disconnected) => Err(Some("the call failed unexpectedly".into())),
        }
    }

    /// Queue `job`, starting the thread if needed (or again, if it is gone).
    fn submit(&self, job: Job<B>) -> Result<(), String> {
        let mut slot = self
            .tx
            .lock()
            .map_err(|_| "the worker thread is unusable (poisoned)".to_string())?;
        let job = match slot.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel::<Job<B>>();
        let make = self.make;
        std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let mut state = make();
                for job in rx {
                    // A panic inside a library fails that call (its caller
                    // sees the channel close), not the thread.
                    let done =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut state)));
                    if done.is_err() {
                        state = make();
                    }
                }
            })
            .map_err(|e| format!("could not start a thread: {e}"))?;
        tx.send(job)
            .map_err(|_| "the worker thread stopped at once".to_string())?;
        *slot = Some(tx);
        Ok(())
    }
}

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
            crate::log::Component::Keyring,
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
            crate::log::register_password(secret);
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
            crate::log::Component::Keyring,
            "unlocking the {}: {result:?} after {} ms",
            platform::NAME,
            started.elapsed().as_millis()
        );
        result
    }
}

/// Linux and the BSDs: the Secret Service over D-Bus (gnome-keyring,
/// KeePassXC, KWallet's bridge), through the `secret-service` crate (the
/// one `keyring`'s own Linux store is built on), with items laid out as
/// that store lays them out: attributes `service` and `username`, in the
/// default collection.
///
/// Spoken to directly rather than through `keyring`, for two reasons: its
/// store opens a D-Bus connection that cannot be shared with our no-prompt
/// checks, and it unlocks locked items it finds, which shows an unlock
/// prompt (or, over SSH, waits forever on one nobody sees). Here nothing is
/// ever unlocked: a locked item or collection is reported as locked.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod platform {
    use std::collections::HashMap;

    use secret_service::EncryptionType;
    use secret_service::blocking::{Item, SecretService};
    use zeroize::Zeroize;

    use super::{SERVICE, StoreError};
    use crate::secret::Secret;

    pub const NAME: &str = "Secret Service";

    /// Nothing here ever shows a prompt: locked is reported as locked.
    pub const MAY_ASK: bool = false;

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

    /// How `secret-tool` and `keyring` store a text secret.
    const CONTENT_TYPE: &str = "text/plain";

    /// What a call sends or receives over the bus.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Carries {
        /// Names and states only (search, lock state, delete).
        NoSecret,
        /// A password (`GetSecret`, `CreateItem`, `SetSecret`).
        Secret,
    }

    /// The connection of this process, made on first use, and the
    /// Secret Service session on it.
    ///
    /// A password crosses the bus only inside a Diffie-Hellman session
    /// (`dh-ietf1024-sha256-aes128-cbc-pkcs7`, as `secret-tool` does): the
    /// bus daemon, a `dbus-monitor` or a capture sees ciphertext. Opening
    /// that session costs two 1024-bit modular exponentiations on each side
    /// (most of a `password` run), so a process that only asks names and
    /// states (`list`, the wizard's pre-flight) opens a `plain` session,
    /// over which no secret is ever sent; the first call that carries one
    /// opens an encrypted session on the same connection and uses it from
    /// then on.
    pub struct Backend {
        conn: Option<zbus::blocking::Connection>,
        ss: Option<(SecretService<'static>, Carries)>,
    }

    impl Backend {
        pub fn new() -> Backend {
            Backend {
                conn: None,
                ss: None,
            }
        }

        pub fn allow_ui(&mut self, _allowed: bool) {}

        pub fn preflight(&mut self) -> Result<(), StoreError> {
            self.with(Carries::NoSecret, |ss| default_unlocked(ss))
        }

        pub fn get(&mut self, account: &str) -> Result<Option<Secret>, StoreError> {
            self.with(Carries::Secret, |ss| match find(ss, account)? {
                Some(item) => {
                    let mut bytes = item.get_secret().map_err(|e| from_ss(&e, false))?;
                    match String::from_utf8(bytes) {
                        Ok(text) => Ok(Some(Secret::new(text))),
                        Err(e) => {
                            bytes = e.into_bytes();
                            bytes.zeroize();
                            Err(StoreError::Other(
                                "the stored password is not valid text".into(),
                            ))
                        }
                    }
                }
                // Not found in an unlocked keyring means not stored; in a
                // locked one it means we cannot tell.
                None => default_unlocked(ss).map(|()| None),
            })
        }

        /// Existence only: the secret is never fetched, so a store that
        /// confirms each read (KeePassXC) does not ask.
        pub fn exists(&mut self, account: &str) -> Result<bool, StoreError> {
            self.with(Carries::NoSecret, |ss| {
                let found = ss
                    .search_items(attributes(account))
                    .map_err(|e| from_ss(&e, false))?;
                Ok(!(found.unlocked.is_empty() && found.locked.is_empty()))
            })
        }

        pub fn set(&mut self, account: &str, secret: &Secret) -> Result<(), StoreError> {
            self.with(Carries::Secret, |ss| {
                let bytes = secret.expose().as_bytes();
                if let Some(item) = find(ss, account)? {
                    return item
                        .set_secret(bytes, CONTENT_TYPE)
                        .map_err(|e| from_ss(&e, false));
                }
                let collection = default_collection(ss)?;
                if collection.is_locked().map_err(|e| from_ss(&e, false))? {
                    return Err(locked());
                }
                let label = format!("{SERVICE}: {account}");
                collection
                    .create_item(&label, attributes(account), bytes, true, CONTENT_TYPE)
                    .map(|_| ())
                    .map_err(|e| from_ss(&e, true))
            })
        }

        /// Every matching item goes (they are all ours); none is fine.
        pub fn delete(&mut self, account: &str) -> Result<(), StoreError> {
            self.with(Carries::NoSecret, |ss| {
                let found = ss
                    .search_items(attributes(account))
                    .map_err(|e| from_ss(&e, false))?;
                if !found.locked.is_empty() {
                    return Err(locked());
                }
                if found.unlocked.is_empty() {
                    return default_unlocked(ss);
                }
                for item in &found.unlocked {
                    item.delete().map_err(|e| from_ss(&e, false))?;
                }
                Ok(())
            })
        }

        /// Unlock the default collection through the Secret Service's own
        /// prompt (`Unlock`, then `Prompt.Prompt`), waiting for its
        /// `Completed` at most `deadline`, or until `stop` is set.
        ///
        /// Giving up does not call `Prompt.Dismiss`: gnome-keyring 42
        /// aborts on a Dismiss while its prompt is showing
        /// (`perform_next_unlock: assertion failed: (!self->current)`),
        /// which would take the person's keyring daemon down. The prompt
        /// stays on the desktop instead, and answering it later unlocks
        /// the keyring as asked. The outcome is read back from the
        /// collection, not taken from the prompt's word.
        pub fn unlock(
            &mut self,
            deadline: std::time::Duration,
            stop: &std::sync::atomic::AtomicBool,
        ) -> Result<super::Unlock, StoreError> {
            use std::sync::atomic::Ordering;
            use zbus::zvariant::OwnedObjectPath;

            const DEST: &str = "org.freedesktop.secrets";
            const PROMPT: &str = "org.freedesktop.Secret.Prompt";
            let started = std::time::Instant::now();
            let collection = self.with(Carries::NoSecret, |ss| {
                Ok(default_collection(ss)?.collection_path.clone())
            })?;
            let conn = self
                .conn
                .clone()
                .ok_or_else(|| StoreError::Other("no connection".into()))?;
            let bus = |e: zbus::Error| from_ss(&secret_service::Error::Zbus(e), false);
            let service = zbus::blocking::Proxy::new(
                &conn,
                DEST,
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service",
            )
            .map_err(bus)?;
            let (_, prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) = service
                .call("Unlock", &(vec![collection.clone()],))
                .map_err(bus)?;
            if prompt.as_str() != "/" {
                let proxy =
                    zbus::blocking::Proxy::new(&conn, DEST, prompt.clone(), PROMPT).map_err(bus)?;
                // Listen before showing it, so the answer cannot be missed.
                let mut completed = proxy.receive_signal("Completed").map_err(bus)?;
                proxy.call::<_, _, ()>("Prompt", &("",)).map_err(bus)?;
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::Builder::new()
                    .name("keyring-prompt".into())
                    .spawn(move || {
                        let dismissed = completed.next().and_then(|m| {
                            m.body()
                                .deserialize::<(bool, zbus::zvariant::OwnedValue)>()
                                .ok()
                                .map(|(d, _)| d)
                        });
                        let _ = tx.send(dismissed);
                    })
                    .map_err(|e| StoreError::Other(format!("could not start a thread: {e}")))?;
                let step = std::time::Duration::from_millis(50);
                loop {
                    match rx.recv_timeout(step) {
                        Ok(_) => break,
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    }
                    if stop.load(Ordering::SeqCst) || started.elapsed() >= deadline {
                        return Ok(super::Unlock::StoppedWaiting);
                    }
                }
            }
            let coll = zbus::blocking::Proxy::new(
                &conn,
                DEST,
                collection,
                "org.freedesktop.Secret.Collection",
            )
            .map_err(bus)?;
            match coll.get_property::<bool>("Locked").map_err(bus)? {
                false => Ok(super::Unlock::Unlocked),
                true => Ok(super::Unlock::Dismissed),
            }
        }

        /// Run `f` on the connection, connecting first if needed, in an
        /// encrypted session if `f` carries a secret. A connection that
        /// reports the service gone is dropped, so the next call connects
        /// again.
        fn with<T>(
            &mut self,
            carries: Carries,
            f: impl FnOnce(&SecretService<'static>) -> Result<T, StoreError>,
        ) -> Result<T, StoreError> {
            if carries == Carries::Secret && matches!(self.ss, Some((_, Carries::NoSecret))) {
                self.ss = None;
            }
            if self.ss.is_none() {
                let opened = self.open(carries);
                if opened.is_err() {
                    self.conn = None;
                }
                self.ss = Some((opened?, carries));
            }
            let (ss, _) = self.ss.as_ref().expect("connected just above");
            let result = f(ss);
            if matches!(result, Err(StoreError::Unavailable { .. })) {
                self.ss = None;
                self.conn = None;
            }
            result
        }

        /// A session of the kind `carries` needs, on this process's
        /// connection (made now if there is none).
        fn open(&mut self, carries: Carries) -> Result<SecretService<'static>, StoreError> {
            let unavailable = |e: secret_service::Error| StoreError::Unavailable {
                reason: format!("could not connect to the Secret Service: {e}"),
                hint: UNAVAILABLE_HINT.to_string(),
            };
            let conn = match &self.conn {
                Some(c) => c.clone(),
                None => {
                    let c = zbus::blocking::Connection::session().map_err(|e| {
                        unavailable(match e {
                            // As secret-service itself says it.
                            zbus::Error::InterfaceNotFound | zbus::Error::Address(_) => {
                                secret_service::Error::Unavailable
                            }
                            e => secret_service::Error::Zbus(e),
                        })
                    })?;
                    self.conn = Some(c.clone());
                    c
                }
            };
            let session = match carries {
                Carries::Secret => EncryptionType::Dh,
                Carries::NoSecret => EncryptionType::Plain,
            };
            SecretService::connect_with_existing(session, conn).map_err(unavailable)
        }
    }

    fn attributes(account: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", SERVICE), ("username", account)])
    }

    /// The one unlocked item for `account`, if any. Never unlocks.
    fn find<'a>(ss: &'a SecretService<'a>, account: &str) -> Result<Option<Item<'a>>, StoreError> {
        let mut found = ss
            .search_items(attributes(account))
            .map_err(|e| from_ss(&e, false))?;
        match (found.unlocked.len(), found.locked.len()) {
            (0, 0) => Ok(None),
            (1, 0) => Ok(found.unlocked.pop()),
            (0, _) => Err(locked()),
            (n, m) => Err(StoreError::Other(format!(
                "{} keyring entries match this account; remove the extra ones (e.g. with \
                 `secret-tool clear service {SERVICE} username {account}`) and store the \
                 password again",
                n + m
            ))),
        }
    }

    fn default_collection<'a>(
        ss: &'a SecretService<'a>,
    ) -> Result<secret_service::blocking::Collection<'a>, StoreError> {
        match ss.get_default_collection() {
            Ok(c) => Ok(c),
            Err(secret_service::Error::NoResult) => Err(no_collection()),
            Err(e) => Err(from_ss(&e, true)),
        }
    }

    /// The default collection exists and is unlocked. Never unlocks it.
    fn default_unlocked(ss: &SecretService<'_>) -> Result<(), StoreError> {
        match default_collection(ss)?.is_locked() {
            Ok(false) => Ok(()),
            Ok(true) => Err(locked()),
            Err(e) => Err(from_ss(&e, false)),
        }
    }

    fn locked() -> StoreError {
        StoreError::Locked {
            hint: LOCKED_HINT.to_string(),
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
            S::Locked | S::Prompt | S::PromptDisconnected => locked(),
            S::NoResult if no_access => no_collection(),
            S::Unavailable => StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            },
            S::Zbus(_) | S::ZbusFdo(_) if looks_gone(&e.to_string()) => StoreError::Unavailable {
                reason: e.to_string(),
                hint: UNAVAILABLE_HINT.to_string(),
            },
            S::Zbus(_) | S::ZbusFdo(_) if e.to_string().contains("IsLocked") => locked(),
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
}

/// macOS: the login keychain, through `security-framework` (the crate
/// `keyring`'s own Apple store is built on), with items laid out as that
/// store lays them out: generic passwords, service `icloud-mail-setup`,
/// account the address. Only type-checked here (scripts/check-platforms),
/// never run.
///
/// Spoken to directly rather than through `keyring` because a Keychain
/// item's access list names the binary that created it: after a rebuild
/// or an upgrade, a read makes macOS show "… wants to use your confidential
/// information". So:
/// - unless the store is interactive (the wizard), user interaction is
///   turned off around each call, and a read that would ask fails at once
///   with errSecInteractionNotAllowed, reported with a hint
///   ([`keychain_error`]);
/// - `exists` and the pre-flight search attributes only, never the secret,
///   so they never need the access list's consent;
/// - `set` updates the item it finds, adds one only when the search says
///   there is none (never "already exists" after a failed lookup).
#[cfg(target_os = "macos")]
mod platform {
    use security_framework::item::{ItemClass, ItemSearchOptions, Reference, SearchResult};
    use security_framework::os::macos::keychain::{KeychainUserInteractionLock, SecKeychain};
    use security_framework::os::macos::passwords::find_generic_password;

    use super::{KeychainError, SERVICE, StoreError, keychain_error};
    use crate::secret::Secret;

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
}

/// What a Keychain status code means to us (macOS; a pure function, so
/// the mapping is tested on every platform).
#[cfg(any(test, target_os = "macos"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeychainError {
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

#[cfg(any(test, target_os = "macos"))]
fn keychain_error(code: i32) -> KeychainError {
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
#[cfg(any(test, target_os = "macos"))]
const KEYCHAIN_ALLOW_HINT: &str = "The Keychain wants to ask before it gives this build of \
    icloud-mail-setup the password (after an install or an upgrade it asks again), or the \
    login keychain is locked, and no dialog is shown from here. Run `icloud-mail-setup \
    verify EMAIL` once in a Terminal window on the Mac and choose Always Allow when the \
    Keychain asks (or allow it in Keychain Access, on the item's Access Control tab); unlock a locked keychain with \
    `security unlock-keychain`.";

#[cfg(any(test, target_os = "macos"))]
const KEYCHAIN_DENIED_HINT: &str = "Access to the password was denied in the Keychain's \
    dialog (or the keychain password was wrong). Run this again and choose Allow or Always \
    Allow, or allow icloud-mail-setup in Keychain Access, on the item's Access Control tab.";

#[cfg(any(test, target_os = "macos"))]
fn keychain_store_error(kind: KeychainError, reason: &str, unavailable_hint: &str) -> StoreError {
    match kind {
        KeychainError::NeedsDialog => StoreError::Locked {
            hint: KEYCHAIN_ALLOW_HINT.to_string(),
        },
        KeychainError::Denied => StoreError::Denied {
            hint: KEYCHAIN_DENIED_HINT.to_string(),
        },
        KeychainError::NoKeychain => StoreError::Unavailable {
            reason: reason.to_string(),
            hint: unavailable_hint.to_string(),
        },
        KeychainError::NotFound | KeychainError::Other => StoreError::Other(reason.to_string()),
    }
}

/// Windows: the `keyring` crate's Credential Manager store, which its CI
/// builds and tests. Only type-checked here, never run. The Credential
/// Manager never shows a dialog.
#[cfg(target_os = "windows")]
mod platform {
    use super::{SERVICE, StoreError};
    use crate::secret::Secret;

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
            reason: super::describe(e),
            hint: UNAVAILABLE_HINT.to_string(),
        }
    }

    fn classify(e: &::keyring::Error) -> StoreError {
        match e {
            ::keyring::Error::NoStorageAccess(_) => StoreError::Denied {
                hint: DENIED_HINT.to_string(),
            },
            ::keyring::Error::NoDefaultStore => unavailable(e),
            _ => StoreError::Other(super::describe(e)),
        }
    }
}

/// A keyring error as a sentence that never contains secret bytes
/// (`BadEncoding` and `BadDataFormat` carry them: never print those).
#[cfg(target_os = "windows")]
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
    use super::StoreError;
    use crate::secret::Secret;

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
