//! The command line as the debug log shows it: its shape only.
//!
//! What was typed may hold a secret in the wrong place (a password pasted
//! as the address, or as the value of `--label`), so the log names the
//! subcommands and the options that were given, by clap's names, and
//! replaces every value and every positional argument by `<value>`.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// `--log <value> verify <value> --json`: the options given (global ones
/// first), the subcommand, its options; never a value. Options set from
/// the environment are marked `(env)`.
pub fn shape(command: &Command, matches: &ArgMatches) -> String {
    let mut out: Vec<String> = Vec::new();
    describe(command, matches, &mut out);
    out.join(" ")
}

fn describe(command: &Command, matches: &ArgMatches, out: &mut Vec<String>) {
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        let source = matches.value_source(id);
        let from_env = match source {
            Some(ValueSource::CommandLine) => false,
            Some(ValueSource::EnvVariable) => true,
            _ => continue,
        };
        let name = match arg.get_long() {
            Some(long) => format!("--{long}"),
            None if arg.is_positional() => String::new(),
            None => match arg.get_short() {
                Some(short) => format!("-{short}"),
                None => continue,
            },
        };
        let mut item = name;
        if arg.get_action().takes_values() {
            if !item.is_empty() {
                item.push(' ');
            }
            item.push_str("<value>");
        }
        if from_env {
            item.push_str(" (env)");
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    if let Some((name, sub)) = matches.subcommand()
        && let Some(sub_command) = command.find_subcommand(name)
    {
        out.push(name.to_string());
        describe(sub_command, sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    /// A command line of the same shape as the program's (its own is
    /// tested where it is defined, in the application layer).
    fn command() -> Command {
        Command::new("prog")
            .arg(
                Arg::new("log")
                    .long("log")
                    .global(true)
                    .env("PROG_TEST_LOG_UNSET"),
            )
            .arg(Arg::new("plain").long("plain").action(ArgAction::SetTrue))
            .subcommand(
                Command::new("store")
                    .arg(Arg::new("email"))
                    .arg(Arg::new("label").long("label"))
                    .arg(
                        Arg::new("stdin")
                            .long("password-stdin")
                            .action(ArgAction::SetTrue),
                    ),
            )
    }

    #[test]
    fn names_are_kept_and_values_replaced() {
        let command = command();
        let matches = command
            .clone()
            .try_get_matches_from([
                "prog",
                "store",
                "me@x",
                "--label",
                "abcd-efgh",
                "--log",
                "/tmp/f",
                "--password-stdin",
            ])
            .unwrap();
        let s = shape(&command, &matches);
        assert_eq!(
            s,
            "--log <value> store <value> --label <value> --password-stdin"
        );
        for secret in ["abcd", "me@", "/tmp/f"] {
            assert!(!s.contains(secret), "{s}");
        }
    }
}
