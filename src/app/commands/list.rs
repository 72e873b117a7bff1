//! `list [--json]`: the configured accounts, whether the keyring holds each
//! password, and when it was last verified.

use std::io::Write;

use serde::Serialize;

use crate::app::cli::ListArgs;
use crate::app::context::{ADD_ONE, Context};
use crate::app::error::{Error, Outcome};
use crate::app::output::{self, shown};

/// One account in `list --json`.
#[derive(Serialize)]
struct Row<'a> {
    email: &'a str,
    login: &'a str,
    label: Option<&'a str>,
    password_stored: Option<bool>,
    /// `secret-service` or `pass` (see keyring_choice).
    keyring: Option<&'static str>,
    stored_at: Option<&'a str>,
    verified_at: Option<&'a str>,
    rejected_since: Option<&'a str>,
    checked_at: Option<&'a str>,
    check_result: Option<&'a str>,
    imap_username: Option<&'a str>,
    smtp_username: Option<&'a str>,
    imap_server: Option<&'a str>,
    smtp_server: Option<&'a str>,
}

/// `list [--json]`.
///
/// JSON: an array of `{email, login, label, password_stored, keyring,
/// stored_at, verified_at, rejected_since, checked_at, check_result,
/// imap_username, smtp_username, imap_server, smtp_server}`
/// where `password_stored` is `true`, `false`, or `null` when the keyring
/// could not be asked, and `keyring` is where the password is kept
/// (`secret-service` or `pass`). Exit 0 even then (a note goes to stderr).
pub fn run(ctx: &Context<'_>, args: ListArgs) -> Result<Outcome, Error> {
    let json = args.json;
    let (_, config) = ctx.open_config()?;
    let store = ctx.store();
    let out = &mut *ctx.out();
    if config.accounts.is_empty() {
        if json {
            let _ = output::json(out, &[0u8; 0]);
        } else {
            let _ = writeln!(out, "No accounts yet. {ADD_ONE}");
        }
        return Ok(Outcome::OK);
    }

    // Ask the keyring once whether it can answer at all.
    let reachable = match store.preflight() {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(
                ctx.err(),
                "note: cannot tell which passwords are stored: {}. {}",
                shown(&e.to_string()),
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
        let doc: Vec<Row<'_>> = rows
            .iter()
            .map(|(a, stored)| Row {
                email: &a.email,
                login: &a.login,
                label: a.label.as_deref(),
                password_stored: *stored,
                keyring: store.kind_for(&a.email).map(|k| k.id()),
                stored_at: a.stored_at.as_deref(),
                verified_at: a.verified_at.as_deref(),
                rejected_since: a.rejected_since.as_deref(),
                checked_at: a.checked_at.as_deref(),
                check_result: a.check_result.as_deref(),
                imap_username: a.imap_username.as_deref(),
                smtp_username: a.smtp_username.as_deref(),
                imap_server: a.imap_server.as_deref(),
                smtp_server: a.smtp_server.as_deref(),
            })
            .collect();
        let _ = output::json(out, &doc);
        return Ok(Outcome::OK);
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
            shown(&a.email),
            shown(&a.login),
            stored,
            shown(a.verified_at.as_deref().unwrap_or("never"))
        );
        if let Some(since) = &a.rejected_since {
            let _ = writeln!(
                out,
                "  rejected since {} — fix: {}",
                shown(since),
                shown(&super::scheduled::fix_command(&a.email, ctx.config_given()))
            );
        }
    }
    let _ = writeln!(
        out,
        "Check everything between you and working mail (password, exported clients, \
         password command, git helpers): {} doctor",
        shown(&ctx.typed_command())
    );
    Ok(Outcome::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::{MemoryStore, StoreError};

    #[test]
    fn what_the_keyring_and_the_config_say_reaches_the_terminal_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n\
             label = \"caf\u{e9} \u{2713}\"\nrejected_since = \"2026-01-01T00:00:00Z\"\n",
        )
        .unwrap();
        let globals = crate::app::cli::GlobalArgs {
            config: Some(path),
            ..Default::default()
        };
        let store = MemoryStore::failing(StoreError::Other(
            "bus said \u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}".into(),
        ));
        for json in [false, true] {
            let ctx = Context::new(&globals, &store).unwrap();
            let (code, out, err) = ctx.capture(|ctx| run(ctx, ListArgs { json }));
            assert_eq!(code, crate::app::exit::Exit::Ok);
            for text in [&out, &err] {
                crate::app::output::assert_inert(text, "list");
            }
            assert!(
                err.contains(r"bus said \x1b]0;pwned\x07\u{009b}2J\u{202e}"),
                "{err}"
            );
            if json {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v[0]["label"], "caf\u{e9} \u{2713}");
                assert_eq!(v[0]["password_stored"], serde_json::Value::Null);
            } else {
                assert!(out.contains("rejected since 2026-01-01T00:00:00Z"), "{out}");
            }
        }
    }
}
