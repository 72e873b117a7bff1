//! The non-interactive subcommands, one file each.

pub mod list;
pub mod password;
pub mod remove;
pub mod store;
pub mod verify;

use std::process::ExitCode;

/// Documented exit codes (see `cli::EXIT_CODES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    Rejected = 3,
    Network = 4,
    Keyring = 5,
    NoSuchAccount = 6,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Run one subcommand.
pub fn dispatch(command: crate::cli::Command, globals: &crate::cli::GlobalArgs) -> ExitCode {
    let _ = (command, globals);
    eprintln!("icloud-mail-setup: this command is not available yet");
    Exit::Failure.into()
}
