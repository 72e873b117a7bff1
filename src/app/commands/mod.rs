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
pub mod wizard;

pub use crate::app::exit::Exit;

use crate::app::cli::{Cli, Command, VerifyArgs};
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};

/// The command line, run: the command it names (the wizard without one)
/// with the options resolved into a [`Context`]; an error printed.
pub fn main(cli: Cli) -> Outcome {
    // These read nothing of the options or the environment's settings.
    let alone = match &cli.command {
        Some(Command::Completions(args)) => Some(completions::run(args)),
        Some(Command::Man) => Some(man::run()),
        _ => None,
    };
    if let Some(result) = alone {
        return finish_alone(result);
    }
    let dialogs = match &cli.command {
        Some(command) => may_show_dialogs(command, &Terminals::here()),
        // The wizard: a person is at the screen.
        None => true,
    };
    let store = cli.globals.keyrings(dialogs);
    let ctx = match Context::new(&cli.globals, &store) {
        Ok(ctx) => ctx,
        Err(e) => return finish_alone(Err(e)),
    };
    let result = match cli.command {
        Some(command) => run(&ctx, command),
        None => wizard::run(
            &ctx,
            wizard::WizardArgs {
                account: cli.account,
                plain: cli.plain,
            },
        ),
    };
    ctx.finish(result)
}

/// A command's outcome with no context to print through.
fn finish_alone(result: Result<Outcome, Error>) -> Outcome {
    result.unwrap_or_else(|e| {
        e.print(&mut std::io::stderr());
        e.exit().into()
    })
}

/// Run one subcommand.
pub fn run(ctx: &Context<'_>, command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Verify(
            args @ VerifyArgs {
                scheduled: true, ..
            },
        ) => scheduled::run(ctx, args),
        Command::Verify(args) => verify::run(ctx, args),
        Command::Schedule(args) => schedule::run(ctx, args),
        Command::List(args) => list::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Password(args) => password::run(ctx, args),
        Command::Settings(args) => settings::run(ctx, args),
        Command::GitCredential(args) => git_credential::run(ctx, args),
        Command::Store(args) => store::run(ctx, args),
        Command::Remove(args) => remove::run(ctx, args),
        Command::Export(args) => export::run(ctx, args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => man::run(),
    }
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
pub fn may_show_dialogs(command: &Command, t: &Terminals) -> bool {
    let person = t.stdin && t.stderr;
    match command {
        Command::Verify(VerifyArgs {
            scheduled: true, ..
        })
        | Command::GitCredential(_)
        | Command::List(_) => false,
        Command::Password(args) if !args.copy => person && t.stdout,
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
