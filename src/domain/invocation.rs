//! How other programs start this one: the command a mail client, git or
//! a scheduler is handed (the program by name or absolute path, and
//! `--config FILE` when the config in use is not the default), quoted for
//! the shell it goes through.

use crate::sys::text::{escape_for_terminal, shell_quote};

/// The directories on every system's default `PATH` (what cron, systemd
/// units, launchd agents and desktop launchers search): a program there is
/// found by its name alone.
pub const SYSTEM_BIN_DIRS: [&str; 3] = ["/usr/local/bin", "/usr/bin", "/bin"];

/// The name this program is installed under.
pub const PROGRAM_NAME: &str = "icloud-mail-setup";

/// How another program (a mail client, git, cron) starts this one: the
/// program, by its name when it is in one of [`SYSTEM_BIN_DIRS`] and by its
/// absolute path otherwise (`~/.cargo/bin` is on no scheduler's `PATH`),
/// and `--config FILE` when a config other than the default is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: String,
    /// An absolute path; `None` for the default config.
    pub config: Option<String>,
    /// A config in use whose path cannot be written into a command line
    /// (not UTF-8, or a control character), as it can be shown: clients
    /// told to run the password command would read the default config
    /// instead, so exports refuse.
    pub config_unusable: Option<String>,
}

impl Default for Invocation {
    /// By name, with the default config.
    fn default() -> Invocation {
        Invocation {
            config_unusable: None,
            program: PROGRAM_NAME.to_string(),
            config: None,
        }
    }
}

impl Invocation {
    /// From where the binary is (`exe`, `None` when unknown: by name) and
    /// the config in use (`config`, already absolute; `None` when it is the
    /// default). Pure: the platform's rules come from `exe`'s form.
    pub fn new(exe: Option<&std::path::Path>, config: Option<&std::path::Path>) -> Invocation {
        let program = match exe {
            Some(exe) if exe.is_absolute() => {
                let by_name = exe.file_name().and_then(|n| n.to_str()) == Some(PROGRAM_NAME)
                    && exe
                        .parent()
                        .and_then(|d| d.to_str())
                        .is_some_and(|d| SYSTEM_BIN_DIRS.contains(&d));
                match exe.to_str() {
                    Some(s) if !by_name && !s.chars().any(char::is_control) => s.to_string(),
                    _ => PROGRAM_NAME.to_string(),
                }
            }
            _ => PROGRAM_NAME.to_string(),
        };
        let usable = config.map(|c| {
            c.to_str()
                .filter(|s| !s.chars().any(char::is_control))
                .map(str::to_string)
                .ok_or_else(|| escape_for_terminal(&c.to_string_lossy()).into_owned())
        });
        let (config, config_unusable) = match usable {
            None => (None, None),
            Some(Ok(c)) => (Some(c), None),
            Some(Err(shown)) => (None, Some(shown)),
        };
        Invocation {
            program,
            config,
            config_unusable,
        }
    }

    /// This process: the running binary, and `config` (the config path in
    /// use, `--config` or its variable) when it is not the default.
    pub fn current(config: Option<&std::path::Path>) -> Invocation {
        let exe = std::env::current_exe().ok();
        Invocation::new(exe.as_deref(), non_default_config(config).as_deref())
    }

    /// Our command as a person types it in a fix we print: the program by
    /// its name, and `--config FILE` (as given) when a config was given,
    /// so the fix acts on the same config.
    pub fn typed(config: Option<&std::path::Path>) -> String {
        Invocation {
            config: config.map(|c| c.to_string_lossy().into_owned()),
            ..Invocation::default()
        }
        .head()
    }

    /// The words before the subcommand: the program and `--config FILE`.
    fn head(&self) -> String {
        let mut s = shell_quote(&self.program).into_owned();
        if let Some(c) = &self.config {
            s.push_str(" --config ");
            s.push_str(&shell_quote(c));
        }
        s
    }

    /// The command a mail client runs to get the password of `email`,
    /// ready to paste into a shell or a client's config: `--` ends the
    /// options, so no address is ever read as one.
    pub fn password_command(&self, email: &str) -> String {
        format!("{} password -- {}", self.head(), shell_quote(email))
    }

    /// `doctor`, as this program is started here (to paste into a shell).
    pub fn doctor_command(&self) -> String {
        format!("{} doctor", self.head())
    }

    /// The command git runs as its credential helper (without git's `!`).
    pub fn git_credential_command(&self) -> String {
        format!("{} git-credential", self.head())
    }

    /// A warning, when the program is in a place it will not stay in (a
    /// build or temporary directory): the commands handed out would stop
    /// working.
    pub fn warning(&self) -> Option<String> {
        if let Some(path) = &self.config_unusable {
            return Some(format!(
                "warning: the config in use, {path}, is at a path that can't be written into a \
                 client config (it is not UTF-8 or holds a control character): a password \
                 command would read the default config instead. Move the config to a plain \
                 path to export."
            ));
        }
        let why = crate::domain::schedule::looks_temporary(&self.program)?;
        Some(format!(
            "warning: mail clients will run {}, and {why}. Install the program somewhere it \
             stays (e.g. `cargo install --path .`) and export again from there.",
            self.program
        ))
    }
}

/// `config` made absolute, or `None` when it is the platform's default
/// config (or none was given).
pub fn non_default_config(config: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    let c = std::path::absolute(config?).ok()?;
    let default = crate::domain::config::default_path().ok();
    (default.as_deref() != Some(c.as_path())).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_command_is_quoted() {
        let me = Invocation::default();
        assert_eq!(
            me.password_command("emily@icloud.com"),
            "icloud-mail-setup password -- emily@icloud.com"
        );
        assert_eq!(
            me.password_command("a;rm -rf ~@x.com"),
            "icloud-mail-setup password -- 'a;rm -rf ~@x.com'"
        );
    }

    #[test]
    fn a_fix_names_the_program_and_the_config_given() {
        assert_eq!(Invocation::typed(None), "icloud-mail-setup");
        assert_eq!(
            Invocation::typed(Some(std::path::Path::new("my cfg/it's.toml"))),
            "icloud-mail-setup --config 'my cfg/it'\\''s.toml'"
        );
    }

    #[test]
    fn the_program_is_named_only_where_every_path_finds_it() {
        use std::path::Path;
        for dir in SYSTEM_BIN_DIRS {
            let exe = format!("{dir}/icloud-mail-setup");
            assert_eq!(
                Invocation::new(Some(Path::new(&exe)), None).program,
                "icloud-mail-setup"
            );
        }
        for exe in [
            "/home/e/.cargo/bin/icloud-mail-setup",
            "/opt/homebrew/bin/icloud-mail-setup",
            "/usr/bin/ims",
            "/usr/local/bin/sub/icloud-mail-setup",
        ] {
            assert_eq!(Invocation::new(Some(Path::new(exe)), None).program, exe);
        }
        let me = Invocation::new(
            Some(Path::new("/home/e/my apps/icloud-mail-setup")),
            Some(Path::new("/home/e/it's.toml")),
        );
        assert_eq!(
            me.password_command("-h@x.com"),
            "'/home/e/my apps/icloud-mail-setup' --config '/home/e/it'\\''s.toml' password -- -h@x.com"
        );
        assert_eq!(
            me.git_credential_command(),
            "'/home/e/my apps/icloud-mail-setup' --config '/home/e/it'\\''s.toml' git-credential"
        );
        assert_eq!(me.warning(), None);
        let built = Invocation::new(
            Some(Path::new("/src/ims/target/debug/icloud-mail-setup")),
            None,
        );
        assert!(built.warning().unwrap().contains("cargo build directory"));
        // A config path no command line can carry is kept as a problem,
        // not dropped (clients would read the default config).
        let odd = Invocation::new(None, Some(Path::new("/home/e/a\nb.toml")));
        assert_eq!(odd.config, None);
        assert_eq!(odd.config_unusable.as_deref(), Some("/home/e/a\\x0ab.toml"));
        assert!(
            odd.warning()
                .unwrap()
                .contains("can't be written into a client config")
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = std::ffi::OsStr::from_bytes(b"/home/e/\xff.toml");
            let odd = Invocation::new(None, Some(Path::new(p)));
            assert!(odd.config.is_none() && odd.config_unusable.is_some());
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_password_command_runs_in_sh_with_the_words_intended() {
        let me = Invocation::new(
            Some(std::path::Path::new("/bin/echo")),
            Some(std::path::Path::new("/tmp/a b.toml")),
        );
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(me.password_command("a@b.com"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "--config /tmp/a b.toml password -- a@b.com\n"
        );
    }
}
