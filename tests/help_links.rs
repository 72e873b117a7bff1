//! The help overlay and the link keys, through the View and a rendered
//! frame: what each step's help says, that it scrolls to its last line at
//! 80×24 and 40×12, and that QR / copy keys act only where there is a link.

mod wizard_support;

use icloud_mail_setup::mail::{ErrorKind, Protocol};
use icloud_mail_setup::tui::Action;
use icloud_mail_setup::ui;
use icloud_mail_setup::wizard::help::{self, APP_PASSWORDS_ARTICLE};
use icloud_mail_setup::wizard::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wizard_support::*;

fn render(u: &Ui, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, &u.m, &u.v)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn app_password() -> Ui {
    let mut u = Ui::new(model(vec![]));
    u.act(Action::Confirm);
    u.act(Action::Confirm);
    assert!(matches!(u.m.screen, Screen::AppPassword { .. }));
    u
}

fn rejected() -> Ui {
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    u.typed(PASSWORD);
    u.act(Action::Confirm);
    let run = u.run();
    finish(
        &mut u.m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    u
}

fn all_text(m: &Model) -> String {
    help::text(&help::help(m)).join("\n")
}

#[test]
fn the_app_password_help_answers_the_real_questions() {
    let u = app_password();
    let text = all_text(&u.m);
    for needle in [
        "I don't see App-Specific Passwords",
        "Two-factor authentication is off",
        "Managed Apple Account",
        "25 active app-specific passwords",
        "What revoking does",
        "Changing or resetting your Apple Account password revokes all",
        "If a name on screen differs",
        "System Preferences is now System Settings",
        APP_PASSWORDS_ARTICLE,
        "https://support.apple.com/en-us/102660",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // Each article's address is alone on its line.
    for line in text.lines().filter(|l| l.contains("https://")) {
        assert!(
            line.starts_with("https://") && !line.contains(' '),
            "{line}"
        );
    }
}

#[test]
fn a_rejected_password_is_explained_where_it_happened() {
    let u = rejected();
    let sections = help::help(&u.m);
    assert!(
        sections[0].title.contains("rejected"),
        "the failure on screen comes first: {:?}",
        sections[0].title
    );
    let text = all_text(&u.m);
    assert!(text.contains("A rejection means iCloud refused this password"));
    assert!(text.contains("revoked"));
    assert!(text.contains(APP_PASSWORDS_ARTICLE));
    // One section for the two identical failures.
    assert_eq!(
        sections
            .iter()
            .filter(|s| s.title.contains("rejected"))
            .count(),
        1
    );
    // The custom-domain rule is on the address step.
    let mut u = app_password();
    u.act(Action::Confirm);
    assert!(all_text(&u.m).contains("primary iCloud Mail address"));
}

/// Open the help at `w`×`h`, scroll to the end, and return the frames.
fn scrolled(u: &mut Ui, w: u16, h: u16) -> (String, String) {
    u.v.resize(w, h);
    u.act(Action::Help);
    assert!(u.v.help);
    let first = render(u, w, h);
    for _ in 0..200 {
        u.act(Action::PageDown);
    }
    (first, render(u, w, h))
}

#[test]
fn the_help_scrolls_to_its_last_line_at_80x24_and_40x12() {
    for (w, h) in [(80, 24), (40, 12)] {
        let mut u = app_password();
        let (first, last) = scrolled(&mut u, w, h);
        assert!(first.contains("Help: App-specific password"), "{first}");
        assert!(first.contains("Apple's page"), "{first}");
        assert!(!first.contains("Esc or ? closes"), "{first}");
        // The last line of the help is reachable, and the view stops there.
        assert!(last.contains("closes this help"), "{w}x{h}:\n{last}");
        let at_end = u.v.help_scroll;
        u.act(Action::Down);
        assert_eq!(u.v.help_scroll, at_end, "scrolling stops at the end");
        // Back up, one line at a time, to the top.
        for _ in 0..at_end {
            u.act(Action::Up);
        }
        assert_eq!(render(&u, w, h), first);
        // Esc closes it, ? too.
        u.act(Action::Back);
        assert!(!u.v.help);
        assert!(matches!(u.m.screen, Screen::AppPassword { .. }));
        u.act(Action::Help);
        u.act(Action::Help);
        assert!(!u.v.help);
    }
}

#[test]
fn qr_and_copy_act_only_where_there_is_a_link() {
    // Welcome has no link: neither key does anything.
    let mut u = Ui::new(model(vec![]));
    u.v.resize(80, 24);
    assert!(u.act(Action::CopyLink).is_empty());
    u.act(Action::ShowQr);
    assert!(!u.v.qr);
    let frame = render(&u, 80, 24);
    assert!(
        !frame.contains(" QR ") && !frame.contains(" copy "),
        "{frame}"
    );

    let mut u = app_password();
    u.v.resize(80, 24);
    let frame = render(&u, 80, 24);
    assert!(
        frame.contains("r QR") && frame.contains("c copy"),
        "{frame}"
    );
    let fx = u.act(Action::CopyLink);
    assert!(
        matches!(fx.as_slice(), [Effect::CopyUrl(url)] if url == "https://account.apple.com"),
        "{fx:?}"
    );
    u.send(Msg::LinkCopied {
        url: "https://account.apple.com".into(),
        result: Ok("OSC 52 (tmux)".into()),
    });
    assert!(render(&u, 80, 24).contains("Copied https://account.apple.com to the clipboard"));
    u.act(Action::ShowQr);
    assert!(u.v.qr);
    let frame = render(&u, 80, 24);
    assert!(frame.contains(" QR code "), "{frame}");
    assert!(frame.contains('\u{2580}') || frame.contains('\u{2584}'));
    // Too small a window says so instead of drawing a broken code.
    let small = render(&u, 40, 12);
    assert!(small.contains("too small"), "{small}");
    assert!(!small.contains('\u{2584}'), "{small}");
    // Any key closes it.
    u.act(Action::Down);
    assert!(!u.v.qr);
}
