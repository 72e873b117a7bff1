//! icloud-mail-setup: get a verified iCloud Mail app-specific password into
//! the system keyring, and keep it working.

/// The version `--version` shows: the package's, and the git commit when
/// built from a checkout (see build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("ICLOUD_MAIL_SETUP_GIT"));

pub mod app;
pub mod domain;
pub mod sys;
