//! The check's and the save's words: each check's line as it runs and
//! what it found, the verdict and its advice, and saving to the keyring.

use super::*;

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

pub(super) fn verify(m: &Model, v: &VerifyState, p: &mut Prompt) {
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

pub(super) fn save(m: &Model, s: &SaveState, p: &mut Prompt) {
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
