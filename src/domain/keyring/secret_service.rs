//! Linux and the BSDs: the Secret Service over D-Bus (gnome-keyring,
//! KeePassXC, KWallet's bridge), through the `secret-service` crate (the
//! one `keyring`'s own Linux store is built on), with items laid out as
//! that store lays them out: attributes `service` and `username`, in the
//! default collection.
//!
//! Spoken to directly rather than through `keyring`, for two reasons: its
//! store opens a D-Bus connection that cannot be shared with our no-prompt
//! checks, and it unlocks locked items it finds, which shows an unlock
//! prompt (or, over SSH, waits forever on one nobody sees). Here nothing is
//! ever unlocked: a locked item or collection is reported as locked.

use std::collections::HashMap;

use secret_service::EncryptionType;
use secret_service::blocking::{Item, SecretService};
use zeroize::Zeroize;

use super::{SERVICE, StoreError};
use crate::sys::secret::Secret;

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
            reason: format!(
                "could not connect to the Secret Service: {}",
                super::said(&e.to_string())
            ),
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
            reason: super::said(&e.to_string()),
            hint: UNAVAILABLE_HINT.to_string(),
        },
        S::Zbus(_) | S::ZbusFdo(_) if looks_gone(&e.to_string()) => StoreError::Unavailable {
            reason: super::said(&e.to_string()),
            hint: UNAVAILABLE_HINT.to_string(),
        },
        S::Zbus(_) | S::ZbusFdo(_) if e.to_string().contains("IsLocked") => locked(),
        _ => StoreError::Other(super::said(&e.to_string())),
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
