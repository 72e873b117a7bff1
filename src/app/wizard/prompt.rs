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

fn welcome(m: &Model, p: &mut Prompt) {
    p.lines = vec![
        t(
            Tone::Intro,
            "Get iCloud Mail working in your mail program (about 5 minutes):",
        ),
        t(
            Tone::Plain,
            " 1. Turn on two-factor authentication for your Apple Account.",
        ),
        t(
            Tone::Plain,
            " 2. Make an app-specific password at account.apple.com.",
        ),
        t(
            Tone::Plain,
            " 3. Paste it here: it is checked with iCloud, then kept in your keyring.",
        ),
        t(Tone::Plain, ""),
    ];
    match &m.keyring {
        KeyringStatus::Checking => p.lines.push(t(Tone::Running, "Keyring: checking\u{2026}")),
        KeyringStatus::Ready { name } => p
            .lines
            .push(t(Tone::Ok, format!("\u{2713} Keyring: {name} is ready."))),
        KeyringStatus::Problem { locked: true, .. } if m.unlock == UnlockState::Prompting => {
            p.lines.push(t(
                Tone::Running,
                format!(
                    "Keyring: waiting for you to unlock it in the prompt on your desktop (up \
                     to {} minutes)\u{2026}",
                    UNLOCK_DEADLINE.as_secs() / 60
                ),
            ));
        }
        KeyringStatus::Problem {
            message,
            hint,
            locked,
        } => {
            p.lines
                .push(t(Tone::Err, format!("\u{2717} Keyring: {message}.")));
            use crate::domain::keyring::Unlock;
            p.lines.push(t(
                Tone::Warn,
                match (&m.unlock, locked) {
                    (UnlockState::Ended(Ok(Unlock::Dismissed)), true) => {
                        format!("The unlock prompt was cancelled. {hint}")
                    }
                    (UnlockState::Ended(Ok(Unlock::StoppedWaiting)), true) => {
                        "No answer from the unlock prompt; it may still be on your desktop. \
                         Answer it, then check again."
                            .to_string()
                    }
                    (UnlockState::Ended(Err(e)), true) => {
                        format!("It could not be unlocked from here ({e}). {hint}")
                    }
                    _ => hint.clone(),
                },
            ));
            p.lines.push(t(
                Tone::Warn,
                "Without a keyring the password cannot be saved.",
            ));
        }
    }
    if let AccountsStatus::Error(e) = &m.accounts {
        p.lines.push(t(Tone::Err, format!("\u{2717} {e}")));
    }
    // Where the keyring is ready (otherwise the fix above comes first).
    if !m.configured().is_empty() && matches!(m.keyring, KeyringStatus::Ready { .. }) {
        p.lines.push(t(
            Tone::Dim,
            "When mail stops working in a mail program, this finds out why:",
        ));
        p.lines
            .push(t(Tone::Key, format!("  {}", m.invocation.doctor_command())));
    }
    p.lines.push(t(Tone::Plain, ""));
    if !m.configured().is_empty() {
        p.lines.push(t(
            Tone::Dim,
            "Set up a new account, or check one set up before (and replace its password):",
        ));
    }
    match (&m.keyring, &m.unlock) {
        (_, UnlockState::Prompting) => {
            // Nothing else until the prompt is answered or given up on.
            p.options
                .push((Choice::StopWaiting, Choice::StopWaiting.label()));
            return;
        }
        (KeyringStatus::Problem { locked: true, .. }, UnlockState::NotAsked) => p
            .options
            .push((Choice::UnlockKeyring, Choice::UnlockKeyring.label())),
        (KeyringStatus::Problem { locked: true, .. }, UnlockState::Ended(_)) => p
            .options
            .push((Choice::CheckKeyringAgain, Choice::CheckKeyringAgain.label())),
        _ => {}
    }
    p.options.push((Choice::SetUpNew, Choice::SetUpNew.label()));
    for a in m.configured() {
        let when = a
            .verified_at
            .as_deref()
            .map(|v| format!("verified {}", v.split('T').next().unwrap_or(v)))
            .unwrap_or_else(|| "never verified".into());
        let c = Choice::CheckAccount(a.email.clone());
        let label = format!("{}  ({when})", c.label());
        p.options.push((c, label));
    }
    if let Some(e) = &m.flow.existing {
        p.default = p
            .options
            .iter()
            .position(|(c, _)| *c == Choice::CheckAccount(e.email.clone()))
            .unwrap_or(0);
    }
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

/// One check's line: what it is doing, or what it found.
pub fn check_line(p: Protocol, ep: &Endpoint, l: &CheckLine) -> Text {
    let name = format!("{:<5}", p.label());
    match l {
        CheckLine::Running => t(Tone::Running, format!("{name}checking {ep}\u{2026}")),
        CheckLine::Done(r) => {
            // A no-break space: the unit never wraps onto a line of its own.
            let secs = format!("  {:.1}\u{a0}s", r.elapsed.as_secs_f64());
            if r.accepted() {
                t(
                    Tone::Ok,
                    format!("\u{2713} {name}{}{secs}", summary_line(r)),
                )
            } else {
                t(
                    Tone::Err,
                    format!("\u{2717} {name}{}{secs}", summary_line(r)),
                )
            }
        }
        CheckLine::Cancelled => t(Tone::Dim, format!("- {name}cancelled")),
        CheckLine::Skipped => t(Tone::Dim, format!("- {name}not checked")),
    }
}

fn verify(m: &Model, v: &VerifyState, p: &mut Prompt) {
    let settings = m.flow.settings.as_ref().unwrap_or(&m.settings);
    if let Some(a) = &m.flow.account {
        p.lines
            .push(t(Tone::Dim, format!("Account {}", a.email.as_str())));
    }
    if v.loading_secret {
        p.lines.push(t(
            Tone::Running,
            "Reading the stored password from the keyring\u{2026}",
        ));
    }
    if let Some(e) = &v.keyring_error {
        p.lines.push(t(Tone::Err, format!("\u{2717} Keyring: {e}")));
    }
    if v.missing_secret {
        p.lines.push(t(
            Tone::Err,
            "\u{2717} The keyring holds no password for this account: it needs a new one.",
        ));
    }
    p.checks = vec![
        check_line(Protocol::Imap, &settings.imap, &v.imap),
        check_line(Protocol::Smtp, &settings.smtp, &v.smtp),
    ];
    p.after.push(t(Tone::Plain, ""));
    if v.running() {
        p.after
            .push(t(Tone::Dim, "Both checks run at once; going back cancels."));
    } else if v.all_accepted() {
        p.after.push(t(
            Tone::Ok,
            match v.purpose {
                Purpose::NewPassword => {
                    "iCloud accepted the password for reading and sending mail."
                }
                Purpose::Stored => "The stored password still works.",
            },
        ));
    } else {
        // One diagnosis per distinct failure.
        let mut seen = Vec::new();
        for (proto, ep, l) in [
            (Protocol::Imap, &settings.imap, &v.imap),
            (Protocol::Smtp, &settings.smtp, &v.smtp),
        ] {
            if let Some(kind) = l.error_kind() {
                let d = diagnose(proto, ep, kind);
                if !d.advice.is_empty() && !seen.contains(&d.advice) {
                    p.after.push(t(Tone::Warn, d.advice.clone()));
                    seen.push(d.advice);
                }
            }
        }
    }
    if v.any_rejected() || v.missing_secret {
        p.link = Some(APPLE_ACCOUNT_URL);
    }
    p.options = v
        .choices()
        .into_iter()
        .map(|c| {
            let label = c.label();
            (c, label)
        })
        .collect();
}

fn save(m: &Model, s: &SaveState, p: &mut Prompt) {
    let store = match &m.keyring {
        KeyringStatus::Ready { name } => name.clone(),
        _ => "the keyring".into(),
    };
    match s {
        SaveState::Saving => p.lines.push(t(
            Tone::Running,
            format!("Storing the password in {store}, reading it back, writing the config\u{2026}"),
        )),
        SaveState::Failed(e) => {
            let state = if e.left_as_before {
                "Nothing was replaced: any password stored before is still there."
            } else {
                "What is stored now is not certain (see above): this password passed both \
                 checks and may be the one in use. Try saving again, or quit and run the \
                 commands above."
            };
            p.lines = vec![
                t(Tone::Err, "\u{2717} The password could not be saved."),
                t(Tone::Err, e.message.clone()),
                t(Tone::Plain, ""),
                t(Tone::Plain, state),
            ];
            p.options = vec![(Choice::RetrySave, Choice::RetrySave.label())];
        }
    }
}

fn done(m: &Model, p: &mut Prompt) {
    let Some(saved) = &m.flow.saved else {
        return;
    };
    let settings = m.flow.settings.as_ref().unwrap_or(&m.settings);
    let email = m
        .flow
        .account
        .as_ref()
        .map(|a| a.email.as_str().to_string())
        .unwrap_or_default();
    let (imap_user, smtp_user) = m.flow.usernames.clone().unwrap_or_default();
    // The password command first: it is what the person came for, and it
    // must be on screen even in a small window.
    p.lines = vec![
        t(Tone::Ok, format!("\u{2713} {email} is ready.")),
        t(
            Tone::Intro,
            "In your mail client, use this as the password command:",
        ),
        t(
            Tone::Key,
            format!("  {}", m.invocation.password_command(&email)),
        ),
        t(Tone::Plain, ""),
        t(
            Tone::Plain,
            format!(
                "IMAP  {}  port {}  TLS       user {imap_user}",
                settings.imap.host, settings.imap.port
            ),
        ),
        t(
            Tone::Plain,
            format!(
                "SMTP  {}  port {}  STARTTLS  user {smtp_user}",
                settings.smtp.host, settings.smtp.port
            ),
        ),
        t(
            Tone::Plain,
            format!(
                "Password: {}, service {SERVICE}, account {email}",
                saved.store_name
            ),
        ),
        t(
            Tone::Plain,
            format!("Settings: {}", saved.config_path.display()),
        ),
    ];
    if saved.replaced {
        p.lines.push(t(Tone::Plain, ""));
        p.lines.push(t(
            Tone::Warn,
            revoke_instructions(saved.previous_label.as_deref()),
        ));
        if !m.flow.exported.is_empty() {
            p.lines.push(t(
                Tone::Ok,
                format!(
                    "Set up with the password command, these pick the new password up by \
                     themselves: {}.",
                    m.flow.exported.join(", ")
                ),
            ));
        }
        p.lines.push(t(
            Tone::Warn,
            "GUI mail apps (Thunderbird, Apple Mail, Evolution, Outlook, ...) keep their own \
             copy: paste the new password there (copy it below).",
        ));
    } else {
        p.lines.push(t(
            Tone::Dim,
            "GUI mail apps (Thunderbird, Apple Mail, Evolution, Outlook, ...): use the servers \
             and usernames above, and paste the password (copy it below).",
        ));
    }
    p.options.push((Choice::Finish, Choice::Finish.label()));
    if m.flow.clients.is_none() {
        p.lines.push(t(
            Tone::Running,
            "Looking for mail clients on this computer\u{2026}",
        ));
    }
    for offer in m.flow.clients.iter().flatten() {
        let c = Choice::Export(offer.client);
        let done = if m.flow.exported.iter().any(|n| n == offer.client.name()) {
            ", set up already"
        } else {
            ""
        };
        let label = format!("{}  ({}{done})", c.label(), offer.found);
        p.options.push((c, label));
    }
    p.options
        .push((Choice::CopyPassword, Choice::CopyPassword.label()));
}

fn export(e: &ExportState, p: &mut Prompt) {
    let name = e.client.name();
    match &e.preview {
        None => p.lines.push(t(
            Tone::Running,
            format!("Preparing the {name} configuration\u{2026}"),
        )),
        Some(Err(why)) => {
            p.lines.push(t(
                Tone::Err,
                format!("\u{2717} {name} cannot be set up from here: {why}"),
            ));
        }
        Some(Ok((file, text))) => {
            p.lines.push(t(
                Tone::Intro,
                format!(
                    "This goes into {file} (what is there already is kept, with a backup). It \
                     holds no password: {name} runs the password command."
                ),
            ));
            if e.writing {
                p.lines
                    .push(t(Tone::Running, format!("Writing {file}\u{2026}")));
            }
            p.lines.push(t(Tone::Plain, ""));
            p.after = text.lines().map(|l| t(Tone::Key, l)).collect();
            if !e.writing {
                p.next = Some(Choice::WriteExport);
            }
        }
    }
}
