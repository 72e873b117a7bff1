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

use std::io::{BufRead, Read, Write};

use zeroize::Zeroizing;

use super::Exit;
use super::verify::{load_config, report_store_error};
use crate::app::checking::settle_if_pending;
use crate::app::cli::GlobalArgs;
use crate::app::settings_table::AccountServers;
use crate::domain::config::Config;
use crate::domain::keyring::SecretStore;
use crate::domain::mail::DEFAULT_SMTP;
use crate::sys::text::escape_for_terminal;

/// The longest request line accepted, newline excluded.
pub const MAX_LINE: usize = 8 * 1024;
/// The most bytes of request read in all.
pub const MAX_INPUT: usize = 64 * 1024;

/// The parts of a request the helper looks at. A password in the request
/// is noted, never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub protocol: Option<String>,
    /// As git sends it: `HOST` or `HOST:PORT` (`[V6]:PORT`).
    pub host: Option<String>,
    pub path: Option<String>,
    pub username: Option<String>,
    pub has_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("a request line is longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("the request is longer than {MAX_INPUT} bytes")]
    TooLong,
    #[error("request line {0} is not key=value")]
    NotKeyValue(usize),
    #[error("request line {0} has a NUL byte")]
    Nul(usize),
    #[error("the url= in the request has no scheme (want e.g. smtp://host:587)")]
    BadUrl,
    #[error("could not read the request: {0}")]
    Io(String),
}

/// Read one request: `key=value` lines until a blank line or EOF, with
/// the bounds above. Unknown keys are ignored; `url=` is split into its
/// parts as git does (it replaces what came before it).
pub fn read_request(input: &mut dyn BufRead) -> Result<Request, ProtocolError> {
    let mut req = Request::default();
    let mut total = 0usize;
    // Room for a whole line up front, so the buffer (which may hold a
    // password) is never reallocated and left behind unzeroed.
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE + 2));
    for number in 1.. {
        line.clear();
        let n = Read::take(&mut *input, (MAX_LINE + 2) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| ProtocolError::Io(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n;
        if total > MAX_INPUT {
            return Err(ProtocolError::TooLong);
        }
        let mut content: &[u8] = &line;
        content = content.strip_suffix(b"\n").unwrap_or(content);
        content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.len() > MAX_LINE {
            return Err(ProtocolError::LineTooLong);
        }
        if content.is_empty() {
            break;
        }
        if content.contains(&0) {
            return Err(ProtocolError::Nul(number));
        }
        let Some(eq) = content.iter().position(|&b| b == b'=') else {
            return Err(ProtocolError::NotKeyValue(number));
        };
        let (key, value) = (&content[..eq], &content[eq + 1..]);
        let text = || String::from_utf8_lossy(value).into_owned();
        match key {
            b"protocol" => req.protocol = Some(text()),
            b"host" => req.host = Some(text()),
            b"path" => req.path = Some(text()),
            b"username" => req.username = Some(text()),
            b"password" => req.has_password = true,
            b"url" => req = from_url(&String::from_utf8_lossy(value))?,
            _ => {}
        }
    }
    Ok(req)
}

/// `scheme://[user[:password]@]host[:port][/path]`, as git splits it;
/// user, host and path percent-decoded. The password part is not kept.
fn from_url(url: &str) -> Result<Request, ProtocolError> {
    let (scheme, rest) = url.split_once("://").ok_or(ProtocolError::BadUrl)?;
    if scheme.is_empty() {
        return Err(ProtocolError::BadUrl);
    }
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, has_password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((name, _)) => (Some(name), true),
            None => (Some(u), false),
        },
        None => (None, false),
    };
    Ok(Request {
        protocol: Some(scheme.to_string()),
        host: (!host.is_empty()).then(|| percent_decode(host)),
        path: path.filter(|p| !p.is_empty()).map(percent_decode),
        username: user.map(percent_decode),
        has_password,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `HOST`, `HOST:PORT` or `[V6]:PORT` into a lowercased host and the port
/// (`None` when absent). `None` when the port is not a number.
pub fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => (h, Some(p.strip_prefix(':')?)),
            None => return None,
        }
    } else {
        match host.split_once(':') {
            // Bare IPv6 without brackets: all host.
            Some((_, p)) if p.contains(':') => (host, None),
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
        None => None,
    };
    Some((name.to_ascii_lowercase(), port))
}

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

/// `git-credential ACTION` on stdin/stdout/stderr.
pub fn run(globals: &GlobalArgs, store: &dyn SecretStore, action: &str) -> Exit {
    let input = &mut std::io::stdin().lock();
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr().lock();
    run_with(globals, store, action, input, out, err)
}

/// `git-credential` with its streams given (for tests).
pub fn run_with(
    globals: &GlobalArgs,
    store: &dyn SecretStore,
    action: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    if !matches!(action, "get" | "store" | "erase") {
        // "If a helper receives any other operation, it should silently
        // ignore the request" (gitcredentials(7)).
        return Exit::Ok;
    }
    let req = match read_request(input) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                err,
                "icloud-mail-setup git-credential: {e}; no answer given."
            );
            return Exit::Failure;
        }
    };
    // Only SMTP requests are ours: anything else (a helper configured for
    // every URL sees https too) leaves without reading the config.
    if !req
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("smtp"))
    {
        return Exit::Ok;
    }
    let (path, config, accounts) = match our_accounts(globals, err) {
        Ok(pca) => pca,
        Err(e) => return e,
    };
    let choice = choose(&req, &accounts);
    match action {
        "get" => {
            if let Choice::One(account) = choice {
                if let Some(why) = unsafe_chain(&req) {
                    let _ = writeln!(
                        err,
                        "icloud-mail-setup git-credential: no answer given for {}: {why}",
                        account.email
                    );
                    return Exit::Failure;
                }
                settle_if_pending(store, &path, &config, &account.email, err);
            }
            get(store, &path, &req, choice, out, err)
        }
        "erase" => {
            if let Choice::One(account) = choice {
                let _ = writeln!(
                    err,
                    "icloud-mail-setup: git reports that the SMTP login as {} failed. The \
                     password stays in the keyring; if iCloud no longer accepts it (revoked, or \
                     your Apple Account password changed), run `icloud-mail-setup --account {}` \
                     to check it and store a new one.",
                    escape_for_terminal(&account.smtp_username),
                    crate::sys::text::shell_quote(&account.email)
                );
            }
            Exit::Ok
        }
        // "store": the keyring changes only through a verified save.
        _ => Exit::Ok,
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
/// that do not parse are reported on `err` and left out.
fn our_accounts(
    globals: &GlobalArgs,
    err: &mut dyn Write,
) -> Result<(std::path::PathBuf, Config, Vec<AccountServers>), Exit> {
    let path = super::verify::config_path(globals, err)?;
    let config = load_config(&path, err)?;
    let mut accounts = Vec::with_capacity(config.accounts.len());
    for entry in &config.accounts {
        match AccountServers::of(entry) {
            Ok(a) => accounts.push(a),
            Err(m) => {
                let _ = writeln!(
                    err,
                    "icloud-mail-setup git-credential: skipping {}: {m} (in {})",
                    escape_for_terminal(&entry.email),
                    path.display()
                );
            }
        }
    }
    Ok((path, config, accounts))
}

fn get(
    store: &dyn SecretStore,
    path: &std::path::Path,
    req: &Request,
    choice: Choice<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let account = match choice {
        Choice::One(a) => a,
        Choice::NotOurs => return Exit::Ok,
        Choice::UnknownUser => {
            let _ = writeln!(
                err,
                "icloud-mail-setup git-credential: no configured account logs in to {} as {}; \
                 no answer given (`icloud-mail-setup list` shows the accounts).",
                escape_for_terminal(req.host.as_deref().unwrap_or("")),
                escape_for_terminal(req.username.as_deref().unwrap_or(""))
            );
            return Exit::Ok;
        }
        Choice::Ambiguous => {
            let _ = writeln!(
                err,
                "icloud-mail-setup git-credential: several accounts send through {}; set \
                 `git config sendemail.smtpUser ADDRESS` so git says which. No answer given.",
                escape_for_terminal(req.host.as_deref().unwrap_or(""))
            );
            return Exit::Ok;
        }
    };
    let secret = match store.get(&account.email) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let _ = writeln!(
                err,
                "icloud-mail-setup: {} is configured but the {} holds no password for it. \
                 Run `icloud-mail-setup --account {}` to store one.",
                account.email,
                store.name(),
                crate::sys::text::shell_quote(&account.email)
            );
            return Exit::NoSuchAccount;
        }
        Err(e) => {
            let _ = write!(err, "icloud-mail-setup git-credential: ");
            return report_store_error(err, &e);
        }
    };
    // A value with a line break would end the answer early or add keys.
    let unsafe_value = |v: &str| v.contains(['\n', '\r', '\0']);
    if unsafe_value(&account.smtp_username) {
        let _ = writeln!(
            err,
            "icloud-mail-setup: the SMTP username recorded for {} has a line break; fix \
             smtp_username in {}. No answer given.",
            account.email,
            path.display()
        );
        return Exit::Failure;
    }
    if unsafe_value(secret.expose()) {
        let _ = writeln!(
            err,
            "icloud-mail-setup: the keyring entry of {} has a line break, which no \
             app-specific password has; run `icloud-mail-setup --account {}` to replace it. \
             No answer given.",
            account.email,
            crate::sys::text::shell_quote(&account.email)
        );
        return Exit::Failure;
    }
    let answer = Zeroizing::new(format!(
        "username={}\npassword={}\n",
        account.smtp_username,
        secret.expose()
    ));
    match out.write_all(answer.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            let _ = writeln!(err, "icloud-mail-setup: could not answer git: {e}");
            Exit::Failure
        }
    }
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
    fn reads_what_git_send_email_sends() {
        let r = parse(
            "capability[]=authtype\nprotocol=smtp\nhost=smtp.mail.me.com:587\n\
             username=emily@icloud.com\n\nprotocol=ignored-after-blank\n",
        )
        .unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("smtp.mail.me.com:587"));
        assert_eq!(r.username.as_deref(), Some("emily@icloud.com"));
        assert!(!r.has_password);
    }

    #[test]
    fn eof_without_blank_line_crlf_and_later_keys_win() {
        let r = parse("protocol=https\r\nprotocol=smtp\r\nhost=a=b").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("a=b"));
        assert_eq!(parse("").unwrap(), Request::default());
    }

    #[test]
    fn passwords_in_requests_are_noted_not_kept() {
        let r = parse("protocol=smtp\npassword=abcd-efgh-ijkl-mnop\n").unwrap();
        assert!(r.has_password);
        assert!(!format!("{r:?}").contains("abcd"));
    }

    #[test]
    fn url_is_split_like_git_does() {
        let r = parse("host=old\nurl=smtp://emily%40icloud.com@smtp.mail.me.com:587\n").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("smtp.mail.me.com:587"));
        assert_eq!(r.username.as_deref(), Some("emily@icloud.com"));
        assert_eq!(r.path, None);
        let r = parse("url=https://u:secret@example.com/a/b%20c\n").unwrap();
        assert_eq!(r.host.as_deref(), Some("example.com"));
        assert_eq!(r.path.as_deref(), Some("a/b c"));
        assert_eq!(r.username.as_deref(), Some("u"));
        assert!(r.has_password);
        assert!(!format!("{r:?}").contains("secret"));
        assert_eq!(parse("url=example.com\n"), Err(ProtocolError::BadUrl));
        // A stray % is kept as it is.
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn bounds_and_malformed_lines() {
        let long = format!("host={}\n", "a".repeat(MAX_LINE));
        assert_eq!(parse(&long), Err(ProtocolError::LineTooLong));
        // Exactly MAX_LINE bytes of line is fine.
        let ok = format!("host={}\n", "a".repeat(MAX_LINE - 5));
        assert!(parse(&ok).is_ok());
        let many = "x-unknown=1234567\n".repeat(MAX_INPUT / 18 + 1);
        assert_eq!(parse(&many), Err(ProtocolError::TooLong));
        assert_eq!(
            parse("protocol=smtp\nnonsense\n"),
            Err(ProtocolError::NotKeyValue(2))
        );
        assert_eq!(parse("host=a\0b\n"), Err(ProtocolError::Nul(1)));
        // An endless line without a newline stops at the bound.
        let mut endless = std::io::repeat(b'a');
        let mut reader = std::io::BufReader::new(&mut endless);
        assert_eq!(read_request(&mut reader), Err(ProtocolError::LineTooLong));
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            split_host("SMTP.mail.me.com:587"),
            Some(("smtp.mail.me.com".into(), Some(587)))
        );
        assert_eq!(
            split_host("smtp.mail.me.com"),
            Some(("smtp.mail.me.com".into(), None))
        );
        assert_eq!(split_host("[::1]:1587"), Some(("::1".into(), Some(1587))));
        assert_eq!(split_host("[::1]"), Some(("::1".into(), None)));
        assert_eq!(split_host("::1"), Some(("::1".into(), None)));
        assert_eq!(split_host("h:x"), None);
        assert_eq!(split_host("h:0"), None);
        assert_eq!(split_host("[::1]x"), None);
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
