//! The wizard's checks of a password, and the record of a stored one's
//! pass. A stored account is settled and recorded through the check
//! service ([`crate::domain::check`]), as `verify` does: the rule "a check
//! against other servers records nothing" is the service's.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::Io;
use crate::app::wizard::{AccountSummary, Msg};
use crate::domain::account::Account;
use crate::domain::check;
use crate::domain::config::ConfigError;
use crate::domain::mail::{CheckSettings, Checker, Protocol};
use crate::domain::storage::{self, CheckResult, Recorded};
use crate::sys::secret::Secret;

/// Read `email`'s stored password, once a save an earlier run did not
/// finish is settled (said in a note), so the password checked is the one
/// in use.
pub(super) fn load_secret(io: &Io, tx: &UnboundedSender<Msg>, run: u64, email: &str) -> Msg {
    if let Some(settled) = check::settle(io.store.as_ref(), &io.config_path, email) {
        let _ = tx.send(Msg::Note(settled.sentence()));
    }
    let result = io.store.get(email);
    Msg::SecretLoaded { run, result }
}

/// Start a check of `password` for each of `protocols`; each report comes
/// back as [`Msg::CheckDone`]. The handles stop them.
pub(super) fn start(
    checker: &Arc<dyn Checker>,
    tx: &UnboundedSender<Msg>,
    run: u64,
    account: &Account,
    password: &Secret,
    protocols: Vec<Protocol>,
) -> Vec<AbortHandle> {
    protocols
        .into_iter()
        .map(|p| {
            let fut = checker.check(p, account.clone(), password.clone());
            let tx = tx.clone();
            tokio::spawn(async move {
                let report = fut.await;
                let _ = tx.send(Msg::CheckDone { run, report });
            })
            .abort_handle()
        })
        .collect()
}

/// Record that `entry`'s stored password passed both checks made with
/// `settings`, with the usernames (IMAP, SMTP) they accepted, through the
/// check service: `None` when those were other servers than the
/// account's (nothing is recorded).
pub fn record_pass(
    config_path: &Path,
    entry: &AccountSummary,
    settings: &CheckSettings,
    (imap, smtp): (Option<&str>, Option<&str>),
) -> Option<Result<Recorded, ConfigError>> {
    let check = storage::Check {
        imap_username: imap,
        smtp_username: smtp,
        ..storage::Check::of(CheckResult::Ok, entry.stored_at.as_deref())
    };
    check::record(config_path, entry, settings, check)
}
