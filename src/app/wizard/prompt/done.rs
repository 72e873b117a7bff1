//! Done's words: the password command, servers and logins, where things
//! are kept, the clients found; and setting up one of them (export).

use super::*;

pub(super) fn done(m: &Model, p: &mut Prompt) {
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

pub(super) fn export(e: &ExportState, p: &mut Prompt) {
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
