//! The TUI's own state and its translation of keys into the wizard's
//! intents: selection, focus, fields, paste, help, tiny windows, hints.

use crate::wizard_support;

use icloud_mail_setup::app::tui::Action;
use icloud_mail_setup::app::tui::keys::label_for;
use icloud_mail_setup::app::tui::view::hints;
use icloud_mail_setup::app::wizard::*;
use wizard_support::*;

fn to_password(u: &mut Ui) {
    u.act(Action::Confirm); // set up a new account
    u.act(Action::Confirm); // 2FA on
    u.act(Action::Confirm); // checklist done
    u.typed("emily@icloud.com");
    u.act(Action::Confirm);
    assert_eq!(u.m.screen, Screen::Password);
}

#[test]
fn arrows_pick_answers_by_value_and_the_selection_starts_afresh() {
    let mut u = Ui::new(model(vec![summary("emily@icloud.com")]));
    u.act(Action::Down);
    u.act(Action::Down); // stays on the last
    assert_eq!(u.v.selected, 1);
    let fx = u.act(Action::Confirm);
    assert!(
        matches!(fx.as_slice(), [Effect::LoadSecret { email, .. }] if email == "emily@icloud.com")
    );
    // Back (the first cancels the keyring read) on Welcome, the account
    // left is selected.
    u.act(Action::Back);
    u.act(Action::Back);
    assert_eq!(u.m.screen, Screen::Welcome);
    assert_eq!(u.v.selected, 1);
    u.act(Action::Up);
    u.act(Action::Confirm);
    assert_eq!(u.m.screen, Screen::TwoFactor(TwoFactorStage::Ask));
    assert_eq!(u.v.selected, 0, "a new step starts at its default");
}

#[test]
fn space_ticks_the_selected_step_and_moves_on() {
    let mut u = Ui::new(model(vec![]));
    u.act(Action::Confirm);
    u.act(Action::Confirm);
    u.act(Action::Toggle);
    u.act(Action::Toggle);
    let Screen::AppPassword { checklist } = &u.m.screen else {
        panic!()
    };
    assert_eq!(checklist.done_count(), 2);
    assert_eq!(u.v.selected, 2);
    u.act(Action::Up);
    u.act(Action::Toggle); // unticks, stays
    assert_eq!(u.v.selected, 1);
    let Screen::AppPassword { checklist } = &u.m.screen else {
        panic!()
    };
    assert!(!checklist.items[1].done);
}

#[test]
fn the_account_fields_validate_before_submitting_and_tab_needs_a_second_field() {
    let mut u = Ui::new(model(vec![]));
    for _ in 0..3 {
        u.act(Action::Confirm);
    }
    u.typed("emily@icloud.com");
    u.act(Action::NextField);
    assert!(!u.v.second_field, "an iCloud address has no login field");
    u.act(Action::ClearField);
    u.typed("me@example.org");
    u.act(Action::Confirm);
    assert_eq!(u.m.screen, Screen::Account);
    assert!(u.v.second_field, "Enter moves to the missing login");
    u.typed("emily@icloud.com");
    u.act(Action::PrevField);
    assert!(!u.v.second_field);
    u.act(Action::Confirm);
    assert_eq!(u.m.screen, Screen::Password);
    assert_eq!(
        u.m.flow.account.as_ref().unwrap().login.as_str(),
        "emily@icloud.com"
    );
    // Back: the fields hold what was typed.
    u.act(Action::Back);
    assert_eq!(u.v.email.value(), "me@example.org");
    assert_eq!(u.v.login.value(), "emily@icloud.com");
}

#[test]
fn pastes_fill_the_field_drop_escapes_and_refuse_huge_ones() {
    let mut u = Ui::new(model(vec![]));
    to_password(&mut u);
    u.paste("wxyz-\u{1b}[201~abcd-efgh-ijkl");
    assert_eq!(u.v.password.peek(), PASSWORD);
    u.paste(&"x".repeat(5000));
    assert_eq!(
        u.v.password.peek(),
        PASSWORD,
        "a refused paste changes nothing"
    );
    assert!(u.v.field_error.as_deref().unwrap().contains("long"));
    // Pasted into the label, a password goes to the password field.
    u.act(Action::ClearField);
    u.act(Action::NextField);
    u.paste(PASSWORD);
    assert_eq!(u.v.password.peek(), PASSWORD);
    assert!(!u.v.second_field);
    assert_eq!(u.v.label.value(), "icloud-mail-setup on laptop");
    let fx = u.act(Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");
}

#[test]
fn a_paste_before_the_password_step_is_kept_by_the_wizard() {
    let mut u = Ui::new(model(vec![]));
    u.paste(PASSWORD);
    assert_eq!(u.m.screen, Screen::Account);
    u.typed("emily@icloud.com");
    let fx = u.act(Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");
    // On the address step, an address pasted goes into the field.
    let mut u = Ui::new(model(vec![]));
    for _ in 0..3 {
        u.act(Action::Confirm);
    }
    u.paste("emily@icloud.com");
    assert_eq!(u.v.email.value(), "emily@icloud.com");
}

#[test]
fn typing_in_the_label_leaves_the_password_and_reveal_is_a_view_matter() {
    let mut u = Ui::new(model(vec![]));
    to_password(&mut u);
    u.act(Action::Reveal);
    assert!(u.v.reveal);
    u.act(Action::NextField);
    u.typed(" 2");
    assert_eq!(u.v.label.value(), "icloud-mail-setup on laptop 2");
    assert!(u.v.password.is_empty());
    u.act(Action::Back);
    assert_eq!(u.m.screen, Screen::Account);
}

#[test]
fn help_swallows_keys_until_closed_and_ctrl_c_still_quits() {
    let mut u = Ui::new(model(vec![]));
    u.act(Action::Help);
    assert!(u.v.help);
    assert!(u.act(Action::Confirm).is_empty());
    assert!(!u.v.help);
    assert_eq!(u.m.screen, Screen::Welcome, "Enter closed help only");
    // q closes it; Ctrl-C quits from it.
    u.act(Action::Help);
    assert!(u.act(Action::Quit).is_empty());
    assert!(!u.v.help && !u.m.quitting);
    u.act(Action::Help);
    assert!(matches!(
        u.act(Action::Interrupt).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_tiny_window_takes_only_quit() {
    let mut u = Ui::new(model(vec![]));
    u.v.resize(30, 10);
    assert!(u.act(Action::Confirm).is_empty());
    assert_eq!(u.m.screen, Screen::Welcome);
    u.v.resize(40, 12);
    u.act(Action::Confirm);
    assert!(matches!(u.m.screen, Screen::TwoFactor(_)));
    u.v.resize(39, 40);
    assert!(matches!(u.act(Action::Quit).as_slice(), [Effect::Quit]));
}

#[test]
fn the_quit_question_takes_y_and_n_and_enter_stays() {
    let mut u = Ui::new(model(vec![]));
    to_password(&mut u);
    u.typed(PASSWORD);
    u.act(Action::Confirm);
    let run = u.run();
    both_accept(&mut u.m, run);
    u.v.sync(&u.m);
    u.act(Action::Quit);
    assert!(u.m.confirming_quit);
    assert!(u.act(Action::Confirm).is_empty());
    assert!(!u.m.confirming_quit && !u.m.quitting);
    u.act(Action::Quit);
    assert!(matches!(u.act(Action::Yes).as_slice(), [Effect::Quit]));
}

#[test]
fn the_footer_lists_only_keys_that_are_bound_here() {
    let mut u = Ui::new(model(vec![]));
    let mut seen = 0;
    for _ in 0..6 {
        for (a, _) in hints(&u.m, &u.v) {
            assert!(label_for(a, u.v.text_entry(&u.m)).is_some(), "{a:?}");
            seen += 1;
        }
        u.act(Action::Confirm);
        u.typed("emily@icloud.com");
    }
    assert!(seen > 10);
}

/// Found by `tests/wizard_props.rs`: a password pasted into the address
/// field was shown there in clear. Now a bare password pasted there is kept
/// ahead of time (hidden), and one inside other text is refused.
#[test]
fn a_password_pasted_on_the_address_step_never_lands_in_the_field() {
    let mut u = Ui::new(model(vec![]));
    for _ in 0..3 {
        u.act(Action::Confirm);
    }
    assert_eq!(u.m.screen, Screen::Account);
    u.paste("It is wxyz-abcd-efgh-ijkl.");
    assert_eq!(u.v.email.value(), "");
    let notice = u.v.flash.clone().unwrap_or_default();
    assert!(notice.contains("not put in the address field"), "{notice}");
    assert!(!notice.contains("wxyz"), "{notice}");
    for paste in [PASSWORD, "  WXYZ ABCD EFGH IJKL\n"] {
        u.paste(paste);
        assert_eq!(u.v.email.value(), "", "{paste:?}");
        assert!(u.m.flow.candidate.is_some(), "kept ahead of time");
    }
    u.paste("emily@icloud.com");
    assert_eq!(u.v.email.value(), "emily@icloud.com");
}

/// Found by `tests/wizard_props.rs`: a password with a full stop after it,
/// pasted into the label, was shown there and saved to the config file.
#[test]
fn a_password_inside_a_label_paste_is_refused() {
    let mut u = Ui::new(model(vec![]));
    to_password(&mut u);
    u.act(Action::NextField);
    u.paste(&format!("{PASSWORD}."));
    assert_eq!(u.v.label.value(), "icloud-mail-setup on laptop");
    assert!(u.v.password.is_empty());
    let notice = u.v.flash.clone().unwrap_or_default();
    assert!(notice.contains("not put in the"), "{notice}");
    assert!(!notice.contains("wxyz"), "{notice}");
    // Other text still goes in.
    u.paste(" (2)");
    assert_eq!(u.v.label.value(), "icloud-mail-setup on laptop(2)");
}
