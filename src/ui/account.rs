//! The iCloud address, validated as it is typed; a login field for
//! custom domains.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::widgets::{field, para};
use crate::wizard::update::account_validation;
use crate::wizard::{AccountField, Model};

fn status<'a>(
    r: &Result<crate::account::Email, String>,
    empty: bool,
    ok: &str,
    t: &Theme,
) -> Line<'a> {
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

pub fn render(f: &mut Frame, area: Rect, m: &Model, t: &Theme) -> Option<(u16, u16)> {
    let (email, login) = account_validation(m);
    let [intro, e_field, e_status, gap, l_intro, l_field, l_status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(if login.is_some() { 2 } else { 0 }),
        Constraint::Length(if login.is_some() { 1 } else { 0 }),
        Constraint::Min(0),
    ])
    .areas(area);
    let _ = gap;
    f.render_widget(
        para(vec![Line::styled(
            "Which address do you read mail at? (@icloud.com, @me.com, @mac.com, or your own domain)",
            t.accent,
        )]),
        intro,
    );
    let focus = m.flow.account_focus;
    let mut cursor = field(
        f,
        e_field,
        "Email",
        m.flow.email.value(),
        m.flow.email.cursor(),
        focus == AccountField::Email,
        t,
    );
    let kind = match &email {
        Ok(e) if e.is_apple() => "An iCloud address.".to_string(),
        Ok(e) => format!("{} is a custom domain (iCloud+).", e.domain()),
        Err(_) => String::new(),
    };
    f.render_widget(
        para(vec![status(
            &email,
            m.flow.email.value().is_empty(),
            &kind,
            t,
        )]),
        e_status,
    );
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
            "iCloud login",
            m.flow.login.value(),
            m.flow.login.cursor(),
            focus == AccountField::Login,
            t,
        );
        cursor = cursor.or(c);
        f.render_widget(
            para(vec![status(
                &login,
                m.flow.login.value().is_empty(),
                "Login address.",
                t,
            )]),
            l_status,
        );
    }
    cursor
}
