//! Which keyring holds an account's password: the system keyring (the
//! Secret Service on Linux, the Keychain, the Credential Manager) or pass.
//!
//! - An account in the config uses the keyring recorded with it
//!   (`keyring = "pass"`); an entry recorded before there was a choice
//!   uses the system keyring. Nothing that reads a password guesses.
//! - A new account uses `--keyring` when given, else the Secret Service
//!   when it answers (locked counts: it is there), else pass when its
//!   store is initialised. When neither is there, the error says how to
//!   set up either.
//! - There is no plaintext fallback.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::domain::keyring::{SecretStore, StoreError};
use crate::sys::secret::Secret;

/// A keyring an account's password can be kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The system keyring: the Secret Service on Linux (the macOS Keychain,
    /// the Windows Credential Manager elsewhere).
    #[value(alias = "system")]
    #[serde(alias = "system")]
    SecretService,
    /// pass, the standard Unix password manager (GPG-encrypted files).
    Pass,
}

impl Kind {
    /// As written in the config and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Kind::SecretService => "secret-service",
            Kind::Pass => "pass",
        }
    }
}

/// The keyrings, each call sent to the one the account uses.
pub struct Keyrings {
    system: Box<dyn SecretStore>,
    pass: Box<dyn SecretStore>,
    /// Where the accounts (and so their keyrings) are recorded.
    config_path: Option<PathBuf>,
    /// `--keyring`.
    explicit: Option<Kind>,
    /// The automatic choice, once made.
    chosen: Mutex<Option<Kind>>,
}

impl Keyrings {
    /// The system keyring and the pass store of this environment. The
    /// system keyring may show its own dialog only when `a_person_is_here`
    /// (see `commands::may_show_dialogs`; only the macOS Keychain does).
    pub fn new(
        config_path: Option<PathBuf>,
        explicit: Option<Kind>,
        a_person_is_here: bool,
    ) -> Keyrings {
        let system = if a_person_is_here {
            crate::domain::keyring::KeyringStore::interactive()
        } else {
            crate::domain::keyring::KeyringStore::new()
        };
        Keyrings::with_stores(
            Box::new(system),
            Box::new(crate::domain::keyring_pass::PassStore::from_env()),
            config_path,
            explicit,
        )
    }

    /// The same over any two stores (tests).
    pub fn with_stores(
        system: Box<dyn SecretStore>,
        pass: Box<dyn SecretStore>,
        config_path: Option<PathBuf>,
        explicit: Option<Kind>,
    ) -> Keyrings {
        Keyrings {
            system,
            pass,
            config_path,
            explicit,
            chosen: Mutex::new(None),
        }
    }

    fn store(&self, kind: Kind) -> &dyn SecretStore {
        match kind {
            Kind::SecretService => self.system.as_ref(),
            Kind::Pass => self.pass.as_ref(),
        }
    }

    /// The keyring for accounts not in the config: `--keyring`, else the
    /// automatic choice. Asks the Secret Service (once per process when
    /// it answers).
    pub fn default_kind(&self) -> Result<Kind, StoreError> {
        if let Some(k) = self.explicit {
            return Ok(k);
        }
        if let Some(k) = *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(k);
        }
        let kind = match self.system.preflight() {
            Ok(()) | Err(StoreError::Locked { .. }) => Kind::SecretService,
            Err(system) => match self.pass.preflight() {
                Ok(()) => Kind::Pass,
                Err(_) => return Err(neither(&system)),
            },
        };
        *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) = Some(kind);
        Ok(kind)
    }

    /// The keyring recorded for `email` in the config, if it is there.
    fn recorded(&self, email: &str) -> Result<Option<Kind>, StoreError> {
        let Some(path) = &self.config_path else {
            return Ok(None);
        };
        let config =
            crate::domain::config::load(path).map_err(|e| StoreError::Other(e.to_string()))?;
        let Some(entry) = config.find(email) else {
            return Ok(None);
        };
        Ok(match (entry.keyring, &entry.pending) {
            (Some(k), _) => Some(k),
            // A first save in progress: where it is being made.
            (None, Some(p)) if entry.stored_at.is_none() => p.keyring,
            // Recorded before there was a choice.
            (None, _) => Some(Kind::SecretService),
        })
    }

    /// The keyring `account` (an address, or its staging entry) lives in.
    pub fn kind_of(&self, account: &str) -> Result<Kind, StoreError> {
        let email = account
            .strip_prefix(crate::domain::keyring::staging_account("").as_str())
            .unwrap_or(account);
        match (self.recorded(email)?, self.explicit) {
            (Some(recorded), Some(asked)) if recorded != asked => Err(StoreError::Other(format!(
                "the password of {email} is kept in {} (as its config entry records), not in {}; \
                 to move it, run `icloud-mail-setup remove {email}`, then store it again with \
                 `--keyring {}`",
                self.store(recorded).name(),
                self.store(asked).name(),
                asked.id()
            ))),
            (Some(recorded), _) => Ok(recorded),
            (None, _) => self.default_kind(),
        }
    }

    fn for_account(&self, account: &str) -> Result<&dyn SecretStore, StoreError> {
        self.kind_of(account).map(|k| self.store(k))
    }
}

impl SecretStore for Keyrings {
    fn name(&self) -> String {
        match self.default_kind() {
            Ok(k) => self.store(k).name(),
            Err(_) => self.system.name(),
        }
    }

    fn preflight(&self) -> Result<(), StoreError> {
        let kind = self.default_kind()?;
        self.store(kind).preflight()
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.for_account(account)?.get(account)
    }

    fn exists(&self, account: &str) -> Result<bool, StoreError> {
        self.for_account(account)?.exists(account)
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.for_account(account)?.set(account, secret)
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.for_account(account)?.delete(account)
    }

    /// Only the Secret Service has an unlock prompt (pass unlocks through
    /// gpg-agent, on use).
    fn unlock(
        &self,
        deadline: std::time::Duration,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<crate::domain::keyring::Unlock, StoreError> {
        match self.default_kind()? {
            Kind::SecretService => self.system.unlock(deadline, stop),
            Kind::Pass => self.pass.unlock(deadline, stop),
        }
    }

    fn kind_for(&self, account: &str) -> Option<Kind> {
        self.kind_of(account).ok()
    }

    fn name_for(&self, account: &str) -> String {
        match self.kind_of(account) {
            Ok(k) => self.store(k).name(),
            Err(_) => self.name(),
        }
    }
}

/// Neither keyring is there: what the Secret Service said, and how to set
/// up either.
fn neither(system: &StoreError) -> StoreError {
    let reason = match system {
        StoreError::Unavailable { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    StoreError::Unavailable {
        reason: format!("{reason}, and pass is not set up"),
        hint: format!(
            "{} {}",
            crate::domain::keyring::SYSTEM_SETUP_HINT,
            crate::domain::keyring_pass::SETUP_HINT
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config::{self, AccountEntry};
    use crate::domain::keyring::MemoryStore;

    fn gone() -> StoreError {
        StoreError::Unavailable {
            reason: "no bus".into(),
            hint: "start one".into(),
        }
    }

    fn pw(s: &str) -> Secret {
        Secret::new(s.into())
    }

    /// A store whose unlock prompt is answered at once.
    struct Unlockable(MemoryStore);

    impl SecretStore for Unlockable {
        fn name(&self) -> String {
            "unlockable".into()
        }
        fn preflight(&self) -> Result<(), StoreError> {
            Err(StoreError::Locked { hint: "h".into() })
        }
        fn get(&self, a: &str) -> Result<Option<Secret>, StoreError> {
            self.0.get(a)
        }
        fn set(&self, a: &str, s: &Secret) -> Result<(), StoreError> {
            self.0.set(a, s)
        }
        fn delete(&self, a: &str) -> Result<(), StoreError> {
            self.0.delete(a)
        }
        fn unlock(
            &self,
            _: std::time::Duration,
            _: std::sync::Arc<std::sync::atomic::AtomicBool>,
        ) -> Result<crate::domain::keyring::Unlock, StoreError> {
            Ok(crate::domain::keyring::Unlock::Unlocked)
        }
    }

    #[test]
    fn an_unlock_goes_to_the_keyring_new_accounts_use() {
        let unlock = |explicit| {
            Keyrings::with_stores(
                Box::new(Unlockable(MemoryStore::new())),
                Box::new(MemoryStore::new()),
                None,
                explicit,
            )
            .unlock(std::time::Duration::from_secs(1), Default::default())
        };
        // A locked Secret Service is the automatic choice: it is unlocked.
        assert_eq!(unlock(None), Ok(crate::domain::keyring::Unlock::Unlocked));
        // pass has no prompt to raise; the Secret Service is not touched.
        let err = unlock(Some(Kind::Pass)).unwrap_err();
        assert!(err.to_string().contains("cannot be unlocked"), "{err}");
    }

    #[test]
    fn the_automatic_choice_is_the_secret_service_when_it_answers_else_pass() {
        let k = |system: MemoryStore, pass: MemoryStore| {
            Keyrings::with_stores(Box::new(system), Box::new(pass), None, None).default_kind()
        };
        assert_eq!(
            k(MemoryStore::new(), MemoryStore::new()),
            Ok(Kind::SecretService)
        );
        let locked = StoreError::Locked { hint: "h".into() };
        assert_eq!(
            k(MemoryStore::failing(locked), MemoryStore::new()),
            Ok(Kind::SecretService)
        );
        assert_eq!(
            k(MemoryStore::failing(gone()), MemoryStore::new()),
            Ok(Kind::Pass)
        );
        let neither = k(MemoryStore::failing(gone()), MemoryStore::failing(gone())).unwrap_err();
        assert!(
            neither
                .to_string()
                .contains("no bus, and pass is not set up"),
            "{neither}"
        );
        assert!(neither.hint().contains("pass init"), "{}", neither.hint());
        // Asked for explicitly: no question asked.
        let explicit = Keyrings::with_stores(
            Box::new(MemoryStore::failing(gone())),
            Box::new(MemoryStore::failing(gone())),
            None,
            Some(Kind::SecretService),
        );
        assert_eq!(explicit.default_kind(), Ok(Kind::SecretService));
    }

    #[test]
    fn an_account_uses_the_keyring_recorded_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let entry = |email: &str, keyring: Option<Kind>| AccountEntry {
            email: email.into(),
            login: email.into(),
            stored_at: Some("2026-01-01T00:00:00Z".into()),
            keyring,
            ..AccountEntry::default()
        };
        config::update(&path, |c| {
            c.upsert(entry("old@icloud.com", None));
            c.upsert(entry("p@icloud.com", Some(Kind::Pass)));
            // A first save in progress into pass.
            c.upsert(AccountEntry {
                email: "new@icloud.com".into(),
                login: "new@icloud.com".into(),
                pending: Some(Box::new(entry("new@icloud.com", Some(Kind::Pass)))),
                ..AccountEntry::default()
            });
        })
        .unwrap();
        let k = Keyrings::with_stores(
            Box::new(MemoryStore::new()),
            Box::new(MemoryStore::new()),
            Some(path.clone()),
            None,
        );
        assert_eq!(k.kind_of("old@icloud.com"), Ok(Kind::SecretService));
        assert_eq!(k.kind_of("p@icloud.com"), Ok(Kind::Pass));
        assert_eq!(k.kind_of("staging:p@icloud.com"), Ok(Kind::Pass));
        assert_eq!(k.kind_of("staging:new@icloud.com"), Ok(Kind::Pass));
        assert_eq!(k.kind_of("unknown@icloud.com"), Ok(Kind::SecretService));
        k.set("p@icloud.com", &pw("x")).unwrap();
        assert_eq!(k.pass.get("p@icloud.com").unwrap(), Some(pw("x")));
        assert_eq!(k.system.get("p@icloud.com").unwrap(), None);
        assert!(k.exists("p@icloud.com").unwrap());

        // `--keyring` that contradicts the record is refused, not obeyed.
        let k = Keyrings::with_stores(
            Box::new(MemoryStore::new()),
            Box::new(MemoryStore::new()),
            Some(path),
            Some(Kind::SecretService),
        );
        let e = k.get("p@icloud.com").unwrap_err();
        assert!(e.to_string().contains("is kept in"), "{e}");
        assert_eq!(k.kind_of("unknown@icloud.com"), Ok(Kind::SecretService));
    }

    #[test]
    fn the_config_names_keyrings_as_the_command_line_does() {
        let t: AccountEntry = toml::from_str(
            "email = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\nkeyring = \"pass\"\n",
        )
        .unwrap();
        assert_eq!(t.keyring, Some(Kind::Pass));
        let t: AccountEntry = toml::from_str(
            "email = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\nkeyring = \"system\"\n",
        )
        .unwrap();
        assert_eq!(t.keyring, Some(Kind::SecretService));
        assert!(
            toml::from_str::<AccountEntry>(
                "email = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\nkeyring = \"plaintext\"\n"
            )
            .is_err()
        );
        assert_eq!(Kind::SecretService.id(), "secret-service");
    }
}
