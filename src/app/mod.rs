//! The application: the command line and its subcommands, the wizard's pure
//! state machine, its full-screen and plain renderings, and the executor
//! that turns the wizard's effects into calls on [`crate::domain`] and
//! [`crate::sys`].

pub mod checking;
pub mod cli;
pub mod commands;
pub mod context;
pub mod error;
pub mod executor;
pub mod exit;
pub(crate) mod output;
pub mod plain;
pub mod qr;
pub(crate) mod settings_table;
pub mod tui;
pub mod ui;
pub mod wizard;
