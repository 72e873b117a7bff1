//! Installing an account's block into a client's config file without
//! harming what else is there.
//!
//! The block sits between `# >>> icloud-mail-setup EMAIL >>>` and
//! `# <<< icloud-mail-setup EMAIL <<<`. A new file gets just the block
//! (mode 0600); an existing one has its block replaced in place, or the
//! block appended, after a timestamped backup next to it (same mode).
//! Everything outside the block stays byte for byte. Markers that do not
//! pair up, a block inside another, or what the client's own check finds
//! (a section of the same name elsewhere) stop the write: nothing changes.
//! A symlinked config is written through to its target; the write is
//! atomic (temporary file, fsync, rename) and keeps the target's mode.
//! When the result equals the file, nothing is written at all.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::ExportError;

/// `# >>> icloud-mail-setup EMAIL >>>`
pub fn begin_marker(email: &str) -> String {
    format!("{BEGIN} {email} >>>")
}

/// `# <<< icloud-mail-setup EMAIL <<<`
pub fn end_marker(email: &str) -> String {
    format!("{END} {email} <<<")
}

const BEGIN: &str = "# >>> icloud-mail-setup";
const END: &str = "# <<< icloud-mail-setup";

/// `body` between the account's markers (`body` ends with a newline).
pub fn block(email: &str, body: &str) -> String {
    format!("{}\n{body}{}\n", begin_marker(email), end_marker(email))
}

/// A file's text split around where the block goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Everything before the block, as it was.
    pub before: String,
    /// The block, markers included.
    pub block: String,
    /// Everything after the block, as it was.
    pub after: String,
    /// Whether an earlier block was replaced (else the block is appended).
    pub replaced: bool,
    /// How many lines of the file as it is come before `after`.
    pub after_from: usize,
}

impl Placed {
    /// The whole new text.
    pub fn text(&self) -> String {
        format!("{}{}{}", self.before, self.block, self.after)
    }

    /// The lines before the block that are neither blank nor comments
    /// (`#`), trimmed, with their line numbers.
    pub fn lines_before(&self) -> Vec<(usize, &str)> {
        meaningful_lines(&self.before).collect()
    }

    /// The same for the lines after the block, numbered as in the file as
    /// it is (the one a refusal's reader opens), not as it would become.
    pub fn lines_after(&self) -> Vec<(usize, &str)> {
        meaningful_lines(&self.after)
            .map(|(n, l)| (n + self.after_from, l))
            .collect()
    }

    /// Both, in order.
    pub fn lines_outside(&self) -> Vec<(usize, &str)> {
        let mut v = self.lines_before();
        v.extend(self.lines_after());
        v
    }
}

/// A client's check of a placement: `Err` says why the block cannot go
/// there (e.g. the account's name is used outside the block).
pub type Check = dyn Fn(&Placed, &str) -> Result<(), String>;

/// Where `block` goes in `existing` (the file's text, `""` when new):
/// instead of the account's earlier block, else at the end after a blank
/// line. `Err` says why the markers do not allow a safe placement.
pub fn place(existing: &str, email: &str, block: &str) -> Result<Placed, String> {
    let ours = (begin_marker(email), end_marker(email));
    let mut open: Option<(usize, String, usize)> = None; // (line, email, byte offset)
    let mut found: Option<(usize, usize)> = None; // byte range of our block
    let mut found_line = 0;
    let mut offset = 0;
    for (i, raw) in existing.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim();
        let is_begin = t.starts_with(BEGIN);
        let is_end = t.starts_with(END);
        if !is_begin && !is_end {
            continue;
        }
        let who = marker_email(t).ok_or_else(|| {
            format!(
                "line {n} looks like an icloud-mail-setup marker but is damaged: `{}`",
                esc(t)
            )
        })?;
        if is_begin {
            if let Some((m, other, _)) = &open {
                return Err(format!(
                    "line {n}: a begin marker inside the block for {other} that starts on line {m}"
                ));
            }
            open = Some((n, who, start));
        } else {
            match open.take() {
                None => {
                    return Err(format!(
                        "line {n}: an end marker for {who} with no block open"
                    ));
                }
                Some((m, other, _)) if other != who => {
                    return Err(format!(
                        "line {n}: the end marker for {who} closes the block for {other} \
                         opened on line {m}"
                    ));
                }
                Some((m, _, begin_at)) => {
                    if who == email {
                        if line != ours.1 || !existing[begin_at..].starts_with(&ours.0) {
                            return Err(format!(
                                "lines {m}-{n}: the markers for {email} are indented or have \
                                 trailing text"
                            ));
                        }
                        if found.is_some() {
                            return Err(format!(
                                "two blocks for {email} (lines {found_line} and {m})"
                            ));
                        }
                        found = Some((begin_at, offset));
                        found_line = m;
                    }
                }
            }
        }
    }
    if let Some((m, who, _)) = open {
        return Err(format!(
            "the block for {who} that starts on line {m} is never closed"
        ));
    }
    Ok(match found {
        Some((a, b)) => Placed {
            before: existing[..a].to_string(),
            block: block.to_string(),
            after: existing[b..].to_string(),
            replaced: true,
            after_from: existing[..b].lines().count(),
        },
        None => {
            let mut before = existing.to_string();
            if !before.is_empty() {
                if !before.ends_with('\n') {
                    before.push('\n');
                }
                before.push('\n');
            }
            Placed {
                before,
                block: block.to_string(),
                after: String::new(),
                replaced: false,
                after_from: existing.lines().count(),
            }
        }
    })
}

/// The address in `# >>> icloud-mail-setup EMAIL >>>` or its end form.
fn marker_email(t: &str) -> Option<String> {
    let (rest, close) = if let Some(r) = t.strip_prefix(BEGIN) {
        (r, ">>>")
    } else {
        (t.strip_prefix(END)?, "<<<")
    };
    let who = rest
        .strip_prefix(' ')?
        .strip_suffix(close)?
        .strip_suffix(' ')?;
    (!who.is_empty() && !who.contains(char::is_whitespace)).then(|| esc(who))
}

fn esc(s: &str) -> String {
    crate::sys::text::escape_for_terminal(s).into_owned()
}

/// What `--write` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new file (mode 0600).
    Created { path: PathBuf },
    /// The file was changed; its previous content is in `backup`.
    Updated {
        path: PathBuf,
        backup: PathBuf,
        /// An earlier block was replaced (else the block was appended).
        replaced: bool,
    },
    /// The file already had exactly this: nothing was written.
    UpToDate { path: PathBuf },
}

impl Outcome {
    pub fn path(&self) -> &Path {
        match self {
            Outcome::Created { path }
            | Outcome::Updated { path, .. }
            | Outcome::UpToDate { path } => path,
        }
    }
}

/// The existing file a write goes to: resolved through symlinks, its text
/// and mode, refused when it is not a writable regular UTF-8 file.
pub(crate) struct Existing {
    pub target: PathBuf,
    /// `None`: no file yet.
    pub text: Option<String>,
    pub mode: u32,
}

pub(crate) fn read_existing(path: &Path) -> Result<Existing, ExportError> {
    let target = crate::domain::config::resolve(path);
    let meta = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Existing {
                target,
                text: None,
                mode: 0o600,
            });
        }
        Err(e) => return Err(io(&target, "could not be read", &e)),
    };
    if !meta.is_file() {
        return Err(ExportError::Placement {
            path: target,
            reason: "is not a regular file".into(),
        });
    }
    let mode = file_mode(&meta);
    if mode & 0o200 == 0 {
        return Err(ExportError::Io {
            path: target,
            message: format!(
                "is read-only (mode {:o}); make it writable (chmod u+w) to let \
                 icloud-mail-setup update it",
                mode & 0o777
            ),
        });
    }
    let bytes = std::fs::read(&target).map_err(|e| io(&target, "could not be read", &e))?;
    let text = String::from_utf8(bytes).map_err(|_| ExportError::Placement {
        path: target.clone(),
        reason: "is not UTF-8 text".into(),
    })?;
    Ok(Existing {
        target,
        text: Some(text),
        mode,
    })
}

#[cfg(unix)]
fn file_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn file_mode(meta: &std::fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o400
    } else {
        0o600
    }
}

fn io(path: &Path, what: &str, e: &std::io::Error) -> ExportError {
    ExportError::Io {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

/// Install `body` as `email`'s block in the file at `path` (see the
/// module comment). `check` is the client's own placement check.
pub fn install(
    path: &Path,
    email: &str,
    body: &str,
    check: &Check,
    now: SystemTime,
) -> Result<Outcome, ExportError> {
    let existing = read_existing(path)?;
    let old = existing.text.as_deref().unwrap_or("");
    let placed =
        place(old, email, &block(email, body)).map_err(|reason| ExportError::Placement {
            path: existing.target.clone(),
            reason,
        })?;
    check(&placed, email).map_err(|reason| ExportError::Placement {
        path: existing.target.clone(),
        reason,
    })?;
    let new = placed.text();
    commit(path, &existing, &new, placed.replaced, now)
}

/// Write `new` over `existing` (unless equal), after a backup.
pub(crate) fn commit(
    path: &Path,
    existing: &Existing,
    new: &str,
    replaced: bool,
    now: SystemTime,
) -> Result<Outcome, ExportError> {
    let path = path.to_path_buf();
    let target = &existing.target;
    match &existing.text {
        Some(old) if old == new => Ok(Outcome::UpToDate { path }),
        Some(old) => {
            let backup = backup(target, old, existing.mode, now)?;
            replace(target, new, existing.mode)?;
            Ok(Outcome::Updated {
                path,
                backup,
                replaced,
            })
        }
        None => {
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::domain::config::create_private_dir(dir)
                    .map_err(|e| io(dir, "could not create the directory", &e))?;
            }
            replace(target, new, 0o600)?;
            Ok(Outcome::Created { path })
        }
    }
}

fn replace(target: &Path, text: &str, mode: u32) -> Result<(), ExportError> {
    crate::sys::atomic_file::replace(target, text.as_bytes(), mode).map_err(|e| ExportError::Io {
        path: e.path.clone(),
        message: format!("{}: {}", e.what, e.source),
    })
}

/// `NAME.icloud-mail-setup-20261103T100000Z.bak` next to `target` (a
/// counter added if that exists), holding `text`, with `mode`.
pub(crate) fn backup(
    target: &Path,
    text: &str,
    mode: u32,
    now: SystemTime,
) -> Result<PathBuf, ExportError> {
    let stamp: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    for n in 1..100 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate =
            target.with_file_name(format!("{name}.icloud-mail-setup-{stamp}{suffix}.bak"));
        match crate::sys::atomic_file::create(&candidate, text.as_bytes(), mode) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.source.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(ExportError::Io {
                    path: e.path.clone(),
                    message: format!("the backup {}: {}", e.what, e.source),
                });
            }
        }
    }
    Err(ExportError::Io {
        path: target.to_path_buf(),
        message: "too many backups made this second".into(),
    })
}

/// The lines of `text` that are neither blank nor comments (`#`), with
/// their 1-based numbers.
fn meaningful_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim();
        (!t.is_empty() && !t.starts_with('#')).then_some((i + 1, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: &str = "emily@icloud.com";

    fn blk(body: &str) -> String {
        block(E, body)
    }

    #[test]
    fn a_new_file_is_the_block() {
        let p = place("", E, &blk("x\n")).unwrap();
        assert_eq!(
            p.text(),
            "# >>> icloud-mail-setup emily@icloud.com >>>\nx\n# <<< icloud-mail-setup emily@icloud.com <<<\n"
        );
        assert!(!p.replaced);
    }

    #[test]
    fn the_block_is_appended_after_a_blank_line_then_replaced_in_place() {
        let p = place("a = 1", E, &blk("x\n")).unwrap();
        assert_eq!(p.before, "a = 1\n\n");
        let once = p.text();
        let again = place(&once, E, &blk("x\n")).unwrap();
        assert!(again.replaced);
        assert_eq!(again.text(), once);
        let around = format!("top\n{}bottom\r\nend", blk("old\n"));
        let p = place(&around, E, &blk("new\n")).unwrap();
        assert_eq!(p.text(), format!("top\n{}bottom\r\nend", blk("new\n")));
    }

    #[test]
    fn other_accounts_blocks_are_left_alone() {
        let other = block("work@me.com", "w\n");
        let text = format!("{other}\n{}", blk("old\n"));
        let p = place(&text, E, &blk("new\n")).unwrap();
        assert_eq!(p.text(), format!("{other}\n{}", blk("new\n")));
        let p = place(&other, E, &blk("new\n")).unwrap();
        assert_eq!(p.before, format!("{other}\n"));
    }

    #[test]
    fn markers_that_do_not_pair_up_are_refused() {
        let b = begin_marker(E);
        let e = end_marker(E);
        let ob = begin_marker("work@me.com");
        let oe = end_marker("work@me.com");
        let cases = [
            (format!("{b}\nx\n"), "never closed"),
            (format!("x\n{e}\n"), "no block open"),
            (
                format!("{ob}\n{b}\nx\n{e}\n{oe}\n"),
                "inside the block for work@me.com",
            ),
            (format!("{b}\n{oe}\n"), "closes the block for"),
            (format!("{b}\n{e}\n{b}\n{e}\n"), "two blocks"),
            ("# >>> icloud-mail-setup\n".to_string(), "damaged"),
            (format!("  {b}\n{e}\n"), "indented"),
        ];
        for (text, why) in cases {
            let err = place(&text, E, &blk("new\n")).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn outside_lines_skip_blanks_and_comments_and_keep_file_line_numbers() {
        let text = format!("# c\n\n  a\n{}x\n #y\nb", blk("in\n"));
        let p = place(&text, E, &blk("new\nnew\n")).unwrap();
        // Numbered as in the file as it is (a refusal's reader opens that
        // one), not as in the longer file it would become.
        assert_eq!(p.lines_outside(), vec![(3, "a"), (7, "x"), (9, "b")]);
        assert_eq!(text.lines().nth(8), Some("b"));
    }
}
