//! What a copy went to, and clearing it again: only what still holds our
//! value.

use super::*;

/// A copy that was made, holding the value (zeroed on drop) so that
/// [`Copied::clear`] removes only what is still ours.
pub struct Copied {
    pub(super) secret: Secret,
    pub channels: Vec<Channel>,
    pub(super) notes: Vec<String>,
}

impl Copied {
    /// "OSC 52 (tmux) and xclip".
    pub fn summary(&self) -> String {
        describe_all(&self.channels)
    }

    /// Caveats worth a line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Empty every clipboard the value went to, where it is still ours.
    /// One line per channel saying what was done.
    pub fn clear(&self) -> Vec<String> {
        self.clear_report().lines
    }

    /// [`Copied::clear`], and whether it may still be on a clipboard.
    pub fn clear_report(&self) -> ClearReport {
        let mut report = ClearReport {
            lines: Vec::new(),
            failed: false,
        };
        for c in &self.channels {
            let (ok, line) = self.clear_one(c);
            report.failed |= !ok;
            report.lines.push(line);
        }
        report
    }

    /// Whether it is off that clipboard (or was never ours to clear), and
    /// a line saying what was done.
    fn clear_one(&self, channel: &Channel) -> (bool, String) {
        match channel {
            Channel::Osc52(Osc52::Tmux { .. }) => {
                let deleted = tmux_delete_buffers_holding(&self.secret);
                // An empty OSC 52 for the terminal outside; tmux forwards
                // it only with allow-passthrough on.
                let _ = write_tty(b"\x1bPtmux;\x1b\x1b]52;c;\x07\x1b\\");
                match deleted {
                    Ok(0) => (true, "no tmux buffer holds it any more".into()),
                    Ok(n) => (
                        true,
                        format!(
                            "tmux buffer{} deleted (if tmux passed it on to your terminal's own \
                             clipboard, that copy is emptied only with tmux's allow-passthrough \
                             on)",
                            if n == 1 { "" } else { "s" }
                        ),
                    ),
                    Err(e) => (false, format!("tmux buffers could not be cleared: {e}")),
                }
            }
            Channel::Osc52(route) => match write_tty(osc52_sequence(route, b"").as_bytes()) {
                Ok(()) => (true, "terminal clipboard emptied (OSC 52)".into()),
                Err(e) => (
                    false,
                    format!("the terminal could not be told to empty it: {e}"),
                ),
            },
            Channel::Tool(tool) => self.clear_tool(*tool),
        }
    }

    fn clear_tool(&self, tool: Tool) -> (bool, String) {
        let (Some((reader, read_args)), Some((clearer, clear_args))) =
            (tool.read_command(), tool.clear_command())
        else {
            return (
                false,
                format!(
                    "{} cannot be cleared: copy something else over it",
                    tool.name()
                ),
            );
        };
        let read = match run_program(reader, read_args, b"", true) {
            Ok(now) if still_ours(tool, &now, self.secret.expose().as_bytes()) => ReadBack::Ours,
            Ok(now) if now.is_empty() => ReadBack::Empty,
            Ok(_) => ReadBack::Other,
            Err(e) => ReadBack::Unknown(e),
        };
        clear_after_read_back(tool.name(), clearer, read, || {
            run_program(clearer, clear_args, b"", false).map(drop)
        })
    }
}

/// What a clipboard held when read back before clearing.
#[derive(Debug)]
enum ReadBack {
    Ours,
    Empty,
    /// Something the person copied since: theirs, not ours to clear.
    Other,
    /// The read failed or timed out: it may still hold ours.
    Unknown(String),
}

/// Clear unless the read back showed for sure that the clipboard no
/// longer holds ours. Whether it is off the clipboard, and what was done.
fn clear_after_read_back(
    name: &str,
    clearer: &str,
    read: ReadBack,
    clear: impl FnOnce() -> Result<(), String>,
) -> (bool, String) {
    let why = match read {
        ReadBack::Empty => return (true, format!("{name} no longer holds it")),
        ReadBack::Other => return (true, format!("{name} now holds something else: left alone")),
        ReadBack::Ours => None,
        ReadBack::Unknown(e) => Some(e),
    };
    match (clear(), why) {
        (Ok(()), None) => (true, format!("{name} emptied")),
        (Ok(()), Some(e)) => (
            true,
            format!("{name} could not be read back ({e}); emptied anyway"),
        ),
        (Err(e), _) => (false, format!("{clearer} failed to empty it: {e}")),
    }
}

/// What [`Copied::clear_report`] did.
#[derive(Debug)]
pub struct ClearReport {
    /// One line per channel.
    pub lines: Vec<String>,
    /// Some clipboard may still hold it.
    pub failed: bool,
}

/// Delete the tmux paste buffers whose content is exactly `secret`;
/// how many were.
fn tmux_delete_buffers_holding(secret: &Secret) -> Result<usize, String> {
    let want = secret.expose().as_bytes();
    let list = run_program(
        "tmux",
        &["list-buffers", "-F", "#{buffer_size} #{buffer_name}"],
        b"",
        true,
    )?;
    let list = String::from_utf8_lossy(&list).into_owned();
    let mut deleted = 0;
    for line in list.lines() {
        let Some((size, name)) = line.split_once(' ') else {
            continue;
        };
        if size.parse::<usize>() != Ok(want.len()) {
            continue;
        }
        let content = run_program("tmux", &["show-buffer", "-b", name], b"", true)?;
        if content.as_slice() == want {
            run_program("tmux", &["delete-buffer", "-b", name], b"", false)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
impl Copied {
    /// A registered copy that went nowhere, for tests of the registry.
    pub(crate) fn nowhere(secret: Secret) -> Copied {
        Copied {
            secret,
            channels: Vec::new(),
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a read back that shows other content (or nothing) skips the
    /// clear; one that failed or timed out clears anyway.
    #[test]
    fn clearing_skips_only_when_the_clipboard_is_known_to_hold_something_else() {
        let run = |read: ReadBack, result: Result<(), String>| {
            let mut cleared = false;
            let (ok, line) = clear_after_read_back("xclip", "xclip", read, || {
                cleared = true;
                result
            });
            (cleared, ok, line)
        };
        let (cleared, ok, line) = run(
            ReadBack::Unknown("xclip did not finish within 5 s and was stopped".into()),
            Ok(()),
        );
        assert!(cleared && ok, "{line}");
        assert!(line.contains("emptied anyway"), "{line}");
        let (cleared, ok, line) = run(
            ReadBack::Unknown("could not run xclip".into()),
            Err("no".into()),
        );
        assert!(cleared && !ok, "{line}");
        let (cleared, ok, _) = run(ReadBack::Ours, Ok(()));
        assert!(cleared && ok);
        let (cleared, ok, line) = run(ReadBack::Other, Ok(()));
        assert!(!cleared && ok && line.contains("left alone"), "{line}");
        let (cleared, ok, line) = run(ReadBack::Empty, Ok(()));
        assert!(
            !cleared && ok && line.contains("no longer holds it"),
            "{line}"
        );
    }
}
