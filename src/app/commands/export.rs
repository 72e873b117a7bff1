//! `export CLIENT [EMAIL] [--write] [--file PATH]`: print a mail client's
//! configuration for an account, or install it into the client's config.

use std::io::Write;
use std::path::Path;

use crate::app::cli::ExportArgs;
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::domain::export::{self, AccountView, Client, ExportError, Outcome as Written, install};
use crate::domain::invocation::Invocation;
use crate::sys::text::escape_for_terminal;

/// `export CLIENT [EMAIL] [--write [--file PATH]]`.
pub fn run(ctx: &Context<'_>, args: ExportArgs) -> Result<Outcome, Error> {
    let (config_path, config) = ctx.open_config()?;
    let entry = ctx.pick_account(&config, args.email.as_deref(), &config_path, "export")?;
    let refuse = |e: ExportError| refusal(&e, &config_path);
    let (imap_given, smtp_given) = ctx.servers_given();
    let view = AccountView::from_entry(
        entry,
        ctx.settings(),
        imap_given,
        smtp_given,
        Invocation::current(Some(&config_path)),
    )
    .map_err(refuse)?;
    if let Some(w) = view.invocation.warning() {
        let _ = writeln!(ctx.err(), "{}", escape_for_terminal(&w));
    }
    let paths = ctx.paths();
    if !args.write {
        return print(ctx, args, &view).map_err(refuse);
    }
    let outcome = export::write(args.client, &view, paths, args.file.as_deref()).map_err(refuse)?;
    report(&mut **ctx.out(), args.client, &view, &outcome);
    let err = &mut *ctx.err();
    if args.client == Client::Git
        && let Some(w) = export::git::chain_warning(&view, paths)
    {
        let _ = writeln!(err, "warning: {w}");
    }
    if let Err(e) = export::record_exported(&config_path, &view.email, args.client) {
        let _ = writeln!(
            err,
            "warning: the {} config is written, but {} could not record it: {}",
            args.client,
            escape_for_terminal(&config_path.display().to_string()),
            escape_for_terminal(&e.to_string())
        );
    }
    Ok(Outcome::OK)
}

/// The config on stdout: for git the gitconfig snippet, for the others the
/// block exactly as `--write` installs it.
fn print(ctx: &Context<'_>, args: ExportArgs, view: &AccountView) -> Result<Outcome, ExportError> {
    let paths = ctx.paths();
    let versions = export::Versions::detect(paths);
    // The file `--write` would install into decides, e.g., whether the
    // account becomes msmtp's default.
    let elsewhere = args
        .file
        .or_else(|| paths.and_then(|p| args.client.config_path(p).ok()))
        .map(|f| export::elsewhere(&f, &view.email))
        .unwrap_or_default();
    let body = args.client.render(view, &versions, &elsewhere)?;
    let text = if args.client == Client::Git {
        body
    } else {
        install::block(&view.email, &body)
    };
    let out = &mut *ctx.out();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(Outcome::OK),
        Err(e) => Err(ExportError::Tool(format!(
            "could not write the config: {e}"
        ))),
    }
}

fn report(out: &mut dyn Write, client: Client, view: &AccountView, outcome: &Written) {
    let shown = |p: &Path| escape_for_terminal(&p.display().to_string()).into_owned();
    let _ = match outcome {
        Written::Created { path } => writeln!(
            out,
            "Wrote {} (a new file{}) for {}.",
            shown(path),
            // Windows has no modes: the file is private by its folder's ACL.
            if cfg!(unix) { ", mode 0600" } else { "" },
            view.email
        ),
        Written::Updated {
            path,
            backup,
            replaced,
        } => writeln!(
            out,
            "{} {} for {}; the previous version is in {}.",
            if *replaced { "Updated" } else { "Added to" },
            shown(path),
            view.email,
            shown(backup)
        ),
        Written::UpToDate { path } => writeln!(
            out,
            "{} is already up to date for {}; nothing was changed.",
            shown(path),
            view.email
        ),
    };
    let _ = writeln!(out, "{}", client.usage_hint(&view.email));
}

/// Why nothing was exported; exit 1.
fn refusal(e: &ExportError, config_path: &Path) -> Error {
    let error = Error::failure(e.to_string());
    if !matches!(e, ExportError::Unsafe { .. }) {
        return error;
    }
    error.hint(format!(
        "That value comes from {}; nothing was exported. Run `icloud-mail-setup verify` or the \
         wizard to record working values again.",
        config_path.display()
    ))
}
