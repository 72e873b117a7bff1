//! The pure `update`: every transition of the wizard, no I/O.

mod wizard_support;

use icloud_mail_setup::mail::{Endpoint, ErrorKind, Protocol};
use icloud_mail_setup::secrets::StoreError;
use icloud_mail_setup::storage::Saved;
use icloud_mail_setup::wizard::checklists::TwoFactorPath;
use icloud_mail_setup::wizard::*;
use wizard_support::*;

fn act(m: &mut Model, a: Action) -> Vec<Effect> {
    update(m, Msg::Action(a))
}

fn type_str(m: &mut Model, s: &str) {
    for c in s.chars() {
        act(m, Action::Char(c));
    }
}

/// Welcome → 2FA (yes) → app password → account → password screen.
fn to_password(m: &mut Model) {
    act(m, Action::Confirm);
    act(m, Action::Confirm);
    assert!(matches!(m.screen, Screen::AppPassword { .. }));
    act(m, Action::Confirm);
    assert_eq!(m.screen, Screen::Account);
    type_str(m, "emily@icloud.com");
    act(m, Action::Confirm);
    assert_eq!(m.screen, Screen::Password);
}

fn verify_run(m: &Model) -> u64 {
    match &m.screen {
        Screen::Verify(v) => v.run,
        s => panic!("not on Verify: {s:?}"),
    }
}

#[test]
fn starts_on_welcome_checking_the_keyring() {
    let m = Model::new("laptop", Default::default(), None);
    assert_eq!(m.screen, Screen::Welcome { selected: 0 });
    assert_eq!(m.keyring, KeyringStatus::Checking);
    assert!(m.busy(), "the spinner runs while the keyring is checked");
}

#[test]
fn keyring_problem_is_recorded_with_its_hint() {
    let mut m = Model::new("laptop", Default::default(), None);
    update(
        &mut m,
        Msg::KeyringChecked(Err(StoreError::Unavailable {
            reason: "no Secret Service on the session bus".into(),
            hint: "Start gnome-keyring".into(),
        })),
    );
    match &m.keyring {
        KeyringStatus::Problem { message, hint } => {
            assert!(message.contains("no Secret Service"));
            assert_eq!(hint, "Start gnome-keyring");
        }
        k => panic!("{k:?}"),
    }
    assert!(!m.busy());
}

#[test]
fn two_factor_yes_skips_to_app_password() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    assert_eq!(
        m.screen,
        Screen::TwoFactor(TwoFactorStage::Ask { selected: 0 })
    );
    act(&mut m, Action::Confirm);
    assert!(matches!(m.screen, Screen::AppPassword { .. }));
}

#[test]
fn two_factor_no_walks_a_path_checklist() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Down);
    act(&mut m, Action::Confirm);
    assert_eq!(
        m.screen,
        Screen::TwoFactor(TwoFactorStage::Pick { selected: 0 })
    );
    act(&mut m, Action::Down);
    act(&mut m, Action::Down);
    act(&mut m, Action::Down); // stays on the last
    act(&mut m, Action::Confirm);
    let Screen::TwoFactor(TwoFactorStage::Steps { path, checklist }) = &m.screen else {
        panic!("{:?}", m.screen)
    };
    assert_eq!(*path, TwoFactorPath::Web);
    assert_eq!(checklist.done_count(), 0);
    act(&mut m, Action::Toggle);
    act(&mut m, Action::Toggle);
    let Screen::TwoFactor(TwoFactorStage::Steps { checklist, .. }) = &m.screen else {
        panic!()
    };
    assert_eq!(checklist.done_count(), 2);
    assert_eq!(checklist.selected, 2);
    // The web path offers the link.
    assert!(matches!(
        act(&mut m, Action::OpenLink).as_slice(),
        [Effect::OpenUrl(u)] if u == "https://account.apple.com"
    ));
    act(&mut m, Action::Back);
    assert_eq!(
        m.screen,
        Screen::TwoFactor(TwoFactorStage::Pick { selected: 2 })
    );
    act(&mut m, Action::Back);
    act(&mut m, Action::Back);
    assert_eq!(m.screen, Screen::Welcome { selected: 0 });
}

#[test]
fn app_password_checklist_ticks_and_opens_the_link() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Toggle);
    let Screen::AppPassword { checklist } = &m.screen else {
        panic!()
    };
    assert!(checklist.items[0].done);
    assert!(
        checklist.items[4]
            .text
            .contains("icloud-mail-setup on laptop")
    );
    let fx = act(&mut m, Action::OpenLink);
    assert!(matches!(fx.as_slice(), [Effect::OpenUrl(_)]));
    update(
        &mut m,
        Msg::UrlOpened {
            url: "https://account.apple.com".into(),
            result: Err("no browser".into()),
        },
    );
    assert!(
        m.notice
            .as_deref()
            .unwrap()
            .contains("https://account.apple.com")
    );
    act(&mut m, Action::Back);
    assert!(matches!(m.screen, Screen::TwoFactor(_)));
}

#[test]
fn account_screen_validates_and_asks_login_for_custom_domains() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    type_str(&mut m, "emily");
    act(&mut m, Action::Confirm);
    assert_eq!(m.screen, Screen::Account, "an incomplete address stays");
    type_str(&mut m, "@example.org");
    act(&mut m, Action::Confirm);
    assert_eq!(m.screen, Screen::Account, "custom domain needs a login");
    assert_eq!(m.flow.account_focus, AccountField::Login);
    type_str(&mut m, "emily@example.org");
    act(&mut m, Action::Confirm);
    assert_eq!(
        m.screen,
        Screen::Account,
        "the login must be an Apple address"
    );
    act(&mut m, Action::ClearField);
    type_str(&mut m, "Emily@iCloud.com");
    act(&mut m, Action::Confirm);
    assert_eq!(m.screen, Screen::Password);
    let a = m.flow.account.as_ref().unwrap();
    assert_eq!(a.email.as_str(), "emily@example.org");
    assert_eq!(a.login.as_str(), "emily@icloud.com");
}

#[test]
fn account_tab_moves_only_when_there_is_a_second_field() {
    let mut m = model(vec![]);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    act(&mut m, Action::Confirm);
    type_str(&mut m, "emily@icloud.com");
    act(&mut m, Action::NextField);
    assert_eq!(m.flow.account_focus, AccountField::Email);
    act(&mut m, Action::ClearField);
    type_str(&mut m, "me@example.org");
    act(&mut m, Action::NextField);
    assert_eq!(m.flow.account_focus, AccountField::Login);
    act(&mut m, Action::PrevField);
    assert_eq!(m.flow.account_focus, AccountField::Email);
    act(&mut m, Action::Back);
    assert!(matches!(m.screen, Screen::AppPassword { .. }));
}

#[test]
fn password_form_is_checked_before_verifying() {
    let mut m = model(vec![]);
    to_password(&mut m);
    type_str(&mut m, "MyAppleP4ss!");
    assert!(act(&mut m, Action::Confirm).is_empty());
    assert_eq!(m.screen, Screen::Password);
    assert!(
        m.flow
            .password_error
            .as_deref()
            .unwrap()
            .contains("Apple Account password")
    );
    act(&mut m, Action::ClearField);
    assert!(m.flow.password.is_empty());
    update(&mut m, Msg::Paste("  WXYZABCDEFGHIJKL \n".into()));
    let fx = act(&mut m, Action::Confirm);
    let [
        Effect::Verify {
            account,
            password,
            protocols,
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(password.expose(), PASSWORD);
    assert_eq!(account.email.as_str(), "emily@icloud.com");
    assert_eq!(protocols, &[Protocol::Imap, Protocol::Smtp]);
    assert!(matches!(m.screen, Screen::Verify(_)));
}

#[test]
fn paste_drops_escapes_and_refuses_huge_pastes() {
    let mut m = model(vec![]);
    to_password(&mut m);
    update(&mut m, Msg::Paste("wxyz-\u{1b}[201~abcd-efgh-ijkl".into()));
    assert_eq!(m.flow.password.peek(), PASSWORD);
    update(&mut m, Msg::Paste("x".repeat(5000)));
    assert_eq!(
        m.flow.password.peek(),
        PASSWORD,
        "refused paste changes nothing"
    );
    assert!(
        m.flow
            .password_error
            .as_deref()
            .unwrap()
            .contains("too long")
    );
}

#[test]
fn reveal_and_label_field() {
    let mut m = model(vec![]);
    to_password(&mut m);
    assert!(!m.flow.reveal);
    act(&mut m, Action::Reveal);
    assert!(m.flow.reveal);
    act(&mut m, Action::NextField);
    assert_eq!(m.flow.password_focus, PasswordField::Label);
    type_str(&mut m, " 2");
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on laptop 2");
    assert!(
        m.flow.password.is_empty(),
        "typing in the label leaves the password"
    );
    act(&mut m, Action::Back);
    assert_eq!(m.screen, Screen::Account);
}

fn verified_model() -> (Model, u64) {
    let mut m = model(vec![]);
    to_password(&mut m);
    type_str(&mut m, PASSWORD);
    act(&mut m, Action::Confirm);
    let run = verify_run(&m);
    (m, run)
}

#[test]
fn checks_report_one_by_one_then_offer_save() {
    let (mut m, run) = verified_model();
    assert!(m.busy());
    update(&mut m, Msg::Tick);
    assert_eq!(m.spinner, 1);
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Smtp, "emily@icloud.com"),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert!(v.smtp.accepted() && v.imap.is_running());
    assert!(v.choices().is_empty());
    // A stale report from an older run is ignored.
    update(
        &mut m,
        Msg::CheckDone {
            run: run + 99,
            report: failed(Protocol::Imap, ErrorKind::Timeout),
        },
    );
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Imap, "emily"),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.choices(), vec![Choice::Save]);
    assert!(m.unsaved());
    let verified = m.flow.verified.as_ref().unwrap();
    assert_eq!(verified.imap_username, "emily");
    assert_eq!(verified.smtp_username, "emily@icloud.com");
    let fx = act(&mut m, Action::Confirm);
    let [Effect::Save(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.secret.expose(), PASSWORD);
    assert_eq!(req.label.as_deref(), Some("icloud-mail-setup on laptop"));
    assert_eq!(m.screen, Screen::Save(SaveState::Saving));
    update(
        &mut m,
        Msg::Saved(Ok(Saved {
            store_name: "Secret Service".into(),
            config_path: "/tmp/c.toml".into(),
            replaced: false,
            previous_label: None,
            recovered: None,
        })),
    );
    assert_eq!(m.screen, Screen::Done);
    assert!(!m.unsaved());
    assert!(
        m.flow.password.is_empty(),
        "the typed password is dropped once saved"
    );
    assert_eq!(
        m.flow.usernames,
        Some(("emily".into(), "emily@icloud.com".into()))
    );
    assert!(matches!(
        act(&mut m, Action::Confirm).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn rejected_password_offers_reenter_first() {
    let (mut m, run) = verified_model();
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.choices()[0], Choice::ReEnter);
    assert!(!m.unsaved());
    act(&mut m, Action::Down);
    act(&mut m, Action::Confirm);
    assert!(
        matches!(m.screen, Screen::AppPassword { .. }),
        "second choice: make a new one"
    );
}

#[test]
fn network_failure_offers_retry_first_and_retry_reruns() {
    let (mut m, run) = verified_model();
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: failed(Protocol::Imap, ErrorKind::Timeout),
        },
    );
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Smtp, "emily@icloud.com"),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.choices()[0], Choice::Retry);
    let fx = act(&mut m, Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Verify { run: r, .. }] if *r > run));
}

#[test]
fn esc_cancels_running_checks() {
    let (mut m, run) = verified_model();
    let fx = act(&mut m, Action::Back);
    assert!(matches!(fx.as_slice(), [Effect::CancelVerify { run: r }] if *r == run));
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.imap, CheckLine::Cancelled);
    assert!(!m.busy());
    // A late result of the cancelled run changes nothing.
    update(
        &mut m,
        Msg::CheckDone {
            run,
            report: accepted(Protocol::Imap, "emily"),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.imap, CheckLine::Cancelled);
    act(&mut m, Action::Back);
    assert_eq!(m.screen, Screen::Password);
}

#[test]
fn quitting_with_an_unsaved_verified_password_asks_first() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    assert!(act(&mut m, Action::Quit).is_empty());
    assert_eq!(m.overlay, Overlay::ConfirmQuit);
    act(&mut m, Action::No);
    assert_eq!(m.overlay, Overlay::None);
    act(&mut m, Action::Quit);
    assert!(matches!(
        act(&mut m, Action::Yes).as_slice(),
        [Effect::Quit]
    ));
    assert!(m.quitting);
}

#[test]
fn quitting_without_anything_unsaved_is_immediate() {
    let mut m = model(vec![]);
    assert!(matches!(
        act(&mut m, Action::Quit).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn quitting_during_a_check_cancels_it() {
    let (mut m, run) = verified_model();
    let fx = act(&mut m, Action::Quit);
    assert!(matches!(fx.as_slice(), [Effect::CancelVerify { run: r }, Effect::Quit] if *r == run));
}

#[test]
fn terminate_quits_even_with_unsaved_work() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    assert!(matches!(
        update(&mut m, Msg::Terminate).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn help_overlay_swallows_keys_until_closed() {
    let mut m = model(vec![]);
    act(&mut m, Action::Help);
    assert_eq!(m.overlay, Overlay::Help);
    act(&mut m, Action::Down);
    assert_eq!(m.screen, Screen::Welcome { selected: 0 });
    act(&mut m, Action::Back);
    assert_eq!(m.overlay, Overlay::None);
    assert!(!m.text_entry());
}

#[test]
fn save_failure_keeps_the_password_and_retries() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    act(&mut m, Action::Confirm);
    update(&mut m, Msg::Saved(Err("the keyring is locked".into())));
    assert!(matches!(m.screen, Screen::Save(SaveState::Failed(_))));
    assert!(m.unsaved());
    let fx = act(&mut m, Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Save(_)]));
}

/// Found by `tests/wizard_props.rs`: a password pasted into the address
/// field was shown there in clear.
#[test]
fn a_password_pasted_into_the_address_field_is_refused() {
    let mut m = model(vec![]);
    for _ in 0..3 {
        act(&mut m, Action::Confirm);
    }
    assert_eq!(m.screen, Screen::Account);
    for paste in [
        PASSWORD,
        "  WXYZ ABCD EFGH IJKL\n",
        "It is wxyz-abcd-efgh-ijkl.",
    ] {
        update(&mut m, Msg::Paste(paste.into()));
        assert_eq!(m.flow.email.value(), "", "{paste:?}");
        let notice = m.notice.clone().unwrap_or_default();
        assert!(notice.contains("not put in the address field"), "{notice}");
        assert!(!notice.contains("wxyz"), "{notice}");
    }
    update(&mut m, Msg::Paste("emily@icloud.com".into()));
    assert_eq!(m.flow.email.value(), "emily@icloud.com");
}

/// Found by `tests/wizard_props.rs`: a password with a full stop after it,
/// pasted into the label, was shown there and saved to the config file.
#[test]
fn a_password_inside_a_label_paste_is_refused() {
    let mut m = model(vec![]);
    to_password(&mut m);
    act(&mut m, Action::NextField);
    update(&mut m, Msg::Paste(format!("{PASSWORD}.")));
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on laptop");
    assert!(m.flow.password.is_empty());
    let notice = m.notice.clone().unwrap_or_default();
    assert!(notice.contains("not put in the"), "{notice}");
    assert!(!notice.contains("wxyz"), "{notice}");
    // Other text still goes in.
    update(&mut m, Msg::Paste(" (2)".into()));
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on laptop(2)");
}

#[test]
fn a_label_that_cannot_be_kept_is_said_not_dropped_silently() {
    for (label, says) in [
        (
            "abcd-efgh-ijkl-mnop",
            "looked like an app-specific password",
        ),
        // Found by tests/wizard_props.rs: a password inside the label.
        (
            "my box abcd-efgh-ijkl-mnop.",
            "looked like an app-specific password",
        ),
        ("x\u{202e}y", "invisible or direction-changing"),
    ] {
        let (mut m, run) = verified_model();
        m.flow.label = icloud_mail_setup::wizard::input::TextInput::with(label);
        both_accept(&mut m, run);
        let fx = act(&mut m, Action::Confirm);
        let [Effect::Save(req)] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert_eq!(req.label, None);
        let notice = m.notice.clone().unwrap_or_default();
        assert!(notice.contains(says), "{label:?}: {notice}");
        assert!(!notice.contains("abcd-efgh"), "{notice}");
    }
    // A good label is kept, and nothing is said.
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    let fx = act(&mut m, Action::Confirm);
    let [Effect::Save(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.label.as_deref(), Some("icloud-mail-setup on laptop"));
    assert_eq!(m.notice, None);
}

// --- Re-runs: checking and rotating a configured account -----------------

fn existing_model() -> (Model, u64) {
    let mut m = model(vec![summary("emily@icloud.com")]);
    act(&mut m, Action::Down);
    let fx = act(&mut m, Action::Confirm);
    let [Effect::LoadSecret { run, email }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(email, "emily@icloud.com");
    (m, *run)
}

#[test]
fn picking_an_account_checks_its_stored_password() {
    let (mut m, run) = existing_model();
    assert!(m.rotating());
    let fx = update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Ok(Some(icloud_mail_setup::secret::Secret::new(
                PASSWORD.into(),
            ))),
        },
    );
    assert!(matches!(fx.as_slice(), [Effect::Verify { run: r, .. }] if *r == run));
    let fx = both_accept(&mut m, run);
    assert!(
        matches!(fx.as_slice(), [Effect::MarkVerified { email }] if email == "emily@icloud.com")
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.choices(), vec![Choice::BackToStart, Choice::RotateAnyway]);
    assert!(!m.unsaved(), "a stored password is not 'unsaved'");
}

#[test]
fn rejected_stored_password_goes_to_the_checklist_then_password() {
    let (mut m, run) = existing_model();
    update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Ok(Some(icloud_mail_setup::secret::Secret::new(
                PASSWORD.into(),
            ))),
        },
    );
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert_eq!(v.choices()[0], Choice::NewPassword);
    act(&mut m, Action::Confirm);
    assert!(
        matches!(m.screen, Screen::AppPassword { .. }),
        "2FA is evidently on: skipped"
    );
    act(&mut m, Action::Confirm);
    assert_eq!(m.screen, Screen::Password, "the address is known: skipped");
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on oldbox (2)");
}

#[test]
fn missing_keyring_entry_means_a_new_password() {
    let (mut m, run) = existing_model();
    update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Ok(None),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert!(v.missing_secret);
    assert_eq!(v.choices()[0], Choice::NewPassword);
    assert!(!m.busy());
}

#[test]
fn keyring_read_error_is_shown_and_retry_rereads() {
    let (mut m, run) = existing_model();
    update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Err(StoreError::Locked {
                hint: "unlock it".into(),
            }),
        },
    );
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert!(v.keyring_error.as_deref().unwrap().contains("unlock it"));
    assert_eq!(v.choices()[0], Choice::Retry);
    let fx = act(&mut m, Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::LoadSecret { .. }]));
}

#[test]
fn start_account_jumps_straight_to_the_check() {
    let mut m = icloud_mail_setup::wizard::Model::new(
        "laptop",
        Default::default(),
        Some("Emily@iCloud.com".into()),
    );
    let fx = update(
        &mut m,
        Msg::AccountsLoaded(Ok(vec![summary("emily@icloud.com")])),
    );
    assert!(matches!(fx.as_slice(), [Effect::LoadSecret { .. }]));
    let mut m = Model::new(
        "laptop",
        Default::default(),
        Some("nobody@icloud.com".into()),
    );
    update(
        &mut m,
        Msg::AccountsLoaded(Ok(vec![summary("emily@icloud.com")])),
    );
    assert!(m.notice.as_deref().unwrap().contains("nobody@icloud.com"));
    assert!(matches!(m.screen, Screen::Welcome { .. }));
}

#[test]
fn rotation_done_reports_the_old_label() {
    let (mut m, run) = existing_model();
    update(
        &mut m,
        Msg::SecretLoaded {
            run,
            result: Ok(None),
        },
    );
    act(&mut m, Action::Confirm); // new password
    act(&mut m, Action::Confirm); // checklist done
    type_str(&mut m, PASSWORD);
    act(&mut m, Action::Confirm);
    let run = verify_run(&m);
    both_accept(&mut m, run);
    let fx = act(&mut m, Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Save(_)]));
    update(
        &mut m,
        Msg::Saved(Ok(Saved {
            store_name: "Secret Service".into(),
            config_path: "/tmp/c.toml".into(),
            replaced: true,
            previous_label: Some("icloud-mail-setup on oldbox".into()),
            recovered: None,
        })),
    );
    assert_eq!(m.screen, Screen::Done);
}

#[test]
fn hints_list_only_bound_keys() {
    use icloud_mail_setup::wizard::keys::label_for;
    use icloud_mail_setup::wizard::update::hints;
    let (mut m, _) = verified_model();
    for screen_model in [model(vec![]), m.clone()] {
        for (a, _) in hints(&screen_model) {
            assert!(label_for(a, screen_model.text_entry()).is_some(), "{a:?}");
        }
    }
    act(&mut m, Action::Back);
    assert!(hints(&m).iter().any(|(a, _)| *a == Action::Confirm));
}

#[test]
fn enter_in_the_quit_prompt_stays() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    act(&mut m, Action::Quit);
    assert!(act(&mut m, Action::Confirm).is_empty());
    assert_eq!(m.overlay, Overlay::None);
    assert!(!m.quitting);
}

#[test]
fn no_quitting_half_way_through_a_save() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    act(&mut m, Action::Confirm);
    assert_eq!(m.screen, Screen::Save(SaveState::Saving));
    assert!(act(&mut m, Action::Quit).is_empty());
    assert!(!m.quitting);
    assert!(m.notice.as_deref().unwrap().contains("Saving"));
}

#[test]
fn a_tiny_window_takes_only_quit() {
    let mut m = model(vec![]);
    update(
        &mut m,
        Msg::Resize {
            width: 30,
            height: 10,
        },
    );
    assert!(act(&mut m, Action::Confirm).is_empty());
    assert_eq!(m.screen, Screen::Welcome { selected: 0 });
    update(
        &mut m,
        Msg::Resize {
            width: 40,
            height: 12,
        },
    );
    act(&mut m, Action::Confirm);
    assert!(matches!(m.screen, Screen::TwoFactor(_)));
    update(
        &mut m,
        Msg::Resize {
            width: 39,
            height: 40,
        },
    );
    assert!(matches!(
        act(&mut m, Action::Quit).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn quit_from_the_help_overlay_quits() {
    let mut m = model(vec![]);
    act(&mut m, Action::Help);
    assert!(matches!(
        act(&mut m, Action::Quit).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_password_pasted_into_the_label_goes_to_the_password_field() {
    let mut m = model(vec![]);
    to_password(&mut m);
    act(&mut m, Action::NextField);
    update(&mut m, Msg::Paste(PASSWORD.into()));
    assert_eq!(m.flow.password.peek(), PASSWORD);
    assert_eq!(m.flow.password_focus, PasswordField::Password);
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on laptop");
    // Typed into the label, it is still never saved as one.
    act(&mut m, Action::NextField);
    act(&mut m, Action::ClearField);
    type_str(&mut m, PASSWORD);
    act(&mut m, Action::Confirm);
    let run = verify_run(&m);
    both_accept(&mut m, run);
    let fx = act(&mut m, Action::Confirm);
    let [Effect::Save(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.label, None);
}

#[test]
fn rotation_suggests_a_label_of_its_own() {
    use icloud_mail_setup::wizard::update::next_label;
    assert_eq!(
        next_label("icloud-mail-setup on oldbox"),
        "icloud-mail-setup on oldbox (2)"
    );
    assert_eq!(next_label("x (2)"), "x (3)");
    assert_eq!(next_label("x (two)"), "x (two) (2)");
    let (m, _) = existing_model();
    assert_eq!(m.flow.label.value(), "icloud-mail-setup on oldbox (2)");
}

#[test]
fn a_signal_during_saving_waits_for_the_save_then_quits() {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    let fx = act(&mut m, Action::Confirm);
    assert!(matches!(fx.as_slice(), [Effect::Save(_)]), "{fx:?}");
    assert_eq!(m.screen, Screen::Save(SaveState::Saving));
    // The signal does not cut the save short.
    assert!(update(&mut m, Msg::Terminate).is_empty());
    assert!(!m.quitting);
    let fx = update(
        &mut m,
        Msg::Saved(Ok(Saved {
            store_name: "Secret Service".into(),
            config_path: "/tmp/c.toml".into(),
            replaced: false,
            previous_label: None,
            recovered: None,
        })),
    );
    assert!(matches!(fx.as_slice(), [Effect::Quit]), "{fx:?}");
    assert!(m.quitting);
    assert!(
        m.flow.saved.is_some(),
        "the save's outcome is kept for the last line"
    );
}

#[test]
fn a_typed_address_is_never_checked_against_another_accounts_recorded_servers() {
    let mut m = model(vec![]);
    // As if a configured account with its own servers had been chosen.
    let mut recorded = m.settings.clone();
    recorded.imap = Endpoint::new("old-test-server.example", 1993);
    m.flow.settings = Some(recorded);
    to_password(&mut m);
    type_str(&mut m, PASSWORD);
    let fx = act(&mut m, Action::Confirm);
    let [Effect::Verify { settings, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        settings, &None,
        "the typed account inherited recorded servers"
    );
}
