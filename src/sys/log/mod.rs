//! The debug log for bug reports (`--log FILE`, `ICLOUD_MAIL_SETUP_LOG`).
//!
//! One process-wide sink: a file opened once, created `0600`, appended to,
//! never through a symlink. Each line is
//! `<RFC 3339 time with ms> <component> <text>`, the text bounded in
//! length and its control characters escaped. With no sink, [`log!`]
//! formats nothing: one atomic load.
//!
//! No secret reaches the file, twice over: see [`filter`] (placeholders
//! and reply summaries by construction; a last-line filter of every
//! registered password form, run on the raw text before it is escaped or
//! cut). The file itself is checked before anything is written: see
//! [`file`]. The command line is logged by its shape only: see [`args`].

pub mod args;
pub mod file;
pub mod filter;

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::sys::secret::Secret;

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
    /// Every component (what a line of ours can name).
    pub const ALL: [Component; 8] = [
        Component::Cli,
        Component::Config,
        Component::Net,
        Component::Imap,
        Component::Smtp,
        Component::Tls,
        Component::Keyring,
        Component::Wizard,
    ];

    pub fn name(self) -> &'static str {
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
        if $crate::sys::log::enabled() {
            $crate::sys::log::write($component, &::std::format!($($arg)*));
        }
    };
}

/// Open `path` as the process's log, after the checks of [`file::open`]
/// (`config` is the config file in use, which the log must not be).
/// Returns whether the file's permissions were tightened to `0600`.
pub fn open(path: &Path, config: Option<&Path>) -> io::Result<bool> {
    let (file, tightened) = file::open(path, config)?;
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(file);
    ON.store(true, Ordering::SeqCst);
    Ok(tightened)
}

/// Stop logging and forget (zero) every registered secret.
pub fn close() {
    let unwritten = {
        // Lines still held at the end: their password never came, so
        // they could not be filtered; they are not written, but counted.
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.lines.len() + held.dropped;
        held.lines.clear();
        held.dropped = 0;
        n
    };
    if unwritten > 0 && enabled() {
        emit(
            &timestamp(SystemTime::now()),
            Component::Keyring,
            &format!("{unwritten} lines not written: the password read never finished"),
        );
    }
    ON.store(false, Ordering::SeqCst);
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = None;
    SECRETS.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Write one line (use [`log!`], which skips this when logging is off).
/// While a password is on its way ([`hold`]), the line is kept in memory
/// instead, with its time, and written once the password is known.
pub fn write(component: Component, text: &str) {
    let time = timestamp(SystemTime::now());
    {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        if held.holds > 0 {
            held.keep(time, component, text);
            return;
        }
    }
    emit(&time, component, text);
}

/// Filter and write one line: the filter runs on the raw text first (and
/// again on the escaped, cut line); the line goes out in one `write_all`,
/// its newline included, so processes appending to the same file do not
/// interleave within a line.
fn emit(time: &str, component: Component, text: &str) {
    let mut line = Zeroizing::new(String::with_capacity(text.len().min(MAX_TEXT) + 64));
    line.push_str(time);
    line.push(' ');
    line.push_str(component.name());
    line.push(' ');
    let head = line.len();
    {
        let secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
        let held = filter::holds_secret(text, &secrets) || {
            escape_into(text, &mut line);
            filter::holds_secret(&line[head..], &secrets)
        };
        if held {
            line.truncate(head);
            line.push_str(REDACTED);
        }
    }
    line.push('\n');
    let mut sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(file) = sink.as_mut() {
        // A log that cannot be written is not a reason to fail the run.
        let _ = file.write_all(line.as_bytes());
    }
}

/// The most lines kept while a password is on its way; later ones are
/// counted, not kept.
pub const MAX_HELD: usize = 1000;

/// The lines kept while a password is on its way.
struct Held {
    /// How many passwords are on their way ([`Hold`]s alive).
    holds: usize,
    lines: Vec<(String, Component, Zeroizing<String>)>,
    dropped: usize,
}

impl Held {
    fn keep(&mut self, time: String, component: Component, text: &str) {
        if self.lines.len() >= MAX_HELD {
            self.dropped += 1;
            return;
        }
        // A line is cut at MAX_TEXT when written: keeping four times that
        // of the raw text keeps all that can be written, and the filter
        // still sees every password form that reaches the cut.
        let mut end = text.len().min(4 * MAX_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut kept = Zeroizing::new(String::with_capacity(end));
        kept.push_str(&text[..end]);
        self.lines.push((time, component, kept));
    }
}

static HELD: Mutex<Held> = Mutex::new(Held {
    holds: 0,
    lines: Vec::new(),
    dropped: 0,
});

/// While alive, every line is held back (in memory, bounded): a password
/// is on its way (a keyring read), and a server line that arrives
/// meanwhile may repeat it before the filter knows it. When the last hold
/// ends, the held lines are filtered, with every password registered by
/// then, and written.
#[must_use = "lines are held only while the Hold is alive"]
pub struct Hold {
    active: bool,
}

/// Hold lines until the returned [`Hold`] is dropped (see there). Does
/// nothing when logging is off.
pub fn hold() -> Hold {
    if !enabled() {
        return Hold { active: false };
    }
    HELD.lock().unwrap_or_else(|p| p.into_inner()).holds += 1;
    Hold { active: true }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        // Kept locked while writing, so later lines come after these.
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        held.holds = held.holds.saturating_sub(1);
        if held.holds > 0 {
            return;
        }
        for (time, component, text) in std::mem::take(&mut held.lines) {
            emit(&time, component, &text);
        }
        let dropped = std::mem::take(&mut held.dropped);
        if dropped > 0 {
            let time = timestamp(SystemTime::now());
            emit(
                &time,
                Component::Cli,
                &format!("{dropped} line(s) left out while a password was being read"),
            );
        }
    }
}

/// What replaces the text of a line that held a secret.
pub const REDACTED: &str = "<line redacted: it held a secret>";

/// `time` as RFC 3339 UTC with milliseconds (`2026-01-01T00:00:00.000Z`),
/// clamped to 1970..=9999 so it never fails and keeps its width.
pub fn timestamp(time: SystemTime) -> String {
    const MAX_SECS: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let (secs, millis) = match time.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= MAX_SECS => (d.as_secs(), d.subsec_millis()),
        Ok(_) => (MAX_SECS, 999),
        Err(_) => (0, 0),
    };
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
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

/// Register a password for the filter: every form it can take in a
/// protocol line ([`filter::forms`]). Does nothing when logging is off.
pub fn register_password(password: &Secret) {
    if !enabled() {
        return;
    }
    let forms = filter::forms(password.expose());
    let mut secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    for form in forms {
        if !secrets.iter().any(|s| s.as_str() == form.as_str()) {
            secrets.push(form);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The sink is process-wide and other unit tests log (config, storage,
    // the executor, the mail checks) while this one runs: it writes and
    // reads only `cli` lines, which no library code writes.
    #[test]
    fn the_sink_filters_raw_text_escapes_cuts_and_writes_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        open(&path, None).unwrap();
        let pw = Secret::new("abcd-efgh-ijkl-mnop".into());
        register_password(&pw);
        // An echo that the cut at MAX_TEXT would split mid-password.
        let long = format!("a1 NO {} \"you\" \"abcd-efgh-ijkl-mnop\"", "x".repeat(1000));
        write(Component::Cli, &long);
        write(Component::Cli, "S: * OK ready\r\n");
        write(Component::Cli, &"y".repeat(5000));
        // A line that comes while a password is on its way, repeating it
        // before the filter knows it: held, then filtered.
        let hold = hold();
        write(Component::Cli, "S: * OK hello qrst-uvwx-yzab-cdef");
        write(Component::Cli, "S: * OK second");
        let so_far = std::fs::read_to_string(&path).unwrap();
        assert!(
            !so_far.contains("hello") && !so_far.contains("second"),
            "{so_far}"
        );
        register_password(&Secret::new("qrst-uvwx-yzab-cdef".into()));
        drop(hold);
        // Held when the log closes: not written, but counted.
        let never_ends = super::hold();
        write(Component::Cli, "S: * OK held to the end");
        write(Component::Cli, "S: * OK also held");
        close();
        drop(never_ends);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(" cli ")).collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[3].ends_with(" cli <line redacted: it held a secret>"),
            "{text}"
        );
        assert!(lines[4].ends_with(" cli S: * OK second"), "{text}");
        assert!(!text.contains("qrst"), "{text}");
        assert!(!text.contains("held to the end"), "{text}");
        assert!(
            text.contains(" keyring 2 lines not written: the password read never finished\n"),
            "{text}"
        );
        assert!(
            lines[0].ends_with(" cli <line redacted: it held a secret>"),
            "{text}"
        );
        assert!(!text.contains("abcd-efgh"), "{text}");
        assert!(lines[1].ends_with(" cli S: * OK ready\\r\\n"), "{text}");
        assert!(lines[2].ends_with("(3976 more bytes)"), "{text}");
        let time = lines[0].split(' ').next().unwrap();
        assert_eq!(time.len(), "2026-01-01T00:00:00.000Z".len(), "{time}");
        assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.');
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Off: nothing is written.
        log!(Component::Cli, "after close");
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("after close")
        );
    }

    #[test]
    fn the_clock_never_fails_and_keeps_its_width() {
        use std::time::Duration;
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        assert_eq!(timestamp(t), "2026-01-01T00:00:00.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
        let before = UNIX_EPOCH - Duration::from_secs(86_400 * 400);
        assert_eq!(timestamp(before), "1970-01-01T00:00:00.000Z");
        let after = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(timestamp(after), "9999-12-31T23:59:59.999Z");
    }
}
