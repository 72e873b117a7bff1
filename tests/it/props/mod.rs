//! Generators and drivers for the property tests, in one place so they are
//! easy to adapt when the wizard's messages change.
//!
//! - [`wizard`]: random message sequences for `wizard::update` (keys,
//!   pastes, resizes, ticks, current and stale I/O results, signals), the
//!   [`wizard::Driver`] that feeds them and keeps the oracle (which
//!   password each check run verified, which reports were fed), and a
//!   renderer on ratatui's `TestBackend`.
//! - [`storage`]: fault plans for a keyring that fails or "crashes" at
//!   chosen calls, and the [`storage::FaultStore`] that carries them out.
//!
//! Use from a test module with `use crate::props;`.

#![allow(dead_code)]

pub mod storage;
pub mod wizard;
