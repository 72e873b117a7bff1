//! The body of every step without a text field, laid out from its
//! `Prompt`: text, link, checklist, notes, answers. Lines are wrapped here
//! and the body scrolls so the selected step or answer is always on
//! screen, whatever the window size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::scroll::{self, MORE_ABOVE, MORE_BELOW, Place, place as place_rows};
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

/// A body laid out at a width: its rows, the rows of the selected entry,
/// and the first row of each error (a status's headline, e.g. "✗ Keyring").
pub struct Laid<'a> {
    pub lines: Vec<Line<'a>>,
    pub selected: Option<(usize, usize)>,
    headlines: Vec<usize>,
}

pub fn lay_out<'a>(p: &Prompt, v: &View, width: usize, t: &Theme) -> Laid<'a> {
    let mut lines: Vec<Line> = Vec::new();
    let mut selected = None;
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
            selected = Some((start, lines.len()));
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
                selected = Some((start, lines.len()));
            }
        }
    }
    Laid {
        lines,
        selected,
        headlines,
    }
}

/// Where the body stands in `height` rows; with `pinned`, the error
/// headline scrolled off the top that keeps the first row (the "↑ more"
/// mark then goes under it).
pub fn place(laid: &Laid, height: usize, v: &View) -> (Place, Option<usize>) {
    let total = laid.lines.len();
    let at = place_rows(total, height, laid.selected, v.scroll);
    if !at.up || height < 5 {
        return (at, None);
    }
    let below = place_rows(total, height - 1, laid.selected, v.scroll);
    match laid.headlines.iter().find(|&&r| r < below.offset) {
        Some(&r) => (below, Some(r)),
        None => (at, None),
    }
}

/// Draw the body: the selection in view (or where the person scrolled
/// it), and a row of its own for what is cut off above or below, never
/// hidden in silence. An error headline scrolled off the top keeps the
/// first row: the first line of a status always shows.
pub fn render(f: &mut Frame, area: Rect, p: &Prompt, v: &View, t: &Theme) {
    let laid = lay_out(p, v, area.width as usize, t);
    let (at, pinned) = place(&laid, area.height as usize, v);
    let mut area = area;
    if let Some(r) = pinned {
        let row = Rect::new(area.x, area.y, area.width, 1);
        f.render_widget(Paragraph::new(laid.lines[r].clone()), row);
        area.y += 1;
        area.height -= 1;
    }
    scroll::draw(f, area, laid.lines, at, [MORE_ABOVE, MORE_BELOW], t);
}
