//! Every screen rendered at 80×24, and the key screens at 40×12, compared
//! with reviewed snapshots. No snapshot may contain the password.

mod wizard_support;

use icloud_mail_setup::mail::{ErrorKind, Protocol};
use icloud_mail_setup::secrets::StoreError;
use icloud_mail_setup::storage::Saved;
use icloud_mail_setup::ui;
use icloud_mail_setup::wizard::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wizard_support::*;

fn render(m: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, m)).unwrap();
    let out = format!("{}", t.backend());
    assert!(!out.contains(PASSWORD), "the password leaked into a frame");
    assert!(
        !out.contains("wxyz"),
        "part of the password leaked into a frame"
    );
    out
}

fn act(m: &mut Model, a: Action) {
    update(m, Msg::Action(a));
}

fn typed(m: &mut Model, s: &str) {
    for c in s.chars() {
        act(m, Action::Char(c));
    }
}

fn welcome() -> Model {
    model(vec![summary("emily@icloud.com"), summary("work@me.com")])
}

fn app_password() -> Model {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Toggle);
    m
}

fn account_screen(text: &str) -> Model {
    let mut m = app_password();
    act(&mut m, Action::Confirm);
    typed(&mut m, text);
    m
}

fn password_screen(text: &str) -> Model {
    let mut m = account_screen("emily@icloud.com");
    act(&mut m, Action::Confirm);
    typed(&mut m, text);
    m
}

fn verifying() -> (Model, u64) {
    let mut m = password_screen(PASSWORD);
    act(&mut m, Action::Confirm);
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    let run = v.run;
    (m, run)
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
    let mut m = Model::new("laptop", Default::default(), None);
    snap!("welcome_checking_keyring", m);
    update(
        &mut m,
        Msg::KeyringChecked(Err(StoreError::Unavailable {
            reason: "no Secret Service on the session bus".into(),
            hint: "Start gnome-keyring or KeePassXC's Secret Service, or run inside a desktop \
                   session. Over SSH: dbus-run-session, then unlock a keyring."
                .into(),
        })),
    );
    update(&mut m, Msg::AccountsLoaded(Ok(vec![])));
    snap!("welcome_no_keyring", m, small);
}

#[test]
fn two_factor_screens() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    snap!("two_factor_ask", m, small);
    act(&mut m, Action::Down);
    act(&mut m, Action::Confirm);
    snap!("two_factor_pick", m);
    for (i, name) in [(0, "mac"), (1, "iphone"), (2, "web")] {
        let mut n = m.clone();
        for _ in 0..i {
            act(&mut n, Action::Down);
        }
        act(&mut n, Action::Confirm);
        act(&mut n, Action::Toggle);
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
    act(&mut m, Action::NextField);
    typed(&mut m, "emily@icloud.com");
    snap!("account_custom_domain", m);
}

#[test]
fn password_screens() {
    snap!("password_empty", password_screen(""));
    snap!("password_partial", password_screen("wxyz-abcd"));
    snap!("password_valid", password_screen(PASSWORD), small);
    snap!("password_wrong_kind", password_screen("MyApple1!"));
    let mut m = password_screen("short");
    act(&mut m, Action::Confirm);
    snap!("password_error_after_enter", m);
}

#[test]
fn verify_screens() {
    let (mut m, run) = verifying();
    snap!("verify_running", m, small);
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Smtp, "emily@icloud.com"),
        },
    );
    snap!("verify_one_done", m);
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Imap, "emily"),
        },
    );
    snap!("verify_accepted", m, small);

    let (mut m, run) = verifying();
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    snap!("verify_rejected", m, small);

    let (mut m, run) = verifying();
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::Timeout),
        failed(Protocol::Smtp, ErrorKind::UntrustedCertificate),
    );
    snap!("verify_network_problems", m);

    let (mut m, _) = verifying();
    act(&mut m, Action::Back);
    snap!("verify_cancelled", m);
}

#[test]
fn stored_password_screens() {
    let mut m = welcome();
    act(&mut m, Action::Down);
    act(&mut m, Action::Confirm);
    snap!("check_stored_loading", m);
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    let run = v.run;
    let mut missing = m.clone();
    update(
        &mut missing,
        Msg::SecretLoaded {
            run,
            result: Ok(None),
        },
    );
    snap!("check_stored_missing", missing);
    update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Ok(Some(icloud_mail_setup::secret::Secret::new(
                PASSWORD.into(),
            ))),
        },
    );
    let mut ok = m.clone();
    both_accept(&mut ok, run);
    snap!("check_stored_ok", ok);
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    snap!("check_stored_rejected", m);
}

fn accepted_model() -> Model {
    let (mut m, run) = verifying();
    both_accept(&mut m, run);
    m
}

#[test]
fn save_and_done_screens() {
    let mut m = accepted_model();
    act(&mut m, Action::Confirm);
    snap!("save_saving", m);
    let mut failed_save = m.clone();
    update(
        &mut failed_save,
        Msg::Saved(Err(
            "the keyring is locked. Unlock your keyring and retry.".into()
        )),
    );
    snap!("save_failed", failed_save);
    let mut rotated = m.clone();
    update(
        &mut m,
        Msg::Saved(Ok(Saved {
            store_name: "Secret Service".into(),
            config_path: "/home/emily/.config/icloud-mail-setup/config.toml".into(),
            replaced: false,
            previous_label: None,
            recovered: None,
        })),
    );
    snap!("done", m, small);
    update(
        &mut rotated,
        Msg::Saved(Ok(Saved {
            store_name: "Secret Service".into(),
            config_path: "/home/emily/.config/icloud-mail-setup/config.toml".into(),
            replaced: true,
            previous_label: Some("icloud-mail-setup on oldbox".into()),
            recovered: None,
        })),
    );
    snap!("done_after_rotation", rotated);
}

#[test]
fn overlays() {
    let mut m = welcome();
    act(&mut m, Action::Help);
    snap!("help", m);
    let mut m = accepted_model();
    act(&mut m, Action::Quit);
    snap!("confirm_quit", m, small);
}

#[test]
fn revealed_password_is_shown_only_on_request() {
    let mut m = password_screen(PASSWORD);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| ui::draw(f, &m)).unwrap();
    assert!(!format!("{}", t.backend()).contains(PASSWORD));
    act(&mut m, Action::Reveal);
    t.draw(|f| ui::draw(f, &m)).unwrap();
    assert!(format!("{}", t.backend()).contains(PASSWORD));
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let m = welcome();
    for (w, h) in [(39, 12), (40, 11), (10, 3), (1, 1), (0, 0)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| ui::draw(f, &m)).unwrap();
        if w >= 20 && h >= 3 {
            assert!(
                format!("{}", t.backend()).contains("Make the window"),
                "{w}x{h}"
            );
        }
    }
    insta::assert_snapshot!("too_small_39x12", render(&m, 39, 12));
}

#[test]
fn every_screen_survives_every_size() {
    let (v, _) = verifying();
    let screens = [
        welcome(),
        app_password(),
        account_screen("me@example.org"),
        password_screen("ab"),
        v,
        accepted_model(),
    ];
    for m in &screens {
        for w in [40u16, 41, 50, 59, 60, 79, 80, 120] {
            for h in [12u16, 13, 17, 18, 24, 40] {
                render(m, w, h);
            }
        }
    }
}

#[test]
fn no_color_renders_without_colour() {
    use ratatui::style::Color;
    let colours = |m: &Model| {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| ui::draw(f, m)).unwrap();
        t.backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    let mut m = accepted_model();
    assert!(colours(&m) > 0, "colour is used by default");
    m.no_color = true;
    assert_eq!(colours(&m), 0, "NO_COLOR: no colour at all");
}
