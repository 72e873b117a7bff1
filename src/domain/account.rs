//! iCloud addresses and the login names derived from them.
//!
//! `@icloud.com`, `@me.com` and `@mac.com` are Apple's own domains. Any other
//! domain is an iCloud+ custom email domain: mail is sent as that address but
//! the IMAP/SMTP login is the account's primary iCloud Mail address.

use std::fmt;

use crate::sys::text;

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
    #[error(
        "The address has invisible or direction-changing characters (often from a copy \
         from a web page or chat); type it by hand."
    )]
    InvisibleCharacters,
    #[error(
        "The address has control characters (from a stray key or a terminal escape); \
         type it by hand."
    )]
    ControlCharacters,
    #[error(
        "The address has a character that is not plain ASCII, e.g. é or a look-alike from \
         another script. Type it with a–z, digits and . _ - + (an international domain in \
         its xn-- form)."
    )]
    NotAscii,
    #[error(
        "The address has `{0}`, which iCloud addresses never have (a shell treats it specially)."
    )]
    ShellCharacter(char),
    #[error("The part before the @ cannot start or end with a dot, or have two dots in a row.")]
    Dots,
    #[error(
        "The address starts with `-`, which iCloud addresses never do (a program would read \
         it as an option)."
    )]
    LeadingDash,
    #[error("That is too long for an email address (at most {MAX_EMAIL_LEN} characters).")]
    TooLong,
}

/// RFC 5321's limit on the length of an address.
pub const MAX_EMAIL_LEN: usize = 254;

/// Characters a POSIX shell treats specially. An address with one would need
/// quoting wherever it is pasted (a password command, a client config), and
/// no iCloud address has one, so they are refused with their own message.
const SHELL_METACHARACTERS: &str = "$`'\";&|<>()*?!~#{}[]\\ ";

impl Email {
    /// Parse what a person typed: surrounding whitespace trimmed, lowercased.
    /// Only an ASCII `local@domain` is accepted: the local part has letters,
    /// digits and `. _ - +`; each domain label letters, digits and hyphens.
    /// Anything else is refused with a reason, most specific first, so the
    /// address can later be printed and pasted without surprises.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(EmailError::Empty);
        }
        if t.chars().count() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        if t.chars()
            .any(|c| text::is_bidi_control(c) || text::is_zero_width(c))
        {
            return Err(EmailError::InvisibleCharacters);
        }
        if t.chars().any(char::is_whitespace) {
            return Err(EmailError::Whitespace);
        }
        if t.chars().any(char::is_control) {
            return Err(EmailError::ControlCharacters);
        }
        if !t.is_ascii() {
            return Err(EmailError::NotAscii);
        }
        if let Some(c) = t.chars().find(|&c| SHELL_METACHARACTERS.contains(c)) {
            return Err(EmailError::ShellCharacter(c));
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
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_+".contains(c))
        {
            return Err(EmailError::BadCharacters);
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::Dots);
        }
        // `password -h@x.com` would be clap's `-h`, and the client would
        // take the help text for the password.
        if local.starts_with('-') {
            return Err(EmailError::LeadingDash);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        {
            return Err(EmailError::BadDomain);
        }
        Ok(Email(t.to_ascii_lowercase()))
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

/// Apple's label field for an app-specific password is short; so is ours.
pub const MAX_LABEL_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("Type a label, e.g. the name of this computer, so you can find the password later.")]
    Empty,
    #[error("The label is {chars} characters; keep it to {MAX_LABEL_CHARS} or fewer.")]
    TooLong { chars: usize },
    #[error(
        "The label has invisible or direction-changing characters (often from a copy from a \
         web page or chat); type it by hand."
    )]
    InvisibleCharacters,
    #[error("The label has control characters or line breaks; keep it to one line of text.")]
    ControlCharacters,
}

/// The label kept with an account (and typed at Apple for its password),
/// trimmed. It is shown in lists and messages, so it must print as what it
/// is: one short line, no control, bidi or zero-width characters.
pub fn check_label(input: &str) -> Result<String, LabelError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(LabelError::Empty);
    }
    let chars = t.chars().count();
    if chars > MAX_LABEL_CHARS {
        return Err(LabelError::TooLong { chars });
    }
    if t.chars()
        .any(|c| text::is_bidi_control(c) || text::is_zero_width(c))
    {
        return Err(LabelError::InvisibleCharacters);
    }
    if t.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(LabelError::ControlCharacters);
    }
    Ok(t.to_string())
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
    /// Try only the first IMAP username form, never another after a
    /// refusal (the scheduled check: one login per account and run).
    pub one_imap_form: bool,
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
            one_imap_form: false,
        }
    }

    /// The same account, checked with its first IMAP username form only
    /// (the recorded one, else Apple's documented form): a refusal is an
    /// answer, not a reason to try another form.
    pub fn with_one_imap_form(mut self) -> Account {
        self.one_imap_form = true;
        self
    }

    /// The same account, with the IMAP username form that worked before.
    /// A recorded form that is neither the local part nor the full login
    /// address (a hand-edited or damaged config, perhaps with a line break
    /// that would smuggle a command into the session) is ignored: the
    /// standard forms are tried instead.
    pub fn with_imap_username(mut self, username: Option<String>) -> Account {
        self.imap_username = username
            .map(|u| u.to_lowercase())
            .filter(|u| u == self.login.local_part() || u == self.login.as_str());
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
        if self.one_imap_form {
            forms.truncate(1);
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
    fn only_a_standard_form_is_taken_as_the_recorded_imap_username() {
        let login = Email::parse("emily@icloud.com").unwrap();
        let with = |u: &str| {
            Account::new(login.clone(), login.clone())
                .with_imap_username(Some(u.to_string()))
                .imap_usernames()
        };
        assert_eq!(with("emily@icloud.com"), ["emily@icloud.com", "emily"]);
        assert_eq!(with("Emily"), ["emily", "emily@icloud.com"]);
        for bad in ["emily\r\na2 DELETE INBOX", "other", "", "emily\0"] {
            assert_eq!(with(bad), ["emily", "emily@icloud.com"], "{bad:?}");
        }
        let one = |u: Option<&str>| {
            Account::new(login.clone(), login.clone())
                .with_imap_username(u.map(str::to_string))
                .with_one_imap_form()
                .imap_usernames()
        };
        assert_eq!(one(Some("emily@icloud.com")), ["emily@icloud.com"]);
        assert_eq!(one(None), ["emily"]);
    }

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
        for dash in ["-h@icloud.com", "--help@x.com", "-@icloud.com"] {
            assert_eq!(Email::parse(dash), Err(EmailError::LeadingDash), "{dash}");
        }
        assert!(Email::parse("a-h@icloud.com").is_ok());
        assert_eq!(
            Email::parse_apple("a@example.org"),
            Err(EmailError::NotApple)
        );
    }

    #[test]
    fn accepts_the_characters_icloud_addresses_have() {
        let e = Email::parse("First.Last-2_x+tag@Mail.Example-1.co.uk").unwrap();
        assert_eq!(e.as_str(), "first.last-2_x+tag@mail.example-1.co.uk");
        assert!(Email::parse("a@xn--bcher-kva.example").is_ok());
    }

    #[test]
    fn rejects_what_could_be_misread_or_run() {
        use EmailError::*;
        // Invisible and direction-changing characters, wherever they are.
        for c in [
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{202a}', '\u{202e}',
            '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
        ] {
            assert_eq!(
                Email::parse(&format!("emily{c}@icloud.com")),
                Err(InvisibleCharacters),
                "{c:?}"
            );
        }
        assert_eq!(
            Email::parse("\u{feff}emily@icloud.com"),
            Err(InvisibleCharacters)
        );
        assert_eq!(Email::parse("a\tb@icloud.com"), Err(Whitespace));
        assert_eq!(Email::parse("a\u{a0}b@icloud.com"), Err(Whitespace));
        assert_eq!(
            Email::parse("a\u{1b}[2J@icloud.com"),
            Err(ControlCharacters)
        );
        assert_eq!(Email::parse("a\u{7f}@icloud.com"), Err(ControlCharacters));
        assert_eq!(Email::parse("a\u{9b}@icloud.com"), Err(ControlCharacters));
        assert_eq!(Email::parse("andr\u{e9}@icloud.com"), Err(NotAscii));
        // Cyrillic а (U+0430) looks like a Latin a.
        assert_eq!(Email::parse("emily@\u{430}pple.com"), Err(NotAscii));
        assert_eq!(Email::parse("ａ@icloud.com"), Err(NotAscii));
        for c in "$`'\";&|<>()*?!~#{}[]\\".chars() {
            assert_eq!(
                Email::parse(&format!("a{c}b@icloud.com")),
                Err(ShellCharacter(c)),
                "{c:?}"
            );
        }
        assert_eq!(
            Email::parse("$(reboot)@icloud.com"),
            Err(ShellCharacter('$'))
        );
        assert_eq!(Email::parse("a,b@icloud.com"), Err(BadCharacters));
        assert_eq!(Email::parse("a%b@icloud.com"), Err(BadCharacters));
        assert_eq!(Email::parse("a=b@icloud.com"), Err(BadCharacters));
        assert_eq!(Email::parse(".a@icloud.com"), Err(Dots));
        assert_eq!(Email::parse("a.@icloud.com"), Err(Dots));
        assert_eq!(Email::parse("a..b@icloud.com"), Err(Dots));
        assert_eq!(Email::parse("a@ex_ample.com"), Err(BadDomain));
        assert_eq!(Email::parse("a@-x.com"), Err(BadDomain));
        assert_eq!(Email::parse("a@x..com"), Err(BadDomain));
        assert_eq!(Email::parse("a@b@icloud.com"), Err(NoAt));
        let long = format!("{}@icloud.com", "a".repeat(MAX_EMAIL_LEN));
        assert_eq!(Email::parse(&long), Err(TooLong));
        // The same rules for the login of a custom domain.
        assert_eq!(
            Email::parse_apple("emily\u{202e}@icloud.com"),
            Err(InvisibleCharacters)
        );
        // Every message says what to do without repeating the input.
        assert!(ShellCharacter('$').to_string().contains("`$`"));
    }

    #[test]
    fn labels_are_one_short_printable_line() {
        assert_eq!(
            check_label("  icloud-mail-setup on laptop "),
            Ok("icloud-mail-setup on laptop".to_string())
        );
        assert_eq!(
            check_label("Küche – Mac ✓"),
            Ok("Küche – Mac ✓".to_string())
        );
        assert_eq!(check_label(&"x".repeat(MAX_LABEL_CHARS)).unwrap().len(), 64);
        assert_eq!(
            check_label(&"é".repeat(MAX_LABEL_CHARS))
                .unwrap()
                .chars()
                .count(),
            64
        );
        assert_eq!(check_label(" \t "), Err(LabelError::Empty));
        assert_eq!(
            check_label(&"x".repeat(MAX_LABEL_CHARS + 1)),
            Err(LabelError::TooLong { chars: 65 })
        );
        for bad in ["a\u{202e}b", "a\u{200b}b", "\u{feff}a", "a\u{2066}b"] {
            assert_eq!(
                check_label(bad),
                Err(LabelError::InvisibleCharacters),
                "{bad:?}"
            );
        }
        for bad in [
            "a\nb",
            "a\u{1b}[31mb",
            "a\u{7f}",
            "a\u{85}b",
            "a\u{2028}b",
            "a\tb",
        ] {
            assert_eq!(
                check_label(bad),
                Err(LabelError::ControlCharacters),
                "{bad:?}"
            );
        }
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
