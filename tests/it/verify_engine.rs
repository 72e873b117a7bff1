//! The live-verification engine against a real Dovecot and scripted fault
//! servers, all on loopback. These tests fail (not skip) if Dovecot is not
//! installed.

// Real Dovecot, the Secret Service, a pty or systemd units: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use crate::common;

use std::time::{Duration, Instant};

use common::dovecot::Dovecot;
use common::fault::{Fault, FaultServer};
use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::mail::{
    CheckReport, CheckSettings, Endpoint, ErrorKind, LiveChecker, PendingPassword, check_both,
    check_both_pending, imap, smtp,
};
use icloud_mail_setup::sys::secret::Secret;

const PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const OTHER_PASSWORD: &str = "qrst-uvwx-yzab-cdef";
const LOCAL: &str = "emily";
const ADDRESS: &str = "emily@icloud.com";

fn account() -> Account {
    Account::apple(Email::parse(ADDRESS).unwrap())
}

fn secret(s: &str) -> Secret {
    Secret::new(s.to_string())
}

/// A password already read.
fn ready(s: &str) -> PendingPassword {
    PendingPassword::ready(secret(s))
}

/// The password never shows in a report's Debug output or detail.
fn assert_no_password(report: &CheckReport, password: &str) {
    let shown = format!("{report:?} {report:#?}");
    assert!(!shown.contains(password), "password leaked: {shown}");
    if let Err(f) = &report.outcome {
        assert!(!f.detail.contains(password), "password in detail");
        assert!(f.detail.len() < 200, "detail too long: {}", f.detail);
    }
}

fn kind(report: &CheckReport) -> Option<ErrorKind> {
    report.outcome.as_ref().err().map(|f| f.kind)
}

async fn both(settings: CheckSettings, password: &str) -> (CheckReport, CheckReport) {
    let checker = LiveChecker::new(settings);
    let mut seen = 0;
    let (i, s) = check_both(&checker, &account(), &secret(password), |_| seen += 1).await;
    assert_eq!(seen, 2, "on_report called once per check");
    assert_no_password(&i, password);
    assert_no_password(&s, password);
    (i, s)
}

#[tokio::test]
async fn good_password_is_accepted_by_both() {
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    let ia = i.outcome.as_ref().expect("IMAP accepted");
    assert_eq!(ia.username, LOCAL, "the local part is tried first");
    assert!(ia.rejected.is_empty());
    assert_eq!(i.attempts, 1);
    let sa = s.outcome.as_ref().expect("SMTP accepted");
    assert_eq!(sa.username, ADDRESS);
    assert_eq!(s.attempts, 1);
    assert_eq!(dv.successful_logins("imap", LOCAL), 1, "{}", dv.auth_log());
    assert_eq!(dv.successful_logins("submission", ADDRESS), 1);
    assert!(!dv.auth_log().contains(PASSWORD));
}

#[tokio::test]
async fn without_a_password_both_checks_stop_at_the_login_having_sent_no_credentials() {
    // verify reads the keyring while the checks connect; when it has no
    // password to give, a check that got that far must stop there.
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let checker = LiveChecker::new(dv.settings());
    let none = PendingPassword::later(async { None });
    let (i, s) = check_both_pending(&checker, &account(), &none, |_| {}).await;
    // `Cancelled` comes only from the password step, where each check
    // stopped (the next test shows they get there without the password).
    for r in [&i, &s] {
        assert_eq!(kind(r), Some(ErrorKind::Cancelled), "{r:?}");
        let detail = &r.outcome.as_ref().unwrap_err().detail;
        assert!(detail.contains("stopped before logging in"), "{detail}");
        assert_eq!(r.attempts, 0, "{r:?}");
    }
    // And Dovecot saw no login attempt at all.
    assert_eq!(dv.failed_logins(LOCAL) + dv.failed_logins(ADDRESS), 0);
    assert_eq!(dv.successful_logins("imap", LOCAL), 0);
    assert_eq!(dv.successful_logins("submission", ADDRESS), 0);
}

#[tokio::test]
async fn without_a_password_the_checks_still_go_as_far_as_the_login() {
    // A server that fails before the login is reported as that failure,
    // not as a missing password: the steps before the login (here the IMAP
    // greeting after TLS, and SMTP's EHLO) ran without it.
    let none = PendingPassword::later(async { None });
    let f = FaultServer::start(Fault::ImapGarbage);
    let r = imap::check_pending(&f.settings(), &account(), &none).await;
    assert_eq!(kind(&r), Some(ErrorKind::UnexpectedReply), "{r:?}");
    let f = FaultServer::start(Fault::SmtpWithoutStartTls);
    let r = smtp::check_pending(&f.settings(), &account(), &none).await;
    assert_eq!(kind(&r), Some(ErrorKind::StartTlsNotOffered), "{r:?}");
    assert!(!f.saw_auth());
}

#[tokio::test]
async fn a_password_that_arrives_later_is_used_for_both_logins() {
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let checker = LiveChecker::new(dv.settings());
    let (tx, rx) = futures::channel::oneshot::channel();
    let later = PendingPassword::later(async move { rx.await.ok() });
    let acct = account();
    let checks = check_both_pending(&checker, &acct, &later, |_| {});
    let give = async move {
        tokio::task::yield_now().await;
        let _ = tx.send(secret(PASSWORD));
    };
    let ((i, s), ()) = futures::future::join(checks, give).await;
    assert!(i.accepted(), "{i:?}");
    assert!(s.accepted(), "{s:?}");
    assert_no_password(&i, PASSWORD);
    assert_no_password(&s, PASSWORD);
    assert_eq!(dv.successful_logins("imap", LOCAL), 1, "{}", dv.auth_log());
    assert_eq!(dv.successful_logins("submission", ADDRESS), 1);
}

#[tokio::test]
async fn an_ip_address_host_works_too() {
    // The certificate also names 127.0.0.1: SNI/verification by IP address.
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let mut settings = dv.settings();
    settings.imap.host = "127.0.0.1".into();
    settings.smtp.host = "127.0.0.1".into();
    let (i, s) = both(settings, PASSWORD).await;
    assert!(i.accepted(), "{i:?}");
    assert!(s.accepted(), "{s:?}");
}

#[tokio::test]
async fn full_address_fallback_is_used_and_recorded() {
    let dv = Dovecot::start();
    dv.set_users(&[ADDRESS], PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    let ia = i.outcome.as_ref().expect("IMAP accepted with the fallback");
    assert_eq!(ia.username, ADDRESS);
    assert_eq!(ia.rejected, vec![LOCAL.to_string()]);
    assert_eq!(i.attempts, 2);
    assert!(s.accepted());
    assert_eq!(dv.failed_logins(LOCAL), 1, "{}", dv.auth_log());
}

#[tokio::test]
async fn wrong_password_is_rejected_with_one_login_per_form() {
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], OTHER_PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    assert_eq!(kind(&i), Some(ErrorKind::PasswordRejected), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::PasswordRejected), "{s:?}");
    assert_eq!(i.attempts, 2, "one LOGIN per username form");
    assert_eq!(s.attempts, 1, "one AUTH");
    // Dovecot's own count: the local part once (IMAP), the address twice
    // (IMAP fallback + SMTP).
    assert_eq!(dv.failed_logins(LOCAL), 1, "{}", dv.auth_log());
    assert_eq!(dv.failed_logins(ADDRESS), 2, "{}", dv.auth_log());
    assert!(!dv.auth_log().contains(PASSWORD));
}

#[tokio::test]
async fn password_changed_between_runs_is_rejected_the_second_time() {
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    assert!(i.accepted() && s.accepted(), "{i:?} {s:?}");
    dv.set_users(&[LOCAL, ADDRESS], OTHER_PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    assert_eq!(kind(&i), Some(ErrorKind::PasswordRejected), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::PasswordRejected), "{s:?}");
}

#[tokio::test]
async fn without_the_ca_file_the_certificate_is_untrusted() {
    let dv = Dovecot::start();
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let mut settings = dv.settings();
    settings.ca_file = None;
    let (i, s) = both(settings, PASSWORD).await;
    assert_eq!(kind(&i), Some(ErrorKind::UntrustedCertificate), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::UntrustedCertificate), "{s:?}");
    assert_eq!(i.attempts, 0);
    assert_eq!(s.attempts, 0);
    assert_eq!(dv.successful_logins("imap", LOCAL), 0);
}

#[tokio::test]
async fn certificate_for_another_host_is_a_hostname_mismatch() {
    let dv = Dovecot::start_with_cert_for("mail.example.net");
    dv.set_users(&[LOCAL, ADDRESS], PASSWORD);
    let (i, s) = both(dv.settings(), PASSWORD).await;
    assert_eq!(kind(&i), Some(ErrorKind::HostnameMismatch), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::HostnameMismatch), "{s:?}");
    assert_eq!(i.attempts + s.attempts, 0);
}

#[tokio::test]
async fn unreadable_ca_file_is_a_ca_file_failure() {
    let dv = Dovecot::start();
    let mut settings = dv.settings();
    settings.ca_file = Some("/nonexistent/ca.pem".into());
    let (i, s) = both(settings, PASSWORD).await;
    assert_eq!(kind(&i), Some(ErrorKind::CaFile));
    assert_eq!(kind(&s), Some(ErrorKind::CaFile));
}

#[tokio::test]
async fn nothing_listening_is_connection_refused_fast() {
    let closed = common::closed_port();
    let settings = CheckSettings {
        imap: Endpoint::new("127.0.0.1", closed.port),
        smtp: Endpoint::new("127.0.0.1", closed.port),
        ca_file: None,
        connect_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(10),
    };
    let start = Instant::now();
    let (i, s) = both(settings, PASSWORD).await;
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(kind(&i), Some(ErrorKind::ConnectionRefused), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::ConnectionRefused), "{s:?}");
}

#[tokio::test]
async fn silent_listener_times_out_within_the_deadline() {
    let fault = FaultServer::start(Fault::Silent);
    let mut settings = fault.settings();
    settings.deadline = Duration::from_secs(2);
    let start = Instant::now();
    let (i, s) = both(settings, PASSWORD).await;
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert_eq!(kind(&i), Some(ErrorKind::Timeout), "{i:?}");
    assert_eq!(kind(&s), Some(ErrorKind::Timeout), "{s:?}");
}

#[tokio::test]
async fn close_after_greeting_is_connection_closed() {
    let f = FaultServer::start(Fault::ImapCloseAfterGreeting);
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::ConnectionClosed), "{r:?}");

    let f = FaultServer::start(Fault::SmtpCloseAfterGreeting);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::ConnectionClosed), "{r:?}");
    assert_eq!(r.attempts, 0);
}

#[tokio::test]
async fn garbage_is_an_unexpected_reply() {
    let f = FaultServer::start(Fault::ImapGarbage);
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::UnexpectedReply), "{r:?}");
    assert_eq!(r.attempts, 0);

    let f = FaultServer::start(Fault::SmtpGarbage);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::UnexpectedReply), "{r:?}");
}

#[tokio::test]
async fn plain_text_server_on_the_imap_port_is_a_tls_failure() {
    // An SMTP server where implicit TLS is expected: not a TLS peer.
    let f = FaultServer::start(Fault::SmtpWithoutStartTls);
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::Tls), "{r:?}");
}

#[tokio::test]
async fn smtp_without_starttls_never_sends_credentials() {
    let f = FaultServer::start(Fault::SmtpWithoutStartTls);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_no_password(&r, PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::StartTlsNotOffered), "{r:?}");
    assert_eq!(r.attempts, 0);
    // The server has read all the client sent once the connection ended.
    f.wait_served(1);
    assert!(!f.saw_auth(), "AUTH was sent without TLS");
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_failure() {
    // `.invalid` never resolves (RFC 2606). If the sandbox has no DNS at
    // all, the resolver still fails at once for it, which is also `Dns`.
    let settings = CheckSettings {
        imap: Endpoint::new("nonexistent.invalid", 993),
        smtp: Endpoint::new("nonexistent.invalid", 587),
        ca_file: None,
        connect_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(8),
    };
    let start = Instant::now();
    let (i, s) = both(settings, PASSWORD).await;
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    for r in [&i, &s] {
        assert_eq!(kind(r), Some(ErrorKind::Dns), "{r:?}");
    }
}

// ---- hostile servers (issue 8) ----

#[tokio::test]
async fn starttls_response_injection_ends_the_check_before_auth() {
    let f = FaultServer::start(Fault::SmtpStartTlsInjection);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(OTHER_PASSWORD)).await;
    assert_no_password(&r, OTHER_PASSWORD);
    assert_eq!(kind(&r), Some(ErrorKind::StartTlsInjection), "{r:?}");
    assert!(!r.accepted(), "a forged 235 was believed: {r:?}");
    assert_eq!(r.attempts, 0);
    f.wait_served(1);
    assert!(!f.saw_auth(), "credentials were sent after an injection");
}

#[tokio::test]
async fn floods_end_at_once_as_oversized() {
    for fault in [
        Fault::SmtpEndlessLine,
        Fault::ImapHugeLine,
        Fault::ImapLiteralBomb,
        Fault::ImapFlood,
    ] {
        let f = FaultServer::start(fault);
        let start = Instant::now();
        let r = if matches!(fault, Fault::SmtpEndlessLine) {
            smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await
        } else {
            imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await
        };
        assert_no_password(&r, PASSWORD);
        assert_eq!(kind(&r), Some(ErrorKind::Oversized), "{fault:?}: {r:?}");
        assert_eq!(r.attempts, 0, "{fault:?}");
        // Ended by the byte cap, not by the 10 s deadline.
        assert!(start.elapsed() < Duration::from_secs(5), "{fault:?}");
    }
}

#[tokio::test]
async fn a_temporary_refusal_is_not_a_rejected_password() {
    let f = FaultServer::start(Fault::ImapUnavailable);
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_eq!(kind(&r), Some(ErrorKind::ServerUnavailable), "{r:?}");
    // One refusal for now is not a reason to try the other username form.
    assert_eq!(f.logins(), 1);

    let f = FaultServer::start(Fault::ImapBye);
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_eq!(kind(&r), Some(ErrorKind::ServerUnavailable), "{r:?}");

    let f = FaultServer::start(Fault::SmtpAuthTemporary);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_eq!(kind(&r), Some(ErrorKind::ServerUnavailable), "{r:?}");
    assert!(f.saw_auth());
    assert_eq!(
        icloud_mail_setup::app::checking::exit_for_kind(ErrorKind::ServerUnavailable),
        icloud_mail_setup::app::commands::Exit::Network
    );
}

#[tokio::test]
async fn auth_login_accepted_before_the_password_is_not_accepted() {
    let f = FaultServer::start(Fault::SmtpLoginEarlyAccept);
    let r = smtp::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    assert_eq!(kind(&r), Some(ErrorKind::UnexpectedReply), "{r:?}");
    assert!(f.saw_auth());
    assert_no_password(&r, PASSWORD);
}

#[tokio::test]
async fn the_username_form_that_worked_is_the_only_login() {
    let f = FaultServer::start(Fault::ImapOnlyFullAddress);
    // Nothing recorded: the local part is refused, the full address works.
    let r = imap::check_pending(&f.settings(), &account(), &ready(PASSWORD)).await;
    let a = r.outcome.as_ref().expect("accepted");
    assert_eq!(a.username, ADDRESS);
    assert_eq!(a.rejected, [LOCAL]);
    assert_eq!(f.logins(), 2);

    // Recorded: exactly one LOGIN, no needless failure.
    let f = FaultServer::start(Fault::ImapOnlyFullAddress);
    let recorded = account().with_imap_username(Some(ADDRESS.into()));
    let r = imap::check_pending(&f.settings(), &recorded, &ready(PASSWORD)).await;
    assert!(r.accepted(), "{r:?}");
    assert_eq!(r.attempts, 1);
    assert_eq!(f.logins(), 1);
}

#[tokio::test]
async fn quit_is_sent_but_its_reply_never_awaited() {
    let f = FaultServer::start(Fault::SmtpSilentQuit);
    let mut settings = f.settings();
    settings.deadline = Duration::from_secs(5);
    let start = Instant::now();
    let r = smtp::check_pending(&settings, &account(), &ready(PASSWORD)).await;
    assert!(r.accepted(), "{r:?}");
    // Waiting for the 221 would have run into the deadline.
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    f.wait_served(1);
    assert!(f.quit_seen(), "QUIT was not sent");
}
