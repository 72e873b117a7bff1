//! The core: what the program knows about iCloud Mail, with no terminal in
//! it. Accounts and app-specific passwords, the config file, the keyring
//! stores and the staged save, the live mail checks and the service that
//! checks a stored account, the client exports and the daily schedule.
//! It reaches the system only through [`crate::sys`].

pub mod account;
pub mod apppass;
pub(crate) mod check;
pub mod config;
pub mod export;
pub mod invocation;
pub mod keyring;
pub mod keyring_choice;
pub mod keyring_pass;
pub mod mail;
pub mod schedule;
pub mod storage;
