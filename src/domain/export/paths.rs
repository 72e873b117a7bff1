//! Where things are on this platform: the home directory, the XDG config
//! directory, PATH (and PATHEXT on Windows).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::*;

/// The platforms whose clients keep their configs in different places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and the other Unixes.
    Unix,
    MacOs,
    Windows,
}

impl Platform {
    /// The platform this program was built for.
    pub fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }
}

/// Where the clients' configs live: from `HOME` (on Windows, else
/// `USERPROFILE`), `XDG_CONFIG_HOME` and `GIT_CONFIG_GLOBAL`, and where
/// programs are looked for (`PATH`, with `PATHEXT` on Windows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME` when set to an absolute path, else `~/.config`.
    pub xdg_config: PathBuf,
    /// Whether `XDG_CONFIG_HOME` was set (aerc on macOS reads
    /// `~/Library/Preferences` unless it is).
    pub xdg_set: bool,
    /// `$GIT_CONFIG_GLOBAL`, which git uses instead of `~/.gitconfig`.
    pub git_global: Option<PathBuf>,
    pub path_var: Option<OsString>,
    /// The extensions a program name may leave out (`PATHEXT`; none
    /// outside Windows).
    pub path_ext: Vec<String>,
    pub platform: Platform,
}

impl Paths {
    /// From the environment; `None` without a home directory.
    pub fn from_env() -> Option<Paths> {
        Paths::from_vars(Platform::current(), |k| std::env::var_os(k))
    }

    /// From the variables `var` gives, as `platform` reads them (pure, so
    /// every platform's rules are tested everywhere).
    pub fn from_vars(platform: Platform, var: impl Fn(&str) -> Option<OsString>) -> Option<Paths> {
        let absolute = |v: Option<OsString>| {
            v.map(PathBuf::from)
                .filter(|p| is_absolute_for(platform, p))
        };
        let home = absolute(var("HOME")).or_else(|| {
            (platform == Platform::Windows)
                .then(|| absolute(var("USERPROFILE")))
                .flatten()
        })?;
        let xdg = absolute(var("XDG_CONFIG_HOME"));
        let git_global = var("GIT_CONFIG_GLOBAL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Some(Paths {
            xdg_set: xdg.is_some(),
            xdg_config: xdg.unwrap_or_else(|| home.join(".config")),
            home,
            git_global,
            path_var: var("PATH"),
            path_ext: crate::sys::process::path_extensions(
                platform == Platform::Windows,
                var("PATHEXT").as_deref(),
            ),
            platform,
        })
    }

    /// The executable `program` in a `PATH` directory, if any (the one
    /// lookup `process` uses: the exact name, then with each `PATHEXT`
    /// extension on Windows).
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        crate::sys::process::find_in(self.path_var.as_ref()?, program, &self.path_ext)
    }
}

/// Whether `p` is absolute on `platform` (a Windows path has a drive or
/// is a UNC path; checked by its text, so this works on any host).
fn is_absolute_for(platform: Platform, p: &Path) -> bool {
    if platform != Platform::Windows {
        return p.to_str().is_some_and(|s| s.starts_with('/'));
    }
    let s = p.to_string_lossy();
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || s.starts_with("\\\\")
}

/// The text of the file at `target` outside `email`'s block: `""` when
/// there is no such file (or it cannot be read, which the write reports).
pub fn elsewhere(target: &Path, email: &str) -> String {
    let Ok(text) = std::fs::read_to_string(crate::domain::config::resolve(target)) else {
        return String::new();
    };
    match install::place(&text, email, "") {
        Ok(p) => format!("{}{}", p.before, p.after),
        Err(_) => text,
    }
}

pub(super) fn exists(p: &Path) -> bool {
    std::fs::metadata(p).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_finds_home_and_the_clients_configs_where_they_are() {
        use std::collections::HashMap;
        let vars = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        // Windows: no HOME in cmd or PowerShell; USERPROFILE it is.
        let w = Paths::from_vars(
            Platform::Windows,
            vars(&[("USERPROFILE", r"C:\Users\emily"), ("PATHEXT", ".COM;.EXE")]),
        )
        .unwrap();
        assert_eq!(w.home, PathBuf::from(r"C:\Users\emily"));
        assert_eq!(w.path_ext, [".com", ".exe"]);
        // Elsewhere USERPROFILE means nothing, and a relative HOME is none.
        assert_eq!(
            Paths::from_vars(Platform::Unix, vars(&[("USERPROFILE", "/home/e")])),
            None
        );
        assert_eq!(
            Paths::from_vars(Platform::Unix, vars(&[("HOME", "home/e")])),
            None
        );
        // macOS: aerc reads ~/Library/Preferences/aerc unless
        // XDG_CONFIG_HOME is set; the others keep their usual places.
        let mac = Paths::from_vars(Platform::MacOs, vars(&[("HOME", "/Users/e")])).unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&mac),
            [PathBuf::from(
                "/Users/e/Library/Preferences/aerc/accounts.conf"
            )]
        );
        assert_eq!(
            Client::Mbsync.config_candidates(&mac)[0],
            PathBuf::from("/Users/e/.mbsyncrc")
        );
        assert_eq!(
            Client::Msmtp.config_candidates(&mac)[0],
            PathBuf::from("/Users/e/.config/msmtp/config")
        );
        let mac_xdg = Paths::from_vars(
            Platform::MacOs,
            vars(&[("HOME", "/Users/e"), ("XDG_CONFIG_HOME", "/Users/e/cfg")]),
        )
        .unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&mac_xdg),
            [PathBuf::from("/Users/e/cfg/aerc/accounts.conf")]
        );
        let linux = Paths::from_vars(Platform::Unix, vars(&[("HOME", "/home/e")])).unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&linux),
            [PathBuf::from("/home/e/.config/aerc/accounts.conf")]
        );
    }

    #[test]
    fn programs_are_found_with_pathext() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("git.exe"), "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                d.path().join("git.exe"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
        let mut p = Paths::from_vars(Platform::Unix, |k| match k {
            "HOME" => Some("/h".into()),
            "PATH" => Some(d.path().as_os_str().to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(p.find_program("git"), None);
        p.path_ext = crate::sys::process::path_extensions(true, None);
        assert_eq!(p.find_program("git"), Some(d.path().join("git.exe")));
    }
}
