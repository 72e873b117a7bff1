//! Carries out the wizard's effects and feeds results back as messages,
//! for both front ends (the TUI and plain mode). Each concept has its
//! file: the checks of a password and their record (`check.rs`), the
//! clipboard (`clipboard.rs`), the client exports (`export.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use crate::app::wizard::{Effect, Msg};
use crate::domain::config;
use crate::domain::keyring::SecretStore;
use crate::domain::mail::Checker;
use crate::domain::storage;
use crate::sys::clipboard::Clipboard;

mod check;
mod clipboard;
mod export;

pub use check::record_pass;
pub use clipboard::{clear_clipboard, clear_clipboard_before_stop};

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
    copies: u64,
    /// Set to stop waiting for the keyring's unlock prompt.
    unlock_stop: Option<Arc<AtomicBool>>,
}

impl Executor {
    pub fn new(io: Io) -> (Executor, UnboundedReceiver<Msg>) {
        let (tx, rx) = unbounded_channel();
        (
            Executor {
                io,
                tx,
                running: HashMap::new(),
                copies: 0,
                unlock_stop: None,
            },
            rx,
        )
    }

    /// For other sources of messages (signals).
    pub fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    /// Do `work` off the UI thread with the outside world; its answer
    /// comes back as a message.
    fn answer(&self, work: impl FnOnce(&Io, &UnboundedSender<Msg>) -> Msg + Send + 'static) {
        let (io, tx) = (self.io.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let msg = work(&io, &tx);
            let _ = tx.send(msg);
        });
    }

    /// Start an effect; its result arrives later as a message. Returns
    /// `true` for `Quit`.
    pub fn run(&mut self, effect: Effect) -> bool {
        if crate::sys::log::enabled() {
            // The password's forms first, so the filter knows them; the
            // effect's Debug shows a Secret as `<redacted>` anyway.
            match &effect {
                Effect::Verify { password, .. } => crate::sys::log::register_password(password),
                Effect::Save(req) => crate::sys::log::register_password(&req.secret),
                _ => {}
            }
            crate::log!(crate::sys::log::Component::Wizard, "effect {effect:?}");
        }
        match effect {
            Effect::CheckKeyring => self.answer(|io, _| {
                Msg::KeyringChecked(io.store.preflight().map(|()| io.store.name()))
            }),
            Effect::UnlockKeyring { deadline } => {
                let stop = Arc::new(AtomicBool::new(false));
                self.unlock_stop = Some(stop.clone());
                self.answer(move |io, _| {
                    let r = io.store.unlock(deadline, stop).map_err(|e| {
                        format!("{e}. {}", e.hint())
                            .trim_end_matches(". ")
                            .to_string()
                    });
                    Msg::KeyringUnlocked(r)
                });
            }
            Effect::StopUnlock => {
                if let Some(stop) = self.unlock_stop.take() {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            Effect::LoadAccounts => self.answer(|io, _| {
                let r = config::load(&io.config_path)
                    .map(|c| c.accounts)
                    .map_err(|e| e.to_string());
                Msg::AccountsLoaded(r)
            }),
            Effect::LoadSecret { run, email } => {
                self.answer(move |io, tx| check::load_secret(io, tx, run, &email))
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
                let handles = check::start(&checker, &self.tx, run, &account, &password, protocols);
                self.running
                    .retain(|_, hs| hs.iter().any(|h| !h.is_finished()));
                self.running.insert(run, handles);
            }
            Effect::CancelVerify { run } => {
                for h in self.running.remove(&run).unwrap_or_default() {
                    h.abort();
                }
            }
            Effect::Save(req) => self.answer(move |io, _| {
                let r = storage::save_verified(
                    io.store.as_ref(),
                    &io.config_path,
                    &req,
                    SystemTime::now(),
                )
                .map_err(|e| crate::app::wizard::SaveFailed {
                    message: format!("{e}. {}", e.hint()).trim().to_string(),
                    left_as_before: e.left_as_before(),
                });
                Msg::Saved(r)
            }),
            Effect::MarkVerified {
                entry,
                settings,
                imap_username,
                smtp_username,
            } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    // Best effort: a failure here only leaves an older date.
                    let users = (imap_username.as_deref(), smtp_username.as_deref());
                    let _ = record_pass(&path, &entry, &settings, users);
                });
            }
            Effect::OpenUrl(url) => self.answer(move |io, _| {
                let result = io.opener.open(&url);
                Msg::UrlOpened { url, result }
            }),
            Effect::CopyUrl(url) => self.answer(move |_, _| {
                let result = clipboard::copy_link(&url, |text| {
                    Clipboard::detect()
                        .copy_text(text)
                        .map_err(|e| e.to_string())
                });
                Msg::LinkCopied { url, result }
            }),
            Effect::DetectClients { email } => {
                self.answer(move |io, _| export::detect(&io.config_path, &email))
            }
            Effect::PreviewExport {
                client,
                email,
                settings,
                given,
            } => self.answer(move |io, _| Msg::ExportPreviewed {
                client,
                result: export::preview(&io.config_path, client, &email, &settings, given),
            }),
            Effect::WriteExport {
                client,
                email,
                settings,
                given,
            } => self.answer(move |io, _| Msg::ExportWritten {
                client,
                result: export::write(&io.config_path, client, &email, &settings, given),
            }),
            Effect::CopyPassword { email } => {
                self.copies += 1;
                let number = self.copies;
                self.answer(move |io, _| {
                    Msg::PasswordCopied(clipboard::copy_password(io.store.as_ref(), &email, number))
                });
            }
            Effect::Quit => {
                for (_, hs) in self.running.drain() {
                    for h in hs {
                        h.abort();
                    }
                }
                // A pending unlock is not waited for.
                if let Some(stop) = self.unlock_stop.take() {
                    stop.store(true, Ordering::SeqCst);
                }
                // The clipboard is not left holding the password.
                clear_clipboard();
                return true;
            }
        }
        false
    }
}
