//! For tests that use the real Secret Service on the test's private bus.

use std::time::{SystemTime, UNIX_EPOCH};

/// Fail (not skip) with a clear message when there is no session bus, or
/// when the Secret Service this run started with has gone away: the bus
/// then starts a fresh gnome-keyring with a locked keyring, and every
/// later test would fail as "locked" with nothing pointing at the cause.
pub fn require_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "DBUS_SESSION_BUS_ADDRESS is not set: these tests need a real Secret Service. Run them \
         through scripts/test (dbus-run-session + an unlocked gnome-keyring)."
    );
    static FIRST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let now = secret_service_owner();
    let first = FIRST.get_or_init(|| now.clone());
    assert_eq!(
        &now, first,
        "the Secret Service of this test run went away (its bus name moved from {first:?} to \
         {now:?}): the unlocked gnome-keyring started for the run is gone, and the one the bus \
         started instead has a locked keyring. Look at the first keyring failure of the run."
    );
}

/// The unique bus name that owns `org.freedesktop.secrets` (None: no
/// owner; the bus starts one on the first call).
fn secret_service_owner() -> Option<String> {
    let out = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply=literal",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetNameOwner",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .expect("dbus-send (package dbus) must be installed");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A unique, lowercase address per test and run.
pub fn unique_email(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}@icloud.com", std::process::id())
}

/// What `secret-tool` (libsecret, a second witness) finds for `account`
/// under our service; `None` when it finds nothing.
pub fn secret_tool_lookup(account: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "icloud-mail-setup",
            "username",
            account,
        ])
        .output()
        .expect("secret-tool (libsecret-tools) is installed (scripts/test installs it)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Put `password` in the keyring with `secret-tool`, as `store` would
/// (same service and attributes), without a live check.
pub fn secret_tool_store(account: &str, password: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("secret-tool")
        .args([
            "store",
            "--label",
            "test",
            "service",
            "icloud-mail-setup",
            "username",
            account,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool (libsecret-tools) is installed (scripts/test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write the password");
    assert!(child.wait().expect("secret-tool").success());
}
