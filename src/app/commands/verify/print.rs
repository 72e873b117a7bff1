//! How `verify` shows a checked account: lines on stdout (errors and
//! notes on stderr), or its `--json` form; every value escaped.

use std::io::Write;

use serde::Serialize;

use crate::app::error::Error;
use crate::app::exit::Exit;
use crate::app::output::shown;
use crate::domain::check::{Checked, Verdict};
use crate::domain::mail::CheckReport;
use crate::domain::mail::diagnosis::{diagnose, summary_line};

/// One account in `verify --json`: `{email, imap, smtp}`, with `error`
/// (and `imap`, `smtp` null) when it could not be checked.
#[derive(Serialize)]
pub(super) struct AccountJson {
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    imap: Option<ReportJson>,
    smtp: Option<ReportJson>,
}

/// One check in `verify --json`.
#[derive(Serialize)]
struct ReportJson {
    ok: bool,
    username: Option<String>,
    rejected_usernames: Vec<String>,
    elapsed_ms: u64,
    error_kind: Option<&'static str>,
    message: String,
}

/// Print one account's check (text on `out` unless `json`, errors and
/// notes on `err`, every value escaped); its `--json` form.
pub(super) fn print_checked(
    c: &Checked,
    json: bool,
    ims: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> AccountJson {
    for note in &c.notes {
        let _ = writeln!(err, "{}", shown(note));
    }
    let email = shown(&c.email);
    let failed = |error: String| AccountJson {
        email: c.email.clone(),
        error: Some(error),
        imap: None,
        smtp: None,
    };
    let (imap, smtp) = match &c.verdict {
        Verdict::Checked { imap, smtp } => (imap, smtp),
        Verdict::BadEntry(m) => {
            Error::failure(format!("{}: {m}", c.email)).print(err);
            return failed(m.clone());
        }
        Verdict::NoPassword(store) => {
            let m = format!("no password for {} is stored in the {store}", c.email);
            let store_one = format!(
                "{m}. Store one with `{ims} store {} --password-stdin`.",
                c.email
            );
            Error::new(Exit::NoSuchAccount, store_one).print(err);
            return failed(m);
        }
        Verdict::Keyring(e) => {
            Error::keyring(e).print(err);
            return failed(e.to_string());
        }
        Verdict::Failed(m) | Verdict::Cancelled(m) => {
            Error::failure(m.clone()).print(err);
            return failed(m.clone());
        }
    };
    if !json {
        let _ = writeln!(out, "{email}:");
        if !c.settings.uses_default_servers() {
            let _ = writeln!(
                out,
                "  servers: IMAP {}, SMTP {} (not Apple's: recorded for this account or given)",
                shown(&c.settings.imap.to_string()),
                shown(&c.settings.smtp.to_string())
            );
        }
        // In the order they ended, as a live run would show them.
        let (first, second) = if smtp.elapsed < imap.elapsed {
            (smtp, imap)
        } else {
            (imap, smtp)
        };
        print_report_line(out, first);
        print_report_line(out, second);
        print_advice(out, &c.email, [imap, smtp]);
    }
    if let Some(e) = &c.unrecorded {
        let _ = writeln!(
            err,
            "warning: the result could not be recorded: {}",
            shown(e)
        );
    }
    AccountJson {
        email: c.email.clone(),
        error: None,
        imap: Some(report_json(imap)),
        smtp: Some(report_json(smtp)),
    }
}

/// `✓ IMAP  accepted as emily  (123 ms)`
pub(crate) fn print_report_line(out: &mut dyn Write, r: &CheckReport) {
    let mark = if r.accepted() { '✓' } else { '✗' };
    let _ = writeln!(
        out,
        "  {mark} {:<4}  {}  ({} ms)",
        r.protocol.label(),
        shown(&summary_line(r)),
        r.elapsed.as_millis()
    );
}

/// The diagnosis advice of the failed checks, indented, each once (both
/// checks failing the same way get one), worded for a command.
pub(crate) fn print_advice(out: &mut dyn Write, email: &str, reports: [&CheckReport; 2]) {
    let mut said: Vec<String> = Vec::new();
    for r in reports {
        if let Err(f) = &r.outcome {
            let d = diagnose(r.protocol, &r.endpoint, f.kind).for_command(email);
            if !d.advice.is_empty() && !said.contains(&d.advice) {
                let _ = writeln!(out, "    {}", shown(&d.advice));
                said.push(d.advice);
            }
        }
    }
}

fn report_json(r: &CheckReport) -> ReportJson {
    let (username, rejected, kind) = match &r.outcome {
        Ok(a) => (Some(a.username.clone()), a.rejected.clone(), None),
        Err(f) => (None, f.refused.clone(), Some(f.kind.id())),
    };
    ReportJson {
        ok: r.accepted(),
        username,
        rejected_usernames: rejected,
        elapsed_ms: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
        error_kind: kind,
        message: summary_line(r),
    }
}
