//! Which clients are installed, which of their configs exist, and which
//! versions the renderers write for.

use std::path::PathBuf;

use super::paths::exists;
use super::*;

/// The versions of installed clients whose syntax changed between
/// versions still in use. The default (nothing known) renders what every
/// version reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    /// isync (`mbsync --version`), as (major, minor).
    pub isync: Option<(u32, u32)>,
    /// `aerc --version`.
    pub aerc: Option<(u32, u32)>,
    /// `himalaya --version`.
    pub himalaya: Option<(u32, u32)>,
}

/// How long a client may take to say its version.
const VERSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Versions {
    /// Ask the installed clients (`mbsync --version`, `aerc -v`: 0.14
    /// knows no `--version`, `himalaya --version`) through the process
    /// runner, each bounded.
    pub fn detect(paths: Option<&Paths>) -> Versions {
        let ask = |program: &str, flag: &str| {
            let found = paths.and_then(|p| p.find_program(program))?;
            let ran = crate::sys::process::run(&found, &[flag], VERSION_TIMEOUT).ok()?;
            if !ran.status.success() {
                return None;
            }
            parse_version(&ran.stdout).or_else(|| parse_version(&ran.stderr))
        };
        Versions {
            isync: ask("mbsync", "--version"),
            aerc: ask("aerc", "-v"),
            himalaya: ask("himalaya", "--version"),
        }
    }
}

/// (major, minor) of the first `N.N` in `text` (`isync 1.4.4`).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find_map(|word| {
            let mut parts = word.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some((major, minor))
        })
}

/// One client as found on this machine (for the wizard's Done screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub client: Client,
    /// Where the program is on `PATH`, if it is.
    pub program: Option<PathBuf>,
    /// The config `--write` would install into, if it exists already.
    pub existing_config: Option<PathBuf>,
}

/// Every client: whether its program is on `PATH` and whether its config
/// exists. Reads the file system only.
pub fn detect(paths: &Paths) -> Vec<Detected> {
    Client::ALL
        .into_iter()
        .map(|client| Detected {
            client,
            program: paths.find_program(client.program()),
            existing_config: client
                .config_candidates(paths)
                .into_iter()
                .find(|p| exists(p)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("isync 1.4.4\n"), Some((1, 4)));
        assert_eq!(parse_version("isync 1.5.0-rc1"), Some((1, 5)));
        assert_eq!(parse_version("no version"), None);
    }

    #[test]
    fn detect_finds_programs_on_path_and_existing_configs() {
        let d = tempfile::tempdir().unwrap();
        let bin = d.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let msmtp = bin.join("msmtp");
        std::fs::write(&msmtp, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&msmtp, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(bin.join("aerc"), "not executable").unwrap();
        let home = d.path().join("home");
        std::fs::create_dir_all(home.join(".config/himalaya")).unwrap();
        std::fs::write(home.join(".config/himalaya/config.toml"), "").unwrap();
        std::fs::write(home.join(".msmtprc"), "").unwrap();
        let paths = Paths {
            xdg_config: home.join(".config"),
            xdg_set: false,
            home: home.clone(),
            git_global: None,
            path_var: Some(bin.clone().into_os_string()),
            path_ext: Vec::new(),
            platform: Platform::Unix,
        };
        let found = detect(&paths);
        assert_eq!(found.len(), Client::ALL.len());
        let get = |c: Client| found.iter().find(|d| d.client == c).unwrap().clone();
        assert_eq!(get(Client::Msmtp).program, Some(msmtp));
        assert_eq!(get(Client::Aerc).program, None);
        assert_eq!(
            get(Client::Msmtp).existing_config,
            Some(home.join(".msmtprc"))
        );
        assert_eq!(
            get(Client::Himalaya).existing_config,
            Some(home.join(".config/himalaya/config.toml"))
        );
        assert_eq!(get(Client::Mbsync).existing_config, None);
        // Where --write goes: the existing file, else the first place.
        assert_eq!(
            Client::Msmtp.config_path(&paths).unwrap(),
            home.join(".msmtprc")
        );
        assert_eq!(
            Client::Mbsync.config_path(&paths).unwrap(),
            home.join(".mbsyncrc")
        );
        assert_eq!(
            Client::Aerc.config_path(&paths).unwrap(),
            home.join(".config/aerc/accounts.conf")
        );
        // A muttrc neomutt reads today is not silently shadowed.
        std::fs::write(home.join(".muttrc"), "").unwrap();
        assert!(matches!(
            Client::Neomutt.config_path(&paths),
            Err(ExportError::Placement { .. })
        ));
    }
}
