//! The servers and usernames an account really uses, and the settings table
//! a person types into a GUI mail app (Thunderbird, Apple Mail, Evolution,
//! Geary, KMail, Outlook).
//!
//! Pure: no I/O. The `settings` command prints [`render`] of
//! [`AccountServers::rows`]; the wizard's Done screen can draw the same
//! rows; the git credential helper matches requests against
//! [`AccountServers::smtp`] and the usernames.

use crate::domain::config::AccountEntry;
use crate::domain::mail::{DEFAULT_IMAP, DEFAULT_SMTP, Endpoint};
use crate::sys::text::{escape_for_terminal, shell_quote};

/// What a mail client needs to reach one account, as recorded in the
/// config: Apple's servers unless the account recorded overrides, and the
/// login names verification found to work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountServers {
    /// The address mail is read at (the keyring account).
    pub email: String,
    /// The primary iCloud address used to log in (= email unless a custom
    /// domain).
    pub login: String,
    /// IMAP, implicit TLS.
    pub imap: Endpoint,
    /// The IMAP login: the form that worked, else the local part of the login.
    pub imap_username: String,
    /// SMTP submission, STARTTLS.
    pub smtp: Endpoint,
    /// The SMTP login: the one that worked, else the login address.
    pub smtp_username: String,
}

/// One line of the settings table: what the app calls it, what to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: &'static str,
    /// Safe to show on a terminal: anything from the config that a
    /// terminal would act on is escaped.
    pub value: String,
}

impl AccountServers {
    /// The servers and usernames recorded for `entry`. A recorded server
    /// that is not `HOST:PORT`, or an address that does not parse, is an
    /// error naming the field (the config was edited by hand): never
    /// silently Apple's servers instead.
    pub fn of(entry: &AccountEntry) -> Result<AccountServers, String> {
        let account = entry.account()?;
        let server = |field: &str, value: &Option<String>, default: (&str, u16)| match value {
            Some(s) => Endpoint::parse(s).map_err(|e| {
                format!(
                    "{field} of {} in the config: {}",
                    entry.email,
                    escape_for_terminal(&e)
                )
            }),
            None => Ok(Endpoint::new(default.0, default.1)),
        };
        let imap = server("imap_server", &entry.imap_server, DEFAULT_IMAP)?;
        let smtp = server("smtp_server", &entry.smtp_server, DEFAULT_SMTP)?;
        let recorded = |u: &Option<String>| u.clone().filter(|u| !u.trim().is_empty());
        Ok(AccountServers {
            email: account.email.as_str().to_string(),
            login: account.login.as_str().to_string(),
            imap_username: recorded(&entry.imap_username)
                .unwrap_or_else(|| account.imap_usernames()[0].clone()),
            smtp_username: recorded(&entry.smtp_username)
                .unwrap_or_else(|| account.smtp_username()),
            imap,
            smtp,
        })
    }

    /// The table a person types into a GUI mail app, top to bottom.
    /// The rows; `ims` is our command as the person types it (with
    /// `--config` when one is in use), for the password's copy command.
    pub fn rows(&self, ims: &str) -> Vec<Row> {
        let show = |s: &str| escape_for_terminal(s).into_owned();
        vec![
            Row {
                label: "Email address",
                value: show(&self.email),
            },
            Row {
                label: "Incoming server (IMAP)",
                value: show(&self.imap.host),
            },
            Row {
                label: "Incoming port",
                value: self.imap.port.to_string(),
            },
            Row {
                label: "Incoming security",
                value: "SSL/TLS".into(),
            },
            Row {
                label: "Incoming username",
                value: show(&self.imap_username),
            },
            Row {
                label: "Outgoing server (SMTP)",
                value: show(&self.smtp.host),
            },
            Row {
                label: "Outgoing port",
                value: self.smtp.port.to_string(),
            },
            Row {
                label: "Outgoing security",
                value: "STARTTLS".into(),
            },
            Row {
                label: "Outgoing username",
                value: show(&self.smtp_username),
            },
            Row {
                label: "Authentication",
                value: "Normal password (both servers)".into(),
            },
            Row {
                label: "Password",
                value: format!(
                    "the app-specific password (copy it with `{}`)",
                    copy_command(ims, &self.email)
                ),
            },
        ]
    }
}

/// The command that copies the password of `email` to the clipboard,
/// ready to paste into a shell (`ims`: our command, as the person types it).
pub fn copy_command(ims: &str, email: &str) -> String {
    format!("{ims} password --copy {}", shell_quote(email))
}

/// The rows as text: labels padded to one column, one row a line.
pub fn render(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|r| format!("{:<width$}  {}\n", r.label, r.value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(email: &str, login: &str) -> AccountEntry {
        AccountEntry {
            email: email.into(),
            login: login.into(),
            ..AccountEntry::default()
        }
    }

    fn value<'a>(rows: &'a [Row], label: &str) -> &'a str {
        &rows.iter().find(|r| r.label == label).unwrap().value
    }

    #[test]
    fn apple_defaults_and_derived_usernames() {
        let s = AccountServers::of(&entry("emily@icloud.com", "emily@icloud.com")).unwrap();
        assert_eq!(s.imap, Endpoint::new("imap.mail.me.com", 993));
        assert_eq!(s.smtp, Endpoint::new("smtp.mail.me.com", 587));
        assert_eq!(s.imap_username, "emily");
        assert_eq!(s.smtp_username, "emily@icloud.com");
        let rows = s.rows("icloud-mail-setup");
        assert_eq!(value(&rows, "Incoming server (IMAP)"), "imap.mail.me.com");
        assert_eq!(value(&rows, "Incoming port"), "993");
        assert_eq!(value(&rows, "Incoming security"), "SSL/TLS");
        assert_eq!(value(&rows, "Outgoing port"), "587");
        assert_eq!(value(&rows, "Outgoing security"), "STARTTLS");
        assert!(
            value(&rows, "Password")
                .contains("`icloud-mail-setup password --copy emily@icloud.com`")
        );
    }

    #[test]
    fn recorded_servers_and_usernames_win() {
        let mut e = entry("me@example.org", "primary@icloud.com");
        e.imap_server = Some("127.0.0.1:1993".into());
        e.smtp_server = Some("[::1]:1587".into());
        e.imap_username = Some("primary@icloud.com".into());
        let s = AccountServers::of(&e).unwrap();
        assert_eq!(s.imap, Endpoint::new("127.0.0.1", 1993));
        assert_eq!(s.smtp, Endpoint::new("::1", 1587));
        assert_eq!(s.imap_username, "primary@icloud.com");
        // Custom domain: SMTP logs in as the primary iCloud address.
        assert_eq!(s.smtp_username, "primary@icloud.com");
        assert_eq!(s.login, "primary@icloud.com");
    }

    #[test]
    fn a_broken_recorded_server_is_an_error_not_apples() {
        let mut e = entry("a@icloud.com", "a@icloud.com");
        e.smtp_server = Some("no-port".into());
        let err = AccountServers::of(&e).unwrap_err();
        assert!(err.contains("smtp_server"), "{err}");
        let mut e = entry("a@icloud.com", "not an address");
        e.login = "x".into();
        assert!(AccountServers::of(&e).is_err());
    }

    #[test]
    fn hostile_values_are_escaped_for_display() {
        let mut e = entry("a@icloud.com", "a@icloud.com");
        e.imap_username = Some("a\u{1b}]0;pwned\u{7}".into());
        e.smtp_server = Some("evil\u{202e}host:587".into());
        let rows = AccountServers::of(&e).unwrap().rows("icloud-mail-setup");
        let text = render(&rows);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains(r"a\x1b]0;pwned\x07"), "{text}");
    }

    #[test]
    fn render_aligns_the_values() {
        let rows = AccountServers::of(&entry("a@icloud.com", "a@icloud.com"))
            .unwrap()
            .rows("icloud-mail-setup");
        let text = render(&rows);
        let columns: Vec<usize> = text
            .lines()
            .map(|l| l.find("  ").unwrap() + l[l.find("  ").unwrap()..].find(|c| c != ' ').unwrap())
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert_eq!(text.lines().count(), rows.len());
    }
}
