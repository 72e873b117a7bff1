//! The application's side of the check service ([`crate::domain::check`]):
//! the exit code each verdict gives, the service built from the global
//! options, and the settling of unfinished saves said on stderr.

use std::io::Write;
use std::path::Path;

use crate::app::cli::GlobalArgs;
use crate::app::context::load_config;
use crate::app::exit::Exit;
use crate::app::output::shown;
use crate::domain::check::{self, MakeChecker, Service, result_for_kind, result_for_report};
use crate::domain::config::Config;
use crate::domain::keyring::SecretStore;
use crate::domain::mail::{CheckReport, CheckSettings, ErrorKind};
use crate::domain::storage::CheckResult;

/// The exit code a check's result gives.
pub fn exit_for(result: CheckResult) -> Exit {
    match result {
        CheckResult::Ok => Exit::Ok,
        CheckResult::Rejected => Exit::Rejected,
        CheckResult::Network => Exit::Network,
        CheckResult::Keyring => Exit::Keyring,
        CheckResult::NoPassword => Exit::NoSuchAccount,
        CheckResult::Error => Exit::Failure,
    }
}

/// The exit code a failure kind maps to.
pub fn exit_for_kind(kind: ErrorKind) -> Exit {
    exit_for(result_for_kind(kind))
}

/// The exit code one check's report gives.
pub fn exit_for_report(r: &CheckReport) -> Exit {
    exit_for(result_for_report(r))
}

/// The more serious of two outcomes: rejected (3) > network (4) >
/// keyring (5) > no such account (6) > other (1) > usage (2) > ok (0).
pub fn worst(a: Exit, b: Exit) -> Exit {
    fn rank(e: Exit) -> u8 {
        match e {
            Exit::Ok => 0,
            Exit::Usage => 1,
            Exit::Failure => 2,
            Exit::NoSuchAccount => 3,
            Exit::Keyring => 4,
            Exit::Network => 5,
            Exit::Rejected => 6,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

/// The check service with the servers given on the command line (or in
/// the environment) and `settings` made of them.
pub fn service<'a>(
    globals: &GlobalArgs,
    store: &'a dyn SecretStore,
    path: &'a Path,
    settings: &'a CheckSettings,
    make_checker: &'a MakeChecker<'a>,
) -> Service<'a> {
    Service {
        store,
        path,
        base: settings,
        given: (globals.imap.is_some(), globals.smtp.is_some()),
        make_checker,
    }
}

/// `config` once every save cut short that it shows (`pending`) is
/// settled, and those of `leftovers` cut short before it recorded them
/// (a staging entry alone); what was done is said on `err`. A save under
/// way when we started may have been finished by its own process while we
/// waited: the config is re-read whenever it showed one.
pub fn settled_config(
    store: &dyn SecretStore,
    path: &Path,
    config: Config,
    leftovers: &[String],
    err: &mut dyn Write,
) -> Result<Config, Exit> {
    let mut settled = config.accounts.iter().any(|a| a.pending.is_some());
    let pending = check::settle_pending(store, path, &config);
    let lines = pending.iter().map(|s| s.line());
    for line in lines.chain(check::settle_leftovers(store, path, leftovers)) {
        let _ = writeln!(err, "{}", shown(&line));
        settled = true;
    }
    if settled {
        load_config(path, err)
    } else {
        Ok(config)
    }
}

/// Only when the config shows a save of `email` cut short (no keyring
/// call otherwise): finish or roll it back, saying what was done on `err`.
pub fn settle_if_pending(
    store: &dyn SecretStore,
    path: &Path,
    config: &Config,
    email: &str,
    err: &mut dyn Write,
) {
    if let Some(s) = check::settle_if_pending(store, path, config, email) {
        let _ = writeln!(err, "{}", shown(&s.line()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check::worse;

    const ALL: [CheckResult; 6] = [
        CheckResult::Ok,
        CheckResult::Rejected,
        CheckResult::Network,
        CheckResult::Keyring,
        CheckResult::NoPassword,
        CheckResult::Error,
    ];

    /// The service ranks results in the domain and the commands rank exit
    /// codes: both must pick the same account as the more serious.
    #[test]
    fn the_domain_and_the_exit_codes_agree_on_what_is_worse() {
        for a in ALL {
            for b in ALL {
                assert_eq!(
                    exit_for(worse(a, b)),
                    worst(exit_for(a), exit_for(b)),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}
