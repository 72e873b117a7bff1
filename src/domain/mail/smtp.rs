//! The SMTP check: plain TCP, `STARTTLS` (required), AUTH with the full
//! address, spoken here rather than through an SMTP library, so that:
//!
//! - nothing the server sent before the TLS handshake can be read as if it
//!   came over TLS: any byte already waiting after the `220` to `STARTTLS`
//!   ends the check ([`ErrorKind::StartTlsInjection`]), the mitigation
//!   Poddebniak et al. recommend ("Why TLS is better without STARTTLS",
//!   USENIX Security 2021);
//! - every reply is read through [`Wire`], with bounded memory;
//! - the login takes the fewest round trips: AUTH PLAIN carries its
//!   initial response (RFC 4954), and `QUIT` is sent without waiting for
//!   its reply;
//! - a temporary refusal (`454`, any `4xx`) is told apart from a rejected
//!   password (`535`).

use tokio::io::{AsyncRead, AsyncWrite};

use zeroize::Zeroizing;

use super::tls::{classify_io, client_config, connect_tcp};
use super::wire::{Wire, base64_into};
use super::{
    Accepted, CheckReport, CheckSettings, Clock, ErrorKind, Failure, PendingPassword, Protocol,
};
use crate::domain::account::Account;
use crate::sys::log::Component;
use crate::sys::secret::Secret;

/// The name we greet with: it says nothing about this machine.
const EHLO: &[u8] = b"EHLO localhost\r\n";

/// The check, connecting (TCP, greeting, EHLO, STARTTLS, TLS, EHLO) before
/// the password is needed: it is awaited right before `AUTH`.
pub async fn check_pending(
    settings: &CheckSettings,
    account: &Account,
    password: &PendingPassword,
) -> CheckReport {
    let username = account.smtp_username();
    let mut clock = Clock::start(settings);
    let run = login(settings, &username, password, &mut clock.attempts);
    let outcome = match tokio::time::timeout_at(clock.deadline, run).await {
        Ok(Ok(())) => Some(Ok(Accepted {
            username,
            rejected: Vec::new(),
        })),
        Ok(Err(f)) if f.kind == ErrorKind::PasswordRejected => Some(Err(Failure {
            refused: vec![username],
            ..f
        })),
        Ok(Err(f)) => Some(Err(f)),
        Err(_) => None,
    };
    clock.finish(Protocol::Smtp, settings, outcome, password)
}

/// One SMTP reply: its code and the text of each line (after the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

/// Read one reply, multi-line (`250-...`) or not.
async fn read_reply<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    step: &str,
) -> Result<Reply, Failure> {
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        let line = wire.read_line().await.map_err(|e| e.failure(step))?;
        let (this, more, text) = split_line(&line).ok_or_else(|| {
            Failure::new(
                ErrorKind::UnexpectedReply,
                format!("{step}: the server's reply is not SMTP"),
            )
        })?;
        if *code.get_or_insert(this) != this {
            return Err(Failure::new(
                ErrorKind::UnexpectedReply,
                format!("{step}: a reply whose lines disagree on the code"),
            ));
        }
        lines.push(text.to_string());
        if !more {
            return Ok(Reply { code: this, lines });
        }
    }
}

/// `250-text` → (250, true, "text"); `250 text` or `250` → (250, false, ..).
pub fn split_line(line: &str) -> Option<(u16, bool, &str)> {
    let b = line.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&b[0]) {
        return None;
    }
    let code = line[..3].parse().ok()?;
    match b.get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

/// What EHLO offered that matters here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Offer {
    pub starttls: bool,
    pub plain: bool,
    pub login: bool,
}

pub fn offer(ehlo: &Reply) -> Offer {
    let mut o = Offer::default();
    // The first line is the server's name; the rest are keywords.
    for line in ehlo.lines.iter().skip(1) {
        let upper = line.to_ascii_uppercase();
        let mut words = upper.split([' ', '=']);
        match words.next() {
            Some("STARTTLS") => o.starttls = true,
            Some("AUTH") => {
                for w in words {
                    o.plain |= w == "PLAIN";
                    o.login |= w == "LOGIN";
                }
            }
            _ => {}
        }
    }
    o
}

fn expect(reply: &Reply, want: u16, step: &str) -> Result<(), Failure> {
    if reply.code == want {
        return Ok(());
    }
    Err(refusal(reply.code, step))
}

/// A reply other than the one expected, before AUTH.
fn refusal(code: u16, step: &str) -> Failure {
    match code {
        // 421: closing; 4xx: try later; 554 to the greeting: "no service".
        400..=499 => Failure::new(
            ErrorKind::ServerUnavailable,
            format!("{step}: the server answered {code} (try again later)"),
        ),
        _ => Failure::new(
            ErrorKind::UnexpectedReply,
            format!("{step}: the server answered {code}"),
        ),
    }
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    bytes: &[u8],
    step: &str,
) -> Result<(), Failure> {
    wire.send(bytes).await.map_err(|e| classify_io(&e, step))
}

/// Greeting, EHLO, STARTTLS, handshake, EHLO, AUTH, QUIT.
async fn login(
    settings: &CheckSettings,
    username: &str,
    password: &PendingPassword,
    attempts: &mut u32,
) -> Result<(), Failure> {
    let config = client_config(settings.ca_file.as_deref())?;
    let tcp = connect_tcp(&settings.smtp, settings.connect_timeout).await?;
    let mut plain = Wire::new(tcp).logged(Component::Smtp);

    let greeting = read_reply(&mut plain, "greeting").await?;
    expect(&greeting, 220, "greeting")?;
    send(&mut plain, EHLO, "EHLO").await?;
    let ehlo = read_reply(&mut plain, "EHLO").await?;
    expect(&ehlo, 250, "EHLO")?;
    if !offer(&ehlo).starttls {
        return Err(Failure::new(
            ErrorKind::StartTlsNotOffered,
            "EHLO did not offer STARTTLS; credentials not sent",
        ));
    }
    send(&mut plain, b"STARTTLS\r\n", "STARTTLS").await?;
    let ready = read_reply(&mut plain, "STARTTLS").await?;
    expect(&ready, 220, "STARTTLS")?;
    if plain.buffered() > 0 {
        return Err(Failure::new(
            ErrorKind::StartTlsInjection,
            format!(
                "STARTTLS: {} bytes arrived after the 220, before encryption",
                plain.buffered()
            ),
        ));
    }
    let (tcp, read_so_far) = plain.into_inner();
    let tls = super::tls::handshake(config, &settings.smtp.host, tcp, settings.connect_timeout)
        .await
        .map_err(|f| Failure::new(f.kind, format!("STARTTLS: {}", f.detail)))?;
    let mut wire = Wire::resume(tls, read_so_far).logged(Component::Smtp);

    send(&mut wire, EHLO, "EHLO").await?;
    let ehlo = read_reply(&mut wire, "EHLO").await?;
    expect(&ehlo, 250, "EHLO")?;
    let offer = offer(&ehlo);

    let password = password.get().await.ok_or_else(super::no_password)?;
    let password = &password;
    crate::sys::log::register_password(password);
    *attempts += 1;
    let reply = if offer.plain {
        auth_plain(&mut wire, username, password).await?
    } else if offer.login {
        auth_login(&mut wire, username, password).await?
    } else {
        return Err(Failure::new(
            ErrorKind::UnexpectedReply,
            "EHLO after STARTTLS offered neither AUTH PLAIN nor AUTH LOGIN",
        ));
    };
    match auth_outcome(reply.code) {
        None => {
            // Nothing after 235 needs an answer.
            if wire.send(b"QUIT\r\n").await.is_ok() {
                wire.close().await;
            }
            Ok(())
        }
        Some(f) => {
            if reply.code == 334 {
                let _ = wire.send(b"*\r\n").await;
            }
            Err(f)
        }
    }
}

/// The failure an AUTH reply code means, if it is not success.
pub fn auth_outcome(code: u16) -> Option<Failure> {
    let detail = format!("AUTH answered {code}");
    match code {
        235 => None,
        // 454 "temporary authentication failure", 421 "closing", any 4xx.
        400..=499 => Some(Failure::new(ErrorKind::ServerUnavailable, detail)),
        // 535 "authentication credentials invalid" (RFC 4954), and 534
        // (5.7.9, "mechanism too weak / log in another way"): the password
        // was refused.
        534 | 535 => Some(Failure::new(ErrorKind::PasswordRejected, detail)),
        // Syntax errors, "not implemented", "STARTTLS first" (530, 538),
        // policy refusals (550, 554): not a verdict on the password.
        500..=599 => Some(Failure::new(ErrorKind::UnexpectedReply, detail)),
        _ => Some(Failure::new(ErrorKind::UnexpectedReply, detail)),
    }
}

/// `AUTH PLAIN` with its initial response: one round trip.
async fn auth_plain<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    username: &str,
    password: &Secret,
) -> Result<Reply, Failure> {
    let pass = password.expose().as_bytes();
    let mut raw = Zeroizing::new(Vec::with_capacity(username.len() + pass.len() + 2));
    raw.push(0);
    raw.extend_from_slice(username.as_bytes());
    raw.push(0);
    raw.extend_from_slice(pass);
    let mut line = Zeroizing::new(Vec::with_capacity(raw.len().div_ceil(3) * 4 + 16));
    line.extend_from_slice(b"AUTH PLAIN ");
    base64_into(&raw, &mut line);
    line.extend_from_slice(b"\r\n");
    drop(raw);
    wire.send_secret(&line, "AUTH PLAIN <redacted>")
        .await
        .map_err(|e| classify_io(&e, "AUTH"))?;
    drop(line);
    read_reply(wire, "AUTH").await
}

/// `AUTH LOGIN`: username and password each answer a 334 challenge.
async fn auth_login<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    username: &str,
    password: &Secret,
) -> Result<Reply, Failure> {
    send(wire, b"AUTH LOGIN\r\n", "AUTH").await?;
    for value in [username.as_bytes(), password.expose().as_bytes()] {
        let reply = read_reply(wire, "AUTH").await?;
        if (200..300).contains(&reply.code) {
            // Success before the password was even sent says nothing
            // about the password.
            return Err(Failure::new(
                ErrorKind::UnexpectedReply,
                format!(
                    "AUTH LOGIN answered {} before the password was sent",
                    reply.code
                ),
            ));
        }
        if reply.code != 334 {
            return Ok(reply);
        }
        let mut line = Zeroizing::new(Vec::with_capacity(value.len().div_ceil(3) * 4 + 2));
        base64_into(value, &mut line);
        line.extend_from_slice(b"\r\n");
        wire.send_secret(&line, "<redacted>")
            .await
            .map_err(|e| classify_io(&e, "AUTH"))?;
    }
    read_reply(wire, "AUTH").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_split() {
        assert_eq!(
            split_line("250-mx.example"),
            Some((250, true, "mx.example"))
        );
        assert_eq!(split_line("250 OK"), Some((250, false, "OK")));
        assert_eq!(split_line("220"), Some((220, false, "")));
        assert_eq!(split_line("HTTP/1.1 400"), None);
        assert_eq!(split_line("2500"), None);
        assert_eq!(split_line("999 x"), None);
    }

    #[test]
    fn ehlo_keywords() {
        let r = Reply {
            code: 250,
            lines: vec![
                "mx.example".into(),
                "starttls".into(),
                "AUTH=LOGIN".into(),
                "AUTH PLAIN XOAUTH2".into(),
            ],
        };
        assert_eq!(
            offer(&r),
            Offer {
                starttls: true,
                plain: true,
                login: true
            }
        );
        // The server's name on the first line is not a keyword.
        let r = Reply {
            code: 250,
            lines: vec!["STARTTLS".into()],
        };
        assert!(!offer(&r).starttls);
    }

    #[test]
    fn a_temporary_refusal_is_not_a_rejection() {
        assert!(auth_outcome(235).is_none());
        assert_eq!(
            auth_outcome(535).map(|f| f.kind),
            Some(ErrorKind::PasswordRejected)
        );
        assert_eq!(
            auth_outcome(454).map(|f| f.kind),
            Some(ErrorKind::ServerUnavailable)
        );
        assert_eq!(
            auth_outcome(421).map(|f| f.kind),
            Some(ErrorKind::ServerUnavailable)
        );
        assert_eq!(
            auth_outcome(502).map(|f| f.kind),
            Some(ErrorKind::UnexpectedReply)
        );
        assert_eq!(
            auth_outcome(554).map(|f| f.kind),
            Some(ErrorKind::UnexpectedReply)
        );
    }
}
