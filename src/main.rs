//! Thin entry point: parse the command line, open the log, run (the
//! options resolved once into a context, see `app::commands::main`), exit.

/// Like `eprintln!`, but a stderr that is gone (a terminal hung up, a closed
/// pipe) is not a panic: the line is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use icloud_mail_setup::app::cli::Cli;
use icloud_mail_setup::app::commands::{self, Exit};
use icloud_mail_setup::log;
use icloud_mail_setup::sys::log;
use icloud_mail_setup::sys::log::Component;

fn main() -> ExitCode {
    // Before anything holds a secret: no core dump may carry it.
    icloud_mail_setup::sys::hardening::disable_core_dumps();
    // An empty variable is unset: ICLOUD_MAIL_SETUP_LOG means no log, and
    // an empty _CONFIG, _IMAP, _SMTP or _CA_FILE the default (clap would
    // call it a missing value of an option nobody typed).
    for name in icloud_mail_setup::app::cli::ENV_VARS {
        if std::env::var_os(name).is_some_and(|v| v.is_empty()) {
            // SAFETY: nothing else runs yet: no thread reads the environment.
            unsafe { std::env::remove_var(name) };
        }
    }
    let command = Cli::command();
    let matches = command.clone().try_get_matches().unwrap_or_else(|e| {
        // An error's usage line names the options in use, and clap counts
        // a value from a variable (ICLOUD_MAIL_SETUP_IMAP, ...) as one:
        // say it as if they were unset, so none reads as required. The
        // variables carry no value clap checks, so the error is the same.
        for name in icloud_mail_setup::app::cli::ENV_VARS {
            // SAFETY: still one thread: nothing reads the environment.
            unsafe { std::env::remove_var(name) };
        }
        // (clap reads the variables when the command is built.)
        Cli::command().try_get_matches().err().unwrap_or(e).exit()
    });
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(code) = open_log(&cli, &command, &matches) {
        return code;
    }
    let outcome = commands::main(cli);
    log!(Component::Cli, "exit status {outcome:?}");
    icloud_mail_setup::sys::log::close();
    outcome.into()
}

/// Open the debug log if one was asked for, and write its first line:
/// version, platform, and the command line's shape (names, never values:
/// see `log::args`). A log named by `--log` that cannot be opened is a
/// usage error; one named only by the environment variable is a warning
/// (an exported variable must not break every `password` call), and an
/// empty variable is no log.
fn open_log(cli: &Cli, command: &clap::Command, matches: &clap::ArgMatches) -> Option<ExitCode> {
    let path = cli.globals.log.as_ref()?;
    let from_env = matches.value_source("log") == Some(clap::parser::ValueSource::EnvVariable);
    // A relative path in the variable would leave logs in whatever
    // directory git or a mail client runs the password command from.
    if from_env && path.is_relative() {
        say!(
            "icloud-mail-setup: {}: not logging to {}: give an absolute path; carrying on without a log",
            log::ENV,
            path.display()
        );
        return None;
    }
    let config = cli.globals.config_path().ok();
    match log::open(path, config.as_deref()) {
        Ok(tightened) => {
            if tightened {
                say!(
                    "icloud-mail-setup: the debug log {} could be read by others: made it 0600",
                    path.display()
                );
            }
        }
        Err(e) if from_env => {
            say!(
                "icloud-mail-setup: {}: not logging to {}: {e}; carrying on without a log",
                log::ENV,
                path.display()
            );
            return None;
        }
        Err(e) => {
            say!(
                "icloud-mail-setup: --log: cannot write the log to {}: {e}",
                path.display()
            );
            return Some(Exit::Usage.into());
        }
    }
    log!(
        Component::Cli,
        "icloud-mail-setup {} on {}/{}, arguments: {}",
        icloud_mail_setup::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH,
        log::args::shape(command, matches)
    );
    None
}
