use std::process::ExitCode;

use clap::Parser;
use icloud_mail_setup::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = cli;
    ExitCode::SUCCESS
}
