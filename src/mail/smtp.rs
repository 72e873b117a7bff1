//! The SMTP check: plain TCP, `STARTTLS` (required), AUTH with the full address.
//!
//! Built on lettre's `AsyncSmtpConnection` (not the pooled transport): we
//! open the TCP connection ourselves (to tell DNS failures, refusals and
//! timeouts apart) and hand it to lettre wrapped in [`Watched`], which
//! notes whether the server closed the connection, so that an EOF is told
//! apart from a reply that is not SMTP.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

use super::tls::{classify_io, classify_tls, connect_tcp, find_rustls_error, tls_reason};
use super::{Accepted, CheckReport, CheckSettings, ErrorKind, Failure, Protocol};
use crate::account::Account;
use crate::secret::Secret;

const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

pub async fn check(settings: &CheckSettings, account: &Account, password: &Secret) -> CheckReport {
    let start = Instant::now();
    let deadline = TokioInstant::now() + settings.deadline;
    let mut attempts = 0u32;
    let username = account.smtp_username();

    let run = login(settings, &username, password, &mut attempts);
    let result = tokio::time::timeout_at(deadline, run).await;
    let outcome = match result {
        Ok(Ok(mut conn)) => {
            // QUIT is a courtesy: Dovecot without a relay answers 421 after
            // 235, and it may not push the check past its deadline.
            let _ = tokio::time::timeout_at(deadline, conn.quit()).await;
            Some(Ok(Accepted {
                username,
                rejected: Vec::new(),
            }))
        }
        Ok(Err(f)) => Some(Err(f)),
        Err(_) => None,
    };
    super::finish(Protocol::Smtp, settings, start, attempts, outcome, password)
}

/// lettre's TLS parameters: webpki-roots plus the `ca_file` anchors. lettre
/// cannot take a `rustls::ClientConfig`; it builds its own with the process
/// default provider if one is installed, else ring (the only provider this
/// crate compiles in).
fn tls_parameters(settings: &CheckSettings) -> Result<TlsParameters, Failure> {
    let mut builder = TlsParameters::builder(settings.smtp.host.clone())
        .certificate_store(CertificateStore::WebpkiRoots);
    if let Some(path) = settings.ca_file.as_deref() {
        for der in super::tls::load_ca_file(path)? {
            let cert = Certificate::from_der(der.as_ref().to_vec()).map_err(|_| {
                Failure::new(
                    ErrorKind::CaFile,
                    format!("{} holds a certificate that cannot be used", path.display()),
                )
            })?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build_rustls()
        .map_err(|_| Failure::new(ErrorKind::Tls, "TLS setup failed"))
}

fn client_id() -> ClientId {
    ClientId::Domain("localhost".to_string())
}

/// Greeting, EHLO, STARTTLS, EHLO, AUTH. On success the connection is
/// returned for QUIT.
async fn login(
    settings: &CheckSettings,
    username: &str,
    password: &Secret,
    attempts: &mut u32,
) -> Result<AsyncSmtpConnection, Failure> {
    let tls = tls_parameters(settings)?;
    let tcp = connect_tcp(&settings.smtp, settings.connect_timeout).await?;
    let closed = Arc::new(AtomicBool::new(false));
    let stream = Watched {
        inner: tcp,
        closed: closed.clone(),
    };
    let hello = client_id();

    let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello)
        .await
        .map_err(|e| classify(&e, &closed, "greeting/EHLO"))?;

    if !conn.server_info().supports_feature(Extension::StartTls) {
        conn.abort().await;
        return Err(Failure::new(
            ErrorKind::StartTlsNotOffered,
            "EHLO did not offer STARTTLS; credentials not sent",
        ));
    }

    match tokio::time::timeout(settings.connect_timeout, conn.starttls(tls, &hello)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(classify(&e, &closed, "STARTTLS")),
        Err(_) => {
            return Err(Failure::new(
                ErrorKind::Timeout,
                format!(
                    "STARTTLS: no answer within {} ms",
                    settings.connect_timeout.as_millis()
                ),
            ));
        }
    }
    if !conn.is_encrypted() {
        return Err(Failure::new(ErrorKind::Tls, "STARTTLS did not encrypt"));
    }

    if conn.server_info().get_auth_mechanism(&MECHANISMS).is_none() {
        conn.abort().await;
        return Err(Failure::new(
            ErrorKind::UnexpectedReply,
            "EHLO after STARTTLS offered neither AUTH PLAIN nor AUTH LOGIN",
        ));
    }

    let credentials = Credentials::new(username.to_string(), password.expose().to_string());
    *attempts += 1;
    let reply = conn.auth(&MECHANISMS, &credentials).await;
    drop(credentials);
    match reply {
        Ok(response) if response.has_code(235) => Ok(conn),
        Ok(response) => {
            conn.abort().await;
            Err(Failure::new(
                ErrorKind::UnexpectedReply,
                format!("AUTH answered {}", response.code()),
            ))
        }
        Err(e) => {
            let failure = match e.status() {
                Some(code) if code.to_string().starts_with('5') => {
                    Failure::new(ErrorKind::PasswordRejected, format!("AUTH answered {code}"))
                }
                _ => classify(&e, &closed, "AUTH"),
            };
            conn.abort().await;
            Err(failure)
        }
    }
}

/// Map a lettre error to a failure, without its text (which may quote the
/// server).
fn classify(e: &SmtpError, closed: &AtomicBool, step: &str) -> Failure {
    if let Some(tls) = find_rustls_error(e) {
        return Failure::new(classify_tls(tls), format!("{step}: {}", tls_reason(tls)));
    }
    if e.is_timeout() {
        return Failure::new(ErrorKind::Timeout, format!("{step}: timed out"));
    }
    if let Some(code) = e.status() {
        let code = code.to_string();
        if code == "421" {
            return Failure::new(
                ErrorKind::ConnectionClosed,
                format!("{step}: the server answered 421 (closing)"),
            );
        }
        return Failure::new(
            ErrorKind::UnexpectedReply,
            format!("{step}: the server answered {code}"),
        );
    }
    if closed.load(Ordering::SeqCst) {
        return Failure::new(
            ErrorKind::ConnectionClosed,
            format!("{step}: connection closed by the server"),
        );
    }
    if let Some(io) = super::tls::find_io_error(e) {
        return classify_io(io, step);
    }
    if e.is_tls() {
        return Failure::new(ErrorKind::Tls, format!("{step}: TLS failed"));
    }
    if e.is_response() {
        return Failure::new(
            ErrorKind::UnexpectedReply,
            format!("{step}: the server's reply is not SMTP"),
        );
    }
    Failure::new(ErrorKind::UnexpectedReply, format!("{step}: SMTP error"))
}

/// A TCP stream that records whether the peer closed it (a read of 0 bytes).
#[derive(Debug)]
struct Watched {
    inner: TcpStream,
    closed: Arc<AtomicBool>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let want = buf.remaining();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll
            && want > 0
            && buf.filled().len() == before
        {
            this.closed.store(true, Ordering::SeqCst);
        }
        if let Poll::Ready(Err(e)) = &poll
            && matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
            )
        {
            this.closed.store(true, Ordering::SeqCst);
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Watched {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}
