//! Changing the config: one writer at a time (a lock file beside it, with a
//! deadline), each change re-read, applied and written atomically, 0600.

use std::path::{Path, PathBuf};

use super::*;

/// How long to wait for another run holding the config lock.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Take the exclusive lock, waiting at most [`LOCK_WAIT`] for another run
/// to release it: a hung run elsewhere must not hang this one.
fn lock_with_deadline(lock: &std::fs::File, lock_path: &Path) -> Result<(), ConfigError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ConfigError::Io {
                    path: lock_path.to_path_buf(),
                    message: format!(
                        "another icloud-mail-setup has held this lock for over {} s; \
                         try again when it has finished",
                        LOCK_WAIT.as_secs()
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_error(lock_path, "could not lock", &e));
            }
        }
    }
}

/// The sibling lock file that serialises writers: `config.toml.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "config.toml".into());
    name.push(".lock");
    path.with_file_name(name)
}

/// The file a config path names: itself, or the end of its symlink chain
/// (a dotfile manager's link), so that writing replaces the target and the
/// link stays a link.
pub fn resolve(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&current) {
                Ok(target) if target.is_absolute() => current = target,
                Ok(target) => {
                    let base = current.parent().map(Path::to_path_buf).unwrap_or_default();
                    current = base.join(target);
                }
                Err(_) => return current,
            },
            _ => return current,
        }
    }
    current
}

/// The config file held under its lock, for a change made of several
/// steps (a save: keyring and config together). Other writers wait until
/// it is dropped. Do not call [`update`] on the same path while holding
/// one: the lock is not re-entrant.
pub struct ConfigLock {
    path: PathBuf,
    _lock: std::fs::File,
}

impl ConfigLock {
    /// Take the lock of the config at `path` (waiting at most
    /// [`LOCK_WAIT`]), creating its directory if needed.
    pub fn acquire(path: &Path) -> Result<ConfigLock, ConfigError> {
        // Nothing is created or locked beside a file that is not ours.
        open_checked(path)?;
        let path = resolve(path);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir)
            .map_err(|e| io_error(&dir, "could not create the directory", &e))?;
        let lock_path = lock_path(&path);
        let lock = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, "could not open the lock file", &e))?;
        lock_with_deadline(&lock, &lock_path)?;
        Ok(ConfigLock { path, _lock: lock })
    }

    /// The config as it is now.
    pub fn load(&self) -> Result<Config, ConfigError> {
        load(&self.path)
    }

    /// Re-read, change, write atomically (temp + fsync + rename, 0600). A
    /// change that changes nothing leaves an existing file untouched.
    pub fn update<T>(&self, f: impl FnOnce(&mut Config) -> T) -> Result<T, ConfigError> {
        let before = load(&self.path)?;
        let mut config = before.clone();
        let out = f(&mut config);
        // Nothing changed and the file is there: leave it (and its comments) be.
        if config != before || !self.path.exists() {
            let written = write_atomically(&self.path, &config);
            crate::log!(
                crate::sys::log::Component::Config,
                "wrote {}: {}",
                self.path.display(),
                match &written {
                    Ok(_) => format!("{} account(s)", config.accounts.len()),
                    Err(e) => e.to_string(),
                }
            );
            written?;
        }
        Ok(out)
    }
}

/// Lock, re-read, change, write atomically (temp + fsync + rename, 0600).
/// A change that changes nothing leaves an existing file untouched.
pub fn update<T>(path: &Path, f: impl FnOnce(&mut Config) -> T) -> Result<T, ConfigError> {
    ConfigLock::acquire(path)?.update(f)
}

/// Make a config file that group or others can read private (0600).
/// Returns a warning to show when it was not.
pub fn tighten_permissions(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Only a regular file of this user: anything else is refused by
        // `load`, unchanged.
        let file = open_checked(path).ok()??;
        let mode = file.metadata().ok()?.permissions().mode();
        if mode & 0o077 == 0 {
            return None;
        }
        let target = resolve(path);
        let fixed = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        Some(match fixed {
            Ok(()) => format!(
                "{} was readable by other users (mode {:o}); it is now 0600. It holds no \
                 password, but it names your accounts.",
                target.display(),
                mode & 0o777
            ),
            Err(e) => format!(
                "{} is readable by other users (mode {:o}) and could not be made private: {e}",
                target.display(),
                mode & 0o777
            ),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn write_atomically(path: &Path, config: &Config) -> Result<(), ConfigError> {
    let body = toml::to_string(config).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        message: format!("could not serialise the config: {e}"),
    })?;
    let text = format!("{HEADER}{body}");
    crate::sys::atomic_file::replace(path, text.as_bytes(), 0o600).map_err(|e| ConfigError::Io {
        path: e.path.clone(),
        message: format!("{}: {}", e.what, e.source),
    })
}

#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.mode(0o600);
    o
}

#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    std::fs::OpenOptions::new()
}

/// Create `dir` and its missing parents, private (0700) where new.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::config::tests::entry;

    #[test]
    fn update_round_trips_and_writes_header_and_mode() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub/dir/config.toml");
        update(&path, |c| c.upsert(entry("a@icloud.com"))).unwrap();
        update(&path, |c| c.upsert(entry("b@icloud.com"))).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# Written by icloud-mail-setup."),
            "{text}"
        );
        let c = load(&path).unwrap();
        assert_eq!(c.accounts.len(), 2);
        assert!(c.find("B@icloud.com").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_config_is_written_through_and_stays_a_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("dotfiles/config.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "").unwrap();
        let link = d.path().join("conf/config.toml");
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink("../dotfiles/config.toml", &link).unwrap();
        update(&link, |c| c.upsert(entry("a@icloud.com"))).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(load(&real).unwrap().find("a@icloud.com").is_some());
        assert!(load(&link).unwrap().find("a@icloud.com").is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_config_readable_by_others_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = tighten_permissions(&path).expect("a warning");
        assert!(warning.contains("644"), "{warning}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(tighten_permissions(&path), None);
    }

    #[test]
    fn the_lock_is_held_across_steps() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        let lock = ConfigLock::acquire(&path).unwrap();
        lock.update(|c| c.upsert(entry("a@icloud.com"))).unwrap();
        // Another writer cannot get in while the lock is held.
        let other = std::fs::OpenOptions::new()
            .write(true)
            .open(lock_path(&path))
            .unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(lock);
        other.try_lock().unwrap();
    }
}
