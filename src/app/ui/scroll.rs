//! Where a body taller than its window stands: following the selected
//! answer, or where the person scrolled it (PgUp/PgDn, ↑ at the first
//! answer, ↓ at the last). What is cut off above or below takes a row of
//! its own that says so and names the keys, so every line can be reached.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::theme::Theme;

/// The mark for rows cut off above.
pub const MORE_ABOVE: &str = "\u{2191} more (\u{2191}/PgUp)";
/// The mark for rows cut off below.
pub const MORE_BELOW: &str = "\u{2193} more (\u{2193}/PgDn)";

/// The marks where ↑/↓ move between fields: only the page keys scroll.
pub const FIELD_MORE_ABOVE: &str = "\u{2191} more (PgUp)";
pub const FIELD_MORE_BELOW: &str = "\u{2193} more (PgDn)";

/// Draw `lines` placed `at` in `area` (from its top), with the marks
/// `above` and `below` where rows are cut off.
pub fn draw(f: &mut Frame, area: Rect, lines: Vec<Line>, at: Place, marks: [&str; 2], t: &Theme) {
    let row = |y: u16| Rect::new(area.x, y, area.width, 1);
    let mut y = area.y;
    if at.up {
        f.render_widget(Paragraph::new(Line::styled(marks[0], t.dim)), row(y));
        y += 1;
    }
    let body = Rect::new(area.x, y, area.width, at.room as u16);
    f.render_widget(Paragraph::new(lines).scroll((at.offset as u16, 0)), body);
    if at.down {
        let y = y + at.room as u16;
        f.render_widget(Paragraph::new(Line::styled(marks[1], t.dim)), row(y));
    }
}

/// Where `total` rows stand in `height` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The first row shown.
    pub offset: usize,
    /// Rows are cut off above (the first row of the window says so).
    pub up: bool,
    /// Rows are cut off below (the last row of the window says so).
    pub down: bool,
    /// The rows left for the text between the marks.
    pub room: usize,
}

/// Place `total` rows in `height`: at the person's `scroll` (clamped to
/// the end) if given, else just far enough that the `selected` rows show
/// (the top if none).
pub fn place(
    total: usize,
    height: usize,
    selected: Option<(usize, usize)>,
    scroll: Option<usize>,
) -> Place {
    let mut room = height;
    loop {
        let offset = match scroll {
            Some(s) => s.min(total.saturating_sub(room)),
            None => scroll_offset(selected, room),
        };
        let (up, down) = (offset > 0, total > offset + room);
        // Too small for marks: the text comes first (a selection needs a
        // row besides the two marks; plain text one besides one mark).
        if height < 2 || (height < 3 && selected.is_some()) {
            return Place {
                offset,
                up: false,
                down: false,
                room,
            };
        }
        let want = height - up as usize - down as usize;
        if want >= room {
            return Place {
                offset,
                up,
                down,
                room,
            };
        }
        room = want;
    }
}

/// How far the person can scroll `total` rows in `height`, and where the
/// body is now: (offset now, the last offset, a page).
pub fn range(
    total: usize,
    height: usize,
    selected: Option<(usize, usize)>,
    scroll: Option<usize>,
) -> (usize, usize, usize) {
    let now = place(total, height, selected, scroll);
    let end = place(total, height, None, Some(usize::MAX));
    (now.offset, end.offset, now.room.saturating_sub(1).max(1))
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
    use super::*;

    #[test]
    fn scrolls_just_enough_to_show_the_selection() {
        assert_eq!(scroll_offset(None, 5), 0);
        assert_eq!(scroll_offset(Some((2, 3)), 5), 0);
        assert_eq!(scroll_offset(Some((7, 9)), 5), 4);
        // An entry taller than the body shows its start.
        assert_eq!(scroll_offset(Some((7, 20)), 5), 7);
    }

    #[test]
    fn what_is_cut_off_takes_a_row_to_say_so() {
        let at = |total, sel, height| {
            let p = place(total, height, Some(sel), None);
            (p.offset, p.up, p.down, p.room)
        };
        // All fits: no marks.
        assert_eq!(at(5, (4, 5), 5), (0, false, false, 5));
        // More below the selection.
        assert_eq!(at(10, (1, 2), 5), (0, false, true, 4));
        // The selection at the end: more above.
        assert_eq!(at(10, (9, 10), 5), (6, true, false, 4));
        // In the middle: both, and the selection still shows.
        let (offset, up, down, room) = at(20, (10, 11), 5);
        assert!(up && down && room == 3);
        assert!(offset <= 10 && 11 <= offset + room);
    }

    #[test]
    fn a_scrolled_body_reaches_its_last_and_first_row() {
        // Scrolled past the end: the last row shows, under a mark.
        let end = place(20, 5, Some((0, 1)), Some(usize::MAX));
        assert_eq!(
            end,
            Place {
                offset: 16,
                up: true,
                down: false,
                room: 4
            }
        );
        assert_eq!(end.offset + end.room, 20);
        let top = place(20, 5, Some((19, 20)), Some(0));
        assert_eq!(
            top,
            Place {
                offset: 0,
                up: false,
                down: true,
                room: 4
            }
        );
        assert_eq!(range(20, 5, Some((19, 20)), None), (16, 16, 3));
        assert_eq!(range(4, 5, None, None), (0, 0, 4));
    }
}
