//! The pure `update`, driven by intents (no keys): every transition of the
//! wizard, no I/O. The TUI's own key handling is in `tui_view.rs`.

use crate::wizard_support;

use icloud_mail_setup::app::wizard::checklists::TwoFactorPath;
use icloud_mail_setup::app::wizard::*;
use icloud_mail_setup::domain::keyring::{StoreError, Unlock};
use icloud_mail_setup::domain::mail::{Endpoint, ErrorKind, Protocol};
use icloud_mail_setup::domain::storage::Saved;
use icloud_mail_setup::sys::secret::{RawSecret, Secret};
use wizard_support::*;

fn choose(m: &mut Model, c: Choice) -> Vec<Effect> {
    update(m, Msg::Choose(c))
}

fn submit_account(m: &mut Model, email: &str, login: &str) -> Vec<Effect> {
    update(
        m,
        Msg::SubmitAccount {
            email: email.into(),
            login: login.into(),
        },
    )
}

fn submit_password(m: &mut Model, pw: &str) -> Vec<Effect> {
    let label = m.flow.label.clone();
    update(
        m,
        Msg::SubmitPassword {
            password: RawSecret::new(pw.into()),
            label,
        },
    )
}

fn saved(replaced: bool) -> Msg {
    Msg::Saved(Ok(Saved {
        store_name: "Secret Service".into(),
        config_path: "/tmp/c.toml".into(),
        replaced,
        previous_label: replaced.then(|| "icloud-mail-setup on oldbox".into()),
        recovered: None,
    }))
}

/// Welcome → 2FA on → app password → address → password step.
fn to_password(m: &mut Model) {
    choose(m, Choice::SetUpNew);
    choose(m, Choice::TwoFactorOn);
    assert!(matches!(m.screen, Screen::AppPassword { .. }));
    choose(m, Choice::Continue);
    assert_eq!(m.screen, Screen::Account);
    submit_account(m, "emily@icloud.com", "");
    assert_eq!(m.screen, Screen::Password);
}

fn verify_run(m: &Model) -> u64 {
    match &m.screen {
        Screen::Verify(v) => v.run,
        s => panic!("not on Verify: {s:?}"),
    }
}

fn verified_model() -> (Model, u64) {
    let mut m = model(vec![]);
    to_password(&mut m);
    submit_password(&mut m, PASSWORD);
    let run = verify_run(&m);
    (m, run)
}

/// Both checks of a verified password accepted: waiting to be saved.
fn accepted_model() -> Model {
    let (mut m, run) = verified_model();
    both_accept(&mut m, run);
    m
}

/// Both checks of a verified password rejected.
fn rejected_model() -> Model {
    let (mut m, run) = verified_model();
    let rejected = |p| failed(p, ErrorKind::PasswordRejected);
    finish(
        &mut m,
        run,
        rejected(Protocol::Imap),
        rejected(Protocol::Smtp),
    );
    m
}

fn choices(m: &Model) -> Vec<Choice> {
    prompt(m).options.into_iter().map(|(c, _)| c).collect()
}

#[test]
fn starts_on_welcome_checking_the_keyring() {
    let m = Model::new("laptop", Default::default(), None);
    assert_eq!(m.screen, Screen::Welcome);
    assert_eq!(m.keyring, KeyringStatus::Checking);
    assert!(m.busy() && m.starting());
    let mut m = Model::new("laptop", Default::default(), None);
    update(
        &mut m,
        Msg::KeyringChecked(Err(StoreError::Unavailable {
            reason: "no Secret Service on the session bus".into(),
            hint: "Start gnome-keyring".into(),
        })),
    );
    match &m.keyring {
        KeyringStatus::Problem { message, hint, .. } => {
            assert!(message.contains("no Secret Service"));
            assert_eq!(hint, "Start gnome-keyring");
        }
        k => panic!("{k:?}"),
    }
    assert!(!m.busy());
}

#[test]
fn only_the_answers_a_step_offers_are_taken() {
    let mut m = model(vec![]);
    assert_eq!(choices(&m), [Choice::SetUpNew]);
    // Not offered here: ignored.
    assert!(choose(&mut m, Choice::Save).is_empty());
    assert!(choose(&mut m, Choice::CheckAccount("x@icloud.com".into())).is_empty());
    assert!(submit_account(&mut m, "emily@icloud.com", "").is_empty());
    assert_eq!(m.screen, Screen::Welcome);
}

#[test]
fn two_factor_off_walks_a_path_checklist_and_back() {
    let mut m = model(vec![]);
    choose(&mut m, Choice::SetUpNew);
    assert_eq!(m.screen, Screen::TwoFactor(TwoFactorStage::Ask));
    choose(&mut m, Choice::TwoFactorOff);
    assert_eq!(m.screen, Screen::TwoFactor(TwoFactorStage::Pick));
    choose(&mut m, Choice::Path(TwoFactorPath::Web));
    update(&mut m, Msg::ToggleStep(0));
    update(&mut m, Msg::ToggleStep(1));
    update(&mut m, Msg::ToggleStep(99));
    let Screen::TwoFactor(TwoFactorStage::Steps { path, checklist }) = &m.screen else {
        panic!("{:?}", m.screen)
    };
    assert_eq!(*path, TwoFactorPath::Web);
    assert_eq!(checklist.done_count(), 2);
    // The web path offers the link.
    assert!(matches!(
        update(&mut m, Msg::OpenLink).as_slice(),
        [Effect::OpenUrl(u)] if u == "https://account.apple.com"
    ));
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::TwoFactor(TwoFactorStage::Pick));
    update(&mut m, Msg::Back);
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::Welcome);
}

#[test]
fn app_password_checklist_names_the_label_and_opens_the_link() {
    let mut m = model(vec![]);
    choose(&mut m, Choice::SetUpNew);
    choose(&mut m, Choice::TwoFactorOn);
    update(&mut m, Msg::ToggleStep(0));
    let Screen::AppPassword { checklist } = &m.screen else {
        panic!()
    };
    assert!(checklist.items[0].done);
    assert!(
        checklist.items[4]
            .text
            .contains("icloud-mail-setup on laptop")
    );
    assert!(matches!(
        update(&mut m, Msg::OpenLink).as_slice(),
        [Effect::OpenUrl(_)]
    ));
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
    update(&mut m, Msg::Back);
    assert!(matches!(m.screen, Screen::TwoFactor(_)));
}

#[test]
fn the_address_is_validated_and_custom_domains_need_a_login() {
    let mut m = model(vec![]);
    choose(&mut m, Choice::SetUpNew);
    choose(&mut m, Choice::TwoFactorOn);
    choose(&mut m, Choice::Continue);
    submit_account(&mut m, "emily", "");
    assert_eq!(m.screen, Screen::Account, "an incomplete address stays");
    assert!(prompt(&m).error.is_some());
    submit_account(&mut m, "emily@example.org", "");
    assert_eq!(m.screen, Screen::Account, "custom domain needs a login");
    assert!(prompt(&m).error.unwrap().contains("custom domain"));
    submit_account(&mut m, "emily@example.org", "emily@example.org");
    assert_eq!(
        m.screen,
        Screen::Account,
        "the login must be an Apple address"
    );
    submit_account(&mut m, "emily@example.org", "Emily@iCloud.com");
    assert_eq!(m.screen, Screen::Password);
    assert_eq!(prompt(&m).error, None);
    let a = m.flow.account.as_ref().unwrap();
    assert_eq!(a.email.as_str(), "emily@example.org");
    assert_eq!(a.login.as_str(), "emily@icloud.com");
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::Account);
    assert_eq!(m.flow.email, "emily@example.org", "kept for the fields");
}

#[test]
fn the_password_form_is_checked_before_verifying() {
    let mut m = model(vec![]);
    to_password(&mut m);
    assert!(submit_password(&mut m, "MyAppleP4ss!").is_empty());
    assert_eq!(m.screen, Screen::Password);
    assert!(prompt(&m).error.unwrap().contains("Apple Account password"));
    let fx = submit_password(&mut m, "  WXYZABCDEFGHIJKL \n");
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
fn checks_report_one_by_one_then_offer_save() {
    let (mut m, run) = verified_model();
    assert!(m.busy());
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
    assert!(choices(&m).is_empty());
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
    assert_eq!(choices(&m), [Choice::Save]);
    assert!(m.unsaved());
    let verified = m.flow.verified.as_ref().unwrap();
    assert_eq!(verified.imap_username, "emily");
    assert_eq!(verified.smtp_username, "emily@icloud.com");
    let fx = choose(&mut m, Choice::Save);
    let [Effect::Save(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.secret.expose(), PASSWORD);
    assert_eq!(req.label.as_deref(), Some("icloud-mail-setup on laptop"));
    assert_eq!(m.screen, Screen::Save(SaveState::Saving));
    update(&mut m, saved(false));
    assert_eq!(m.screen, Screen::Done);
    assert!(!m.unsaved());
    assert_eq!(m.flow.candidate, None, "the password is dropped once saved");
    assert_eq!(
        m.flow.usernames,
        Some(("emily".into(), "emily@icloud.com".into()))
    );
    assert!(matches!(
        choose(&mut m, Choice::Finish).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_rejected_password_offers_reenter_first() {
    let mut m = rejected_model();
    // Both checks refused it the same way: one diagnosis, not two.
    let after: Vec<String> = prompt(&m).after.into_iter().map(|t| t.text).collect();
    let advice_of = |p| {
        icloud_mail_setup::domain::mail::diagnosis::diagnose(
            p,
            &endpoint(p),
            ErrorKind::PasswordRejected,
        )
        .advice
    };
    let advice = advice_of(Protocol::Imap);
    assert!(!advice.is_empty());
    assert_eq!(
        advice,
        advice_of(Protocol::Smtp),
        "the same advice for both"
    );
    assert_eq!(
        after.iter().filter(|t| **t == advice).count(),
        1,
        "{after:#?}"
    );
    assert_eq!(choices(&m)[0], Choice::ReEnter);
    assert_eq!(prompt(&m).link, Some("https://account.apple.com"));
    assert!(!m.unsaved());
    choose(&mut m, Choice::NewPassword);
    assert!(matches!(m.screen, Screen::AppPassword { .. }));
}

#[test]
fn a_network_failure_offers_retry_first_and_retry_reruns() {
    let (mut m, run) = verified_model();
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::Timeout),
        accepted(Protocol::Smtp, "emily@icloud.com"),
    );
    assert_eq!(choices(&m)[0], Choice::Retry);
    let fx = choose(&mut m, Choice::Retry);
    assert!(matches!(fx.as_slice(), [Effect::Verify { run: r, .. }] if *r > run));
}

#[test]
fn back_cancels_running_checks() {
    let (mut m, run) = verified_model();
    let fx = update(&mut m, Msg::Back);
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
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::Password);
}

#[test]
fn quitting_with_an_unsaved_verified_password_asks_first() {
    let mut m = accepted_model();
    assert!(update(&mut m, Msg::Quit).is_empty());
    assert!(m.confirming_quit);
    // While asked, nothing else is taken.
    assert!(choose(&mut m, Choice::Save).is_empty());
    update(&mut m, Msg::ConfirmQuit(false));
    assert!(!m.confirming_quit && !m.quitting);
    update(&mut m, Msg::Quit);
    assert!(matches!(
        update(&mut m, Msg::ConfirmQuit(true)).as_slice(),
        [Effect::Quit]
    ));
    assert!(m.quitting);
}

#[test]
fn quitting_is_immediate_otherwise_and_cancels_a_check() {
    let mut m = model(vec![]);
    assert!(matches!(
        update(&mut m, Msg::Quit).as_slice(),
        [Effect::Quit]
    ));
    let (mut m, run) = verified_model();
    let fx = update(&mut m, Msg::Quit);
    assert!(matches!(fx.as_slice(), [Effect::CancelVerify { run: r }, Effect::Quit] if *r == run));
}

#[test]
fn terminate_quits_even_with_unsaved_work() {
    let mut m = accepted_model();
    assert!(matches!(
        update(&mut m, Msg::Terminate).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_save_failure_keeps_the_password_and_retries() {
    let mut m = accepted_model();
    choose(&mut m, Choice::Save);
    update(
        &mut m,
        Msg::Saved(Err(SaveFailed::unchanged("the keyring is locked"))),
    );
    assert!(matches!(m.screen, Screen::Save(SaveState::Failed(_))));
    assert!(m.unsaved());
    let said = text(&prompt(&m).lines);
    assert!(said.contains("Nothing was replaced"), "{said}");
    assert!(matches!(
        choose(&mut m, Choice::RetrySave).as_slice(),
        [Effect::Save(_)]
    ));
}

fn text(lines: &[Text]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A save that could not confirm or put back what it left says so, never
/// "nothing was replaced" (issue 17), and the retry stays offered.
#[test]
fn a_save_failure_that_left_things_uncertain_does_not_claim_nothing_changed() {
    let mut m = accepted_model();
    choose(&mut m, Choice::Save);
    update(
        &mut m,
        Msg::Saved(Err(SaveFailed {
            message: "injected; putting the previous keyring entry back failed too. Run \
                      `icloud-mail-setup password emily@icloud.com`"
                .into(),
            left_as_before: false,
        })),
    );
    let said = text(&prompt(&m).lines);
    assert!(!said.contains("Nothing was replaced"), "{said}");
    assert!(!said.contains("still there"), "{said}");
    assert!(said.contains("not certain"), "{said}");
    assert!(
        said.contains("icloud-mail-setup password emily@icloud.com"),
        "{said}"
    );
    assert_eq!(choices(&m), [Choice::RetrySave]);
}

#[test]
fn no_quitting_half_way_through_a_save_and_a_signal_waits_for_it() {
    let mut m = accepted_model();
    choose(&mut m, Choice::Save);
    assert!(update(&mut m, Msg::Quit).is_empty());
    assert!(!m.quitting);
    assert!(m.notice.as_deref().unwrap().contains("Saving"));
    // The signal does not cut the save short.
    assert!(update(&mut m, Msg::Terminate).is_empty());
    assert!(!m.quitting);
    let fx = update(&mut m, saved(false));
    assert!(matches!(fx.as_slice(), [Effect::Quit]), "{fx:?}");
    assert!(m.quitting);
    assert!(m.flow.saved.is_some(), "kept for the last line");
}

#[test]
fn a_label_that_cannot_be_kept_is_said_not_dropped_silently() {
    for (label, says) in [
        ("abcd-efgh-ijkl-mnop", "had an app-specific password in it"),
        // Found by tests/wizard_props.rs: a password inside the label.
        (
            "my box abcd-efgh-ijkl-mnop.",
            "had an app-specific password in it",
        ),
        ("x\u{202e}y", "invisible or direction-changing"),
    ] {
        let mut m = model(vec![]);
        to_password(&mut m);
        update(
            &mut m,
            Msg::SubmitPassword {
                password: RawSecret::new(PASSWORD.into()),
                label: label.into(),
            },
        );
        // Not kept, so never shown again (plain mode offers the label
        // back as its default).
        if says.contains("app-specific") {
            assert_ne!(m.flow.label, label);
        }
        let notice = m.notice.clone().unwrap_or_default();
        let run = verify_run(&m);
        both_accept(&mut m, run);
        let fx = choose(&mut m, Choice::Save);
        let [Effect::Save(req)] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert_ne!(req.label.as_deref(), Some(label));
        let notice = m.notice.clone().unwrap_or(notice);
        assert!(notice.contains(says), "{label:?}: {notice}");
        assert!(!notice.contains("abcd-efgh"), "{notice}");
    }
}

#[test]
fn a_password_pasted_ahead_of_time_goes_straight_to_the_check() {
    // Welcome: paste, then the address: one submit reaches Verify.
    let mut m = model(vec![]);
    update(
        &mut m,
        Msg::PastePassword(RawSecret::new(" WXYZ-ABCD-EFGH-IJKL\n".into())),
    );
    assert_eq!(m.screen, Screen::Account);
    assert!(m.notice.as_deref().unwrap().contains("kept"));
    assert!(!format!("{m:?}").to_lowercase().contains("wxyz"));
    let fx = submit_account(&mut m, "emily@icloud.com", "");
    let [Effect::Verify { password, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(password.expose(), PASSWORD);
    // Something that is not a password is refused, and says why.
    let mut m = model(vec![]);
    update(&mut m, Msg::PastePassword(RawSecret::new("hello".into())));
    assert_eq!(m.screen, Screen::Welcome);
    assert!(
        m.notice
            .as_deref()
            .unwrap()
            .contains("not an app-specific password")
    );
    // After the password step it is not taken this way.
    let (mut m, _) = verified_model();
    assert!(update(&mut m, Msg::PastePassword(RawSecret::new(PASSWORD.into()))).is_empty());
}

// --- Re-runs: checking and rotating a configured account -----------------

fn existing_model() -> (Model, u64) {
    let mut m = model(vec![summary("emily@icloud.com")]);
    let fx = choose(&mut m, Choice::CheckAccount("emily@icloud.com".into()));
    let [Effect::LoadSecret { run, email }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(email, "emily@icloud.com");
    (m, *run)
}

fn loaded(m: &mut Model, run: u64, secret: Option<&str>) -> Vec<Effect> {
    update(
        m,
        Msg::SecretLoaded {
            run,
            result: Ok(secret.map(|s| Secret::new(s.into()))),
        },
    )
}

#[test]
fn picking_an_account_checks_its_stored_password() {
    let (mut m, run) = existing_model();
    assert!(m.rotating());
    let fx = loaded(&mut m, run, Some(PASSWORD));
    assert!(matches!(fx.as_slice(), [Effect::Verify { run: r, .. }] if *r == run));
    let fx = both_accept(&mut m, run);
    // The usernames the servers accepted are recorded with the pass, for
    // the password that was read (the entry's `stored_at`).
    let [
        Effect::MarkVerified {
            entry,
            imap_username,
            smtp_username,
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(**entry, summary("emily@icloud.com"));
    assert_eq!(imap_username.as_deref(), Some("emily"));
    assert_eq!(smtp_username.as_deref(), Some("emily@icloud.com"));
    // Carried out as the executor does, through the check service.
    let config = record_in_config(&fx);
    assert!(config.contains("verified_at = "), "{config}");
    assert!(config.contains("imap_username = \"emily\""), "{config}");
    assert_eq!(choices(&m), [Choice::BackToStart, Choice::RotateAnyway]);
    assert!(!m.unsaved(), "a stored password is not 'unsaved'");
    // Back on Welcome, the account just checked is the default answer.
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::Welcome);
    assert_eq!(prompt(&m).default, 1);
}

const CONFIG: &str = "[[account]]\nemail = \"emily@icloud.com\"\nlogin = \"emily@icloud.com\"\n";

/// Carry out the `MarkVerified` effects of `fx` as the executor does
/// (through the check service) on a config holding emily's account; that
/// config afterwards.
fn record_in_config(fx: &[Effect]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let mut marks = 0;
    for effect in fx {
        if let Effect::MarkVerified {
            entry,
            settings,
            imap_username,
            smtp_username,
        } = effect
        {
            let users = (imap_username.as_deref(), smtp_username.as_deref());
            let _ = icloud_mail_setup::app::executor::record_pass(&path, entry, settings, users);
            marks += 1;
        }
    }
    assert_eq!(marks, 1, "one pass to record: {fx:?}");
    std::fs::read_to_string(&path).unwrap()
}

/// A stored password checked against another server (`--imap`, or its
/// environment variable, left pointing at a test server) is not recorded:
/// that pass says nothing about the account's own servers, and recording
/// it would clear a real rejection and the username form that works there.
/// The wizard leaves that rule to the check service `verify` uses: the
/// pass goes there with the servers it was made with, and nothing is
/// written.
#[test]
fn a_check_against_other_servers_records_nothing() {
    let mut m = model(vec![summary("emily@icloud.com")]);
    m.settings.imap = Endpoint::parse("127.0.0.1:1143").unwrap();
    m.servers_given = (true, false);
    let fx = choose(&mut m, Choice::CheckAccount("emily@icloud.com".into()));
    let [Effect::LoadSecret { run, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let run = *run;
    loaded(&mut m, run, Some(PASSWORD));
    let fx = both_accept(&mut m, run);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::MarkVerified { settings, .. }
            if settings.imap == Endpoint::parse("127.0.0.1:1143").unwrap())),
        "{fx:?}"
    );
    assert_eq!(record_in_config(&fx), CONFIG, "nothing recorded");
    // The check itself still reads as passed.
    assert_eq!(choices(&m), [Choice::BackToStart, Choice::RotateAnyway]);
}

#[test]
fn a_rejected_stored_password_goes_to_the_checklist_then_password() {
    let (mut m, run) = existing_model();
    loaded(&mut m, run, Some(PASSWORD));
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    assert_eq!(choices(&m)[0], Choice::NewPassword);
    choose(&mut m, Choice::NewPassword);
    assert!(
        matches!(m.screen, Screen::AppPassword { .. }),
        "2FA is evidently on: skipped"
    );
    choose(&mut m, Choice::Continue);
    assert_eq!(m.screen, Screen::Password, "the address is known: skipped");
    assert_eq!(m.flow.label, "icloud-mail-setup on oldbox (2)");
}

#[test]
fn a_missing_entry_means_a_new_password_and_a_read_error_can_be_retried() {
    let (mut m, run) = existing_model();
    loaded(&mut m, run, None);
    let Screen::Verify(v) = &m.screen else {
        panic!()
    };
    assert!(v.missing_secret);
    assert_eq!(choices(&m)[0], Choice::NewPassword);
    assert!(!m.busy());

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
    assert_eq!(choices(&m)[0], Choice::Retry);
    assert!(matches!(
        choose(&mut m, Choice::Retry).as_slice(),
        [Effect::LoadSecret { .. }]
    ));
}

#[test]
fn start_account_jumps_straight_to_the_check() {
    let mut m = Model::new(
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
    assert_eq!(m.screen, Screen::Welcome);
}

#[test]
fn a_rotation_pasted_ahead_of_time_needs_no_password_step() {
    let (mut m, run) = existing_model();
    loaded(&mut m, run, None);
    choose(&mut m, Choice::NewPassword);
    let fx = update(&mut m, Msg::PastePassword(RawSecret::new(PASSWORD.into())));
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");
    let run = verify_run(&m);
    both_accept(&mut m, run);
    assert!(matches!(
        choose(&mut m, Choice::Save).as_slice(),
        [Effect::Save(_)]
    ));
    update(&mut m, saved(true));
    assert_eq!(m.screen, Screen::Done);
    let done = prompt(&m);
    assert!(done.lines.iter().any(|l| {
        l.text
            .contains("\u{201c}icloud-mail-setup on oldbox\u{201d}")
    }));
}

/// The rotation screen (a revoked stored password, reached by
/// `--account EMAIL` or "Check …") says "paste it here": a paste there is
/// kept, said so, and checked at once (issue 17).
#[test]
fn a_paste_on_the_rotation_screen_is_kept_and_checked_at_once() {
    let (mut m, run) = existing_model();
    loaded(&mut m, run, Some(PASSWORD));
    finish(
        &mut m,
        run,
        failed(Protocol::Imap, ErrorKind::PasswordRejected),
        failed(Protocol::Smtp, ErrorKind::PasswordRejected),
    );
    assert!(m.takes_paste());
    let fx = update(
        &mut m,
        Msg::PastePassword(RawSecret::new(" mnop-qrst-uvwx-yzab\n".into())),
    );
    let [Effect::Verify { password, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(password.expose(), "mnop-qrst-uvwx-yzab");
    assert!(
        m.notice.as_deref().unwrap().contains("kept"),
        "{:?}",
        m.notice
    );
    let Screen::Verify(v) = &m.screen else {
        panic!("{:?}", m.screen)
    };
    assert_eq!(v.purpose, Purpose::NewPassword);
    // It is the rotation: the new label, then saved over the old entry.
    let run = verify_run(&m);
    both_accept(&mut m, run);
    assert!(matches!(
        choose(&mut m, Choice::Save).as_slice(),
        [Effect::Save(r)] if r.label.as_deref() == Some("icloud-mail-setup on oldbox (2)")
    ));

    // A missing entry says the same; something that is not a password is
    // refused there with its reason, and the screen stays.
    let (mut m, run) = existing_model();
    loaded(&mut m, run, None);
    let before = m.screen.clone();
    assert!(update(&mut m, Msg::PastePassword(RawSecret::new("hello".into()))).is_empty());
    assert_eq!(m.screen, before);
    assert!(
        m.notice
            .as_deref()
            .unwrap()
            .contains("not an app-specific password")
    );
    let fx = update(&mut m, Msg::PastePassword(RawSecret::new(PASSWORD.into())));
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");

    // A new password's rejection says "paste it here" too.
    let mut m = rejected_model();
    let fx = update(
        &mut m,
        Msg::PastePassword(RawSecret::new("mnop-qrst-uvwx-yzab".into())),
    );
    assert!(matches!(fx.as_slice(), [Effect::Verify { .. }]), "{fx:?}");

    // Not while a check runs, nor over a checked password waiting to be saved.
    let (mut m, run) = verified_model();
    assert!(update(&mut m, Msg::PastePassword(RawSecret::new(PASSWORD.into()))).is_empty());
    both_accept(&mut m, run);
    assert!(m.unsaved());
    assert!(
        update(
            &mut m,
            Msg::PastePassword(RawSecret::new("mnop-qrst-uvwx-yzab".into()))
        )
        .is_empty()
    );
    assert!(m.flow.verified.is_some());
}

#[test]
fn rotation_suggests_a_label_of_its_own() {
    assert_eq!(
        next_label("icloud-mail-setup on oldbox"),
        "icloud-mail-setup on oldbox (2)"
    );
    assert_eq!(next_label("x (2)"), "x (3)");
    assert_eq!(next_label("x (two)"), "x (two) (2)");
    let (m, _) = existing_model();
    assert_eq!(m.flow.label, "icloud-mail-setup on oldbox (2)");
}

#[test]
fn a_typed_address_is_never_checked_against_another_accounts_recorded_servers() {
    let mut m = model(vec![]);
    // As if a configured account with its own servers had been chosen.
    let mut recorded = m.settings.clone();
    recorded.imap = Endpoint::new("old-test-server.example", 1993);
    m.flow.settings = Some(recorded);
    to_password(&mut m);
    let fx = submit_password(&mut m, PASSWORD);
    let [Effect::Verify { settings, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        settings, &None,
        "the typed account inherited recorded servers"
    );
}

#[test]
fn a_stored_account_is_checked_and_shown_with_its_recorded_servers() {
    let mut s = summary("emily@icloud.com");
    s.imap_server = Some("imap.test.example:1993".into());
    let mut m = model(vec![s]);
    let fx = choose(&mut m, Choice::CheckAccount("emily@icloud.com".into()));
    let [Effect::LoadSecret { run, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let run = *run;
    let fx = loaded(&mut m, run, Some(PASSWORD));
    let [Effect::Verify { settings, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        settings.as_ref().unwrap().imap,
        Endpoint::new("imap.test.example", 1993)
    );
    assert!(
        prompt(&m)
            .checks
            .iter()
            .any(|l| l.text.contains("imap.test.example:1993"))
    );
}

#[test]
fn done_offers_the_clients_found_and_sets_one_up_through_a_preview() {
    let mut m = accepted_model();
    choose(&mut m, Choice::Save);
    let fx = update(&mut m, saved(false));
    assert!(
        matches!(fx.as_slice(), [Effect::DetectClients { email }] if email == "emily@icloud.com"),
        "{fx:?}"
    );
    update(
        &mut m,
        Msg::ClientsDetected {
            offers: vec![ClientOffer {
                client: Client::Mbsync,
                found: "on PATH".into(),
            }],
            exported: vec![],
        },
    );
    assert_eq!(
        choices(&m),
        [
            Choice::Finish,
            Choice::Export(Client::Mbsync),
            Choice::CopyPassword
        ]
    );
    let fx = choose(&mut m, Choice::Export(Client::Mbsync));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::PreviewExport {
                client: Client::Mbsync,
                ..
            }]
        ),
        "{fx:?}"
    );
    assert!(m.busy());
    update(
        &mut m,
        Msg::ExportPreviewed {
            client: Client::Mbsync,
            result: Ok((
                "/home/emily/.mbsyncrc".into(),
                "IMAPAccount emily@icloud.com\nPassCmd \"icloud-mail-setup password emily@icloud.com\"".into(),
            )),
        },
    );
    let p = prompt(&m);
    assert_eq!(p.next, Some(Choice::WriteExport));
    assert!(p.after.iter().any(|l| l.text.starts_with("PassCmd")));
    // Back goes to Done, and nothing is written.
    update(&mut m, Msg::Back);
    assert_eq!(m.screen, Screen::Done);
    choose(&mut m, Choice::Export(Client::Mbsync));
    update(
        &mut m,
        Msg::ExportPreviewed {
            client: Client::Mbsync,
            result: Ok(("/home/emily/.mbsyncrc".into(), "x".into())),
        },
    );
    let fx = choose(&mut m, Choice::WriteExport);
    assert!(
        matches!(fx.as_slice(), [Effect::WriteExport { .. }]),
        "{fx:?}"
    );
    // No going back half way through a write.
    update(&mut m, Msg::Back);
    assert!(matches!(m.screen, Screen::Export(_)));
    update(
        &mut m,
        Msg::ExportWritten {
            client: Client::Mbsync,
            result: Ok("wrote /home/emily/.mbsyncrc (new)".into()),
        },
    );
    assert_eq!(m.screen, Screen::Done);
    assert!(m.notice.as_deref().unwrap().contains("mbsync: wrote"));
    assert_eq!(m.flow.exported, ["mbsync"]);
    assert!(choices(&m).len() == 3);
    assert!(
        matches!(choose(&mut m, Choice::CopyPassword).as_slice(), [Effect::CopyPassword { email }] if email == "emily@icloud.com")
    );
}

#[test]
fn after_a_rotation_done_says_which_clients_follow_by_themselves() {
    let (mut m, run) = existing_model();
    loaded(&mut m, run, None);
    choose(&mut m, Choice::NewPassword);
    update(&mut m, Msg::PastePassword(RawSecret::new(PASSWORD.into())));
    let run = verify_run(&m);
    both_accept(&mut m, run);
    choose(&mut m, Choice::Save);
    update(&mut m, saved(true));
    update(
        &mut m,
        Msg::ClientsDetected {
            offers: vec![],
            exported: vec!["mbsync".into(), "msmtp".into()],
        },
    );
    let text: Vec<String> = prompt(&m).lines.into_iter().map(|l| l.text).collect();
    let text = text.join("\n");
    assert!(text.contains("by themselves: mbsync, msmtp"), "{text}");
    assert!(text.contains("GUI mail apps"), "{text}");
}

fn locked_keyring() -> Model {
    let mut m = Model::new("laptop", Default::default(), None);
    update(
        &mut m,
        Msg::KeyringChecked(Err(StoreError::Locked {
            hint: "Unlock your keyring, then run this again.".into(),
        })),
    );
    update(&mut m, Msg::AccountsLoaded(Ok(vec![])));
    m
}

#[test]
fn a_locked_keyring_is_offered_an_unlock_and_only_a_locked_one() {
    let m = locked_keyring();
    assert_eq!(
        choices(&m),
        [Choice::UnlockKeyring, Choice::SetUpNew],
        "offered first"
    );
    let mut gone = Model::new("laptop", Default::default(), None);
    update(
        &mut gone,
        Msg::KeyringChecked(Err(StoreError::Unavailable {
            reason: "no bus".into(),
            hint: "start one".into(),
        })),
    );
    update(&mut gone, Msg::AccountsLoaded(Ok(vec![])));
    assert_eq!(choices(&gone), [Choice::SetUpNew]);
    assert!(!choices(&model(vec![])).contains(&Choice::UnlockKeyring));
}

#[test]
fn unlocking_raises_one_prompt_and_waits_for_it() {
    let mut m = locked_keyring();
    let fx = update(&mut m, Msg::Choose(Choice::UnlockKeyring));
    assert!(
        matches!(fx.as_slice(), [Effect::UnlockKeyring { deadline }] if *deadline == UNLOCK_DEADLINE),
        "{fx:?}"
    );
    assert_eq!(m.unlock, UnlockState::Prompting);
    assert!(m.busy());
    // While it is up, asking again raises nothing, and only waiting (or
    // giving up) is offered.
    assert!(update(&mut m, Msg::Choose(Choice::UnlockKeyring)).is_empty());
    assert!(update(&mut m, Msg::Choose(Choice::SetUpNew)).is_empty());
    assert_eq!(choices(&m), [Choice::StopWaiting]);
    // Unlocked: the keyring is asked again, and its answer is shown.
    let fx = update(&mut m, Msg::KeyringUnlocked(Ok(Unlock::Unlocked)));
    assert!(matches!(fx.as_slice(), [Effect::CheckKeyring]), "{fx:?}");
    assert_eq!(m.keyring, KeyringStatus::Checking);
    update(&mut m, Msg::KeyringChecked(Ok("Secret Service".into())));
    assert_eq!(choices(&m), [Choice::SetUpNew]);
    // A late or repeated answer changes nothing.
    assert!(update(&mut m, Msg::KeyringUnlocked(Ok(Unlock::Dismissed))).is_empty());
    assert!(matches!(m.keyring, KeyringStatus::Ready { .. }));
}

#[test]
fn a_cancelled_or_unanswered_prompt_is_never_raised_again() {
    for (end, says) in [
        (Ok(Unlock::Dismissed), "The unlock prompt was cancelled."),
        (Ok(Unlock::StoppedWaiting), "may still be on your desktop"),
        (
            Err("no prompt".to_string()),
            "could not be unlocked from here",
        ),
    ] {
        let mut m = locked_keyring();
        update(&mut m, Msg::Choose(Choice::UnlockKeyring));
        assert!(update(&mut m, Msg::KeyringUnlocked(end.clone())).is_empty());
        assert_eq!(m.unlock, UnlockState::Ended(end.clone()));
        assert!(!m.busy());
        assert_eq!(
            choices(&m),
            [Choice::CheckKeyringAgain, Choice::SetUpNew],
            "{end:?}"
        );
        let text: Vec<String> = prompt(&m).lines.into_iter().map(|l| l.text).collect();
        assert!(text.iter().any(|l| l.contains(says)), "{end:?}: {text:?}");
        assert!(update(&mut m, Msg::Choose(Choice::UnlockKeyring)).is_empty());
        let fx = update(&mut m, Msg::Choose(Choice::CheckKeyringAgain));
        assert!(matches!(fx.as_slice(), [Effect::CheckKeyring]), "{fx:?}");
        // Still locked: still no second prompt.
        update(
            &mut m,
            Msg::KeyringChecked(Err(StoreError::Locked { hint: "x".into() })),
        );
        assert!(!choices(&m).contains(&Choice::UnlockKeyring));
    }
}

#[test]
fn the_person_can_stop_waiting_and_quitting_stops_the_wait() {
    let mut m = locked_keyring();
    update(&mut m, Msg::Choose(Choice::UnlockKeyring));
    let fx = update(&mut m, Msg::Choose(Choice::StopWaiting));
    assert!(matches!(fx.as_slice(), [Effect::StopUnlock]), "{fx:?}");
    assert_eq!(m.unlock, UnlockState::Ended(Ok(Unlock::StoppedWaiting)));
    // The worker's own answer, arriving after, is ignored.
    assert!(update(&mut m, Msg::KeyringUnlocked(Ok(Unlock::StoppedWaiting))).is_empty());
    assert_eq!(choices(&m), [Choice::CheckKeyringAgain, Choice::SetUpNew]);
}
