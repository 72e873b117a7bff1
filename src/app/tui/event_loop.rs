//! The main loop, generic over the ratatui backend and the event source so
//! a test can drive it on a `TestBackend` with synthetic events.
//!
//! It sleeps until an input event, an effect result or a signal arrives;
//! the spinner tick runs only while something is in flight, and the screen
//! is redrawn only after a message.

use std::io;
use std::time::Duration;

use anyhow::{Result, anyhow};
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;

use super::keys::{Action, Input, event_to_action};
use super::view::View;
use crate::app::executor::Executor;
use crate::app::ui;
use crate::app::wizard::{Effect, Model, Msg, update};

pub const TICK: Duration = Duration::from_millis(100);

/// Run until the model quits or the event source ends. Returns the number
/// of frames drawn.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    view: &mut View,
    mut events: S,
    exec: &mut Executor,
    mut results: UnboundedReceiver<Msg>,
) -> Result<u64>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut frames = 0u64;
    for e in [Effect::CheckKeyring, Effect::LoadAccounts] {
        exec.run(e);
    }
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if let Ok(size) = terminal.size() {
        view.resize(size.width, size.height);
    }
    view.sync(model);
    let mut redraw = true;
    loop {
        if redraw {
            terminal
                .draw(|f| ui::draw(f, model, view))
                .map_err(|e| anyhow!("could not draw on the terminal: {e}"))?;
            frames += 1;
        }
        if model.quitting {
            return Ok(frames);
        }
        let busy = model.busy();
        let msg: Option<Msg> = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    redraw = true;
                    let press = matches!(
                        &ev,
                        Event::Key(k)
                            if k.kind == crossterm::event::KeyEventKind::Press
                    );
                    match event_to_action(ev, view.text_entry(model)) {
                        // Ctrl-L: forget what is on screen and draw it all
                        // again (after another program scribbled on it).
                        Some(Input::Action(Action::Redraw)) => {
                            terminal
                                .clear()
                                .map_err(|e| anyhow!("could not clear the terminal: {e}"))?;
                            None
                        }
                        Some(Input::Action(a)) => view.act(model, a),
                        Some(Input::Paste(raw)) => view.paste(model, raw),
                        Some(Input::Resize { width, height }) => {
                            view.resize(width, height);
                            view.clamp_help(model);
                            None
                        }
                        // Any key closes the QR code, bound or not.
                        None if press && view.qr => view.act(model, Action::Back),
                        None => {
                            redraw = false;
                            None
                        }
                    }
                }
                Some(Err(e)) => return Err(anyhow!("reading the terminal failed: {e}")),
                None => return Ok(frames),
            },
            Some(msg) = results.recv() => {
                redraw = true;
                Some(msg)
            }
            _ = ticker.tick(), if busy => {
                view.tick(model);
                redraw = true;
                None
            }
        };
        if let Some(msg) = msg {
            for effect in update(model, msg) {
                if exec.run(effect) {
                    model.quitting = true;
                }
            }
            view.sync(model);
        }
    }
}
