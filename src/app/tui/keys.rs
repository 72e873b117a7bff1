//! The key map: one table turns terminal events into actions, and the
//! footer's hints are read from the same table, so they cannot disagree.
//! Actions are the TUI's own; `view.rs` turns them into the wizard's
//! intents.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::sys::secret::RawSecret;

/// What a terminal event means to the TUI.
#[derive(Debug)]
pub enum Input {
    Action(Action),
    /// Bracketed paste, moved into a zeroizing buffer (never copied).
    Paste(RawSecret),
    Resize {
        width: u16,
        height: u16,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Back,
    Toggle,
    Up,
    Down,
    NextField,
    PrevField,
    OpenLink,
    /// Show the step's link as a QR code.
    ShowQr,
    /// Copy the step's link to the clipboard (outside text fields only:
    /// in a field the clipboard may hold the password just copied).
    CopyLink,
    /// Clear and redraw the whole screen (Ctrl-L, as in shells and less).
    Redraw,
    PageUp,
    PageDown,
    Help,
    /// `q`: quit, or close an open overlay.
    Quit,
    /// Ctrl-C: quit from anywhere, overlays included.
    Interrupt,
    Reveal,
    Yes,
    No,
    // Editing a text field.
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    ClearField,
}

/// When a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everywhere.
    Any,
    /// Only while no text field has focus (letters are commands).
    Nav,
    /// Only while a text field has focus (letters are typed).
    Text,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub action: Action,
    pub mode: Mode,
    /// How the footer and help name the keys; `None` = not listed.
    pub label: Option<&'static str>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

pub static BINDINGS: &[Binding] = &[
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        action: Action::Confirm,
        mode: Mode::Any,
        label: Some("Enter"),
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        action: Action::Back,
        mode: Mode::Any,
        label: Some("Esc"),
    },
    Binding {
        keys: &[(KeyCode::Char(' '), NONE)],
        action: Action::Toggle,
        mode: Mode::Nav,
        label: Some("Space"),
    },
    Binding {
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        action: Action::Up,
        mode: Mode::Nav,
        label: Some("\u{2191}\u{2193}/jk"),
    },
    Binding {
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        action: Action::Down,
        mode: Mode::Nav,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Up, NONE)],
        action: Action::PrevField,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Down, NONE)],
        action: Action::NextField,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Tab, NONE)],
        action: Action::NextField,
        mode: Mode::Any,
        label: Some("Tab"),
    },
    Binding {
        keys: &[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)],
        action: Action::PrevField,
        mode: Mode::Any,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Char('o'), NONE)],
        action: Action::OpenLink,
        mode: Mode::Nav,
        label: Some("o"),
    },
    Binding {
        keys: &[(KeyCode::Char('o'), CTRL)],
        action: Action::OpenLink,
        mode: Mode::Text,
        label: Some("^O"),
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        action: Action::ShowQr,
        mode: Mode::Nav,
        label: Some("r"),
    },
    Binding {
        keys: &[(KeyCode::Char('g'), CTRL)],
        action: Action::ShowQr,
        mode: Mode::Text,
        label: Some("^G"),
    },
    Binding {
        keys: &[(KeyCode::Char('c'), NONE)],
        action: Action::CopyLink,
        mode: Mode::Nav,
        label: Some("c"),
    },
    Binding {
        keys: &[(KeyCode::Char('l'), CTRL)],
        action: Action::Redraw,
        mode: Mode::Any,
        label: Some("^L"),
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE)],
        action: Action::PageUp,
        mode: Mode::Any,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE)],
        action: Action::PageDown,
        mode: Mode::Any,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Char('r'), CTRL)],
        action: Action::Reveal,
        mode: Mode::Text,
        label: Some("^R"),
    },
    Binding {
        keys: &[(KeyCode::Char('u'), CTRL)],
        action: Action::ClearField,
        mode: Mode::Text,
        label: Some("^U"),
    },
    Binding {
        keys: &[(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        action: Action::Help,
        mode: Mode::Nav,
        label: Some("?"),
    },
    Binding {
        keys: &[(KeyCode::F(1), NONE)],
        action: Action::Help,
        mode: Mode::Any,
        label: Some("F1"),
    },
    Binding {
        keys: &[(KeyCode::Char('y'), NONE), (KeyCode::Char('Y'), SHIFT)],
        action: Action::Yes,
        mode: Mode::Nav,
        label: Some("y"),
    },
    Binding {
        keys: &[(KeyCode::Char('n'), NONE), (KeyCode::Char('N'), SHIFT)],
        action: Action::No,
        mode: Mode::Nav,
        label: Some("n"),
    },
    Binding {
        keys: &[(KeyCode::Char('q'), NONE)],
        action: Action::Quit,
        mode: Mode::Nav,
        label: Some("q"),
    },
    Binding {
        keys: &[(KeyCode::Char('c'), CTRL)],
        action: Action::Interrupt,
        mode: Mode::Any,
        label: Some("^C"),
    },
    Binding {
        keys: &[(KeyCode::Backspace, NONE)],
        action: Action::Backspace,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Delete, NONE)],
        action: Action::Delete,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Left, NONE)],
        action: Action::Left,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Right, NONE)],
        action: Action::Right,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::Home, NONE), (KeyCode::Char('a'), CTRL)],
        action: Action::Home,
        mode: Mode::Text,
        label: None,
    },
    Binding {
        keys: &[(KeyCode::End, NONE), (KeyCode::Char('e'), CTRL)],
        action: Action::End,
        mode: Mode::Text,
        label: None,
    },
];

fn applies(mode: Mode, text: bool) -> bool {
    match mode {
        Mode::Any => true,
        Mode::Nav => !text,
        Mode::Text => text,
    }
}

/// Map a key to an action, given whether a text field has focus.
pub fn key_to_action(key: &KeyEvent, text: bool) -> Option<Action> {
    if !matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
        return None;
    }
    // Shift only changes which character arrives; compare without it for chars.
    let mods = key.modifiers & (CTRL | KeyModifiers::ALT | SHIFT);
    for b in BINDINGS {
        if !applies(b.mode, text) {
            continue;
        }
        if b.keys.iter().any(|(c, m)| *c == key.code && *m == mods) {
            return Some(b.action);
        }
    }
    if text
        && let KeyCode::Char(c) = key.code
        && !mods.intersects(CTRL | KeyModifiers::ALT)
    {
        return Some(Action::Char(c));
    }
    None
}

/// Turn a terminal event into an input. Key releases are ignored
/// (Windows reports them too). A paste is moved, never copied.
pub fn event_to_action(event: Event, text: bool) -> Option<Input> {
    match event {
        Event::Key(k) => key_to_action(&k, text).map(Input::Action),
        Event::Paste(s) => Some(Input::Paste(RawSecret::new(s))),
        Event::Resize(width, height) => Some(Input::Resize { width, height }),
        _ => None,
    }
}

/// The footer label of the first listed binding for `action` in this mode.
pub fn label_for(action: Action, text: bool) -> Option<&'static str> {
    BINDINGS
        .iter()
        .filter(|b| b.action == action && applies(b.mode, text))
        .find_map(|b| b.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn navigation_keys_outside_text_fields() {
        let t = false;
        assert_eq!(
            key_to_action(&key(KeyCode::Enter, NONE), t),
            Some(Action::Confirm)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Esc, NONE), t),
            Some(Action::Back)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char(' '), NONE), t),
            Some(Action::Toggle)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('j'), NONE), t),
            Some(Action::Down)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('k'), NONE), t),
            Some(Action::Up)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Down, NONE), t),
            Some(Action::Down)
        );
        assert_eq!(key_to_action(&key(KeyCode::Up, NONE), t), Some(Action::Up));
        assert_eq!(
            key_to_action(&key(KeyCode::Tab, NONE), t),
            Some(Action::NextField)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::BackTab, SHIFT), t),
            Some(Action::PrevField)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('o'), NONE), t),
            Some(Action::OpenLink)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('?'), SHIFT), t),
            Some(Action::Help)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('q'), NONE), t),
            Some(Action::Quit)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('c'), CTRL), t),
            Some(Action::Interrupt)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('c'), NONE), t),
            Some(Action::CopyLink)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('l'), CTRL), t),
            Some(Action::Redraw)
        );
        assert_eq!(key_to_action(&key(KeyCode::Char('x'), NONE), t), None);
    }

    #[test]
    fn letters_are_typed_inside_text_fields() {
        let t = true;
        for c in ['q', 'j', 'k', 'o', '?', ' ', 'y', 'r', 'c'] {
            assert_eq!(
                key_to_action(&key(KeyCode::Char(c), NONE), t),
                Some(Action::Char(c))
            );
        }
        assert_eq!(
            key_to_action(&key(KeyCode::Char('A'), SHIFT), t),
            Some(Action::Char('A'))
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('c'), CTRL), t),
            Some(Action::Interrupt)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Char('r'), CTRL), t),
            Some(Action::Reveal)
        );
        // Ctrl-L redraws, as terminal users expect: it never copies the
        // link over a password on the clipboard.
        assert_eq!(
            key_to_action(&key(KeyCode::Char('l'), CTRL), t),
            Some(Action::Redraw)
        );
        assert!(
            BINDINGS
                .iter()
                .all(|b| b.action != Action::CopyLink || b.mode == Mode::Nav),
            "copying the link is never bound inside a text field"
        );
        assert_eq!(key_to_action(&key(KeyCode::Char('x'), CTRL), t), None);
        assert_eq!(
            key_to_action(&key(KeyCode::Backspace, NONE), t),
            Some(Action::Backspace)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Enter, NONE), t),
            Some(Action::Confirm)
        );
        assert_eq!(
            key_to_action(&key(KeyCode::Down, NONE), t),
            Some(Action::NextField)
        );
    }

    #[test]
    fn releases_are_ignored_and_pastes_pass_through() {
        let mut k = key(KeyCode::Enter, NONE);
        k.kind = KeyEventKind::Release;
        assert_eq!(key_to_action(&k, false), None);
        assert!(matches!(
            event_to_action(Event::Paste("x".into()), true),
            Some(Input::Paste(s)) if s.as_str() == "x"
        ));
        assert!(matches!(
            event_to_action(Event::Resize(80, 24), false),
            Some(Input::Resize {
                width: 80,
                height: 24
            })
        ));
    }

    #[test]
    fn every_listed_label_maps_back_to_its_action() {
        for b in BINDINGS.iter().filter(|b| b.label.is_some()) {
            let text = b.mode == Mode::Text;
            let (code, mods) = b.keys[0];
            assert_eq!(
                key_to_action(&key(code, mods), text),
                Some(b.action),
                "{:?}",
                b.label
            );
        }
    }
}
