//! Two-factor authentication: is it on? where to turn it on? the steps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::theme::Theme;
use super::widgets::{checklist, menu, para};
use crate::wizard::TwoFactorStage;
use crate::wizard::checklists::{APPLE_ACCOUNT_URL, TWO_STEP_NOTE, TwoFactorPath};
use crate::wizard::model::TWO_FACTOR_ANSWERS;

pub fn render(f: &mut Frame, area: Rect, stage: &TwoFactorStage, t: &Theme) {
    let mut lines = Vec::new();
    match stage {
        TwoFactorStage::Ask { selected } => {
            lines.push(Line::styled(
                "Is two-factor authentication on for your Apple Account?",
                t.accent,
            ));
            lines.push(Line::styled(
                "App-specific passwords need it. Accounts made in recent years have it already.",
                t.dim,
            ));
            lines.push(Line::from(""));
            let items: Vec<String> = TWO_FACTOR_ANSWERS.iter().map(|s| s.to_string()).collect();
            lines.extend(menu(&items, *selected, t));
        }
        TwoFactorStage::Pick { selected } => {
            lines.push(Line::styled("Where will you turn it on?", t.accent));
            lines.push(Line::from(""));
            let items: Vec<String> = TwoFactorPath::ALL
                .iter()
                .map(|p| p.label().to_string())
                .collect();
            lines.extend(menu(&items, *selected, t));
            lines.push(Line::from(""));
            lines.push(Line::styled(TWO_STEP_NOTE, t.dim));
        }
        TwoFactorStage::Steps { path, checklist: c } => {
            lines.push(Line::styled(
                format!(
                    "Turn on two-factor authentication {} ({}/{} done):",
                    path.label().to_lowercase(),
                    c.done_count(),
                    c.items.len()
                ),
                t.accent,
            ));
            lines.extend(checklist(c, area.width, t));
            if *path == TwoFactorPath::Web {
                lines.push(Line::from(""));
                lines.push(Line::from(format!("Link: {APPLE_ACCOUNT_URL}")));
            }
        }
    }
    f.render_widget(para(lines), area);
}
