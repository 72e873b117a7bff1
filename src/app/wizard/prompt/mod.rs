//! One description of each step, read by both front ends: its title, its
//! text, its checklist, its link, the field it asks for and the answers it
//! offers (as values). The wording exists here once; the TUI lays it out
//! with colour and a selection, plain mode prints it with numbers.

use crate::domain::keyring::SERVICE;
use crate::domain::mail::diagnosis::{diagnose, summary_line};
use crate::domain::mail::{Endpoint, Protocol};

use super::checklists::{
    APP_PASSWORD_FACTS, APPLE_ACCOUNT_URL, TWO_STEP_NOTE, TwoFactorPath, revoke_instructions,
};
use super::model::*;

mod done;
mod verify;
mod welcome;

use done::{done, export};
pub use verify::check_line;
use verify::{save, verify};
use welcome::welcome;

/// How a line of text is meant: front ends map it to a colour, or ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The step's question or instruction.
    Intro,
    Plain,
    Dim,
    Ok,
    Err,
    Warn,
    /// Something to type or copy (a command, a link).
    Key,
    /// Work in progress (the TUI puts a spinner in front).
    Running,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub tone: Tone,
    pub text: String,
}

fn t(tone: Tone, text: impl Into<String>) -> Text {
    Text {
        tone,
        text: text.into(),
    }
}

/// What a step asks the person to type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The address (and, for a custom domain, the iCloud login address).
    Account,
    /// The app-specific password and its label.
    Password,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub title: &'static str,
    /// Step n of 5 of the setup.
    pub step: Option<usize>,
    pub lines: Vec<Text>,
    /// The IMAP and SMTP check lines (Verify).
    pub checks: Vec<Text>,
    /// Steps to tick, with whether each is ticked.
    pub checklist: Vec<(String, bool)>,
    /// Text after the checklist (facts, notes).
    pub after: Vec<Text>,
    pub link: Option<&'static str>,
    pub field: Option<Field>,
    /// Why what was typed was refused.
    pub error: Option<String>,
    /// The answers offered, best first, with their wording.
    pub options: Vec<(Choice, String)>,
    /// The option to start from (e.g. the account just left).
    pub default: usize,
    /// What "continue" means where there is no menu (a checklist, Done).
    pub next: Option<Choice>,
}

impl Prompt {
    fn new(title: &'static str, step: Option<usize>) -> Prompt {
        Prompt {
            title,
            step,
            lines: Vec::new(),
            checks: Vec::new(),
            checklist: Vec::new(),
            after: Vec::new(),
            link: None,
            field: None,
            error: None,
            options: Vec::new(),
            default: 0,
            next: None,
        }
    }

    /// Is `c` an answer this step takes?
    pub fn offers(&self, c: &Choice) -> bool {
        self.next.as_ref() == Some(c) || self.options.iter().any(|(o, _)| o == c)
    }
}

/// The step the model is on, described.
pub fn prompt(m: &Model) -> Prompt {
    let mut p = Prompt::new(m.screen.title(), m.screen.step());
    match &m.screen {
        Screen::Welcome => welcome(m, &mut p),
        Screen::TwoFactor(stage) => two_factor(stage, &mut p),
        Screen::AppPassword { checklist } => {
            p.lines.push(t(
                Tone::Intro,
                match &m.flow.existing {
                    Some(e) => format!("Make a new password for {}:", e.email),
                    None => format!(
                        "Make an app-specific password ({}/{} done):",
                        checklist.done_count(),
                        checklist.items.len()
                    ),
                },
            ));
            p.checklist = steps(checklist);
            p.after = APP_PASSWORD_FACTS
                .iter()
                .map(|f| t(Tone::Dim, format!("\u{2022} {f}")))
                .collect();
            p.link = Some(APPLE_ACCOUNT_URL);
            p.next = Some(Choice::Continue);
        }
        Screen::Account => {
            p.lines.push(t(
                Tone::Intro,
                "Which address do you read mail at? (@icloud.com, @me.com, @mac.com, or your \
                 own domain)",
            ));
            if m.flow.candidate.is_some() {
                p.lines.push(t(
                    Tone::Ok,
                    "\u{2713} Your pasted password is kept (hidden); it is checked as soon as \
                     you give the address.",
                ));
            }
            p.field = Some(Field::Account);
            p.error = m.flow.account_error.clone();
        }
        Screen::Password => {
            let who = m
                .flow
                .account
                .as_ref()
                .map(|a| a.email.as_str().to_string())
                .unwrap_or_default();
            p.lines.push(t(
                Tone::Intro,
                format!("Paste the app-specific password for {who}"),
            ));
            p.lines.push(t(
                Tone::Dim,
                "Four groups of four letters, like abcd-efgh-ijkl-mnop. Not your Apple Account \
                 password.",
            ));
            p.after.push(t(
                Tone::Dim,
                "The label is kept with the account, so you can find the password to revoke \
                 later.",
            ));
            p.field = Some(Field::Password);
            p.error = m.flow.password_error.clone();
            p.link = Some(APPLE_ACCOUNT_URL);
        }
        Screen::Verify(v) => verify(m, v, &mut p),
        Screen::Save(s) => save(m, s, &mut p),
        Screen::Done => done(m, &mut p),
        Screen::Export(e) => export(e, &mut p),
    }
    p
}

fn steps(c: &super::checklists::Checklist) -> Vec<(String, bool)> {
    c.items.iter().map(|i| (i.text.clone(), i.done)).collect()
}

fn two_factor(stage: &TwoFactorStage, p: &mut Prompt) {
    match stage {
        TwoFactorStage::Ask => {
            p.lines = vec![
                t(
                    Tone::Intro,
                    "Is two-factor authentication on for your Apple Account?",
                ),
                t(
                    Tone::Dim,
                    "App-specific passwords need it. Accounts made in recent years have it \
                     already.",
                ),
            ];
            for c in [
                Choice::TwoFactorOn,
                Choice::TwoFactorOff,
                Choice::TwoFactorUnsure,
            ] {
                let label = c.label();
                p.options.push((c, label));
            }
        }
        TwoFactorStage::Pick => {
            p.lines = vec![t(Tone::Intro, "Where will you turn it on?")];
            for path in TwoFactorPath::ALL {
                let c = Choice::Path(path);
                let label = c.label();
                p.options.push((c, label));
            }
            p.after = vec![t(Tone::Dim, TWO_STEP_NOTE)];
        }
        TwoFactorStage::Steps { path, checklist } => {
            p.lines = vec![t(
                Tone::Intro,
                format!(
                    "Turn on two-factor authentication {} ({}/{} done):",
                    path.label().to_lowercase(),
                    checklist.done_count(),
                    checklist.items.len()
                ),
            )];
            p.checklist = steps(checklist);
            if *path == TwoFactorPath::Web {
                p.link = Some(APPLE_ACCOUNT_URL);
            }
            p.next = Some(Choice::Continue);
        }
    }
}
