//! icloud-mail-setup: get a verified iCloud Mail app-specific password into
//! the system keyring, and keep it working.

pub mod account;
pub mod apppass;
pub mod atomic_file;
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
pub mod mail;
pub mod notify;
pub mod plain;
pub mod process;
pub mod schedule;
pub mod secret;
pub mod settings_table;
pub mod storage;
pub mod text;
pub mod tui;
pub mod ui;
pub mod wizard;
