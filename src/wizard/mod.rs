//! The wizard as a pure state machine: [`Model`], [`Msg`], [`Effect`],
//! [`update`], and the key map that turns terminal events into messages.
//!
//! Nothing here does I/O, reads the clock or touches a channel: the
//! executor in `tui` carries out the effects and feeds results back as
//! messages, so every transition is a plain function call in tests.

pub mod checklists;
pub mod input;
pub mod keys;
pub mod model;
pub mod msg;
pub mod update;

pub use keys::{Action, event_to_msg};
pub use model::*;
pub use msg::{Effect, Msg};
pub use update::update;
