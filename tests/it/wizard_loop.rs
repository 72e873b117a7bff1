//! The real event loop on a `TestBackend`, driven by synthetic key events,
//! with a fake checker, an in-memory keyring and a real config file: from
//! Welcome to Done.

use crate::wizard_support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use icloud_mail_setup::app::tui::{Executor, Io, Opener, View, run_loop};
use icloud_mail_setup::app::wizard::{Model, Screen};
use icloud_mail_setup::domain::config;
use icloud_mail_setup::domain::keyring::{MemoryStore, SecretStore};
use icloud_mail_setup::domain::mail::CheckSettings;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wizard_support::*;

#[derive(Default)]
struct RecordingOpener(Mutex<Vec<String>>);

impl Opener for RecordingOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.lock().unwrap().push(url.to_string());
        Err("no browser in tests".into())
    }
}

fn key(tx: &UnboundedSender<io::Result<Event>>, code: KeyCode) {
    tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
        .unwrap();
}

fn text(tx: &UnboundedSender<io::Result<Event>>, s: &str) {
    for c in s.chars() {
        key(tx, KeyCode::Char(c));
    }
}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_to_done_through_the_real_loop() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("icloud-mail-setup").join("config.toml");
    let store = Arc::new(MemoryStore::new());
    let opener = Arc::new(RecordingOpener::default());
    let io = Io {
        checker: Arc::new(FakeChecker::accepting()),
        store: store.clone(),
        config_path: config_path.clone(),
        opener: opener.clone(),
    };
    let (mut exec, results) = Executor::new(io);
    let (tx, events) = unbounded::<io::Result<Event>>();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut model = Model::new("laptop", CheckSettings::default(), None);
    let mut view = View::new(false);

    let driver = async {
        pause().await;
        key(&tx, KeyCode::Enter); // Welcome: set up a new account
        key(&tx, KeyCode::Enter); // 2FA: yes, it is on
        key(&tx, KeyCode::Char(' ')); // tick the first step
        key(&tx, KeyCode::Char('o')); // open the link
        key(&tx, KeyCode::Enter); // checklist done
        text(&tx, "emily@icloud.com");
        key(&tx, KeyCode::Enter);
        tx.unbounded_send(Ok(Event::Paste(format!(" {} \n", PASSWORD.to_uppercase()))))
            .unwrap();
        key(&tx, KeyCode::Enter); // verify
        pause().await;
        key(&tx, KeyCode::Enter); // save
        pause().await;
        key(&tx, KeyCode::Enter); // Done: quit
    };
    let (frames, ()) = tokio::join!(
        tokio::time::timeout(
            Duration::from_secs(20),
            run_loop(
                &mut terminal,
                &mut model,
                &mut view,
                events,
                &mut exec,
                results
            )
        ),
        driver
    );
    let frames = frames.expect("the loop ended").expect("the loop ran");
    assert!(frames > 5);
    assert_eq!(model.screen, Screen::Done);
    assert!(model.quitting);
    assert_eq!(
        opener.0.lock().unwrap().as_slice(),
        ["https://account.apple.com"]
    );
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("emily@icloud.com is ready"), "{screen}");
    assert!(!screen.contains(PASSWORD));
    // The secret went to the keyring, the rest to the config file.
    assert_eq!(
        store.get("emily@icloud.com").unwrap().unwrap().expose(),
        PASSWORD
    );
    let cfg = config::load(&config_path).unwrap();
    let entry = cfg.find("emily@icloud.com").expect("account saved");
    assert_eq!(entry.imap_username.as_deref(), Some("emily"));
    assert_eq!(entry.smtp_username.as_deref(), Some("emily@icloud.com"));
    assert_eq!(entry.label.as_deref(), Some("icloud-mail-setup on laptop"));
    let raw = std::fs::read_to_string(&config_path).unwrap();
    assert!(!raw.contains(PASSWORD) && !raw.contains("wxyz"), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_sleeps_when_idle() {
    // With nothing in flight and no input, no frame is drawn: no busy loop.
    let dir = tempfile::tempdir().unwrap();
    let io = Io {
        checker: Arc::new(FakeChecker::accepting()),
        store: Arc::new(MemoryStore::new()),
        config_path: dir.path().join("config.toml"),
        opener: Arc::new(RecordingOpener::default()),
    };
    let (mut exec, results) = Executor::new(io);
    let (tx, events) = unbounded::<io::Result<Event>>();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut model = Model::new("laptop", CheckSettings::default(), None);
    let mut view = View::new(false);
    let driver = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(tx); // the input ends: the loop returns
    };
    let (frames, ()) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut model,
            &mut view,
            events,
            &mut exec,
            results
        ),
        driver
    );
    let frames = frames.unwrap();
    // First frame, keyring result, accounts result, and at most a few
    // spinner ticks while the keyring check was in flight.
    assert!(frames <= 6, "{frames} frames drawn in 1.5 s of idleness");
}
