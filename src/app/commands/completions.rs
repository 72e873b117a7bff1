//! `completions SHELL`: the shell completion script, on stdout.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Exit;

/// The script for `shell`, as bytes.
pub fn render(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::app::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "icloud-mail-setup", &mut out);
    out
}

pub fn run(shell: Shell) -> Exit {
    match std::io::stdout().write_all(&render(shell)) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("icloud-mail-setup: could not write the completions: {e}");
            Exit::Failure
        }
    }
}
