//! Shared test harness: a real Dovecot on loopback, scripted fault servers,
//! and a test certificate authority.
//!
//! Use it from a test file with `mod common;` (or, from a bench,
//! `#[path = "../tests/common/mod.rs"] mod common;`).
//!
//! - [`dovecot::Dovecot`]: `start()`, `start_with_cert_for(host)`,
//!   `set_users(logins, password)`, `settings()`, `env()`, `auth_log()`,
//!   `failed_logins()`, `successful_logins()`, `deliver()` (a message into
//!   an INBOX), `sink_log()` (what submission relayed); stopped on drop.
//! - [`fault::FaultServer`]: servers that misbehave on purpose.
//! - [`certs`]: a CA and server certificates made with rcgen.
//! - [`keyring`]: `require_bus()`, `unique_email(tag)` for Secret Service tests.
//! - [`measure::run_measured`]: run a program, its exit code and peak RSS.
//! - [`free_port`], [`closed_port`].
//!
//! Dovecot must be installed (`dovecot-imapd dovecot-submissiond
//! python3-aiosmtpd`): the tests fail, not skip, without it.

#![allow(dead_code)]

pub mod certs;
pub mod dovecot;
pub mod fault;
pub mod keyring;
pub mod measure;

use std::net::TcpListener;

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A port where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    free_port()
}
