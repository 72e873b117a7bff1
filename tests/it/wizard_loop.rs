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
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
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

/// A `TestBackend` that shares what it last showed, so a test waits for
/// a screen instead of for a fixed time.
struct Watched {
    inner: TestBackend,
    shown: Arc<Mutex<String>>,
}

impl Watched {
    fn new(width: u16, height: u16) -> (Watched, Arc<Mutex<String>>) {
        let shown = Arc::new(Mutex::new(String::new()));
        let inner = TestBackend::new(width, height);
        (
            Watched {
                inner,
                shown: shown.clone(),
            },
            shown,
        )
    }
}

impl Backend for Watched {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        *self.shown.lock().unwrap() = self.inner.to_string();
        Ok(())
    }
}

type Input = UnboundedSender<io::Result<Event>>;

/// The real loop on a watched 80x24 terminal, a wizard for "laptop" with
/// `io`, fed by `driver` (given the input and the screen) until the loop
/// returns (within 20 s): the frames drawn, the model, the last screen.
async fn run_wizard<F>(
    io: Io,
    driver: impl FnOnce(Input, Arc<Mutex<String>>) -> F,
) -> (u64, Model, String)
where
    F: std::future::Future<Output = ()>,
{
    let (mut exec, results) = Executor::new(io);
    let (tx, events) = unbounded::<io::Result<Event>>();
    let (backend, screen) = Watched::new(80, 24);
    let mut terminal = Terminal::new(backend).unwrap();
    let mut model = Model::new("laptop", CheckSettings::default(), None);
    let mut view = View::new(false);
    let looping = run_loop(
        &mut terminal,
        &mut model,
        &mut view,
        events,
        &mut exec,
        results,
    );
    let (frames, ()) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(20), looping),
        driver(tx, screen)
    );
    let frames = frames.expect("the loop ended").expect("the loop ran");
    (frames, model, terminal.backend().inner.to_string())
}

/// Wait (bounded) until the screen shows `text`.
async fn shown(screen: &Mutex<String>, text: &str) {
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while !screen.lock().unwrap().contains(text) {
        assert!(
            std::time::Instant::now() < until,
            "never showed {text:?}:\n{}",
            screen.lock().unwrap()
        );
        // Polling the screen: what comes next waits for what it shows.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    let driver = |tx: Input, screen: Arc<Mutex<String>>| async move {
        shown(&screen, "\u{2713} Keyring:").await; // the keyring was checked
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
        shown(&screen, "Save it to the keyring").await;
        key(&tx, KeyCode::Enter); // save
        shown(&screen, "emily@icloud.com is ready").await;
        key(&tx, KeyCode::Enter); // Done: quit
    };
    let (frames, model, screen) = run_wizard(io, driver).await;
    assert!(frames > 5);
    assert_eq!(model.screen, Screen::Done);
    assert!(model.quitting);
    assert_eq!(
        opener.0.lock().unwrap().as_slice(),
        ["https://account.apple.com"]
    );
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
    // A rate, not an order of events: over 1.5 s of idleness (a slower
    // machine only draws fewer frames).
    let driver = |tx: Input, _| async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(tx); // the input ends: the loop returns
    };
    let (frames, _, _) = run_wizard(io, driver).await;
    // First frame, keyring result, accounts result, and at most a few
    // spinner ticks while the keyring check was in flight.
    assert!(frames <= 6, "{frames} frames drawn in 1.5 s of idleness");
}
