//! What a check says about a stored password, as a domain value
//! ([`CheckResult`], the word the config records); the application maps
//! it to its exit codes.

use crate::domain::mail::{CheckReport, ErrorKind};
use crate::domain::storage::CheckResult;

/// What a failure of this kind says about the password.
pub fn result_for_kind(kind: ErrorKind) -> CheckResult {
    match kind {
        ErrorKind::PasswordRejected => CheckResult::Rejected,
        ErrorKind::Dns
        | ErrorKind::ConnectionRefused
        | ErrorKind::Timeout
        | ErrorKind::UntrustedCertificate
        | ErrorKind::HostnameMismatch
        | ErrorKind::Tls
        | ErrorKind::ConnectionClosed
        | ErrorKind::UnexpectedReply
        | ErrorKind::StartTlsNotOffered
        | ErrorKind::ServerUnavailable
        | ErrorKind::Oversized
        | ErrorKind::StartTlsInjection
        | ErrorKind::Network => CheckResult::Network,
        ErrorKind::Cancelled | ErrorKind::CaFile => CheckResult::Error,
    }
}

/// What one check's report says about the password.
pub fn result_for_report(r: &CheckReport) -> CheckResult {
    match &r.outcome {
        Ok(_) => CheckResult::Ok,
        Err(f) => result_for_kind(f.kind),
    }
}

/// The more serious of two results: rejected > network > keyring > no
/// password > error > ok (the order of the exit codes' seriousness).
pub fn worse(a: CheckResult, b: CheckResult) -> CheckResult {
    fn rank(r: CheckResult) -> u8 {
        match r {
            CheckResult::Ok => 0,
            CheckResult::Error => 1,
            CheckResult::NoPassword => 2,
            CheckResult::Keyring => 3,
            CheckResult::Network => 4,
            CheckResult::Rejected => 5,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}
