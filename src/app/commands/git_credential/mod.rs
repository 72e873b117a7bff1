//! `git-credential get|store|erase`: a git credential helper, so that
//! `git send-email` takes the SMTP password from the keyring.
//!
//! Configured (by the git export) as
//! `credential."smtp://USER@HOST:PORT".helper = "!icloud-mail-setup git-credential"`;
//! git appends the action and writes the request on stdin: `key=value`
//! lines up to a blank line or EOF (see gitcredentials(7) and
//! git-credential(1), "INPUT/OUTPUT FORMAT").
//!
//! - `get`: for `protocol=smtp` and a `host` that is an account's SMTP
//!   server (Apple's `smtp.mail.me.com:587`, or the override the account
//!   recorded), answers `username` (the SMTP login that worked, else the
//!   login address) and `password` from the keyring. `git send-email`
//!   always sends `host=HOST:PORT` (it fills in the port before it
//!   authenticates) and the `username` from `sendemail.smtpUser`; a host
//!   without a port means 587. When a username is given, it picks the
//!   account (by SMTP login, login address or address). Anything else gets
//!   no answer and exit 0, so git asks its other helpers, then the person.
//! - `store`: git reports a login that worked. Nothing is written: the
//!   keyring entry changes only through a verified save.
//! - `erase`: git reports a login that failed. Nothing is deleted; for one
//!   of our accounts, a hint to run `icloud-mail-setup --account EMAIL`
//!   goes to stderr.
//! - Any other action is ignored, as the protocol asks of helpers.
//!
//! When the keyring cannot answer, `get` says why on stderr, answers
//! nothing and exits 5. Git ignores a helper's exit status: it goes on to
//! its next helper and then prompts, so the person still sees our message
//! and can still type a password. (`quit=1` would stop git outright, which
//! would also stop any other helper that could have answered.)
//!
//! The request is read with a bound: at most [`MAX_LINE`] bytes a line and
//! [`MAX_INPUT`] in all; beyond that the helper says so and answers
//! nothing. The password is written only to stdout, only in the `get`
//! answer; a password in a request (`store`, `erase`) is never kept.

mod request;

use std::io::Write;

use zeroize::Zeroizing;

pub use request::{MAX_INPUT, MAX_LINE, ProtocolError, Request, read_request, split_host};

use crate::app::checking::settle_if_pending;
use crate::app::cli::GitCredentialArgs;
use crate::app::context::{Context, Input};
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::settings_table::AccountServers;
use crate::domain::config::Config;
use crate::domain::mail::DEFAULT_SMTP;
use crate::sys::text::escape_for_terminal;

/// How the helper's own lines start.
const US: &str = "icloud-mail-setup git-credential: ";

/// Which account a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice<'a> {
    /// Not SMTP, or not one of the accounts' SMTP servers.
    NotOurs,
    One(&'a AccountServers),
    /// One of our SMTP servers, but no account logs in with that username.
    UnknownUser,
    /// Several accounts use that server and the request names none.
    Ambiguous,
}

/// The account `req` asks about, among `accounts`.
pub fn choose<'a>(req: &Request, accounts: &'a [AccountServers]) -> Choice<'a> {
    if !req
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("smtp"))
    {
        return Choice::NotOurs;
    }
    let Some((host, port)) = req.host.as_deref().and_then(split_host) else {
        return Choice::NotOurs;
    };
    let port = port.unwrap_or(DEFAULT_SMTP.1);
    let on_host: Vec<&AccountServers> = accounts
        .iter()
        .filter(|a| a.smtp.host.eq_ignore_ascii_case(&host) && a.smtp.port == port)
        .collect();
    if on_host.is_empty() {
        return Choice::NotOurs;
    }
    match req.username.as_deref() {
        Some(user) => {
            let by = |field: fn(&AccountServers) -> &str| {
                on_host
                    .iter()
                    .copied()
                    .find(|a| field(a).eq_ignore_ascii_case(user))
            };
            by(|a| &a.smtp_username)
                .or_else(|| by(|a| &a.login))
                .or_else(|| by(|a| &a.email))
                .map_or(Choice::UnknownUser, Choice::One)
        }
        None => match on_host.as_slice() {
            [one] => Choice::One(one),
            _ => Choice::Ambiguous,
        },
    }
}

/// `git-credential ACTION`: the request read from stdin, the answer (if
/// any) on stdout.
pub fn run(ctx: &Context<'_>, args: GitCredentialArgs) -> Result<Outcome, Error> {
    let action = args.action.as_str();
    if !matches!(action, "get" | "store" | "erase") {
        // "If a helper receives any other operation, it should silently
        // ignore the request" (gitcredentials(7)).
        return Ok(Outcome::OK);
    }
    let req = request(ctx)
        .map_err(|e| Error::bare(Exit::Failure, format!("{US}{e}; no answer given.")))?;
    // Only SMTP requests are ours: anything else (a helper configured for
    // every URL sees https too) leaves without reading the config.
    if !req
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("smtp"))
    {
        return Ok(Outcome::OK);
    }
    let (path, config, accounts) = our_accounts(ctx)?;
    let choice = choose(&req, &accounts);
    match (action, choice) {
        ("get", Choice::One(account)) => {
            if let Some(why) = unsafe_chain(&req) {
                return Err(Error::bare(
                    Exit::Failure,
                    format!("{US}no answer given for {}: {why}", account.email),
                ));
            }
            settle_if_pending(
                ctx.store(),
                &path,
                &config,
                &account.email,
                &mut **ctx.err(),
            );
            answer(ctx, &path, account)
        }
        ("get", choice) => {
            not_ours(ctx, &req, choice);
            Ok(Outcome::OK)
        }
        ("erase", Choice::One(account)) => {
            let _ = writeln!(
                ctx.err(),
                "icloud-mail-setup: git reports that the SMTP login as {} failed. The password \
                 stays in the keyring; if iCloud no longer accepts it (revoked, or your Apple \
                 Account password changed), run `{} --account {}` to check it \
                 and store a new one.",
                escape_for_terminal(&account.smtp_username),
                ctx.typed_command(),
                crate::sys::text::shell_quote(&account.email)
            );
            Ok(Outcome::OK)
        }
        // "store": the keyring changes only through a verified save.
        _ => Ok(Outcome::OK),
    }
}

/// The request on stdin (or the input given).
fn request(ctx: &Context<'_>) -> Result<Request, ProtocolError> {
    match &mut *ctx.input() {
        Input::Given(input) => read_request(&mut **input),
        Input::Stdin => read_request(&mut std::io::stdin().lock()),
        Input::Nothing => read_request(&mut std::io::empty()),
    }
}

/// Why answering would let git keep the password in a file (or another
/// store): a helper besides ours that git calls for this request, as
/// `git config` reads it here (git runs its helpers in the directory it
/// runs in, so a repository's own config counts). Not being able to tell
/// (no git on `PATH`, `git config` failing, a listing too long to read
/// whole) is a reason too. `None` when the chain is safe.
fn unsafe_chain(req: &Request) -> Option<String> {
    unsafe_chain_with(crate::sys::process::find("git").as_deref(), req)
}

fn unsafe_chain_with(git_program: Option<&std::path::Path>, req: &Request) -> Option<String> {
    use crate::domain::export::git;
    let host = req.host.as_deref()?;
    let Some(program) = git_program else {
        return Some(
            "git is not on PATH here, so which credential helpers git calls after ours \
             cannot be checked (one could keep the password in a file)"
                .to_string(),
        );
    };
    let chain = match git::read_helper_chain(program, host, req.username.as_deref()) {
        Ok(chain) => chain,
        Err(e) => {
            return Some(format!(
                "which credential helpers git calls after ours could not be checked \
                 (one could keep the password in a file): {}",
                escape_for_terminal(&e)
            ));
        }
    };
    let bad = git::unsafe_helper(&chain)?;
    let ours = chain.iter().find(|h| h.is_ours())?;
    let user = req
        .username
        .as_deref()
        .map(|u| format!("{}@", crate::domain::export::aerc::url_user(u)))
        .unwrap_or_default();
    let url = format!("smtp://{user}{host}");
    Some(git::unsafe_helper_message(bad, &url, &ours.value))
}

/// The config's path, contents, and the accounts it describes; entries
/// that do not parse are reported on stderr and left out.
fn our_accounts(
    ctx: &Context<'_>,
) -> Result<(std::path::PathBuf, Config, Vec<AccountServers>), Error> {
    let (path, config) = ctx.open_config()?;
    let mut accounts = Vec::with_capacity(config.accounts.len());
    for entry in &config.accounts {
        match AccountServers::of(entry) {
            Ok(a) => accounts.push(a),
            Err(m) => {
                let _ = writeln!(
                    ctx.err(),
                    "{US}skipping {}: {m} (in {})",
                    escape_for_terminal(&entry.email),
                    escape_for_terminal(&path.display().to_string())
                );
            }
        }
    }
    Ok((path, config, accounts))
}

/// A `get` that is not for exactly one of our accounts: nothing on
/// stdout, so git asks its other helpers; why, on stderr, when the host
/// is ours.
fn not_ours(ctx: &Context<'_>, req: &Request, choice: Choice<'_>) {
    let host = escape_for_terminal(req.host.as_deref().unwrap_or(""));
    let _ = match choice {
        Choice::UnknownUser => writeln!(
            ctx.err(),
            "{US}no configured account logs in to {host} as {}; no answer given \
             (`icloud-mail-setup list` shows the accounts).",
            escape_for_terminal(req.username.as_deref().unwrap_or(""))
        ),
        Choice::Ambiguous => writeln!(
            ctx.err(),
            "{US}several accounts send through {host}; set `git config sendemail.smtpUser \
             ADDRESS` so git says which. No answer given."
        ),
        Choice::NotOurs | Choice::One(_) => Ok(()),
    };
}

/// `username=` and `password=` for `account`, from the keyring.
fn answer(
    ctx: &Context<'_>,
    path: &std::path::Path,
    account: &AccountServers,
) -> Result<Outcome, Error> {
    let store = ctx.store();
    let secret = match store.get(&account.email) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(Error::bare(
                Exit::NoSuchAccount,
                format!(
                    "icloud-mail-setup: {} is configured but the {} holds no password for it. \
                     Run `{} --account {}` to store one.",
                    account.email,
                    store.name(),
                    ctx.typed_command(),
                    crate::sys::text::shell_quote(&account.email)
                ),
            ));
        }
        Err(e) => return Err(Error::keyring(&e).prefixed(US)),
    };
    // A value with a line break would end the answer early or add keys.
    let unsafe_value = |v: &str| v.contains(['\n', '\r', '\0']);
    if unsafe_value(&account.smtp_username) {
        return Err(Error::bare(
            Exit::Failure,
            format!(
                "icloud-mail-setup: the SMTP username recorded for {} has a line break; fix \
                 smtp_username in {}. No answer given.",
                account.email,
                path.display()
            ),
        ));
    }
    if unsafe_value(secret.expose()) {
        return Err(Error::bare(
            Exit::Failure,
            format!(
                "icloud-mail-setup: the keyring entry of {} has a line break, which no \
                 app-specific password has; run `{} --account {}` to replace \
                 it. No answer given.",
                account.email,
                ctx.typed_command(),
                crate::sys::text::shell_quote(&account.email)
            ),
        ));
    }
    let answer = Zeroizing::new(format!(
        "username={}\npassword={}\n",
        account.smtp_username,
        secret.expose()
    ));
    let out = &mut *ctx.out();
    out.write_all(answer.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            Error::bare(
                Exit::Failure,
                format!("icloud-mail-setup: could not answer git: {e}"),
            )
        })?;
    Ok(Outcome::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mail::Endpoint;

    fn parse(s: &str) -> Result<Request, ProtocolError> {
        read_request(&mut s.as_bytes())
    }

    fn servers(email: &str, smtp: (&str, u16), smtp_username: &str) -> AccountServers {
        AccountServers {
            email: email.into(),
            login: email.into(),
            imap: Endpoint::new("imap.mail.me.com", 993),
            imap_username: email.split('@').next().unwrap().into(),
            smtp: Endpoint::new(smtp.0, smtp.1),
            smtp_username: smtp_username.into(),
        }
    }

    #[test]
    fn choosing_the_account() {
        let apple = ("smtp.mail.me.com", 587);
        let accounts = vec![
            servers("emily@icloud.com", apple, "emily@icloud.com"),
            servers("work@me.com", apple, "work@me.com"),
            servers("test@icloud.com", ("127.0.0.1", 2587), "test@icloud.com"),
        ];
        let req = |s: &str| parse(s).unwrap();
        let email_of = |c: Choice<'_>| match c {
            Choice::One(a) => a.email.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            email_of(choose(
                &req("protocol=smtp\nhost=smtp.mail.me.com:587\nusername=Work@Me.com\n"),
                &accounts
            )),
            "work@me.com"
        );
        // No port: 587.
        assert_eq!(
            email_of(choose(
                &req("protocol=smtp\nhost=smtp.mail.me.com\nusername=emily@icloud.com\n"),
                &accounts
            )),
            "emily@icloud.com"
        );
        assert_eq!(
            email_of(choose(
                &req("protocol=smtp\nhost=127.0.0.1:2587\n"),
                &accounts
            )),
            "test@icloud.com"
        );
        assert_eq!(
            choose(
                &req("protocol=smtp\nhost=smtp.mail.me.com:587\n"),
                &accounts
            ),
            Choice::Ambiguous
        );
        assert_eq!(
            choose(
                &req("protocol=smtp\nhost=smtp.mail.me.com:587\nusername=someone@else.com\n"),
                &accounts
            ),
            Choice::UnknownUser
        );
        for other in [
            "protocol=https\nhost=smtp.mail.me.com:587\n",
            "protocol=smtp\nhost=smtp.gmail.com:587\n",
            "protocol=smtp\nhost=smtp.mail.me.com:465\n",
            "protocol=smtp\nhost=127.0.0.1\n",
            "protocol=smtp\n",
            "host=smtp.mail.me.com:587\n",
        ] {
            assert_eq!(choose(&req(other), &accounts), Choice::NotOurs, "{other}");
        }
    }

    #[test]
    fn a_custom_domain_is_found_by_its_login_or_address() {
        let mut a = servers(
            "me@example.org",
            ("smtp.mail.me.com", 587),
            "primary@icloud.com",
        );
        a.login = "primary@icloud.com".into();
        let accounts = [a];
        for user in ["primary@icloud.com", "me@example.org"] {
            let r = parse(&format!(
                "protocol=smtp\nhost=smtp.mail.me.com:587\nusername={user}\n"
            ))
            .unwrap();
            assert!(matches!(choose(&r, &accounts), Choice::One(_)), "{user}");
        }
    }
}

#[cfg(all(test, unix))]
mod chain_tests {
    use super::*;

    /// A `git` that runs `body` as a shell script.
    fn stub_git(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("git");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn request() -> Request {
        Request {
            protocol: Some("smtp".into()),
            host: Some("smtp.mail.me.com:587".into()),
            username: Some("emily@icloud.com".into()),
            ..Request::default()
        }
    }

    #[test]
    fn not_being_able_to_read_the_helper_list_is_unsafe() {
        let dir = tempfile::tempdir().unwrap();
        // No git at all.
        let why = unsafe_chain_with(None, &request()).expect("no git must not count as safe");
        assert!(why.contains("git is not on PATH"), "{why}");
        // git config failing, saying something with an escape sequence.
        let failing = stub_git(dir.path(), "printf 'bad \\033[31mconfig' >&2; exit 3");
        let why = unsafe_chain_with(Some(&failing), &request()).expect("a failure is unsafe");
        assert!(why.contains("could not be checked"), "{why}");
        assert!(!why.contains('\x1b'), "{why:?}");
        assert!(why.contains("\\x1b"), "{why:?}");
        // More output than is read: the helpers past the cut are unknown.
        let flooding = stub_git(
            dir.path(),
            "i=0; while [ $i -lt 3000 ]; do \
             printf 'file:/x\\0credential.helper\\ncache --timeout=999999999999\\0'; \
             i=$((i+1)); done",
        );
        let why = unsafe_chain_with(Some(&flooding), &request()).expect("a cut list is unsafe");
        assert!(why.contains("KiB"), "{why}");
    }

    #[test]
    fn no_helpers_configured_is_safe() {
        let dir = tempfile::tempdir().unwrap();
        // `git config --get-regexp` exits 1 when nothing matches.
        let none = stub_git(dir.path(), "exit 1");
        assert_eq!(unsafe_chain_with(Some(&none), &request()), None);
    }
}
