//! The password step: the masked password field with live form feedback,
//! and the label.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::body::text_lines;
use super::scroll;
use super::theme::Theme;
use super::widgets::{Field, field, para};
use crate::app::tui::View;
use crate::app::wizard::Prompt;
use crate::domain::apppass::{Form, assess};

/// Bullets for letters; separators stay visible so grouping can be seen.
pub fn mask(s: &str) -> String {
    s.chars()
        .map(|c| if c == '-' || c == ' ' { c } else { '\u{2022}' })
        .collect()
}

/// The first line of the prompt, which asks; the second (the expected
/// form) is the field's status while it is empty.
fn intro<'a>(p: &Prompt, width: usize, v: &View, t: &Theme) -> Vec<Line<'a>> {
    p.lines
        .iter()
        .take(1)
        .flat_map(|l| text_lines(l, width, v, t))
        .collect()
}

/// What the label is for, under its field.
fn label_help<'a>(p: &Prompt, width: usize, v: &View, t: &Theme) -> Vec<Line<'a>> {
    p.after
        .iter()
        .flat_map(|l| text_lines(l, width, v, t))
        .collect()
}

/// The intro, the password field, its status, a gap, the label field and
/// its help (which scrolls with PgUp/PgDn when cut off). In a small
/// window the blank rows go first.
fn regions(area: Rect, intro: usize) -> [Rect; 6] {
    let blank = u16::from(area.height >= 12);
    Layout::vertical([
        Constraint::Length(intro as u16 + blank),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(blank),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area)
}

/// The label's help at this size: (its rows, the rows it has).
pub fn help_rows(area: Rect, p: &Prompt, v: &View, t: &Theme) -> (usize, usize) {
    let width = area.width as usize;
    let room = regions(area, intro(p, width, v, t).len())[5].height;
    (label_help(p, width, v, t).len(), room as usize)
}

pub fn render(f: &mut Frame, area: Rect, p: &Prompt, v: &View, t: &Theme) -> Option<(u16, u16)> {
    let width = area.width as usize;
    // The first line asks; the second (the expected form) is the field's
    // status while it is empty.
    let intro = intro(p, width, v, t);
    let [intro_area, p_field, p_status, _, l_field, l_help] = regions(area, intro.len());
    f.render_widget(para(intro), intro_area);
    let raw = v.password.peek();
    let shown = if v.reveal { raw.to_string() } else { mask(raw) };
    let password = Field {
        label: "Password",
        shown: &shown,
        cursor: shown.chars().count(),
        focused: !v.second_field,
    };
    let mut cursor = field(f, p_field, password, t);
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
        Field::of("Label at Apple", &v.label, v.second_field),
        t,
    );
    cursor = cursor.or(c);
    if l_help.height > 0 {
        let help = label_help(p, width, v, t);
        let at = scroll::place(help.len(), l_help.height as usize, None, v.scroll);
        let marks = [scroll::FIELD_MORE_ABOVE, scroll::FIELD_MORE_BELOW];
        scroll::draw(f, l_help, help, at, marks, t);
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
