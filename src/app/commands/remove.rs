//! `remove EMAIL [--yes]`: delete an account's keyring entry and config entry.

use std::io::{BufRead, IsTerminal, Write};

use super::Exit;
use super::verify::{email_arg, no_such_account, open_config, report_store_error};
use crate::app::cli::GlobalArgs;
use crate::domain::config;
use crate::domain::keyring::{SecretStore, staging_account};

/// `remove EMAIL [--yes]` on the terminal: asks unless `yes`; refuses
/// (exit 2) when it cannot ask because stdin is not a terminal.
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, email: &str, yes: bool) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    let stdin = std::io::stdin();
    if yes || !stdin.is_terminal() {
        run_with(globals, store, email, yes, None, out, err)
    } else {
        let mut input = stdin.lock();
        run_with(globals, store, email, yes, Some(&mut input), out, err)
    }
}

/// `remove` with its streams given (for tests). `confirm_from` is where the
/// answer to "Remove …? [y/N]" is read; `None` means there is no terminal.
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    email: &str,
    yes: bool,
    confirm_from: Option<&mut dyn BufRead>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let email = match email_arg(email, err) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let (path, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    let entry = config.find(email.as_str()).cloned();
    let in_keyring = match store.exists(email.as_str()) {
        Ok(found) => found,
        Err(e) => return report_store_error(err, &e),
    };
    if entry.is_none() && !in_keyring {
        return no_such_account(err, &email, &path);
    }

    if !yes {
        let Some(input) = confirm_from else {
            let _ = writeln!(
                err,
                "error: not removing {email} without confirmation: there is no terminal to \
                 ask on. Add --yes to remove it anyway."
            );
            return Exit::Usage;
        };
        let _ = write!(
            err,
            "Remove {email} (its password from the {} and its settings from {})? [y/N] ",
            store.name_for(email.as_str()),
            path.display()
        );
        let _ = err.flush();
        let mut answer = String::new();
        if std::io::Read::take(input, 256)
            .read_line(&mut answer)
            .is_err()
            || !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
        {
            let _ = writeln!(out, "Nothing was removed.");
            return Exit::Ok;
        }
    }

    // Under the save lock, so a save of the same address in another run
    // cannot land between the keyring and the config; a save cut short
    // leaves a staging entry, which goes too.
    let lock = match config::ConfigLock::acquire(&path) {
        Ok(lock) => lock,
        Err(e) => {
            let _ = writeln!(err, "error: nothing was removed: {e}");
            return Exit::Failure;
        }
    };
    for account in [staging_account(email.as_str()), email.as_str().to_string()] {
        if let Err(e) = store.delete(&account) {
            return report_store_error(err, &e);
        }
    }
    if entry.is_some()
        && let Err(e) = lock.update(|c| c.remove(email.as_str()))
    {
        let _ = writeln!(
            err,
            "error: the password was removed from the {} but the settings could not be: {e}",
            store.name_for(email.as_str())
        );
        return Exit::Failure;
    }
    let _ = writeln!(out, "Removed {email}.");
    let label = entry
        .and_then(|e| e.label)
        .map(|l| format!("\"{l}\""))
        .unwrap_or_else(|| "the password you made for this".into());
    let _ = writeln!(
        out,
        "The password still works at Apple until you revoke it: at account.apple.com, \
         Sign-In and Security → App-Specific Passwords → {label} → Revoke."
    );
    Exit::Ok
}
