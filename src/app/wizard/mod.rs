//! The wizard, independent of any front end: a model of what the person
//! has said and what the world answered, messages (intents and results),
//! effects, and a description of each step (`prompt`) that the TUI and
//! plain mode both render.

pub mod checklists;
mod choice;
pub mod help;
pub mod model;
pub mod msg;
pub mod prompt;
mod steps;
pub mod update;

pub use model::*;
pub use msg::{Effect, Msg};
pub use prompt::{Field, Prompt, Text, Tone, prompt};
pub use steps::next_label;
pub use update::update;
