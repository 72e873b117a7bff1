//! Plain mode's input: stdin read on a thread of its own, one line per
//! request, so results and signals are handled while a person types.
//! Lines are bounded and zeroed on drop (one may be the password).
//!
//! At a terminal, echo is on only while a question shown in clear waits
//! for its answer: what is typed or pasted while the program is busy (a
//! check running, the next question not yet asked) is not shown as it
//! arrives. It may be the password; the question it is read at decides
//! (`answer.rs`), and a line read ahead that is not a password is shown
//! there, after its question.

use std::io::{BufRead, Write};

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use zeroize::Zeroizing;

/// The longest answer line read; longer lines are refused whole.
const MAX_LINE: usize = 4096;

/// What the reader thread is asked for.
pub(super) enum Ask {
    Line,
    /// Echo off when stdin is a terminal, then this question printed (by
    /// the reader, so nothing typed after it appears can be echoed).
    Hidden(String),
}

/// A line read, zeroed on drop (it may be the password); `None` at the end
/// of input; `Err` for a line too long or not text.
pub(super) type Answer = Option<Result<Line, String>>;

/// One line of input.
pub(super) struct Line {
    pub text: Zeroizing<String>,
    /// Typed before its question was asked, while echo was off: the
    /// terminal did not show it.
    pub ahead: bool,
}

/// Echo off while no question shown in clear waits (Unix terminals; the
/// Windows console's echo is only turned off for the password).
const QUIET_WHILE_BUSY: bool = cfg!(unix);

/// Reads stdin on a thread of its own, one line per request, so results
/// and signals are handled while a person is typing.
pub(super) fn spawn_reader() -> (std::sync::mpsc::Sender<Ask>, UnboundedReceiver<Answer>) {
    let (ask_tx, ask_rx) = std::sync::mpsc::channel::<Ask>();
    let (tx, rx) = unbounded_channel();
    let _ = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let tty = std::io::IsTerminal::is_terminal(&stdin);
            let quiet = || {
                if tty {
                    crate::sys::echo::EchoOff::new()
                } else {
                    None
                }
            };
            let mut echo_off = if QUIET_WHILE_BUSY { quiet() } else { None };
            for ask in ask_rx {
                let ahead = match ask {
                    Ask::Hidden(question) => {
                        if echo_off.is_none() {
                            echo_off = quiet();
                        }
                        let mut out = std::io::stdout();
                        let _ = write!(out, "{question}");
                        let _ = out.flush();
                        false
                    }
                    Ask::Line => {
                        let ahead = echo_off.is_some() && input_waiting();
                        echo_off = None;
                        ahead
                    }
                };
                let answer =
                    read_line(&mut stdin.lock()).map(|r| r.map(|text| Line { text, ahead }));
                if !QUIET_WHILE_BUSY {
                    // After the password, echo comes back (Windows).
                    echo_off = None;
                } else if echo_off.is_none() {
                    echo_off = quiet();
                }
                let end = answer.is_none();
                if tx.send(answer).is_err() || end {
                    break;
                }
            }
        });
    (ask_tx, rx)
}

/// Is input waiting on stdin (typed before the question was asked)?
#[cfg(unix)]
fn input_waiting() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll(2) on one pollfd we own, without waiting.
    unsafe { libc::poll(&mut fd, 1, 0) > 0 && fd.revents & libc::POLLIN != 0 }
}

#[cfg(not(unix))]
fn input_waiting() -> bool {
    false
}

/// One line, at most [`MAX_LINE`] bytes, into a buffer sized once.
fn read_line(input: &mut dyn BufRead) -> Option<Result<Zeroizing<String>, String>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_LINE + 2));
    match std::io::Read::take(&mut *input, (MAX_LINE + 1) as u64).read_until(b'\n', &mut buf) {
        Ok(0) => return None,
        Ok(_) => {}
        Err(e) => return Some(Err(format!("could not read the answer: {e}"))),
    }
    if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE {
        // Drop the rest of the line, a buffer at a time (bounded memory,
        // no copies of what may be a password).
        loop {
            let (consumed, done) = match input.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(chunk) => match chunk.iter().position(|b| *b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                },
            };
            input.consume(consumed);
            if done {
                break;
            }
        }
        return Some(Err(format!(
            "That line is longer than {MAX_LINE} bytes; it was not used."
        )));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    match std::str::from_utf8(&buf) {
        Ok(s) => Some(Ok(Zeroizing::new(s.to_string()))),
        Err(_) => Some(Err("That line is not text; it was not used.".into())),
    }
}
