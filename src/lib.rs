//! icloud-mail-setup: get a verified iCloud Mail app-specific password into
//! the system keyring, and keep it working.

/// The version `--version` shows: the package's, and the git commit when
/// built from a checkout (see build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("ICLOUD_MAIL_SETUP_GIT"));

pub mod account;
pub mod apppass;
pub(crate) mod atomic_file;
pub mod base64;
pub(crate) mod check;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod config;
pub mod echo;
pub mod executor;
pub mod exit;
pub mod export;
pub mod hardening;
pub mod keyring;
pub mod keyring_choice;
pub mod keyring_pass;
pub mod log;
pub mod mail;
pub mod notify;
pub(crate) mod output;
pub mod plain;
pub(crate) mod process;
pub mod qr;
pub mod schedule;
pub mod secret;
pub(crate) mod settings_table;
pub mod stop_signals;
pub mod storage;
pub mod text;
pub mod tui;
pub mod ui;
pub mod wizard;
