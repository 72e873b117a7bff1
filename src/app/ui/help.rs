//! The help overlay: the current step explained (from `wizard::help`, the
//! text plain mode's `?` prints too), then every listed key, from the key
//! table. Wrapped to the window and scrolled with ↑↓ / PgUp / PgDn.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use super::widgets::wrap;
use crate::app::tui::View;
use crate::app::tui::keys::{Action, BINDINGS, Mode};
use crate::app::wizard::{Model, help, prompt};

fn describe(a: Action) -> &'static str {
    match a {
        Action::Confirm => "continue / confirm",
        Action::Back => "back (cancels a running check)",
        Action::Toggle => "tick a step",
        Action::Up | Action::Down => {
            "move; past the first or last answer, and in this help, scroll (PgUp/PgDn a page)"
        }
        Action::NextField | Action::PrevField => "next / previous field",
        Action::OpenLink => "open the link in this computer's browser",
        Action::ShowQr => "show the link as a QR code, for a phone's camera",
        Action::CopyLink => {
            "copy the link to the clipboard (by OSC 52, which works over SSH and in tmux where \
             the terminal allows it, and by the desktop's clipboard program)"
        }
        Action::Redraw => "clear and redraw the screen",
        Action::Help => "this help",
        Action::Quit => {
            "quit (asks first if a checked password is unsaved); over this help or the QR code, \
             closes it"
        }
        Action::Interrupt => "quit, from anywhere",
        Action::Reveal => "show / hide the password",
        Action::ClearField => "clear the field",
        Action::Yes => "yes",
        Action::No => "no",
        _ => "",
    }
}

/// Where the overlay goes: the whole window above the footer (at most
/// 100 columns wide, centred).
fn overlay(area: Rect) -> Rect {
    let w = area.width.min(100);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y,
        w,
        area.height.saturating_sub(1).max(3).min(area.height),
    )
}

/// Every line of the help at `width` columns, with its style.
fn lines(m: &Model, t: &Theme, width: usize) -> Vec<(String, Style)> {
    let width = width.max(10);
    let mut out = Vec::new();
    for s in help::help(m) {
        for l in wrap(&s.title, width) {
            out.push((l, t.title));
        }
        for p in &s.paragraphs {
            for l in wrap(p, width) {
                out.push((l, Style::new()));
            }
        }
        if let Some(url) = s.url {
            out.push(("Apple's article:".into(), t.dim));
            // Alone on its line, never wrapped, so it stays one link.
            out.push((url.to_string(), t.key));
        }
        out.push((String::new(), Style::new()));
    }
    out.push(("Keys".into(), t.title));
    for b in BINDINGS.iter() {
        let Some(label) = b.label else { continue };
        let when = match b.mode {
            Mode::Text => " (in a text field)",
            Mode::Nav | Mode::Any => "",
        };
        let text = format!("{}{when}", describe(b.action));
        for (i, l) in wrap(&text, width.saturating_sub(8)).into_iter().enumerate() {
            let l = if i == 0 {
                format!("{label:>6}  {l}")
            } else {
                format!("        {l}")
            };
            out.push((l, Style::new()));
        }
    }
    out.push((String::new(), Style::new()));
    for l in wrap(
        "Paste the app-specific password on any screen: it is kept (hidden) and checked once \
         the address is known. Esc, q or ? closes this help.",
        width,
    ) {
        out.push((l, t.dim));
    }
    out
}

fn inner(area: Rect) -> Rect {
    Block::bordered().inner(overlay(area))
}

/// How far the help can scroll in a `width`×`height` window.
pub fn max_scroll(m: &Model, v: &View, width: u16, height: u16) -> u16 {
    let t = super::theme::theme(v.no_color);
    let r = inner(Rect::new(0, 0, width, height));
    let n = lines(m, t, r.width as usize).len();
    u16::try_from(n.saturating_sub(r.height as usize)).unwrap_or(u16::MAX)
}

pub fn render(f: &mut Frame, area: Rect, m: &Model, v: &View, t: &Theme) {
    let r = overlay(area);
    f.render_widget(Clear, r);
    let body = inner(area);
    let all = lines(m, t, body.width as usize);
    let max = all.len().saturating_sub(body.height as usize);
    let top = (v.help_scroll as usize).min(max);
    let position = if max == 0 {
        String::new()
    } else if top >= max {
        " end, \u{2191} for more ".to_string()
    } else {
        format!(
            " \u{2193} more ({}/{}) ",
            top + body.height as usize,
            all.len()
        )
    };
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Help: {} ", prompt(m).title),
            t.title,
        ))
        .title_bottom(Line::from(Span::styled(position, t.dim)).right_aligned());
    f.render_widget(block, r);
    let shown: Vec<Line> = all
        .into_iter()
        .skip(top)
        .take(body.height as usize)
        .map(|(text, style)| Line::styled(text, style))
        .collect();
    f.render_widget(Paragraph::new(shown), body);
}
