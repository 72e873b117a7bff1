//! The command line: clap derive types, validated into [`Globals`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::domain::mail::{CheckSettings, DEFAULT_CONNECT_TIMEOUT, Endpoint};

/// Set up iCloud Mail for IMAP/SMTP clients with a verified app-specific
/// password kept in the system keyring.
///
/// Without a command, runs the interactive wizard: full screen in a
/// terminal, line by line with --plain, TERM=dumb or no terminal.
#[derive(Debug, Parser)]
#[command(name = "icloud-mail-setup", version = crate::VERSION, about, long_about = None)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub globals: GlobalArgs,

    /// Jump straight to checking / rotating this configured account.
    #[arg(long, value_name = "EMAIL")]
    pub account: Option<String>,

    /// Numbered, line-by-line prompts instead of the full-screen wizard
    /// (also chosen when TERM=dumb or there is no terminal).
    #[arg(long)]
    pub plain: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

pub use crate::app::exit::EXIT_CODES;

/// The variables that stand for global options; an empty one counts as
/// unset.
pub const ENV_VARS: [&str; 5] = [
    "ICLOUD_MAIL_SETUP_CONFIG",
    "ICLOUD_MAIL_SETUP_IMAP",
    "ICLOUD_MAIL_SETUP_SMTP",
    "ICLOUD_MAIL_SETUP_CA_FILE",
    crate::sys::log::ENV,
];

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file to use instead of the default
    /// ($XDG_CONFIG_HOME/icloud-mail-setup/config.toml on Linux).
    #[arg(long, global = true, value_name = "PATH")]
    #[arg(env = "ICLOUD_MAIL_SETUP_CONFIG")]
    pub config: Option<PathBuf>,

    /// IMAP server to check instead of imap.mail.me.com:993 (implicit TLS).
    #[arg(long, global = true, value_name = "HOST:PORT")]
    #[arg(env = "ICLOUD_MAIL_SETUP_IMAP")]
    pub imap: Option<String>,

    /// SMTP server to check instead of smtp.mail.me.com:587 (STARTTLS).
    #[arg(long, global = true, value_name = "HOST:PORT")]
    #[arg(env = "ICLOUD_MAIL_SETUP_SMTP")]
    pub smtp: Option<String>,

    /// Extra trust anchors (PEM), added to the built-in roots, never replacing them.
    #[arg(long, global = true, value_name = "PEM")]
    #[arg(env = "ICLOUD_MAIL_SETUP_CA_FILE")]
    pub ca_file: Option<PathBuf>,

    /// Deadline for each check in seconds (default 20; connecting alone: 10).
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Where a new account's password is kept: `secret-service` (the
    /// system keyring) or `pass`. Default: the Secret Service when it
    /// answers, else pass when its store is initialised. An account keeps
    /// the keyring recorded with it.
    #[arg(long, global = true, value_name = "KEYRING")]
    pub keyring: Option<crate::domain::keyring_choice::Kind>,

    /// No colours (as does a non-empty NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Append a debug log of the protocol and keyring steps to FILE
    /// (private to you, 0600 on Unix; every secret redacted), for bug
    /// reports.
    #[arg(long, global = true, value_name = "FILE", env = crate::sys::log::ENV)]
    pub log: Option<PathBuf>,
}

impl GlobalArgs {
    /// Whether colour is off: `--no-color`, or `NO_COLOR` set and not
    /// empty (no-color.org).
    pub fn no_color(&self) -> bool {
        self.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The config file: `--config` (or its variable), else the platform default.
    pub fn config_path(&self) -> Result<PathBuf, crate::domain::config::ConfigError> {
        match &self.config {
            Some(p) => Ok(p.clone()),
            None => crate::domain::config::default_path(),
        }
    }

    /// The keyrings, each account's call sent to the one it uses.
    pub fn keyrings(&self, a_person_is_here: bool) -> crate::domain::keyring_choice::Keyrings {
        crate::domain::keyring_choice::Keyrings::new(
            self.config_path().ok(),
            self.keyring,
            a_person_is_here,
        )
    }

    /// Validate the raw options into check settings.
    pub fn check_settings(&self) -> Result<CheckSettings, String> {
        let mut s = CheckSettings::default();
        if let Some(i) = &self.imap {
            s.imap = Endpoint::parse(i).map_err(|e| format!("--imap: {e}"))?;
        }
        if let Some(m) = &self.smtp {
            s.smtp = Endpoint::parse(m).map_err(|e| format!("--smtp: {e}"))?;
        }
        if let Some(ca) = &self.ca_file {
            if !ca.is_file() {
                return Err(format!(
                    "--ca-file: {} is not a readable file",
                    ca.display()
                ));
            }
            s.ca_file = Some(ca.clone());
        }
        if let Some(t) = self.timeout {
            if !(t.is_finite() && t > 0.0 && t <= 3600.0) {
                return Err(
                    "--timeout: give a number of seconds greater than 0 and at most 3600".into(),
                );
            }
            s.deadline = Duration::from_secs_f64(t);
            s.connect_timeout = s.deadline.min(DEFAULT_CONNECT_TIMEOUT);
        }
        Ok(s)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the stored password of one account (or all) against the servers.
    Verify(VerifyArgs),
    /// Check everything between you and working mail: the keyring, the
    /// stored password (one IMAP login), every exported client's config,
    /// the password command under cron's PATH, mbsync's Maildir, git's
    /// helpers; each problem with the command that fixes it.
    Doctor(DoctorArgs),
    /// Install (`daily`) or remove (`off`) a daily check of every
    /// account's password; without an argument, show its state.
    ///
    /// A systemd user timer on Linux, a launchd agent on macOS, a Task
    /// Scheduler task on Windows, each running `verify --scheduled`.
    Schedule(ScheduleArgs),
    /// List configured accounts, whether the keyring holds each password, and when it was last verified.
    List(ListArgs),
    /// Print the stored password and a newline (for mail clients' password commands).
    Password(PasswordArgs),
    /// Print the server settings to type into a GUI mail app (Thunderbird, Apple Mail, ...).
    Settings(SettingsArgs),
    /// Git credential helper for git send-email: answers the SMTP password from the keyring.
    ///
    /// Configure it with
    /// `git config --global credential."smtp://USER@smtp.mail.me.com:587".helper "!icloud-mail-setup git-credential"`
    /// (USER with its @ written %40). `get` answers for an account's SMTP
    /// server; `store` and `erase` never change the keyring.
    GitCredential(GitCredentialArgs),
    /// Read a password from stdin, verify it live, then store it (replacing the old one only if the new one works).
    Store(StoreArgs),
    /// Print a mail client's configuration for an account (the password
    /// stays in the keyring), or install it with --write.
    ///
    /// Clients: mbsync, msmtp, neomutt, aerc, himalaya, git (send-email).
    Export(ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `icloud-mail-setup man | man -l -`.
    Man,
    /// Delete an account's keyring entry and config entry.
    Remove(RemoveArgs),
}

// Each command's own arguments (its help text is the variant's, above).

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The account's address; all accounts when omitted.
    pub email: Option<String>,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// What the daily check (`schedule daily`) runs: every account, one
    /// IMAP login each with the username that worked last, no SMTP, no
    /// prompt; a rejection is recorded and shown on the desktop.
    #[arg(long, conflicts_with_all = ["email", "json"])]
    pub scheduled: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// The account's address; all accounts when omitted.
    pub email: Option<String>,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    #[arg(value_enum)]
    pub when: Option<When>,
}

/// What to do with the daily check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    /// Install (or update) the daily check.
    Daily,
    /// Remove it.
    Off,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// Taken as the address even when it starts with `-` and is no
    /// option (`-h@x.com`), so a hand-typed one gets the address
    /// check's reason, not clap's help.
    #[arg(allow_hyphen_values = true)]
    pub email: String,
    /// Copy it to the clipboard instead (OSC 52 and/or wl-copy, xclip,
    /// xsel, pbcopy, clip.exe); cleared after 45 s or at Ctrl-C.
    #[arg(long)]
    pub copy: bool,
    /// Test-only: clear the clipboard after SECS (1-45) instead of 45.
    #[arg(
        long,
        hide = true,
        requires = "copy",
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..=45)
    )]
    pub clear_after: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// The account's address; may be left out when there is only one.
    pub email: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GitCredentialArgs {
    /// What git asks: get, store or erase (others are ignored).
    #[arg(value_name = "get|store|erase")]
    pub action: String,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    pub email: String,
    /// Read the password from the first line of standard input (required: never pass it as an argument).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// For a custom-domain address: the primary iCloud address used to log in.
    #[arg(long, value_name = "EMAIL")]
    pub login: Option<String>,
    /// The label you gave the password at account.apple.com.
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// mbsync, msmtp, neomutt, aerc, himalaya or git.
    #[arg(value_parser = parse_client)]
    pub client: crate::domain::export::Client,
    /// The account's address; may be left out when only one is configured.
    pub email: Option<String>,
    /// Install into the client's usual config file (backed up first;
    /// only this account's marked block changes). For git: `git config
    /// --global`.
    #[arg(long)]
    pub write: bool,
    /// With --write: install into this file instead.
    #[arg(long, value_name = "PATH", requires = "write")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct RemoveArgs {
    pub email: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

/// A client name for `export` (a usage error lists the clients).
fn parse_client(s: &str) -> Result<crate::domain::export::Client, String> {
    s.parse()
        .map_err(|e: crate::domain::export::UnknownClient| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    // The debug log's view of this command line (see `sys::log::args`).

    fn shape_of(args: &[&str]) -> String {
        let command = Cli::command();
        let matches = command
            .clone()
            .try_get_matches_from(std::iter::once("icloud-mail-setup").chain(args.iter().copied()))
            .unwrap();
        crate::sys::log::args::shape(&command, &matches)
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
