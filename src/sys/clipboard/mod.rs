//! The password to the clipboard, on an explicit request only, and cleared
//! again.
//!
//! Two ways there, both used when both are available:
//! - **OSC 52** written to the controlling terminal (`/dev/tty`): the
//!   terminal puts it on its clipboard, which works over SSH. Inside tmux
//!   (needs `set -g set-clipboard on`) tmux keeps it in a paste buffer and
//!   passes it on to the terminal; inside GNU screen it is wrapped in a DCS
//!   string so screen passes it through. Not sent where `TERM` is unset,
//!   `dumb` or `linux` (the Linux console would print it).
//! - **The platform's clipboard program**, the secret on its stdin, never
//!   in its argv or environment: `wl-copy` (Wayland), else `xclip` or
//!   `xsel` (X11), `pbcopy` (macOS), `clip.exe` (Windows).
//!
//! [`Copied::clear`] empties what it can: a clipboard program's clipboard
//! only while it still holds our value (read back with `wl-paste`,
//! `xclip -o`, `xsel -o`, `pbpaste`); tmux's buffers that hold exactly our
//! value are deleted; a terminal's own clipboard, which cannot be read
//! back, is emptied by an empty OSC 52 (through tmux only when tmux allows
//! passthrough). On Windows, where `clip.exe` cannot read or clear,
//! PowerShell's `Get-Clipboard` and `Set-Clipboard` do.
//!
//! For the wizard: `Clipboard::detect().copy(&secret)`, show
//! [`Copied::summary`] and [`Copied::notes`], and after [`CLEAR_AFTER`]
//! call [`Copied::clear`] (it runs programs: off the UI thread). OSC 52
//! goes straight to `/dev/tty`, which is safe between two draws.

use std::io::Write;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::sys::secret::Secret;

mod clear;
mod tool;

pub use clear::{ClearReport, Copied};
pub use tool::Tool;
use tool::{on_path, run_program, still_ours};

/// How long the password stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(45);

/// How an OSC 52 sequence reaches the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Osc52 {
    /// Straight to the terminal.
    Direct,
    /// Through tmux, whose `set-clipboard` option (when it could be read)
    /// decides: only `on` takes OSC 52 from programs.
    Tmux { set_clipboard: Option<String> },
    /// Through GNU screen, wrapped in DCS.
    Screen,
}

/// Somewhere the password went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Osc52(Osc52),
    Tool(Tool),
}

impl Channel {
    fn describe(&self) -> String {
        match self {
            Channel::Osc52(Osc52::Direct) => "OSC 52 (your terminal)".into(),
            Channel::Osc52(Osc52::Tmux { .. }) => "OSC 52 (tmux)".into(),
            Channel::Osc52(Osc52::Screen) => "OSC 52 (GNU screen)".into(),
            Channel::Tool(t) => t.name().into(),
        }
    }
}

/// What the environment offers: found by [`Clipboard::detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clipboard {
    pub osc52: Option<Osc52>,
    pub tool: Option<Tool>,
    /// Why a way was left out (shown when nothing is left).
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    #[error("there is no clipboard to copy to: {0}")]
    Nowhere(String),
}

/// The environment a plan is made from (the real one in [`Clipboard::detect`]).
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub on_path: &'a dyn Fn(&str) -> bool,
    /// Whether `/dev/tty` (the controlling terminal) can be written.
    pub tty: bool,
}

impl Clipboard {
    /// Look at this process's environment, `PATH` and terminal.
    pub fn detect() -> Clipboard {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let on_path = |name: &str| on_path(name);
        let mut plan = Clipboard::plan(&Env {
            var: &var,
            on_path: &on_path,
            tty: tty().is_ok(),
        });
        if let Some(Osc52::Tmux { set_clipboard }) = &mut plan.osc52 {
            *set_clipboard = tmux_set_clipboard();
            if set_clipboard.as_deref().is_some_and(|v| v != "on") {
                plan.skipped.push(format!(
                    "tmux's set-clipboard is `{}`, so tmux ignores OSC 52 from programs (`tmux \
                     set -g set-clipboard on` lets it through)",
                    set_clipboard.as_deref().unwrap_or_default()
                ));
                plan.osc52 = None;
            }
        }
        plan
    }

    /// The ways to the clipboard in `env` (pure; the tmux option is
    /// filled in by [`Clipboard::detect`]).
    pub fn plan(env: &Env<'_>) -> Clipboard {
        let mut skipped = Vec::new();
        let term = (env.var)("TERM");
        let osc52 = if !cfg!(unix) {
            None
        } else if !env.tty {
            skipped.push("no controlling terminal for OSC 52".to_string());
            None
        } else if matches!(term.as_deref(), None | Some("dumb") | Some("linux")) {
            skipped.push(format!(
                "TERM={} cannot take OSC 52",
                term.as_deref().unwrap_or("(unset)")
            ));
            None
        } else if (env.var)("TMUX").is_some() {
            Some(Osc52::Tmux {
                set_clipboard: None,
            })
        } else if (env.var)("STY").is_some() {
            Some(Osc52::Screen)
        } else {
            Some(Osc52::Direct)
        };

        let wanted: &[(Tool, Option<&str>)] = if cfg!(target_os = "macos") {
            &[(Tool::Pbcopy, None)]
        } else if cfg!(windows) {
            &[(Tool::ClipExe, None)]
        } else {
            &[
                (Tool::WlCopy, Some("WAYLAND_DISPLAY")),
                (Tool::Xclip, Some("DISPLAY")),
                (Tool::Xsel, Some("DISPLAY")),
            ]
        };
        let tool = wanted
            .iter()
            .find(|(t, display)| {
                display.is_none_or(|d| (env.var)(d).is_some()) && (env.on_path)(t.name())
            })
            .map(|(t, _)| *t);
        if tool.is_none() {
            skipped.push(if cfg!(any(target_os = "macos", windows)) {
                format!("{} was not found", wanted[0].0.name())
            } else {
                "no wl-copy (with WAYLAND_DISPLAY) or xclip/xsel (with DISPLAY)".to_string()
            });
        }
        Clipboard {
            osc52,
            tool,
            skipped,
        }
    }

    /// Put `secret` on every clipboard found. An error only when it went
    /// nowhere; a way that failed while another worked is a note.
    pub fn copy(&self, secret: &Secret) -> Result<Copied, ClipboardError> {
        let (channels, mut notes) = self.put(secret.expose().as_bytes())?;
        for c in &channels {
            match c {
                Channel::Osc52(Osc52::Direct) | Channel::Osc52(Osc52::Screen) => notes.push(
                    "OSC 52 reaches the clipboard only where the terminal allows it (most do; \
                     some ask first)"
                        .into(),
                ),
                Channel::Tool(Tool::ClipExe) => notes.push(
                    "with clipboard history on (Win+V), Windows keeps its own copy there, \
                     which clearing does not remove: delete it from Win+V"
                        .into(),
                ),
                _ => {}
            }
        }
        Ok(Copied {
            secret: secret.clone(),
            channels,
            notes,
        })
    }

    /// Copy text that is no secret (a link): the same ways, nothing to
    /// clear later. Says how, honestly (see [`text_summary`]).
    pub fn copy_text(&self, text: &str) -> Result<String, ClipboardError> {
        let (channels, _) = self.put(text.as_bytes())?;
        Ok(text_summary(&channels))
    }

    /// Send `data` every way there is; the ways that worked, and notes on
    /// those that failed.
    fn put(&self, data: &[u8]) -> Result<(Vec<Channel>, Vec<String>), ClipboardError> {
        let mut channels = Vec::new();
        let mut notes = Vec::new();
        if let Some(route) = &self.osc52 {
            let seq = osc52_sequence(route, data);
            match write_tty(seq.as_bytes()) {
                Ok(()) => channels.push(Channel::Osc52(route.clone())),
                Err(e) => notes.push(format!("OSC 52 could not be written: {e}")),
            }
        }
        if let Some(tool) = self.tool {
            let (program, args) = tool.copy_command();
            match run_program(program, args, data, false) {
                Ok(_) => channels.push(Channel::Tool(tool)),
                Err(e) => notes.push(format!("{program} failed: {e}")),
            }
        }
        if channels.is_empty() {
            let mut why = self.skipped.clone();
            why.extend(notes);
            return Err(ClipboardError::Nowhere(why.join("; ")));
        }
        Ok((channels, notes))
    }
}

/// Where a copied text went, without claiming what cannot be known: a
/// clipboard program and tmux's buffer are sure ("copied via xclip"); an
/// OSC 52 sent straight to the terminal (or through screen) lands only if
/// the terminal takes it, which some ignore (GNOME Terminal) and none
/// confirms ("sent by OSC 52: on the clipboard if your terminal allows
/// it").
pub fn text_summary(channels: &[Channel]) -> String {
    let (unsure, sure): (Vec<Channel>, Vec<Channel>) = channels
        .iter()
        .cloned()
        .partition(|c| matches!(c, Channel::Osc52(Osc52::Direct | Osc52::Screen)));
    let sent = "sent by OSC 52: on the clipboard if your terminal allows it";
    match (sure.is_empty(), unsure.is_empty()) {
        (false, true) => format!("copied via {}", describe_all(&sure)),
        (true, false) => sent.to_string(),
        (false, false) => format!("copied via {}; also {sent}", describe_all(&sure)),
        (true, true) => String::new(),
    }
}

/// "OSC 52 (tmux) and xclip".
fn describe_all(channels: &[Channel]) -> String {
    let parts: Vec<String> = channels.iter().map(Channel::describe).collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The OSC 52 "set clipboard" sequence for `data`, wrapped for the route.
pub fn osc52_sequence(route: &Osc52, data: &[u8]) -> Zeroizing<String> {
    let b64 = crate::sys::base64::encode(data);
    let mut s = Zeroizing::new(String::with_capacity(b64.len() + 16));
    match route {
        Osc52::Screen => {
            s.push_str("\x1bP\x1b]52;c;");
            s.push_str(&b64);
            s.push_str("\x07\x1b\\");
        }
        Osc52::Direct | Osc52::Tmux { .. } => {
            s.push_str("\x1b]52;c;");
            s.push_str(&b64);
            s.push('\x07');
        }
    }
    s
}

fn tty() -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open("/dev/tty")
}

fn write_tty(bytes: &[u8]) -> std::io::Result<()> {
    let mut t = tty()?;
    t.write_all(bytes)?;
    t.flush()
}

/// tmux's `set-clipboard` (a server option), or `None` if tmux did not say.
fn tmux_set_clipboard() -> Option<String> {
    let out = run_program("tmux", &["show-options", "-sv", "set-clipboard"], b"", true).ok()?;
    let value = String::from_utf8_lossy(&out).trim().to_string();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_text_claims_only_what_is_known() {
        let direct = Channel::Osc52(Osc52::Direct);
        let tmux = Channel::Osc52(Osc52::Tmux {
            set_clipboard: Some("on".into()),
        });
        let xclip = Channel::Tool(Tool::Xclip);
        assert_eq!(
            text_summary(std::slice::from_ref(&direct)),
            "sent by OSC 52: on the clipboard if your terminal allows it"
        );
        assert_eq!(
            text_summary(&[Channel::Osc52(Osc52::Screen)]),
            "sent by OSC 52: on the clipboard if your terminal allows it"
        );
        assert_eq!(
            text_summary(&[tmux.clone(), xclip.clone()]),
            "copied via OSC 52 (tmux) and xclip"
        );
        assert_eq!(
            text_summary(&[direct, xclip]),
            "copied via xclip; also sent by OSC 52: on the clipboard if your terminal allows it"
        );
    }

    #[test]
    fn osc52_sequences_per_route() {
        assert_eq!(
            osc52_sequence(&Osc52::Direct, b"foo").as_str(),
            "\x1b]52;c;Zm9v\x07"
        );
        assert_eq!(
            osc52_sequence(
                &Osc52::Tmux {
                    set_clipboard: None
                },
                b""
            )
            .as_str(),
            "\x1b]52;c;\x07"
        );
        assert_eq!(
            osc52_sequence(&Osc52::Screen, b"foo").as_str(),
            "\x1bP\x1b]52;c;Zm9v\x07\x1b\\"
        );
    }

    fn plan(vars: &[(&str, &str)], tools: &[&str], tty: bool) -> Clipboard {
        let var = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let on_path = |name: &str| tools.contains(&name);
        Clipboard::plan(&Env {
            var: &var,
            on_path: &on_path,
            tty,
        })
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn plans_follow_the_environment() {
        let p = plan(&[("TERM", "xterm-256color")], &[], true);
        assert_eq!(p.osc52, Some(Osc52::Direct));
        assert_eq!(p.tool, None);
        let p = plan(
            &[
                ("TERM", "tmux-256color"),
                ("TMUX", "/tmp/tmux-0/default,1,0"),
            ],
            &["xclip"],
            true,
        );
        assert_eq!(
            p.osc52,
            Some(Osc52::Tmux {
                set_clipboard: None
            })
        );
        assert_eq!(p.tool, None, "xclip needs DISPLAY");
        let p = plan(&[("TERM", "screen"), ("STY", "1.pts-0")], &[], true);
        assert_eq!(p.osc52, Some(Osc52::Screen));
        // The Linux console would print the sequence; no terminal, no OSC 52.
        assert_eq!(plan(&[("TERM", "linux")], &[], true).osc52, None);
        assert_eq!(plan(&[], &[], true).osc52, None);
        assert_eq!(plan(&[("TERM", "xterm")], &[], false).osc52, None);
        // Wayland first, then X11 tools in order.
        let both = [("WAYLAND_DISPLAY", "wayland-0"), ("DISPLAY", ":0")];
        assert_eq!(
            plan(&both, &["wl-copy", "xclip"], false).tool,
            Some(Tool::WlCopy)
        );
        assert_eq!(
            plan(&both, &["xclip", "xsel"], false).tool,
            Some(Tool::Xclip)
        );
        assert_eq!(plan(&both, &["xsel"], false).tool, Some(Tool::Xsel));
        let none = plan(&[], &[], false);
        assert!(none.osc52.is_none() && none.tool.is_none());
        assert_eq!(none.skipped.len(), 2, "{:?}", none.skipped);
    }

    #[test]
    fn nowhere_to_copy_is_an_error_saying_why() {
        let p = plan(&[], &[], false);
        let e = p
            .copy(&Secret::new("abcd-efgh-ijkl-mnop".into()))
            .err()
            .unwrap();
        let shown = e.to_string();
        assert!(
            shown.contains("no clipboard") && !shown.contains("abcd"),
            "{shown}"
        );
    }

    #[test]
    fn summaries_read_as_a_list() {
        let copied = Copied {
            secret: Secret::new("x".into()),
            channels: vec![
                Channel::Osc52(Osc52::Tmux {
                    set_clipboard: Some("on".into()),
                }),
                Channel::Tool(Tool::Xclip),
            ],
            notes: vec![],
        };
        assert_eq!(copied.summary(), "OSC 52 (tmux) and xclip");
    }
}
