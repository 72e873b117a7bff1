//! `git send-email` (git 2.26 or later): the `sendemail.*` keys and a
//! credential helper scoped to the SMTP server's URL.
//!
//! Written with git's own `git config --file` (the global config: the
//! file `$GIT_CONFIG_GLOBAL` names, else `~/.gitconfig`), not as a marked
//! block. The helper, `icloud-mail-setup git-credential`, answers git's
//! credential requests for that URL from the keyring.

use std::path::Path;

use super::double_quoted;
use super::install::{self, Outcome};
use super::{AccountView, ExportError, Paths, sent_copy_note};

pub use super::git_chain::{
    HelperEntry, chain_warning, helper_chain, read_helper_chain, unsafe_helper,
    unsafe_helper_message, url_applies,
};

const CLIENT: &str = "git";

/// The helper git runs for the password (`!`: a shell command).
pub fn helper(view: &AccountView) -> String {
    format!("!{}", view.invocation.git_credential_command())
}

/// A key and the values it must have, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub values: Vec<String>,
}

/// `smtp://USER@HOST:PORT`, the user percent-encoded: what git matches
/// the credential request of `git send-email` against.
pub fn credential_url(view: &AccountView) -> String {
    format!(
        "smtp://{}@{}:{}",
        super::aerc::url_user(&view.smtp_user),
        view.smtp.url_host(),
        view.smtp.port
    )
}

/// The keys `--write` sets for `view`.
pub fn settings(view: &AccountView) -> Vec<Setting> {
    let one = |key: &str, value: &str| Setting {
        key: key.to_string(),
        values: vec![value.to_string()],
    };
    let encryption = view.smtp.security.says("ssl", "tls");
    let mut v = vec![
        one("sendemail.smtpServer", &view.smtp.host),
        one("sendemail.smtpServerPort", &view.smtp.port.to_string()),
        one("sendemail.smtpEncryption", encryption),
        one("sendemail.smtpUser", &view.smtp_user),
        one("sendemail.from", &view.from),
    ];
    if let Some(ca) = &view.ca_file {
        v.push(one("sendemail.smtpSSLCertPath", ca));
    }
    // An empty helper first resets the list for this URL, so a general
    // helper (store, cache) earlier in the config never receives the
    // password to keep in a file of its own.
    v.push(Setting {
        key: format!("credential.{}.helper", credential_url(view)),
        values: vec![String::new(), helper(view)],
    });
    v
}

/// The keys as a gitconfig snippet (what `export git` prints; it can be
/// pasted into `~/.gitconfig` or `[include]`d).
pub fn render(view: &AccountView) -> Result<String, ExportError> {
    let mut s = format!(
        "# git send-email through iCloud Mail for {email}, written by icloud-mail-setup.\n\
         # Syntax: git 2.26 or later (credential.<url> matching).\n\
         # No password here: git asks the credential helper `icloud-mail-setup git-credential`,\n\
         # which answers from the system keyring for this SMTP server only (a new password\n\
         # reaches git by itself). The empty helper line first keeps other helpers (store,\n\
         # cache) from being asked to keep the password.\n\
         # `icloud-mail-setup export git --write` sets these with `git config --global`.\n\
         #\n\
         # git send-email files no copy of what it sends.\n",
        email = view.email,
    );
    s.push_str(&sent_copy_note(
        "Look there after a first send if you want one.",
    ));
    s.push_str("[sendemail]\n");
    let all = settings(view);
    for setting in all.iter().filter(|s| s.key.starts_with("sendemail.")) {
        let name = &setting.key["sendemail.".len()..];
        for value in &setting.values {
            s.push_str(&format!(
                "\t{name} = {}\n",
                double_quoted(CLIENT, "value", value)?
            ));
        }
    }
    s.push_str(&format!(
        "[credential {}]\n\thelper =\n\thelper = {}\n",
        double_quoted(CLIENT, "SMTP server", &credential_url(view))?,
        double_quoted(CLIENT, "helper", &helper(view))?
    ));
    Ok(s)
}

/// Set the keys in the gitconfig at `target` with `git config --file`:
/// nothing when they are already so; otherwise on a copy in the same
/// directory, which then replaces the file (after a backup), so the
/// change is whole or not at all.
pub fn write(
    view: &AccountView,
    target: &Path,
    paths: Option<&Paths>,
) -> Result<Outcome, ExportError> {
    // Without a PATH to search, `git` is left to the OS to find (and a
    // missing git is reported when it cannot be run).
    let git = paths
        .map(|p| {
            p.find_program("git")
                .ok_or_else(|| ExportError::Tool("git is not installed (not found on PATH)".into()))
        })
        .transpose()?
        .unwrap_or_else(|| std::path::PathBuf::from("git"));
    let wanted = settings(view);
    for s in &wanted {
        for v in &s.values {
            double_quoted(CLIENT, "value", v)?;
        }
    }
    let existing = install::read_existing(target)?;
    if existing.text.is_some() {
        let mut same = true;
        for s in &wanted {
            if get_all(&git, &existing.target, &s.key)? != s.values {
                same = false;
                break;
            }
        }
        if same {
            return Ok(Outcome::UpToDate {
                path: target.to_path_buf(),
            });
        }
    }
    let dir = match existing.target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    crate::domain::config::create_private_dir(&dir).map_err(|e| ExportError::Io {
        path: dir.clone(),
        message: format!("could not create the directory: {e}"),
    })?;
    let work = dir.join(format!(
        ".{}.icloud-mail-setup.{}.tmp",
        existing
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&work);
    let result = (|| {
        crate::sys::atomic_file::create(
            &work,
            existing.text.as_deref().unwrap_or("").as_bytes(),
            0o600,
        )
        .map_err(|e| ExportError::Io {
            path: e.path.clone(),
            message: format!("{}: {}", e.what, e.source),
        })?;
        for s in &wanted {
            let (first, rest) = s.values.split_first().expect("a setting has a value");
            run(&git, &work, &["--replace-all", &s.key, first])?;
            for v in rest {
                run(&git, &work, &["--add", &s.key, v])?;
            }
        }
        let new = std::fs::read_to_string(&work).map_err(|e| ExportError::Io {
            path: work.clone(),
            message: format!("could not be read back: {e}"),
        })?;
        install::commit(target, &existing, &new, true, std::time::SystemTime::now())
    })();
    let _ = std::fs::remove_file(&work);
    result
}

/// `git config --file FILE -z --get-all KEY`: the values, none when unset.
fn get_all(git: &Path, file: &Path, key: &str) -> Result<Vec<String>, ExportError> {
    let out = git_config(git, file, &["-z", "--get-all", key])?;
    match out.status.code() {
        Some(0) => Ok(out
            .stdout
            .split_terminator('\0')
            .map(str::to_string)
            .collect()),
        Some(1) => Ok(Vec::new()),
        _ => Err(ExportError::Tool(format!(
            "git config could not read {}: {}; nothing was changed",
            file.display(),
            out.stderr.trim()
        ))),
    }
}

fn run(git: &Path, file: &Path, args: &[&str]) -> Result<(), ExportError> {
    let out = git_config(git, file, args)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ExportError::Tool(format!(
            "git config {} failed: {}; nothing was changed",
            args.first().copied().unwrap_or_default(),
            out.stderr.trim()
        )))
    }
}

/// How long one `git config` may take.
pub(super) const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `git config --file FILE ARGS`, through the one process runner.
fn git_config(
    git: &Path,
    file: &Path,
    args: &[&str],
) -> Result<crate::sys::process::Ran, ExportError> {
    let mut argv: Vec<&std::ffi::OsStr> =
        vec!["config".as_ref(), "--file".as_ref(), file.as_os_str()];
    argv.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
    crate::sys::process::run(git, &argv, GIT_TIMEOUT)
        .map_err(|e| ExportError::Tool(format!("could not run git: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::tests::{apple_view, snapshot_both_views};

    snapshot_both_views!(render);

    #[test]
    fn the_helper_is_scoped_to_the_smtp_url_with_the_login() {
        let v = apple_view();
        assert_eq!(
            credential_url(&v),
            "smtp://emily%40icloud.com@smtp.mail.me.com:587"
        );
        let s = settings(&v);
        let helper = s.last().unwrap();
        assert_eq!(
            helper.key,
            "credential.smtp://emily%40icloud.com@smtp.mail.me.com:587.helper"
        );
        assert_eq!(
            helper.values,
            vec![
                "".to_string(),
                "!icloud-mail-setup git-credential".to_string()
            ]
        );
    }
}
