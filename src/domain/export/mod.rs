//! `export`: a terminal mail client's configuration for one account, with
//! the password left in the keyring and fetched through
//! `icloud-mail-setup password EMAIL` (the password command).
//!
//! For the wizard and the `export` command alike:
//! - [`detect`]: which clients are on `PATH`, and which of their configs exist;
//! - [`AccountView::from_entry`]: the account as the clients need it, every
//!   value checked (a value that cannot be written safely is refused here);
//! - [`Client::render`]: the configuration text, a pure function of the view;
//! - [`write`]: install it into the client's usual config (or a given file),
//!   keeping everything else in that file as it was;
//! - [`record_exported`]: note in our config which clients were exported.
//!
//! One file per client (`mbsync.rs`, `msmtp.rs`, `neomutt.rs`, `aerc.rs`,
//! `himalaya.rs`, `git.rs`); `install.rs` places a marked block in a file.

pub mod aerc;
pub mod git;
pub mod himalaya;
pub mod install;
pub mod mbsync;
pub mod msmtp;
pub mod neomutt;

mod client;
mod detect;
mod git_chain;
mod paths;
mod view;

use std::path::Path;

pub use client::{Client, UnknownClient, client_names};
pub use detect::{Detected, Versions, detect};
pub use install::Outcome;
pub use paths::{Paths, Platform, elsewhere};
pub use view::{AccountView, ExportError, Folders, ICLOUD_FOLDERS, Security, Server, is_host};
pub(crate) use view::{double_quoted, header, sent_copy_note};

/// Install `client`'s config for `view` into `file`, or the client's usual
/// config when `None`. Git goes through `git config`; the others get a
/// marked block (see [`install`]).
pub fn write(
    client: Client,
    view: &AccountView,
    paths: Option<&Paths>,
    file: Option<&Path>,
) -> Result<Outcome, ExportError> {
    let target = match (file, paths) {
        (Some(f), _) => f.to_path_buf(),
        (None, Some(p)) => client.config_path(p)?,
        (None, None) => return Err(ExportError::NoHome),
    };
    if client == Client::Git {
        return git::write(view, &target, paths);
    }
    // What the client needs before its first run: mbsync refuses to sync
    // until the Maildir's Path exists; NeoMutt keeps one header cache per
    // folder only in a directory that exists.
    let needed = match client {
        Client::Mbsync => Some(mbsync::maildir_root(view)),
        Client::Neomutt => Some(neomutt::header_cache(view)),
        _ => None,
    };
    if let (Some(dir), Some(paths)) = (needed, paths) {
        create_home_dir(paths, &dir)?;
    }
    let body = client.render(
        view,
        &Versions::detect(paths),
        &elsewhere(&target, &view.email),
    )?;
    let check: &install::Check = match client {
        Client::Mbsync => &mbsync::check_placement,
        Client::Msmtp => &msmtp::check_placement,
        Client::Neomutt => &neomutt::check_placement,
        Client::Aerc => &aerc::check_placement,
        Client::Himalaya => &himalaya::check_placement,
        Client::Git => unreachable!("git is written with git config"),
    };
    install::install(
        &target,
        &view.email,
        &body,
        check,
        std::time::SystemTime::now(),
    )
}

/// Create `dir` (`~/...`, as a client config names it) under the home
/// directory, private (0700), with its parents.
fn create_home_dir(paths: &Paths, dir: &str) -> Result<(), ExportError> {
    let rel = dir.strip_prefix("~/").unwrap_or(dir);
    let path = paths.home.join(rel);
    crate::domain::config::create_private_dir(&path).map_err(|e| ExportError::Io {
        path,
        message: format!("could not create the directory: {e}"),
    })
}

/// Note `client` in the account's `exported` list in our config (under
/// its lock). A list that has it already is left as it is.
pub fn record_exported(
    config_path: &Path,
    email: &str,
    client: Client,
) -> Result<(), crate::domain::config::ConfigError> {
    crate::domain::config::update(config_path, |c| {
        if let Some(entry) = c.accounts.iter_mut().find(|a| a.email == email)
            && !entry.exported.iter().any(|n| n == client.name())
        {
            entry.exported.push(client.name().to_string());
            entry.exported.sort_by_key(|n| {
                n.parse::<Client>()
                    .map(|c| c as usize)
                    .unwrap_or(usize::MAX)
            });
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::config::AccountEntry;
    use crate::domain::invocation::Invocation;
    use crate::domain::mail::CheckSettings;

    /// The view of `entry` with the default settings, as `export` makes it.
    pub(crate) fn view_of(entry: &AccountEntry) -> Result<AccountView, ExportError> {
        AccountView::from_entry(
            entry,
            &CheckSettings::default(),
            false,
            false,
            Invocation::default(),
        )
    }

    /// The two snapshot tests each client's render has: `apple_account`
    /// and `custom_domain_with_servers_and_ca` (names kept, so are the
    /// snapshots), each rendered by a `Fn(&AccountView) -> Result<String, _>`:
    /// one for both, or one for each.
    macro_rules! snapshot_both_views {
        ($render:expr) => {
            crate::domain::export::tests::snapshot_both_views!($render, $render);
        };
        ($apple:expr, $custom:expr) => {
            #[test]
            fn apple_account() {
                let view = crate::domain::export::tests::apple_view();
                insta::assert_snapshot!(($apple)(&view).unwrap());
            }

            #[test]
            fn custom_domain_with_servers_and_ca() {
                let view = crate::domain::export::tests::custom_view();
                insta::assert_snapshot!(($custom)(&view).unwrap());
            }
        };
    }
    pub(crate) use snapshot_both_views;

    /// An Apple-domain account on Apple's servers.
    pub(crate) fn apple_view() -> AccountView {
        view_of(&AccountEntry {
            email: "emily@icloud.com".into(),
            login: "emily@icloud.com".into(),
            imap_username: Some("emily".into()),
            smtp_username: Some("emily@icloud.com".into()),
            ..AccountEntry::default()
        })
        .unwrap()
    }

    /// A custom-domain account on recorded servers with an extra CA.
    pub(crate) fn custom_view() -> AccountView {
        view_of(&AccountEntry {
            email: "me@example.org".into(),
            login: "emily.parker@me.com".into(),
            imap_username: Some("emily.parker".into()),
            smtp_username: Some("emily.parker@me.com".into()),
            imap_server: Some("mail.example.org:1993".into()),
            smtp_server: Some("mail.example.org:1587".into()),
            ca_file: Some("/etc/ssl/private ca/test.pem".into()),
            ..AccountEntry::default()
        })
        .unwrap()
    }
}
