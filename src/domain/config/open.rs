//! Opening the config file: only a regular file of this user, without
//! blocking, and never more than [`MAX_SIZE`] bytes read.

use std::path::Path;

use super::{ConfigError, MAX_SIZE, io_error, line_column};

/// The config's text, `None` when there is no file. At most
/// [`MAX_SIZE`] + 1 bytes are read.
pub(super) fn read_checked(path: &Path) -> Result<Option<String>, ConfigError> {
    use std::io::Read as _;
    let Some(file) = open_checked(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, "could not be read", &e))?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(refused(
            path,
            format!(
                "is larger than {} KiB: not a config file of ours",
                MAX_SIZE / 1024
            ),
        ));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, column) = line_column(&text, valid);
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: "not UTF-8 text".into(),
        }
    })
}

fn refused(path: &Path, why: String) -> ConfigError {
    ConfigError::Refused {
        path: path.to_path_buf(),
        why,
    }
}

/// Open the config at `path` for reading, after making sure it is ours:
/// a regular file (a symlink is followed to one) owned by this user.
/// Anything else (a directory, a FIFO, a device, someone else's file) is
/// refused before it is opened, so it is never read, locked, chmod-ed or
/// written; the open itself does not block (a FIFO swapped in meanwhile)
/// and what was opened is checked again. `None`: there is no file.
pub fn open_checked(path: &Path) -> Result<Option<std::fs::File>, ConfigError> {
    let before = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling symlink is not a missing config: writing would
            // create a file wherever it points.
            return match std::fs::symlink_metadata(path) {
                Ok(_) => Err(refused(path, "is a symlink to nothing".into())),
                Err(_) => Ok(None),
            };
        }
        Err(e) => return Err(io_error(path, "could not be read", &e)),
    };
    check_ours(path, &before)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options
        .open(path)
        .map_err(|e| io_error(path, "could not be read", &e))?;
    let opened = file
        .metadata()
        .map_err(|e| io_error(path, "could not be read", &e))?;
    check_ours(path, &opened)?;
    Ok(Some(file))
}

/// Refuse what is not a regular file owned by this user.
fn check_ours(path: &Path, meta: &std::fs::Metadata) -> Result<(), ConfigError> {
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            special_kind(&kind)
        };
        return Err(refused(
            path,
            format!("is {what}, not a config file: it was not read or changed"),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(refused(
                path,
                format!(
                    "belongs to another user (uid {}): it was not read or changed",
                    meta.uid()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "not a regular file"
}
