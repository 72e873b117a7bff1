//! Peak memory of the real binary against hostile servers: a check that
//! meets a flood, a line without end or a literal bomb ends at once, with
//! its peak RSS under 32 MiB (measured by the kernel: the child's
//! `ru_maxrss`, read by GNU time, see `common::measure`), and stores
//! nothing.
//!
//! Runs `store --password-stdin`, so it needs the test's Secret Service
//! (scripts/test provides one).

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::fault::{Fault, FaultServer};
use common::keyring::{require_bus, unique_email};

const LIMIT_KIB: i64 = 32 * 1024;

/// Run the binary with `args` and this config, feed `stdin`; (exit code,
/// peak RSS in KiB, stdout + stderr).
fn run_measured(args: &[&str], stdin: &str, config: &std::path::Path) -> (i32, i64, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"));
    cmd.env_remove("ICLOUD_MAIL_SETUP_LOG");
    cmd.args(args).env("ICLOUD_MAIL_SETUP_CONFIG", config);
    common::measure::run_measured(cmd, stdin)
}

#[test]
fn hostile_servers_keep_peak_memory_bounded() {
    require_bus();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    // Each hostile IMAP server beside each hostile SMTP server's worst.
    for (imap, smtp) in [
        (Fault::ImapHugeLine, Fault::SmtpEndlessLine),
        (Fault::ImapLiteralBomb, Fault::SmtpEndlessLine),
        (Fault::ImapFlood, Fault::SmtpStartTlsInjection),
    ] {
        let i = FaultServer::start(imap);
        let s = FaultServer::start(smtp);
        // Both servers' CAs in one file.
        let ca = dir.path().join("ca.pem");
        let mut pem = std::fs::read(&i.ca_file).expect("ca");
        pem.extend(std::fs::read(&s.ca_file).expect("ca"));
        std::fs::write(&ca, pem).expect("write ca");
        let email = unique_email("hostile");
        let imap_at = i.endpoint.to_string();
        let smtp_at = s.endpoint.to_string();
        let start = Instant::now();
        let (code, rss_kib, text) = run_measured(
            &[
                "store",
                &email,
                "--password-stdin",
                "--imap",
                &imap_at,
                "--smtp",
                &smtp_at,
                "--ca-file",
                ca.to_str().expect("utf-8 path"),
                "--timeout",
                "15",
            ],
            "abcd-efgh-ijkl-mnop\n",
            &config,
        );
        let took = start.elapsed();
        println!("{imap:?} + {smtp:?}: exit {code}, peak RSS {rss_kib} KiB, {took:?}");
        assert_eq!(code, 4, "{imap:?}/{smtp:?}: {text}");
        assert!(
            rss_kib < LIMIT_KIB,
            "{imap:?}/{smtp:?}: peak RSS {rss_kib} KiB"
        );
        assert!(
            took < Duration::from_secs(10),
            "ended by the deadline, not the cap: {took:?}"
        );
        assert!(text.contains("Nothing was stored"), "{text}");
        assert!(!text.contains("abcd-efgh"), "{text}");
        assert!(!config.exists(), "a config was written");
    }
}
