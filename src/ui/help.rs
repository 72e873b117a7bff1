//! The help overlay: every listed key, from the key table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};

use super::theme::Theme;
use super::widgets::para;
use crate::tui::keys::{Action, BINDINGS, Mode};

fn describe(a: Action) -> &'static str {
    match a {
        Action::Confirm => "continue / confirm",
        Action::Back => "back (cancels a running check)",
        Action::Toggle => "tick a step",
        Action::Up | Action::Down => "move",
        Action::NextField | Action::PrevField => "next / previous field",
        Action::OpenLink => "open account.apple.com in the browser",
        Action::Help => "this help",
        Action::Quit => "quit (asks first if a checked password is unsaved)",
        Action::Reveal => "show / hide the password",
        Action::ClearField => "clear the field",
        Action::Yes => "yes",
        Action::No => "no",
        _ => "",
    }
}

pub fn render(f: &mut Frame, area: Rect, t: &Theme) {
    let r = super::centred(area, 66, 20);
    f.render_widget(Clear, r);
    let block = Block::bordered().title(Span::styled(" Keys ", t.title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines = Vec::new();
    for b in BINDINGS.iter() {
        let Some(label) = b.label else { continue };
        let when = match b.mode {
            Mode::Text => " (in a text field)",
            Mode::Nav => "",
            Mode::Any => "",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>9} "), t.key),
            Span::raw(format!("{}{when}", describe(b.action))),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Paste the app-specific password on any screen: it is kept (hidden) and checked \
         once the address is known. Esc closes this help.",
        t.dim,
    ));
    f.render_widget(para(lines), inner);
}
