//! The app-specific password checklist.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::{checklist, para};
use crate::wizard::Model;
use crate::wizard::checklists::{APP_PASSWORD_FACTS, APPLE_ACCOUNT_URL, Checklist};

pub fn render(f: &mut Frame, area: Rect, m: &Model, c: &Checklist, t: &Theme) {
    let mut lines = Vec::new();
    if let Some(e) = &m.flow.existing {
        lines.push(Line::styled(
            format!("Make a new password for {}:", e.email),
            t.accent,
        ));
    } else {
        lines.push(Line::styled(
            format!(
                "Make an app-specific password ({}/{} done):",
                c.done_count(),
                c.items.len()
            ),
            t.accent,
        ));
    }
    lines.push(Line::from(vec![
        Span::raw("Link: "),
        Span::styled(APPLE_ACCOUNT_URL, t.key),
        Span::styled("  (o opens it)", t.dim),
    ]));
    lines.extend(checklist(c, area.width, t));
    if area.height >= 14 {
        for fact in APP_PASSWORD_FACTS {
            lines.push(Line::styled(format!("\u{2022} {fact}"), t.dim));
        }
    }
    f.render_widget(para(lines), area);
}
