//! Small scripted servers that misbehave on purpose, on 127.0.0.1:0.
//!
//! Each runs on its own std thread and stops when dropped. IMAP faults
//! speak TLS first (the checker expects implicit TLS; its CA is in
//! [`FaultServer::ca_file`]); SMTP faults speak plain text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use icloud_mail_setup::mail::{CheckSettings, Endpoint};
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
}

pub struct FaultServer {
    pub endpoint: Endpoint,
    /// The CA of the TLS certificate IMAP faults present (for localhost).
    pub ca_file: PathBuf,
    saw_auth: Arc<AtomicBool>,
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
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        {
            let saw_auth = saw_auth.clone();
            let stop = stop.clone();
            let held = held.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let saw_auth = saw_auth.clone();
                    let held = held.clone();
                    let tls = tls.clone();
                    thread::spawn(move || serve(fault, conn, tls, saw_auth, held));
                }
            });
        }
        FaultServer {
            endpoint: Endpoint::new("localhost", port),
            ca_file,
            saw_auth,
            stop,
            held,
            _dir: dir,
        }
    }

    /// Whether an SMTP `AUTH` line ever arrived.
    pub fn saw_auth(&self) -> bool {
        self.saw_auth.load(Ordering::SeqCst)
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

fn serve(
    fault: Fault,
    conn: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    saw_auth: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    match fault {
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
