//! pass (password-store) as the keyring where no Secret Service answers:
//! a server, an SSH login, a container, cron. Its entries are files
//! encrypted with GPG and decrypted by gpg-agent, which needs no desktop
//! and no D-Bus.
//!
//! Entries: `icloud-mail-setup/EMAIL` (and `icloud-mail-setup/staging:EMAIL`
//! during a save), the password on the first line, as pass users expect.
//!
//! `pass` is run through the one process runner ([`crate::sys::process`]): the
//! password goes on its stdin, never into an argument or a variable, and
//! every call has a deadline. gpg is told never to ask for a passphrase
//! (`--pinentry-mode error`, through `PASSWORD_STORE_GPG_OPTS`): a key
//! that gpg-agent has not unlocked is reported as locked, with the command
//! that unlocks it, instead of a prompt on some other terminal or desktop
//! that nobody answers.
//!
//! Why not the `keyring` crate's Linux stores: its Secret Service store
//! unlocks locked items, which raises a prompt (see `keyring/secret_service.rs`), and its
//! kernel keyutils store keeps secrets in the kernel's session or user
//! keyring, which is lost at reboot and expires after a few idle days:
//! a password kept there would vanish under a mail client's feet.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroize;

use crate::domain::keyring::{KEYRING_TIMEOUT, SERVICE, SecretStore, StoreError};
use crate::sys::process::{self, Feed};
use crate::sys::secret::Secret;

/// How this store is named in messages.
pub const NAME: &str = "pass (password-store)";

/// How to get a working pass, in three commands.
pub const SETUP_HINT: &str = "To keep it in pass instead: install it (`sudo apt install pass`), \
    make a GPG key (`gpg --quick-gen-key YOU@EXAMPLE.COM`), and start a store with it \
    (`pass init YOU@EXAMPLE.COM`).";

const LOCKED_HINT: &str = "gpg-agent needs your key's passphrase, and this program never asks \
    for it. Unlock the key in a terminal by reading any entry of your store (e.g. `pass show \
    SOME-ENTRY`, or `pass show icloud-mail-setup/EMAIL` once it exists): gpg-agent then keeps \
    it for a while (`default-cache-ttl` in ~/.gnupg/gpg-agent.conf). Then run this again.";

/// The store in `PASSWORD_STORE_DIR`, else `~/.password-store`, driven
/// with the `pass` found on `PATH`.
pub struct PassStore {
    dir: Option<PathBuf>,
    timeout: Duration,
}

/// Git settings for `pass`: in a store that is a git repository it
/// commits each change, signed when `pass.signcommits` or
/// `commit.gpgSign` is set, and git's gpg call does not get
/// `--pinentry-mode error`: a signing key's passphrase would open a
/// pinentry (or fail on a terminal we hold). Unsigned commits instead.
const UNSIGNED_COMMITS: [(&str, &str); 5] = [
    ("GIT_CONFIG_COUNT", "2"),
    ("GIT_CONFIG_KEY_0", "commit.gpgSign"),
    ("GIT_CONFIG_VALUE_0", "false"),
    ("GIT_CONFIG_KEY_1", "pass.signcommits"),
    ("GIT_CONFIG_VALUE_1", "false"),
];

impl PassStore {
    /// The store this environment names. Touches nothing yet.
    pub fn from_env() -> PassStore {
        PassStore {
            dir: store_dir(
                std::env::var_os("PASSWORD_STORE_DIR"),
                std::env::var_os("HOME"),
            ),
            timeout: KEYRING_TIMEOUT,
        }
    }

    /// The store's directory, if one is named.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// `pass init` has been run: the store has its `.gpg-id`.
    pub fn initialised(&self) -> bool {
        self.dir
            .as_ref()
            .is_some_and(|d| d.join(".gpg-id").is_file())
    }

    /// `pass` to run, and the store, or why not.
    fn ready(&self) -> Result<(PathBuf, &Path), StoreError> {
        let Some(pass) = process::find("pass") else {
            return Err(StoreError::Unavailable {
                reason: "pass is not installed".into(),
                hint: SETUP_HINT.into(),
            });
        };
        match self.dir.as_deref() {
            Some(dir) if self.initialised() => Ok((pass, dir)),
            Some(dir) => Err(StoreError::Unavailable {
                reason: format!(
                    "the password store {} is not initialised (no .gpg-id)",
                    dir.display()
                ),
                hint: SETUP_HINT.into(),
            }),
            None => Err(StoreError::Unavailable {
                reason: "no password store: neither PASSWORD_STORE_DIR nor HOME is set".into(),
                hint: SETUP_HINT.into(),
            }),
        }
    }

    /// Run `pass ARGS` on this store, `stdin` fed to it.
    fn pass(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
    ) -> Result<(process::Ran, PathBuf), StoreError> {
        let (pass, dir) = self.ready()?;
        let ran = process::run_with(&pass, args, &self.feed(dir, stdin), self.timeout)
            .map_err(|e| not_finished(&e))?;
        Ok((ran, dir.to_path_buf()))
    }

    fn feed<'a>(&self, dir: &Path, stdin: Option<&'a [u8]>) -> Feed<'a> {
        // The user's own options first; ours last, so they win.
        let mut opts = std::env::var_os("PASSWORD_STORE_GPG_OPTS").unwrap_or_default();
        if !opts.is_empty() {
            opts.push(" ");
        }
        opts.push("--pinentry-mode error");
        Feed {
            stdin,
            env: [
                ("PASSWORD_STORE_DIR", dir.as_os_str().to_owned()),
                ("PASSWORD_STORE_GPG_OPTS", opts),
            ]
            .into_iter()
            .chain(UNSIGNED_COMMITS.iter().map(|(k, v)| (*k, (*v).into())))
            .collect(),
        }
    }

    /// The encrypted file of `account`.
    fn file(dir: &Path, account: &str) -> PathBuf {
        dir.join(SERVICE).join(format!("{account}.gpg"))
    }

    /// After `pass show` failed to decrypt: was it a passphrase gpg-agent
    /// does not have? gpg, asked directly (its output thrown away), says
    /// "No pinentry" then; `pass` hides that line behind `--quiet`.
    fn needs_passphrase(&self, file: &Path) -> bool {
        let Some(gpg) = process::find("gpg2").or_else(|| process::find("gpg")) else {
            return false;
        };
        let args: [&std::ffi::OsStr; 8] = [
            "--batch".as_ref(),
            "--pinentry-mode".as_ref(),
            "error".as_ref(),
            "--output".as_ref(),
            "/dev/null".as_ref(),
            "--yes".as_ref(),
            "--decrypt".as_ref(),
            file.as_os_str(),
        ];
        match process::run(&gpg, &args, self.timeout) {
            Ok(ran) => {
                let said = ran.said().to_lowercase();
                said.contains("no pinentry")
                    || said.contains("operation cancelled")
                    || said.contains("bad passphrase")
            }
            Err(_) => false,
        }
    }

    fn logged<T>(
        &self,
        what: &str,
        account: &str,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        crate::log!(
            crate::sys::log::Component::Keyring,
            "{what} [{account}] in {NAME}: {}",
            match &result {
                Ok(_) => "done".to_string(),
                Err(e) => format!("failed: {e}"),
            }
        );
        result
    }

    fn get_inner(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        let entry = entry_name(account)?;
        let (_, dir) = self.ready()?;
        let file = Self::file(dir, account);
        if !file.is_file() {
            return Ok(None);
        }
        let (mut ran, _) = self.pass(&["show", &entry], None)?;
        if !ran.status.success() {
            let said = ran.said().to_string();
            ran.stdout.zeroize();
            if self.needs_passphrase(&file) {
                return Err(locked());
            }
            return Err(could_not("read", &entry, &said));
        }
        let first = ran
            .stdout
            .split('\n')
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        ran.stdout.zeroize();
        if first.is_empty() {
            return Err(StoreError::Other(format!(
                "the first line of the pass entry {entry} is empty: it should hold the password"
            )));
        }
        Ok(Some(Secret::new(first)))
    }

    fn set_inner(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let entry = entry_name(account)?;
        if secret.expose().contains(['\n', '\r']) {
            return Err(StoreError::Other(
                "a password with a line break cannot be kept on the first line of a pass entry"
                    .into(),
            ));
        }
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(secret.expose().len() + 1));
        line.extend_from_slice(secret.expose().as_bytes());
        line.push(b'\n');
        let (ran, dir) = self.pass(&["insert", "--multiline", "--force", &entry], Some(&line))?;
        succeeded(&ran, "store", &entry)?;
        // gpg writes the entry without fsync: a power cut right after a
        // rotation could leave it empty, with the old password gone.
        flush_entry(&dir, account).map_err(|e| {
            StoreError::Other(format!(
                "pass stored {entry}, but it could not be flushed to disk: {e}"
            ))
        })
    }

    fn delete_inner(&self, account: &str) -> Result<(), StoreError> {
        let entry = entry_name(account)?;
        let (_, dir) = self.ready()?;
        if !Self::file(dir, account).exists() {
            return Ok(());
        }
        let (ran, _) = self.pass(&["rm", "--force", &entry], None)?;
        succeeded(&ran, "remove", &entry)
    }
}

impl SecretStore for PassStore {
    fn name(&self) -> String {
        NAME.into()
    }

    fn preflight(&self) -> Result<(), StoreError> {
        let r = self.ready().map(|_| ());
        self.logged("checking the store", "", r)
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        let account = account.to_lowercase();
        let read = self.get_inner(&account);
        // As for the Secret Service: the log's filter learns it at once.
        if let Ok(Some(secret)) = &read {
            crate::sys::log::register_password(secret);
        }
        self.logged("reading a password", &account, read)
    }

    fn exists(&self, account: &str) -> Result<bool, StoreError> {
        let account = account.to_lowercase();
        let found = entry_name(&account)
            .and_then(|_| self.ready())
            .map(|(_, dir)| Self::file(dir, &account).is_file());
        self.logged("looking for a password", &account, found)
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let account = account.to_lowercase();
        let r = self.set_inner(&account, secret);
        self.logged("storing a password", &account, r)
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_lowercase();
        let r = self.delete_inner(&account);
        self.logged("deleting a password", &account, r)
    }
}

/// `PASSWORD_STORE_DIR` when set and not empty, else `HOME/.password-store`.
pub fn store_dir(env_dir: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match env_dir.filter(|d| !d.is_empty()) {
        Some(d) => Some(PathBuf::from(d)),
        None => home
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".password-store")),
    }
}

/// Make the entry file of `account`, as pass wrote it under `dir`,
/// durable: the file's data, then the directories that name it (the
/// service directory may have just been made). A file that is not there
/// (pass said it stored it) is an error; a directory that cannot be
/// synced is not (not every file system allows it).
fn flush_entry(dir: &Path, account: &str) -> std::io::Result<()> {
    let file = PassStore::file(dir, account);
    std::fs::File::open(&file)?.sync_all()?;
    crate::sys::atomic_file::sync_dir(&dir.join(SERVICE));
    crate::sys::atomic_file::sync_dir(dir);
    Ok(())
}

/// `icloud-mail-setup/ACCOUNT`, for an account name that is one plain path
/// component (an address, or `staging:` one).
fn entry_name(account: &str) -> Result<String, StoreError> {
    let plain = !account.is_empty()
        && !account.starts_with('.')
        && !account.starts_with('-')
        && !account
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if plain {
        Ok(format!("{SERVICE}/{account}"))
    } else {
        Err(StoreError::Other(format!(
            "{account:?} cannot name a pass entry"
        )))
    }
}

/// Ok when `pass` succeeded; else what it said.
fn succeeded(ran: &process::Ran, what: &str, entry: &str) -> Result<(), StoreError> {
    if ran.status.success() {
        Ok(())
    } else {
        Err(could_not(what, entry, ran.said()))
    }
}

fn could_not(what: &str, entry: &str, said: &str) -> StoreError {
    StoreError::Other(format!("pass could not {what} {entry}: {}", one_line(said)))
}

fn locked() -> StoreError {
    StoreError::Locked {
        hint: LOCKED_HINT.into(),
    }
}

fn not_finished(e: &str) -> StoreError {
    StoreError::Unavailable {
        reason: format!("pass did not answer: {e}"),
        hint: "gpg-agent may be stuck; `gpgconf --kill gpg-agent` restarts it on the next use."
            .into(),
    }
}

/// The last non-empty line of what a program said (pass and gpg put the
/// reason last), bounded.
fn one_line(said: &str) -> String {
    let line = said
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no reason given");
    crate::domain::keyring::said(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_the_variable_else_home() {
        assert_eq!(
            store_dir(Some("/s".into()), Some("/h".into())),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            store_dir(Some("".into()), Some("/h".into())),
            Some(PathBuf::from("/h/.password-store"))
        );
        assert_eq!(store_dir(None, None), None);
    }

    #[test]
    fn entries_are_one_component_under_the_service() {
        assert_eq!(
            entry_name("a@icloud.com").unwrap(),
            "icloud-mail-setup/a@icloud.com"
        );
        assert_eq!(
            entry_name("staging:a@icloud.com").unwrap(),
            "icloud-mail-setup/staging:a@icloud.com"
        );
        for bad in ["", "../x", "a/b", ".hidden", "-rf", "a\nb"] {
            assert!(entry_name(bad).is_err(), "{bad:?}");
        }
    }

    /// The file flushed is the one pass writes: `DIR/icloud-mail-setup/ACCOUNT.gpg`
    /// (`pass insert` names it `$PASSWORD_STORE_DIR/$path.gpg`), and a
    /// missing one is an error, not a silent success.
    #[test]
    fn the_entry_flushed_is_the_file_pass_writes() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            PassStore::file(d.path(), "a@icloud.com"),
            d.path().join("icloud-mail-setup").join("a@icloud.com.gpg")
        );
        assert!(flush_entry(d.path(), "a@icloud.com").is_err());
        std::fs::create_dir(d.path().join("icloud-mail-setup")).unwrap();
        std::fs::write(PassStore::file(d.path(), "a@icloud.com"), b"x").unwrap();
        flush_entry(d.path(), "a@icloud.com").unwrap();
    }

    /// In a store that is a git repository whose config asks for signed
    /// commits, git as `pass` runs it sees neither setting.
    #[test]
    fn pass_runs_git_with_signing_off() {
        let git = process::find("git").expect("git is installed for the tests");
        let repo = tempfile::tempdir().unwrap();
        let run = |args: &[&str], feed: &Feed<'_>| {
            let mut all = vec!["-C", repo.path().to_str().unwrap()];
            all.extend_from_slice(args);
            process::run_with(&git, &all, feed, Duration::from_secs(10)).unwrap()
        };
        assert!(run(&["init", "-q"], &Feed::default()).status.success());
        for key in ["commit.gpgsign", "pass.signcommits"] {
            assert!(
                run(&["config", key, "true"], &Feed::default())
                    .status
                    .success()
            );
        }
        let store = PassStore {
            dir: Some(repo.path().to_path_buf()),
            timeout: KEYRING_TIMEOUT,
        };
        let feed = store.feed(repo.path(), None);
        for key in ["commit.gpgsign", "pass.signcommits"] {
            let ran = run(&["config", "--bool", "--get", key], &feed);
            assert_eq!(ran.stdout.trim(), "false", "{key}");
        }
    }
}
