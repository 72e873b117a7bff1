//! `settings [EMAIL]`: the server settings a person types into a GUI mail
//! app (Thunderbird, Apple Mail, Evolution, Geary, KMail, Outlook), from
//! the account's recorded servers and logins. Reads the config only: no
//! keyring, no network.

use std::io::Write;

use super::Exit;
use super::verify::{open_config, pick_account};
use crate::app::cli::GlobalArgs;
use crate::app::settings_table::{AccountServers, render};

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
    let entry = match pick_account(&config, email, &path, "settings", err) {
        Ok(e) => e,
        Err(code) => return code,
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
