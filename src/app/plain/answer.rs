//! What plain mode asks at each step, and what an answer means there: a
//! number, Enter, a command letter, an address, the password (hidden),
//! the label.

use std::io::Write;

use zeroize::Zeroizing;

use crate::app::wizard::{Field, Model, Msg, Prompt, help};
use crate::domain::account::Email;
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
