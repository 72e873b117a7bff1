//! Storing the password and writing the config.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::para;
use crate::wizard::{KeyringStatus, Model, SaveState};

pub fn render(f: &mut Frame, area: Rect, m: &Model, s: &SaveState, t: &Theme) {
    let store = match &m.keyring {
        KeyringStatus::Ready { name } => name.clone(),
        _ => "the keyring".into(),
    };
    let lines = match s {
        SaveState::Saving => vec![Line::from(vec![
            Span::styled(super::spinner(m, 0), t.accent),
            Span::raw(format!(
                " Storing the password in {store}, reading it back, writing the config\u{2026}"
            )),
        ])],
        SaveState::Failed(e) => vec![
            Line::styled("\u{2717} The password could not be saved.", t.err),
            Line::styled(e.clone(), t.err),
            Line::from(""),
            Line::from("Nothing was replaced: any password stored before is still there."),
            Line::from("Enter tries again; Esc goes back."),
        ],
    };
    f.render_widget(para(lines), area);
}
