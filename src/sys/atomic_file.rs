//! Replacing a file so that a reader sees the old bytes or the new ones,
//! never half of each: a temporary file in the same directory, written,
//! flushed to disk, then renamed over the target. Used for our own config
//! and for the mail-client configs `export --write` installs into.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What failed, on which path (the temporary file or the target).
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub what: &'static str,
    #[source]
    pub source: std::io::Error,
}

fn fail<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> WriteError + 'a {
    move |source| WriteError {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// Replace `path` (a regular file or none: resolve symlinks first) with
/// `bytes`, the new file having `mode` (Unix permission bits). The
/// temporary file is removed again when anything fails.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{base}.{}.{n}.tmp", std::process::id()));

    let result = (|| {
        let mut file =
            create_new(&tmp, mode).map_err(fail(&tmp, "could not create a temporary file"))?;
        // The umask may have narrowed the mode; a kept mode must be exact.
        set_mode(&file, mode).map_err(fail(&tmp, "could not set the file mode"))?;
        file.write_all(bytes)
            .map_err(fail(&tmp, "could not write"))?;
        file.sync_all()
            .map_err(fail(&tmp, "could not flush to disk"))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(fail(path, "could not be replaced"))?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write `bytes` to a file that must not exist yet (a backup), with
/// `mode`, flushed to disk.
pub fn create(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    let result = (|| {
        let mut file = create_new(path, mode).map_err(fail(path, "could not be created"))?;
        set_mode(&file, mode).map_err(fail(path, "could not set the file mode"))?;
        file.write_all(bytes)
            .map_err(fail(path, "could not write"))?;
        file.sync_all()
            .map_err(fail(path, "could not flush to disk"))
    })();
    if let Err(e) = &result
        && e.what != "could not be created"
    {
        let _ = std::fs::remove_file(path);
    }
    result
}

#[cfg(unix)]
fn create_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

#[cfg(not(unix))]
fn create_new(path: &Path, _mode: u32) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Make a rename durable. Best effort: not every file system allows it.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn replace_keeps_the_given_mode_and_leaves_no_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, "old").unwrap();
        replace(&p, b"new", 0o640).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, "keep").unwrap();
        let e = create(&p, b"x", 0o600).unwrap_err();
        assert_eq!(e.what, "could not be created");
        assert_eq!(std::fs::read(&p).unwrap(), b"keep");
    }
}
