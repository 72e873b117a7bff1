//! Which `credential.helper` entries git would use for the SMTP server's
//! URL, read as git reads them (config order, resets, URL matching), and
//! the warning when one before ours would answer with another password.

use std::path::Path;

use super::git::{GIT_TIMEOUT, credential_url, helper};
use super::{AccountView, Paths};

/// One `credential.helper` entry git would use for a URL, where it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperEntry {
    /// As git reports it: `file:PATH`, `command line:`...
    pub origin: String,
    pub key: String,
    pub value: String,
}

impl HelperEntry {
    /// Whether this is our helper (`!... icloud-mail-setup... git-credential`).
    pub fn is_ours(&self) -> bool {
        let v = self.value.trim();
        v.starts_with('!') && v.contains("icloud-mail-setup") && v.ends_with(" git-credential")
    }

    /// The file it is set in, when it is set in a file.
    pub fn file(&self) -> Option<&str> {
        self.origin.strip_prefix("file:")
    }
}

/// Whether the URL part of a `credential.<url>.helper` key applies to an
/// SMTP request for `host` (`HOST:PORT`) as `user`, as git matches them
/// (gitcredentials(7)): the same scheme, the same host (a `*` label
/// matches one label), the same port when one is given, the same user
/// when one is given; the path is not looked at.
pub fn url_applies(pattern: &str, host: &str, user: Option<&str>) -> bool {
    let Some((scheme, rest)) = pattern.split_once("://") else {
        // No scheme: git takes it as a host alone; compare that.
        return host_matches(pattern, host);
    };
    if !scheme.eq_ignore_ascii_case("smtp") {
        return false;
    }
    let authority = rest.split('/').next().unwrap_or("");
    let (who, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(who) = who {
        let decoded = percent_decode(who.split(':').next().unwrap_or(""));
        if user != Some(decoded.as_str()) {
            return false;
        }
    }
    host_matches(hostport, host)
}

/// `pattern` (`HOST` or `HOST:PORT`, `*` labels allowed) against `host`
/// (`HOST:PORT`).
fn host_matches(pattern: &str, host: &str) -> bool {
    let split = |h: &str| -> (String, Option<String>) {
        match h.rsplit_once(':') {
            Some((n, p)) if !n.ends_with(':') && p.chars().all(|c| c.is_ascii_digit()) => {
                (n.to_ascii_lowercase(), Some(p.to_string()))
            }
            _ => (h.to_ascii_lowercase(), None),
        }
    };
    let (pn, pp) = split(pattern);
    let (hn, hp) = split(host);
    if pp.is_some() && pp != hp {
        return false;
    }
    let (pl, hl): (Vec<&str>, Vec<&str>) = (pn.split('.').collect(), hn.split('.').collect());
    pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| *p == "*" || p == h)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The helpers git calls, in order, for an SMTP request to `host` as
/// `user`, from `git config -z --show-origin --get-regexp` output: every
/// `credential.helper` and matching `credential.<url>.helper` in config
/// order, an empty value clearing the list so far (gitcredentials(7)).
pub fn helper_chain(listing: &str, host: &str, user: Option<&str>) -> Vec<HelperEntry> {
    let mut chain: Vec<HelperEntry> = Vec::new();
    let mut fields = listing.split('\0');
    while let (Some(origin), Some(kv)) = (fields.next(), fields.next()) {
        let (key, value) = kv.split_once('\n').unwrap_or((kv, ""));
        let lower = key.to_ascii_lowercase();
        let applies = if lower == "credential.helper" {
            true
        } else if lower.starts_with("credential.")
            && lower.ends_with(".helper")
            && key.len() > "credential.".len() + ".helper".len()
        {
            // The URL as written (case kept for the user part).
            url_applies(
                &key["credential.".len()..key.len() - ".helper".len()],
                host,
                user,
            )
        } else {
            false
        };
        if !applies {
            continue;
        }
        if value.is_empty() {
            chain.clear();
        } else {
            chain.push(HelperEntry {
                origin: origin.to_string(),
                key: key.to_string(),
                value: value.to_string(),
            });
        }
    }
    chain
}

/// What git would do with the password after a send that `helpers` makes
/// unsafe: the first helper other than ours, which git would hand the
/// password to keep (`store` writes it to ~/.git-credentials in plain
/// text; `cache` and credential managers keep it too).
pub fn unsafe_helper(chain: &[HelperEntry]) -> Option<&HelperEntry> {
    if !chain.iter().any(HelperEntry::is_ours) {
        return None;
    }
    chain.iter().find(|h| !h.is_ours())
}

/// Read the helper chain for an SMTP request to `host` as `user` with
/// `git` in the current directory (the repository git runs in, if any).
pub fn read_helper_chain(
    git: &Path,
    host: &str,
    user: Option<&str>,
) -> Result<Vec<HelperEntry>, String> {
    let ran = crate::sys::process::run(
        git,
        &[
            "config",
            "-z",
            "--show-origin",
            "--get-regexp",
            r"^credential\..*helper$",
        ],
        GIT_TIMEOUT,
    )?;
    if ran.stdout_truncated {
        // The helpers past the cut are unknown.
        return Err(format!(
            "`{} config` listed more credential helpers than are read ({} KiB)",
            git.display(),
            crate::sys::process::OUTPUT_LIMIT / 1024
        ));
    }
    match ran.status.code() {
        // git names a repository's config relative to where it runs.
        Some(0) => Ok(helper_chain(&ran.stdout, host, user)
            .into_iter()
            .map(|mut h| {
                if let Some(f) = h.file()
                    && let Ok(abs) = std::path::absolute(f)
                {
                    h.origin = format!("file:{}", abs.display());
                }
                h
            })
            .collect()),
        Some(1) => Ok(Vec::new()),
        _ => Err(format!("git config failed: {}", ran.said())),
    }
}

/// After an export: the warning when git, run here, would hand the
/// password of `view` to another helper (see [`unsafe_helper`]).
pub fn chain_warning(view: &AccountView, paths: Option<&Paths>) -> Option<String> {
    let program = paths?.find_program("git")?;
    let host = format!("{}:{}", view.smtp.url_host(), view.smtp.port);
    let chain = read_helper_chain(&program, &host, Some(&view.smtp_user)).ok()?;
    let bad = unsafe_helper(&chain)?;
    Some(unsafe_helper_message(
        bad,
        &credential_url(view),
        &helper(view),
    ))
}

/// The warning about `bad`, and the one command line that fixes it: in
/// the file where that helper is set, after it, an empty helper for `url`
/// (clearing the list) and ours again. `git config --add` puts a key into
/// the last section of its name, so our section (if that file has it,
/// before the helper) is removed first and written anew at the end.
pub fn unsafe_helper_message(bad: &HelperEntry, url: &str, ours: &str) -> String {
    let shown = crate::sys::text::escape_for_terminal;
    let q = |s: &str| crate::sys::text::shell_quote(s).into_owned();
    let section = format!("credential.{url}");
    let key = format!("{section}.helper");
    // A piece with a control character cannot go into a command line to
    // paste (shell quoting keeps it raw): then no command.
    let plain = |s: &str| matches!(shown(s), std::borrow::Cow::Borrowed(_));
    let fix = match bad.file() {
        Some(file) if [file, section.as_str(), ours].into_iter().all(plain) => format!(
            "git config --file {f} --remove-section {s} 2>/dev/null; \
             git config --file {f} --add {k} '' && git config --file {f} --add {k} {o}",
            f = q(file),
            s = q(&section),
            k = q(&key),
            o = q(ours)
        ),
        _ => format!(
            "remove `{}` from where it is set ({})",
            bad.value, bad.origin
        ),
    };
    let message = format!(
        "git would hand the password to the credential helper `{value}` (set as {k} in {origin}) \
         after each send, and it keeps what it is given ({what}). Fix: {fix}",
        value = bad.value,
        k = bad.key,
        origin = bad.origin,
        what = if bad.value.trim() == "store" || bad.value.trim().starts_with("store ") {
            "`store` writes it in plain text to ~/.git-credentials"
        } else {
            "in a file, in memory or in another keyring"
        },
    );
    // Every piece came from a config file or the request: all of it is
    // shown escaped.
    shown(&message).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_chain_is_read_in_config_order_with_resets() {
        let ours = "!/opt/ims/icloud-mail-setup --config /c.toml git-credential";
        let url = "smtp://emily%40icloud.com@smtp.mail.me.com:587";
        let listing = [
            ("file:/etc/gitconfig", "credential.helper", "cache"),
            (
                "file:/home/e/.gitconfig",
                &format!("credential.{url}.helper"),
                "",
            ),
            (
                "file:/home/e/.gitconfig",
                &format!("credential.{url}.helper"),
                ours,
            ),
            (
                "file:/home/e/.gitconfig",
                "credential.https://github.com.helper",
                "osxkeychain",
            ),
            ("file:.git/config", "credential.helper", "store"),
        ]
        .iter()
        .map(|(o, k, v)| format!("{o}\0{k}\n{v}\0"))
        .collect::<String>();
        let host = "smtp.mail.me.com:587";
        let chain = helper_chain(&listing, host, Some("emily@icloud.com"));
        let values: Vec<&str> = chain.iter().map(|h| h.value.as_str()).collect();
        // `cache` was reset by our empty line; github's is another URL.
        assert_eq!(values, [ours, "store"]);
        let bad = unsafe_helper(&chain).unwrap();
        assert_eq!(
            (bad.value.as_str(), bad.file()),
            ("store", Some(".git/config"))
        );
        let m = unsafe_helper_message(bad, url, ours);
        assert!(
            m.contains("`store`") && m.contains(".git-credentials"),
            "{m}"
        );
        assert!(
            m.contains(&format!(
                "git config --file .git/config --add credential.{url}.helper '{ours}'"
            )),
            "{m}"
        );
        // Ours alone, or no helper of ours at all: nothing to say.
        assert_eq!(unsafe_helper(&chain[..1]), None);
        assert_eq!(unsafe_helper(&chain[1..]), None);
    }

    #[test]
    fn credential_urls_match_as_git_matches_them() {
        let host = "smtp.mail.me.com:587";
        let user = Some("emily@icloud.com");
        for yes in [
            "smtp://smtp.mail.me.com",
            "smtp://smtp.mail.me.com:587",
            "smtp://emily%40icloud.com@smtp.mail.me.com:587",
            "smtp://*.mail.me.com",
            "SMTP://SMTP.mail.me.com/path",
        ] {
            assert!(url_applies(yes, host, user), "{yes}");
        }
        for no in [
            "https://smtp.mail.me.com",
            "smtp://smtp.mail.me.com:465",
            "smtp://other%40icloud.com@smtp.mail.me.com",
            "smtp://mail.me.com",
            "smtp://*.me.com",
        ] {
            assert!(!url_applies(no, host, user), "{no}");
        }
    }

    #[test]
    fn the_helper_warning_shows_control_characters_escaped_and_no_command_then() {
        let bad = HelperEntry {
            origin: "file:/home/e/.gitconfig".into(),
            key: "credential.\x1b]0;owned\x07smtp://x.helper".into(),
            value: "store".into(),
        };
        let m = unsafe_helper_message(&bad, "smtp://e@smtp.mail.me.com:587", "!ours");
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(m.contains("\\x1b]0;owned\\x07"), "{m}");
        assert!(
            m.contains("git config --file"),
            "a plain file still gets its fix: {m}"
        );
        // A control character in what the command would carry: no command.
        let bad = HelperEntry {
            origin: "file:/home/e/\x1b[2J.gitconfig".into(),
            key: "credential.helper".into(),
            value: "store".into(),
        };
        let m = unsafe_helper_message(&bad, "smtp://e@smtp.mail.me.com:587", "!ours");
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(!m.contains("git config --file"), "{m}");
        assert!(m.contains("\\x1b[2J"), "{m}");
        let m = unsafe_helper_message(
            &HelperEntry {
                origin: "file:/home/e/.gitconfig".into(),
                key: "credential.helper".into(),
                value: "store".into(),
            },
            "smtp://e@smtp.mail.me.com:587",
            "!ours \u{9b}31m",
        );
        assert!(!m.contains("git config --file"), "{m}");
        assert!(!m.chars().any(char::is_control), "{m:?}");
    }
}
