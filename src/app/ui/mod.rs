//! The TUI's rendering: a function of the model (through its `Prompt`)
//! and the view. Steps with a text field have a file each; every other
//! step is laid out by `body`.

pub mod account;
pub mod body;
pub mod help;
pub mod password;
pub mod qr;
pub mod scroll;
pub mod theme;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::app::tui::View;
use crate::app::tui::hints::hints;
use crate::app::tui::keys::{Action, label_for};
use crate::app::wizard::{Field, Model, prompt};
use theme::Theme;

pub use crate::app::tui::view::{MIN_HEIGHT, MIN_WIDTH};

pub const SPINNER: [&str; 10] = [
    "\u{280b}", "\u{2819}", "\u{2839}", "\u{2838}", "\u{283c}", "\u{2834}", "\u{2826}", "\u{2827}",
    "\u{2807}", "\u{280f}",
];

/// Draw the whole screen.
pub fn draw(f: &mut Frame, m: &Model, v: &View) {
    draw_screen(f, m, v);
    inert(f.buffer_mut());
}

/// Every cell as something a terminal only shows. ratatui drops control
/// characters itself; a bidi or zero-width character (a value from the
/// outside can carry one: a keyring's message, a label, a username) is
/// taken out of its cell, so that no cell reorders or hides its
/// neighbours. A cell left with nothing shows `?`.
fn inert(buf: &mut ratatui::buffer::Buffer) {
    let acts = crate::sys::text::acts_on_terminal;
    for cell in &mut buf.content {
        if cell.symbol().chars().any(acts) {
            let kept: String = cell.symbol().chars().filter(|c| !acts(*c)).collect();
            cell.set_symbol(if kept.is_empty() { "?" } else { &kept });
        }
    }
}

fn draw_screen(f: &mut Frame, m: &Model, v: &View) {
    let area = f.area();
    let t = theme::theme(v.no_color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, t);
        return;
    }
    let notice_lines = notice(m, v, area);
    let p = prompt(m);
    let [header, body, notice_area, footer] = rows(area, notice_lines.len());
    draw_header(f, header, m, p.step, t);
    let block = widgets::frame_block(p.title, roomy(area), t);
    f.render_widget(block, body);
    let inner = inside(body, area);
    let cursor = match p.field {
        Some(Field::Account) => account::render(f, inner, &p, v, t),
        Some(Field::Password) => password::render(f, inner, &p, v, t),
        None => {
            body::render(f, inner, &p, v, t);
            None
        }
    };
    if !notice_lines.is_empty() {
        let lines: Vec<Line> = notice_lines
            .into_iter()
            .map(|l| Line::styled(l, t.warn))
            .collect();
        f.render_widget(Paragraph::new(lines), notice_area);
    }
    draw_footer(f, footer, m, v, t);
    if v.help {
        help::render(f, area, m, v, t);
    } else if v.qr {
        qr::render(f, area, &p, t);
    } else if m.confirming_quit {
        confirm_quit(f, area, t);
    } else if let Some(pos) = cursor {
        f.set_cursor_position(pos);
    }
}

/// The header, the body, the status under it and the footer.
fn rows(area: Rect, notice: usize) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(notice as u16),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// Room for a frame around the body, and a margin inside it.
fn roomy(area: Rect) -> bool {
    area.width >= 60 && area.height >= 18
}

/// The body's text area, inside its frame when there is room for one.
fn inside(body: Rect, area: Rect) -> Rect {
    if roomy(area) {
        Block::bordered()
            .inner(body)
            .inner(ratatui::layout::Margin::new(1, 0))
    } else {
        body
    }
}

/// Where the body of a step without a text field stands in a window of
/// the view's size: (offset now, the last offset, a page), for the keys
/// that scroll it. `None` before the size is known, when it is too small,
/// or on a step with a text field.
pub fn body_scroll(m: &Model, v: &View) -> Option<(usize, usize, usize)> {
    let (w, h) = v.size;
    let area = Rect::new(0, 0, w, h);
    if v.size == (0, 0) || w < MIN_WIDTH || h < MIN_HEIGHT {
        return None;
    }
    let p = prompt(m);
    let t = theme::theme(v.no_color);
    let inner = inside(rows(area, notice(m, v, area).len())[1], area);
    match p.field {
        Some(Field::Password) => {
            let (total, room) = password::help_rows(inner, &p, v, t);
            return Some(scroll::range(total, room, None, v.scroll));
        }
        Some(Field::Account) => return None,
        None => {}
    }
    let laid = body::lay_out(&p, v, inner.width as usize, t);
    let (at, _) = body::place(&laid, inner.height as usize, v);
    let (_, end, _) = scroll::range(
        laid.lines.len(),
        inner.height as usize,
        laid.selected,
        v.scroll,
    );
    Some((at.offset, end, at.room.saturating_sub(1).max(1)))
}

/// The status under the body (the wizard's, or the TUI's own), wrapped.
fn notice(m: &Model, v: &View, area: Rect) -> Vec<String> {
    m.notice
        .as_ref()
        .or(v.flash.as_ref())
        .map(|n| notice_lines(n, area.width as usize, area.height as usize / 3))
        .unwrap_or_default()
}

/// A status message wrapped to `width`, on at most `room` lines (at least
/// one): a message is never cut at the window's edge, where its fix
/// usually is; one too long even so ends with "…".
fn notice_lines(text: &str, width: usize, room: usize) -> Vec<String> {
    let mut lines = widgets::wrap(text, width.max(1));
    let room = room.max(1);
    if lines.len() > room {
        lines.truncate(room);
        if let Some(last) = lines.last_mut() {
            while unicode_width::UnicodeWidthStr::width(last.as_str()) + 1 > width
                && last.pop().is_some()
            {}
            last.push('\u{2026}');
        }
    }
    lines
}

fn draw_header(f: &mut Frame, area: Rect, m: &Model, step: Option<usize>, t: &Theme) {
    let mut spans = vec![Span::styled("icloud-mail-setup", t.title)];
    if let Some(step) = step {
        spans.push(Span::styled(format!("  step {step} of 5"), t.dim));
    }
    if !m.settings.uses_default_servers() {
        spans.push(Span::styled("  (test servers)", t.warn));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key hints, read from the key table.
fn draw_footer(f: &mut Frame, area: Rect, m: &Model, v: &View, t: &Theme) {
    let text = v.text_entry(m);
    let mut pieces: Vec<(&str, &str, bool)> = Vec::new();
    for (action, what) in hints(m, v) {
        let Some(key) = label_for(action, text) else {
            continue;
        };
        if pieces.iter().any(|(_, w, _)| *w == what) {
            continue;
        }
        pieces.push((
            key,
            what,
            matches!(action, Action::Help | Action::Quit | Action::Interrupt),
        ));
    }
    // Help and quit always show (the help lists every key); the others in
    // order while they fit.
    let width =
        |(key, what, _): &(&str, &str, bool)| key.chars().count() + what.chars().count() + 3;
    let kept: usize = pieces.iter().filter(|p| p.2).map(width).sum();
    let mut room = (area.width as usize).saturating_sub(kept);
    let mut shown = Vec::new();
    for p in &pieces {
        if p.2 {
            shown.push(p);
        } else if width(p) <= room {
            room -= width(p);
            shown.push(p);
        } else {
            room = 0;
        }
    }
    let mut spans = Vec::new();
    for (key, what, _) in shown {
        spans.push(Span::styled(key.to_string(), t.key));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn too_small(f: &mut Frame, area: Rect, t: &Theme) {
    let msg = vec![
        Line::styled("Make the window larger", t.title),
        Line::from(format!("(at least {MIN_WIDTH}\u{d7}{MIN_HEIGHT};")),
        Line::from(format!("now {}\u{d7}{})", area.width, area.height)),
        Line::from("Ctrl-C quits"),
    ];
    f.render_widget(
        Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn confirm_quit(f: &mut Frame, area: Rect, t: &Theme) {
    let r = centred(area, 50, 7);
    f.render_widget(Clear, r);
    let block = ratatui::widgets::Block::bordered().title(Span::styled(" Quit? ", t.title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    f.render_widget(
        widgets::para(vec![
            Line::from("The password works but is not saved yet."),
            Line::from("Quit anyway and lose it?"),
            Line::from(""),
            Line::from(vec![
                Span::styled("y", t.key),
                Span::raw(" quit   "),
                Span::styled("n", t.key),
                Span::raw(" stay"),
            ]),
        ]),
        inner,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::widgets::Widget;

    #[test]
    fn a_cell_that_would_act_on_the_terminal_is_replaced() {
        let area = Rect::new(0, 0, 12, 1);
        let mut buf = Buffer::empty(area);
        // ratatui drops a lone zero-width grapheme, but a joiner is part
        // of its letter's grapheme; a widget may set any symbol.
        Paragraph::new("ab\u{200d}c").render(area, &mut buf);
        buf[(5, 0)].set_symbol("\u{202e}");
        buf[(6, 0)].set_symbol("\u{1b}");
        let shown = |b: &Buffer| b.content.iter().map(|c| c.symbol()).collect::<String>();
        assert!(shown(&buf).contains('\u{200d}'), "{:?}", shown(&buf));
        inert(&mut buf);
        assert_eq!(shown(&buf), "abc  ??     ");
    }
}
