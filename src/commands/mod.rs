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

pub use crate::exit::Exit;

use std::process::ExitCode;

/// Run one subcommand against the system keyring.
pub fn dispatch(command: crate::cli::Command, globals: &crate::cli::GlobalArgs) -> ExitCode {
    use crate::cli::Command;
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
    let store = crate::keyring::KeyringStore::new();
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
