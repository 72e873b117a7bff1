//! Property: whatever the keyring does during a save (fail, half-fail,
//! garble, or the process dying at any call), a working password is never
//! lost, the old one is never removed before the new one is staged and
//! read back, and once the next run has settled things the main entry
//! holds the old or the new password, with the config's label naming the
//! one it holds.
//!
//! Generators and the fault-injecting store: `tests/props/storage.rs`.

use crate::props;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use icloud_mail_setup::domain::config;
use icloud_mail_setup::domain::keyring::{MemoryStore, SecretStore, staging_account};
use icloud_mail_setup::domain::storage::{recover, save_verified};
use icloud_mail_setup::sys::secret::Secret;
use props::storage::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const CASES: u32 = 256;

fn runner() -> TestRunner {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    TestRunner::new(config)
}

/// A temporary directory, in memory where there is a tmpfs: every save
/// writes the config with fsync, which on a busy disk takes milliseconds.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().expect("a temporary directory")
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn read(store: &MemoryStore, account: &str) -> Option<String> {
    store
        .get(account)
        .expect("the memory store answers")
        .map(|s| s.expose().to_string())
}

/// The committed (not pending) config entry's label, if the account is
/// configured.
fn committed_label(path: &Path) -> Result<Option<Option<String>>, TestCaseError> {
    let c = config::load(path).map_err(|e| TestCaseError::fail(format!("config: {e}")))?;
    Ok(c.find(EMAIL).map(|e| e.label.clone()))
}

fn all_passwords(attempts: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..attempts).map(new_password).collect();
    v.push(OLD.into());
    v
}

/// A crash (our payload) is expected; any other panic is a real one.
fn crashed(payload: Box<dyn std::any::Any + Send>) -> Result<(), TestCaseError> {
    if payload.is::<Crash>() {
        return Ok(());
    }
    let what = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    Err(TestCaseError::fail(format!("the code panicked: {what}")))
}

/// A password that works is retrievable right now: the main entry holds
/// one of `candidates`, or the staging entry holds a verified one.
fn retrievable(
    inner: &MemoryStore,
    candidates: &[Option<String>],
    when: &str,
) -> Result<(), TestCaseError> {
    let main = read(inner, EMAIL);
    let staged = read(inner, &staging_account(EMAIL));
    prop_assert!(
        candidates.contains(&main) || (staged.is_some() && candidates.contains(&staged)),
        "{when}: no working password retrievable: main {main:?}, staging {staged:?}, \
         working ones {candidates:?}"
    );
    Ok(())
}

/// The next run with a healthy keyring settles what was left: the main
/// entry holds one of `candidates`, nothing is staged or pending, and the
/// config's label names the password in the main entry.
fn settle(
    inner: &MemoryStore,
    path: &Path,
    candidates: &mut Vec<Option<String>>,
) -> Result<(), TestCaseError> {
    recover(inner, path, EMAIL)
        .map_err(|e| TestCaseError::fail(format!("recover with a healthy keyring: {e}")))?;
    let main = read(inner, EMAIL);
    prop_assert!(
        candidates.contains(&main),
        "after recovery the main entry holds {main:?}, not one of {candidates:?}"
    );
    prop_assert_eq!(read(inner, &staging_account(EMAIL)), None);
    let c = config::load(path).map_err(|e| TestCaseError::fail(format!("config: {e}")))?;
    let entry = c.find(EMAIL);
    prop_assert!(
        entry.is_none_or(|e| e.pending.is_none()),
        "pending left after recovery"
    );
    match &main {
        None => prop_assert!(entry.is_none(), "configured with no password: {entry:?}"),
        Some(pw) => prop_assert_eq!(
            entry.and_then(|e| e.label.clone()),
            Some(label_of(pw)),
            "the config's label does not name the password in the main entry"
        ),
    }
    *candidates = vec![main];
    Ok(())
}

#[test]
fn a_failing_or_crashing_keyring_never_loses_the_working_password() {
    let crashes = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let finished_after_crash = AtomicUsize::new(0);
    let mut runner = runner();
    let cases = runner.config().cases as usize;
    runner
        .run(&scenario(), |sc| {
            let dir = scratch_dir();
            let path = dir.path().join("config.toml");
            let inner = Arc::new(MemoryStore::new());
            let staging = staging_account(EMAIL);
            let secrets = all_passwords(sc.attempts.len());
            let mut candidates: Vec<Option<String>> = vec![None];
            if sc.old {
                let mut req = request(0);
                req.secret = Secret::new(OLD.into());
                req.label = Some(label_of(OLD));
                save_verified(inner.as_ref(), &path, &req, t(0)).unwrap();
                candidates = vec![Some(OLD.into())];
            }
            for (i, attempt) in sc.attempts.iter().enumerate() {
                let new = new_password(i);
                let req = request(i);
                let store = FaultStore::new(inner.clone(), attempt.plan.clone());
                let r = catch_unwind(AssertUnwindSafe(|| {
                    save_verified(&store, &path, &req, t(10 + i as u64))
                }));
                if let Some(v) = write_ahead_violation(&store.calls(), EMAIL, &staging) {
                    return Err(TestCaseError::fail(format!("save {i}: {v}")));
                }
                match r {
                    Ok(Ok(_)) => {
                        prop_assert_eq!(read(&inner, EMAIL), Some(new.clone()));
                        prop_assert_eq!(committed_label(&path)?, Some(Some(label_of(&new))));
                        candidates = vec![Some(new.clone())];
                    }
                    Ok(Err(e)) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let shown = format!("{e} {e:?}");
                        for s in &secrets {
                            prop_assert!(
                                !shown.contains(s.as_str()),
                                "error shows a password: {shown}"
                            );
                        }
                        candidates.push(Some(new.clone()));
                    }
                    Err(payload) => {
                        crashes.fetch_add(1, Ordering::Relaxed);
                        crashed(payload)?;
                        candidates.push(Some(new.clone()));
                    }
                }
                retrievable(&inner, &candidates, &format!("after save {i}"))?;
                if committed_label(&path)? == Some(Some(label_of(&new))) {
                    prop_assert_eq!(
                        read(&inner, EMAIL),
                        Some(new.clone()),
                        "the config names the new password, the main entry holds another"
                    );
                }
                if let Some(plan) = &attempt.faulty_recover {
                    let store = FaultStore::new(inner.clone(), plan.clone());
                    let r = catch_unwind(AssertUnwindSafe(|| recover(&store, &path, EMAIL)));
                    if let Some(v) = write_ahead_violation(&store.calls(), EMAIL, &staging) {
                        return Err(TestCaseError::fail(format!("recovery after save {i}: {v}")));
                    }
                    match r {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => {
                            let shown = format!("{e} {e:?}");
                            for s in &secrets {
                                prop_assert!(
                                    !shown.contains(s.as_str()),
                                    "error shows a password: {shown}"
                                );
                            }
                        }
                        Err(payload) => crashed(payload)?,
                    }
                    retrievable(&inner, &candidates, &format!("after a faulty recovery {i}"))?;
                }
                if attempt.settle {
                    let crashed_here = attempt.plan.values().any(|f| f.crashes());
                    settle(&inner, &path, &mut candidates)?;
                    if crashed_here && candidates == vec![Some(new.clone())] {
                        finished_after_crash.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            settle(&inner, &path, &mut candidates)
        })
        .unwrap();
    // The faults really bit: saves crashed, failed, and were finished by
    // the next run.
    let (c, e, f) = (
        crashes.into_inner(),
        errors.into_inner(),
        finished_after_crash.into_inner(),
    );
    eprintln!("{c} crashes, {e} failed saves, {f} finished by the next run");
    assert!(
        cases < 128 || (c >= 20 && e >= 20 && f >= 5),
        "{c} crashes, {e} errors, {f} finished"
    );
}
