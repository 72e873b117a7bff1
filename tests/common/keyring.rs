//! For tests that use the real Secret Service on the test's private bus.

use std::time::{SystemTime, UNIX_EPOCH};

/// Fail (not skip) with a clear message when there is no session bus.
pub fn require_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "DBUS_SESSION_BUS_ADDRESS is not set: these tests need a real Secret Service. Run them \
         through scripts/test (dbus-run-session + an unlocked gnome-keyring)."
    );
}

/// A unique, lowercase address per test and run.
pub fn unique_email(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}@icloud.com", std::process::id())
}
