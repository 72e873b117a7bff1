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

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::domain::account::Email;
use crate::domain::config::AccountEntry;
use crate::domain::mail::{CheckSettings, Endpoint};
use crate::sys::text::Invocation;

pub use install::Outcome;

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
    fn config_candidates(self, paths: &Paths) -> Vec<PathBuf> {
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

/// The platforms whose clients keep their configs in different places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and the other Unixes.
    Unix,
    MacOs,
    Windows,
}

impl Platform {
    /// The platform this program was built for.
    pub fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }
}

/// Where the clients' configs live: from `HOME` (on Windows, else
/// `USERPROFILE`), `XDG_CONFIG_HOME` and `GIT_CONFIG_GLOBAL`, and where
/// programs are looked for (`PATH`, with `PATHEXT` on Windows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME` when set to an absolute path, else `~/.config`.
    pub xdg_config: PathBuf,
    /// Whether `XDG_CONFIG_HOME` was set (aerc on macOS reads
    /// `~/Library/Preferences` unless it is).
    pub xdg_set: bool,
    /// `$GIT_CONFIG_GLOBAL`, which git uses instead of `~/.gitconfig`.
    pub git_global: Option<PathBuf>,
    pub path_var: Option<OsString>,
    /// The extensions a program name may leave out (`PATHEXT`; none
    /// outside Windows).
    pub path_ext: Vec<String>,
    pub platform: Platform,
}

impl Paths {
    /// From the environment; `None` without a home directory.
    pub fn from_env() -> Option<Paths> {
        Paths::from_vars(Platform::current(), |k| std::env::var_os(k))
    }

    /// From the variables `var` gives, as `platform` reads them (pure, so
    /// every platform's rules are tested everywhere).
    pub fn from_vars(platform: Platform, var: impl Fn(&str) -> Option<OsString>) -> Option<Paths> {
        let absolute = |v: Option<OsString>| {
            v.map(PathBuf::from)
                .filter(|p| is_absolute_for(platform, p))
        };
        let home = absolute(var("HOME")).or_else(|| {
            (platform == Platform::Windows)
                .then(|| absolute(var("USERPROFILE")))
                .flatten()
        })?;
        let xdg = absolute(var("XDG_CONFIG_HOME"));
        let git_global = var("GIT_CONFIG_GLOBAL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Some(Paths {
            xdg_set: xdg.is_some(),
            xdg_config: xdg.unwrap_or_else(|| home.join(".config")),
            home,
            git_global,
            path_var: var("PATH"),
            path_ext: crate::sys::process::path_extensions(
                platform == Platform::Windows,
                var("PATHEXT").as_deref(),
            ),
            platform,
        })
    }

    /// The executable `program` in a `PATH` directory, if any (the one
    /// lookup `process` uses: the exact name, then with each `PATHEXT`
    /// extension on Windows).
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        crate::sys::process::find_in(self.path_var.as_ref()?, program, &self.path_ext)
    }
}

/// Whether `p` is absolute on `platform` (a Windows path has a drive or
/// is a UNC path; checked by its text, so this works on any host).
fn is_absolute_for(platform: Platform, p: &Path) -> bool {
    if platform != Platform::Windows {
        return p.to_str().is_some_and(|s| s.starts_with('/'));
    }
    let s = p.to_string_lossy();
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || s.starts_with("\\\\")
}

/// The text of the file at `target` outside `email`'s block: `""` when
/// there is no such file (or it cannot be read, which the write reports).
pub fn elsewhere(target: &Path, email: &str) -> String {
    let Ok(text) = std::fs::read_to_string(crate::domain::config::resolve(target)) else {
        return String::new();
    };
    match install::place(&text, email, "") {
        Ok(p) => format!("{}{}", p.before, p.after),
        Err(_) => text,
    }
}

fn exists(p: &Path) -> bool {
    std::fs::metadata(p).is_ok()
}

/// The versions of installed clients whose syntax changed between
/// versions still in use. The default (nothing known) renders what every
/// version reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    /// isync (`mbsync --version`), as (major, minor).
    pub isync: Option<(u32, u32)>,
    /// `aerc --version`.
    pub aerc: Option<(u32, u32)>,
    /// `himalaya --version`.
    pub himalaya: Option<(u32, u32)>,
}

/// How long a client may take to say its version.
const VERSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Versions {
    /// Ask the installed clients (`mbsync --version`, `aerc -v`: 0.14
    /// knows no `--version`, `himalaya --version`) through the process
    /// runner, each bounded.
    pub fn detect(paths: Option<&Paths>) -> Versions {
        let ask = |program: &str, flag: &str| {
            let found = paths.and_then(|p| p.find_program(program))?;
            let ran = crate::sys::process::run(&found, &[flag], VERSION_TIMEOUT).ok()?;
            if !ran.status.success() {
                return None;
            }
            parse_version(&ran.stdout).or_else(|| parse_version(&ran.stderr))
        };
        Versions {
            isync: ask("mbsync", "--version"),
            aerc: ask("aerc", "-v"),
            himalaya: ask("himalaya", "--version"),
        }
    }
}

/// (major, minor) of the first `N.N` in `text` (`isync 1.4.4`).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find_map(|word| {
            let mut parts = word.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some((major, minor))
        })
}

/// One client as found on this machine (for the wizard's Done screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub client: Client,
    /// Where the program is on `PATH`, if it is.
    pub program: Option<PathBuf>,
    /// The config `--write` would install into, if it exists already.
    pub existing_config: Option<PathBuf>,
}

/// Every client: whether its program is on `PATH` and whether its config
/// exists. Reads the file system only.
pub fn detect(paths: &Paths) -> Vec<Detected> {
    Client::ALL
        .into_iter()
        .map(|client| Detected {
            client,
            program: paths.find_program(client.program()),
            existing_config: client
                .config_candidates(paths)
                .into_iter()
                .find(|p| exists(p)),
        })
        .collect()
}

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (iCloud's IMAP on 993).
    ImplicitTls,
    /// Plain TCP, then STARTTLS, required (iCloud's SMTP on 587).
    StartTls,
}

/// A server as the clients are told: host, port and how it is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// A DNS name, an IPv4 address or a bare IPv6 address (no brackets).
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl Server {
    /// `host` as it goes into a URL: IPv6 in brackets.
    pub fn url_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// iCloud's mailbox names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    pub inbox: &'static str,
    pub sent: &'static str,
    pub drafts: &'static str,
    pub trash: &'static str,
    pub junk: &'static str,
    pub archive: &'static str,
}

/// The folders iCloud Mail has (shared/design/icloud.md).
pub const ICLOUD_FOLDERS: Folders = Folders {
    inbox: "INBOX",
    sent: "Sent Messages",
    drafts: "Drafts",
    trash: "Deleted Messages",
    junk: "Junk",
    archive: "Archive",
};

/// Everything a client config says about an account. Every string in it
/// has been checked: hosts and user names are plain ASCII words, the CA
/// file an absolute path with no quote, escape or control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// The address mail is read at: the account name in every client and
    /// the argument of the password command.
    pub email: String,
    /// The address mail is sent as (a custom domain's own address).
    pub from: String,
    pub imap: Server,
    pub smtp: Server,
    /// The IMAP login that verification found to work.
    pub imap_user: String,
    /// The SMTP login (the primary iCloud address).
    pub smtp_user: String,
    /// Extra trust anchors (PEM) for a server not using a public CA.
    pub ca_file: Option<String>,
    pub folders: Folders,
    /// How the clients start this program (the password command).
    pub invocation: Invocation,
}

/// Why a config could not be made or installed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A value from our config that the client's format cannot carry
    /// safely (or that is not what it should be).
    #[error("the {field} `{value}` cannot be written into a {client} config: {reason}")]
    Unsafe {
        client: &'static str,
        field: &'static str,
        /// Escaped for the terminal.
        value: String,
        reason: &'static str,
    },
    /// The existing file is not one we can place the block in safely.
    #[error("{}: {reason}; nothing was changed", path.display())]
    Placement { path: PathBuf, reason: String },
    #[error("{}: {message}; nothing was changed", path.display())]
    Io { path: PathBuf, message: String },
    #[error("no HOME directory is set: give --file PATH")]
    NoHome,
    /// Running a client's own tool (`git config`) failed.
    #[error("{0}")]
    Tool(String),
}

impl ExportError {
    pub(crate) fn unsafe_value(
        client: &'static str,
        field: &'static str,
        value: &str,
        reason: &'static str,
    ) -> ExportError {
        ExportError::Unsafe {
            client,
            field,
            value: crate::sys::text::escape_for_terminal(value).into_owned(),
            reason,
        }
    }
}

/// `s` as one double-quoted value with `"` and `\` escaped by a backslash,
/// as mbsync, msmtp and gitconfig all read it; a control character cannot
/// be carried and is refused for `client`.
pub(crate) fn double_quoted(
    client: &'static str,
    field: &'static str,
    s: &str,
) -> Result<String, ExportError> {
    if s.chars().any(char::is_control) {
        return Err(ExportError::unsafe_value(
            client,
            field,
            s,
            "it has a control character",
        ));
    }
    Ok(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// The client named in a refusal made before any one client is involved.
const ANY: &str = "mail client";

impl AccountView {
    /// The view of a configured account. `settings` are the servers and
    /// CA file given on the command line or in the environment, used
    /// instead of the recorded ones where given (`imap_given`,
    /// `smtp_given`, a `ca_file` in `settings`), as `verify` does.
    /// `invocation`: how the clients start this program.
    pub fn from_entry(
        entry: &AccountEntry,
        settings: &CheckSettings,
        imap_given: bool,
        smtp_given: bool,
        invocation: Invocation,
    ) -> Result<AccountView, ExportError> {
        if let Some(path) = &invocation.config_unusable {
            return Err(ExportError::unsafe_value(
                ANY,
                "config path",
                path,
                "this path can't be written into a client config (not UTF-8, or a control \
                 character); the password command would read the default config instead",
            ));
        }
        let account = entry.account().map_err(|_| {
            ExportError::unsafe_value(ANY, "address", &entry.email, "not a plain address")
        })?;
        let email = account.email.as_str().to_string();
        for (field, raw) in [
            ("IMAP server", entry.imap_server.as_deref()),
            ("SMTP server", entry.smtp_server.as_deref()),
        ] {
            if let Some(raw) = raw
                && Endpoint::parse(raw).is_err()
            {
                return Err(ExportError::unsafe_value(ANY, field, raw, "not HOST:PORT"));
            }
        }
        // A CA file given now (`--ca-file`) is made absolute; the recorded
        // one is taken as recorded (and refused below if it is not safe).
        let given_ca = settings.ca_file.clone();
        let settings = entry.check_settings(settings, imap_given, smtp_given);
        let imap_user = entry
            .imap_username
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| account.imap_usernames()[0].clone());
        let smtp_user = entry
            .smtp_username
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| account.smtp_username());
        let ca_file = match &given_ca {
            Some(p) => Some(
                std::path::absolute(p)
                    .ok()
                    .and_then(|p| p.to_str().map(str::to_string))
                    .ok_or_else(|| {
                        ExportError::unsafe_value(
                            ANY,
                            "CA file",
                            &p.to_string_lossy(),
                            "not a UTF-8 path",
                        )
                    })?,
            ),
            None => entry.ca_file.clone(),
        };
        let view = AccountView {
            from: email.clone(),
            email,
            imap: server(&settings.imap, Security::ImplicitTls, "IMAP server")?,
            smtp: server(&settings.smtp, Security::StartTls, "SMTP server")?,
            imap_user: login(&imap_user, "IMAP username")?,
            smtp_user: login(&smtp_user, "SMTP username")?,
            ca_file: ca_file.map(|c| ca_path(&c)).transpose()?,
            folders: ICLOUD_FOLDERS,
            invocation,
        };
        Ok(view)
    }

    /// The command every client runs for the password, shell-quoted.
    pub fn password_command(&self) -> String {
        self.invocation.password_command(&self.email)
    }
}

fn server(e: &Endpoint, security: Security, field: &'static str) -> Result<Server, ExportError> {
    if !is_host(&e.host) {
        return Err(ExportError::unsafe_value(
            ANY,
            field,
            &e.host,
            "a host is a DNS name or an IP address",
        ));
    }
    Ok(Server {
        host: e.host.to_ascii_lowercase(),
        port: e.port,
        security,
    })
}

/// A DNS name (letters, digits, `-`, `.`), an IPv4 address, or a bare IPv6
/// address (hex digits, `:`, `.`).
pub fn is_host(h: &str) -> bool {
    let dns = h.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    let ipv6 = h.contains(':') && h.chars().all(|c| c.is_ascii_hexdigit() || ":.".contains(c));
    !h.is_empty() && h.len() <= 253 && (dns || ipv6)
}

/// A login name: what an iCloud address or its local part is made of.
fn login(u: &str, field: &'static str) -> Result<String, ExportError> {
    let ok = !u.is_empty()
        && u.len() <= crate::domain::account::MAX_EMAIL_LEN
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-@".contains(c))
        && u.matches('@').count() <= 1;
    if !ok {
        return Err(ExportError::unsafe_value(
            ANY,
            field,
            u,
            "a login is an address or its part before the @ (letters, digits, . _ + -)",
        ));
    }
    // An address-shaped login must be a real address.
    if u.contains('@') && Email::parse(u).is_err() {
        return Err(ExportError::unsafe_value(
            ANY,
            field,
            u,
            "not a plain address",
        ));
    }
    Ok(u.to_string())
}

/// A CA file path every client format can carry: absolute, no control,
/// quote, backslash, `$`, backtick, `#`, `;` or `%`, no leading or
/// trailing space.
fn ca_path(p: &str) -> Result<String, ExportError> {
    let reason = if !p.starts_with('/') {
        Some("the path must be absolute")
    } else if p.chars().any(|c| {
        c.is_control()
            || crate::sys::text::is_bidi_control(c)
            || crate::sys::text::is_zero_width(c)
            || "\"'\\`$#;%".contains(c)
    }) {
        Some("it has a quote, backslash, $, `, #, ; or % or an invisible character")
    } else if p.trim() != p {
        Some("it starts or ends with a space")
    } else {
        None
    };
    match reason {
        Some(r) => Err(ExportError::unsafe_value(ANY, "CA file", p, r)),
        None => Ok(p.to_string()),
    }
}

/// The first lines of every exported config: what it is, for which client
/// versions, and where the password is.
pub(crate) fn header(view: &AccountView, client: &str, versions: &str) -> String {
    let pickup = if client == "neomutt" {
        "when it next starts"
    } else {
        "by itself"
    };
    format!(
        "# iCloud Mail for {email} in {client}, written by icloud-mail-setup.\n\
         # Syntax: {versions}.\n\
         # No password here: {client} runs `{cmd}`,\n\
         # which reads it from the system keyring (a new password reaches {client} {pickup}).\n",
        email = view.email,
        cmd = view.password_command(),
    )
}

/// The comment every config carries about copies of sent mail.
pub(crate) fn sent_copy_note(how: &str) -> String {
    format!(
        "# Whether iCloud's SMTP server itself files a copy of sent mail in \"Sent Messages\"\n\
         # is unconfirmed (reports disagree).\n\
         # {how}\n"
    )
}

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

    /// An Apple-domain account on Apple's servers.
    pub(crate) fn apple_view() -> AccountView {
        let entry = AccountEntry {
            email: "emily@icloud.com".into(),
            login: "emily@icloud.com".into(),
            imap_username: Some("emily".into()),
            smtp_username: Some("emily@icloud.com".into()),
            ..AccountEntry::default()
        };
        AccountView::from_entry(
            &entry,
            &CheckSettings::default(),
            false,
            false,
            Invocation::default(),
        )
        .unwrap()
    }

    /// A custom-domain account on recorded servers with an extra CA.
    pub(crate) fn custom_view() -> AccountView {
        let entry = AccountEntry {
            email: "me@example.org".into(),
            login: "emily.parker@me.com".into(),
            imap_username: Some("emily.parker".into()),
            smtp_username: Some("emily.parker@me.com".into()),
            imap_server: Some("mail.example.org:1993".into()),
            smtp_server: Some("mail.example.org:1587".into()),
            ca_file: Some("/etc/ssl/private ca/test.pem".into()),
            ..AccountEntry::default()
        };
        AccountView::from_entry(
            &entry,
            &CheckSettings::default(),
            false,
            false,
            Invocation::default(),
        )
        .unwrap()
    }

    /// A config path no command line can carry: the export refuses
    /// instead of pointing clients at the default config.
    #[test]
    fn an_unwritable_config_path_is_refused_not_dropped() {
        let me = Invocation::new(None, Some(std::path::Path::new("/home/e/cfg\x1b[2J.toml")));
        assert_eq!(me.config, None);
        let entry = AccountEntry {
            email: "emily@icloud.com".into(),
            login: "emily@icloud.com".into(),
            ..AccountEntry::default()
        };
        let Err(e) = AccountView::from_entry(&entry, &CheckSettings::default(), false, false, me)
        else {
            panic!("refused");
        };
        let m = e.to_string();
        assert!(m.contains("can't be written into a client config"), "{m}");
        assert!(m.contains("cfg\\x1b[2J.toml") && !m.contains('\x1b'), "{m}");
    }

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

    #[test]
    fn the_view_uses_recorded_logins_servers_and_ca() {
        let v = apple_view();
        assert_eq!(v.imap.host, "imap.mail.me.com");
        assert_eq!((v.imap.port, v.smtp.port), (993, 587));
        assert_eq!(v.imap_user, "emily");
        assert_eq!(v.smtp_user, "emily@icloud.com");
        assert_eq!(v.ca_file, None);
        let c = custom_view();
        assert_eq!(c.from, "me@example.org");
        assert_eq!(c.smtp_user, "emily.parker@me.com");
        assert_eq!(c.imap.host, "mail.example.org");
        assert_eq!(c.smtp.port, 1587);
        assert_eq!(c.ca_file.as_deref(), Some("/etc/ssl/private ca/test.pem"));
    }

    #[test]
    fn without_recorded_usernames_the_documented_forms_are_used() {
        let entry = AccountEntry {
            email: "me@example.org".into(),
            login: "emily@icloud.com".into(),
            ..AccountEntry::default()
        };
        let v = AccountView::from_entry(
            &entry,
            &CheckSettings::default(),
            false,
            false,
            Invocation::default(),
        )
        .unwrap();
        assert_eq!(v.imap_user, "emily");
        assert_eq!(v.smtp_user, "emily@icloud.com");
    }

    #[test]
    fn hostile_values_from_the_config_are_refused() {
        let base = AccountEntry {
            email: "emily@icloud.com".into(),
            login: "emily@icloud.com".into(),
            ..AccountEntry::default()
        };
        let cases: Vec<(AccountEntry, &str)> = vec![
            (
                AccountEntry {
                    imap_username: Some("emily\nPassCmd \"rm -rf ~\"".into()),
                    ..base.clone()
                },
                "IMAP username",
            ),
            (
                AccountEntry {
                    smtp_username: Some("a\"b@icloud.com".into()),
                    ..base.clone()
                },
                "SMTP username",
            ),
            (
                AccountEntry {
                    imap_server: Some("evil host\n:993".into()),
                    ..base.clone()
                },
                "IMAP server",
            ),
            (
                AccountEntry {
                    smtp_server: Some("$(id).example:587".into()),
                    ..base.clone()
                },
                "SMTP server",
            ),
            (
                AccountEntry {
                    ca_file: Some("/tmp/x\"\nset imap_pass=1".into()),
                    ..base.clone()
                },
                "CA file",
            ),
            (
                AccountEntry {
                    ca_file: Some("relative/ca.pem".into()),
                    ..base.clone()
                },
                "CA file",
            ),
            (
                AccountEntry {
                    email: "a;b@icloud.com".into(),
                    ..base.clone()
                },
                "address",
            ),
        ];
        for (entry, field) in cases {
            match AccountView::from_entry(
                &entry,
                &CheckSettings::default(),
                false,
                false,
                Invocation::default(),
            ) {
                Err(ExportError::Unsafe {
                    field: f, value, ..
                }) => {
                    assert_eq!(f, field);
                    assert!(!value.contains('\n'), "{value}");
                }
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("isync 1.4.4\n"), Some((1, 4)));
        assert_eq!(parse_version("isync 1.5.0-rc1"), Some((1, 5)));
        assert_eq!(parse_version("no version"), None);
    }

    #[test]
    fn hosts() {
        for ok in [
            "imap.mail.me.com",
            "localhost",
            "127.0.0.1",
            "::1",
            "fe80::1",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in ["", "a b", "-a.com", "a..b", "a/b", "[::1]", "x;y", "é.com"] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn detect_finds_programs_on_path_and_existing_configs() {
        let d = tempfile::tempdir().unwrap();
        let bin = d.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let msmtp = bin.join("msmtp");
        std::fs::write(&msmtp, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&msmtp, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(bin.join("aerc"), "not executable").unwrap();
        let home = d.path().join("home");
        std::fs::create_dir_all(home.join(".config/himalaya")).unwrap();
        std::fs::write(home.join(".config/himalaya/config.toml"), "").unwrap();
        std::fs::write(home.join(".msmtprc"), "").unwrap();
        let paths = Paths {
            xdg_config: home.join(".config"),
            xdg_set: false,
            home: home.clone(),
            git_global: None,
            path_var: Some(bin.clone().into_os_string()),
            path_ext: Vec::new(),
            platform: Platform::Unix,
        };
        let found = detect(&paths);
        assert_eq!(found.len(), Client::ALL.len());
        let get = |c: Client| found.iter().find(|d| d.client == c).unwrap().clone();
        assert_eq!(get(Client::Msmtp).program, Some(msmtp));
        assert_eq!(get(Client::Aerc).program, None);
        assert_eq!(
            get(Client::Msmtp).existing_config,
            Some(home.join(".msmtprc"))
        );
        assert_eq!(
            get(Client::Himalaya).existing_config,
            Some(home.join(".config/himalaya/config.toml"))
        );
        assert_eq!(get(Client::Mbsync).existing_config, None);
        // Where --write goes: the existing file, else the first place.
        assert_eq!(
            Client::Msmtp.config_path(&paths).unwrap(),
            home.join(".msmtprc")
        );
        assert_eq!(
            Client::Mbsync.config_path(&paths).unwrap(),
            home.join(".mbsyncrc")
        );
        assert_eq!(
            Client::Aerc.config_path(&paths).unwrap(),
            home.join(".config/aerc/accounts.conf")
        );
        // A muttrc neomutt reads today is not silently shadowed.
        std::fs::write(home.join(".muttrc"), "").unwrap();
        assert!(matches!(
            Client::Neomutt.config_path(&paths),
            Err(ExportError::Placement { .. })
        ));
    }

    #[test]
    fn each_platform_finds_home_and_the_clients_configs_where_they_are() {
        use std::collections::HashMap;
        let vars = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        // Windows: no HOME in cmd or PowerShell; USERPROFILE it is.
        let w = Paths::from_vars(
            Platform::Windows,
            vars(&[("USERPROFILE", r"C:\Users\emily"), ("PATHEXT", ".COM;.EXE")]),
        )
        .unwrap();
        assert_eq!(w.home, PathBuf::from(r"C:\Users\emily"));
        assert_eq!(w.path_ext, [".com", ".exe"]);
        // Elsewhere USERPROFILE means nothing, and a relative HOME is none.
        assert_eq!(
            Paths::from_vars(Platform::Unix, vars(&[("USERPROFILE", "/home/e")])),
            None
        );
        assert_eq!(
            Paths::from_vars(Platform::Unix, vars(&[("HOME", "home/e")])),
            None
        );
        // macOS: aerc reads ~/Library/Preferences/aerc unless
        // XDG_CONFIG_HOME is set; the others keep their usual places.
        let mac = Paths::from_vars(Platform::MacOs, vars(&[("HOME", "/Users/e")])).unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&mac),
            [PathBuf::from(
                "/Users/e/Library/Preferences/aerc/accounts.conf"
            )]
        );
        assert_eq!(
            Client::Mbsync.config_candidates(&mac)[0],
            PathBuf::from("/Users/e/.mbsyncrc")
        );
        assert_eq!(
            Client::Msmtp.config_candidates(&mac)[0],
            PathBuf::from("/Users/e/.config/msmtp/config")
        );
        let mac_xdg = Paths::from_vars(
            Platform::MacOs,
            vars(&[("HOME", "/Users/e"), ("XDG_CONFIG_HOME", "/Users/e/cfg")]),
        )
        .unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&mac_xdg),
            [PathBuf::from("/Users/e/cfg/aerc/accounts.conf")]
        );
        let linux = Paths::from_vars(Platform::Unix, vars(&[("HOME", "/home/e")])).unwrap();
        assert_eq!(
            Client::Aerc.config_candidates(&linux),
            [PathBuf::from("/home/e/.config/aerc/accounts.conf")]
        );
    }

    #[test]
    fn programs_are_found_with_pathext() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("git.exe"), "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                d.path().join("git.exe"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
        let mut p = Paths::from_vars(Platform::Unix, |k| match k {
            "HOME" => Some("/h".into()),
            "PATH" => Some(d.path().as_os_str().to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(p.find_program("git"), None);
        p.path_ext = crate::sys::process::path_extensions(true, None);
        assert_eq!(p.find_program("git"), Some(d.path().join("git.exe")));
    }
}
