//! Every screen rendered at 80×24, and the key screens at 40×12, compared
//! with reviewed snapshots. No snapshot may contain the password.

use crate::wizard_support;

use icloud_mail_setup::app::tui::Action;
use icloud_mail_setup::app::ui;
use icloud_mail_setup::app::wizard::*;
use icloud_mail_setup::domain::keyring::{StoreError, Unlock};
use icloud_mail_setup::domain::mail::{ErrorKind, Protocol};
use icloud_mail_setup::domain::storage::Saved;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wizard_support::*;

fn render(u: &Ui, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, &u.m, &u.v)).unwrap();
    let out = format!("{}", t.backend());
    assert!(!out.contains(PASSWORD), "the password leaked into a frame");
    assert!(
        !out.contains("wxyz"),
        "part of the password leaked into a frame"
    );
    out
}

fn welcome() -> Ui {
    Ui::new(model(vec![
        summary("emily@icloud.com"),
        summary("work@me.com"),
    ]))
}

fn app_password() -> Ui {
    let mut u = Ui::new(model(vec![]));
    u.act(Action::Confirm);
    u.act(Action::Confirm);
    u.act(Action::Toggle);
    u
}

fn account_screen(text: &str) -> Ui {
    let mut u = app_password();
    u.act(Action::Confirm);
    u.typed(text);
    u
}

fn password_screen(text: &str) -> Ui {
    let mut u = account_screen("emily@icloud.com");
    u.act(Action::Confirm);
    u.typed(text);
    u
}

fn verifying() -> (Ui, u64) {
    let mut u = password_screen(PASSWORD);
    u.act(Action::Confirm);
    let run = u.run();
    (u, run)
}

macro_rules! snap {
    ($name:expr, $m:expr) => {
        insta::assert_snapshot!(concat!($name, "_80x24"), render(&$m, 80, 24));
    };
    ($name:expr, $m:expr, small) => {
        insta::assert_snapshot!(concat!($name, "_80x24"), render(&$m, 80, 24));
        insta::assert_snapshot!(concat!($name, "_40x12"), render(&$m, 40, 12));
    };
}

#[test]
fn welcome_screens() {
    snap!("welcome", welcome(), small);
    let m = Ui::new(Model::new("laptop", Default::default(), None));
    snap!("welcome_checking_keyring", m);
    let m = no_keyring();
    snap!("welcome_no_keyring", m, small);
    // The status's headline shows at the smallest size too (issue 17).
    for (w, h) in [(40, 12), (41, 13), (59, 17)] {
        let frame = render(&m, w, h);
        assert!(frame.contains("\u{2717} Keyring:"), "{w}x{h}:\n{frame}");
    }
}

#[test]
fn locked_keyring_screens() {
    let mut m = Ui::new(Model::new("laptop", Default::default(), None));
    m.send(Msg::KeyringChecked(Err(StoreError::Locked {
        hint: "Unlock your keyring (log in to the desktop session, or open \"Passwords and \
               Keys\"; over SSH: `echo -n PW | gnome-keyring-daemon --unlock`), then run this \
               again."
            .into(),
    })));
    m.send(Msg::AccountsLoaded(Ok(vec![])));
    snap!("welcome_keyring_locked", m, small);
    m.send(Msg::Choose(Choice::UnlockKeyring));
    snap!("welcome_keyring_unlocking", m, small);
    m.send(Msg::KeyringUnlocked(Ok(Unlock::Dismissed)));
    snap!("welcome_keyring_unlock_cancelled", m, small);
}

#[test]
fn two_factor_screens() {
    let mut m = Ui::new(model(vec![]));
    m.act(Action::Confirm);
    snap!("two_factor_ask", m, small);
    m.act(Action::Down);
    m.act(Action::Confirm);
    snap!("two_factor_pick", m);
    for (i, name) in [(0, "mac"), (1, "iphone"), (2, "web")] {
        let mut n = m.clone();
        for _ in 0..i {
            n.act(Action::Down);
        }
        n.act(Action::Confirm);
        n.act(Action::Toggle);
        let r = render(&n, 80, 24);
        insta::assert_snapshot!(format!("two_factor_steps_{name}_80x24"), r);
    }
}

#[test]
fn app_password_screen() {
    snap!("app_password", app_password(), small);
}

#[test]
fn account_screens() {
    snap!("account_empty", account_screen(""));
    snap!("account_invalid", account_screen("emily@icloud"));
    snap!("account_valid", account_screen("emily@icloud.com"), small);
    let mut m = account_screen("me@example.org");
    m.act(Action::NextField);
    m.typed("emily@icloud.com");
    snap!("account_custom_domain", m);
}

#[test]
fn password_screens() {
    snap!("password_empty", password_screen(""));
    snap!("password_partial", password_screen("wxyz-abcd"));
    snap!("password_valid", password_screen(PASSWORD), small);
    // A label too long for its field shows its start, and that it goes on
    // (issue 17: it read "ud-mail-setup on laptop").
    let narrow = render(&password_screen(PASSWORD), 40, 12);
    assert!(
        narrow.contains("Label at Apple: icloud-mail-setup on l\u{2026}"),
        "{narrow}"
    );
    snap!("password_wrong_kind", password_screen("MyApple1!"));
    let mut m = password_screen("short");
    m.act(Action::Confirm);
    snap!("password_error_after_enter", m);
}

#[test]
fn verify_screens() {
    let (mut m, run) = verifying();
    snap!("verify_running", m, small);
    m.send(Msg::CheckDone {
        run,
        report: accepted(Protocol::Smtp, "emily@icloud.com"),
    });
    snap!("verify_one_done", m);
    m.send(Msg::CheckDone {
        run,
        report: accepted(Protocol::Imap, "emily"),
    });
    snap!("verify_accepted", m, small);

    let (mut m, run) = verifying();
    finish(
        &mut m.m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    snap!("verify_rejected", m, small);

    let (mut m, run) = verifying();
    finish(
        &mut m.m,
        run,
        failed(Protocol::Imap, ErrorKind::Timeout),
        failed(Protocol::Smtp, ErrorKind::UntrustedCertificate),
    );
    snap!("verify_network_problems", m);

    let (mut m, _) = verifying();
    m.act(Action::Back);
    snap!("verify_cancelled", m);
}

#[test]
fn stored_password_screens() {
    let mut m = welcome();
    m.act(Action::Down);
    m.act(Action::Confirm);
    snap!("check_stored_loading", m);
    let run = m.run();
    let mut missing = m.clone();
    missing.send(Msg::SecretLoaded {
        run,
        result: Ok(None),
    });
    snap!("check_stored_missing", missing);
    m.send(Msg::SecretLoaded {
        run,
        result: Ok(Some(icloud_mail_setup::sys::secret::Secret::new(
            PASSWORD.into(),
        ))),
    });
    let mut ok = m.clone();
    both_accept(&mut ok.m, run);
    snap!("check_stored_ok", ok);
    finish(
        &mut m.m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    snap!("check_stored_rejected", m);
}

fn accepted_model() -> Ui {
    let (mut m, run) = verifying();
    both_accept(&mut m.m, run);
    m
}

#[test]
fn save_and_done_screens() {
    let mut m = accepted_model();
    m.act(Action::Confirm);
    snap!("save_saving", m);
    let mut failed_save = m.clone();
    failed_save.send(Msg::Saved(Err(SaveFailed::unchanged(
        "the keyring is locked. Unlock your keyring and retry.",
    ))));
    snap!("save_failed", failed_save);
    let mut rotated = m.clone();
    m.send(Msg::Saved(Ok(Saved {
        store_name: "Secret Service".into(),
        config_path: "/home/emily/.config/icloud-mail-setup/config.toml".into(),
        replaced: false,
        previous_label: None,
        recovered: None,
    })));
    snap!("done", m, small);
    rotated.send(Msg::Saved(Ok(Saved {
        store_name: "Secret Service".into(),
        config_path: "/home/emily/.config/icloud-mail-setup/config.toml".into(),
        replaced: true,
        previous_label: Some("icloud-mail-setup on oldbox".into()),
        recovered: None,
    })));
    snap!("done_after_rotation", rotated);
}

#[test]
fn overlays() {
    let mut m = welcome();
    m.act(Action::Help);
    snap!("help", m);
    let mut m = accepted_model();
    m.act(Action::Quit);
    snap!("confirm_quit", m, small);
}

#[test]
fn revealed_password_is_shown_only_on_request() {
    let mut m = password_screen(PASSWORD);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| ui::draw(f, &m.m, &m.v)).unwrap();
    assert!(!format!("{}", t.backend()).contains(PASSWORD));
    m.act(Action::Reveal);
    t.draw(|f| ui::draw(f, &m.m, &m.v)).unwrap();
    assert!(format!("{}", t.backend()).contains(PASSWORD));
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let m = welcome();
    for (w, h) in [(39, 12), (40, 11), (10, 3), (1, 1), (0, 0)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| ui::draw(f, &m.m, &m.v)).unwrap();
        if w >= 20 && h >= 3 {
            assert!(
                format!("{}", t.backend()).contains("Make the window"),
                "{w}x{h}"
            );
        }
    }
    insta::assert_snapshot!("too_small_39x12", render(&m, 39, 12));
}

/// A screen of each kind, at its hardest to keep in view.
fn screens() -> Vec<Ui> {
    let (v, run) = verifying();
    let mut rejected = v.clone();
    finish(
        &mut rejected.m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    rejected.v.sync(&rejected.m);
    // The last answer selected: the hardest to keep in view.
    let mut last = rejected.clone();
    for _ in 0..5 {
        last.act(Action::Down);
    }
    let mut steps = app_password();
    for _ in 0..5 {
        steps.act(Action::Down);
    }
    let mut two_factor = Ui::new(model(vec![]));
    two_factor.act(Action::Confirm);
    two_factor.act(Action::Down);
    two_factor.act(Action::Confirm);
    two_factor.act(Action::Confirm);
    let mut done = accepted_model();
    done.act(Action::Confirm);
    done.send(Msg::Saved(Ok(Saved {
        store_name: "Secret Service".into(),
        config_path: "/home/emily/.config/icloud-mail-setup/config.toml".into(),
        replaced: true,
        previous_label: Some("icloud-mail-setup on oldbox".into()),
        recovered: None,
    })));
    let mut many = welcome();
    many.m.accounts = AccountsStatus::Loaded(
        (0..12)
            .map(|i| summary(&format!("person{i}@icloud.com")))
            .collect(),
    );
    many.v.sync(&many.m);
    for _ in 0..12 {
        many.act(Action::Down);
    }
    vec![
        welcome(),
        many,
        two_factor,
        app_password(),
        steps,
        account_screen("me@example.org"),
        password_screen("ab"),
        v,
        rejected,
        last,
        accepted_model(),
        done,
    ]
}

/// Every screen, at every width from 40 to 120 (at heights 12, 17 and 40)
/// and every height from 12 to 40 (at widths 40, 59 and 120): the selected answer or step,
/// marked `›`, is on screen with its whole text, and the footer too.
#[test]
fn every_screen_keeps_its_whole_selection_in_view_at_every_width_at_three_heights_and_every_height_at_three_widths()
 {
    let screens = screens();
    for u in &screens {
        let p = prompt(&u.m);
        let selected = if !p.options.is_empty() {
            Some(p.options[u.v.selected].1.clone())
        } else if p.field.is_none() && !p.checklist.is_empty() {
            Some(p.checklist[u.v.selected].0.clone())
        } else {
            None
        };
        // Every width at the smallest and a few taller heights, and every
        // height at the narrowest and a few wider widths (rendering all
        // 2,349 sizes of 12 screens takes two minutes in a debug build).
        let sizes = (40u16..=120)
            .flat_map(|w| [12u16, 17, 40].map(|h| (w, h)))
            .chain((12u16..=40).flat_map(|h| [40u16, 59, 120].map(|w| (w, h))));
        for (w, h) in sizes {
            {
                let frame = render(u, w, h);
                let rows: Vec<&str> = frame.lines().collect();
                if let Some(text) = &selected {
                    // The marked row and those after it, as words: the
                    // whole text of the selection, however it wrapped.
                    let from = rows
                        .iter()
                        .position(|r| r.contains('\u{203a}'))
                        .unwrap_or_else(|| panic!("{w}x{h}: no selection:\n{frame}"));
                    let shown = rows[from..]
                        .iter()
                        .flat_map(|r| r.split_whitespace())
                        .map(|word| word.trim_matches(['"', '\u{2502}']))
                        .filter(|word| !word.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let wanted = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(
                        shown.contains(&wanted),
                        "{w}x{h}: selected {text:?} not on screen whole:\n{frame}"
                    );
                }
                let footer = rows
                    .iter()
                    .rev()
                    .find(|r| !r.trim_matches([' ', '"']).is_empty());
                assert!(
                    footer.is_some_and(|r| ["Enter", "Esc", "help"].iter().any(|k| r.contains(k))),
                    "{w}x{h}: no footer:\n{frame}"
                );
            }
        }
    }
}

#[test]
fn no_color_renders_without_colour() {
    use ratatui::style::Color;
    let colours = |m: &Ui| {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| ui::draw(f, &m.m, &m.v)).unwrap();
        t.backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    let mut m = accepted_model();
    assert!(colours(&m) > 0, "colour is used by default");
    m.v.no_color = true;
    assert_eq!(colours(&m), 0, "NO_COLOR: no colour at all");
}

/// A long status (a link that could not be copied, and why) wraps instead
/// of being cut at the window's edge, where its fix is (issue 17).
#[test]
fn a_long_status_wraps_and_keeps_its_fix_in_view() {
    let note = "The link was not copied: OSC 52 is off in this terminal; no wl-copy (with \
                WAYLAND_DISPLAY) or xclip/xsel (with DISPLAY)";
    for (w, h) in [(80, 24), (40, 12)] {
        let mut u = app_password();
        u.send(Msg::Note(note.into()));
        let out = render(&u, w, h);
        let flat = out
            .lines()
            .map(|l| l.trim_matches('"').trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains("xclip/xsel (with DISPLAY)"),
            "{w}x{h}:\n{out}"
        );
        assert!(flat.contains("The link was not copied"), "{w}x{h}:\n{out}");
    }
}

/// What a screen cuts off is said (issue 17): Welcome at 40×12 hides the
/// "Check …" answers below and its introduction above, and says both; at
/// 80×24 everything fits and no mark is drawn.
#[test]
fn a_cut_off_screen_says_there_is_more() {
    let u = welcome();
    let small = render(&u, 40, 12);
    assert!(!small.contains("Check work@me.com"), "{small}");
    assert!(small.contains("\u{2193} more"), "{small}");
    assert!(small.contains("\u{2191} more"), "{small}");
    let big = render(&u, 80, 24);
    assert!(big.contains("Check work@me.com"), "{big}");
    assert!(!big.contains(" more "), "{big}");
}

/// The rows of a frame between its header and footer, as text (the
/// selection's mark as a space: the selection moves as ↑/↓ scroll).
fn body_rows(frame: &str) -> Vec<String> {
    let rows: Vec<String> = frame
        .lines()
        .map(|r| r.trim_matches('"').trim_end().replace('\u{203a}', " "))
        .collect();
    rows[1..rows.len() - 1].to_vec()
}

/// The rows `keys` show at 40×12, pressed one at a time from where `u`
/// stands (each key 40 times).
fn seen_with(u: &Ui, keys: &[Action]) -> std::collections::BTreeSet<String> {
    let mut u = u.clone();
    u.v.resize(40, 12);
    let mut seen: std::collections::BTreeSet<String> =
        body_rows(&render(&u, 40, 12)).into_iter().collect();
    for key in keys {
        for _ in 0..40 {
            u.act(*key);
            seen.extend(body_rows(&render(&u, 40, 12)));
        }
    }
    seen
}

fn no_keyring() -> Ui {
    let mut m = Ui::new(Model::new("laptop", Default::default(), None));
    m.send(Msg::KeyringChecked(Err(StoreError::Unavailable {
        reason: "no Secret Service on the session bus".into(),
        hint: "Start gnome-keyring or KeePassXC's Secret Service, or run inside a desktop \
               session. Over SSH: dbus-run-session, then unlock a keyring."
            .into(),
    })));
    m.send(Msg::AccountsLoaded(Ok(vec![])));
    m
}

/// Every row a screen has (as it is at 40×200, the same wrapping) can be
/// brought into view at 40×12: with PgUp/PgDn, and with ↑/↓ alone (↑ at
/// the first answer and ↓ at the last scroll on) (issue 17: Welcome and
/// Done hid their top with only a sign that it was there).
#[test]
fn every_row_of_every_screen_can_be_scrolled_into_view_at_40x12() {
    let mut all = screens();
    all.push(no_keyring());
    for u in &all {
        let tall: Vec<String> = body_rows(&render(u, 40, 200))
            .into_iter()
            .filter(|r| !r.trim().is_empty())
            .collect();
        // In a text field ↑/↓ move between fields: the page keys scroll.
        let arrows = prompt(&u.m).field.is_none();
        let ways = [
            [Action::PageUp, Action::PageDown],
            [Action::Up, Action::Down],
        ];
        for keys in ways.iter().take(if arrows { 2 } else { 1 }) {
            let seen = seen_with(u, keys);
            for row in &tall {
                assert!(
                    seen.contains(row),
                    "{keys:?}: {row:?} never shown at 40x12; the screen:\n{}",
                    render(u, 40, 12)
                );
            }
        }
    }
}

/// The ends of scrolled screens at 40×12, as a person sees them.
#[test]
fn scrolled_screens_at_40x12() {
    let ends = |mut u: Ui, key: Action| {
        u.v.resize(40, 12);
        for _ in 0..40 {
            u.act(key);
        }
        render(&u, 40, 12)
    };
    insta::assert_snapshot!("welcome_top_40x12", ends(welcome(), Action::PageUp));
    insta::assert_snapshot!(
        "welcome_no_keyring_top_40x12",
        ends(no_keyring(), Action::PageUp)
    );
    let done = screens().pop().unwrap();
    insta::assert_snapshot!("done_top_40x12", ends(done.clone(), Action::PageUp));
    insta::assert_snapshot!("done_end_40x12", ends(done, Action::PageDown));
}
