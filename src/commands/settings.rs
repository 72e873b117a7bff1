//! `settings [EMAIL]`: the server settings a person types into a GUI mail
//! app (Thunderbird, Apple Mail, Evolution, Geary, KMail, Outlook), from
//! the account's recorded servers and logins. Reads the config only: no
//! keyring, no network.

use std::io::Write;

use super::Exit;
use super::verify::{email_arg, no_such_account, open_config};
use crate::cli::GlobalArgs;
use crate::settings_table::{AccountServers, render};

/// `settings [EMAIL]` on stdout/stderr.
pub fn run(globals: &GlobalArgs, email: Option<&str>) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, email, out, err)
}

/// `settings` with its output streams given (for tests). Without `email`
/// the one configured account is shown; with several, a usage error
/// names them.
pub fn run_with(
    globals: &GlobalArgs,
    email: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let (path, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    let entry = match email {
        Some(raw) => {
            let email = match email_arg(raw, err) {
                Ok(e) => e,
                Err(e) => return e,
            };
            match config.find(email.as_str()) {
                Some(entry) => entry,
                None => return no_such_account(err, &email, &path),
            }
        }
        None => match config.accounts.as_slice() {
            [one] => one,
            [] => {
                let _ = writeln!(
                    err,
                    "error: no accounts are configured in {}. Add one with `icloud-mail-setup` \
                     (the wizard) or `icloud-mail-setup store EMAIL --password-stdin`.",
                    path.display()
                );
                return Exit::NoSuchAccount;
            }
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|a| crate::text::escape_for_terminal(&a.email).into_owned())
                    .collect();
                let _ = writeln!(
                    err,
                    "error: {} accounts are configured; say which: `icloud-mail-setup settings \
                     EMAIL` with one of {}",
                    several.len(),
                    names.join(", ")
                );
                return Exit::Usage;
            }
        },
    };
    let servers = match AccountServers::of(entry) {
        Ok(s) => s,
        Err(m) => {
            let _ = writeln!(err, "error: {m} (in {})", path.display());
            return Exit::Failure;
        }
    };
    let text = format!(
        "Settings for a mail app that asks for servers (Thunderbird, Apple Mail, Evolution, \
         Geary, KMail, Outlook):\n\n{}",
        render(&servers.rows())
    );
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: could not write the settings: {e}");
            Exit::Failure
        }
    }
}
