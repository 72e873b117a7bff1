//! Welcome's words: what the program does, the keyring's state, the
//! accounts set up before, and what can be done with them.

use super::*;

pub(super) fn welcome(m: &Model, p: &mut Prompt) {
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
