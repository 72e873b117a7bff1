//! The subcommands against a real Secret Service (gnome-keyring on a private
//! session bus; see `scripts/test`), with a fake mail checker. These tests
//! fail, rather than skip, when no session bus is configured.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use common::keyring::secret_tool_lookup;

use common::keyring::{require_bus, unique_email};

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use icloud_mail_setup::app::cli::{
    GlobalArgs, ListArgs, PasswordArgs, RemoveArgs, StoreArgs, VerifyArgs,
};
use icloud_mail_setup::app::commands::{Exit, list, password, remove, store, verify};
use icloud_mail_setup::app::context::Context;
use icloud_mail_setup::app::error::Outcome;
use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::config;
use icloud_mail_setup::domain::keyring::{KeyringStore, SecretStore, StoreError};
use icloud_mail_setup::domain::mail::{
    Accepted, CheckReport, CheckSettings, Checker, ErrorKind, Failure, Protocol,
};
use icloud_mail_setup::domain::storage::{self, SaveError, SaveRequest};
use icloud_mail_setup::sys::secret::Secret;

const GOOD: &str = "abcd-efgh-ijkl-mnop";
const OTHER_GOOD: &str = "qrst-uvwx-yzab-cdef";

fn globals(path: &Path) -> GlobalArgs {
    GlobalArgs {
        config: Some(path.to_path_buf()),
        ..GlobalArgs::default()
    }
}

/// Accepts the passwords in `GOOD`/`OTHER_GOOD`, rejects anything else.
struct FakeChecker {
    settings: CheckSettings,
}

impl Checker for FakeChecker {
    fn check(
        &self,
        protocol: Protocol,
        account: Account,
        password: Secret,
    ) -> BoxFuture<'static, CheckReport> {
        let endpoint = match protocol {
            Protocol::Imap => self.settings.imap.clone(),
            Protocol::Smtp => self.settings.smtp.clone(),
        };
        Box::pin(async move {
            let username = match protocol {
                Protocol::Imap => account.imap_usernames()[0].clone(),
                Protocol::Smtp => account.smtp_username(),
            };
            let outcome = if [GOOD, OTHER_GOOD].contains(&password.expose()) {
                Ok(Accepted {
                    username,
                    rejected: vec![],
                })
            } else {
                Err(Failure::new(ErrorKind::PasswordRejected, "535"))
            };
            CheckReport {
                protocol,
                endpoint,
                outcome,
                elapsed: Duration::from_millis(7),
                attempts: 1,
            }
        })
    }
}

fn fake(settings: CheckSettings) -> Box<dyn Checker> {
    Box::new(FakeChecker { settings })
}

/// What the commands print: (exit, stdout, stderr).
fn store_cmd(
    st: &dyn SecretStore,
    path: &Path,
    email: &str,
    stdin: &str,
) -> (Outcome, String, String) {
    let mut input = stdin.as_bytes();
    let args = StoreArgs {
        email: email.into(),
        password_stdin: true,
        login: None,
        label: Some("laptop".into()),
    };
    let ctx = Context::new(&globals(path), st).unwrap();
    let ctx = ctx.with_checker(&fake).with_input(&mut input);
    ctx.capture(|ctx| store::run(ctx, args))
}

fn password_cmd(st: &dyn SecretStore, path: &Path, email: &str) -> (Outcome, String, String) {
    let args = PasswordArgs {
        email: email.into(),
        copy: false,
        clear_after: None,
    };
    let ctx = Context::new(&globals(path), st).unwrap();
    ctx.capture(|ctx| password::run(ctx, args))
}

/// `list --json`, `verify [EMAIL] --json` and `remove EMAIL --yes`:
/// (exit, stdout, stderr).
fn list_json(st: &dyn SecretStore, path: &Path) -> (Outcome, String, String) {
    let ctx = Context::new(&globals(path), st).unwrap();
    ctx.capture(|ctx| list::run(ctx, ListArgs { json: true }))
}

fn verify_json(
    st: &dyn SecretStore,
    path: &Path,
    email: Option<&str>,
) -> (Outcome, String, String) {
    let args = VerifyArgs {
        email: email.map(String::from),
        json: true,
        scheduled: false,
    };
    let ctx = Context::new(&globals(path), st)
        .unwrap()
        .with_checker(&fake);
    ctx.capture(|ctx| verify::run(ctx, args))
}

/// `remove EMAIL`: confirmed with `--yes`, else answered from `answer`
/// (`None`: no terminal to ask on).
fn remove_cmd(
    st: &dyn SecretStore,
    path: &Path,
    email: &str,
    yes: bool,
    answer: Option<&[u8]>,
) -> (Outcome, String, String) {
    let args = RemoveArgs {
        email: email.into(),
        yes,
    };
    let mut input = answer.unwrap_or_default();
    let ctx = Context::new(&globals(path), st).unwrap();
    let ctx = match answer {
        Some(_) => ctx.with_input(&mut input),
        None => ctx.without_input(),
    };
    ctx.capture(|ctx| remove::run(ctx, args))
}

/// The real keyring, a config in a directory of its own (kept while the
/// directory lives), a fresh address.
fn setup(tag: &str) -> (KeyringStore, tempfile::TempDir, PathBuf, String) {
    require_bus();
    let dir = tempfile::tempdir().unwrap();
    let path = config_in(&dir);
    (KeyringStore::new(), dir, path, unique_email(tag))
}

/// [`setup`], with `GOOD` stored for the address by `store`.
fn stored(tag: &str) -> (KeyringStore, tempfile::TempDir, PathBuf, String) {
    let (ks, dir, path, email) = setup(tag);
    assert_eq!(store_cmd(&ks, &path, &email, GOOD).0, Exit::Ok);
    (ks, dir, path, email)
}

/// A save of `OTHER_GOOD` for `email`, labelled "new".
fn new_request(email: &str) -> SaveRequest {
    SaveRequest {
        account: Account::apple(Email::parse(email).unwrap()),
        secret: Secret::new(OTHER_GOOD.into()),
        label: Some("new".into()),
        imap_username: "x".into(),
        smtp_username: email.into(),
        settings: CheckSettings::default(),
    }
}

/// `password` (as a mail client runs it) serves `pw`, and nothing is left
/// to settle: no staging entry, nothing pending in the config. Its stderr.
fn assert_serves_and_settled(
    ks: &dyn SecretStore,
    path: &Path,
    email: &str,
    pw: &str,
    case: &str,
) -> String {
    let (code, out, err) = password_cmd(ks, path, email);
    assert_eq!(code, Exit::Ok, "{case}: {err}");
    assert_eq!(out, format!("{pw}\n"), "{case}");
    assert_eq!(secret_tool_lookup(email).as_deref(), Some(pw), "{case}");
    let staging = icloud_mail_setup::domain::keyring::staging_account(email);
    assert_eq!(secret_tool_lookup(&staging), None, "{case}");
    let pending = config::load(path)
        .unwrap()
        .find(email)
        .unwrap()
        .pending
        .clone();
    assert!(pending.is_none(), "{case}: {pending:?}");
    err
}

fn config_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cfg/config.toml")
}

#[test]
fn store_password_list_verify_remove() {
    let (ks, _dir, path, email) = setup("flow");

    let (code, out, err) = store_cmd(&ks, &path, &email.to_uppercase(), "ABCD EFGH IJKL MNOP\n");
    assert_eq!(code, Exit::Ok, "{out}\n{err}");
    assert!(out.contains("✓ IMAP") && out.contains("✓ SMTP"), "{out}");
    assert!(out.contains("Secret Service"), "{out}");
    assert!(!out.contains(GOOD) && !err.contains(GOOD));
    assert!(!std::fs::read_to_string(&path).unwrap().contains(GOOD));

    // The password command prints exactly the password and a newline.
    let (code, out, err) = password_cmd(&ks, &path, &email);
    assert_eq!(code, Exit::Ok, "{err}");
    assert_eq!(out, format!("{GOOD}\n"));
    // A second witness: libsecret sees the same entry.
    assert_eq!(secret_tool_lookup(&email).as_deref(), Some(GOOD));

    // list --json
    let (code, out, _) = list_json(&ks, &path);
    assert_eq!(code, Exit::Ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().expect("an array");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["email"], email.as_str());
    assert_eq!(row["login"], email.as_str());
    assert_eq!(row["label"], "laptop");
    assert_eq!(row["password_stored"], true);
    assert!(row["verified_at"].as_str().unwrap().ends_with('Z'));
    assert!(row["stored_at"].is_string());

    // verify --json (one account: one object)
    let (code, out, err) = verify_json(&ks, &path, Some(&email));
    assert_eq!(code, Exit::Ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["email"], email.as_str());
    for p in ["imap", "smtp"] {
        assert_eq!(v[p]["ok"], true, "{v}");
        assert!(v[p]["username"].is_string());
        assert!(v[p]["rejected_usernames"].is_array());
        assert_eq!(v[p]["elapsed_ms"], 7);
        assert!(v[p]["error_kind"].is_null());
        assert!(v[p]["message"].is_string());
    }

    // A rotation through store reminds to revoke the old one.
    let (code, out, _) = store_cmd(&ks, &path, &email, &format!("{OTHER_GOOD}\n"));
    assert_eq!(code, Exit::Ok);
    assert!(
        out.contains("Revoke") && out.contains("\"laptop\""),
        "{out}"
    );
    assert_eq!(secret_tool_lookup(&email).as_deref(), Some(OTHER_GOOD));

    // remove --yes, with a staging entry left by a save cut short: both go.
    let staging = icloud_mail_setup::domain::keyring::staging_account(&email);
    ks.set(&staging, &Secret::new(OTHER_GOOD.into())).unwrap();
    assert!(secret_tool_lookup(&staging).is_some());
    let (code, said, err) = remove_cmd(&ks, &path, &email, true, None);
    assert_eq!(code, Exit::Ok, "{err}");
    // Which password to revoke: the label it was given (issue 17).
    assert!(
        said.contains("Revoke") && said.contains("\"laptop\""),
        "{said}"
    );
    assert_eq!(secret_tool_lookup(&email), None);
    assert_eq!(secret_tool_lookup(&staging), None);
    assert!(config::load(&path).unwrap().find(&email).is_none());
    let (code, _, _) = password_cmd(&ks, &path, &email);
    assert_eq!(code, Exit::NoSuchAccount);
}

#[test]
fn rejected_password_changes_nothing() {
    let (ks, _dir, path, email) = setup("rejected");
    let (code, out, err) = store_cmd(&ks, &path, &email, "zzzz-zzzz-zzzz-zzzz\n");
    assert_eq!(code, Exit::Rejected, "{out}\n{err}");
    assert!(out.contains("✗ IMAP"), "{out}");
    assert!(!path.exists());
    assert_eq!(ks.get(&email).unwrap(), None);

    // verify with a wrong stored password: exit 3 and the JSON says why.
    let bad = Secret::new("zzzz-zzzz-zzzz-zzzz".into());
    ks.set(&email, &bad).unwrap();
    config::update(&path, |c| {
        c.upsert(config::AccountEntry {
            email: email.clone(),
            login: email.clone(),
            ..Default::default()
        })
    })
    .unwrap();
    let (code, out, _) = verify_json(&ks, &path, None);
    assert_eq!(code, Exit::Rejected);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["imap"]["error_kind"], "password_rejected");
    assert_eq!(v[0]["smtp"]["ok"], false);
    ks.delete(&email).unwrap();
}

#[test]
fn remove_without_a_terminal_refuses() {
    let (ks, _dir, path, email) = stored("refuse");
    let (code, _, err) = remove_cmd(&ks, &path, &email, false, None);
    assert_eq!(code, Exit::Usage);
    assert!(err.contains("--yes"));
    // "n" keeps it; "y" removes it.
    assert_eq!(
        remove_cmd(&ks, &path, &email, false, Some(b"n\n")).0,
        Exit::Ok
    );
    assert!(ks.get(&email).unwrap().is_some());
    assert_eq!(
        remove_cmd(&ks, &path, &email, false, Some(b"y\n")).0,
        Exit::Ok
    );
    assert_eq!(ks.get(&email).unwrap(), None);
}

/// A real keyring whose `set` fails (after `ok_sets` successful ones).
/// The real Secret Service, with its `set` going through `hook` (which
/// gets the real store to call, or not).
/// What a [`SetHook`] does in place of `set`.
trait Hook: Fn(&KeyringStore, &str, &Secret) -> Result<(), StoreError> + Send + Sync + 'static {}
impl<F: Fn(&KeyringStore, &str, &Secret) -> Result<(), StoreError> + Send + Sync + 'static> Hook
    for F
{
}

struct SetHook<F: Hook> {
    inner: KeyringStore,
    hook: F,
}

impl<F: Hook> SecretStore for SetHook<F> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        self.inner.preflight()
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.inner.get(account)
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        (self.hook)(&self.inner, account, secret)
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.inner.delete(account)
    }
}

fn injected() -> StoreError {
    StoreError::Other("injected failure".into())
}

#[test]
fn failed_rotation_keeps_old_secret_and_config_bytes() {
    let (ks, _dir, path, email) = stored("rotate");
    let before = std::fs::read(&path).unwrap();

    let failing = SetHook {
        inner: KeyringStore::new(),
        hook: |_: &KeyringStore, _: &str, _: &Secret| Err(injected()),
    };
    let req = new_request(&email);
    let r = storage::save_verified(&failing, &path, &req, SystemTime::now());
    assert!(matches!(r, Err(SaveError::Store(_))), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(ks.get(&email).unwrap().unwrap().expose(), GOOD);
    assert_eq!(secret_tool_lookup(&email).as_deref(), Some(GOOD));

    // Through the command, too: exit 5 and nothing changed.
    let (code, _, err) = store_cmd(&failing, &path, &email, OTHER_GOOD);
    assert_eq!(code, Exit::Keyring, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(secret_tool_lookup(&email).as_deref(), Some(GOOD));
    ks.delete(&email).unwrap();
}

/// A save whose old password cannot be put back says what it knows (not
/// "as they were") and what to run; the verified new password is not lost:
/// the next run (`password`, as a mail client runs it) finishes the save
/// (issue 17).
#[test]
fn a_save_that_cannot_put_the_old_password_back_says_so_and_the_next_run_settles_it() {
    let (ks, _dir, path, email) = stored("unsettled");

    // Writing the main entry fails (and so does putting the old one
    // back); the staging entry works.
    let failing = SetHook {
        inner: KeyringStore::new(),
        hook: |ks: &KeyringStore, account: &str, secret: &Secret| {
            if account.starts_with("staging:") {
                ks.set(account, secret)
            } else {
                Err(injected())
            }
        },
    };
    let (code, _, err) = store_cmd(&failing, &path, &email, OTHER_GOOD);
    assert_eq!(code, Exit::Keyring, "{err}");
    assert!(!err.contains("as they were"), "{err}");
    assert!(err.contains("not certain"), "{err}");
    assert!(
        err.contains(&format!("icloud-mail-setup password {email}")),
        "{err}"
    );
    assert!(!err.contains(OTHER_GOOD) && !err.contains(GOOD), "{err}");
    // The main entry still has the old password; the new one is staged.
    assert_eq!(secret_tool_lookup(&email).as_deref(), Some(GOOD));
    assert_eq!(
        secret_tool_lookup(&format!("staging:{email}")).as_deref(),
        Some(OTHER_GOOD)
    );

    // The command it names settles it: the new password, which passed
    // both checks, is now the one in use, and nothing is left over.
    let err = assert_serves_and_settled(&ks, &path, &email, OTHER_GOOD, "unsettled");
    assert!(err.contains("has now been finished"), "{err}");
    ks.delete(&email).unwrap();
}

/// Once the first `set` of `account` has landed, the config file is
/// swapped for a directory (every config write fails from then on); with
/// `heal`, the next `set` of that account (putting the old password back)
/// swaps it back first.
struct ConfigBreaker {
    path: PathBuf,
    account: String,
    heal: bool,
    sets: std::sync::Mutex<usize>,
}

impl ConfigBreaker {
    fn aside(&self) -> PathBuf {
        self.path.with_extension("aside")
    }
    /// Put the config file back where it was (if still broken).
    fn mend(&self) {
        if self.path.is_dir() {
            std::fs::remove_dir(&self.path).unwrap();
            std::fs::rename(self.aside(), &self.path).unwrap();
        }
    }
    fn set(&self, ks: &KeyringStore, account: &str, secret: &Secret) -> Result<(), StoreError> {
        if account != self.account {
            return ks.set(account, secret);
        }
        let mut sets = self.sets.lock().unwrap();
        *sets += 1;
        if *sets == 2 && self.heal {
            self.mend();
        }
        ks.set(account, secret)?;
        if *sets == 1 {
            std::fs::rename(&self.path, self.aside()).unwrap();
            std::fs::create_dir(&self.path).unwrap();
        }
        Ok(())
    }
}

/// The config failing at each of its two writes of a save, against the
/// real Secret Service: after the new password is staged (step 2), and
/// after the main entry was replaced (step 4), with the roll back cleaning
/// up or not. In each case no working password is lost, the error says
/// what storage knows, and the next run (`password`) settles it (issue 17).
#[test]
fn a_config_write_failing_at_each_step_of_a_save_loses_no_password() {
    require_bus();
    let ks = KeyringStore::new();
    for (case, account_of, heal) in [
        ("step 2", "staging", false),
        ("step 4, rolled back", "main", true),
        ("step 4, not cleaned up", "main", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = config_in(&dir);
        let email = unique_email("cfgfail");
        let staging = icloud_mail_setup::domain::keyring::staging_account(&email);
        assert_eq!(store_cmd(&ks, &path, &email, GOOD).0, Exit::Ok, "{case}");
        let before = std::fs::read(&path).unwrap();
        let breaker = std::sync::Arc::new(ConfigBreaker {
            path: path.clone(),
            account: if account_of == "staging" {
                staging.clone()
            } else {
                email.clone()
            },
            heal,
            sets: std::sync::Mutex::new(0),
        });
        let req = new_request(&email);
        let hooked = breaker.clone();
        let store = SetHook {
            inner: KeyringStore::new(),
            hook: move |ks: &KeyringStore, account: &str, secret: &Secret| {
                hooked.set(ks, account, secret)
            },
        };
        let r = storage::save_verified(&store, &path, &req, SystemTime::now());
        let e = r.expect_err(case);
        breaker.mend();
        // The main entry holds the old, working password in every case.
        assert_eq!(secret_tool_lookup(&email).as_deref(), Some(GOOD), "{case}");
        match case {
            "step 2" => {
                assert!(matches!(e, SaveError::Config(_)), "{case}: {e:?}");
                assert!(e.left_as_before(), "{case}");
                assert_eq!(secret_tool_lookup(&staging), None, "{case}");
                assert_eq!(std::fs::read(&path).unwrap(), before, "{case}");
            }
            "step 4, rolled back" => {
                assert!(matches!(e, SaveError::Config(_)), "{case}: {e:?}");
                assert!(e.left_as_before(), "{case}");
                assert_eq!(secret_tool_lookup(&staging), None, "{case}");
                let c = config::load(&path).unwrap();
                let entry = c.find(&email).unwrap();
                assert!(entry.pending.is_none(), "{case}");
                assert_ne!(entry.label.as_deref(), Some("new"), "{case}");
            }
            _ => {
                // The config could not be cleaned: it says so.
                assert!(!e.left_as_before(), "{case}: {e}");
                let said = e.to_string();
                assert!(said.contains("could not be fully cleaned up"), "{said}");
                assert!(
                    said.contains(&format!("icloud-mail-setup password {email}")),
                    "{said}"
                );
                assert!(!said.contains(OTHER_GOOD) && !said.contains(GOOD), "{said}");
            }
        }
        // The next run settles whatever was left, and answers with the
        // password that works.
        assert_serves_and_settled(&ks, &path, &email, GOOD, case);
        ks.delete(&email).unwrap();
    }
}

/// Runs only as a child of `no_secret_service_means_exit_5`.
#[test]
#[ignore = "run by no_secret_service_means_exit_5 in a child process"]
fn probe_commands_without_secret_service() {
    let dir = std::env::var("IMS_DIR").unwrap();
    let path = Path::new(&dir).join("config.toml");
    let ks = KeyringStore::new();
    let (code, out, err) = store_cmd(&ks, &path, "probe@icloud.com", GOOD);
    assert_eq!(code, Exit::Keyring, "{out}\n{err}");
    assert!(
        err.contains("gnome-keyring") && err.contains("dbus-run-session"),
        "{err}"
    );
    assert!(
        !out.contains("IMAP"),
        "checked although the keyring is unavailable: {out}"
    );
    assert!(!path.exists(), "config written");

    // password: configured account, keyring unreachable → 5
    let other = Path::new(&dir).join("other.toml");
    std::fs::write(
        &other,
        "[[account]]\nemail = \"probe@icloud.com\"\nlogin = \"probe@icloud.com\"\n",
    )
    .unwrap();
    let before = std::fs::read(&other).unwrap();
    let (code, out, err) = password_cmd(&ks, &other, "probe@icloud.com");
    assert_eq!(code, Exit::Keyring, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("dbus-run-session"), "{err}");

    // list: still lists, "unknown"
    let (code, o, _) = list_json(&ks, &other);
    assert_eq!(code, Exit::Ok);
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert!(v[0]["password_stored"].is_null(), "{v}");
    assert_eq!(std::fs::read(&other).unwrap(), before);
    println!("PROBE-OK");
}

#[test]
fn no_secret_service_means_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    common::Bin::probe("commands_keyring::probe_commands_without_secret_service")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env("IMS_DIR", dir.path())
        .run()
        .assert_probe_ok("without a Secret Service");
}

/// A memory store that refuses every write (a full disk, a keyring that
/// went read-only), reads and deletes working.
struct RefusesWrites(icloud_mail_setup::domain::keyring::MemoryStore);

impl SecretStore for RefusesWrites {
    fn name(&self) -> String {
        "read-only store".into()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        self.0.preflight()
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.0.get(account)
    }
    fn set(&self, _: &str, _: &Secret) -> Result<(), StoreError> {
        Err(StoreError::Other("no space left on device".into()))
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.0.delete(account)
    }
}

/// A save cut short after the new password (verified) was staged and
/// recorded as `pending`, and the keyring now refuses writes, so
/// `password` cannot settle it: it says so, and hands out the staged,
/// verified password rather than the main entry's old one.
#[test]
fn password_hands_out_the_staged_password_while_a_pending_save_cannot_settle() {
    use icloud_mail_setup::domain::keyring::{MemoryStore, staging_account};
    let dir = tempfile::tempdir().unwrap();
    let path = config_in(&dir);
    let email = "pending-full@icloud.com";
    let memory = MemoryStore::new();
    let (code, out, err) = store_cmd(&memory, &path, email, &format!("{GOOD}\n"));
    assert_eq!(code, Exit::Ok, "{out}\n{err}");
    // What a run stopped between steps 2 and 3 of a save leaves.
    memory
        .set(&staging_account(email), &Secret::new(OTHER_GOOD.into()))
        .unwrap();
    let entry = config::load(&path).unwrap().find(email).cloned().unwrap();
    config::update(&path, |c| {
        c.accounts[0].pending = Some(Box::new(entry.clone()))
    })
    .unwrap();

    let store = RefusesWrites(memory);
    let (code, out, err) = password_cmd(&store, &path, email);
    assert_eq!(code, Exit::Ok, "{err}");
    assert_eq!(out, format!("{OTHER_GOOD}\n"), "{err}");
    assert!(err.contains("could not settle an unfinished save"), "{err}");
    assert_eq!(store.get(email).unwrap().unwrap().expose(), GOOD);
}
