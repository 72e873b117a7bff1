//! The rustls client configuration: built-in roots plus `--ca-file` anchors.
//!
//! Also the transport helpers both checks share: a TCP connect with its own
//! timeout, and the mapping of I/O and TLS errors to [`ErrorKind`]s. Nothing
//! here is cached globally: every check builds its own configuration.

use std::error::Error as StdError;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Endpoint, ErrorKind, Failure};
use crate::sys::log::Component;

/// The certificates of a PEM file of extra trust anchors.
///
/// A file that cannot be read, holds no certificate, or holds a certificate
/// that is not well-formed is a [`ErrorKind::CaFile`] failure.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(
            ErrorKind::CaFile,
            format!("cannot read {}: {}", path.display(), io_reason(&e)),
        )
    })?;
    let mut reader = io::BufReader::new(bytes.as_slice());
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut reader)
        .collect::<Result<_, _>>()
        .map_err(|_| {
            Failure::new(
                ErrorKind::CaFile,
                format!("{} is not a valid PEM file", path.display()),
            )
        })?;
    if certs.is_empty() {
        return Err(Failure::new(
            ErrorKind::CaFile,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    // Parse each one now, so a broken anchor is reported as such and not
    // as a TLS failure later.
    let mut probe = RootCertStore::empty();
    for cert in &certs {
        probe.add(cert.clone()).map_err(|_| {
            Failure::new(
                ErrorKind::CaFile,
                format!(
                    "{} holds a certificate that cannot be parsed",
                    path.display()
                ),
            )
        })?;
    }
    Ok(certs)
}

/// The trust anchors of a check: webpki-roots plus the `ca_file` ones.
pub fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, Failure> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        // Each one parsed already: none is left out.
        roots.add_parsable_certificates(load_ca_file(path)?);
    }
    Ok(roots)
}

/// A client configuration with the ring provider (chosen explicitly, not
/// the process default) and [`root_store`] as trust anchors.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, Failure> {
    let roots = root_store(ca_file)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::new(ErrorKind::Tls, format!("TLS setup: {}", tls_reason(&e))))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The first `rustls::Error` in an error's `source()` chain, looking inside
/// `std::io::Error`s too (whose `source()` skips the wrapped error).
pub fn find_rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&'a (dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
        {
            let inner: &'a (dyn StdError + 'static) = inner;
            if let Some(r) = find_rustls_error(inner) {
                return Some(r);
            }
        }
        depth += 1;
        if depth > 16 {
            break;
        }
        current = e.source();
    }
    None
}

/// The kind of a TLS failure.
pub fn classify_tls(err: &rustls::Error) -> ErrorKind {
    match err {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => ErrorKind::HostnameMismatch,
        rustls::Error::InvalidCertificate(_) => ErrorKind::UntrustedCertificate,
        _ => ErrorKind::Tls,
    }
}

/// A short, technical description of a TLS failure (no server text).
pub fn tls_reason(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "certificate not valid for this host name".to_string()
            }
            CertificateError::UnknownIssuer => "certificate issuer unknown".to_string(),
            CertificateError::BadSignature => "certificate signature invalid".to_string(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate expired".to_string()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate not valid yet".to_string()
            }
            CertificateError::Revoked => "certificate revoked".to_string(),
            _ => "certificate invalid".to_string(),
        },
        rustls::Error::AlertReceived(a) => format!("TLS alert received: {a:?}"),
        rustls::Error::InvalidMessage(_) => "not a TLS peer (invalid TLS message)".to_string(),
        rustls::Error::PeerIncompatible(_) => "TLS peer incompatible".to_string(),
        rustls::Error::PeerMisbehaved(_) => "TLS peer misbehaved".to_string(),
        _ => "TLS handshake failed".to_string(),
    }
}

/// The reason of an I/O error, without any payload text: the OS error
/// message for OS errors, the error kind otherwise.
pub fn io_reason(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code).to_string(),
        None => format!("{:?}", err.kind()),
    }
}

/// Classify an I/O error met while talking to a server (after connect).
pub fn classify_io(err: &io::Error, step: &str) -> Failure {
    if let Some(inner) = err.get_ref()
        && let Some(tls) = find_rustls_error(inner)
    {
        return Failure::new(classify_tls(tls), format!("{step}: {}", tls_reason(tls)));
    }
    use io::ErrorKind as K;
    let kind = match err.kind() {
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            ErrorKind::ConnectionClosed
        }
        K::TimedOut | K::WouldBlock => ErrorKind::Timeout,
        K::ConnectionRefused => ErrorKind::ConnectionRefused,
        _ => ErrorKind::Network,
    };
    let what = match kind {
        ErrorKind::ConnectionClosed => "connection closed by the server".to_string(),
        _ => io_reason(err),
    };
    Failure::new(kind, format!("{step}: {what}"))
}

/// Resolve and connect, all within `timeout`. Every address the name
/// resolves to is tried in turn.
pub async fn connect_tcp(endpoint: &Endpoint, timeout: Duration) -> Result<TcpStream, Failure> {
    let started = std::time::Instant::now();
    crate::log!(Component::Net, "connecting to {endpoint}");
    let result = connect_tcp_unlogged(endpoint, timeout).await;
    crate::log!(
        Component::Net,
        "{endpoint}: {} after {} ms",
        match &result {
            Ok(s) => match s.peer_addr() {
                Ok(a) => format!("connected to {a}"),
                Err(_) => "connected".to_string(),
            },
            Err(f) => format!("failed ({:?}: {})", f.kind, f.detail),
        },
        started.elapsed().as_millis()
    );
    result
}

async fn connect_tcp_unlogged(
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<TcpStream, Failure> {
    let work = async {
        let addrs: Vec<_> = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port))
            .await
            .map_err(|_| {
                Failure::new(
                    ErrorKind::Dns,
                    format!("could not resolve {}", endpoint.host),
                )
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Failure::new(
                ErrorKind::Dns,
                format!("{} has no address", endpoint.host),
            ));
        }
        // Each address gets its share of what is left of the timeout, so
        // one that never answers (a broken IPv6 route) cannot use it all.
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last: Option<io::Error> = None;
        let count = addrs.len();
        for (i, addr) in addrs.into_iter().enumerate() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let share = left / u32::try_from(count - i).unwrap_or(1);
            match tokio::time::timeout(share, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = Some(e),
                Err(_) => last = Some(io::Error::from(io::ErrorKind::TimedOut)),
            }
        }
        let err = last.unwrap_or_else(|| io::Error::other("no address"));
        let kind = match err.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::ConnectionRefused,
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Network,
        };
        Err(Failure::new(kind, format!("connect: {}", io_reason(&err))))
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(
            ErrorKind::Timeout,
            format!("connect: no answer within {} ms", timeout.as_millis()),
        )),
    }
}

/// The TLS handshake on a connected socket, within `timeout`.
pub async fn handshake(
    config: Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
    timeout: std::time::Duration,
) -> Result<TlsStream<TcpStream>, Failure> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Failure::new(ErrorKind::Dns, format!("{host} is not a valid host name")))?;
    let started = std::time::Instant::now();
    crate::log!(Component::Tls, "handshake with {host}");
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let result = match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(e)) => Err(handshake_failure(&e)),
        Err(_) => Err(Failure::new(
            ErrorKind::Timeout,
            format!("TLS handshake: no answer within {} ms", timeout.as_millis()),
        )),
    };
    if crate::sys::log::enabled() {
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(tls) => {
                let conn = tls.get_ref().1;
                crate::log!(
                    Component::Tls,
                    "{host}: {}, {}, {} certificate(s) in the chain, verified, after {ms} ms",
                    conn.protocol_version()
                        .map_or_else(|| "?".into(), |v| format!("{v:?}")),
                    conn.negotiated_cipher_suite()
                        .map_or_else(|| "?".into(), |c| format!("{:?}", c.suite())),
                    conn.peer_certificates().map_or(0, |c| c.len()),
                );
            }
            Err(f) => crate::log!(
                Component::Tls,
                "{host}: {:?}: {} after {ms} ms",
                f.kind,
                f.detail
            ),
        }
    }
    result
}

fn handshake_failure(e: &std::io::Error) -> Failure {
    if let Some(inner) = e.get_ref()
        && let Some(tls) = find_rustls_error(inner)
    {
        return Failure::new(
            classify_tls(tls),
            format!("TLS handshake: {}", tls_reason(tls)),
        );
    }
    match e.kind() {
        std::io::ErrorKind::InvalidData => Failure::new(ErrorKind::Tls, "TLS handshake failed"),
        _ => classify_io(e, "TLS handshake"),
    }
}

/// Replace any occurrence of the password in a detail (a safety net: the
/// details are built from our own words, but a hostile server could echo).
pub fn scrub(detail: String, password: &str) -> String {
    if !password.is_empty() && detail.contains(password) {
        detail.replace(password, "<redacted>")
    } else {
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rustls_error_inside_io_error() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, tls);
        let found = find_rustls_error(&io).map(classify_tls);
        assert_eq!(found, Some(ErrorKind::UntrustedCertificate));
        let name = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert_eq!(classify_tls(&name), ErrorKind::HostnameMismatch);
        assert_eq!(
            classify_tls(&rustls::Error::HandshakeNotComplete),
            ErrorKind::Tls
        );
    }

    #[test]
    fn missing_ca_file_is_a_ca_file_failure() {
        let f = client_config(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert_eq!(f.kind, ErrorKind::CaFile);
    }

    #[test]
    fn scrub_hides_the_password() {
        assert_eq!(scrub("x abc y".into(), "abc"), "x <redacted> y");
        assert_eq!(scrub("x".into(), ""), "x");
    }
}
