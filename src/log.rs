//! The debug log for bug reports (`--log FILE`, `ICLOUD_MAIL_SETUP_LOG`).
//!
//! One process-wide sink: a file opened once, created `0600`, appended to,
//! never through a symlink. Each line is
//! `<RFC 3339 time with ms> <component> <text>`, the text bounded in
//! length and its control characters escaped. With no sink, [`log!`]
//! formats nothing: one atomic load.
//!
//! No secret reaches the file, twice over:
//! 1. by construction: the lines that carry the password on the wire are
//!    logged as placeholders (`LOGIN "user" <password redacted>`,
//!    `AUTH PLAIN <redacted>`, AUTH LOGIN's answers as `<redacted>`);
//! 2. a last-line filter: every password in use is registered
//!    ([`register_password`]) in the forms it can take on the wire (as
//!    typed, without hyphens, base64 alone, base64 of `\0user\0password`
//!    and `user\0user\0password` for each username), and any line holding
//!    one of them, in any letter case, is replaced before it is written.
//!    The registered copies are zeroed when they are dropped.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::mail::wire::base64_into;
use crate::secret::Secret;

/// The environment variable that names the log file when `--log` is not
/// given.
pub const ENV: &str = "ICLOUD_MAIL_SETUP_LOG";

/// The longest text kept from one logged line (a longer one is cut and
/// says how much was left out).
pub const MAX_TEXT: usize = 1024;

/// What a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Cli,
    Config,
    Net,
    Imap,
    Smtp,
    Tls,
    Keyring,
    Wizard,
}

impl Component {
    fn name(self) -> &'static str {
        match self {
            Component::Cli => "cli",
            Component::Config => "config",
            Component::Net => "net",
            Component::Imap => "imap",
            Component::Smtp => "smtp",
            Component::Tls => "tls",
            Component::Keyring => "keyring",
            Component::Wizard => "wizard",
        }
    }
}

static ON: AtomicBool = AtomicBool::new(false);
static SINK: Mutex<Option<File>> = Mutex::new(None);
static SECRETS: Mutex<Vec<Zeroizing<String>>> = Mutex::new(Vec::new());

/// Whether a log file is open (checked before anything is formatted).
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Log one line, formatting it only when a log file is open.
#[macro_export]
macro_rules! log {
    ($component:expr, $($arg:tt)*) => {
        if $crate::log::enabled() {
            $crate::log::write($component, &::std::format!($($arg)*));
        }
    };
}

/// Open `path` as the process's log: created `0600` if new, appended to,
/// refused if it is a symlink. Its permissions are never changed.
pub fn open(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return io::Error::new(e.kind(), "it is a symbolic link (not followed)");
        }
        e
    })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(file);
    ON.store(true, Ordering::SeqCst);
    Ok(())
}

/// Stop logging and forget (zero) every registered secret.
pub fn close() {
    ON.store(false, Ordering::SeqCst);
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = None;
    SECRETS.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Write one line (use [`log!`], which skips this when logging is off).
pub fn write(component: Component, text: &str) {
    let mut line = Zeroizing::new(String::with_capacity(text.len().min(MAX_TEXT) + 48));
    line.push_str(&humantime::format_rfc3339_millis(SystemTime::now()).to_string());
    line.push(' ');
    line.push_str(component.name());
    line.push(' ');
    escape_into(text, &mut line);
    let line = redact(line);
    let mut sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(file) = sink.as_mut() {
        // A log that cannot be written is not a reason to fail the run.
        let _ = writeln!(file, "{}", line.as_str());
    }
}

/// `text` with control characters escaped (`\r`, `\n`, `\t`, `\xNN`,
/// `\u{..}`) and cut after [`MAX_TEXT`] bytes.
fn escape_into(text: &str, out: &mut String) {
    let start = out.len();
    for (i, c) in text.char_indices() {
        if out.len() - start >= MAX_TEXT {
            out.push_str(&format!(" ... ({} more bytes)", text.len() - i));
            return;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The line, or a placeholder if it holds any registered secret (letter
/// case ignored).
fn redact(line: Zeroizing<String>) -> Zeroizing<String> {
    let secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if secrets.is_empty() {
        return line;
    }
    let lower = Zeroizing::new(line.to_lowercase());
    if secrets.iter().any(|s| lower.contains(s.as_str())) {
        // Keep the time and component: the rest goes.
        let head: String = line.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ");
        return Zeroizing::new(format!("{head} <line redacted: it held a secret>"));
    }
    line
}

/// Register a password, and the usernames it is sent with, for the
/// filter: every form it can take in a protocol line. Does nothing when
/// logging is off.
pub fn register_password(password: &Secret, usernames: &[&str]) {
    if !enabled() {
        return;
    }
    let pass = password.expose();
    let mut forms: Vec<Zeroizing<Vec<u8>>> = vec![
        Zeroizing::new(pass.as_bytes().to_vec()),
        Zeroizing::new(pass.replace('-', "").into_bytes()),
    ];
    let encoded = |raw: &[u8]| {
        let mut out = Zeroizing::new(Vec::with_capacity(raw.len().div_ceil(3) * 4));
        base64_into(raw, &mut out);
        out
    };
    let mut b64 = vec![encoded(pass.as_bytes())];
    for user in usernames {
        for authz in ["", *user] {
            let mut raw = Zeroizing::new(Vec::new());
            raw.extend_from_slice(authz.as_bytes());
            raw.push(0);
            raw.extend_from_slice(user.as_bytes());
            raw.push(0);
            raw.extend_from_slice(pass.as_bytes());
            b64.push(encoded(&raw));
        }
    }
    forms.append(&mut b64);
    let mut secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    for form in forms {
        // Too short to be a password form: matching it would redact
        // ordinary lines and protect nothing.
        if form.len() < 4 {
            continue;
        }
        let text = Zeroizing::new(String::from_utf8_lossy(&form).to_lowercase());
        if !secrets.iter().any(|s| s.as_str() == text.as_str()) {
            secrets.push(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test touches the process-wide state, so the others cannot race it.
    #[test]
    fn every_form_of_a_registered_password_is_filtered_and_others_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        open(&path).unwrap();
        let pw = Secret::new("abcd-efgh-ijkl-mnop".into());
        register_password(&pw, &["user@icloud.com", "user"]);
        let b64 = |raw: &[u8]| {
            let mut out = Zeroizing::new(Vec::with_capacity(raw.len() * 2 + 4));
            base64_into(raw, &mut out);
            String::from_utf8(out.to_vec()).unwrap()
        };
        let forms = [
            "abcd-efgh-ijkl-mnop".to_string(),
            "abcdefghijklmnop".to_string(),
            "ABCD-EFGH-IJKL-MNOP".to_string(),
            "ABCDEFGHIJKLMNOP".to_string(),
            b64(b"abcd-efgh-ijkl-mnop"),
            b64(b"\0user@icloud.com\0abcd-efgh-ijkl-mnop"),
            b64(b"user@icloud.com\0user@icloud.com\0abcd-efgh-ijkl-mnop"),
            b64(b"\0user\0abcd-efgh-ijkl-mnop"),
        ];
        for form in &forms {
            write(Component::Smtp, &format!("C: AUTH PLAIN {form}"));
        }
        write(Component::Imap, "S: * OK ready\r\n");
        write(Component::Tls, &"x".repeat(5000));
        close();
        let text = std::fs::read_to_string(&path).unwrap();
        for form in &forms {
            assert!(!text.contains(form.as_str()), "{form} in\n{text}");
        }
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), forms.len() + 2, "{text}");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.ends_with(" smtp <line redacted: it held a secret>"))
                .count(),
            forms.len(),
            "{text}"
        );
        assert!(lines[forms.len()].ends_with(" imap S: * OK ready\\r\\n"));
        assert!(lines[forms.len() + 1].ends_with("(3976 more bytes)"));
        // RFC 3339 with milliseconds, UTC.
        let time = lines[0].split(' ').next().unwrap();
        assert_eq!(time.len(), "2026-01-01T00:00:00.000Z".len(), "{time}");
        assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.');
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A symlink is not followed.
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            let err = open(&link).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{err}");
            assert!(!enabled());
        }
        // Off: nothing is written.
        log!(Component::Cli, "after close");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
