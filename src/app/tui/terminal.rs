//! Putting the terminal into raw/alternate-screen mode and restoring it on
//! every way out: drop (normal exit and `?` errors), the panic hook, and
//! the signal path (which runs the same restore before exiting).

use std::io::{self, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tty = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Tty,
    /// Whether the terminal was asked for bracketed paste. A console that
    /// refuses it (Windows without escape sequences) is no reason to stop:
    /// pastes are then recognised as bursts of keys (`paste_burst`).
    pub bracketed_paste: bool,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        let bracketed_paste = execute!(out, EnableBracketedPaste).is_ok();
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                bracketed_paste,
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave raw mode and the alternate screen, show the cursor. Never panics;
/// safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// A panic anywhere (the UI thread or a background task) is fatal for an
/// interactive program: restore the terminal, report, and leave, rather
/// than keep running on a screen that is no longer set up.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A library panic on the keyring thread fails that one call (the
        // thread catches it); it is not the end of the program.
        if std::thread::current().name() == Some("keyring") {
            return;
        }
        restore();
        previous(info);
        // A save running on another thread is let finish (bounded): a
        // panic elsewhere must not leave it half done.
        let _held = crate::domain::storage::hold_saves(crate::domain::storage::SAVE_GRACE);
        crate::app::executor::clear_clipboard();
        std::process::exit(101);
    }));
}
