//! `remove EMAIL [--yes]`: delete an account's keyring entry and config entry.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::app::cli::RemoveArgs;
use crate::app::context::{Context, Input, email_arg, no_such_account};
use crate::app::error::{Error, Outcome};
use crate::domain::account::Email;
use crate::domain::config;
use crate::domain::keyring::staging_account;

/// `remove EMAIL [--yes]`: asks unless `--yes`; refuses (exit 2) when it
/// cannot ask because there is no terminal.
pub fn run(ctx: &Context<'_>, args: RemoveArgs) -> Result<Outcome, Error> {
    let email = email_arg(&args.email)?;
    let (path, config) = ctx.open_config()?;
    let store = ctx.store();
    let entry = config.find(email.as_str()).cloned();
    let in_keyring = store
        .exists(email.as_str())
        .map_err(|e| Error::keyring(&e))?;
    if entry.is_none() && !in_keyring {
        return Err(no_such_account(&email, &path));
    }
    if !args.yes && !confirmed(ctx, &email, &path)? {
        let _ = writeln!(ctx.out(), "Nothing was removed.");
        return Ok(Outcome::OK);
    }

    // Under the save lock, so a save of the same address in another run
    // cannot land between the keyring and the config; a save cut short
    // leaves a staging entry, which goes too.
    let lock = config::ConfigLock::acquire(&path)
        .map_err(|e| Error::failure("nothing was removed").because(e))?;
    for account in [staging_account(email.as_str()), email.as_str().to_string()] {
        store.delete(&account).map_err(|e| Error::keyring(&e))?;
    }
    if entry.is_some()
        && let Err(e) = lock.update(|c| c.remove(email.as_str()))
    {
        return Err(Error::failure(format!(
            "the password was removed from the {} but the settings could not be: {e}",
            store.name_for(email.as_str())
        )));
    }
    let out = &mut *ctx.out();
    let _ = writeln!(out, "Removed {email}.");
    let label = entry
        .and_then(|e| e.label)
        .map(|l| format!("\"{}\"", crate::app::output::shown(&l)))
        .unwrap_or_else(|| "the password you made for this".into());
    let _ = writeln!(
        out,
        "The password still works at Apple until you revoke it: at account.apple.com, \
         Sign-In and Security → App-Specific Passwords → {label} → Revoke."
    );
    Ok(Outcome::OK)
}

/// Whether the person answers yes to "Remove …? [y/N]"; a usage error
/// when there is no terminal to ask on.
fn confirmed(ctx: &Context<'_>, email: &Email, path: &Path) -> Result<bool, Error> {
    let no_terminal = || {
        Error::usage(format!(
            "not removing {email} without confirmation: there is no terminal to ask on. Add \
             --yes to remove it anyway."
        ))
    };
    let mut input = ctx.input();
    let stdin = std::io::stdin();
    let mut locked;
    let from: &mut dyn BufRead = match &mut *input {
        Input::Stdin if stdin.is_terminal() => {
            locked = stdin.lock();
            &mut locked
        }
        Input::Given(r) => &mut **r,
        Input::Stdin | Input::Nothing => return Err(no_terminal()),
    };
    let err = &mut *ctx.err();
    let _ = write!(
        err,
        "Remove {email} (its password from the {} and its settings from {})? [y/N] ",
        ctx.store().name_for(email.as_str()),
        crate::app::output::shown(&path.display().to_string())
    );
    let _ = err.flush();
    let mut answer = String::new();
    Ok(std::io::Read::take(from, 256)
        .read_line(&mut answer)
        .is_ok()
        && matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
