//! The non-interactive subcommands, one file each.

pub mod completions;
pub mod doctor;
pub mod export;
pub mod git_credential;
pub mod list;
pub mod man;
pub mod password;
pub mod remove;
pub mod schedule;
pub mod scheduled;
pub mod settings;
pub mod store;
pub mod verify;

pub use crate::app::exit::Exit;

use std::process::ExitCode;

/// Run one subcommand against the system keyring.
pub fn dispatch(
    command: crate::app::cli::Command,
    globals: &crate::app::cli::GlobalArgs,
) -> ExitCode {
    use crate::app::cli::Command;
    // These read nothing of the environment's settings.
    match command {
        Command::Completions { shell } => return completions::run(shell).into(),
        Command::Man => return man::run().into(),
        _ => {}
    }
    // Bad overrides are usage errors, whatever the command.
    if let Err(e) = globals.check_settings() {
        eprintln!("icloud-mail-setup: {e}");
        return Exit::Usage.into();
    }
    let store = globals.keyrings(may_show_dialogs(&command, &Terminals::here()));
    let exit = match command {
        Command::Verify {
            scheduled: true, ..
        } => scheduled::run(globals, &store),
        Command::Verify { email, json, .. } => verify::run(globals, &store, email.as_deref(), json),
        Command::Schedule { when } => schedule::run(globals, when),
        Command::List { json } => list::run(globals, &store, json),
        Command::Doctor { email, json } => doctor::run(globals, &store, email.as_deref(), json),
        Command::Password {
            email,
            copy: false,
            clear_after: _,
        } => password::run(globals, &store, &email),
        Command::Password {
            email,
            copy: true,
            clear_after,
        } => password::copy(globals, &store, &email, password::clear_delay(clear_after)),
        Command::Settings { email } => settings::run(globals, email.as_deref()),
        Command::GitCredential { action } => git_credential::run(globals, &store, &action),
        Command::Store {
            email,
            password_stdin: _,
            login,
            label,
        } => store::run(globals, &store, &email, login.as_deref(), label.as_deref()),
        Command::Remove { email, yes } => remove::run(globals, &store, &email, yes),
        Command::Completions { .. } | Command::Man => unreachable!("handled above"),
        Command::Export {
            client,
            email,
            write,
            file,
        } => export::run(
            globals,
            &export::ExportArgs {
                client,
                email,
                write,
                file,
            },
        ),
    };
    exit.into()
}

/// Which of stdin, stdout and stderr are terminals.
pub struct Terminals {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Terminals {
    pub fn here() -> Terminals {
        use std::io::IsTerminal;
        Terminals {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        }
    }
}

/// Whether the keyring may show its own dialog (only the macOS Keychain
/// has one: "allow access", unlock). Never for what runs unattended or
/// for another program: the daily check, the git helper, `list`, and
/// `password` whose output goes to a program (a mail client's password
/// command). Otherwise only when a person is at a terminal.
pub fn may_show_dialogs(command: &crate::app::cli::Command, t: &Terminals) -> bool {
    use crate::app::cli::Command;
    let person = t.stdin && t.stderr;
    match command {
        Command::Verify {
            scheduled: true, ..
        }
        | Command::GitCredential { .. }
        | Command::List { .. } => false,
        Command::Password { copy: false, .. } => person && t.stdout,
        _ => person,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn command(args: &[&str]) -> crate::app::cli::Command {
        let cli = crate::app::cli::Cli::try_parse_from(
            std::iter::once("icloud-mail-setup").chain(args.iter().copied()),
        )
        .unwrap();
        cli.command.expect("a subcommand")
    }

    #[test]
    fn dialogs_only_for_a_person_at_a_terminal_never_unattended() {
        let all = Terminals {
            stdin: true,
            stdout: true,
            stderr: true,
        };
        let piped_out = Terminals {
            stdin: true,
            stdout: false,
            stderr: true,
        };
        let none = Terminals {
            stdin: false,
            stdout: false,
            stderr: false,
        };
        let email = "a@icloud.com";
        // Run by a mail client (stdout read by it) or by nobody: never.
        assert!(!may_show_dialogs(
            &command(&["password", email]),
            &piped_out
        ));
        assert!(!may_show_dialogs(&command(&["password", email]), &none));
        for args in [
            &["verify", "--scheduled"][..],
            &["git-credential", "get"][..],
            &["list"][..],
        ] {
            assert!(!may_show_dialogs(&command(args), &all), "{args:?}");
        }
        // A person typing at a terminal: the Keychain may ask.
        assert!(may_show_dialogs(&command(&["password", email]), &all));
        assert!(may_show_dialogs(&command(&["verify", email]), &all));
        assert!(!may_show_dialogs(&command(&["verify", email]), &none));
    }
}
