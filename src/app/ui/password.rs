//! The password step: the masked password field with live form feedback,
//! and the label.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::body::text_lines;
use super::theme::Theme;
use super::widgets::{field, para};
use crate::app::tui::View;
use crate::app::wizard::Prompt;
use crate::domain::apppass::{Form, assess};

/// Bullets for letters; separators stay visible so grouping can be seen.
pub fn mask(s: &str) -> String {
    s.chars()
        .map(|c| if c == '-' || c == ' ' { c } else { '\u{2022}' })
        .collect()
}

pub fn render(f: &mut Frame, area: Rect, p: &Prompt, v: &View, t: &Theme) -> Option<(u16, u16)> {
    let width = area.width as usize;
    // The first line asks; the second (the expected form) is the field's
    // status while it is empty.
    let intro: Vec<Line> = p
        .lines
        .iter()
        .take(1)
        .flat_map(|l| text_lines(l, width, v, t))
        .collect();
    let [intro_area, p_field, p_status, gap, l_field, l_help] = Layout::vertical([
        Constraint::Length(intro.len() as u16 + 1),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let _ = gap;
    f.render_widget(para(intro), intro_area);
    let raw = v.password.peek();
    let shown = if v.reveal { raw.to_string() } else { mask(raw) };
    let mut cursor = field(
        f,
        p_field,
        "Password",
        &shown,
        shown.chars().count(),
        !v.second_field,
        t,
    );
    let error = v.field_error.as_ref().or(p.error.as_ref());
    let status = if let Some(e) = error {
        Line::from(vec![
            Span::styled("\u{2717} ", t.err),
            Span::styled(e.clone(), t.err),
        ])
    } else {
        match assess(raw) {
            Form::Empty => Line::styled(
                p.lines.get(1).map(|l| l.text.clone()).unwrap_or_default(),
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
        v.label.value(),
        v.label.cursor(),
        v.second_field,
        t,
    );
    cursor = cursor.or(c);
    if l_help.height > 0 {
        let help: Vec<Line> = p
            .after
            .iter()
            .flat_map(|l| text_lines(l, width, v, t))
            .collect();
        f.render_widget(para(help), l_help);
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
