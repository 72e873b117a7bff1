//! Plain mode's input: stdin read on a thread of its own, one line per
//! request, so results and signals are handled while a person types.
//! Lines are bounded and zeroed on drop (one may be the password).

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
pub(super) type Answer = Option<Result<Zeroizing<String>, String>>;

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
            for ask in ask_rx {
                let _echo_off = match ask {
                    Ask::Hidden(question) => {
                        let off = if tty {
                            crate::sys::echo::EchoOff::new()
                        } else {
                            None
                        };
                        let mut out = std::io::stdout();
                        let _ = write!(out, "{question}");
                        let _ = out.flush();
                        off
                    }
                    Ask::Line => None,
                };
                let answer = read_line(&mut stdin.lock());
                let end = answer.is_none();
                if tx.send(answer).is_err() || end {
                    break;
                }
            }
        });
    (ask_tx, rx)
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
