//! The address step: the iCloud address, validated as it is typed; a login
//! field for custom domains.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::body::text_lines;
use super::theme::Theme;
use super::widgets::{Field, field, para};
use crate::app::tui::View;
use crate::app::wizard::Prompt;
use crate::domain::account::Email;

fn status<'a>(r: &Result<Email, String>, empty: bool, ok: &str, t: &Theme) -> Line<'a> {
    match r {
        Ok(_) => Line::from(vec![
            Span::styled("\u{2713} ", t.ok),
            Span::raw(ok.to_string()),
        ]),
        Err(_) if empty => Line::styled("", t.dim),
        Err(e) => Line::from(vec![
            Span::styled("\u{2717} ", t.err),
            Span::styled(e.clone(), t.err),
        ]),
    }
}

pub fn render(f: &mut Frame, area: Rect, p: &Prompt, v: &View, t: &Theme) -> Option<(u16, u16)> {
    let email = Email::parse(v.email.value()).map_err(|e| e.to_string());
    let login = match &email {
        Ok(e) if !e.is_apple() => {
            Some(Email::parse_apple(v.login.value()).map_err(|e| e.to_string()))
        }
        _ => None,
    };
    let intro: Vec<Line> = p
        .lines
        .iter()
        .flat_map(|l| text_lines(l, area.width as usize, v, t))
        .collect();
    let [intro_area, e_field, e_status, l_intro, l_field, l_status] = Layout::vertical([
        Constraint::Length(intro.len() as u16 + 1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(if login.is_some() { 2 } else { 0 }),
        Constraint::Length(if login.is_some() { 1 } else { 0 }),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(para(intro), intro_area);
    let mut cursor = field(f, e_field, Field::of("Email", &v.email, !v.second_field), t);
    let kind = match &email {
        Ok(e) if e.is_apple() => "An iCloud address.".to_string(),
        Ok(e) => format!("{} is a custom domain (iCloud+).", e.domain()),
        Err(_) => String::new(),
    };
    let mut lines = vec![status(&email, v.email.value().is_empty(), &kind, t)];
    if let Some(e) = &p.error
        && login.is_none()
    {
        lines.push(Line::styled(e.clone(), t.err));
    }
    f.render_widget(para(lines), e_status);
    if let Some(login) = login {
        f.render_widget(
            para(vec![Line::styled(
                "Custom domains log in with the account's primary iCloud address:",
                t.accent,
            )]),
            l_intro,
        );
        let c = field(
            f,
            l_field,
            Field::of("iCloud login", &v.login, v.second_field),
            t,
        );
        cursor = cursor.or(c);
        f.render_widget(
            para(vec![status(
                &login,
                v.login.value().is_empty(),
                "Login address.",
                t,
            )]),
            l_status,
        );
    }
    cursor
}
