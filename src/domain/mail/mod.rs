//! Live verification: an IMAP login and an SMTP login, run side by side.
//!
//! The wizard and the `verify`/`store` commands see only [`Checker`]; the
//! real implementation is [`LiveChecker`], tests may use a fake.

pub mod diagnosis;
pub mod imap;
pub mod pending;
pub mod smtp;
pub mod tls;
pub mod wire;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::domain::account::Account;
use crate::sys::secret::Secret;

pub use diagnosis::{Diagnosis, diagnose};
pub use pending::PendingPassword;

pub const DEFAULT_IMAP: (&str, u16) = ("imap.mail.me.com", 993);
pub const DEFAULT_SMTP: (&str, u16) = ("smtp.mail.me.com", 587);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20);

/// A host and port, written `HOST:PORT` (IPv6 as `[::1]:PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            host: host.into(),
            port,
        }
    }

    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let s = s.trim();
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest
                .split_once("]:")
                .ok_or_else(|| format!("`{s}` is not HOST:PORT"))?;
            (h, p)
        } else {
            s.rsplit_once(':')
                .ok_or_else(|| format!("`{s}` is not HOST:PORT"))?
        };
        if host.is_empty() {
            return Err(format!("`{s}` has no host"));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{s}`: the port must be a number from 1 to 65535"))?;
        if port == 0 {
            return Err(format!("`{s}`: the port must be a number from 1 to 65535"));
        }
        Ok(Endpoint::new(host, port))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where and how to check: servers, extra trust anchors, deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSettings {
    pub imap: Endpoint,
    pub smtp: Endpoint,
    /// A PEM file of extra trust anchors, added to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// For TCP connect (and TLS handshake) alone.
    pub connect_timeout: Duration,
    /// For one whole check, all username forms included.
    pub deadline: Duration,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            imap: Endpoint::new(DEFAULT_IMAP.0, DEFAULT_IMAP.1),
            smtp: Endpoint::new(DEFAULT_SMTP.0, DEFAULT_SMTP.1),
            ca_file: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

impl CheckSettings {
    pub fn uses_default_servers(&self) -> bool {
        let d = CheckSettings::default();
        self.imap == d.imap && self.smtp == d.smtp
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Imap,
    Smtp,
}

impl Protocol {
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Smtp => "SMTP",
        }
    }
}

/// What went wrong, as a closed set the diagnosis and exit codes map from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Every username form was refused: wrong or revoked password.
    PasswordRejected,
    /// The host name did not resolve.
    Dns,
    /// Nothing listens there (TCP RST).
    ConnectionRefused,
    /// Connect or the whole check took longer than its deadline.
    Timeout,
    /// The certificate chain does not lead to a trusted root.
    UntrustedCertificate,
    /// The certificate is for another host name.
    HostnameMismatch,
    /// Some other TLS failure (protocol version, handshake alert...).
    Tls,
    /// The server closed the connection when it should have answered.
    ConnectionClosed,
    /// The server said something that is not the protocol.
    UnexpectedReply,
    /// The SMTP server did not offer STARTTLS: credentials were not sent.
    StartTlsNotOffered,
    /// Some other network failure (unreachable, reset...).
    Network,
    /// The user cancelled.
    Cancelled,
    /// The --ca-file could not be read.
    CaFile,
    /// The server refused for now (IMAP `NO [UNAVAILABLE]`, `BYE`, SMTP
    /// `4xx`): a server problem, not a verdict on the password.
    ServerUnavailable,
    /// The server sent more than any mail server sends before login (a
    /// line that never ends, a flood, a huge literal).
    Oversized,
    /// Bytes arrived after the `220` to `STARTTLS` and before encryption:
    /// something on the path tried to inject replies.
    StartTlsInjection,
}

impl ErrorKind {
    /// Stable identifier, used in `--json` output.
    pub fn id(self) -> &'static str {
        match self {
            ErrorKind::PasswordRejected => "password_rejected",
            ErrorKind::Dns => "dns",
            ErrorKind::ConnectionRefused => "connection_refused",
            ErrorKind::Timeout => "timeout",
            ErrorKind::UntrustedCertificate => "untrusted_certificate",
            ErrorKind::HostnameMismatch => "hostname_mismatch",
            ErrorKind::Tls => "tls",
            ErrorKind::ConnectionClosed => "connection_closed",
            ErrorKind::UnexpectedReply => "unexpected_reply",
            ErrorKind::StartTlsNotOffered => "starttls_not_offered",
            ErrorKind::Network => "network",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::CaFile => "ca_file",
            ErrorKind::ServerUnavailable => "server_unavailable",
            ErrorKind::Oversized => "oversized",
            ErrorKind::StartTlsInjection => "starttls_injection",
        }
    }
}

/// A failed check. `detail` is a short technical note for the curious
/// (a server reply code, an OS error); it never contains the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub detail: String,
    /// The username forms the server refused before it failed (a rejected
    /// password: every form tried).
    pub refused: Vec<String>,
}

impl Failure {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Failure {
            kind,
            detail: detail.into(),
            refused: Vec::new(),
        }
    }
}

/// A login the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The username form that worked.
    pub username: String,
    /// Forms tried before it and refused (each on its own connection).
    pub rejected: Vec<String>,
}

/// The result of one check, with its elapsed time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub protocol: Protocol,
    pub endpoint: Endpoint,
    pub outcome: Result<Accepted, Failure>,
    pub elapsed: Duration,
    /// How many logins were attempted (one per connection).
    pub attempts: u32,
}

impl CheckReport {
    pub fn accepted(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// One check of one protocol. Implementations must honour the deadline in
/// `CheckSettings` themselves and return a report in every case.
pub trait Checker: Send + Sync + 'static {
    fn check(
        &self,
        protocol: Protocol,
        account: Account,
        password: Secret,
    ) -> BoxFuture<'static, CheckReport>;

    /// The same check with a password that may still be on its way. A
    /// checker that can do work before it needs the password (connect,
    /// TLS, greeting) overrides this; by default it waits for the password
    /// first. No password: a [`ErrorKind::Cancelled`] report, nothing sent.
    fn check_pending(
        &self,
        protocol: Protocol,
        account: Account,
        password: PendingPassword,
    ) -> BoxFuture<'_, CheckReport> {
        Box::pin(async move {
            match password.get().await {
                Some(p) => self.check(protocol, account, p).await,
                None => CheckReport {
                    protocol,
                    endpoint: Endpoint::new("", 0),
                    outcome: Err(no_password()),
                    elapsed: Duration::ZERO,
                    attempts: 0,
                },
            }
        })
    }

    /// The same checker pointed at other servers (an account's recorded
    /// ones), if it can be; `None` keeps this one.
    fn with_settings(&self, _settings: CheckSettings) -> Option<Arc<dyn Checker>> {
        None
    }
}

/// A check that stopped before its login because no password came.
pub(crate) fn no_password() -> Failure {
    Failure::new(
        ErrorKind::Cancelled,
        "no password to send: stopped before logging in",
    )
}

/// The real checker: IMAP over implicit TLS, SMTP with STARTTLS.
#[derive(Debug, Clone)]
pub struct LiveChecker {
    pub settings: Arc<CheckSettings>,
}

impl LiveChecker {
    pub fn new(settings: CheckSettings) -> Self {
        LiveChecker {
            settings: Arc::new(settings),
        }
    }
}

impl Checker for LiveChecker {
    fn with_settings(&self, settings: CheckSettings) -> Option<Arc<dyn Checker>> {
        Some(Arc::new(LiveChecker::new(settings)))
    }

    fn check(
        &self,
        protocol: Protocol,
        account: Account,
        password: Secret,
    ) -> BoxFuture<'static, CheckReport> {
        self.connect_then_check(protocol, account, PendingPassword::ready(password))
    }

    /// Connects, handshakes and reads the greeting while the password is
    /// still on its way.
    fn check_pending(
        &self,
        protocol: Protocol,
        account: Account,
        password: PendingPassword,
    ) -> BoxFuture<'_, CheckReport> {
        self.connect_then_check(protocol, account, password)
    }
}

impl LiveChecker {
    fn connect_then_check(
        &self,
        protocol: Protocol,
        account: Account,
        password: PendingPassword,
    ) -> BoxFuture<'static, CheckReport> {
        let settings = self.settings.clone();
        Box::pin(async move {
            match protocol {
                Protocol::Imap => imap::check_pending(&settings, &account, &password).await,
                Protocol::Smtp => smtp::check_pending(&settings, &account, &password).await,
            }
        })
    }
}

/// What a check keeps as it goes: when it started, when it must end, and
/// how many logins it made.
pub(crate) struct Clock {
    start: std::time::Instant,
    pub deadline: tokio::time::Instant,
    pub attempts: u32,
}

impl Clock {
    /// Started now, ending after the settings' deadline.
    pub fn start(settings: &CheckSettings) -> Clock {
        Clock {
            start: std::time::Instant::now(),
            deadline: tokio::time::Instant::now() + settings.deadline,
            attempts: 0,
        }
    }

    /// The shared end of a check: `None` (the deadline passed) becomes a
    /// `Timeout`, the password (if it arrived) is scrubbed from any failure
    /// detail, and the report is built with the elapsed time.
    pub fn finish(
        self,
        protocol: Protocol,
        settings: &CheckSettings,
        outcome: Option<Result<Accepted, Failure>>,
        password: &PendingPassword,
    ) -> CheckReport {
        let password = password.now();
        let outcome = outcome
            .unwrap_or_else(|| {
                Err(Failure::new(
                    ErrorKind::Timeout,
                    format!("no answer within {} ms", settings.deadline.as_millis()),
                ))
            })
            .map_err(|f| match &password {
                Some(p) => Failure {
                    detail: tls::scrub(f.detail, p.expose()),
                    ..f
                },
                None => f,
            });
        CheckReport {
            protocol,
            endpoint: match protocol {
                Protocol::Imap => settings.imap.clone(),
                Protocol::Smtp => settings.smtp.clone(),
            },
            outcome,
            elapsed: self.start.elapsed(),
            attempts: self.attempts,
        }
    }
}

/// Run both checks concurrently; each report is handed to `on_report` as
/// soon as it arrives. Returns (imap, smtp).
pub async fn check_both(
    checker: &dyn Checker,
    account: &Account,
    password: &Secret,
    on_report: impl FnMut(&CheckReport),
) -> (CheckReport, CheckReport) {
    let password = PendingPassword::ready(password.clone());
    check_both_pending(checker, account, &password, on_report).await
}

/// [`check_both`] with a password that may still be on its way: both
/// checks connect meanwhile (see [`Checker::check_pending`]).
pub async fn check_both_pending(
    checker: &dyn Checker,
    account: &Account,
    password: &PendingPassword,
    mut on_report: impl FnMut(&CheckReport),
) -> (CheckReport, CheckReport) {
    use futures::future::{Either, select};
    // SMTP first: with STARTTLS it needs more round trips than IMAP (5.5
    // against 3 before the login is answered), so it decides the total;
    // polled first, its connection starts first.
    let smtp = checker.check_pending(Protocol::Smtp, account.clone(), password.clone());
    let imap = checker.check_pending(Protocol::Imap, account.clone(), password.clone());
    match select(smtp, imap).await {
        Either::Left((s, imap)) => {
            on_report(&s);
            let i = imap.await;
            on_report(&i);
            (i, s)
        }
        Either::Right((i, smtp)) => {
            on_report(&i);
            let s = smtp.await;
            on_report(&s);
            (i, s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_print() {
        assert_eq!(
            Endpoint::parse("127.0.0.1:1993").unwrap(),
            Endpoint::new("127.0.0.1", 1993)
        );
        assert_eq!(Endpoint::parse("[::1]:25").unwrap().to_string(), "[::1]:25");
        assert!(Endpoint::parse("localhost").is_err());
        assert!(Endpoint::parse("localhost:0").is_err());
        assert!(Endpoint::parse(":25").is_err());
        assert!(Endpoint::parse("h:99999").is_err());
    }
}
