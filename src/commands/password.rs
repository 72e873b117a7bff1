//! `password EMAIL`: print the stored password and a newline, nothing else
//! on stdout (for mail clients' password commands).

use std::io::Write;

use super::Exit;
use super::verify::{
    email_arg, no_such_account, open_config, report_store_error, settle_if_pending,
};
use crate::cli::GlobalArgs;
use crate::secrets::SecretStore;

/// `password EMAIL` on stdout/stderr.
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, email: &str) -> Exit {
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, email, out, err)
}

/// `password` with its output streams given (for tests).
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    email: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let email = match email_arg(email, err) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let (path, config) = match open_config(globals, err) {
        Ok(pc) => pc,
        Err(e) => return e,
    };
    if config.find(email.as_str()).is_none() {
        return no_such_account(err, &email, &path);
    }
    // A save cut short is finished or rolled back before answering.
    settle_if_pending(store, &path, &config, email.as_str(), err);
    match store.get(email.as_str()) {
        Ok(Some(secret)) => {
            let written = out
                .write_all(secret.expose().as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            match written {
                Ok(()) => Exit::Ok,
                Err(e) => {
                    let _ = writeln!(err, "error: could not write the password: {e}");
                    Exit::Failure
                }
            }
        }
        Ok(None) => {
            let _ = writeln!(
                err,
                "error: {email} is configured but the {} holds no password for it. Store one \
                 with `icloud-mail-setup store {email} --password-stdin`.",
                store.name()
            );
            Exit::NoSuchAccount
        }
        Err(e) => report_store_error(err, &e),
    }
}
