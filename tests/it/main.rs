//! The integration tests, one binary: each former `tests/NAME.rs` is the
//! module `NAME` here, so the crate is linked once instead of once per
//! file. Run one group with `cargo test --test it NAME::` (for example
//! `cargo test --test it snapshots::`).
//!
//! Shared pieces, used as `crate::NAME`:
//! - [`common`]: [`common::Bin`] to run the binary (a private HOME, our
//!   variables cleared); a real Dovecot, scripted fault servers, a test
//!   CA, the Secret Service helpers (Unix only).
//! - [`tmux`]: the real binary in a real terminal.
//! - [`wizard_support`]: a fake checker, reports and models for the wizard.
//! - [`props`]: generators and drivers for the property tests.
//!
//! All modules run in one process, in parallel: a test must not change
//! process-wide state (environment, current directory, umask, signal
//! dispositions); give the child programs their environment through
//! `Command` instead.

mod common;
mod props;
mod tmux;
mod wizard_support;

mod cli;
mod commands_keyring;
mod config_concurrent;
mod debug_log;
mod end_to_end;
mod export_clients;
mod git_credential;
mod gui_apps;
mod help_links;
mod hostile_memory;
mod keyring_hostile;
mod keyring_pass;
mod keyring_store;
mod keyring_unlock;
mod layers;
mod links_tmux;
mod package;
mod plain_ahead;
mod schedule;
mod scheduled_check;
mod snapshots;
mod storage_props;
mod tui_pty;
mod tui_view;
mod verify_engine;
mod wizard_loop;
mod wizard_props;
mod wizard_update;
