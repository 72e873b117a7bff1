//! What a command returns: [`Outcome`] when it did its work (with the exit
//! code that work came to: `verify` that found a rejected password has
//! done its work and exits 3), [`Error`] when it stopped. An error carries
//! its exit code, its message, the cause chain and a hint, and is printed
//! in one place ([`Error::print`], through the output layer, so no value
//! it quotes reaches the terminal raw).

use std::io::Write;
use std::process::ExitCode;

use crate::app::exit::Exit;
use crate::app::output::shown;
use crate::domain::keyring::StoreError;

/// How a command that did its work ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// One of the documented exit codes.
    Exit(Exit),
    /// The wizard was stopped by signal N: exit 128+N.
    Signalled(i32),
}

impl Outcome {
    /// Success, exit 0.
    pub const OK: Outcome = Outcome::Exit(Exit::Ok);
}

impl From<Exit> for Outcome {
    fn from(e: Exit) -> Outcome {
        Outcome::Exit(e)
    }
}

impl PartialEq<Exit> for Outcome {
    fn eq(&self, other: &Exit) -> bool {
        *self == Outcome::Exit(*other)
    }
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        match o {
            Outcome::Exit(e) => e.into(),
            Outcome::Signalled(n) => ExitCode::from((128 + n) as u8),
        }
    }
}

/// A command that stopped: why, and what to do.
#[derive(Debug)]
pub struct Error {
    exit: Exit,
    /// Printed after `error: ` (or alone, see [`Error::bare`]).
    message: String,
    bare: bool,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// Lines printed after the message.
    hint: Vec<String>,
}

impl Error {
    /// `error: MESSAGE`, exit `exit`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Error {
        Error {
            exit,
            message: message.into(),
            bare: false,
            cause: None,
            hint: Vec::new(),
        }
    }

    /// Exit 1.
    pub fn failure(message: impl Into<String>) -> Error {
        Error::new(Exit::Failure, message)
    }

    /// Exit 2.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(Exit::Usage, message)
    }

    /// The line as it is, without `error: ` (a sentence of its own, or a
    /// line that names the program, as the git helper's do).
    pub fn bare(exit: Exit, line: impl Into<String>) -> Error {
        Error {
            bare: true,
            ..Error::new(exit, line)
        }
    }

    /// Lines as they are, without `error: `: the first as the message,
    /// the others after it (each escaped on its own).
    pub fn lines(exit: Exit, text: &str) -> Error {
        let mut lines = text.lines();
        let mut e = Error::bare(exit, lines.next().unwrap_or_default());
        e.hint.extend(lines.map(String::from));
        e
    }

    /// An error the check service has already said on stderr (its
    /// settling steps print as they go): only its exit code is left.
    pub fn already_said(exit: Exit) -> Error {
        Error::bare(exit, "")
    }

    /// A keyring that could not be asked: its message and what to do
    /// about it; exit 5.
    pub fn keyring(e: &StoreError) -> Error {
        Error::new(Exit::Keyring, e.to_string()).hint(e.hint())
    }

    /// What caused it, printed after the message (`: cause: its cause`).
    pub fn because(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.cause = Some(Box::new(cause));
        self
    }

    /// A line after the message (none when empty).
    pub fn hint(mut self, line: impl Into<String>) -> Error {
        let line = line.into();
        if !line.is_empty() {
            self.hint.push(line);
        }
        self
    }

    /// `prefix` put before the line: `PREFIX error: …`.
    pub fn prefixed(mut self, prefix: &str) -> Error {
        let lead = if self.bare { "" } else { "error: " };
        self.message = format!("{prefix}{lead}{}", self.message);
        self.bare = true;
        self
    }

    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// The message with its causes, each once: a cause whose text the
    /// line already holds is not repeated.
    pub fn line(&self) -> String {
        let mut line = self.message.clone();
        let mut cause = self.cause.as_deref().map(|c| c as &dyn std::error::Error);
        while let Some(c) = cause {
            let text = c.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = c.source();
        }
        line
    }

    /// The one place an error is printed: the message with its cause
    /// chain, then the hint, every line escaped.
    pub fn print(&self, err: &mut dyn Write) {
        let lead = if self.bare { "" } else { "error: " };
        let line = self.line();
        if !line.is_empty() {
            let _ = writeln!(err, "{lead}{}", shown(&line));
        }
        for line in &self.hint {
            let _ = writeln!(err, "{}", shown(line));
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line())
    }
}

impl From<crate::domain::config::ConfigError> for Error {
    fn from(e: crate::domain::config::ConfigError) -> Error {
        // Its text already names the path and what went wrong (escaped).
        Error::failure(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(e: &Error) -> String {
        let mut out = Vec::new();
        e.print(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_cause_chain_is_said_once_and_escaped_with_the_hint() {
        let io = std::io::Error::other("disk \u{1b}]0;full\u{7}");
        let e = Error::failure("could not write the settings")
            .because(io)
            .hint("Free some space.");
        assert_eq!(
            printed(&e),
            "error: could not write the settings: disk \\x1b]0;full\\x07\nFree some space.\n"
        );
        // A cause the message already says is not repeated.
        let io = std::io::Error::other("gone");
        let e = Error::failure("the file is gone").because(io);
        assert_eq!(printed(&e), "error: the file is gone\n");
        assert_eq!(e.exit(), Exit::Failure);
    }

    #[test]
    fn keyring_errors_carry_their_hint_and_exit_5() {
        let e = Error::keyring(&StoreError::Locked {
            hint: "Unlock it.".into(),
        });
        assert_eq!(e.exit(), Exit::Keyring);
        assert_eq!(printed(&e), "error: the keyring is locked\nUnlock it.\n");
        let e = Error::keyring(&StoreError::Other("x".into())).prefixed("tool: ");
        assert_eq!(printed(&e), "tool: error: keyring error: x\n");
        // Lines of text: each escaped on its own, the line breaks kept.
        let e = Error::lines(
            Exit::Failure,
            "not active: \u{1b}[2J\nActivate it with:\n  x",
        );
        assert_eq!(
            printed(&e),
            "not active: \\x1b[2J\nActivate it with:\n  x\n"
        );
    }
}
