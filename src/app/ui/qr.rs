//! The QR code overlay: the step's link drawn as a QR code (dark on light,
//! quiet zone included) with the link printed under it, for a phone's
//! camera. A window too small for the whole code gets a sentence instead
//! of a broken code.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use super::widgets::para;
use crate::app::wizard::Prompt;

pub fn render(f: &mut Frame, area: Rect, p: &Prompt, t: &Theme) {
    let Some(url) = p.link else {
        return;
    };
    let code = crate::app::qr::lines(url);
    let (w, h) = match &code {
        Ok(l) => (
            l.first().map_or(0, |r| r.chars().count()) as u16,
            l.len() as u16,
        ),
        Err(_) => (0, 0),
    };
    // Border, the code, then the link and how to close.
    let need_w = (w + 2).max(url.chars().count() as u16 + 2);
    let need_h = h + 2 + 2;
    match code {
        Ok(lines) if need_w <= area.width && need_h <= area.height => {
            let r = super::centred(area, need_w, need_h);
            f.render_widget(Clear, r);
            let block = Block::bordered().title(Span::styled(" QR code ", t.title));
            let inner = block.inner(r);
            f.render_widget(block, r);
            let x = inner.x + (inner.width - w) / 2;
            let mut shown: Vec<Line> = lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, t.qr)))
                .collect();
            shown.push(Line::from(Span::styled(url, t.key)));
            shown.push(Line::from(Span::styled("any key closes", t.dim)));
            f.render_widget(
                Paragraph::new(shown),
                Rect::new(x, inner.y, inner.width - (x - inner.x), inner.height),
            );
        }
        other => {
            let why = match other {
                Err(e) => e,
                Ok(_) => format!(
                    "The window is too small for a QR code that a phone can read (it needs \
                     {need_w}\u{d7}{need_h}; now {}\u{d7}{}). Make it larger, or copy the \
                     link instead.",
                    area.width, area.height
                ),
            };
            let r = super::centred(area, 40, 9);
            f.render_widget(Clear, r);
            let block = Block::bordered().title(Span::styled(" QR code ", t.title));
            let inner = block.inner(r);
            f.render_widget(block, r);
            f.render_widget(
                para(vec![Line::from(why), Line::from(Span::styled(url, t.key))]),
                inner,
            );
        }
    }
}
