//! Welcome: what will happen, the keyring pre-flight, the accounts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::{menu, para};
use crate::wizard::{AccountsStatus, KeyringStatus, Model};

pub fn render(f: &mut Frame, area: Rect, m: &Model, selected: usize, t: &Theme) {
    let compact = area.height < 14;
    let mut lines = vec![Line::styled(
        "Get iCloud Mail working in your mail program (about 5 minutes):",
        t.accent,
    )];
    if !compact {
        lines.push(Line::from(
            " 1. Turn on two-factor authentication for your Apple Account.",
        ));
        lines.push(Line::from(
            " 2. Make an app-specific password at account.apple.com.",
        ));
        lines.push(Line::from(
            " 3. Paste it here: it is checked with iCloud, then kept in your keyring.",
        ));
    }
    lines.push(Line::from(""));
    lines.push(match &m.keyring {
        KeyringStatus::Checking => Line::from(vec![
            Span::styled(super::spinner(m, 0), t.accent),
            Span::raw(" Keyring: checking\u{2026}"),
        ]),
        KeyringStatus::Ready { name } => Line::from(vec![
            Span::styled("\u{2713}", t.ok),
            Span::raw(format!(" Keyring: {name} is ready.")),
        ]),
        KeyringStatus::Problem { message, .. } => Line::from(vec![
            Span::styled("\u{2717}", t.err),
            Span::styled(format!(" Keyring: {message}."), t.err),
        ]),
    });
    if let KeyringStatus::Problem { hint, .. } = &m.keyring {
        lines.push(Line::styled(hint.clone(), t.warn));
        lines.push(Line::styled(
            "Without a keyring the password cannot be saved.",
            t.warn,
        ));
    }
    if let AccountsStatus::Error(e) = &m.accounts {
        lines.push(Line::styled(format!("\u{2717} {e}"), t.err));
    }
    lines.push(Line::from(""));
    let mut items = vec!["Set up a new account".to_string()];
    for a in m.configured() {
        let when = a
            .verified_at
            .as_deref()
            .map(|v| format!("verified {}", v.split('T').next().unwrap_or(v)))
            .unwrap_or_else(|| "never verified".into());
        if area.width >= 56 {
            items.push(format!("Check {}  ({when})", a.email));
        } else {
            items.push(format!("Check {}", a.email));
        }
    }
    if !m.configured().is_empty() && !compact {
        lines.push(Line::styled(
            "Set up a new account, or check one set up before (and replace its password):",
            t.dim,
        ));
    }
    lines.extend(menu(&items, selected, t));
    f.render_widget(para(lines), area);
}
