//! Properties of the wizard's `update` over random message sequences:
//! keys, pastes (huge and odd ones too), resizes, ticks, I/O results for
//! the current run, stale runs and runs not started, and signals.
//!
//! 1. No sequence makes `update` (or drawing the result) panic.
//! 2. Nothing is saved unless that exact secret was accepted by both
//!    checks of the latest run (the test keeps its own record of every
//!    Verify effect and of the reports it fed), and the label written to
//!    the config is never the password.
//! 3. The password never appears on a rendered screen unless reveal is on
//!    (and the Password screen is showing): every step is drawn at three
//!    sizes and the screen searched for each password in every form.
//!
//! Generators, the driver and the renderer: `tests/props/wizard.rs`.

use crate::props;

use std::sync::atomic::{AtomicUsize, Ordering};

use icloud_mail_setup::app::wizard::{Effect, Screen};
use icloud_mail_setup::domain::apppass;
use props::wizard::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property (`PROPTEST_CASES` overrides). Drawing every step
/// at several sizes costs more than `update`, so the two properties that
/// draw run half as many, to keep this file to a few seconds.
const CASES: u32 = 256;
const DRAWING_CASES: u32 = 128;

fn runner(cases: u32) -> TestRunner {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    TestRunner::new(config)
}

#[test]
fn no_sequence_panics() {
    runner(DRAWING_CASES)
        .run(&(start(), ops(60)), |(s, ops)| {
            let mut d = Driver::new(&s);
            let mut screens = Screens::default();
            for op in &ops {
                d.step(op);
                // Draw at the size the terminal last reported (bounded, so
                // a 65535×65535 report does not allocate 4 G cells here).
                let (w, h) = d.size;
                screens.draw(&d.m, &d.v, &[(w.min(120), h.min(40))]);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn only_the_secret_both_checks_of_the_latest_run_accepted_is_saved() {
    let saved = AtomicUsize::new(0);
    let verified = AtomicUsize::new(0);
    let mut runner = runner(CASES);
    let cases = runner.config().cases as usize;
    runner
        .run(&(start(), ops(60)), |(s, ops)| {
            let mut d = Driver::new(&s);
            for (n, op) in ops.iter().enumerate() {
                let before = d.saves.len();
                d.step(op);
                for (_, verdict) in &d.saves[before..] {
                    if let Err(why) = verdict {
                        return Err(TestCaseError::fail(format!("step {n} ({op:?}): {why}")));
                    }
                }
            }
            if !d.saves.is_empty() {
                saved.fetch_add(1, Ordering::Relaxed);
            }
            if d.runs.iter().any(|r| {
                r.imap.as_ref().is_some_and(|r| r.accepted())
                    && r.smtp.as_ref().is_some_and(|r| r.accepted())
            }) {
                verified.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    // The property was put to the test: many sequences got a password
    // accepted and asked for a save.
    let (s, v) = (saved.into_inner(), verified.into_inner());
    eprintln!("{v} of {cases} sequences had a run accepted by both checks, {s} saved");
    assert!(s >= cases / 20 && v >= s, "{s} saves, {v} verified");
}

/// 4. Nothing on a drawn screen is a character a terminal acts on or
///    hides (control, bidi, zero-width), whatever hostile labels,
///    usernames, notes and keyring messages the run was fed.
#[test]
fn nothing_on_screen_acts_on_the_terminal() {
    // The generators feed keyring messages with escape sequences and bidi
    // overrides (`StoreError::Other`): with neither `StoreError`'s escaping
    // Display nor the screen's own pass (`ui::draw`), this fails.
    runner(DRAWING_CASES)
        .run(&(start(), ops(40)), |(s, ops)| {
            let mut d = Driver::new(&s);
            let mut screens = Screens::default();
            for op in &ops {
                d.step(op);
                let Some(drawn) = screens.draw(&d.m, &d.v, &SIZES) else {
                    continue;
                };
                for ((w, h), screen) in drawn {
                    let acts =
                        |c: char| c != '\n' && icloud_mail_setup::sys::text::acts_on_terminal(c);
                    prop_assert!(!screen.chars().any(acts), "{op:?} at {w}×{h}:\n{screen:?}");
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The sizes every step is drawn at.
const SIZES: [(u16, u16); 3] = [(80, 24), (40, 12), (60, 18)];

#[test]
fn the_password_is_never_on_screen_unless_revealed() {
    let revealed_and_seen = AtomicUsize::new(0);
    let masked = AtomicUsize::new(0);
    let mut runner = runner(DRAWING_CASES);
    let cases = runner.config().cases;
    runner
        .run(&(start(), ops(50)), |(s, ops)| {
            let mut d = Driver::new(&s);
            let mut screens = Screens::default();
            for (n, op) in ops.iter().enumerate() {
                let effects = d.step(op);
                let revealed = d.v.reveal && d.m.screen == Screen::Password;
                // The field holds exactly one of the passwords (in some
                // form): revealed, it must be found on screen.
                let in_field = apppass::normalise(d.v.password.peek())
                    .ok()
                    .and_then(|s| PASSWORDS.into_iter().find(|p| *p == s.expose()));
                let Some(drawn) = screens.draw(&d.m, &d.v, &SIZES) else {
                    continue;
                };
                for ((w, h), screen) in drawn {
                    let shown = holds_password(&screen);
                    if !revealed && let Some(p) = shown {
                        return Err(TestCaseError::fail(format!(
                            "step {n} ({op:?} → {effects:?}): {p} is on the {w}×{h} screen \
                             ({:?}, reveal {}):\n{screen}",
                            d.m.screen, d.v.reveal
                        )));
                    }
                    if in_field.is_some() && d.m.screen == Screen::Password && !d.v.too_small {
                        if revealed && !d.v.help && !d.m.confirming_quit && w >= 60 {
                            // The search finds a password that is shown:
                            // the property can fail.
                            prop_assert_eq!(shown, in_field, "revealed but not found:\n{}", screen);
                            revealed_and_seen.fetch_add(1, Ordering::Relaxed);
                        } else if !revealed {
                            masked.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                if effects.iter().any(|e| matches!(e, Effect::Quit)) {
                    break;
                }
            }
            Ok(())
        })
        .unwrap();
    let (r, m) = (revealed_and_seen.into_inner(), masked.into_inner());
    eprintln!("{m} masked frames with a password in the field, {r} revealed ones found");
    assert!(cases < 64 || (r > 0 && m > 0), "{r} revealed, {m} masked");
}
