//! Opening the debug log's file, and what it must not be.
//!
//! The path comes from a flag or an exported variable, so it may name
//! anything: a FIFO (which would block every run until a reader comes), a
//! file of another user's, the config file, or any file of the user's
//! own. The log is opened without following a symlink and without
//! blocking, then refused unless it is a regular file that we own, that is
//! not the config file in use, and that is empty or starts with one of our
//! log lines. A log we own that others can read is made `0600` (and the
//! caller says so): it may hold account names and server replies.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use super::Component;

/// Open `path` for appending after the checks above. Returns the file and
/// whether its permissions were tightened.
pub fn open(path: &Path, config: Option<&Path>) -> io::Result<(File, bool)> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let opened = options.open(path);
    #[cfg(unix)]
    let opened = opened.map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => io::Error::new(e.kind(), "it is a symbolic link (not followed)"),
        Some(libc::ENXIO) => refused("it is not a regular file"),
        _ => e,
    });
    let mut file = opened?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused("it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor we own, with plain integer flags.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: geteuid cannot fail.
        if meta.uid() != unsafe { libc::geteuid() } {
            return Err(refused("it belongs to another user"));
        }
        if let Some(config) = config.and_then(|c| std::fs::metadata(c).ok())
            && (config.dev(), config.ino()) == (meta.dev(), meta.ino())
        {
            return Err(refused("it is the config file"));
        }
    }
    #[cfg(not(unix))]
    if let Some(config) = config {
        let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
        if same(path, config) {
            return Err(refused("it is the config file"));
        }
    }
    if meta.len() > 0 {
        let mut head = [0u8; 40];
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        if !starts_like_ours(&head[..n]) {
            return Err(refused(
                "it is not empty and is not a debug log of this program (give a new file)",
            ));
        }
    }
    // Windows: the file's ACL is inherited from its folder (the user's
    // profile); nothing is tightened there.
    #[cfg(not(unix))]
    let tightened = false;
    #[cfg(unix)]
    let tightened = {
        use std::os::unix::fs::PermissionsExt;
        let open_to_others = meta.permissions().mode() & 0o077 != 0;
        if open_to_others {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        open_to_others
    };
    Ok((file, tightened))
}

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, why.to_string())
}

/// Whether `head` starts like a line of ours: a timestamp of the shape
/// `2026-01-01T00:00:00.000Z`, a space, a component's name and a space.
pub fn starts_like_ours(head: &[u8]) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ ";
    if head.len() < SHAPE.len() {
        return false;
    }
    let time_ok = SHAPE.iter().zip(head).all(|(&s, &h)| {
        if s == b'd' {
            h.is_ascii_digit()
        } else {
            s == h
        }
    });
    let rest = &head[SHAPE.len()..];
    time_ok
        && Component::ALL.iter().any(|c| {
            let name = c.name().as_bytes();
            rest.len() > name.len() && rest.starts_with(name) && rest[name.len()] == b' '
        })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_new_file_or_a_log_of_ours_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        // New: created 0600.
        let new = dir.path().join("new.log");
        let (_f, tightened) = open(&new, None).unwrap();
        assert!(!tightened);
        assert_eq!(
            std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // One of ours, readable by others: kept, made 0600.
        let ours = dir.path().join("ours.log");
        std::fs::write(&ours, "2026-01-01T00:00:00.000Z cli icloud-mail-setup\n").unwrap();
        std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (_f, tightened) = open(&ours, None).unwrap();
        assert!(tightened);
        assert_eq!(
            std::fs::metadata(&ours).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Someone else's content: refused and left alone.
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "my notes\n").unwrap();
        let err = open(&notes, None).unwrap_err();
        assert!(err.to_string().contains("not a debug log"), "{err}");
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
        // The config file in use (even if empty), by another name.
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "").unwrap();
        let alias = dir.path().join("alias");
        std::fs::hard_link(&config, &alias).unwrap();
        let err = open(&alias, Some(&config)).unwrap_err();
        assert!(err.to_string().contains("config file"), "{err}");
        // A symlink is not followed.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        let err = open(&link, None).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        // A FIFO without a reader: refused at once, not a hang.
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = open(&fifo, None).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        // Another user's file (testable when running as root).
        if unsafe { libc::geteuid() } == 0 {
            let theirs = dir.path().join("theirs.log");
            std::fs::write(&theirs, "").unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let err = open(&theirs, None).unwrap_err();
            assert!(err.to_string().contains("another user"), "{err}");
        }
        // A directory.
        let err = open(dir.path(), None).unwrap_err();
        assert!(!err.to_string().is_empty());
    }

    #[test]
    fn our_line_shape_is_recognised() {
        assert!(starts_like_ours(b"2026-01-01T00:00:00.000Z imap S: * OK"));
        assert!(!starts_like_ours(b"2026-01-01T00:00:00.000Z other x"));
        assert!(!starts_like_ours(b"[accounts]\n"));
        assert!(!starts_like_ours(b""));
    }
}
