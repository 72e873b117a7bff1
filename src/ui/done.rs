//! The summary: servers, usernames, where the password is, what next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::para;
use crate::secrets::SERVICE;
use crate::text::password_command;
use crate::wizard::Model;
use crate::wizard::checklists::revoke_instructions;

pub fn render(f: &mut Frame, area: Rect, m: &Model, t: &Theme) {
    let Some(saved) = &m.flow.saved else {
        return;
    };
    let email = m
        .flow
        .account
        .as_ref()
        .map(|a| a.email.as_str().to_string())
        .unwrap_or_default();
    let (imap_user, smtp_user) = m.flow.usernames.clone().unwrap_or_default();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("\u{2713} ", t.ok),
            Span::styled(format!("{email} is ready."), t.ok),
        ]),
        Line::from(format!(
            "IMAP  {}  port {}  TLS       user {imap_user}",
            m.settings.imap.host, m.settings.imap.port
        )),
        Line::from(format!(
            "SMTP  {}  port {}  STARTTLS  user {smtp_user}",
            m.settings.smtp.host, m.settings.smtp.port
        )),
        Line::from(format!(
            "Password: {}, service {SERVICE}, account {email}",
            saved.store_name
        )),
        Line::from(format!("Settings: {}", saved.config_path.display())),
        Line::from(""),
        Line::styled(
            "In your mail client, use this as the password command:",
            t.accent,
        ),
        Line::styled(format!("  {}", password_command(&email)), t.key),
    ];
    if saved.replaced {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            revoke_instructions(saved.previous_label.as_deref()),
            t.warn,
        ));
    }
    f.render_widget(para(lines), area);
}
