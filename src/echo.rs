//! Terminal echo off on stdin while a password is typed (`store` at a
//! terminal, plain mode), and put back on every way out: drop, and
//! [`restore`] from the signal paths.

use std::sync::Mutex;

/// The attributes to put back, while echo is off.
#[cfg(unix)]
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Echo turned off on stdin until dropped (`None` if stdin is not a
/// terminal or it could not be changed).
pub struct EchoOff {
    #[cfg(unix)]
    saved: libc::termios,
}

impl EchoOff {
    #[cfg(unix)]
    pub fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed, then filled,
        // termios struct; failures are checked and leave nothing changed.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            if let Ok(mut s) = SAVED.lock() {
                *s = Some(saved);
            }
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }

    /// Not compiled here: Windows reads the password with echo on (the
    /// console is the user's own; nothing is logged).
    #[cfg(not(unix))]
    pub fn new() -> Option<EchoOff> {
        None
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restores the attributes read in `new`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
            if let Ok(mut s) = SAVED.lock() {
                *s = None;
            }
        }
    }
}

/// Put echo back if a password read is in progress (for a signal path
/// that leaves without unwinding). Uses `try_lock`: never blocks.
pub fn restore() {
    #[cfg(unix)]
    if let Ok(s) = SAVED.try_lock()
        && let Some(saved) = s.as_ref()
    {
        // SAFETY: restores attributes read from fd 0 earlier.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
        }
    }
}
