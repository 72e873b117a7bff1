//! The body of every step without a text field, laid out from its
//! `Prompt`: text, link, checklist, notes, answers. Lines are wrapped here
//! and the body scrolls so the selected step or answer is always on
//! screen, whatever the window size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::widgets::wrap;
use crate::app::tui::View;
use crate::app::wizard::{Prompt, Text, Tone};

/// The style of a tone.
pub fn style(tone: Tone, t: &Theme) -> Style {
    match tone {
        Tone::Intro => t.accent,
        Tone::Plain | Tone::Running => Style::new(),
        Tone::Dim => t.dim,
        Tone::Ok => t.ok,
        Tone::Err => t.err,
        Tone::Warn => t.warn,
        Tone::Key => t.key,
    }
}

/// `text` wrapped to `width`, as lines; running work gets the spinner.
pub fn text_lines<'a>(text: &Text, width: usize, v: &View, t: &Theme) -> Vec<Line<'a>> {
    let (lead, body) = match text.tone {
        Tone::Running => (
            format!("{} ", super::SPINNER[v.spinner % super::SPINNER.len()]),
            text.text.clone(),
        ),
        _ => (String::new(), text.text.clone()),
    };
    // Keep leading spaces (indented lines) through the wrap.
    let indent: String = body.chars().take_while(|c| *c == ' ').collect();
    let room = width
        .saturating_sub(lead.chars().count() + indent.len())
        .max(8);
    wrap(&body, room)
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let first = if i == 0 {
                lead.clone()
            } else {
                " ".repeat(lead.chars().count())
            };
            Line::from(vec![
                Span::styled(first, t.accent),
                Span::styled(format!("{indent}{chunk}"), style(text.tone, t)),
            ])
        })
        .collect()
}

/// A marked entry (menu answer or checklist step), wrapped under itself.
fn entry<'a>(mark: Vec<Span<'a>>, text: &str, width: usize, sel: bool, t: &Theme) -> Vec<Line<'a>> {
    let indent: usize = mark.iter().map(|s| s.content.chars().count()).sum();
    let style = if sel { t.selected } else { Style::new() };
    let mut mark = Some(mark);
    wrap(text, width.saturating_sub(indent).max(8))
        .into_iter()
        .map(|chunk| {
            let mut spans = mark
                .take()
                .unwrap_or_else(|| vec![Span::raw(" ".repeat(indent))]);
            spans.push(Span::styled(chunk, style));
            Line::from(spans)
        })
        .collect()
}

pub fn render(f: &mut Frame, area: Rect, p: &Prompt, v: &View, t: &Theme) {
    let width = area.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    // The rows of the selected entry, to keep on screen.
    let mut selected_rows = None;
    // The first row of each error (a status's headline, e.g. "✗ Keyring"):
    // never scrolled away unseen.
    let mut headlines = Vec::new();
    for text in &p.lines {
        if text.tone == Tone::Err {
            headlines.push(lines.len());
        }
        lines.extend(text_lines(text, width, v, t));
    }
    if let Some(link) = p.link {
        let text = Text {
            tone: Tone::Key,
            text: format!("Link: {link}  (o opens it)"),
        };
        lines.extend(text_lines(&text, width, v, t));
    }
    for text in &p.checks {
        lines.extend(text_lines(text, width, v, t));
    }
    let checklist_selects = p.options.is_empty();
    for (i, (step, done)) in p.checklist.iter().enumerate() {
        let sel = checklist_selects && i == v.selected;
        let start = lines.len();
        let mark = vec![
            Span::styled(if sel { "\u{203a} " } else { "  " }, t.accent),
            Span::styled(
                if *done { "[x]" } else { "[ ]" },
                if *done { t.ok } else { t.dim },
            ),
            Span::raw(" "),
        ];
        lines.extend(entry(mark, step, width, sel, t));
        if sel {
            selected_rows = Some((start, lines.len()));
        }
    }
    for text in &p.after {
        lines.extend(text_lines(text, width, v, t));
    }
    if !p.options.is_empty() {
        lines.push(Line::from(""));
        for (i, (_, label)) in p.options.iter().enumerate() {
            let sel = i == v.selected;
            let start = lines.len();
            let mark = vec![Span::styled(if sel { "\u{203a} " } else { "  " }, t.accent)];
            lines.extend(entry(mark, label, width, sel, t));
            if sel {
                selected_rows = Some((start, lines.len()));
            }
        }
    }
    let height = area.height as usize;
    if let Some(sel) = selected_rows {
        // The selection stays in view; what is cut off above or below is
        // said by a row of its own, never hidden in silence.
        let (offset, up, down, room) = fit(lines.len(), sel, height);
        // An error headline scrolled off the top takes the place of the
        // "↑ more" mark: the first line of a status always shows.
        let top = headlines
            .iter()
            .find(|&&r| r < offset)
            .map(|&r| lines[r].clone())
            .unwrap_or_else(|| Line::styled("\u{2191} more", t.dim));
        let body = Rect::new(area.x, area.y + up as u16, area.width, room as u16);
        f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), body);
        let mark = |f: &mut Frame, y: u16, line: Line| {
            let row = Rect::new(area.x, y, area.width, 1);
            f.render_widget(Paragraph::new(line), row);
        };
        if up {
            mark(f, area.y, top);
        }
        if down {
            let y = area.y + (up as usize + room) as u16;
            mark(f, y, Line::styled("\u{2193} more", t.dim));
        }
        return;
    }
    // Nothing to select: ↑↓ scroll (the view counts the steps).
    let offset = v.selected.min(lines.len().saturating_sub(height));
    let more = lines.len() > offset + height;
    f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), area);
    if more && area.height > 0 {
        let last = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
        f.render_widget(ratatui::widgets::Clear, last);
        f.render_widget(
            Paragraph::new(Line::styled(
                "\u{2193} more (\u{2191}\u{2193} scroll)",
                t.dim,
            )),
            last,
        );
    }
}

/// For `total` rows with rows `sel` selected in `height` rows: the scroll
/// offset, whether rows are cut off above and below (each then takes a
/// row for its "more" mark), and the rows left for the text.
pub fn fit(total: usize, sel: (usize, usize), height: usize) -> (usize, bool, bool, usize) {
    let mut room = height;
    loop {
        let offset = scroll_offset(Some(sel), room);
        let (up, down) = (offset > 0, total > offset + room);
        // Too small for marks: the selection comes first.
        if height < 3 {
            return (offset, false, false, room);
        }
        let want = height - up as usize - down as usize;
        if want >= room {
            return (offset, up, down, room);
        }
        room = want;
    }
}

/// How far to scroll so rows `start..end` are visible in `height` rows.
pub fn scroll_offset(selected: Option<(usize, usize)>, height: usize) -> usize {
    match selected {
        Some((start, end)) if end > height => (end - height).min(start),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scrolls_just_enough_to_show_the_selection() {
        use super::scroll_offset;
        assert_eq!(scroll_offset(None, 5), 0);
        assert_eq!(scroll_offset(Some((2, 3)), 5), 0);
        assert_eq!(scroll_offset(Some((7, 9)), 5), 4);
        // An entry taller than the body shows its start.
        assert_eq!(scroll_offset(Some((7, 20)), 5), 7);
    }

    #[test]
    fn what_is_cut_off_takes_a_row_to_say_so() {
        use super::fit;
        // All fits: no marks.
        assert_eq!(fit(5, (4, 5), 5), (0, false, false, 5));
        // More below the selection.
        assert_eq!(fit(10, (1, 2), 5), (0, false, true, 4));
        // The selection at the end: more above.
        assert_eq!(fit(10, (9, 10), 5), (6, true, false, 4));
        // In the middle: both, and the selection still shows.
        let (offset, up, down, room) = fit(20, (10, 11), 5);
        assert!(up && down && room == 3);
        assert!(offset <= 10 && 11 <= offset + room);
    }
}
