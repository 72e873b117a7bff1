//! Small pieces the screens share: menus, checklists, text fields.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::tui::input::TextInput;

/// Greedy word wrap to `width` columns. A no-break space (U+00A0) joins
/// its neighbours ("0.4 s"); a word wider than a line (a path, a command)
/// is broken over lines rather than cut at the edge.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let words = text
        .split(|c: char| c.is_whitespace() && c != '\u{a0}')
        .filter(|w| !w.is_empty());
    for word in words.flat_map(|w| split_wide(w, width)) {
        let wl = unicode_width::UnicodeWidthStr::width(word);
        let cl = unicode_width::UnicodeWidthStr::width(cur.as_str());
        if cl > 0 && cl + 1 + wl > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `word` in pieces of at most `width` columns (itself when it fits).
fn split_wide(word: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, c) in word.char_indices() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > width && i > start {
            pieces.push(&word[start..i]);
            (start, used) = (i, 0);
        }
        used += cw;
    }
    pieces.push(&word[start..]);
    pieces
}

/// A one-line text field as drawn: its label, the text shown (masked
/// already, for a password), where the cursor is, and whether it has the
/// focus.
pub struct Field<'a> {
    pub label: &'a str,
    pub shown: &'a str,
    pub cursor: usize,
    pub focused: bool,
}

impl<'a> Field<'a> {
    /// The field for a text input: its value, with the cursor where it is.
    pub fn of(label: &'a str, input: &'a TextInput, focused: bool) -> Field<'a> {
        Field {
            label,
            shown: input.value(),
            cursor: input.cursor(),
            focused,
        }
    }
}

/// A labelled one-line field with its content; returns where the cursor goes.
pub fn field(f: &mut Frame, area: Rect, fd: Field<'_>, t: &Theme) -> Option<(u16, u16)> {
    let Field {
        label,
        shown,
        cursor,
        focused,
    } = fd;
    if area.height == 0 {
        return None;
    }
    let style = if focused { t.field_focus } else { t.field };
    let prefix = format!("{label}: ");
    let plen = unicode_width::UnicodeWidthStr::width(prefix.as_str()) as u16;
    let room = area.width.saturating_sub(plen + 1) as usize;
    let chars: Vec<char> = shown.chars().collect();
    // Focused: scroll so the cursor stays visible. Otherwise the start
    // shows (a label read as "ud-mail-setup on laptop" misleads), and
    // "…" says it goes on.
    let start = if focused {
        cursor.saturating_sub(room)
    } else {
        0
    };
    let visible: String = if !focused && chars.len() > room && room > 1 {
        let mut v: String = chars.iter().take(room - 1).collect();
        v.push('\u{2026}');
        v
    } else {
        chars.iter().skip(start).take(room).collect()
    };
    let line = Line::from(vec![
        Span::styled(prefix, if focused { t.accent } else { t.dim }),
        Span::styled(
            visible,
            style.add_modifier(ratatui::style::Modifier::UNDERLINED),
        ),
    ]);
    f.render_widget(Paragraph::new(line), area);
    focused.then(|| (area.x + plen + (cursor - start) as u16, area.y))
}

/// A paragraph of wrapped text in a given style.
pub fn para<'a>(lines: Vec<Line<'a>>) -> Paragraph<'a> {
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

/// A bordered block unless space is tight.
pub fn frame_block(title: &str, roomy: bool, t: &Theme) -> Block<'static> {
    if roomy {
        Block::bordered().title(Span::styled(format!(" {title} "), t.title))
    } else {
        Block::new()
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn a_word_wider_than_the_line_is_broken_not_cut() {
        let path = "/home/emily/.config/icloud-mail-setup/config.toml";
        let lines = wrap(&format!("Settings: {path}"), 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.concat().replace("Settings:", ""), path);
        assert_eq!(wrap("a bb ccc", 3), ["a", "bb", "ccc"]);
        // A unit stays with its number.
        assert_eq!(wrap("as emily 0.4\u{a0}s", 13), ["as emily", "0.4\u{a0}s"]);
    }
}
