//! Every outcome, as a sentence a person can act on. No password is ever
//! part of the wording: it is built from the kind, the protocol and the
//! endpoint only.

use super::{CheckReport, Endpoint, ErrorKind, Protocol};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// One line: what happened.
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

pub fn diagnose(protocol: Protocol, endpoint: &Endpoint, kind: ErrorKind) -> Diagnosis {
    let p = protocol.label();
    let port = endpoint.port;
    let host = &endpoint.host;
    let (headline, advice) = match kind {
        ErrorKind::PasswordRejected => (
            format!("{p}: the password was rejected"),
            "The app-specific password is wrong, was revoked, or your Apple Account password \
             changed (which revokes every app-specific password). Make a new one at \
             account.apple.com and paste it here."
                .to_string(),
        ),
        ErrorKind::Dns => (
            format!("{p}: could not look up {host}"),
            "Check that this computer is online and that its DNS works (try opening a web page)."
                .to_string(),
        ),
        ErrorKind::ConnectionRefused => (
            format!("{p}: {host} refused the connection on port {port}"),
            format!(
                "Nothing accepted the connection. A firewall may be rejecting port {port}, or \
                 the server address is wrong."
            ),
        ),
        ErrorKind::Timeout => (
            format!("{p}: no answer from {host} in time"),
            format!(
                "Port {port} may be blocked on this network (common on hotel, school and \
                 office Wi-Fi). Try another network, or retry."
            ),
        ),
        ErrorKind::UntrustedCertificate => (
            format!("{p}: the server's certificate is not trusted"),
            "Something on this network is intercepting TLS (a proxy, antivirus or captive \
             portal). Do not send your password through it: use another network."
                .to_string(),
        ),
        ErrorKind::HostnameMismatch => (
            format!("{p}: the certificate is for a different server than {host}"),
            "The connection did not reach the real server, possibly because something on this \
             network redirects mail traffic. Use another network."
                .to_string(),
        ),
        ErrorKind::Tls => (
            format!("{p}: the secure connection could not be set up"),
            "The TLS handshake failed. Something on this network may be interfering; try \
             another network."
                .to_string(),
        ),
        ErrorKind::ConnectionClosed => (
            format!("{p}: the server closed the connection"),
            "The server hung up before answering. It may be busy; retry in a minute.".to_string(),
        ),
        ErrorKind::UnexpectedReply => (
            format!("{p}: the server's reply made no sense"),
            format!(
                "Whatever answered on {host}:{port} does not speak {p} as expected. Check the \
                 server address, or try another network."
            ),
        ),
        ErrorKind::StartTlsNotOffered => (
            format!("{p}: the server did not offer STARTTLS"),
            "Your password was not sent, because the connection could not be encrypted. \
             Something on this network may be stripping encryption: use another network."
                .to_string(),
        ),
        ErrorKind::Network => (
            format!("{p}: network error reaching {host}"),
            "Check that this computer is online, then retry.".to_string(),
        ),
        ErrorKind::Cancelled => (format!("{p}: cancelled"), String::new()),
        ErrorKind::CaFile => (
            format!("{p}: the extra CA file could not be used"),
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
        assert!(d.headline.starts_with("SMTP"));
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
