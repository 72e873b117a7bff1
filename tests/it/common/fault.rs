//! Small scripted servers that misbehave on purpose, on 127.0.0.1:0.
//!
//! Each runs on its own std thread and stops when dropped. IMAP faults
//! speak TLS first (the checker expects implicit TLS; its CA is in
//! [`FaultServer::ca_file`]); SMTP faults speak plain text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use icloud_mail_setup::domain::mail::{CheckSettings, Endpoint};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;

use super::certs::TestCa;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Accept the connection and never send a byte.
    Silent,
    /// IMAP over TLS: `* OK hi`, then close.
    ImapCloseAfterGreeting,
    /// IMAP over TLS: bytes that are not IMAP.
    ImapGarbage,
    /// SMTP: `220 hi`, then close.
    SmtpCloseAfterGreeting,
    /// SMTP: bytes that are not SMTP.
    SmtpGarbage,
    /// SMTP: EHLO answers without STARTTLS (but with AUTH); records
    /// whether an AUTH line ever arrives.
    SmtpWithoutStartTls,
    /// SMTP: `220 ` and then bytes without end, never a line break.
    SmtpEndlessLine,
    /// SMTP: after its `220` to STARTTLS, forged plaintext replies in the
    /// same packet (`250 AUTH PLAIN`, `235 Authentication successful`),
    /// the 2021 STARTTLS response injection; then TLS as normal, refusing
    /// any AUTH with 535.
    SmtpStartTlsInjection,
    /// SMTP with a real STARTTLS; AUTH answers `454 4.7.0 Temporary
    /// authentication failure`.
    SmtpAuthTemporary,
    /// SMTP with a real STARTTLS; AUTH answers `235`, and `QUIT` is never
    /// answered (the connection is held open).
    SmtpSilentQuit,
    /// SMTP with a real STARTTLS, offering only AUTH LOGIN, and answering
    /// `235` to `AUTH LOGIN` itself, before any username or password.
    SmtpLoginEarlyAccept,
    /// SMTP with a real STARTTLS, offering only AUTH LOGIN and running it
    /// to the end: `334` for the username, `334` for the password, `235`.
    SmtpLoginOnly,
    /// IMAP over TLS: a 1 MiB greeting line.
    ImapHugeLine,
    /// IMAP over TLS: a greeting announcing a 512 MB literal, then a
    /// trickle of bytes.
    ImapLiteralBomb,
    /// IMAP over TLS: untagged CAPABILITY lines without end, before any
    /// greeting (a flood of short lines).
    ImapFlood,
    /// IMAP over TLS: every LOGIN answered `NO [UNAVAILABLE]`.
    ImapUnavailable,
    /// IMAP over TLS: every LOGIN answered `* BYE` and a close.
    ImapBye,
    /// IMAP over TLS: LOGIN accepted only for a username containing `@`
    /// (the full address); others get `NO [AUTHENTICATIONFAILED]` and a
    /// close. Counts LOGINs.
    ImapOnlyFullAddress,
    /// IMAP over TLS that echoes credentials back: LOGIN is answered by an
    /// untagged `* BAD` and a tagged `NO [AUTHENTICATIONFAILED]`, both
    /// quoting the whole LOGIN line after 1000 bytes of filler; the next
    /// connection's greeting repeats the password it saw (whole, after
    /// filler that a cut at 1 KiB would split it at, and as base64 of a
    /// SASL string without padding and cut short).
    ImapEchoLogin,
    /// SMTP with a real STARTTLS that answers AUTH with a multi-line 535
    /// quoting the base64 it was sent: whole, without padding, cut short,
    /// and after 1000 bytes of filler.
    SmtpEchoAuth,
}

/// The `auth` answer of [`smtp_script`] that means: echo what was sent.
const ECHO_AUTH: &[u8] = b"echo";

pub struct FaultServer {
    pub endpoint: Endpoint,
    /// The CA of the TLS certificate IMAP faults present (for localhost).
    pub ca_file: PathBuf,
    saw_auth: Arc<AtomicBool>,
    logins: Arc<AtomicUsize>,
    quit_seen: Arc<AtomicBool>,
    echoed: Arc<Mutex<Vec<String>>>,
    /// Connections served to their end (the client gone).
    served: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    _dir: TempDir,
}

impl FaultServer {
    pub fn start(fault: Fault) -> FaultServer {
        let dir = tempfile::Builder::new()
            .prefix("flt")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let ca = TestCa::new();
        let cert = ca.server_cert(&["localhost", "127.0.0.1"]);
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &ca.pem).expect("write CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(cert.cert_der.clone())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone())),
                )
                .expect("server config"),
        );

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let saw_auth = Arc::new(AtomicBool::new(false));
        let logins = Arc::new(AtomicUsize::new(0));
        let quit_seen = Arc::new(AtomicBool::new(false));
        let echoed = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let served = Arc::new(AtomicUsize::new(0));
        {
            let served = served.clone();
            let seen = Seen {
                saw_auth: saw_auth.clone(),
                logins: logins.clone(),
                quit: quit_seen.clone(),
                echoed: echoed.clone(),
                held: held.clone(),
            };
            let stop = stop.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let seen = seen.clone();
                    let tls = tls.clone();
                    let served = served.clone();
                    thread::spawn(move || {
                        serve(fault, conn, tls, seen);
                        served.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }
        FaultServer {
            endpoint: Endpoint::new("localhost", port),
            ca_file,
            saw_auth,
            logins,
            quit_seen,
            echoed,
            served,
            stop,
            held,
            _dir: dir,
        }
    }

    /// Wait (at most 10 s) until `n` connections were served to their end,
    /// the client gone: after that, what the server saw is all it will see.
    pub fn wait_served(&self, n: usize) {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while self.served.load(Ordering::SeqCst) < n {
            assert!(
                std::time::Instant::now() < until,
                "the server did not see the end of {n} connection(s)"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether an SMTP `AUTH` line ever arrived.
    pub fn saw_auth(&self) -> bool {
        self.saw_auth.load(Ordering::SeqCst)
    }

    /// How many IMAP LOGIN commands arrived.
    pub fn logins(&self) -> usize {
        self.logins.load(Ordering::SeqCst)
    }

    /// Whether an SMTP `QUIT` arrived (after a successful AUTH).
    pub fn quit_seen(&self) -> bool {
        self.quit_seen.load(Ordering::SeqCst)
    }

    /// What the echo faults quoted back: the credentials they were sent
    /// (the IMAP password, the SMTP AUTH PLAIN base64), each once.
    pub fn echoed(&self) -> Vec<String> {
        self.echoed.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Settings with both IMAP and SMTP pointing here, its CA trusted.
    pub fn settings(&self) -> CheckSettings {
        CheckSettings {
            imap: self.endpoint.clone(),
            smtp: self.endpoint.clone(),
            ca_file: Some(self.ca_file.clone()),
            connect_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.endpoint.port));
        if let Ok(mut held) = self.held.lock() {
            held.clear();
        }
    }
}

/// What the server threads record, and the connections they hold open.
#[derive(Clone)]
struct Seen {
    saw_auth: Arc<AtomicBool>,
    logins: Arc<AtomicUsize>,
    quit: Arc<AtomicBool>,
    echoed: Arc<Mutex<Vec<String>>>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Seen {
    fn echo(&self, what: &str) {
        if let Ok(mut e) = self.echoed.lock()
            && !e.iter().any(|x| x == what)
        {
            e.push(what.to_string());
        }
    }
}

/// Base64 without padding (for the echo faults).
fn b64(raw: &[u8]) -> String {
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(raw.len() * 2 + 4));
    icloud_mail_setup::domain::mail::wire::base64_into(raw, &mut out);
    String::from_utf8_lossy(&out)
        .trim_end_matches('=')
        .to_string()
}

/// The 535 that quotes `sent` (the AUTH PLAIN base64) in every form.
fn echo_535(sent: &str) -> Vec<u8> {
    let bare = sent.trim_end_matches('=');
    let cut = &bare[..bare.len() * 2 / 3];
    let tail = &bare[bare.len() / 3..];
    let filler = "x".repeat(1000);
    format!(
        "535-5.7.8 you sent {sent}\r\n535-5.7.8 or {bare}\r\n535-5.7.8 or {cut} or {tail}\r\n\
         535 5.7.8 {filler} \"{sent}\"\r\n"
    )
    .into_bytes()
}

type Tls = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

fn tls_accept(conn: TcpStream, tls: Arc<rustls::ServerConfig>) -> Option<Tls> {
    let server = rustls::ServerConnection::new(tls).ok()?;
    Some(rustls::StreamOwned::new(server, conn))
}

/// Write forever (until the client goes away).
fn flood(w: &mut impl Write, head: &[u8], chunk: &[u8]) {
    if w.write_all(head).is_err() {
        return;
    }
    while w.write_all(chunk).is_ok() {}
}

/// IMAP over TLS: greet, then answer each tagged command with `answer`
/// (given the tag and the command line): the bytes to send, and whether to
/// close the connection after them.
fn imap_script(
    mut s: Tls,
    seen: &Seen,
    greeting: &[u8],
    answer: impl Fn(&str, &str) -> (Vec<u8>, bool),
) {
    if s.write_all(greeting).is_err() || s.flush().is_err() {
        return;
    }
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Some((tag, cmd)) = line.trim_end().split_once(' ') else {
            return;
        };
        if cmd.to_ascii_uppercase().starts_with("LOGIN") {
            seen.logins.fetch_add(1, Ordering::SeqCst);
        }
        let (reply, close) = answer(tag, cmd);
        let s = reader.get_mut();
        if s.write_all(&reply).is_err() || s.flush().is_err() {
            return;
        }
        if close {
            s.conn.send_close_notify();
            let _ = s.flush();
            let _ = s.sock.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

/// SMTP: greeting, EHLO with STARTTLS, the `220` (followed by `after_220`
/// in the same write), then over TLS: EHLO with AUTH, and `auth` as the
/// answer to AUTH. `hold_quit` never answers QUIT.
const PLAIN_AND_LOGIN: &[u8] = b"250-fault.example\r\n250 AUTH PLAIN LOGIN\r\n";

/// What one scripted SMTP server says where servers differ.
struct SmtpPlay {
    after_220: &'static [u8],
    auth: &'static [u8],
    hold_quit: bool,
    ehlo: &'static [u8],
}

fn smtp_script(conn: TcpStream, tls: Arc<rustls::ServerConfig>, seen: &Seen, play: SmtpPlay) {
    let SmtpPlay {
        after_220,
        auth,
        hold_quit,
        ehlo,
    } = play;
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let _ = out.write_all(b"220 fault.example ESMTP\r\n");
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    loop {
        line.clear();
        if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            return;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let _ = out.write_all(b"250-fault.example\r\n250 STARTTLS\r\n");
        } else if upper.starts_with("STARTTLS") {
            let mut reply = b"220 2.0.0 ready\r\n".to_vec();
            reply.extend_from_slice(after_220);
            let _ = out.write_all(&reply);
            break;
        } else {
            let _ = out.write_all(b"503 5.5.1 STARTTLS first\r\n");
        }
    }
    let Some(s) = tls_accept(reader.into_inner(), tls) else {
        return;
    };
    let mut reader = BufReader::new(s);
    // Inside an AUTH LOGIN exchange: the answers still expected (username,
    // then password).
    let mut login_answers = 0;
    let mut echoed;
    loop {
        line.clear();
        if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if login_answers == 2 {
            login_answers = 1;
            b"334 UGFzc3dvcmQ6\r\n"
        } else if login_answers == 1 {
            login_answers = 0;
            b"235 2.7.0 Authentication successful\r\n"
        } else if upper.starts_with("EHLO") {
            ehlo
        } else if upper.starts_with("AUTH") {
            seen.saw_auth.store(true, Ordering::SeqCst);
            if auth.starts_with(b"334") {
                login_answers = 2;
            }
            if auth == ECHO_AUTH {
                let sent = line.trim_end().rsplit(' ').next().unwrap_or("").to_string();
                seen.echo(&sent);
                echoed = echo_535(&sent);
                &echoed
            } else {
                auth
            }
        } else if upper.starts_with("QUIT") {
            seen.quit.store(true, Ordering::SeqCst);
            if hold_quit {
                // Hold the connection open, never answering.
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink);
                return;
            }
            b"221 bye\r\n"
        } else {
            b"250 ok\r\n"
        };
        let s = reader.get_mut();
        if s.write_all(reply).is_err() || s.flush().is_err() {
            return;
        }
    }
}

fn serve(fault: Fault, conn: TcpStream, tls: Arc<rustls::ServerConfig>, seen: Seen) {
    let held = seen.held.clone();
    let saw_auth = seen.saw_auth.clone();
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    match fault {
        Fault::SmtpEndlessLine => {
            let mut conn = conn;
            flood(&mut conn, b"220 ", &[b'x'; 4096]);
        }
        Fault::SmtpStartTlsInjection => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"250-fault.example\r\n250 AUTH PLAIN\r\n235 2.7.0 Authentication successful\r\n", auth: b"535 5.7.8 Authentication failed\r\n", hold_quit: false, ehlo: PLAIN_AND_LOGIN }),
        Fault::SmtpAuthTemporary => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"", auth: b"454 4.7.0 Temporary authentication failure\r\n", hold_quit: false, ehlo: PLAIN_AND_LOGIN }),
        Fault::SmtpLoginEarlyAccept => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"", auth: b"235 2.7.0 Authentication successful\r\n", hold_quit: false, ehlo: b"250-fault.example\r\n250 AUTH LOGIN\r\n" }),
        Fault::SmtpLoginOnly => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"", auth: b"334 VXNlcm5hbWU6\r\n", hold_quit: false, ehlo: b"250-fault.example\r\n250 AUTH LOGIN\r\n" }),
        Fault::SmtpEchoAuth => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"", auth: ECHO_AUTH, hold_quit: false, ehlo: b"250-fault.example\r\n250 AUTH PLAIN\r\n" }),
        Fault::ImapEchoLogin => {
            let Some(s) = tls_accept(conn, tls) else {
                return;
            };
            let mut greeting = b"* OK [CAPABILITY IMAP4rev1] fault ready".to_vec();
            for pw in seen.echoed.lock().map(|e| e.clone()).unwrap_or_default() {
                let sasl = b64(format!("\0someone\0{pw}").as_bytes());
                let cut = &sasl[..sasl.len() - 6];
                // The log's line is `S: ` and this greeting: 963 bytes of
                // filler put the password at 1016, across the 1 KiB cut.
                greeting.extend_from_slice(
                    format!(" {} you sent {pw} or {sasl} or {cut}", "x".repeat(963)).as_bytes(),
                );
            }
            greeting.extend_from_slice(b"\r\n");
            imap_script(s, &seen, &greeting, |tag, cmd| {
                if !cmd.to_ascii_uppercase().starts_with("LOGIN") {
                    return (format!("* BYE\r\n{tag} OK bye\r\n").into_bytes(), true);
                }
                // The password: the last quoted string, unquoted.
                let quoted = cmd.rsplit(" \"").next().unwrap_or("");
                seen.echo(quoted.trim_end_matches('"'));
                let filler = "x".repeat(1000);
                let reply = format!(
                    "* BAD you sent {tag} {cmd}\r\n{tag} NO [AUTHENTICATIONFAILED] {filler} {tag} {cmd}\r\n"
                );
                (reply.into_bytes(), true)
            });
        }
        Fault::SmtpSilentQuit => smtp_script(conn, tls, &seen, SmtpPlay { after_220: b"", auth: b"235 2.7.0 Authentication successful\r\n", hold_quit: true, ehlo: PLAIN_AND_LOGIN }),
        Fault::ImapHugeLine | Fault::ImapLiteralBomb | Fault::ImapFlood => {
            let Some(mut s) = tls_accept(conn, tls) else {
                return;
            };
            match fault {
                Fault::ImapHugeLine => {
                    let mut line = b"* OK ".to_vec();
                    line.extend(std::iter::repeat_n(b'x', 1024 * 1024));
                    line.extend_from_slice(b"\r\n");
                    let _ = s.write_all(&line);
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink);
                }
                Fault::ImapLiteralBomb => flood(&mut s, b"* OK {536870912}\r\n", &[b'a'; 1024]),
                _ => flood(&mut s, b"", b"* CAPABILITY IMAP4rev1\r\n"),
            }
        }
        Fault::ImapUnavailable | Fault::ImapBye | Fault::ImapOnlyFullAddress => {
            let Some(s) = tls_accept(conn, tls) else {
                return;
            };
            let greeting = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fault ready\r\n";
            imap_script(s, &seen, greeting, |tag, cmd| {
                let upper = cmd.to_ascii_uppercase();
                if !upper.starts_with("LOGIN") {
                    return (format!("* BYE\r\n{tag} OK bye\r\n").into_bytes(), true);
                }
                match fault {
                    Fault::ImapUnavailable => (
                        format!("{tag} NO [UNAVAILABLE] Service temporarily unavailable\r\n")
                            .into_bytes(),
                        true,
                    ),
                    // BYE, then close without a tagged answer.
                    Fault::ImapBye => (b"* BYE server shutting down\r\n".to_vec(), true),
                    _ => {
                        let user = cmd.split(' ').nth(1).unwrap_or("");
                        if user.contains('@') {
                            (format!("{tag} OK LOGIN completed\r\n").into_bytes(), false)
                        } else {
                            // iCloud answers NO and drops the connection.
                            let no = "NO [AUTHENTICATIONFAILED] Authentication failed.";
                            (format!("{tag} {no}\r\n").into_bytes(), true)
                        }
                    }
                }
            });
        }
        Fault::Silent => {
            if let Ok(mut h) = held.lock() {
                h.push(conn);
            }
        }
        Fault::ImapCloseAfterGreeting | Fault::ImapGarbage => {
            let Ok(server) = rustls::ServerConnection::new(tls) else {
                return;
            };
            let mut s = rustls::StreamOwned::new(server, conn);
            let payload: &[u8] = if fault == Fault::ImapGarbage {
                b"\x01\x02 this is not IMAP \xff\r\n"
            } else {
                b"* OK hi\r\n"
            };
            if s.write_all(payload).is_err() || s.flush().is_err() {
                return;
            }
            if fault == Fault::ImapGarbage {
                // Keep the connection open: the client must give up on
                // the bytes, not on EOF.
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                }
            } else {
                s.conn.send_close_notify();
                let _ = s.flush();
                let _ = s.sock.shutdown(std::net::Shutdown::Both);
            }
        }
        Fault::SmtpCloseAfterGreeting => {
            let mut conn = conn;
            let _ = conn.write_all(b"220 hi\r\n");
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        Fault::SmtpGarbage => {
            let mut conn = conn;
            let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            let mut buf = [0u8; 1024];
            while let Ok(n) = conn.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
        }
        Fault::SmtpWithoutStartTls => {
            let Ok(mut out) = conn.try_clone() else {
                return;
            };
            let _ = out.write_all(b"220 fault.example ESMTP\r\n");
            let reader = BufReader::new(conn);
            for line in reader.lines() {
                let Ok(line) = line else { break };
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    b"250-fault.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("AUTH") {
                    saw_auth.store(true, Ordering::SeqCst);
                    b"535 5.7.8 no\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 ok\r\n"
                };
                if out.write_all(reply).is_err() {
                    break;
                }
            }
        }
    }
}
