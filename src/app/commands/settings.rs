//! `settings [EMAIL]`: the server settings a person types into a GUI mail
//! app (Thunderbird, Apple Mail, Evolution, Geary, KMail, Outlook), from
//! the account's recorded servers and logins. Reads the config only: no
//! keyring, no network.

use std::io::Write;

use crate::app::cli::SettingsArgs;
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::app::settings_table::{AccountServers, render};

/// `settings [EMAIL]`. Without `email` the one configured account is
/// shown; with several, a usage error names them.
pub fn run(ctx: &Context<'_>, args: SettingsArgs) -> Result<Outcome, Error> {
    let (path, config) = ctx.open_config()?;
    let entry = ctx.pick_account(&config, args.email.as_deref(), &path, "settings")?;
    let servers = AccountServers::of(entry)
        .map_err(|m| Error::failure(format!("{m} (in {})", path.display())))?;
    let text = format!(
        "Settings for a mail app that asks for servers (Thunderbird, Apple Mail, Evolution, \
         Geary, KMail, Outlook):\n\n{}",
        render(&servers.rows(&ctx.typed_command()))
    );
    let out = &mut *ctx.out();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::failure("could not write the settings").because(e))?;
    Ok(Outcome::OK)
}
