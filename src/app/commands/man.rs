//! `man`: the manual page (roff), on stdout.
//!
//! clap_mangen renders the name, synopsis, description, options and the
//! list of commands from the same clap types as `--help`; the ENVIRONMENT
//! section comes from the options' `env` names, and EXIT STATUS from the
//! table in exit.rs, the one `--help` and the README show.

use std::io::Write;

use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};

use crate::app::error::{Error, Outcome};
use crate::app::exit::exit_code_rows;

/// Variables read that are not an option's `env`.
const OTHER_ENV: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colours (as --no-color).",
    ),
    (
        "TERM",
        "When dumb, the wizard runs line by line (as --plain).",
    ),
];

/// The whole page.
pub fn render() -> Vec<u8> {
    let cmd = crate::app::cli::Cli::command();
    let man = clap_mangen::Man::new(cmd.clone()).date("");
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    // Left-adjusted throughout: long words (paths, the git config command
    // to type) cannot be spread to the margin, and groff warns "cannot
    // adjust line" when formatting them justified.
    let mut ad = Roff::new();
    ad.control("ad", ["l"]);
    let _ = ad.to_writer(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    commands(&cmd, &mut out);
    environment(&cmd, &mut out);
    exit_status(&mut out);
    let _ = man.render_version_section(&mut out);
    out
}

/// Each command with its usage and description (their options: `--help`).
fn commands(cmd: &clap::Command, out: &mut Vec<u8>) {
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    roff.text([roman(
        "Each command's own options are listed by icloud-mail-setup COMMAND --help.",
    )]);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub = sub
            .clone()
            .bin_name(format!("icloud-mail-setup {}", sub.get_name()));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").to_string();
        roff.control("TP", []);
        roff.text([bold(usage)]);
        let about = sub
            .get_long_about()
            .or_else(|| sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        for (i, para) in about.split("\n\n").enumerate() {
            if i > 0 {
                roff.control("IP", []);
            }
            roff.text([roman(para.replace('\n', " "))]);
        }
    }
    let _ = roff.to_writer(out);
}

fn environment(cmd: &clap::Command, out: &mut Vec<u8>) {
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for arg in cmd.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        roff.control("TP", []);
        roff.text([bold(env.to_string_lossy().into_owned())]);
        let long = arg.get_long().unwrap_or_default();
        roff.text([
            roman("The same as "),
            italic(format!("--{long}")),
            roman("."),
        ]);
    }
    for (name, what) in OTHER_ENV {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*what)]);
    }
    let _ = roff.to_writer(out);
}

fn exit_status(out: &mut Vec<u8>) {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_code_rows() {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    let _ = roff.to_writer(out);
}

/// `man`: the page on stdout. It needs no context: it reads nothing of
/// the options, so bad ones do not stop it.
pub fn run() -> Result<Outcome, Error> {
    std::io::stdout()
        .write_all(&render())
        .map_err(|e| Error::failure("could not write the manual page").because(e))?;
    Ok(Outcome::OK)
}
