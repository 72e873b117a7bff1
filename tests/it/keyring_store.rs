//! `KeyringStore` against a real Secret Service (gnome-keyring on a private
//! session bus; see `scripts/test`). These tests fail, rather than skip,
//! when no session bus is configured.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use common::keyring::secret_tool_lookup;

use common::Bin;
use common::keyring::{require_bus, unique_email};

use std::process::Command;

use icloud_mail_setup::domain::keyring::{
    KeyringStore, SERVICE, SecretStore, StoreError, set_verified,
};
use icloud_mail_setup::sys::secret::Secret;

#[test]
fn store_read_back_and_secret_tool_agree() {
    require_bus();
    let store = KeyringStore::new();
    assert_eq!(store.name(), "Secret Service");
    store
        .preflight()
        .expect("the Secret Service should be reachable and unlocked");

    let email = unique_email("roundtrip");
    assert_eq!(store.get(&email).unwrap(), None);

    let first = Secret::new("abcd-efgh-ijkl-mnop".into());
    set_verified(&store, &email, &first).unwrap();
    assert_eq!(store.get(&email).unwrap(), Some(first.clone()));
    // Upper case in the account name reaches the same entry.
    assert_eq!(store.get(&email.to_uppercase()).unwrap(), Some(first));
    assert_eq!(
        secret_tool_lookup(&email).as_deref(),
        Some("abcd-efgh-ijkl-mnop")
    );

    // Replacing keeps one entry.
    let second = Secret::new("qrst-uvwx-yzab-cdef".into());
    set_verified(&store, &email, &second).unwrap();
    assert_eq!(store.get(&email).unwrap(), Some(second));
    let search = Command::new("secret-tool")
        .args(["search", "--all", "service", SERVICE, "username", &email])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&search.stdout).into_owned()
        + &String::from_utf8_lossy(&search.stderr);
    assert_eq!(listed.matches("[/").count(), 1, "{listed}");

    store.delete(&email).unwrap();
    assert_eq!(store.get(&email).unwrap(), None);
    assert_eq!(secret_tool_lookup(&email), None);
    // Deleting again is fine.
    store.delete(&email).unwrap();
}

#[test]
fn one_store_serves_many_threads() {
    require_bus();
    let store = std::sync::Arc::new(KeyringStore::new());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                let email = unique_email(&format!("thread{i}"));
                let s = Secret::new(format!("{}bcd-efgh-ijkl-mnop", (b'a' + i) as char));
                set_verified(&*store, &email, &s).unwrap();
                store.delete(&email).unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Runs only as a child of `no_secret_service_is_unavailable_with_a_hint`,
/// with the bus pointed at nothing.
#[test]
#[ignore = "run by no_secret_service_is_unavailable_with_a_hint in a child process"]
fn probe_without_secret_service() {
    assert_eq!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").as_deref(),
        Ok("unix:path=/nonexistent")
    );
    let store = KeyringStore::new();
    let p = Secret::new("abcd-efgh-ijkl-mnop".into());
    for (what, r) in [
        ("preflight", store.preflight()),
        ("get", store.get("probe@icloud.com").map(|_| ())),
        ("set", store.set("probe@icloud.com", &p)),
        ("delete", store.delete("probe@icloud.com")),
    ] {
        match r {
            Err(StoreError::Unavailable { reason, hint }) => {
                assert!(hint.contains("gnome-keyring"), "{what}: {hint}");
                assert!(hint.contains("dbus-run-session"), "{what}: {hint}");
                assert!(!reason.contains("abcd"), "{what}: {reason}");
            }
            other => panic!("{what}: expected Unavailable, got {other:?}"),
        }
    }
    println!("PROBE-OK");
}

#[test]
fn no_secret_service_is_unavailable_with_a_hint() {
    Bin::probe("keyring_store::probe_without_secret_service")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .run()
        .assert_probe_ok("without a Secret Service");
}

/// Runs only as a child of the tests below, in a session bus of its own
/// prepared as `IMS_EXPECT` says.
#[test]
#[ignore = "run by the tests below inside their own dbus-run-session"]
fn probe_expect() {
    let expect = std::env::var("IMS_EXPECT").unwrap_or_default();
    let store = KeyringStore::new();
    let p = Secret::new("abcd-efgh-ijkl-mnop".into());
    let started = std::time::Instant::now();
    for (what, r) in [
        ("preflight", store.preflight()),
        ("get", store.get("probe@icloud.com").map(|_| ())),
        ("set", store.set("probe@icloud.com", &p)),
    ] {
        match (&*expect, &r) {
            ("locked", Err(StoreError::Locked { hint })) => {
                assert!(hint.contains("gnome-keyring-daemon --unlock"), "{hint}")
            }
            ("no_collection", Err(StoreError::Unavailable { reason, .. })) => {
                assert!(reason.contains("no default keyring"), "{what}: {reason}")
            }
            _ => panic!("{what}: expected {expect}, got {r:?}"),
        }
    }
    // Nothing waited on a prompt.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    println!("PROBE-OK");
}

/// Run `probe_expect` under a fresh `dbus-run-session` after `setup`.
fn run_probe_in_own_session(expect: &str, setup: &str) {
    run_in_own_session("probe_expect", expect, setup)
}

/// Run the ignored test `name` under a fresh `dbus-run-session` after
/// `setup`, alone on that bus.
fn run_in_own_session(name: &str, expect: &str, setup: &str) {
    let data = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let script = format!("{setup}\nexec \"$0\" \"$@\"");
    Bin::program("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .arg(std::env::current_exe().unwrap())
        .args(common::bin::probe_args(&format!("keyring_store::{name}")))
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("IMS_EXPECT", expect)
        .run()
        .assert_probe_ok(name);
}

#[test]
fn locked_keyring_is_reported_without_prompting() {
    require_bus();
    run_probe_in_own_session(
        "locked",
        "printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         dbus-send --session --print-reply --dest=org.freedesktop.secrets \
         /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
         array:objpath:/org/freedesktop/secrets/collection/login >/dev/null",
    );
}

#[test]
fn secret_service_without_a_keyring_says_so() {
    require_bus();
    // Nothing started: the bus activates gnome-keyring, which has no
    // login keyring and so no default collection.
    run_probe_in_own_session("no_collection", "true");
}

/// The Secret Service calls made on the test's bus while `f` runs, as
/// `dbus-monitor` prints them.
fn secret_service_calls(f: impl FnOnce()) -> String {
    monitor(&["destination=org.freedesktop.secrets"], f)
}

/// Every message to and from the Secret Service (replies carry the
/// secrets `GetSecret` returns) while `f` runs.
fn secret_service_traffic(f: impl FnOnce()) -> String {
    monitor(
        &[
            "destination=org.freedesktop.secrets",
            "sender=org.freedesktop.secrets",
        ],
        f,
    )
}

/// What `dbus-monitor` prints for messages matching `rules` while `f` runs.
/// No fixed waits: a marker call to the Secret Service (a `Ping` on a path
/// of its own) is sent until the monitor shows it, so it is listening
/// before `f`; a second marker after `f` shows that all of `f`'s calls,
/// routed before it, were printed. The text between the two is returned.
fn monitor(rules: &[&str], f: impl FnOnce()) -> String {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    let mut monitor = Command::new("dbus-monitor")
        .arg("--session")
        .args(rules)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dbus-monitor (package dbus) must be installed");
    let seen = Arc::new(Mutex::new(String::new()));
    let reader = {
        let seen = seen.clone();
        let mut out = monitor.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mark = |name: &str| {
        let path = format!("path=/ims/monitor/{name};");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !seen.lock().unwrap().contains(&path) {
            assert!(
                std::time::Instant::now() < until,
                "dbus-monitor never showed the {name} marker"
            );
            // Answered (with an error: no such object) after the bus has
            // routed it past the monitor.
            let _ = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    &format!("/ims/monitor/{name}"),
                    "org.freedesktop.DBus.Peer.Ping",
                ])
                .output();
        }
    };
    mark("start");
    f();
    mark("end");
    let _ = monitor.kill();
    let _ = monitor.wait();
    reader.join().unwrap();
    let text = seen.lock().unwrap().clone();
    let line_of = |needle: &str, last: bool| {
        let at = if last {
            text.rfind(needle)
        } else {
            text.find(needle)
        }
        .unwrap();
        (
            text[..at].rfind('\n').map_or(0, |n| n + 1),
            text[at..].find('\n').map_or(text.len(), |n| at + n + 1),
        )
    };
    let (_, after_start) = line_of("path=/ims/monitor/start;", true);
    let (before_end, _) = line_of("path=/ims/monitor/end;", false);
    text[after_start..before_end].to_string()
}

fn senders(calls: &str) -> std::collections::BTreeSet<String> {
    calls
        .lines()
        .filter(|l| l.starts_with("method call"))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("sender=")))
        .map(str::to_string)
        .collect()
}

const UNLOCKED: &str =
    "printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null";

#[test]
fn a_whole_staged_save_uses_one_connection_and_one_session() {
    require_bus();
    run_in_own_session("probe_one_connection", "", UNLOCKED);
}

#[test]
fn existence_is_answered_without_reading_the_secret() {
    require_bus();
    run_in_own_session("probe_existence", "", UNLOCKED);
}

/// Alone on its bus (see above), so the monitor sees only this process.
#[test]
#[ignore = "run by a_whole_staged_save_uses_one_connection_and_one_session"]
fn probe_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let email = unique_email("oneconn");
    let store = KeyringStore::new();
    let account = icloud_mail_setup::domain::account::Account::new(
        icloud_mail_setup::domain::account::Email::parse(&email).unwrap(),
        icloud_mail_setup::domain::account::Email::parse(&email).unwrap(),
    );
    let request = |pw: &str| icloud_mail_setup::domain::storage::SaveRequest {
        account: account.clone(),
        secret: Secret::new(pw.into()),
        imap_username: email.clone(),
        smtp_username: email.clone(),
        label: None,
        settings: icloud_mail_setup::domain::mail::CheckSettings::default(),
    };
    let calls = secret_service_calls(|| {
        store.preflight().unwrap();
        icloud_mail_setup::domain::storage::save_verified(
            &store,
            &config,
            &request("abcd-efgh-ijkl-mnop"),
            std::time::SystemTime::now(),
        )
        .unwrap();
        icloud_mail_setup::domain::storage::save_verified(
            &store,
            &config,
            &request("qrst-uvwx-yzab-cdef"),
            std::time::SystemTime::now(),
        )
        .unwrap();
    });
    assert_eq!(
        secret_tool_lookup(&email).as_deref(),
        Some("qrst-uvwx-yzab-cdef")
    );
    store.delete(&email).unwrap();
    // The monitor saw the work (so the counts below can fail)...
    assert!(calls.matches("member=CreateItem").count() >= 2, "{calls}");
    assert!(calls.matches("member=GetSecret").count() >= 4, "{calls}");
    // ...all of it from one connection: a plain session for the
    // pre-flight, then one encrypted session, opened before the first
    // call that carries a secret and used for every one of them.
    assert_eq!(senders(&calls).len(), 1, "{calls}");
    assert_eq!(calls.matches("member=OpenSession").count(), 2, "{calls}");
    let at = |needle: &str| calls.find(needle).unwrap_or(usize::MAX);
    assert!(
        at("string \"plain\"") < at("string \"dh-ietf1024"),
        "{calls}"
    );
    assert!(
        at("string \"dh-ietf1024") < at("member=GetSecret"),
        "{calls}"
    );
    assert!(
        at("string \"dh-ietf1024") < at("member=CreateItem"),
        "{calls}"
    );
    println!("PROBE-OK");
}

#[test]
fn a_password_crosses_the_bus_only_encrypted() {
    require_bus();
    run_in_own_session("probe_encrypted", "", UNLOCKED);
}

/// Byte arrays in `dbus-monitor` output that hold `needle`, whether
/// printed as text (`array of bytes "..."`) or as hex lines.
fn arrays_holding(traffic: &str, needle: &[u8]) -> usize {
    let holds = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let mut count = 0;
    let mut lines = traffic.lines();
    while let Some(line) = lines.next() {
        if let Some(text) = line.split("array of bytes \"").nth(1) {
            count += usize::from(holds(text.as_bytes()));
        } else if line.trim_end().ends_with("array of bytes [") {
            let mut bytes = Vec::new();
            for hex in lines.by_ref().take_while(|l| l.trim() != "]") {
                bytes.extend(
                    hex.split_whitespace()
                        .filter_map(|b| u8::from_str_radix(b, 16).ok()),
                );
            }
            count += usize::from(holds(&bytes));
        }
    }
    count
}

/// Alone on its bus (see above): every call this program makes, and a
/// control that sends the same bytes in the clear.
#[test]
#[ignore = "run by a_password_crosses_the_bus_only_encrypted"]
fn probe_encrypted() {
    const PW: &str = "wire-test-pass-word";
    let email = unique_email("wire");
    let store = KeyringStore::new();
    let traffic = secret_service_traffic(|| {
        store.preflight().unwrap();
        assert!(!store.exists(&email).unwrap());
        set_verified(&store, &email, &Secret::new(PW.into())).unwrap();
        assert_eq!(store.get(&email).unwrap().unwrap().expose(), PW);
        assert!(store.exists(&email).unwrap());
        store.delete(&email).unwrap();
        // The control: what a password sent in the clear looks like to a
        // monitor (an argument Ping refuses, but the monitor sees it).
        let bytes: Vec<String> = PW.bytes().map(|b| b.to_string()).collect();
        let _ = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.DBus.Peer.Ping",
            ])
            .arg(format!("array:byte:{}", bytes.join(",")))
            .output();
    });
    // The work was seen, secrets went both ways...
    assert!(traffic.contains("member=CreateItem"), "{traffic}");
    assert!(traffic.contains("member=GetSecret"), "{traffic}");
    // ...and only the control shows the password.
    assert_eq!(arrays_holding(&traffic, PW.as_bytes()), 1, "{traffic}");
    assert_eq!(traffic.matches(PW).count(), 1, "{traffic}");
    println!("PROBE-OK");
}

/// Alone on its bus (see above).
#[test]
#[ignore = "run by existence_is_answered_without_reading_the_secret"]
fn probe_existence() {
    let email = unique_email("exists");
    let store = KeyringStore::new();
    set_verified(&store, &email, &Secret::new("abcd-efgh-ijkl-mnop".into())).unwrap();
    let mut answers = Vec::new();
    let calls = secret_service_calls(|| {
        answers.push(store.exists(&email).unwrap());
        answers.push(store.exists(&unique_email("absent")).unwrap());
    });
    store.delete(&email).unwrap();
    assert_eq!(answers, [true, false]);
    assert!(calls.contains("member=SearchItems"), "{calls}");
    assert!(!calls.contains("member=GetSecret"), "{calls}");
    println!("PROBE-OK");
}
