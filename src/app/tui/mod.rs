//! The full-screen front end: terminal setup/restore, the key table, the
//! view state (selection, focus, fields, reveal, help, spinner), and the
//! event loop.

pub mod event_loop;
pub mod hints;
pub mod input;
pub mod keys;
pub mod paste_burst;
pub mod terminal;
pub mod view;

pub use crate::app::executor::{BrowserOpener, Executor, Io, Opener};
pub use event_loop::run_loop;
pub use keys::{Action, event_to_action};
pub use view::View;
