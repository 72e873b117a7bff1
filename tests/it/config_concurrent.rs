//! `config::update` from many threads at once never loses an account, and
//! a corrupt file is reported with its line and left alone.

use std::sync::{Arc, Barrier};

use icloud_mail_setup::app::cli::{GlobalArgs, ListArgs};
use icloud_mail_setup::app::commands::{Exit, list};
use icloud_mail_setup::app::context::Context;
use icloud_mail_setup::domain::config::{self, AccountEntry, ConfigError};
use icloud_mail_setup::domain::keyring::MemoryStore;

/// An account with `email` as its address and login, nothing else set.
fn entry(email: &str) -> AccountEntry {
    AccountEntry::new(email, email)
}

#[test]
fn concurrent_updates_keep_every_account() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    for round in 0..25 {
        let threads = 4;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = barrier.clone();
                let path = path.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    config::update(&path, |c| {
                        c.upsert(entry(&format!("r{round}-t{t}@icloud.com")))
                    })
                    .unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let c = config::load(&path).unwrap();
        for t in 0..threads {
            assert!(
                c.find(&format!("r{round}-t{t}@icloud.com")).is_some(),
                "round {round}: lost t{t}: {c:?}"
            );
        }
    }
    assert_eq!(config::load(&path).unwrap().accounts.len(), 100);
}

#[test]
fn corrupt_config_is_reported_with_path_and_line_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let bad = b"[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n\n[[account]\n";
    std::fs::write(&path, bad).unwrap();

    let r = config::update(&path, |c| c.upsert(entry("b@icloud.com")));
    assert!(
        matches!(r, Err(ConfigError::Parse { line: 5, .. })),
        "{r:?}"
    );

    let globals = GlobalArgs {
        config: Some(path.clone()),
        ..GlobalArgs::default()
    };
    let store = MemoryStore::new();
    let ctx = Context::new(&globals, &store).unwrap();
    let (code, _, err) = ctx.capture(|ctx| list::run(ctx, ListArgs { json: false }));
    assert_eq!(code, Exit::Failure);
    assert!(
        err.contains(&format!("{}:5:", path.display())),
        "no path:line in {err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bad);
}

#[test]
fn a_lock_held_too_long_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    icloud_mail_setup::domain::config::update(&path, |_| ()).unwrap();
    let holder = std::fs::File::options()
        .read(true)
        .write(true)
        .open(icloud_mail_setup::domain::config::lock_path(&path))
        .unwrap();
    holder.lock().unwrap();
    let started = std::time::Instant::now();
    let r = icloud_mail_setup::domain::config::update(&path, |c| c.accounts.clear());
    let waited = started.elapsed();
    let err = r.expect_err("the lock is held elsewhere").to_string();
    assert!(err.contains("held this lock"), "{err}");
    assert!(
        waited >= icloud_mail_setup::domain::config::LOCK_WAIT,
        "{waited:?}"
    );
    assert!(
        waited < icloud_mail_setup::domain::config::LOCK_WAIT + std::time::Duration::from_secs(3)
    );
    drop(holder);
    icloud_mail_setup::domain::config::update(&path, |_| ()).unwrap();
}
