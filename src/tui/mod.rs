//! The terminal side: setup/restore, the event loop, the effect executor.

pub mod event_loop;
pub mod executor;
pub mod terminal;

pub use event_loop::run_loop;
pub use executor::{BrowserOpener, Executor, Io, Opener};
