//! iCloud addresses and the login names derived from them.
//!
//! `@icloud.com`, `@me.com` and `@mac.com` are Apple's own domains. Any other
//! domain is an iCloud+ custom email domain: mail is sent as that address but
//! the IMAP/SMTP login is the account's primary iCloud Mail address.

use std::fmt;

pub const APPLE_DOMAINS: [&str; 3] = ["icloud.com", "me.com", "mac.com"];

/// A syntactically plausible, lowercased email address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Type your iCloud email address, e.g. name@icloud.com.")]
    Empty,
    #[error("An email address has one @ between the name and the domain.")]
    NoAt,
    #[error("The part before the @ is missing.")]
    NoLocalPart,
    #[error("The domain after the @ is missing or incomplete (e.g. icloud.com).")]
    BadDomain,
    #[error("Email addresses cannot contain spaces.")]
    Whitespace,
    #[error("That address has characters email addresses cannot have.")]
    BadCharacters,
    #[error("The primary login address must be on icloud.com, me.com or mac.com.")]
    NotApple,
}

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(EmailError::Empty);
        }
        if t.chars().any(char::is_whitespace) {
            return Err(EmailError::Whitespace);
        }
        if t.chars()
            .any(|c| c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return Err(EmailError::BadCharacters);
        }
        let Some((local, domain)) = t.rsplit_once('@') else {
            return Err(EmailError::NoAt);
        };
        if local.is_empty() {
            return Err(EmailError::NoLocalPart);
        }
        if local.contains('@') {
            return Err(EmailError::NoAt);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(EmailError::BadDomain);
        }
        Ok(Email(t.to_lowercase()))
    }

    /// An address that must be on one of Apple's domains (the login of a
    /// custom-domain account).
    pub fn parse_apple(input: &str) -> Result<Email, EmailError> {
        let e = Email::parse(input)?;
        if e.is_apple() {
            Ok(e)
        } else {
            Err(EmailError::NotApple)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or(&self.0)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    pub fn is_apple(&self) -> bool {
        APPLE_DOMAINS.contains(&self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address the user reads mail at, and the iCloud address they log in
/// with (the same unless it is a custom domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub email: Email,
    pub login: Email,
    /// The IMAP username form that worked before (recorded in the config):
    /// tried first, and alone unless it is refused.
    pub imap_username: Option<String>,
}

impl Account {
    /// An account on one of Apple's domains: the address is the login.
    pub fn apple(email: Email) -> Account {
        Account::new(email.clone(), email)
    }

    /// An account that reads mail at `email` and logs in as `login`.
    pub fn new(email: Email, login: Email) -> Account {
        Account {
            email,
            login,
            imap_username: None,
        }
    }

    /// The same account, with the IMAP username form that worked before.
    pub fn with_imap_username(mut self, username: Option<String>) -> Account {
        self.imap_username = username.filter(|u| !u.is_empty());
        self
    }

    pub fn is_custom_domain(&self) -> bool {
        !self.email.is_apple()
    }

    /// IMAP login names in the order to try: the form that worked before,
    /// if recorded; then the local part of the login address (Apple's
    /// documented form), then the full address. The check moves to the
    /// next only when one is refused.
    pub fn imap_usernames(&self) -> Vec<String> {
        let mut forms = Vec::with_capacity(3);
        forms.extend(self.imap_username.clone());
        for form in [self.login.local_part(), self.login.as_str()] {
            if !forms.iter().any(|f| f == form) {
                forms.push(form.to_string());
            }
        }
        forms
    }

    /// SMTP logs in with the full iCloud address.
    pub fn smtp_username(&self) -> String {
        self.login.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_apple_and_custom_domains() {
        let e = Email::parse("  Emily.Parker@iCloud.com ").unwrap();
        assert_eq!(e.as_str(), "emily.parker@icloud.com");
        assert!(e.is_apple());
        assert!(Email::parse("x@me.com").unwrap().is_apple());
        assert!(Email::parse("x@mac.com").unwrap().is_apple());
        assert!(!Email::parse("me@example.org").unwrap().is_apple());
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("emily"), Err(EmailError::NoAt));
        assert_eq!(Email::parse("@icloud.com"), Err(EmailError::NoLocalPart));
        assert_eq!(Email::parse("a@icloud"), Err(EmailError::BadDomain));
        assert_eq!(Email::parse("a@.com"), Err(EmailError::BadDomain));
        assert_eq!(Email::parse("a b@icloud.com"), Err(EmailError::Whitespace));
        assert_eq!(
            Email::parse_apple("a@example.org"),
            Err(EmailError::NotApple)
        );
    }

    #[test]
    fn usernames_follow_apple_then_fallback() {
        let a = Account::apple(Email::parse("emily@icloud.com").unwrap());
        assert_eq!(a.imap_usernames(), ["emily", "emily@icloud.com"]);
        assert_eq!(a.smtp_username(), "emily@icloud.com");
        let c = Account::new(
            Email::parse("me@example.org").unwrap(),
            Email::parse("emily@icloud.com").unwrap(),
        );
        assert!(c.is_custom_domain());
        assert_eq!(c.imap_usernames(), ["emily", "emily@icloud.com"]);
        assert_eq!(c.smtp_username(), "emily@icloud.com");
        // The form that worked before goes first.
        let r = a.with_imap_username(Some("emily@icloud.com".into()));
        assert_eq!(r.imap_usernames(), ["emily@icloud.com", "emily"]);
    }
}
