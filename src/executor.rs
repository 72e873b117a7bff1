//! Carries out the wizard's effects and feeds results back as messages,
//! for both front ends (the TUI and plain mode).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use crate::config;
use crate::mail::Checker;
use crate::secrets::SecretStore;
use crate::storage;
use crate::wizard::{AccountSummary, Effect, Msg};

/// Opens links in a browser.
pub trait Opener: Send + Sync + 'static {
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The desktop's default browser (`xdg-open`, `open`, `start`).
pub struct BrowserOpener;

impl Opener for BrowserOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        open::that_detached(url).map_err(|e| e.to_string())
    }
}

/// The outside world the wizard talks to.
#[derive(Clone)]
pub struct Io {
    pub checker: Arc<dyn Checker>,
    pub store: Arc<dyn SecretStore>,
    pub config_path: PathBuf,
    pub opener: Arc<dyn Opener>,
}

pub struct Executor {
    io: Io,
    tx: UnboundedSender<Msg>,
    running: HashMap<u64, Vec<AbortHandle>>,
}

impl Executor {
    pub fn new(io: Io) -> (Executor, UnboundedReceiver<Msg>) {
        let (tx, rx) = unbounded_channel();
        (
            Executor {
                io,
                tx,
                running: HashMap::new(),
            },
            rx,
        )
    }

    /// For other sources of messages (signals).
    pub fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    /// Start an effect; its result arrives later as a message. Returns
    /// `true` for `Quit`.
    pub fn run(&mut self, effect: Effect) -> bool {
        let tx = self.tx.clone();
        match effect {
            Effect::CheckKeyring => {
                let store = self.io.store.clone();
                tokio::task::spawn_blocking(move || {
                    let r = store.preflight().map(|()| store.name());
                    let _ = tx.send(Msg::KeyringChecked(r));
                });
            }
            Effect::LoadAccounts => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let r = config::load(&path)
                        .map(|c| {
                            c.accounts
                                .into_iter()
                                .map(AccountSummary::from_entry)
                                .collect()
                        })
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::AccountsLoaded(r));
                });
            }
            Effect::LoadSecret { run, email } => {
                let store = self.io.store.clone();
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    // A save an earlier run did not finish is settled
                    // first, so the password checked is the one in use.
                    match storage::recover(store.as_ref(), &path, &email) {
                        Ok(Some(r)) => {
                            let _ = tx.send(Msg::Note(r.to_string()));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            let _ = tx.send(Msg::Note(format!(
                                "Could not settle an unfinished save of {email}: {e}"
                            )));
                        }
                    }
                    let result = store.get(&email);
                    let _ = tx.send(Msg::SecretLoaded { run, result });
                });
            }
            Effect::Verify {
                run,
                account,
                password,
                protocols,
                settings,
            } => {
                let checker = settings
                    .and_then(|s| self.io.checker.with_settings(*s))
                    .unwrap_or_else(|| self.io.checker.clone());
                let handles = protocols
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
                    .collect();
                self.running
                    .retain(|_, hs| hs.iter().any(|h| !h.is_finished()));
                self.running.insert(run, handles);
            }
            Effect::CancelVerify { run } => {
                for h in self.running.remove(&run).unwrap_or_default() {
                    h.abort();
                }
            }
            Effect::Save(req) => {
                let store = self.io.store.clone();
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let r = storage::save_verified(store.as_ref(), &path, &req, SystemTime::now())
                        .map_err(|e| {
                            let hint = match &e {
                                storage::SaveError::Store(s) => s.hint().to_string(),
                                storage::SaveError::Config(_) => String::new(),
                            };
                            format!("{e}. {hint}").trim().to_string()
                        });
                    let _ = tx.send(Msg::Saved(r));
                });
            }
            Effect::MarkVerified { email } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    // Best effort: a failure here only leaves an older date.
                    let _ = storage::mark_verified(&path, &email, SystemTime::now());
                });
            }
            Effect::OpenUrl(url) => {
                let opener = self.io.opener.clone();
                tokio::task::spawn_blocking(move || {
                    let result = opener.open(&url);
                    let _ = tx.send(Msg::UrlOpened { url, result });
                });
            }
            Effect::Quit => {
                for (_, hs) in self.running.drain() {
                    for h in hs {
                        h.abort();
                    }
                }
                return true;
            }
        }
        false
    }
}
