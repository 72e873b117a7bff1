//! The masked password field with live form feedback, and the label.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::{field, para};
use crate::apppass::{Form, assess};
use crate::wizard::{Model, PasswordField};

/// Bullets for letters; separators stay visible so grouping can be seen.
pub fn mask(s: &str) -> String {
    s.chars()
        .map(|c| if c == '-' || c == ' ' { c } else { '\u{2022}' })
        .collect()
}

pub fn render(f: &mut Frame, area: Rect, m: &Model, t: &Theme) -> Option<(u16, u16)> {
    let [intro, p_field, p_status, gap, l_field, l_help] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let _ = gap;
    let who = m
        .flow
        .account
        .as_ref()
        .map(|a| a.email.as_str().to_string())
        .unwrap_or_default();
    f.render_widget(
        para(vec![Line::from(vec![
            Span::styled("Paste the app-specific password for ", t.accent),
            Span::styled(who, t.key),
        ])]),
        intro,
    );
    let raw = m.flow.password.peek();
    let shown = if m.flow.reveal {
        raw.to_string()
    } else {
        mask(raw)
    };
    let focus = m.flow.password_focus;
    let mut cursor = field(
        f,
        p_field,
        "Password",
        &shown,
        shown.chars().count(),
        focus == PasswordField::Password,
        t,
    );
    let status = if let Some(e) = &m.flow.password_error {
        Line::from(vec![
            Span::styled("\u{2717} ", t.err),
            Span::styled(e.clone(), t.err),
        ])
    } else {
        match assess(raw) {
            Form::Empty => Line::styled(
                "Four groups of four letters, like abcd-efgh-ijkl-mnop. Not your Apple Account password.",
                t.dim,
            ),
            Form::Incomplete { letters } => Line::styled(format!("{letters} of 16 letters"), t.dim),
            Form::Valid => Line::from(vec![
                Span::styled("\u{2713} ", t.ok),
                Span::raw("That looks like an app-specific password. Enter checks it."),
            ]),
            Form::Invalid(e) => Line::from(vec![
                Span::styled("\u{2717} ", t.err),
                Span::styled(e.to_string(), t.err),
            ]),
        }
    };
    f.render_widget(para(vec![status]), p_status);
    let c = field(
        f,
        l_field,
        "Label at Apple",
        m.flow.label.value(),
        m.flow.label.cursor(),
        focus == PasswordField::Label,
        t,
    );
    cursor = cursor.or(c);
    if l_help.height > 0 {
        f.render_widget(
            para(vec![Line::styled(
                "The label is kept with the account, so you can find the password to revoke later.",
                t.dim,
            )]),
            l_help,
        );
    }
    cursor
}

#[cfg(test)]
mod tests {
    #[test]
    fn mask_hides_letters_keeps_grouping() {
        assert_eq!(
            super::mask("abcd-ef"),
            "\u{2022}\u{2022}\u{2022}\u{2022}-\u{2022}\u{2022}"
        );
    }
}
