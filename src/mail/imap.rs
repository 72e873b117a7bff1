//! The IMAP check: implicit TLS, `LOGIN`, `LOGOUT`; one attempt per connection.
//!
//! iCloud drops the connection after a failed login, so each username form
//! gets a fresh connection. async-imap reads and parses the server's
//! responses; the `LOGIN` line is written to the stream directly, because
//! async-imap's own command encoder traces its input (the password) to the
//! `log` facade.

use std::sync::Arc;
use std::time::Instant;

use async_imap::imap_proto::{Response, Status};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use zeroize::Zeroizing;

use super::tls::{classify_io, classify_tls, client_config, connect_tcp, tls_reason};
use super::{Accepted, CheckReport, CheckSettings, ErrorKind, Failure, Protocol};
use crate::account::Account;
use crate::secret::Secret;

type Client = async_imap::Client<TlsStream<TcpStream>>;

const LOGIN_TAG: &str = "a1";
const LOGOUT_TAG: &str = "a2";

/// What one `LOGIN` on one connection came to.
enum Login {
    Accepted(Box<Client>),
    Refused,
}

pub async fn check(settings: &CheckSettings, account: &Account, password: &Secret) -> CheckReport {
    let start = Instant::now();
    let deadline = TokioInstant::now() + settings.deadline;
    let mut attempts = 0u32;
    let mut rejected = Vec::new();

    let run = try_forms(settings, account, password, &mut attempts, &mut rejected);
    let result = tokio::time::timeout_at(deadline, run).await;
    let outcome = match result {
        Ok(Ok((username, client))) => {
            // LOGOUT is a courtesy: its errors are ignored, and it may not
            // push the check past its deadline.
            let _ = tokio::time::timeout_at(deadline, logout(client)).await;
            Some(Ok(Accepted { username, rejected }))
        }
        Ok(Err(f)) => Some(Err(f)),
        Err(_) => None,
    };
    super::finish(Protocol::Imap, settings, start, attempts, outcome, password)
}

/// Try each username form on its own connection; the first accepted wins.
async fn try_forms(
    settings: &CheckSettings,
    account: &Account,
    password: &Secret,
    attempts: &mut u32,
    rejected: &mut Vec<String>,
) -> Result<(String, Box<Client>), Failure> {
    let config = client_config(settings.ca_file.as_deref())?;
    let forms = account.imap_usernames();
    let mut last_refusal = String::from("LOGIN refused");
    for username in forms {
        let client = open(settings, config.clone()).await?;
        match login(client, &username, password, attempts).await? {
            Login::Accepted(client) => return Ok((username, client)),
            Login::Refused => {
                last_refusal = format!("LOGIN refused for {username}");
                rejected.push(username);
            }
        }
    }
    Err(Failure::new(ErrorKind::PasswordRejected, last_refusal))
}

/// Connect, handshake TLS, and read the greeting.
async fn open(settings: &CheckSettings, config: Arc<ClientConfig>) -> Result<Client, Failure> {
    let endpoint = &settings.imap;
    let tcp = connect_tcp(endpoint, settings.connect_timeout).await?;
    let name = ServerName::try_from(endpoint.host.clone()).map_err(|_| {
        Failure::new(
            ErrorKind::Dns,
            format!("{} is not a valid host name", endpoint.host),
        )
    })?;
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let tls = match tokio::time::timeout(settings.connect_timeout, handshake).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(handshake_failure(&e)),
        Err(_) => {
            return Err(Failure::new(
                ErrorKind::Timeout,
                format!(
                    "TLS handshake: no answer within {} ms",
                    settings.connect_timeout.as_millis()
                ),
            ));
        }
    };
    let mut client = async_imap::Client::new(tls);
    read_greeting(&mut client).await?;
    Ok(client)
}

fn handshake_failure(e: &std::io::Error) -> Failure {
    if let Some(inner) = e.get_ref()
        && let Some(tls) = super::tls::find_rustls_error(inner)
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

/// Wait for the first untagged `OK` (or `PREAUTH`). Dovecot may send an
/// untagged `* OK Waiting for authentication process...` before its real
/// greeting: any untagged OK will do, since `LOGIN` may be sent after it
/// and later untagged lines are skipped. Capabilities are not required.
async fn read_greeting(client: &mut Client) -> Result<(), Failure> {
    loop {
        let response = match client.read_response().await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(Failure::new(
                    ErrorKind::ConnectionClosed,
                    "greeting: connection closed by the server",
                ));
            }
            Err(e) => return Err(response_failure(&e, "greeting")),
        };
        match response.parsed() {
            Response::Data {
                status: Status::Ok | Status::PreAuth,
                ..
            } => return Ok(()),
            Response::Data {
                status: Status::Bye,
                ..
            } => {
                return Err(Failure::new(
                    ErrorKind::ConnectionClosed,
                    "greeting: the server said BYE",
                ));
            }
            Response::Capabilities(_) => continue,
            _ => {
                return Err(Failure::new(
                    ErrorKind::UnexpectedReply,
                    "greeting: not an IMAP greeting",
                ));
            }
        }
    }
}

/// An error reading a response: async-imap reports unparseable input as an
/// `io::ErrorKind::Other` error with no OS code and no TLS cause.
fn response_failure(e: &std::io::Error, step: &str) -> Failure {
    let is_tls = e
        .get_ref()
        .and_then(|inner| super::tls::find_rustls_error(inner))
        .is_some();
    if !is_tls && e.kind() == std::io::ErrorKind::Other && e.raw_os_error().is_none() {
        return Failure::new(
            ErrorKind::UnexpectedReply,
            format!("{step}: the server's reply is not IMAP"),
        );
    }
    classify_io(e, step)
}

/// An IMAP quoted string, or `None` if the value cannot be one (CR, LF, NUL).
fn quoted(value: &str) -> Option<Zeroizing<String>> {
    if value.contains(['\r', '\n', '\0']) {
        return None;
    }
    let mut out = Zeroizing::new(String::with_capacity(value.len() + 2));
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

async fn login(
    mut client: Client,
    username: &str,
    password: &Secret,
    attempts: &mut u32,
) -> Result<Login, Failure> {
    let (Some(user), Some(pass)) = (quoted(username), quoted(password.expose())) else {
        return Err(Failure::new(
            ErrorKind::PasswordRejected,
            "the username or password has characters IMAP cannot send (line breaks)",
        ));
    };
    let mut line = Zeroizing::new(Vec::with_capacity(user.len() + pass.len() + 16));
    line.extend_from_slice(LOGIN_TAG.as_bytes());
    line.extend_from_slice(b" LOGIN ");
    line.extend_from_slice(user.as_bytes());
    line.push(b' ');
    line.extend_from_slice(pass.as_bytes());
    line.extend_from_slice(b"\r\n");

    *attempts += 1;
    let stream = client.get_mut();
    if let Err(e) = stream.write_all(&line).await {
        return Err(classify_io(&e, "LOGIN"));
    }
    if let Err(e) = stream.flush().await {
        return Err(classify_io(&e, "LOGIN"));
    }
    drop(line);

    loop {
        let response = match client.read_response().await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(Failure::new(
                    ErrorKind::ConnectionClosed,
                    "LOGIN: connection closed by the server before it answered",
                ));
            }
            Err(e) => return Err(response_failure(&e, "LOGIN")),
        };
        match response.parsed() {
            Response::Done { tag, status, .. } if tag.0 == LOGIN_TAG => {
                return match status {
                    Status::Ok => Ok(Login::Accepted(Box::new(client))),
                    // `NO [AUTHENTICATIONFAILED]`, or any other tagged NO:
                    // this form was refused. Never match on the text.
                    Status::No => Ok(Login::Refused),
                    _ => Err(Failure::new(
                        ErrorKind::UnexpectedReply,
                        format!("LOGIN: the server answered {status:?}"),
                    )),
                };
            }
            Response::Done { .. } => {
                return Err(Failure::new(
                    ErrorKind::UnexpectedReply,
                    "LOGIN: answer with an unknown tag",
                ));
            }
            // Untagged lines (a late greeting, capabilities, BYE before the
            // tagged NO) are skipped; EOF after BYE is caught above.
            _ => continue,
        }
    }
}

async fn logout(mut client: Box<Client>) {
    let line = format!("{LOGOUT_TAG} LOGOUT\r\n");
    let stream = client.get_mut();
    if stream.write_all(line.as_bytes()).await.is_err() || stream.flush().await.is_err() {
        return;
    }
    while let Ok(Some(response)) = client.read_response().await {
        if let Response::Done { tag, .. } = response.parsed()
            && tag.0 == LOGOUT_TAG
        {
            break;
        }
    }
    let _ = client.get_mut().shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_and_refuses_line_breaks() {
        assert_eq!(
            quoted("a\"b\\c").as_deref().map(String::as_str),
            Some("\"a\\\"b\\\\c\"")
        );
        assert!(quoted("a\r\nb").is_none());
    }
}
