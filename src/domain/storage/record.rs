//! Recording what a check of a stored password found, under the config
//! lock.

use std::path::Path;
use std::time::SystemTime;

use super::timestamp;
use crate::domain::config::{self, ConfigError};

/// Record that the stored password of `email` passed a live check now
/// (which also ends any `rejected_since`: see [`record_check`]).
/// An account that is not in the config is left alone (nothing is written).
pub fn mark_verified(
    config_path: &Path,
    email: &str,
    now: SystemTime,
    check: Check<'_>,
) -> Result<Recorded, ConfigError> {
    record_check(
        config_path,
        email,
        now,
        Check {
            result: CheckResult::Ok,
            ..check
        },
    )
}

/// What a check of a stored password came to, as the config records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    /// The server accepted it.
    Ok,
    /// The server refused it: wrong or revoked.
    Rejected,
    /// The server could not be reached or did not answer properly.
    Network,
    /// The keyring could not give it (locked, unreachable).
    Keyring,
    /// The keyring holds none for this account.
    NoPassword,
    /// Anything else (a damaged config entry...).
    Error,
}

impl CheckResult {
    /// The word recorded as `check_result`.
    pub fn id(self) -> &'static str {
        match self {
            CheckResult::Ok => "ok",
            CheckResult::Rejected => "rejected",
            CheckResult::Network => "network",
            CheckResult::Keyring => "keyring",
            CheckResult::NoPassword => "no_password",
            CheckResult::Error => "error",
        }
    }
}

/// One check of an account's stored password, to record.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub result: CheckResult,
    /// The entry's `stored_at` as read *before* its password was read
    /// from the keyring: the password the check is about.
    pub stored_at: Option<&'a str>,
    /// On a pass, the usernames the servers accepted (recorded as the
    /// forms to use next time); `None` leaves the recorded one.
    pub imap_username: Option<&'a str>,
    pub smtp_username: Option<&'a str>,
}

impl Check<'_> {
    /// A check that found `result`, about the password stored at `stored_at`.
    pub fn of(result: CheckResult, stored_at: Option<&str>) -> Check<'_> {
        Check {
            result,
            stored_at,
            imap_username: None,
            smtp_username: None,
        }
    }
}

/// What became of a check to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded; the account's `rejected_since` afterwards.
    Yes { rejected_since: Option<String> },
    /// The account is no longer in the config: nothing was written.
    NoAccount,
    /// Its password was replaced (or is being replaced) since it was
    /// read: the verdict is about an old password, nothing was written.
    Replaced,
}

/// Record a check of `email`'s stored password, under the config lock:
/// `checked_at` and `check_result` always; a pass also sets `verified_at`,
/// the accepted usernames, and clears `rejected_since`; a rejection sets
/// `rejected_since` unless it is already set (the first rejection is the
/// one that counts). Other results say nothing about the password and
/// leave those alone. Nothing is written when the account is gone or its
/// password was replaced since the check read it (`stored_at` differs, or
/// a save is under way: `pending`).
pub fn record_check(
    config_path: &Path,
    email: &str,
    now: SystemTime,
    check: Check<'_>,
) -> Result<Recorded, ConfigError> {
    if config::load(config_path)?.find(email).is_none() {
        return Ok(Recorded::NoAccount);
    }
    let email = email.to_lowercase();
    let stamp = timestamp(now);
    config::update(config_path, |c| {
        let Some(e) = c.accounts.iter_mut().find(|a| a.email == email) else {
            return Recorded::NoAccount;
        };
        if e.pending.is_some() || e.stored_at.as_deref() != check.stored_at {
            return Recorded::Replaced;
        }
        e.checked_at = Some(stamp.clone());
        e.check_result = Some(check.result.id().to_string());
        match check.result {
            CheckResult::Ok => {
                e.verified_at = Some(stamp);
                e.rejected_since = None;
                if let Some(u) = check.imap_username {
                    e.imap_username = Some(u.to_string());
                }
                if let Some(u) = check.smtp_username {
                    e.smtp_username = Some(u.to_string());
                }
            }
            CheckResult::Rejected => {
                e.rejected_since.get_or_insert(stamp);
            }
            _ => {}
        }
        Recorded::Yes {
            rejected_since: e.rejected_since.clone(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::save_verified;
    use super::super::testing::*;
    use super::*;

    const OLD: Option<&str> = Some("2023-11-14T22:13:20Z");

    fn since(r: Recorded) -> Option<String> {
        match r {
            Recorded::Yes { rejected_since } => rejected_since,
            other => panic!("not recorded: {other:?}"),
        }
    }

    #[test]
    fn a_rejection_is_dated_once_and_cleared_by_a_pass_or_a_new_password() {
        let dir = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(dir.path());
        let rec = |at, r| record_check(&path, EMAIL, t(at), Check::of(r, OLD)).unwrap();
        assert_eq!(
            since(rec(10, CheckResult::Rejected)).as_deref(),
            Some("2023-11-14T22:13:30Z")
        );
        // A later rejection and a network failure keep the first date.
        rec(99, CheckResult::Rejected);
        let s = since(rec(200, CheckResult::Network));
        assert_eq!(s.as_deref(), Some("2023-11-14T22:13:30Z"));
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.check_result.as_deref(), Some("network"));
        assert_eq!(e.checked_at.as_deref(), Some("2023-11-14T22:16:40Z"));
        // A pass clears it.
        assert_eq!(since(rec(300, CheckResult::Ok)), None);
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.verified_at.as_deref(), Some("2023-11-14T22:18:20Z"));
        // So does saving a new password.
        rec(400, CheckResult::Rejected);
        save_verified(
            &store,
            &path,
            &request("qrst-uvwx-yzab-cdef", "new"),
            t(500),
        )
        .unwrap();
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.rejected_since, None);
        assert_eq!(e.check_result.as_deref(), Some("ok"));
        // An unknown account writes nothing.
        let before = std::fs::read(&path).unwrap();
        let r = record_check(
            &path,
            "nobody@icloud.com",
            t(600),
            Check::of(CheckResult::Rejected, OLD),
        );
        assert_eq!(r.unwrap(), Recorded::NoAccount);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_verdict_on_a_password_replaced_meanwhile_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (store, path, _) = with_old(dir.path());
        // The check read the old password (stored at t(0)); a new one was
        // saved before its verdict came.
        save_verified(&store, &path, &request("qrst-uvwx-yzab-cdef", "new"), t(5)).unwrap();
        let before = std::fs::read(&path).unwrap();
        let r = record_check(&path, EMAIL, t(9), Check::of(CheckResult::Rejected, OLD));
        assert_eq!(r.unwrap(), Recorded::Replaced);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // A save under way (`pending`) is not judged either.
        let now = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        config::update(&path, |c| {
            c.accounts[0].pending = Some(Box::new(now.clone()));
        })
        .unwrap();
        let before = std::fs::read(&path).unwrap();
        let r = record_check(
            &path,
            EMAIL,
            t(9),
            Check::of(CheckResult::Rejected, now.stored_at.as_deref()),
        );
        assert_eq!(r.unwrap(), Recorded::Replaced);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_pass_records_the_usernames_that_were_accepted() {
        let d = tempfile::tempdir().unwrap();
        let (_store, path, _) = with_old(d.path());
        record_check(&path, EMAIL, t(10), Check::of(CheckResult::Rejected, OLD)).unwrap();
        // Manual verify: "emily" refused, the full address accepted.
        let check = Check {
            result: CheckResult::Ok,
            stored_at: OLD,
            imap_username: Some(EMAIL),
            smtp_username: Some(EMAIL),
        };
        assert_eq!(
            since(record_check(&path, EMAIL, t(20), check).unwrap()),
            None
        );
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.imap_username.as_deref(), Some(EMAIL));
        assert_eq!(e.smtp_username.as_deref(), Some(EMAIL));
        // A rejection never changes them.
        let check = Check {
            result: CheckResult::Rejected,
            imap_username: Some("other"),
            ..check
        };
        record_check(&path, EMAIL, t(30), check).unwrap();
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.imap_username.as_deref(), Some(EMAIL));
    }

    #[test]
    fn mark_verified_touches_only_the_check_fields() {
        let d = tempfile::tempdir().unwrap();
        let (_store, path, _) = with_old(d.path());
        let check = Check::of(CheckResult::Ok, OLD);
        mark_verified(&path, "Emily@iCloud.com", t(3600), check).unwrap();
        let e = config::load(&path).unwrap().find(EMAIL).cloned().unwrap();
        assert_eq!(e.stored_at.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(e.verified_at.as_deref(), Some("2023-11-14T23:13:20Z"));
        assert_eq!(e.checked_at, e.verified_at);
        assert_eq!(e.label.as_deref(), Some("old"));
        assert_eq!(e.imap_username.as_deref(), Some("emily"));
        // Unknown account: nothing written.
        let none = d.path().join("none.toml");
        mark_verified(&none, EMAIL, t(1), check).unwrap();
        assert!(!none.exists());
    }
}
