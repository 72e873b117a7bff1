//! Terminal echo off on stdin while a password is typed (`store` at a
//! terminal, plain mode), and put back on every way out: drop, and
//! [`restore`] from the signal paths.
//!
//! Unix: the termios `ECHO` flag (with `ECHONL`, so Enter still moves to
//! a new line). Windows: the console's `ENABLE_ECHO_INPUT` mode (only
//! type-checked here, never run).

use std::io::{BufRead, Read};
#[cfg(any(unix, windows))]
use std::sync::Mutex;

/// What is put back: the terminal attributes, or the console input mode.
#[cfg(unix)]
type Saved = libc::termios;
#[cfg(windows)]
type Saved = u32;

/// The attributes to put back, while echo is off.
#[cfg(any(unix, windows))]
static SAVED: Mutex<Option<Saved>> = Mutex::new(None);

/// Echo turned off on stdin until dropped (`None` if stdin is not a
/// terminal or it could not be changed).
pub struct EchoOff {
    #[cfg(any(unix, windows))]
    saved: Saved,
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

    #[cfg(windows)]
    pub fn new() -> Option<EchoOff> {
        use windows_sys::Win32::System::Console::{ENABLE_ECHO_INPUT, GetConsoleMode};
        let input = console_input()?;
        let mut saved: u32 = 0;
        // SAFETY: GetConsoleMode writes one u32 we own; a handle that is
        // not a console makes it fail, and nothing is changed then.
        if unsafe { GetConsoleMode(input, &mut saved) } == 0 {
            return None;
        }
        if let Ok(mut s) = SAVED.lock() {
            *s = Some(saved);
        }
        if !set_console_mode(saved & !ENABLE_ECHO_INPUT) {
            if let Ok(mut s) = SAVED.lock() {
                *s = None;
            }
            return None;
        }
        Some(EchoOff { saved })
    }

    #[cfg(not(any(unix, windows)))]
    pub fn new() -> Option<EchoOff> {
        None
    }
}

/// The console's input handle, if stdin has one.
#[cfg(windows)]
fn console_input() -> Option<windows_sys::Win32::Foundation::HANDLE> {
    use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
    use windows_sys::Win32::System::Console::{GetStdHandle, STD_INPUT_HANDLE};
    // SAFETY: GetStdHandle only returns the process's handle (or none).
    let handle = unsafe { GetStdHandle(STD_INPUT_HANDLE) };
    (!handle.is_null() && handle != INVALID_HANDLE_VALUE).then_some(handle)
}

#[cfg(windows)]
fn set_console_mode(mode: u32) -> bool {
    use windows_sys::Win32::System::Console::SetConsoleMode;
    match console_input() {
        // SAFETY: SetConsoleMode on the process's own console input handle.
        Some(input) => unsafe { SetConsoleMode(input, mode) != 0 },
        None => false,
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restores the attributes read in `new`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
        #[cfg(windows)]
        {
            set_console_mode(self.saved);
            // With echo off the console does not echo Enter either.
            eprintln!();
        }
        #[cfg(any(unix, windows))]
        if let Ok(mut s) = SAVED.lock() {
            *s = None;
        }
    }
}

/// Put echo back if a password read is in progress (for a signal path
/// that leaves without unwinding). Uses `try_lock`: never blocks.
pub fn restore() {
    #[cfg(any(unix, windows))]
    if let Ok(s) = SAVED.try_lock()
        && let Some(saved) = s.as_ref()
    {
        #[cfg(unix)]
        // SAFETY: restores attributes read from fd 0 earlier.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
        }
        #[cfg(windows)]
        set_console_mode(*saved);
    }
}

/// `input` read with echo off until its first line end (or its end) has
/// been consumed; echo comes back then, not when the caller is done. No
/// buffer of its own: the bytes stay in `input`'s.
pub struct HiddenLine<R> {
    input: R,
    echo_off: Option<EchoOff>,
}

impl<R: BufRead> HiddenLine<R> {
    pub fn new(input: R, echo_off: Option<EchoOff>) -> Self {
        HiddenLine { input, echo_off }
    }
}

impl<R: BufRead> Read for HiddenLine<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        if n == 0 || buf[..n].contains(&b'\n') {
            self.echo_off = None;
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for HiddenLine<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let ended = self.input.fill_buf()?.is_empty();
        if ended {
            self.echo_off = None;
        }
        self.input.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The bytes consumed are still in `input`'s buffer: look at them.
        if self.echo_off.is_some()
            && let Ok(buffered) = self.input.fill_buf()
            && buffered[..amt.min(buffered.len())].contains(&b'\n')
        {
            self.echo_off = None;
        }
        self.input.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_line_passes_the_bytes_through_unchanged() {
        let mut input = HiddenLine::new(&b"abcd-efgh\nrest\n"[..], None);
        let mut line = Vec::new();
        input.read_until(b'\n', &mut line).unwrap();
        assert_eq!(line, b"abcd-efgh\n");
        let mut rest = String::new();
        input.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "rest\n");
    }
}
