//! Carries out the wizard's effects and feeds results back as messages,
//! for both front ends (the TUI and plain mode).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use std::sync::Mutex;

use crate::app::wizard::ClientOffer;
use crate::app::wizard::{Effect, Msg};
use crate::domain::check;
use crate::domain::config;
use crate::domain::export;
use crate::domain::keyring::SecretStore;
use crate::domain::mail::CheckSettings;
use crate::domain::mail::Checker;
use crate::domain::storage;
use crate::sys::clipboard::{self, Clipboard, Copied};

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
        let tx = self.tx.clone();
        match effect {
            Effect::CheckKeyring => {
                let store = self.io.store.clone();
                tokio::task::spawn_blocking(move || {
                    let r = store.preflight().map(|()| store.name());
                    let _ = tx.send(Msg::KeyringChecked(r));
                });
            }
            Effect::UnlockKeyring { deadline } => {
                let store = self.io.store.clone();
                let stop = Arc::new(AtomicBool::new(false));
                self.unlock_stop = Some(stop.clone());
                tokio::task::spawn_blocking(move || {
                    let r = store.unlock(deadline, stop).map_err(|e| {
                        format!("{e}. {}", e.hint())
                            .trim_end_matches(". ")
                            .to_string()
                    });
                    let _ = tx.send(Msg::KeyringUnlocked(r));
                });
            }
            Effect::StopUnlock => {
                if let Some(stop) = self.unlock_stop.take() {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            Effect::LoadAccounts => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let r = config::load(&path)
                        .map(|c| c.accounts)
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
                    if let Some(settled) = check::settle(store.as_ref(), &path, &email) {
                        let _ = tx.send(Msg::Note(settled.sentence()));
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
                        .map_err(|e| crate::app::wizard::SaveFailed {
                            message: format!("{e}. {}", e.hint()).trim().to_string(),
                            left_as_before: e.left_as_before(),
                        });
                    let _ = tx.send(Msg::Saved(r));
                });
            }
            Effect::MarkVerified {
                email,
                stored_at,
                imap_username,
                smtp_username,
            } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    // Best effort: a failure here only leaves an older date.
                    let check = storage::Check {
                        result: storage::CheckResult::Ok,
                        stored_at: stored_at.as_deref(),
                        imap_username: imap_username.as_deref(),
                        smtp_username: smtp_username.as_deref(),
                    };
                    let _ = storage::mark_verified(&path, &email, SystemTime::now(), check);
                });
            }
            Effect::OpenUrl(url) => {
                let opener = self.io.opener.clone();
                tokio::task::spawn_blocking(move || {
                    let result = opener.open(&url);
                    let _ = tx.send(Msg::UrlOpened { url, result });
                });
            }
            Effect::CopyUrl(url) => {
                tokio::task::spawn_blocking(move || {
                    let result = copy_link(&url, |text| {
                        Clipboard::detect()
                            .copy_text(text)
                            .map_err(|e| e.to_string())
                    });
                    let _ = tx.send(Msg::LinkCopied { url, result });
                });
            }
            Effect::DetectClients { email } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let exported = config::load(&path)
                        .ok()
                        .and_then(|c| c.find(&email).map(|e| e.exported.clone()))
                        .unwrap_or_default();
                    let offers = export::Paths::from_env()
                        .map(|paths| offers(&paths))
                        .unwrap_or_default();
                    let _ = tx.send(Msg::ClientsDetected { offers, exported });
                });
            }
            Effect::PreviewExport {
                client,
                email,
                settings,
                given,
            } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let result = export_view(&path, &email, &settings, given).and_then(|view| {
                        let paths = export::Paths::from_env();
                        let file = match &paths {
                            Some(p) => client.config_path(p).map_err(|e| e.to_string())?,
                            None => return Err("there is no home directory".to_string()),
                        };
                        let text = client
                            .render(
                                &view,
                                &export::Versions::detect(paths.as_ref()),
                                &export::elsewhere(&file, &view.email),
                            )
                            .map_err(|e| e.to_string())?;
                        let file = file.display().to_string();
                        let shown = if client == export::Client::Git {
                            text
                        } else {
                            export::install::block(&view.email, &text)
                        };
                        Ok((file, shown))
                    });
                    let _ = tx.send(Msg::ExportPreviewed { client, result });
                });
            }
            Effect::WriteExport {
                client,
                email,
                settings,
                given,
            } => {
                let path = self.io.config_path.clone();
                tokio::task::spawn_blocking(move || {
                    let result = export_view(&path, &email, &settings, given).and_then(|view| {
                        let paths = export::Paths::from_env();
                        let outcome = export::write(client, &view, paths.as_ref(), None)
                            .map_err(|e| e.to_string())?;
                        export::record_exported(&path, &view.email, client)
                            .map_err(|e| format!("written, but not recorded in our config: {e}"))?;
                        let mut said = describe_outcome(&outcome);
                        if client == export::Client::Git
                            && let Some(w) = export::git::chain_warning(&view, paths.as_ref())
                        {
                            said.push_str(&format!("; but {w}"));
                        }
                        Ok(said)
                    });
                    let _ = tx.send(Msg::ExportWritten { client, result });
                });
            }
            Effect::CopyPassword { email } => {
                let store = self.io.store.clone();
                self.copies += 1;
                let number = self.copies;
                tokio::task::spawn_blocking(move || {
                    let result = copy_password(store.as_ref(), &email, number);
                    let _ = tx.send(Msg::PasswordCopied(result));
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

/// The clients worth offering: on `PATH`, or with a config already.
fn offers(paths: &export::Paths) -> Vec<ClientOffer> {
    export::detect(paths)
        .into_iter()
        .filter(|d| d.program.is_some() || d.existing_config.is_some())
        .map(|d| {
            let mut found = Vec::new();
            if d.program.is_some() {
                found.push("on PATH".to_string());
            }
            if let Some(c) = &d.existing_config {
                found.push(format!(
                    "{} exists",
                    crate::sys::text::escape_for_terminal(&c.display().to_string())
                ));
            }
            ClientOffer {
                client: d.client,
                found: found.join("; "),
            }
        })
        .collect()
}

fn export_view(
    config_path: &std::path::Path,
    email: &str,
    settings: &CheckSettings,
    given: (bool, bool),
) -> Result<export::AccountView, String> {
    let config = config::load(config_path).map_err(|e| e.to_string())?;
    let entry = config
        .find(email)
        .ok_or_else(|| format!("{email} is not in {}", config_path.display()))?;
    let me = crate::sys::text::Invocation::current(Some(config_path));
    export::AccountView::from_entry(entry, settings, given.0, given.1, me)
        .map_err(|e| e.to_string())
}

fn describe_outcome(o: &export::install::Outcome) -> String {
    use export::install::Outcome;
    match o {
        Outcome::Created { path } => format!("wrote {} (new)", path.display()),
        Outcome::Updated {
            path,
            backup,
            replaced,
        } => format!(
            "{} {} (the previous file is in {})",
            if *replaced {
                "updated its block in"
            } else {
                "added to"
            },
            path.display(),
            backup.display()
        ),
        Outcome::UpToDate { path } => format!("{} was already up to date", path.display()),
    }
}

/// The password on the clipboard, with the number of its copy: cleared
/// after [`clipboard::CLEAR_AFTER`], before a new copy, or at the end,
/// whichever is first.
static COPIED: Mutex<Option<(u64, Copied)>> = Mutex::new(None);
/// The program is on its way out: a copy finishing now is cleared at once.
static ENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Clear a password this process put on the clipboard, if any is still
/// there. Every way out calls this: quitting, the end of the event loop
/// whatever ended it, the panic hook, a forced exit after a signal.
pub fn clear_clipboard() {
    ENDING.store(true, std::sync::atomic::Ordering::SeqCst);
    // try_lock, a few times: this runs from the panic hook too, possibly on
    // a thread that already holds the lock (never wait on it forever).
    for _ in 0..20 {
        match COPIED.try_lock() {
            Ok(mut slot) => {
                if let Some((_, copied)) = slot.take() {
                    copied.clear();
                }
                return;
            }
            Err(std::sync::TryLockError::Poisoned(p)) => {
                if let Some((_, copied)) = p.into_inner().take() {
                    copied.clear();
                }
                return;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
        }
    }
}

/// Clear a password this process put on the clipboard, if any is still
/// there, before the process stops (Ctrl-Z): later copies stay allowed.
/// What was done, one line per channel; `None`: nothing was registered.
pub fn clear_clipboard_before_stop() -> Option<Vec<String>> {
    take_password_copy().map(|(_, copied)| copied.clear())
}

/// Take the password copy still registered, if any.
fn take_password_copy() -> Option<(u64, Copied)> {
    match COPIED.lock() {
        Ok(mut slot) => slot.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    }
}

/// Copy a link with `put`. A password copy still pending its clearing is
/// cleared first (every way it went) and dropped from the registry: the
/// password leaves the clipboard now, and its clearing later cannot wipe
/// the link (an empty OSC 52 goes out unconditionally; tmux's passthrough
/// cannot be read back).
fn copy_link(
    url: &str,
    put: impl FnOnce(&str) -> Result<String, String>,
) -> Result<String, String> {
    let cleared = take_password_copy().map(|(_, copied)| copied.clear());
    let how = put(url)?;
    Ok(match cleared {
        Some(_) => format!("{how}; the password copied before was cleared first"),
        None => how,
    })
}

/// Copy the stored password; clear it after [`clipboard::CLEAR_AFTER`]
/// unless a later copy (or the end) cleared it first.
fn copy_password(store: &dyn SecretStore, email: &str, number: u64) -> Result<String, String> {
    let slot = &COPIED;
    let secret = store
        .get(email)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the keyring holds no password for {email}"))?;
    // An earlier copy is cleared first (clearing after would also take
    // the new one, which holds the same password).
    if let Some((_, earlier)) = take_password_copy() {
        earlier.clear();
    }
    let copied = Clipboard::detect()
        .copy(&secret)
        .map_err(|e| e.to_string())?;
    let how = format!(
        "Copied the password via {}; it is cleared in {} s, or when you quit.",
        copied.summary(),
        clipboard::CLEAR_AFTER.as_secs()
    );
    if ENDING.load(std::sync::atomic::Ordering::SeqCst) {
        // Quitting began while this copy was made.
        copied.clear();
        return Err("the program is ending".into());
    }
    slot.lock()
        .map_err(|_| "the clipboard state is unusable".to_string())?
        .replace((number, copied));
    let _ = std::thread::Builder::new()
        .name("clipboard".into())
        .spawn(move || {
            std::thread::sleep(clipboard::CLEAR_AFTER);
            if let Ok(mut s) = slot.lock()
                && s.as_ref().is_some_and(|(n, _)| *n == number)
                && let Some((_, copied)) = s.take()
            {
                copied.clear();
            }
        });
    Ok(how)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::secret::Secret;

    /// A password copy waiting to be cleared would later send an empty
    /// OSC 52 (and clear tmux's passthrough) over a link copied meanwhile.
    /// Copying a link clears it first and takes it off the registry, so
    /// nothing is left to wipe the link.
    #[test]
    fn copying_a_link_clears_a_pending_password_copy_first() {
        let secret = Secret::new("abcd-efgh-ijkl-mnop".into());
        COPIED.lock().unwrap().replace((7, Copied::nowhere(secret)));
        let mut registered_while_putting = None;
        let how = copy_link("https://account.apple.com", |url| {
            assert_eq!(url, "https://account.apple.com");
            registered_while_putting = Some(COPIED.lock().unwrap().is_some());
            Ok("copied via xclip".into())
        })
        .unwrap();
        assert_eq!(
            registered_while_putting,
            Some(false),
            "the password copy was cleared before the link went out"
        );
        assert!(
            COPIED.lock().unwrap().is_none(),
            "nothing left to clear later"
        );
        assert!(how.contains("password copied before was cleared"), "{how}");
        // With nothing pending, a link copy says only how it went.
        let how = copy_link("x", |_| Ok("copied via xclip".into())).unwrap();
        assert_eq!(how, "copied via xclip");
        // A failed copy is an error, not a claim.
        assert!(copy_link("x", |_| Err("nowhere".into())).is_err());
    }
}
