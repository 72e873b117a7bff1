//! The exit codes, in one place: the enum the commands return and the
//! table `--help` and the README show.

use std::process::ExitCode;

/// Documented exit codes (see [`EXIT_CODES`]).
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

/// The table shown by `--help` (keep in step with [`Exit`]).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (every check accepted)
  1  any other error
  2  usage error
  3  a password was rejected by the server
  4  network, TLS or timeout problem
  5  keyring unavailable or locked
  6  no such account";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_code() {
        for e in [
            Exit::Ok,
            Exit::Failure,
            Exit::Usage,
            Exit::Rejected,
            Exit::Network,
            Exit::Keyring,
            Exit::NoSuchAccount,
        ] {
            let code = format!("\n  {}  ", e as u8);
            assert!(EXIT_CODES.contains(&code), "{e:?} missing from the table");
        }
    }
}
