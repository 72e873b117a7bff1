//! The wizard's client exports: which clients to offer, a preview of the
//! config it would write, and the write itself, each as `export` does.

use std::path::Path;

use crate::app::wizard::{ClientOffer, Msg};
use crate::domain::config;
use crate::domain::export::{self, Client};
use crate::domain::mail::CheckSettings;

/// The clients to offer for `email`, and those it was set up for.
pub(super) fn detect(config_path: &Path, email: &str) -> Msg {
    let exported = config::load(config_path)
        .ok()
        .and_then(|c| c.find(email).map(|e| e.exported.clone()))
        .unwrap_or_default();
    let offers = export::Paths::from_env()
        .map(|paths| offers(&paths))
        .unwrap_or_default();
    Msg::ClientsDetected { offers, exported }
}

/// The file `client`'s config for `email` goes to, and what would be
/// written there (the whole file for git, else our marked block).
pub(super) fn preview(
    config_path: &Path,
    client: Client,
    email: &str,
    settings: &CheckSettings,
    given: (bool, bool),
) -> Result<(String, String), String> {
    let view = export_view(config_path, email, settings, given)?;
    let paths = export::Paths::from_env();
    let file = match &paths {
        Some(p) => client.config_path(p).map_err(|e| e.to_string())?,
        None => return Err("there is no home directory".to_string()),
    };
    let versions = export::Versions::detect(paths.as_ref());
    let text = client
        .render(&view, &versions, &export::elsewhere(&file, &view.email))
        .map_err(|e| e.to_string())?;
    let shown = if client == Client::Git {
        text
    } else {
        export::install::block(&view.email, &text)
    };
    Ok((file.display().to_string(), shown))
}

/// Write `client`'s config for `email` and record it in our config; what
/// was done, in words.
pub(super) fn write(
    config_path: &Path,
    client: Client,
    email: &str,
    settings: &CheckSettings,
    given: (bool, bool),
) -> Result<String, String> {
    let view = export_view(config_path, email, settings, given)?;
    let paths = export::Paths::from_env();
    let outcome = export::write(client, &view, paths.as_ref(), None).map_err(|e| e.to_string())?;
    export::record_exported(config_path, &view.email, client)
        .map_err(|e| format!("written, but not recorded in our config: {e}"))?;
    let mut said = describe_outcome(&outcome);
    if client == Client::Git
        && let Some(w) = export::git::chain_warning(&view, paths.as_ref())
    {
        said.push_str(&format!("; but {w}"));
    }
    Ok(said)
}

/// The clients worth offering: on `PATH`, or with a config already.
fn offers(paths: &export::Paths) -> Vec<ClientOffer> {
    export::detect(paths)
        .into_iter()
        .filter(|d| d.program.is_some() || d.existing_config.is_some())
        .map(|d| {
            let mut found = Vec::new();
            if d.program.is_some() {
                found.push("on PATH".to_string());
            }
            if let Some(c) = &d.existing_config {
                found.push(format!(
                    "{} exists",
                    crate::sys::text::escape_for_terminal(&c.display().to_string())
                ));
            }
            ClientOffer {
                client: d.client,
                found: found.join("; "),
            }
        })
        .collect()
}

fn export_view(
    config_path: &Path,
    email: &str,
    settings: &CheckSettings,
    given: (bool, bool),
) -> Result<export::AccountView, String> {
    let config = config::load(config_path).map_err(|e| e.to_string())?;
    let entry = config
        .find(email)
        .ok_or_else(|| format!("{email} is not in {}", config_path.display()))?;
    let me = crate::domain::invocation::Invocation::current(Some(config_path));
    export::AccountView::from_entry(entry, settings, given.0, given.1, me)
        .map_err(|e| e.to_string())
}

fn describe_outcome(o: &export::install::Outcome) -> String {
    use export::install::Outcome;
    match o {
        Outcome::Created { path } => format!("wrote {} (new)", path.display()),
        Outcome::Updated {
            path,
            backup,
            replaced,
        } => format!(
            "{} {} (the previous file is in {})",
            if *replaced {
                "updated its block in"
            } else {
                "added to"
            },
            path.display(),
            backup.display()
        ),
        Outcome::UpToDate { path } => format!("{} was already up to date", path.display()),
    }
}
