//! The account as the clients need it: servers, logins, folders, each
//! value checked once, and the errors an export can meet.

use std::path::PathBuf;

use crate::domain::account::Email;
use crate::domain::config::AccountEntry;
use crate::domain::invocation::Invocation;
use crate::domain::mail::{CheckSettings, Endpoint};

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (iCloud's IMAP on 993).
    ImplicitTls,
    /// Plain TCP, then STARTTLS, required (iCloud's SMTP on 587).
    StartTls,
}

impl Security {
    /// A client's word for it: `implicit` for TLS from the first byte,
    /// `starttls` for STARTTLS.
    pub fn says<T>(self, implicit: T, starttls: T) -> T {
        match self {
            Security::ImplicitTls => implicit,
            Security::StartTls => starttls,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::tests::{apple_view, custom_view, view_of};
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
        let v = view_of(&entry).unwrap();
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
        let with = |change: fn(&mut AccountEntry)| {
            let mut e = base.clone();
            change(&mut e);
            e
        };
        let cases: [(AccountEntry, &str); 7] = [
            (
                with(|e| e.imap_username = Some("emily\nPassCmd \"rm -rf ~\"".into())),
                "IMAP username",
            ),
            (
                with(|e| e.smtp_username = Some("a\"b@icloud.com".into())),
                "SMTP username",
            ),
            (
                with(|e| e.imap_server = Some("evil host\n:993".into())),
                "IMAP server",
            ),
            (
                with(|e| e.smtp_server = Some("$(id).example:587".into())),
                "SMTP server",
            ),
            (
                with(|e| e.ca_file = Some("/tmp/x\"\nset imap_pass=1".into())),
                "CA file",
            ),
            (
                with(|e| e.ca_file = Some("relative/ca.pem".into())),
                "CA file",
            ),
            (with(|e| e.email = "a;b@icloud.com".into()), "address"),
        ];
        for (entry, field) in cases {
            match view_of(&entry) {
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
}
