//! The password and links on the clipboard: a password copy is cleared
//! after [`clipboard::CLEAR_AFTER`], before a new copy or a link, or at the
//! end, whichever is first.

use std::sync::Mutex;

use crate::domain::keyring::SecretStore;
use crate::sys::clipboard::{self, Clipboard, Copied};

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
pub(super) fn copy_link(
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
pub(super) fn copy_password(
    store: &dyn SecretStore,
    email: &str,
    number: u64,
) -> Result<String, String> {
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
