//! The daily check's scheduler files: a systemd user service and timer
//! (Linux), a launchd agent (macOS), a Task Scheduler task (Windows).
//! Rendering them is plain text work, compiled and tested everywhere; only
//! where they go and which command loads them is per platform
//! (`commands::schedule`).

pub mod launchd;
pub mod systemd;
pub mod taskscheduler;

use std::path::Path;

/// The unit / task name (systemd units add `.service` and `.timer`).
pub const NAME: &str = "icloud-mail-setup-check";

/// The launchd label (and plist file name without `.plist`).
pub const LABEL: &str = "io.github.icloud-mail-setup.check";

/// The first line of every file written, after the format's own header.
pub const WRITTEN_BY: &str =
    "Written by `icloud-mail-setup schedule daily`; `icloud-mail-setup schedule off` removes it.";

/// What the scheduler runs: the program and its arguments, all of them
/// text a unit file, a plist and a task can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub program: String,
    pub args: Vec<String>,
}

/// Why a job cannot be written down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("{what} `{}` is not UTF-8 text, which the scheduler's files cannot hold", .path)]
    NotText { what: &'static str, path: String },
    #[error("{what} `{}` contains control characters (a line break?), which the scheduler's files cannot hold", crate::sys::text::escape_for_terminal(.path))]
    Control { what: &'static str, path: String },
    #[error("{what} `{}` is not an absolute path", .path)]
    Relative { what: &'static str, path: String },
}

impl Job {
    /// `PROGRAM verify --scheduled [--config CONFIG]`; `program` must be
    /// absolute (the scheduler has no working directory to speak of).
    pub fn new(program: &Path, config: Option<&Path>) -> Result<Job, JobError> {
        let program = text_of("the program", program)?;
        let mut args = vec!["verify".to_string(), "--scheduled".to_string()];
        if let Some(c) = config {
            args.push("--config".into());
            args.push(text_of("the config file", c)?);
        }
        Ok(Job { program, args })
    }

    /// The program and its arguments, in order.
    pub fn argv(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.program.as_str()).chain(self.args.iter().map(String::as_str))
    }

    /// The command as a person would type it into a POSIX shell.
    pub fn shell_line(&self) -> String {
        self.argv()
            .map(|a| crate::sys::text::shell_quote(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Why this program path looks like it will not stay (a build
    /// directory, a temporary one), if it does.
    pub fn looks_temporary(&self) -> Option<&'static str> {
        looks_temporary(&self.program)
    }
}

/// Why a program at `program` looks like it will not stay there (a build
/// directory, a temporary one, a package store), if it does.
pub fn looks_temporary(program: &str) -> Option<&'static str> {
    let p = program.replace('\\', "/");
    // A cargo target directory by any name (CARGO_TARGET_DIR): cargo
    // leaves .rustc_info.json in it, above debug/ and release/.
    let in_cargo_target = || {
        Path::new(program)
            .parent()
            .and_then(Path::parent)
            .is_some_and(|t| t.join(".rustc_info.json").is_file())
    };
    if p.contains("/target/debug/") || p.contains("/target/release/") || in_cargo_target() {
        Some("it is inside a cargo build directory, which `cargo clean` empties")
    } else if p.starts_with("/tmp/")
        || p.starts_with("/var/tmp/")
        || p.contains("/Temp/")
        || p.starts_with("/var/folders/")
        || p.starts_with("/private/var/folders/")
    {
        Some("it is inside a temporary directory")
    } else if p.starts_with("/nix/store/") || p.contains("/Cellar/") {
        Some("it is inside a package store, whose path changes with every upgrade")
    } else {
        None
    }
}

fn text_of(what: &'static str, p: &Path) -> Result<String, JobError> {
    let Some(s) = p.to_str() else {
        return Err(JobError::NotText {
            what,
            path: p.to_string_lossy().into_owned(),
        });
    };
    if s.chars().any(char::is_control) {
        return Err(JobError::Control {
            what,
            path: s.to_string(),
        });
    }
    if !p.is_absolute() {
        return Err(JobError::Relative {
            what,
            path: s.to_string(),
        });
    }
    Ok(s.to_string())
}

/// `s` with the five XML special characters as entities (for element
/// content and attribute values alike).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_runs_the_scheduled_check_with_the_config_given() {
        let j = Job::new(Path::new("/usr/bin/icloud-mail-setup"), None).unwrap();
        assert_eq!(
            j.argv().collect::<Vec<_>>(),
            ["/usr/bin/icloud-mail-setup", "verify", "--scheduled"]
        );
        let j = Job::new(
            Path::new("/opt/my apps/ims"),
            Some(Path::new("/home/e/it's.toml")),
        )
        .unwrap();
        assert_eq!(
            j.shell_line(),
            "'/opt/my apps/ims' verify --scheduled --config '/home/e/it'\\''s.toml'"
        );
        assert_eq!(j.looks_temporary(), None);
    }

    #[test]
    fn paths_a_scheduler_file_cannot_hold_are_refused_with_a_reason() {
        let e = Job::new(Path::new("/bin/a\nb"), None).unwrap_err();
        assert!(
            e.to_string().contains("`/bin/a\\x0ab` contains control"),
            "{e}"
        );
        let e = Job::new(Path::new("/bin/ims"), Some(Path::new("cfg.toml"))).unwrap_err();
        assert!(e.to_string().contains("not an absolute path"), "{e}");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let bad = std::ffi::OsStr::from_bytes(b"/bin/\xff");
            let e = Job::new(Path::new(bad), None).unwrap_err();
            assert!(e.to_string().contains("not UTF-8"), "{e}");
        }
    }

    #[test]
    fn build_and_temporary_directories_are_noticed() {
        let t = |p: &str| Job::new(Path::new(p), None).unwrap().looks_temporary();
        assert!(t("/home/e/src/ims/target/debug/icloud-mail-setup").is_some());
        assert!(t("/tmp/x/icloud-mail-setup").is_some());
        // A target directory of another name, known by what cargo keeps in it.
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("debug")).unwrap();
        let exe = d.path().join("debug/icloud-mail-setup");
        let exe = exe.to_str().unwrap();
        let named = |p: &str| looks_temporary(p).is_some_and(|w| w.contains("cargo build"));
        assert!(!named(exe));
        std::fs::write(d.path().join(".rustc_info.json"), "{}").unwrap();
        assert!(named(exe));
        for p in [
            "/nix/store/abc-icloud-mail-setup-1.0/bin/icloud-mail-setup",
            "/opt/homebrew/Cellar/icloud-mail-setup/1.0/bin/icloud-mail-setup",
            "/var/folders/xy/T/icloud-mail-setup",
            "/private/var/folders/xy/T/icloud-mail-setup",
        ] {
            assert!(t(p).is_some(), "{p}");
        }
        assert!(t("/opt/homebrew/bin/icloud-mail-setup").is_none());
        assert!(t("/home/e/.cargo/bin/icloud-mail-setup").is_none());
    }

    #[test]
    fn xml_special_characters_become_entities() {
        assert_eq!(
            xml_escape(r#"a&b<c>d"e'f"#),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f"
        );
    }
}
