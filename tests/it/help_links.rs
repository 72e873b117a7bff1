//! The help overlay and the link keys, through the View and a rendered
//! frame: what each step's help says, that it scrolls to its last line at
//! 80×24 and 40×12, and that QR / copy keys act only where there is a link.

use crate::wizard_support;

use icloud_mail_setup::app::tui::Action;
use icloud_mail_setup::app::ui;
use icloud_mail_setup::app::wizard::help::{self, APP_PASSWORDS_ARTICLE};
use icloud_mail_setup::app::wizard::*;
use icloud_mail_setup::domain::mail::{ErrorKind, Protocol};
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
        "two-factor authentication is off",
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
        frame.contains("r QR") && frame.contains("c copy link"),
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
    assert!(render(&u, 80, 24).contains("Link OSC 52 (tmux)."));
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

/// Plain mode has no QR code and no copy key: its `?` must not promise
/// them, and says what it does instead. The TUI's help offers both.
#[test]
fn plain_help_promises_only_what_plain_mode_does() {
    let u = app_password();
    let tui = all_text(&u.m);
    assert!(tui.contains("QR code") && tui.contains("copy it"), "{tui}");
    let plain = help::text(&help::plain(&u.m)).join("\n");
    assert!(!plain.contains("QR"), "{plain}");
    assert!(!plain.contains("copy it to the clipboard"), "{plain}");
    assert!(plain.contains("printed alone on its own line"), "{plain}");
    // Everything else is the same.
    assert!(plain.contains("I don't see App-Specific Passwords"));
}

/// The help says what the program really does: the password can be
/// revealed (^R), and IMAP tries up to three login names.
#[test]
fn the_help_matches_what_the_program_does() {
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    assert_eq!(u.m.screen, Screen::Password);
    let text = all_text(&u.m);
    assert!(!text.contains("never shown on screen"), "{text}");
    assert!(text.contains("hidden unless you ask"), "{text}");
    // No copy key in the password field: the help does not promise one,
    // and names the Ctrl keys that work there.
    assert!(!text.contains("copy it to the clipboard"), "{text}");
    assert!(text.contains("Ctrl-G shows it as a QR code"), "{text}");
    let plain = help::text(&help::plain(&u.m)).join("\n");
    assert!(!plain.contains("Ctrl-G"), "{plain}");
    assert!(plain.contains("printed alone on its own line"), "{plain}");
    let u = rejected();
    let text = all_text(&u.m);
    assert!(!text.contains("One login to IMAP"), "{text}");
    assert!(text.contains("up to three logins"), "{text}");
    assert!(text.contains("SMTP logs in once"), "{text}");
}

/// The QR code's cells are black on white in both themes: with NO_COLOR
/// too (reverse video would invert it on a light terminal).
#[test]
fn the_qr_code_is_dark_on_light_with_and_without_colour() {
    use ratatui::style::{Color, Modifier};
    for no_color in [false, true] {
        let mut u = app_password();
        u.v.no_color = no_color;
        u.v.resize(80, 24);
        u.act(Action::ShowQr);
        assert!(u.v.qr);
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| ui::draw(f, &u.m, &u.v)).unwrap();
        let buf = t.backend().buffer().clone();
        let mut code_cells = 0;
        let mut blocks = 0;
        for y in 0..24 {
            for x in 0..80 {
                let c = &buf[(x, y)];
                let on_light = c.fg == Color::Black && c.bg == Color::White;
                if on_light {
                    code_cells += 1;
                    assert!(!c.modifier.contains(Modifier::REVERSED), "({x},{y})");
                }
                if ["\u{2580}", "\u{2584}", "\u{2588}"].contains(&c.symbol()) {
                    blocks += 1;
                    assert!(on_light, "no_color={no_color}: ({x},{y}) is {c:?}");
                }
            }
        }
        assert!(blocks > 100, "{blocks}");
        // The whole code, quiet zone included (33 columns, 17 lines),
        // and nothing else.
        assert_eq!(code_cells, 33 * 17, "no_color={no_color}");
    }
}

/// A paste while an overlay is open is meant for the step: it closes the
/// overlay and is handled as without it.
#[test]
fn a_paste_closes_an_overlay_and_lands() {
    // The help on the app-specific password step: kept ahead of time.
    let mut u = app_password();
    u.act(Action::Help);
    u.paste(PASSWORD);
    assert!(!u.v.help);
    // Kept: the address is all the check still needs.
    if !matches!(u.m.screen, Screen::Account) {
        u.act(Action::Confirm);
    }
    assert_eq!(u.m.screen, Screen::Account);
    u.typed("emily@icloud.com");
    let fx = u.act(Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");
    // The QR code on the password step: the field gets it.
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    u.act(Action::ShowQr);
    assert!(u.v.qr);
    u.paste(PASSWORD);
    assert!(!u.v.qr);
    assert_eq!(u.v.password.peek(), PASSWORD);
}

/// Opening the QR code hides a revealed password (it would show beside
/// the code); `q` closes the overlays without quitting, Ctrl-C quits.
#[test]
fn overlays_hide_the_password_and_q_only_closes_them() {
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    u.typed(PASSWORD);
    u.act(Action::Reveal);
    assert!(u.v.reveal);
    u.act(Action::ShowQr);
    assert!(u.v.qr && !u.v.reveal);
    assert!(u.act(Action::Quit).is_empty());
    assert!(!u.v.qr && !u.m.quitting);
    u.act(Action::Help);
    assert!(u.act(Action::Quit).is_empty());
    assert!(!u.v.help && !u.m.quitting);
    u.act(Action::ShowQr);
    assert!(matches!(
        u.act(Action::Interrupt).as_slice(),
        [Effect::Quit]
    ));
}

/// Ctrl-L on the password step redraws; it never copies the link (which
/// would replace a password on the clipboard), and the footer there does
/// not offer to copy.
#[test]
fn ctrl_l_in_a_text_field_never_copies() {
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    assert!(u.v.text_entry(&u.m));
    assert!(u.act(Action::Redraw).is_empty());
    assert_eq!(u.m.screen, Screen::Password);
    let frame = render(&u, 120, 24);
    assert!(!frame.contains("copy"), "{frame}");
    assert!(frame.contains("^C quit"), "{frame}");
}

/// After a resize the help's scroll is kept within its end, so PgUp moves
/// from what is on screen; a new step closes the overlays.
#[test]
fn the_help_scroll_follows_a_resize_and_a_new_step_closes_overlays() {
    let mut u = app_password();
    scrolled(&mut u, 40, 12);
    let small_end = u.v.help_scroll;
    u.v.resize(100, 40);
    let big_end = ui::help::max_scroll(&u.m, &u.v, 100, 40);
    assert!(big_end < small_end, "{big_end} < {small_end}");
    u.v.clamp_help(&u.m);
    assert_eq!(u.v.help_scroll, big_end);
    u.v.help_scroll = small_end;
    u.act(Action::PageUp);
    assert_eq!(u.v.help_scroll, big_end.saturating_sub(36));
    // A step change closes the help and the QR code.
    u.v.qr = true;
    u.send(Msg::Back);
    assert!(!u.v.help && !u.v.qr && u.v.help_scroll == 0);
}
