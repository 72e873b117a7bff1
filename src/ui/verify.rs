//! The two checks side by side, then the diagnosis and the choices.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::{menu, para};
use crate::mail::diagnosis::{diagnose, summary_line};
use crate::mail::{Endpoint, Protocol};
use crate::wizard::{CheckLine, Model, Purpose, VerifyState};

fn line<'a>(
    m: &Model,
    p: Protocol,
    ep: &Endpoint,
    l: &CheckLine,
    offset: usize,
    t: &Theme,
) -> Line<'a> {
    let name = format!("{:<5}", p.label());
    match l {
        CheckLine::Running => Line::from(vec![
            Span::styled(super::spinner(m, offset), t.accent),
            Span::raw(format!(" {name}")),
            Span::styled(format!("checking {ep}\u{2026}"), t.dim),
        ]),
        CheckLine::Done(r) => {
            let secs = format!("  {:.1} s", r.elapsed.as_secs_f64());
            if r.accepted() {
                Line::from(vec![
                    Span::styled("\u{2713}", t.ok),
                    Span::raw(format!(" {name}{}", summary_line(r))),
                    Span::styled(secs, t.dim),
                ])
            } else {
                Line::from(vec![
                    Span::styled("\u{2717}", t.err),
                    Span::raw(format!(" {name}")),
                    Span::styled(summary_line(r), t.err),
                    Span::styled(secs, t.dim),
                ])
            }
        }
        CheckLine::Cancelled => Line::from(vec![
            Span::styled("-", t.dim),
            Span::raw(format!(" {name}")),
            Span::styled("cancelled", t.dim),
        ]),
        CheckLine::Skipped => Line::from(vec![
            Span::styled("-", t.dim),
            Span::raw(format!(" {name}")),
            Span::styled("not checked", t.dim),
        ]),
    }
}

pub fn render(f: &mut Frame, area: Rect, m: &Model, v: &VerifyState, t: &Theme) {
    let mut lines = Vec::new();
    if let Some(a) = &m.flow.account {
        lines.push(Line::from(vec![
            Span::styled("Account ", t.dim),
            Span::raw(a.email.as_str().to_string()),
        ]));
    }
    if v.loading_secret {
        lines.push(Line::from(vec![
            Span::styled(super::spinner(m, 0), t.accent),
            Span::raw(" Reading the stored password from the keyring\u{2026}"),
        ]));
    }
    if let Some(e) = &v.keyring_error {
        lines.push(Line::styled(format!("\u{2717} Keyring: {e}"), t.err));
    }
    if v.missing_secret {
        lines.push(Line::styled(
            "\u{2717} The keyring holds no password for this account: it needs a new one.",
            t.err,
        ));
    }
    lines.push(line(m, Protocol::Imap, &m.settings.imap, &v.imap, 0, t));
    lines.push(line(m, Protocol::Smtp, &m.settings.smtp, &v.smtp, 3, t));
    lines.push(Line::from(""));
    if v.running() {
        lines.push(Line::styled("Both checks run at once; Esc cancels.", t.dim));
    } else if v.all_accepted() {
        lines.push(Line::styled(
            match v.purpose {
                Purpose::NewPassword => {
                    "iCloud accepted the password for reading and sending mail."
                }
                Purpose::Stored => "The stored password still works.",
            },
            t.ok,
        ));
    } else {
        // One diagnosis per distinct failure.
        let mut seen = Vec::new();
        for (p, ep, l) in [
            (Protocol::Imap, &m.settings.imap, &v.imap),
            (Protocol::Smtp, &m.settings.smtp, &v.smtp),
        ] {
            if let Some(kind) = l.error_kind() {
                let d = diagnose(p, ep, kind);
                if !d.advice.is_empty() && !seen.contains(&d.advice) {
                    lines.push(Line::styled(d.advice.clone(), t.warn));
                    seen.push(d.advice);
                }
            }
        }
    }
    let choices = v.choices();
    if !choices.is_empty() {
        lines.push(Line::from(""));
        let items: Vec<String> = choices.iter().map(|c| c.label().to_string()).collect();
        lines.extend(menu(&items, v.selected, t));
    }
    f.render_widget(para(lines), area);
}
