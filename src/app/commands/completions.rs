//! `completions SHELL`: the shell completion script, on stdout.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::app::cli::CompletionsArgs;
use crate::app::error::{Error, Outcome};

/// The script for `shell`, as bytes.
pub fn render(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::app::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "icloud-mail-setup", &mut out);
    out
}

/// `completions SHELL`: the script on stdout. It needs no context: it
/// reads nothing of the options, so bad ones do not stop it.
pub fn run(args: &CompletionsArgs) -> Result<Outcome, Error> {
    std::io::stdout()
        .write_all(&render(args.shell))
        .map_err(|e| Error::failure("could not write the completions").because(e))?;
    Ok(Outcome::OK)
}
