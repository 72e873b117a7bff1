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
  6  no such account
  128+N  the wizard was stopped by signal N";

/// The rows of [`EXIT_CODES`]: each code and what it means (for the
/// manual page, from the same text).
pub fn exit_code_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    EXIT_CODES.lines().skip(1).filter_map(|line| {
        let (code, meaning) = line.trim_start().split_once("  ")?;
        Some((code, meaning.trim()))
    })
}

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
            let n = (e as u8).to_string();
            assert!(exit_code_rows().any(|(c, m)| c == n && !m.is_empty()));
        }
        assert_eq!(exit_code_rows().count(), EXIT_CODES.lines().count() - 1);
        assert!(exit_code_rows().any(|(c, _)| c == "128+N"));
    }
}
