//! Colours and emphasis, with a monochrome variant for `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub title: Style,
    pub accent: Style,
    pub ok: Style,
    pub err: Style,
    pub warn: Style,
    pub dim: Style,
    pub selected: Style,
    pub key: Style,
    pub field: Style,
    pub field_focus: Style,
    /// A QR code: dark modules on a light ground whatever the terminal's
    /// colours. The same in both themes: the colours are what makes it
    /// scan (reverse video would invert it on a light-background terminal,
    /// and phones read inverted codes poorly), not decoration.
    pub qr: Style,
}

/// Black modules on white, in every theme.
const QR: Style = Style::new().fg(Color::Black).bg(Color::White);

pub const COLOR: Theme = Theme {
    title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    accent: Style::new().fg(Color::Cyan),
    ok: Style::new().fg(Color::Green),
    err: Style::new().fg(Color::Red),
    warn: Style::new().fg(Color::Yellow),
    dim: Style::new().fg(Color::DarkGray),
    selected: Style::new().fg(Color::Black).bg(Color::Cyan),
    key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    field: Style::new(),
    field_focus: Style::new().fg(Color::Cyan),
    qr: QR,
};

pub const MONO: Theme = Theme {
    title: Style::new().add_modifier(Modifier::BOLD),
    accent: Style::new(),
    ok: Style::new(),
    err: Style::new().add_modifier(Modifier::BOLD),
    warn: Style::new(),
    dim: Style::new(),
    selected: Style::new().add_modifier(Modifier::REVERSED),
    key: Style::new().add_modifier(Modifier::BOLD),
    field: Style::new(),
    field_focus: Style::new().add_modifier(Modifier::BOLD),
    qr: QR,
};

pub fn theme(no_color: bool) -> &'static Theme {
    if no_color { &MONO } else { &COLOR }
}
