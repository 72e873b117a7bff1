//! The platform's clipboard programs: how each is run to copy, read back
//! and clear, and the one way they are run (the secret on stdin, bounded,
//! with a deadline).

use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

/// How long one clipboard program may take.
pub(super) const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether what `tool`'s reader printed is exactly `ours` (PowerShell's
/// `Get-Clipboard` ends its output with a line end of its own).
pub(super) fn still_ours(tool: Tool, read: &[u8], ours: &[u8]) -> bool {
    let read = match tool {
        Tool::ClipExe => read
            .strip_suffix(b"\r\n")
            .or_else(|| read.strip_suffix(b"\n"))
            .unwrap_or(read),
        _ => read,
    };
    read == ours
}

/// The most read back from a clipboard (ours is 19 bytes).
pub(super) const READ_BACK_LIMIT: u64 = 4096;

/// A platform clipboard program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    WlCopy,
    Xclip,
    Xsel,
    Pbcopy,
    ClipExe,
}

type Invocation = (&'static str, &'static [&'static str]);

impl Tool {
    pub fn name(self) -> &'static str {
        self.copy_command().0
    }

    /// Puts stdin on the clipboard.
    pub(super) fn copy_command(self) -> Invocation {
        match self {
            Tool::WlCopy => ("wl-copy", &[]),
            Tool::Xclip => ("xclip", &["-selection", "clipboard", "-in"]),
            Tool::Xsel => ("xsel", &["--clipboard", "--input"]),
            Tool::Pbcopy => ("pbcopy", &[]),
            Tool::ClipExe => ("clip.exe", &[]),
        }
    }

    /// Prints the clipboard, to clear only what is still ours.
    pub(super) fn read_command(self) -> Option<Invocation> {
        match self {
            Tool::WlCopy => Some(("wl-paste", &["--no-newline"])),
            Tool::Xclip => Some(("xclip", &["-selection", "clipboard", "-out"])),
            Tool::Xsel => Some(("xsel", &["--clipboard", "--output"])),
            Tool::Pbcopy => Some(("pbpaste", &[])),
            // Windows PowerShell, on every Windows since 10 (prints a line
            // end after the text: see `clear_tool`).
            Tool::ClipExe => Some(("powershell.exe", POWERSHELL_GET)),
        }
    }

    /// Empties the clipboard (run with empty stdin).
    pub(super) fn clear_command(self) -> Option<Invocation> {
        match self {
            Tool::WlCopy => Some(("wl-copy", &["--clear"])),
            Tool::Xclip => Some(("xclip", &["-selection", "clipboard", "-in"])),
            Tool::Xsel => Some(("xsel", &["--clipboard", "--clear"])),
            Tool::Pbcopy => Some(("pbcopy", &[])),
            Tool::ClipExe => Some(("powershell.exe", POWERSHELL_CLEAR)),
        }
    }
}

const POWERSHELL_GET: &[&str] = &[
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "Get-Clipboard -Raw",
];
const POWERSHELL_CLEAR: &[&str] = &[
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "Set-Clipboard -Value $null",
];

/// Whether `name` is an executable file in a `PATH` directory.
pub(super) fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(name);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            candidate.is_file()
        }
    })
}

/// Run `program` with `input` on its stdin (then closed), bounded by
/// [`TOOL_TIMEOUT`] (the one runner, [`crate::sys::process::pipe`]: its own
/// process group, killed with it); its stdout (at most [`READ_BACK_LIMIT`] bytes) when
/// `capture`. Programs that stay behind to serve a selection (wl-copy,
/// xclip, xsel fork) get no pipe but stdin, so nothing waits on them.
pub(super) fn run_program(
    program: &str,
    args: &[&str],
    input: &[u8],
    capture: bool,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let read_back = capture.then_some(READ_BACK_LIMIT);
    let (status, output) =
        crate::sys::process::pipe(Path::new(program), args, input, read_back, TOOL_TIMEOUT)?;
    if status.success() {
        Ok(output)
    } else {
        Err(format!("{program} failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_back_ignores_powershells_line_end_only() {
        let ours = b"abcd-efgh-ijkl-mnop";
        assert!(still_ours(Tool::ClipExe, b"abcd-efgh-ijkl-mnop\r\n", ours));
        assert!(still_ours(Tool::ClipExe, b"abcd-efgh-ijkl-mnop", ours));
        assert!(!still_ours(
            Tool::ClipExe,
            b"abcd-efgh-ijkl-mnopq\r\n",
            ours
        ));
        // Other readers print the clipboard as it is.
        assert!(!still_ours(Tool::Xclip, b"abcd-efgh-ijkl-mnop\n", ours));
        assert!(Tool::ClipExe.read_command().is_some() && Tool::ClipExe.clear_command().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn programs_get_their_input_on_stdin_and_are_bounded() {
        let out = run_program("cat", &[], b"hello", true).unwrap();
        assert_eq!(out.as_slice(), b"hello");
        assert!(run_program("false", &[], b"", false).is_err());
        assert!(run_program("/nonexistent/program", &[], b"", false).is_err());
    }
}
