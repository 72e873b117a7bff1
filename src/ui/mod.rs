//! Rendering: a function of the model, one file per screen.

pub mod account;
pub mod app_password;
pub mod done;
pub mod help;
pub mod password;
pub mod save;
pub mod theme;
pub mod two_factor;
pub mod verify;
pub mod welcome;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::wizard::keys::label_for;
use crate::wizard::update::hints;
use crate::wizard::{Model, Overlay, Screen};
use theme::Theme;

pub use crate::wizard::model::{MIN_HEIGHT, MIN_WIDTH};

pub const SPINNER: [&str; 10] = [
    "\u{280b}", "\u{2819}", "\u{2839}", "\u{2838}", "\u{283c}", "\u{2834}", "\u{2826}", "\u{2827}",
    "\u{2807}", "\u{280f}",
];

pub fn spinner(m: &Model, offset: usize) -> &'static str {
    SPINNER[(m.spinner + offset) % SPINNER.len()]
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, m: &Model) {
    let area = f.area();
    let t = theme::theme(m.no_color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, t);
        return;
    }
    let roomy = area.width >= 60 && area.height >= 18;
    let [header, body, notice, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(if m.notice.is_some() { 1 } else { 0 }),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, header, m, t);
    let block = widgets::frame_block(m.screen.title(), roomy, t);
    let inner = block.inner(body);
    f.render_widget(block, body);
    let inner = if roomy {
        inner.inner(ratatui::layout::Margin::new(1, 0))
    } else {
        inner
    };
    let cursor = match &m.screen {
        Screen::Welcome { selected } => {
            welcome::render(f, inner, m, *selected, t);
            None
        }
        Screen::TwoFactor(stage) => {
            two_factor::render(f, inner, stage, t);
            None
        }
        Screen::AppPassword { checklist } => {
            app_password::render(f, inner, m, checklist, t);
            None
        }
        Screen::Account => account::render(f, inner, m, t),
        Screen::Password => password::render(f, inner, m, t),
        Screen::Verify(v) => {
            verify::render(f, inner, m, v, t);
            None
        }
        Screen::Save(s) => {
            save::render(f, inner, m, s, t);
            None
        }
        Screen::Done => {
            done::render(f, inner, m, t);
            None
        }
    };
    if let Some(n) = &m.notice {
        f.render_widget(Paragraph::new(Span::styled(n.clone(), t.warn)), notice);
    }
    draw_footer(f, footer, m, t);
    match m.overlay {
        Overlay::Help => help::render(f, area, m, t),
        Overlay::ConfirmQuit => confirm_quit(f, area, t),
        Overlay::None => {
            if let Some(pos) = cursor {
                f.set_cursor_position(pos);
            }
        }
    }
}

fn draw_header(f: &mut Frame, area: Rect, m: &Model, t: &Theme) {
    let mut spans = vec![Span::styled("icloud-mail-setup", t.title)];
    if let Some(step) = m.screen.step() {
        spans.push(Span::styled(format!("  step {step} of 5"), t.dim));
    }
    if !m.settings.uses_default_servers() {
        spans.push(Span::styled("  (test servers)", t.warn));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key hints, read from the key table.
fn draw_footer(f: &mut Frame, area: Rect, m: &Model, t: &Theme) {
    let text = m.text_entry();
    let mut spans = Vec::new();
    let mut seen = Vec::new();
    for (action, what) in hints(m) {
        let Some(key) = label_for(action, text) else {
            continue;
        };
        if seen.contains(&what) {
            continue;
        }
        seen.push(what);
        let piece_len = key.chars().count() + what.chars().count() + 3;
        let used: usize = spans.iter().map(|s: &Span| s.content.chars().count()).sum();
        if used + piece_len > area.width as usize {
            break;
        }
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
