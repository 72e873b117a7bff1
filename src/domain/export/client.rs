//! The clients an account can be exported to: names, where each keeps its
//! config, and which renderer writes it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::paths::exists;
use super::*;

/// The terminal mail clients an account can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    /// isync's `mbsync`: IMAP to a local Maildir.
    Mbsync,
    /// `msmtp`: sending.
    Msmtp,
    Neomutt,
    Aerc,
    Himalaya,
    /// `git send-email`.
    Git,
}

impl Client {
    pub const ALL: [Client; 6] = [
        Client::Mbsync,
        Client::Msmtp,
        Client::Neomutt,
        Client::Aerc,
        Client::Himalaya,
        Client::Git,
    ];

    /// The name on the command line and in our config's `exported`.
    pub fn name(self) -> &'static str {
        match self {
            Client::Mbsync => "mbsync",
            Client::Msmtp => "msmtp",
            Client::Neomutt => "neomutt",
            Client::Aerc => "aerc",
            Client::Himalaya => "himalaya",
            Client::Git => "git",
        }
    }

    /// The program looked for on `PATH`.
    pub fn program(self) -> &'static str {
        self.name()
    }

    /// The client's configuration for `view`: what `export` prints and
    /// what `--write` installs (for git, the keys as a gitconfig snippet).
    /// `versions`: the installed clients' versions where they change the
    /// syntax ([`Versions::detect`]; the default suits every version).
    /// `elsewhere`: the rest of the file the block goes into ([`elsewhere`];
    /// `""` for a new file), which decides whether this account becomes
    /// the client's default.
    pub fn render(
        self,
        view: &AccountView,
        versions: &Versions,
        elsewhere: &str,
    ) -> Result<String, ExportError> {
        match self {
            Client::Mbsync => mbsync::render(view, versions.isync),
            Client::Msmtp => msmtp::render(view, !msmtp::has_default(elsewhere)),
            Client::Neomutt => neomutt::render(view),
            Client::Aerc => aerc::render(view, versions.aerc),
            Client::Himalaya => {
                himalaya::render(view, versions.himalaya, !himalaya::has_accounts(elsewhere))
            }
            Client::Git => git::render(view),
        }
    }

    /// The config file `--write` installs into: an existing one of the
    /// client's usual places, else the one it reads first.
    pub fn config_path(self, paths: &Paths) -> Result<PathBuf, ExportError> {
        let candidates = self.config_candidates(paths);
        if let Some(p) = candidates.iter().find(|p| exists(p)) {
            return Ok(p.clone());
        }
        if self == Client::Neomutt
            && let Some(muttrc) = [paths.home.join(".muttrc"), paths.home.join(".mutt/muttrc")]
                .into_iter()
                .find(|p| exists(p))
        {
            return Err(ExportError::Placement {
                path: muttrc.clone(),
                reason: format!(
                    "neomutt reads this file today, and would stop reading it once {} \
                     exists. Add the printed block to your muttrc by hand, or give \
                     --file PATH and `source` that file from your muttrc",
                    candidates[0].display()
                ),
            });
        }
        Ok(candidates[0].clone())
    }

    /// The first of these is created when none exists.
    pub(super) fn config_candidates(self, paths: &Paths) -> Vec<PathBuf> {
        let home = &paths.home;
        let xdg = &paths.xdg_config;
        match self {
            // isync 1.4 reads only ~/.mbsyncrc; 1.5 also $XDG_CONFIG_HOME/isyncrc.
            Client::Mbsync => vec![home.join(".mbsyncrc"), xdg.join("isyncrc")],
            Client::Msmtp => vec![xdg.join("msmtp/config"), home.join(".msmtprc")],
            Client::Neomutt => vec![
                xdg.join("neomutt/neomuttrc"),
                home.join(".neomuttrc"),
                home.join(".neomutt/neomuttrc"),
            ],
            // aerc's lib/xdg: on macOS, ~/Library/Preferences/aerc unless
            // XDG_CONFIG_HOME is set.
            Client::Aerc if paths.platform == Platform::MacOs && !paths.xdg_set => {
                vec![home.join("Library/Preferences/aerc/accounts.conf")]
            }
            Client::Aerc => vec![xdg.join("aerc/accounts.conf")],
            Client::Himalaya => vec![xdg.join("himalaya/config.toml"), home.join(".himalayarc")],
            Client::Git => match &paths.git_global {
                Some(p) => vec![p.clone()],
                None => vec![home.join(".gitconfig"), xdg.join("git/config")],
            },
        }
    }

    /// How to use the installed config for `email`, one line for the
    /// person: the client's own first command.
    pub fn usage_hint(self, email: &str) -> String {
        let name = crate::sys::text::shell_quote(email);
        match self {
            Client::Mbsync => format!(
                "Fetch mail with `mbsync {name}` (or `mbsync -a`) into the Maildir {}.",
                mbsync::maildir_root_of(email)
            ),
            Client::Msmtp => format!("Send with `msmtp -a {name} RECIPIENT < message`."),
            Client::Neomutt => "Start neomutt; it reads the password when it starts.".into(),
            Client::Aerc => format!("Start aerc; the account is the tab named {email}."),
            Client::Himalaya => format!("List mail with `himalaya -a {name} envelope list`."),
            Client::Git => "Send patches with `git send-email`; git asks \
                            `icloud-mail-setup git-credential` for the password."
                .into(),
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A client name that is none of [`Client::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mail client `{}`; choose one of: {}", crate::sys::text::escape_for_terminal(.0), client_names())]
pub struct UnknownClient(pub String);

/// `mbsync, msmtp, neomutt, aerc, himalaya, git`
pub fn client_names() -> String {
    Client::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Client {
    type Err = UnknownClient;

    /// A name of [`Client::ALL`], any case; `isync` is mbsync.
    fn from_str(s: &str) -> Result<Client, UnknownClient> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "isync" {
            return Ok(Client::Mbsync);
        }
        Client::ALL
            .into_iter()
            .find(|c| c.name() == lower)
            .ok_or_else(|| UnknownClient(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_clients() {
        for c in Client::ALL {
            assert_eq!(c.name().parse::<Client>().unwrap(), c);
            assert_eq!(c.name().to_uppercase().parse::<Client>().unwrap(), c);
        }
        assert_eq!("isync".parse::<Client>().unwrap(), Client::Mbsync);
        let e = "mutt\u{1b}[2J".parse::<Client>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown mail client `mutt\\x1b[2J`; choose one of: mbsync, msmtp, neomutt, aerc, \
             himalaya, git"
        );
    }
}
