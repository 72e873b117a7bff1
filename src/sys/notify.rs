//! Desktop notifications for the scheduled check: `notify-send`
//! (freedesktop notifications: Linux, the BSDs) or `osascript` (macOS),
//! when present. Run with arguments, never through a shell, bounded in
//! time. The text never holds a secret (it names an account and a command).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a notifier may take before it is stopped.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What to tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// A program that can put a notice on the desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notifier {
    NotifySend(PathBuf),
    Osascript(PathBuf),
}

/// The AppleScript `osascript` runs: the texts arrive as the run handler's
/// arguments, so they are never parsed as AppleScript and need no escaping.
const APPLESCRIPT: [&str; 3] = [
    "on run argv",
    "display notification (item 2 of argv) with title (item 1 of argv)",
    "end run",
];

impl Notifier {
    /// The platform's notifier, looked up with `find` (a program name to
    /// its path, e.g. [`crate::sys::process::find`]): `osascript` on macOS,
    /// `notify-send` elsewhere. `None` when it is not there.
    pub fn find(macos: bool, find: impl Fn(&str) -> Option<PathBuf>) -> Option<Notifier> {
        if macos {
            find("osascript").map(Notifier::Osascript)
        } else {
            find("notify-send").map(Notifier::NotifySend)
        }
    }

    pub fn program(&self) -> &Path {
        match self {
            Notifier::NotifySend(p) | Notifier::Osascript(p) => p,
        }
    }

    /// The arguments that show `notice`.
    pub fn args(&self, notice: &Notice) -> Vec<String> {
        match self {
            Notifier::NotifySend(_) => vec![
                "--app-name=icloud-mail-setup".into(),
                "--urgency=critical".into(),
                "--".into(),
                notice.title.clone(),
                notice.body.clone(),
            ],
            Notifier::Osascript(_) => {
                let mut args = Vec::new();
                for line in APPLESCRIPT {
                    args.push("-e".to_string());
                    args.push(line.to_string());
                }
                // osascript documents no `--`: whether it ends the options
                // or reaches the script as `item 1 of argv` is not known
                // here. So none is passed, and no text starts with `-`
                // (which osascript could take for an option).
                args.push(not_an_option(&notice.title));
                args.push(not_an_option(&notice.body));
                args
            }
        }
    }

    /// Show `notice`, waiting at most [`TIMEOUT`]; `Err` says why not.
    pub fn send(&self, notice: &Notice) -> Result<(), String> {
        let ran = crate::sys::process::run(self.program(), &self.args(notice), TIMEOUT)?;
        if ran.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): {}",
                self.program().display(),
                ran.status,
                ran.said()
            ))
        }
    }
}

/// `text`, with a space before it if it starts with `-`.
fn not_an_option(text: &str) -> String {
    if text.starts_with('-') {
        format!(" {text}")
    } else {
        text.to_string()
    }
}

/// The notice `schedule daily` sends once on macOS, so that the person
/// sees whether notices get through. (Called on macOS only; its wording
/// is tested everywhere.)
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn test_notice() -> Notice {
    Notice {
        title: "icloud-mail-setup".into(),
        body: "This is how the daily check will tell you when a password stops working.".into(),
    }
}

/// What `schedule daily` says on macOS after sending [`test_notice`]
/// (`sent`: how the send went).
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn test_notice_report(sent: Result<(), String>) -> String {
    match sent {
        Ok(()) => "A test notice was just sent. If none appeared, allow notifications for \
             Script Editor (osascript's notices come from it) in System Settings > \
             Notifications: without that permission macOS drops them silently, and the daily \
             check's warnings with them."
            .into(),
        Err(e) => format!(
            "The test notice could not be sent ({e}): the daily check will not be able to \
             warn you on the desktop; `icloud-mail-setup schedule` and its log still show the \
             results."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a \"quoted\" \\ back'slash\nand\" & display dialog \"x";

    fn notice() -> Notice {
        Notice {
            title: "-t title".into(),
            body: HOSTILE.into(),
        }
    }

    #[test]
    fn the_platform_picks_its_program_when_it_is_there() {
        let all = |name: &str| Some(PathBuf::from(format!("/usr/bin/{name}")));
        assert_eq!(
            Notifier::find(false, all),
            Some(Notifier::NotifySend("/usr/bin/notify-send".into()))
        );
        assert_eq!(
            Notifier::find(true, all),
            Some(Notifier::Osascript("/usr/bin/osascript".into()))
        );
        assert_eq!(Notifier::find(false, |_| None), None);
    }

    #[test]
    fn notify_send_gets_the_texts_as_arguments_after_the_options() {
        let n = Notifier::NotifySend("/usr/bin/notify-send".into());
        let args = n.args(&notice());
        // A title that starts with a dash is still the title.
        assert_eq!(&args[2..], ["--", "-t title", HOSTILE]);
    }

    #[test]
    fn osascript_gets_a_fixed_script_and_the_texts_as_its_arguments() {
        let n = Notifier::Osascript("/usr/bin/osascript".into());
        let args = n.args(&notice());
        assert_eq!(
            args,
            [
                "-e",
                "on run argv",
                "-e",
                "display notification (item 2 of argv) with title (item 1 of argv)",
                "-e",
                "end run",
                " -t title",
                HOSTILE,
            ]
        );
        // Nothing of the texts ever enters the script itself.
        for script in args.iter().skip(1).step_by(2).take(3) {
            assert!(!script.contains('"') && !script.contains("quoted"));
        }
    }

    #[test]
    fn the_test_notice_says_how_to_let_notices_through() {
        let ok = test_notice_report(Ok(()));
        assert!(
            ok.contains("Script Editor") && ok.contains("Notifications"),
            "{ok}"
        );
        let failed = test_notice_report(Err("osascript failed".into()));
        assert!(failed.contains("osascript failed"), "{failed}");
        assert!(!test_notice().body.starts_with('-'));
    }
}
