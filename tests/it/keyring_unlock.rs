//! Unlocking a locked keyring on request (the wizard's "Unlock the
//! keyring"), against real gnome-keyring with its login collection locked,
//! each case on a session bus of its own. A scripted prompter
//! (`keyring_unlock/prompter.py`, owning `org.gnome.keyring.SystemPrompter`
//! as gcr-prompter does) stands in for the person at the desktop: it types
//! the keyring password, presses Cancel, or never answers. It logs every
//! prompt it is asked to show, so the tests count them.

// A Secret Service on a D-Bus session and a Python prompter: Unix only. On
// Windows this file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{self, Bin};
use crate::tmux;

use icloud_mail_setup::domain::keyring::{KeyringStore, SecretStore, StoreError, Unlock};
use icloud_mail_setup::sys::secret::Secret;

/// The keyring password of the sessions below.
const KEYRING_PW: &str = "unlock-test-pw";

/// What the prompter was asked, one word a line.
fn prompter_log() -> String {
    std::fs::read_to_string(std::env::var("IMS_PROMPTER_LOG").unwrap()).unwrap_or_default()
}

fn prompts() -> usize {
    prompter_log()
        .lines()
        .filter(|l| l.starts_with("prompt"))
        .count()
}

fn assert_locked(store: &KeyringStore) {
    match store.preflight() {
        Err(StoreError::Locked { .. }) => {}
        other => panic!("expected a locked keyring, got {other:?}"),
    }
}

/// Runs only as a child of the tests below, in its own session bus with a
/// locked keyring and the scripted prompter answering as `IMS_MODE` says.
#[test]
#[ignore = "run by the tests below inside their own dbus-run-session"]
fn probe_unlock() {
    let mode = std::env::var("IMS_MODE").unwrap();
    let store = KeyringStore::new();
    assert_locked(&store);
    // Nothing but an unlock asked for prompts: reading, storing and the
    // pre-flight report "locked" and raise nothing.
    let p = Secret::new("abcd-efgh-ijkl-mnop".into());
    assert!(matches!(
        store.get("probe@icloud.com"),
        Err(StoreError::Locked { .. })
    ));
    assert!(matches!(
        store.set("probe@icloud.com", &p),
        Err(StoreError::Locked { .. })
    ));
    assert!(!prompter_log().contains("begin"), "{}", prompter_log());

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    match mode.as_str() {
        "type" => {
            let r = store.unlock(Duration::from_secs(30), stop);
            assert_eq!(r, Ok(Unlock::Unlocked));
            store.preflight().expect("unlocked now");
            store.set("probe@icloud.com", &p).unwrap();
            assert_eq!(store.get("probe@icloud.com").unwrap(), Some(p));
        }
        "cancel" => {
            let r = store.unlock(Duration::from_secs(30), stop);
            assert_eq!(r, Ok(Unlock::Dismissed));
            assert_locked(&store);
        }
        "wait" => {
            let deadline = Duration::from_secs(2);
            let r = store.unlock(deadline, stop);
            assert_eq!(r, Ok(Unlock::StoppedWaiting));
            let took = started.elapsed();
            assert!(
                took >= deadline && took < deadline + Duration::from_secs(10),
                "{took:?}"
            );
            // gnome-keyring is still there (no Dismiss took it down), and
            // still locked.
            assert_locked(&store);
        }
        "stop" => {
            // The person stops waiting once the prompt is up.
            let flag = stop.clone();
            let watcher = std::thread::spawn(move || {
                while prompts() == 0 {
                    assert!(
                        started.elapsed() < Duration::from_secs(20),
                        "no prompt came"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
                flag.store(true, Ordering::SeqCst);
                Instant::now()
            });
            let r = store.unlock(Duration::from_secs(60), stop);
            let stopped_at = watcher.join().unwrap();
            assert_eq!(r, Ok(Unlock::StoppedWaiting));
            assert!(stopped_at.elapsed() < Duration::from_secs(5));
            assert_locked(&store);
        }
        other => panic!("unknown mode {other}"),
    }
    // One prompt, whatever the answer.
    assert_eq!(prompts(), 1, "{}", prompter_log());
    println!("PROBE-OK");
}

/// The real program's wizard, in plain mode from a pipe: Welcome offers
/// "Unlock the keyring", choosing it unlocks through the prompt, and the
/// keyring line then says it is ready.
#[test]
#[ignore = "run by the tests below inside their own dbus-run-session"]
fn probe_wizard() {
    // Welcome: 1 (unlock); then the input ends (quit).
    let out = Bin::new().stdin("1\n").run();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    let offered = stdout.find("1. Unlock the keyring");
    let ready = stdout.find("Keyring: Secret Service is ready.");
    assert!(
        matches!((offered, ready), (Some(o), Some(r)) if o < r),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("the keyring is locked"), "{stdout}");
    // Plain mode reads nothing while the prompt is up: it offers no choice.
    assert!(stdout.contains("Ctrl-C stops waiting"), "{stdout}");
    assert!(
        !stdout.contains("Stop waiting for the unlock prompt"),
        "{stdout}"
    );
    assert_eq!(prompts(), 1, "{}", prompter_log());
    println!("PROBE-OK");
}

/// The real program's full-screen wizard in tmux: Enter on "Unlock the
/// keyring". With the person typing the password at the prompt, the
/// keyring line turns ready; with a prompt nobody answers, "Stop waiting"
/// ends the wait, and checking again raises no second prompt.
#[test]
#[ignore = "run by the tests below inside their own dbus-run-session"]
fn probe_tui() {
    let home = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = [
        ("HOME", home.path().display().to_string()),
        (
            "XDG_CONFIG_HOME",
            home.path().join(".config").display().to_string(),
        ),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap(),
        ),
        (
            "PASSWORD_STORE_DIR",
            home.path().join("none").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let t = tmux::Tmux::start(&tmux::sh_quote(tmux::bin()), &env);
    t.wait_for("the keyring is locked", 20);
    t.wait_for("\u{203a} Unlock the keyring", 5);
    t.keys(&["Enter"]);
    match std::env::var("IMS_MODE").unwrap().as_str() {
        "tui" => {
            t.wait_for("Keyring: Secret Service is ready.", 20);
        }
        "tui-stop" => {
            t.wait_for(
                "waiting for you to unlock it in the prompt on your desktop",
                20,
            );
            t.wait_until("the prompt to be up", 20, || prompts() == 1);
            t.wait_for("\u{203a} Stop waiting for the unlock prompt", 5);
            t.keys(&["Enter"]);
            t.wait_for("No answer from the unlock prompt", 10);
            t.wait_for("\u{203a} Check the keyring again", 5);
            assert!(!t.screen().contains("Unlock the keyring"), "{}", t.screen());
            t.keys(&["Enter"]);
            t.wait_for("the keyring is locked", 10);
            let screen = t.wait_for("\u{203a} Check the keyring again", 10);
            assert!(!screen.contains("Unlock the keyring"), "{screen}");
        }
        other => panic!("unknown mode {other}"),
    }
    t.keys(&["q"]);
    t.wait_exit(10);
    assert_eq!(prompts(), 1, "{}", prompter_log());
    println!("PROBE-OK");
}

/// Lock gnome-keyring's login collection on a fresh bus, start the
/// scripted prompter in `mode`, and run `probe_unlock` there (the
/// wizard's probe for `wizard`).
fn run(mode: &str) {
    let data = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let log = data.path().join("prompter.log");
    let prompter =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/keyring_unlock/prompter.py");
    let exe = std::env::current_exe().unwrap();
    let (answer, probe) = match mode {
        "stop" => ("wait", "probe_unlock"),
        "wizard" => ("type", "probe_wizard"),
        "tui" => ("type", "probe_tui"),
        "tui-stop" => ("wait", "probe_tui"),
        _ => (mode, "probe_unlock"),
    };
    // The prompter writes "ready" once it owns its name: wait for that
    // (bounded), not for a fixed time.
    let script = format!(
        "set -e\n\
         printf %s \"$IMS_PW\" | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
           org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true; do\n\
           i=$((i+1)); [ $i -lt 300 ] || {{ echo 'no Secret Service' >&2; exit 1; }}\n\
           sleep 0.05\n\
         done\n\
         dbus-send --session --print-reply --dest=org.freedesktop.secrets \
           /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
           array:objpath:/org/freedesktop/secrets/collection/login >/dev/null\n\
         printf %s \"$IMS_PW\" | /usr/bin/python3 \"$IMS_PROMPTER\" {answer} \"$IMS_PROMPTER_LOG\" &\n\
         i=0; until grep -qx ready \"$IMS_PROMPTER_LOG\" 2>/dev/null; do\n\
           i=$((i+1)); [ $i -lt 300 ] || {{ echo 'the prompter did not start' >&2; exit 1; }}\n\
           sleep 0.05\n\
         done\n\
         unset IMS_PW\n\
         exec \"$0\" \"$@\""
    );
    let out = Bin::program("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .arg(exe)
        .args(common::bin::probe_args(&format!("keyring_unlock::{probe}")))
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("IMS_PW", KEYRING_PW)
        .env("IMS_MODE", mode)
        .env("IMS_PROMPTER", &prompter)
        .env("IMS_PROMPTER_LOG", &log)
        .run();
    out.assert_probe_ok(&format!(
        "{mode} (prompter log:\n{})",
        std::fs::read_to_string(&log).unwrap_or_default()
    ));
}

#[test]
fn the_person_types_the_password_at_the_prompt_and_the_keyring_unlocks() {
    run("type");
}

#[test]
fn the_person_cancels_the_prompt_and_the_keyring_stays_locked() {
    run("cancel");
}

#[test]
fn an_unanswered_prompt_is_given_up_at_the_deadline_without_harm() {
    run("wait");
}

#[test]
fn the_person_can_stop_waiting_for_the_prompt() {
    run("stop");
}

#[test]
fn the_wizard_offers_the_unlock_and_shows_the_keyring_ready_after() {
    run("wizard");
}

#[test]
fn the_full_screen_wizard_unlocks_the_keyring_on_enter() {
    run("tui");
}

#[test]
fn the_full_screen_wizard_stops_waiting_and_never_prompts_twice() {
    run("tui-stop");
}
