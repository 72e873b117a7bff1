//! Every outcome, as a sentence a person can act on. No password is ever
//! part of the wording: it is built from the kind, the protocol and the
//! endpoint only.

use super::{CheckReport, Endpoint, ErrorKind, Protocol};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// One line: what happened (without the protocol name).
    pub headline: String,
    /// What to do next.
    pub advice: String,
}

/// One line for a finished check, as shown beside its ✓ or ✗.
pub fn summary_line(report: &CheckReport) -> String {
    match &report.outcome {
        Ok(a) if a.rejected.is_empty() => format!("accepted as {}", a.username),
        Ok(a) => format!(
            "accepted as {} ({} was refused)",
            a.username,
            a.rejected.join(", ")
        ),
        Err(f) => diagnose(report.protocol, &report.endpoint, f.kind).headline,
    }
}

/// The wizard's last words on a rejected password ("here" is its screen).
const PASTE_HERE: &str = "Make a new one at account.apple.com and paste it here.";

impl Diagnosis {
    /// The advice as a command (not a screen) gives it: "paste it here"
    /// becomes the command that takes a new password for `email`.
    pub fn for_command(mut self, email: &str) -> Diagnosis {
        self.advice = self.advice.replace(
            PASTE_HERE,
            &format!(
                "Make a new one at account.apple.com and store it with \
                 `icloud-mail-setup store {email}` (or run `icloud-mail-setup --account {email}`)."
            ),
        );
        self
    }
}

pub fn diagnose(protocol: Protocol, endpoint: &Endpoint, kind: ErrorKind) -> Diagnosis {
    let p = protocol.label();
    let port = endpoint.port;
    let host = &endpoint.host;
    let (headline, advice) = match kind {
        ErrorKind::PasswordRejected => (
            "the password was rejected".to_string(),
            format!(
                "The app-specific password is wrong, was revoked, or your Apple Account \
                 password changed (which revokes every app-specific password). {PASTE_HERE}"
            ),
        ),
        ErrorKind::Dns => (
            format!("could not look up {host}"),
            "Check that this computer is online and that its DNS works (try opening a web page)."
                .to_string(),
        ),
        ErrorKind::ConnectionRefused => (
            format!("{host} refused the connection on port {port}"),
            format!(
                "Nothing accepted the connection. A firewall may be rejecting port {port}, or \
                 the server address is wrong."
            ),
        ),
        ErrorKind::Timeout => (
            format!("no answer from {host} in time"),
            format!(
                "Port {port} may be blocked on this network (common on hotel, school and \
                 office Wi-Fi). Try another network, or retry."
            ),
        ),
        ErrorKind::UntrustedCertificate => (
            "the server's certificate is not trusted".to_string(),
            "Something on this network is intercepting TLS (a proxy, antivirus or captive \
             portal). Do not send your password through it: use another network."
                .to_string(),
        ),
        ErrorKind::HostnameMismatch => (
            format!("the certificate is for a different server than {host}"),
            "The connection did not reach the real server, possibly because something on this \
             network redirects mail traffic. Use another network."
                .to_string(),
        ),
        ErrorKind::Tls => (
            "the secure connection could not be set up".to_string(),
            "The TLS handshake failed. Something on this network may be interfering; try \
             another network."
                .to_string(),
        ),
        ErrorKind::ConnectionClosed => (
            "the server closed the connection".to_string(),
            "The server hung up before answering. It may be busy; retry in a minute.".to_string(),
        ),
        ErrorKind::UnexpectedReply => (
            "the server's reply made no sense".to_string(),
            format!(
                "Whatever answered on {host}:{port} does not speak {p} as expected. Check the \
                 server address, or try another network."
            ),
        ),
        ErrorKind::StartTlsNotOffered => (
            "the server did not offer STARTTLS".to_string(),
            "Your password was not sent, because the connection could not be encrypted. \
             Something on this network may be stripping encryption: use another network."
                .to_string(),
        ),
        ErrorKind::Network => (
            format!("network error reaching {host}"),
            "Check that this computer is online, then retry.".to_string(),
        ),
        ErrorKind::ServerUnavailable => (
            "the server could not log anyone in just now".to_string(),
            format!(
                "{host} refused for now (a temporary problem on its side). Your password may \
                 well be fine: do not revoke it. Retry in a few minutes."
            ),
        ),
        ErrorKind::Oversized => (
            "the server sent something no mail server sends".to_string(),
            format!(
                "Whatever answered on {host}:{port} sent far more than a {p} server does before \
                 login, so the check stopped. Check the server address, or use another \
                 network."
            ),
        ),
        ErrorKind::StartTlsInjection => (
            "something tampered with the connection before encryption".to_string(),
            "Extra replies arrived before the connection was encrypted (STARTTLS injection). \
             Your password was not sent. Something on this network is interfering with mail: \
             use another network."
                .to_string(),
        ),
        ErrorKind::Cancelled => ("cancelled".to_string(), String::new()),
        ErrorKind::CaFile => (
            "the extra CA file could not be used".to_string(),
            "Check the path given with --ca-file or ICLOUD_MAIL_SETUP_CA_FILE; it must be PEM \
             certificates."
                .to_string(),
        ),
    };
    Diagnosis { headline, advice }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_name_the_port() {
        let d = diagnose(
            Protocol::Smtp,
            &Endpoint::new("smtp.mail.me.com", 587),
            ErrorKind::Timeout,
        );
        assert!(d.advice.contains("587"), "{d:?}");
        assert!(d.headline.contains("no answer"), "{d:?}");
    }

    #[test]
    fn tls_failures_never_offer_to_ignore() {
        for k in [ErrorKind::UntrustedCertificate, ErrorKind::HostnameMismatch] {
            let d = diagnose(Protocol::Imap, &Endpoint::new("h", 993), k);
            assert!(!d.advice.to_lowercase().contains("ignore"));
            assert!(d.advice.contains("network"));
        }
    }
}
