//! What plain mode asks at each step, and what an answer means there: a
//! number, Enter, a command letter, an address, the password (hidden),
//! the label.

use std::io::Write;

use zeroize::Zeroizing;

use crate::app::wizard::{Field, Model, Msg, Prompt, help};
use crate::domain::account::Email;
use crate::domain::apppass;
use crate::sys::secret::RawSecret;

/// A multi-line answer in progress (the address, then the login; the
/// label, then the password).
pub(super) enum Pending {
    None,
    Login {
        email: String,
    },
    /// The password was read (hidden); the label comes next.
    Label {
        password: RawSecret,
    },
}

/// What to ask now, whether to hide the answer, and what it will be.
pub(super) fn question(m: &Model, p: &Prompt, pending: Option<Pending>) -> (String, bool, Pending) {
    if m.confirming_quit {
        return (
            "The password works but is not saved yet. Quit anyway and lose it? [y/N] ".into(),
            false,
            Pending::None,
        );
    }
    match (p.field, pending) {
        (Some(Field::Account), Some(Pending::Login { email })) => (
            "Primary iCloud address it logs in with: ".into(),
            false,
            Pending::Login { email },
        ),
        (Some(Field::Account), _) => ("Email address: ".into(), false, Pending::None),
        // The password first, hidden: a password pasted at the first
        // question of this step is never echoed.
        (Some(Field::Password), Some(Pending::Label { password })) => (
            format!("Label at Apple [{}]: ", m.flow.label),
            false,
            Pending::Label { password },
        ),
        (Some(Field::Password), _) => (
            "App-specific password (not shown), then Enter: ".into(),
            true,
            Pending::None,
        ),
        (None, _) if !p.options.is_empty() => (
            format!(
                "Choose 1-{} [{}] (b back, q quit, ? help): ",
                p.options.len(),
                p.default + 1
            ),
            false,
            Pending::None,
        ),
        (None, _) if !p.checklist.is_empty() => (
            "Enter when done; a number ticks that step (b back, q quit, o opens the link): ".into(),
            false,
            Pending::None,
        ),
        (None, _) => (
            match &p.next {
                Some(next) => format!("Enter: {} (b back, q quit): ", next.label()),
                None => "Enter to continue (b back, q quit): ".into(),
            },
            false,
            Pending::None,
        ),
    }
}

/// Turn an answer into an intent (or a follow-up question).
pub(super) fn interpret(
    out: &mut dyn Write,
    m: &Model,
    p: &Prompt,
    asked: Option<Pending>,
    line: Zeroizing<String>,
    next: &mut Option<Pending>,
) -> std::io::Result<Option<Msg>> {
    let text = line.trim();
    if m.confirming_quit {
        return Ok(Some(Msg::ConfirmQuit(matches!(
            text.to_lowercase().as_str(),
            "y" | "yes"
        ))));
    }
    // The commands are one or two letters: never a password, so they work
    // at the hidden question too.
    {
        match text {
            "q" | "quit" => return Ok(Some(Msg::Quit)),
            "b" | "back" => return Ok(Some(Msg::Back)),
            "o" if p.link.is_some() => return Ok(Some(Msg::OpenLink)),
            "?" | "help" => {
                writeln!(out)?;
                for line in help::text(&help::plain(m)) {
                    writeln!(out, "{line}")?;
                }
                writeln!(out)?;
                writeln!(
                    out,
                    "Keys: type a number to choose, Enter for the default, b to go back, q to quit, \
                     o to open the link. At the address step type the address; at the password \
                     step the password first (it is not shown), then the label (Enter keeps \
                     it)."
                )?;
                return Ok(None);
            }
            _ => {}
        }
    }
    // A password at a question shown in clear (typed ahead while the
    // program was busy, or pasted a question early) never goes into an
    // answer shown or stored in clear: kept for the password step where
    // the wizard takes a paste, else not used, and said so.
    if p.field != Some(Field::Password) && is_password(text) {
        if m.takes_paste() && apppass::normalise(text).is_ok() {
            return Ok(Some(Msg::PastePassword(RawSecret::new(String::from(text)))));
        }
        writeln!(
            out,
            "That line looked like an app-specific password, so it was not used here (and is \
             not shown)."
        )?;
        return Ok(None);
    }
    Ok(match (p.field, asked) {
        (Some(Field::Account), Some(Pending::Login { email })) => Some(Msg::SubmitAccount {
            email,
            login: text.to_string(),
        }),
        (Some(Field::Account), _) => match Email::parse(text) {
            Ok(e) if !e.is_apple() => {
                writeln!(out, "{} is a custom domain (iCloud+).", e.domain())?;
                *next = Some(Pending::Login {
                    email: text.to_string(),
                });
                None
            }
            _ => Some(Msg::SubmitAccount {
                email: text.to_string(),
                login: String::new(),
            }),
        },
        (Some(Field::Password), Some(Pending::Label { password })) => {
            let label = if text.is_empty() {
                m.flow.label.clone()
            } else {
                text.to_string()
            };
            Some(Msg::SubmitPassword { password, label })
        }
        (Some(Field::Password), _) => {
            *next = Some(Pending::Label {
                password: RawSecret::new(String::from(text)),
            });
            None
        }
        (None, _) if !p.options.is_empty() => {
            let n = if text.is_empty() {
                Some(p.default + 1)
            } else {
                text.parse::<usize>().ok()
            };
            match n
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| p.options.get(i))
            {
                Some((c, _)) => Some(Msg::Choose(c.clone())),
                None => {
                    writeln!(out, "Type a number from 1 to {}.", p.options.len())?;
                    None
                }
            }
        }
        (None, _) => {
            if text.is_empty() {
                p.next.clone().map(Msg::Choose)
            } else {
                match text.parse::<usize>().ok().and_then(|n| n.checked_sub(1)) {
                    Some(i) if i < p.checklist.len() => {
                        let was = p.checklist[i].1;
                        writeln!(
                            out,
                            "Step {} {}.",
                            i + 1,
                            if was { "unticked" } else { "ticked" }
                        )?;
                        Some(Msg::ToggleStep(i))
                    }
                    _ => {
                        writeln!(out, "Press Enter to continue, or type a step's number.")?;
                        None
                    }
                }
            }
        }
    })
}

/// Is `text` an app-specific password, or has one in it?
fn is_password(text: &str) -> bool {
    apppass::normalise(text).is_ok() || apppass::holds_password(text)
}

/// A line typed before its question, which the terminal did not show:
/// shown now after the question, a password only as "(hidden)".
pub(super) fn show_ahead(out: &mut dyn Write, line: &str) -> std::io::Result<()> {
    if is_password(line.trim()) {
        writeln!(out, "(hidden)")
    } else {
        writeln!(out, "{}", crate::sys::text::escape_for_terminal(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::wizard::{Screen, prompt};

    const PASSWORD: &str = "abcd-efgh-ijkl-mnop";

    fn answer(m: &Model, line: &str) -> (Option<Msg>, String) {
        let (mut out, mut next) = (Vec::new(), None);
        let p = prompt(m);
        let line = Zeroizing::new(line.to_string());
        let msg = interpret(&mut out, m, &p, None, line, &mut next).unwrap();
        (msg, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_password_where_none_is_taken_is_refused_and_not_shown() {
        let mut m = Model::new("laptop", Default::default(), None);
        m.screen = Screen::Done;
        for line in [PASSWORD, "my password is abcd-efgh-ijkl-mnop."] {
            let (msg, out) = answer(&m, line);
            assert!(msg.is_none(), "{line}");
            assert!(out.contains("not used here"), "{out}");
            assert!(!out.contains("abcd"), "{out}");
        }
    }

    #[test]
    fn a_password_before_the_password_step_is_kept_for_it() {
        let mut m = Model::new("laptop", Default::default(), None);
        m.screen = Screen::Account;
        let (msg, out) = answer(&m, PASSWORD);
        assert!(matches!(msg, Some(Msg::PastePassword(_))), "{out}");
        assert!(!out.contains("abcd"), "{out}");
    }

    #[test]
    fn a_line_read_ahead_is_shown_unless_it_is_a_password() {
        let mut out = Vec::new();
        show_ahead(&mut out, "1").unwrap();
        show_ahead(&mut out, PASSWORD).unwrap();
        show_ahead(&mut out, "\u{1b}]0;title\u{7}").unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("1\n(hidden)\n"), "{out}");
        assert!(!out.contains('\u{1b}'), "{out:?}");
    }
}
