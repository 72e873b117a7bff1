//! `list [--json]`: the configured accounts, whether the keyring holds each
//! password, and when it was last verified.

use std::io::Write;

use serde_json::{Value, json};

use super::Exit;
use super::verify::open_config;
use crate::cli::GlobalArgs;
use crate::keyring::SecretStore;

/// `list [--json]` on stdout/stderr.
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, json: bool) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, json, out, err)
}

/// `list` with its output streams given (for tests).
///
/// JSON: an array of `{email, login, label, password_stored, stored_at,
/// verified_at, rejected_since, checked_at, check_result, imap_username,
/// smtp_username, imap_server, smtp_server}`
/// where `password_stored` is `true`, `false`, or `null` when the keyring
/// could not be asked. Exit 0 even then (a note goes to stderr).
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let (_, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    if config.accounts.is_empty() {
        if json {
            let _ = writeln!(out, "[]");
        } else {
            let _ = writeln!(
                out,
                "No accounts yet. Add one with `icloud-mail-setup` (the wizard) or \
                 `icloud-mail-setup store EMAIL --password-stdin`."
            );
        }
        return Exit::Ok;
    }

    // Ask the keyring once whether it can answer at all.
    let reachable = match store.preflight() {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(
                err,
                "note: cannot tell which passwords are stored: {e}. {}",
                e.hint()
            );
            false
        }
    };
    let mut rows = Vec::new();
    for a in &config.accounts {
        let stored: Option<bool> = if reachable {
            store.exists(&a.email).ok()
        } else {
            None
        };
        rows.push((a, stored));
    }

    if json {
        let doc: Vec<Value> = rows
            .iter()
            .map(|(a, stored)| {
                json!({
                    "email": a.email,
                    "login": a.login,
                    "label": a.label,
                    "password_stored": stored,
                    "stored_at": a.stored_at,
                    "verified_at": a.verified_at,
                    "rejected_since": a.rejected_since,
                    "checked_at": a.checked_at,
                    "check_result": a.check_result,
                    "imap_username": a.imap_username,
                    "smtp_username": a.smtp_username,
                    "imap_server": a.imap_server,
                    "smtp_server": a.smtp_server,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let _ = writeln!(out, "{text}");
        return Exit::Ok;
    }

    let _ = writeln!(
        out,
        "{:<32} {:<32} {:<8} LAST VERIFIED",
        "EMAIL", "LOGIN", "KEYRING"
    );
    for (a, stored) in rows {
        let stored = match stored {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        };
        let _ = writeln!(
            out,
            "{:<32} {:<32} {:<8} {}",
            a.email,
            a.login,
            stored,
            a.verified_at.as_deref().unwrap_or("never")
        );
        if let Some(since) = &a.rejected_since {
            let _ = writeln!(
                out,
                "  rejected since {since} — fix: {}",
                super::scheduled::fix_command(&a.email, globals.config.as_deref())
            );
        }
    }
    let _ = writeln!(
        out,
        "Check everything between you and working mail (password, exported clients, \
         password command, git helpers): icloud-mail-setup doctor"
    );
    Exit::Ok
}
