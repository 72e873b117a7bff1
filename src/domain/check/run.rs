//! Running both checks of one account while its password is still on its
//! way from the keyring, and the checker each account gets.

use crate::domain::account::Account;
use crate::domain::mail::{CheckReport, CheckSettings, Checker, LiveChecker, PendingPassword};

/// Builds the checker for one account's settings.
pub type MakeChecker<'a> = dyn Fn(CheckSettings) -> Box<dyn Checker> + Sync + 'a;

/// The production [`MakeChecker`]: a [`LiveChecker`].
pub fn live_checker(settings: CheckSettings) -> Box<dyn Checker> {
    Box::new(LiveChecker::new(settings))
}

/// What [`run_checks`] tells its caller as it goes.
pub enum Progress<'a> {
    /// The password is there: the logins are under way.
    PasswordRead,
    /// A check has finished (after `PasswordRead`, in the order they end).
    Report(&'a CheckReport),
}

/// Run both checks on a current-thread runtime, connecting while the
/// password is still on its way. Once it is there, `on_progress` hears
/// `PasswordRead`, then each report as it comes (those that came before,
/// first). `Ok(None)`: no password came; the checks were dropped and
/// nothing is reported. Until the password is there Ctrl-C ends the
/// process as it would during any keyring read; from then on it stops the
/// checks: `Err` carries the sentence to print (also when no runtime could
/// be made).
pub fn run_checks(
    checker: &dyn Checker,
    account: &Account,
    password: &PendingPassword,
    mut on_progress: impl FnMut(Progress<'_>),
) -> Result<Option<(CheckReport, CheckReport)>, String> {
    use futures::StreamExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: could not start the async runtime: {e}"))?;
    rt.block_on(async {
        let (tx, mut reports) = futures::channel::mpsc::unbounded();
        let checks =
            crate::domain::mail::check_both_pending(checker, account, password, move |r| {
                let _ = tx.unbounded_send(r.clone());
            });
        let mut checks = std::pin::pin!(checks);
        let mut finished = None;
        let known = tokio::select! {
            p = password.get() => p,
            both = &mut checks => {
                finished = Some(both);
                password.get().await
            }
        };
        if known.is_none() {
            return Ok(None);
        }
        on_progress(Progress::PasswordRead);
        let rest = async {
            let both = async {
                match finished {
                    Some(both) => both,
                    None => checks.await,
                }
            };
            let shown = async {
                // check_both_pending reports each of the two checks once.
                for _ in 0..2 {
                    if let Some(r) = reports.next().await {
                        on_progress(Progress::Report(&r));
                    }
                }
            };
            futures::future::join(both, shown).await.0
        };
        tokio::select! {
            both = rest => Ok(Some(both)),
            _ = tokio::signal::ctrl_c() => Err("Cancelled. Nothing was changed.".to_string()),
        }
    })
}
