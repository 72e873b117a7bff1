//! `export CLIENT [EMAIL] [--write] [--file PATH]`: print a mail client's
//! configuration for an account, or install it into the client's config.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Exit;
use super::verify::{open_config, pick_account};
use crate::app::cli::GlobalArgs;

use crate::domain::export::{self, AccountView, Client, ExportError, Outcome, Paths, install};
use crate::sys::text::{Invocation, escape_for_terminal};

/// What was asked on the command line.
#[derive(Debug, Clone)]
pub struct ExportArgs {
    pub client: Client,
    /// Optional when exactly one account is configured.
    pub email: Option<String>,
    /// Install instead of printing.
    pub write: bool,
    /// Install into this file instead of the client's usual config.
    pub file: Option<PathBuf>,
}

/// `export` on stdout/stderr with the real environment.
pub fn run(globals: &GlobalArgs, args: &ExportArgs) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, args, Paths::from_env().as_ref(), out, err)
}

/// `export` with its environment and output streams given (for tests).
/// `paths` is `None` when there is no `HOME`.
pub fn run_with(
    globals: &GlobalArgs,
    args: &ExportArgs,
    paths: Option<&Paths>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let (config_path, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    let entry = match pick_account(&config, args.email.as_deref(), &config_path, "export", err) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let settings = match super::verify::check_settings(globals, err) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let view = match AccountView::from_entry(
        entry,
        &settings,
        globals.imap.is_some(),
        globals.smtp.is_some(),
        Invocation::current(Some(&config_path)),
    ) {
        Ok(v) => v,
        Err(e) => return refuse(err, &e, &config_path),
    };
    if let Some(w) = view.invocation.warning() {
        let _ = writeln!(err, "{}", escape_for_terminal(&w));
    }
    if !args.write {
        let versions = export::Versions::detect(paths);
        // The file `--write` would install into decides, e.g., whether
        // the account becomes msmtp's default.
        let elsewhere = args
            .file
            .clone()
            .or_else(|| paths.and_then(|p| args.client.config_path(p).ok()))
            .map(|f| export::elsewhere(&f, &view.email))
            .unwrap_or_default();
        return print(
            args.client,
            &view,
            &versions,
            &elsewhere,
            out,
            err,
            &config_path,
        );
    }
    let outcome = match export::write(args.client, &view, paths, args.file.as_deref()) {
        Ok(o) => o,
        Err(e) => return refuse(err, &e, &config_path),
    };
    report(out, args.client, &view, &outcome);
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
            config_path.display(),
            escape_for_terminal(&e.to_string())
        );
    }
    Exit::Ok
}

/// The config on stdout: for git the gitconfig snippet, for the others the
/// block exactly as `--write` installs it.
fn print(
    client: Client,
    view: &AccountView,
    versions: &export::Versions,
    elsewhere: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
    config_path: &Path,
) -> Exit {
    let body = match client.render(view, versions, elsewhere) {
        Ok(b) => b,
        Err(e) => return refuse(err, &e, config_path),
    };
    let text = if client == Client::Git {
        body
    } else {
        install::block(&view.email, &body)
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: could not write the config: {e}");
            Exit::Failure
        }
    }
}

fn report(out: &mut dyn Write, client: Client, view: &AccountView, outcome: &Outcome) {
    let shown = |p: &Path| escape_for_terminal(&p.display().to_string()).into_owned();
    let _ = match outcome {
        Outcome::Created { path } => writeln!(
            out,
            "Wrote {} (a new file{}) for {}.",
            shown(path),
            // Windows has no modes: the file is private by its folder's ACL.
            if cfg!(unix) { ", mode 0600" } else { "" },
            view.email
        ),
        Outcome::Updated {
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
        Outcome::UpToDate { path } => writeln!(
            out,
            "{} is already up to date for {}; nothing was changed.",
            shown(path),
            view.email
        ),
    };
    let _ = writeln!(out, "{}", client.usage_hint(&view.email));
}

/// Say why nothing was exported; exit 1.
fn refuse(err: &mut dyn Write, e: &ExportError, config_path: &Path) -> Exit {
    let _ = writeln!(err, "error: {}", escape_for_terminal(&e.to_string()));
    if matches!(e, ExportError::Unsafe { .. }) {
        let _ = writeln!(
            err,
            "That value comes from {}; nothing was exported. Run `icloud-mail-setup verify` \
             or the wizard to record working values again.",
            config_path.display()
        );
    }
    Exit::Failure
}
