//! The IMAP check: implicit TLS, `LOGIN`, `LOGOUT`; one attempt per
//! connection.
//!
//! iCloud drops the connection after a failed login, so each username form
//! gets a fresh connection, and the form that worked before is tried first
//! (and alone unless it is refused): every failed login is a security event
//! for the person. Replies are read through [`Wire`] (bounded memory) and
//! parsed here: before login only the greeting and one tagged answer
//! matter. A `NO` is classified by its response code (RFC 5530): a refused
//! password is not an outage.

use std::sync::Arc;

use rustls::ClientConfig;
use tokio::net::TcpStream;

use tokio_rustls::client::TlsStream;
use zeroize::Zeroizing;

use super::tls::{self, classify_io, client_config, connect_tcp};
use super::wire::{Wire, WireError};
use super::{
    Accepted, CheckReport, CheckSettings, Clock, ErrorKind, Failure, PendingPassword, Protocol,
};
use crate::domain::account::Account;
use crate::sys::log::Component;
use crate::sys::secret::Secret;

type Conn = Wire<TlsStream<TcpStream>>;

const LOGIN_TAG: &str = "a1";
const LOGOUT_TAG: &str = "a2";

/// The largest literal accepted inside a pre-login response.
const MAX_LITERAL: usize = 4096;

/// What one `LOGIN` on one connection came to.
enum Login {
    Accepted(Box<Conn>),
    Refused,
}

/// The check, connecting (TCP, TLS, greeting) before the password is
/// needed: it is awaited right before the first `LOGIN`.
pub async fn check_pending(
    settings: &CheckSettings,
    account: &Account,
    password: &PendingPassword,
) -> CheckReport {
    let mut rejected = Vec::new();
    let mut clock = Clock::start(settings);
    let run = try_forms(
        settings,
        account,
        password,
        &mut clock.attempts,
        &mut rejected,
    );
    let outcome = match tokio::time::timeout_at(clock.deadline, run).await {
        Ok(Ok((username, conn))) => {
            // LOGOUT is a courtesy: sent, and the connection closed,
            // without waiting for the server's answer.
            let _ = tokio::time::timeout_at(clock.deadline, logout(conn)).await;
            Some(Ok(Accepted { username, rejected }))
        }
        Ok(Err(f)) => Some(Err(f)),
        Err(_) => None,
    };
    clock.finish(Protocol::Imap, settings, outcome, password)
}

/// Try each username form on its own connection, the one that worked
/// before first; the next only when one is refused.
async fn try_forms(
    settings: &CheckSettings,
    account: &Account,
    password: &PendingPassword,
    attempts: &mut u32,
    rejected: &mut Vec<String>,
) -> Result<(String, Box<Conn>), Failure> {
    let config = client_config(settings.ca_file.as_deref())?;
    let mut last_refusal = String::from("LOGIN refused");
    for username in account.imap_usernames() {
        let conn = open(settings, config.clone()).await?;
        let password = password.get().await.ok_or_else(super::no_password)?;
        match login(conn, &username, &password, attempts).await? {
            Login::Accepted(conn) => return Ok((username, conn)),
            Login::Refused => {
                last_refusal = format!("LOGIN refused for {username}");
                rejected.push(username);
            }
        }
    }
    Err(Failure {
        refused: rejected.clone(),
        ..Failure::new(ErrorKind::PasswordRejected, last_refusal)
    })
}

/// Connect, handshake TLS, and read the greeting.
async fn open(settings: &CheckSettings, config: Arc<ClientConfig>) -> Result<Conn, Failure> {
    let endpoint = &settings.imap;
    let tcp = connect_tcp(endpoint, settings.connect_timeout).await?;
    let tls = tls::handshake(config, &endpoint.host, tcp, settings.connect_timeout).await?;
    let mut conn = Wire::new(tls).logged(Component::Imap);
    read_greeting(&mut conn).await?;
    Ok(conn)
}

/// One server response, as far as a login check cares: its tag (`*` for
/// untagged, `+` for a continuation), its status or first word in upper
/// case, and its response code in upper case without brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub tag: String,
    pub status: String,
    pub code: Option<String>,
}

/// Parse the first line of a response.
pub fn parse_reply(line: &str) -> Option<Reply> {
    let (tag, rest) = match line.split_once(' ') {
        Some((t, r)) => (t, r),
        None if line == "+" => ("+", ""),
        None => return None,
    };
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    if tag == "+" {
        return Some(Reply {
            tag: tag.into(),
            status: String::new(),
            code: None,
        });
    }
    let (status, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if status.is_empty() || !status.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let code = rest.strip_prefix('[').map(|c| {
        let end = c.find([']', ' ']).unwrap_or(c.len());
        c[..end].to_ascii_uppercase()
    });
    Some(Reply {
        tag: tag.into(),
        status: status.to_ascii_uppercase(),
        code,
    })
}

/// The size of a literal announced at the end of a line (`{N}` or `{N+}`).
pub fn literal_size(line: &str) -> Option<usize> {
    let body = line.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let digits = body[open + 1..].trim_end_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits to fit is "too big", not "not a literal".
    Some(digits.parse().unwrap_or(usize::MAX))
}

/// Read one whole response, skipping any literals in it (small ones only),
/// and return its first line parsed.
async fn read_reply(conn: &mut Conn, step: &str) -> Result<Reply, Failure> {
    let first = conn.read_line().await.map_err(|e| e.failure(step))?;
    let mut line = first.clone();
    while let Some(n) = literal_size(&line) {
        if n > MAX_LITERAL {
            return Err(WireError::TooMuch.failure(step));
        }
        conn.skip(n).await.map_err(|e| e.failure(step))?;
        line = conn.read_line().await.map_err(|e| e.failure(step))?;
    }
    parse_reply(&first).ok_or_else(|| {
        Failure::new(
            ErrorKind::UnexpectedReply,
            format!("{step}: the server's reply is not IMAP"),
        )
    })
}

/// Wait for the first untagged `OK` (or `PREAUTH`). Dovecot may send an
/// untagged `* OK Waiting for authentication process...` before its real
/// greeting: any untagged OK will do, since `LOGIN` may be sent after it
/// and later untagged lines are skipped. Capabilities are not required.
async fn read_greeting(conn: &mut Conn) -> Result<(), Failure> {
    loop {
        let reply = read_reply(conn, "greeting").await?;
        match (reply.tag.as_str(), reply.status.as_str()) {
            ("*", "OK" | "PREAUTH") => return Ok(()),
            ("*", "BYE") => {
                return Err(Failure::new(
                    ErrorKind::ServerUnavailable,
                    "greeting: the server said BYE (not taking connections now)",
                ));
            }
            ("*", "CAPABILITY") => continue,
            _ => {
                return Err(Failure::new(
                    ErrorKind::UnexpectedReply,
                    "greeting: not an IMAP greeting",
                ));
            }
        }
    }
}

/// What a tagged `NO` to `LOGIN` means, by its response code (RFC 5530):
/// refused credentials, or a server that cannot log anyone in right now.
pub fn classify_no(code: Option<&str>) -> ErrorKind {
    match code {
        Some(
            "UNAVAILABLE" | "SERVERBUG" | "LIMIT" | "INUSE" | "CORRUPTION" | "OVERQUOTA"
            | "CONTACTADMIN",
        ) => ErrorKind::ServerUnavailable,
        // AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, EXPIRED, no code, or
        // a code we do not know: the login itself was refused.
        _ => ErrorKind::PasswordRejected,
    }
}

/// An IMAP quoted string, or `None` if the value cannot be one (CR, LF, NUL).
fn quoted(value: &str) -> Option<Zeroizing<String>> {
    if value.contains(['\r', '\n', '\0']) {
        return None;
    }
    let escapes = value.chars().filter(|c| matches!(c, '"' | '\\')).count();
    let mut out = Zeroizing::new(String::with_capacity(value.len() + escapes + 2));
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
    mut conn: Conn,
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
    crate::sys::log::register_password(password);
    let shown = format!("{LOGIN_TAG} LOGIN {} <password redacted>", user.as_str());
    conn.send_secret(&line, &shown)
        .await
        .map_err(|e| classify_io(&e, "LOGIN"))?;
    drop(line);

    let mut saw_bye = false;
    loop {
        let reply = match read_reply(&mut conn, "LOGIN").await {
            Ok(r) => r,
            Err(f) if f.kind == ErrorKind::ConnectionClosed && saw_bye => {
                return Err(Failure::new(
                    ErrorKind::ServerUnavailable,
                    "LOGIN: the server said BYE and closed before answering",
                ));
            }
            Err(f) => return Err(f),
        };
        match (reply.tag.as_str(), reply.status.as_str()) {
            (LOGIN_TAG, "OK") => return Ok(Login::Accepted(Box::new(conn))),
            (LOGIN_TAG, "NO") => {
                let kind = classify_no(reply.code.as_deref());
                let code = reply
                    .code
                    .as_deref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default();
                return match kind {
                    ErrorKind::PasswordRejected => Ok(Login::Refused),
                    _ => Err(Failure::new(
                        kind,
                        format!("LOGIN: the server answered NO{code}"),
                    )),
                };
            }
            (LOGIN_TAG, status) => {
                return Err(Failure::new(
                    ErrorKind::UnexpectedReply,
                    format!("LOGIN: the server answered {}", printable(status)),
                ));
            }
            ("*", "BYE") => saw_bye = true,
            // Other untagged lines (a late greeting, capabilities) are
            // skipped.
            ("*", _) => {}
            _ => {
                return Err(Failure::new(
                    ErrorKind::UnexpectedReply,
                    "LOGIN: an answer with an unknown tag",
                ));
            }
        }
    }
}

/// At most 16 ASCII alphanumerics of a server's word, for a detail line.
fn printable(word: &str) -> String {
    word.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect()
}

/// `LOGOUT`, then close our side; the server's answer is not awaited.
async fn logout(mut conn: Box<Conn>) {
    let line = format!("{LOGOUT_TAG} LOGOUT\r\n");
    if conn.send(line.as_bytes()).await.is_ok() {
        conn.close().await;
    }
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

    #[test]
    fn replies_parse_tag_status_and_code() {
        let r = parse_reply("a1 NO [AUTHENTICATIONFAILED] Authentication failed.").unwrap();
        assert_eq!(r.tag, "a1");
        assert_eq!(r.status, "NO");
        assert_eq!(r.code.as_deref(), Some("AUTHENTICATIONFAILED"));
        let r = parse_reply("* ok [CAPABILITY IMAP4rev1 SASL-IR] ready").unwrap();
        assert_eq!((r.tag.as_str(), r.status.as_str()), ("*", "OK"));
        assert_eq!(r.code.as_deref(), Some("CAPABILITY"));
        assert_eq!(parse_reply("a1 OK").unwrap().code, None);
        assert_eq!(parse_reply("+ go ahead").unwrap().tag, "+");
        assert!(parse_reply("\u{1}\u{2} junk").is_none());
        assert!(parse_reply("").is_none());
    }

    #[test]
    fn literals_are_found_at_the_end_of_a_line() {
        assert_eq!(literal_size("* OK {12}"), Some(12));
        assert_eq!(literal_size("* OK {12+}"), Some(12));
        assert_eq!(literal_size("* OK {536870912}"), Some(536_870_912));
        assert_eq!(
            literal_size("* OK {99999999999999999999999}"),
            Some(usize::MAX)
        );
        assert_eq!(literal_size("* OK {x}"), None);
        assert_eq!(literal_size("* OK"), None);
    }

    #[test]
    fn a_refusal_is_not_an_outage() {
        for code in [
            None,
            Some("AUTHENTICATIONFAILED"),
            Some("AUTHORIZATIONFAILED"),
            Some("EXPIRED"),
        ] {
            assert_eq!(classify_no(code), ErrorKind::PasswordRejected, "{code:?}");
        }
        for code in ["UNAVAILABLE", "SERVERBUG", "LIMIT", "INUSE"] {
            assert_eq!(
                classify_no(Some(code)),
                ErrorKind::ServerUnavailable,
                "{code}"
            );
        }
    }
}
