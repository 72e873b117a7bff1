//! Shared test harness: a real Dovecot on loopback, scripted fault servers,
//! and a test certificate authority.
//!
//! Use it from a test module with `use crate::common;` (or, from a bench,
//! `#[path = "../tests/it/common/mod.rs"] mod common;`).
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
//! - [`bin::Bin`]: runs the binary (or a program that runs it) with a
//!   private HOME and none of our variables; the only part built on
//!   Windows too.
//!
//! Dovecot must be installed (`dovecot-imapd dovecot-submissiond
//! python3-aiosmtpd`): the tests fail, not skip, without it.

#![allow(dead_code)]

pub mod bin;
#[cfg(unix)]
pub mod certs;
#[cfg(unix)]
pub mod dovecot;
#[cfg(unix)]
pub mod fault;
#[cfg(unix)]
pub mod keyring;
#[cfg(unix)]
pub mod measure;

#[allow(unused_imports)] // the benches include this file and use neither
pub use bin::{Bin, Out};

use std::net::TcpListener;

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A port on 127.0.0.1 where nothing listens, held for as long as this
/// lives: a TCP socket bound to it that never listens, so a connection is
/// refused and no other program can take the port meanwhile (a port bound
/// and released could be taken by anything between the two).
#[cfg(unix)]
pub struct ClosedPort {
    fd: std::os::fd::OwnedFd,
    pub port: u16,
}

#[cfg(unix)]
pub fn closed_port() -> ClosedPort {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor we own; the address is a
    // sockaddr_in we fill in here.
    unsafe {
        // SOCK_CLOEXEC is Linux's; fcntl is everywhere (macOS type-checks).
        let raw = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(raw >= 0, "socket: {}", std::io::Error::last_os_error());
        assert_eq!(libc::fcntl(raw, libc::F_SETFD, libc::FD_CLOEXEC), 0);
        let fd = std::os::fd::OwnedFd::from_raw_fd(raw);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        addr.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let r = libc::bind(raw, &addr as *const _ as *const libc::sockaddr, len);
        assert_eq!(r, 0, "bind: {}", std::io::Error::last_os_error());
        let mut len = len;
        let r = libc::getsockname(raw, &mut addr as *mut _ as *mut libc::sockaddr, &mut len);
        assert_eq!(r, 0, "getsockname: {}", std::io::Error::last_os_error());
        ClosedPort {
            fd,
            port: u16::from_be(addr.sin_port),
        }
    }
}

#[cfg(unix)]
impl ClosedPort {
    /// The socket that holds the port (never listening).
    pub fn socket(&self) -> &std::os::fd::OwnedFd {
        &self.fd
    }
}

/// Set `key = "value"` for each of `fields` in `email`'s `[[account]]`
/// table of the config at `path`, in place, each key already there (the
/// rest of the file as it was). For a test that needs a stored time to be
/// in the past, instead of waiting for the clock.
pub fn set_account_fields(path: &std::path::Path, email: &str, fields: &[(&str, &str)]) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut tables: Vec<String> =
        text.split_inclusive('\n')
            .fold(vec![String::new()], |mut tables, line| {
                if line.trim() == "[[account]]" {
                    tables.push(String::new());
                }
                tables.last_mut().unwrap().push_str(line);
                tables
            });
    let email_line = format!("email = \"{email}\"");
    let table = tables
        .iter_mut()
        .find(|t| t.lines().any(|l| l.trim() == email_line))
        .unwrap_or_else(|| panic!("no [[account]] for {email} in\n{text}"));
    for (key, value) in fields {
        let prefix = format!("{key} = ");
        let mut found = false;
        *table = table
            .split_inclusive('\n')
            .map(|line| match line.starts_with(&prefix) {
                true => {
                    found = true;
                    format!("{key} = \"{value}\"\n")
                }
                false => line.to_string(),
            })
            .collect();
        assert!(found, "no {key} for {email} in\n{text}");
    }
    std::fs::write(path, tables.concat()).unwrap();
}

/// `key` of `email`'s `[[account]]` table in a parsed config, as text.
pub fn account_field(config: &toml::Table, email: &str, key: &str) -> Option<String> {
    config["account"]
        .as_array()?
        .iter()
        .find(|a| a["email"].as_str() == Some(email))?
        .get(key)?
        .as_str()
        .map(str::to_string)
}
