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
    use clap::CommandFactory;

    fn shape_of(args: &[&str]) -> String {
        let command = crate::app::cli::Cli::command();
        let matches = command
            .clone()
            .try_get_matches_from(std::iter::once("icloud-mail-setup").chain(args.iter().copied()))
            .unwrap();
        shape(&command, &matches)
    }

    #[test]
    fn values_and_positionals_never_appear() {
        let s = shape_of(&[
            "store",
            "me@icloud.com",
            "--password-stdin",
            "--label",
            "abcd-efgh-ijkl-mnop",
            "--log",
            "/tmp/f",
        ]);
        assert_eq!(
            s,
            "--log <value> store <value> --password-stdin --label <value>"
        );
        let s = shape_of(&["verify", "wxyz-abcd-efgh-ijkl", "--json"]);
        assert_eq!(s, "verify <value> --json");
        let s = shape_of(&["--plain", "--account=secretname@x"]);
        assert_eq!(s, "--account <value> --plain");
        for secret in ["abcd", "wxyz", "secretname", "me@", "/tmp/f"] {
            assert!(!s.contains(secret));
        }
    }
}
